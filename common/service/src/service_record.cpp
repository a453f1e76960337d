#include "nova/service/service_record.hpp"

#include "nova/common/error.hpp"
#include "nova/objects/object.hpp"

namespace nova::service {

namespace {
spdlog::logger& Log() { return log::Get("nova.service"); }
}  // namespace

objects::Service RegisterService(ServiceRecords& records, const std::string& host,
                                 const std::string& binary, const std::string& topic) {
    if (auto existing = records.Find(host, binary)) {
        if (existing->version() != kServiceVersion) {
            NOVA_LOG_INFO(Log(), log::kNoContext,
                          "Updating service version for {} on {} from {} to {}", binary, host,
                          existing->version(), kServiceVersion);
            existing->set_version(kServiceVersion);
            records.Save(*existing);
        }
        return *existing;
    }
    objects::Service created;
    created.set_host(host);
    created.set_binary(binary);
    created.set_topic(topic);
    created.set_report_count(0);
    created.set_disabled(false);
    created.set_forced_down(false);
    created.set_version(kServiceVersion);
    try {
        records.Create(created);
        return created;
    } catch (const ServiceBinaryExists&) {
    } catch (const ServiceTopicExists&) {
    }
    // A sibling worker created it between our lookup and our insert.
    if (auto raced = records.Find(host, binary)) return *raced;
    throw ServiceNotFound::WithMessage("Service " + binary + " on host " + host +
                                       " vanished while it was being registered");
}

bool Heartbeat::Beat() {
    try {
        service_.set_report_count(service_.report_count() + 1);
        records_.Save(service_);
        if (disconnected_) {
            disconnected_ = false;
            NOVA_LOG_INFO(Log(), log::kNoContext, "Recovered from being unable to report status.");
        }
        return true;
    } catch (const std::exception& e) {
        // The next beat counts again from what is stored.
        service_.set_report_count(service_.report_count() - 1);
        objects::ResetChanges(service_, std::set<std::string>{"report_count"});
        if (!disconnected_) {
            disconnected_ = true;
            NOVA_LOG_WARN(Log(), log::kNoContext,
                             "Lost connection to the service record store for reporting "
                             "service status: {}", e.what());
        }
        return false;
    }
}

}  // namespace nova::service
