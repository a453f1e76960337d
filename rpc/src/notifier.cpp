#include "nova/rpc/notifier.hpp"

#include <algorithm>
#include <cctype>

#include "nova/common/error.hpp"
#include "nova/common/time.hpp"
#include "nova/common/uuid.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/rpc/wire.hpp"

namespace nova::rpc {
namespace {

std::string Lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string Upper(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

bool Contains(const std::vector<std::string>& values, std::string_view value) {
    return std::find(values.begin(), values.end(), value) != values.end();
}

// oslo's notifier sanitizes the context: only identity fields travel (no token, no catalog).
Json SanitizedContext(const RequestContext& context) {
    RequestContext copy = context;
    copy.auth_token.reset();
    copy.service_catalog = Json::array();
    return copy.ToDict();
}

}  // namespace

Notifier::Notifier(std::shared_ptr<Transport> transport, std::string publisher_id,
                   const conf::NotificationOptions& oslo_options,
                   const conf::NovaNotificationOptions& nova_options, const Clock& clock)
    : transport_(std::move(transport)),
      publisher_id_(std::move(publisher_id)),
      topics_(nova_options.versioned_notifications_topics),
      clock_(clock) {
    const bool messaging_v2 = Contains(oslo_options.driver, "messagingv2");
    const bool messaging_v1 = Contains(oslo_options.driver, "messaging");
    const bool versioned = nova_options.notification_format == "versioned" ||
                           nova_options.notification_format == "both";
    enabled_ = (messaging_v2 || messaging_v1) && versioned && !topics_.empty();
    enveloped_ = messaging_v2;
}

Json Notifier::BuildMessage(const RequestContext& context, std::string_view priority,
                            std::string_view event_type, const Json& payload) const {
    Json message = Json::object();
    message["message_id"] = GenerateUuid();
    message["publisher_id"] = publisher_id_;
    message["event_type"] = std::string(event_type);
    message["priority"] = Upper(priority);
    message["payload"] = payload;
    message["timestamp"] = timeutil::SpaceMicro(clock_.Now());
    message["_unique_id"] = GenerateUuidHex();
    const Json values = SanitizedContext(context);
    for (const auto& [key, value] : values.items()) message["_context_" + key] = value;
    return message;
}

void Notifier::Notify(const RequestContext& context, std::string_view priority,
                      std::string_view event_type, const Json& payload) const {
    if (!enabled_) return;
    static const std::vector<std::string> kPriorities = {"audit", "debug", "info", "warn",
                                                         "error", "critical", "sample"};
    std::string level = Lower(priority);
    if (!Contains(kPriorities, level)) {
        throw InvalidInput({{"reason", "unknown notification priority " + level}});
    }
    for (const auto& topic : topics_) {
        Json message = BuildMessage(context, level, event_type, payload);
        std::string body = enveloped_ ? EncodeEnvelope(message)
                                      : message.dump(-1, ' ', false, Json::error_handler_t::replace);
        PublishOptions options;
        options.deadline = Deadline::After(transport_->options().rpc_response_timeout);
        PublishAndWait(*transport_,
                       Destination::Notification(transport_->options().control_exchange,
                                                 topic + "." + level),
                       std::move(body), options);
    }
}

}  // namespace nova::rpc
