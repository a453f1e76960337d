#pragma once
// Versioned notifications as Nova sends them (oslo's messagingv2 driver): one message per topic
// on `<topic>.<priority>` of the control exchange, with event_type, payload (a nova_object
// primitive), publisher_id "<binary>:<host>", priority in upper case, message_id and timestamp.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/common/context.hpp"
#include "nova/common/json.hpp"
#include "nova/conf/messaging.hpp"

namespace nova::rpc {

class Transport;

class Notifier {
public:
    // Sends when [oslo_messaging_notifications] driver includes messaging/messagingv2 and
    // [notifications] notification_format is "versioned" or "both"; otherwise Notify is a no-op.
    Notifier(std::shared_ptr<Transport> transport, std::string publisher_id,
             const conf::NotificationOptions& oslo_options,
             const conf::NovaNotificationOptions& nova_options, const Clock& clock);

    bool enabled() const { return enabled_; }

    // `priority` is one of audit, debug, info, warn, error, critical, sample (any case).
    // Throws MessageDeliveryFailure when the broker does not take the message.
    void Notify(const RequestContext& context, std::string_view priority,
                std::string_view event_type, const Json& payload) const;

    // The message as it goes on the wire (without the envelope), for tests and tools.
    Json BuildMessage(const RequestContext& context, std::string_view priority,
                      std::string_view event_type, const Json& payload) const;

private:
    std::shared_ptr<Transport> transport_;
    std::string publisher_id_;
    std::vector<std::string> topics_;
    bool enabled_ = false;
    bool enveloped_ = true;
    const Clock& clock_;
};

}  // namespace nova::rpc
