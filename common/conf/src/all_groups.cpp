#include "nova/conf/all_groups.hpp"

#include "nova/conf/api.hpp"
#include "nova/conf/compute.hpp"
#include "nova/conf/database.hpp"
#include "nova/conf/default.hpp"
#include "nova/conf/fake.hpp"
#include "nova/conf/glance.hpp"
#include "nova/conf/keystone_authtoken.hpp"
#include "nova/conf/libvirt.hpp"
#include "nova/conf/logging.hpp"
#include "nova/conf/messaging.hpp"
#include "nova/conf/quota.hpp"
#include "nova/conf/upgrade_levels.hpp"
#include "nova/conf/scheduler.hpp"

namespace nova::conf {

std::vector<GroupInfo> AllGroups() {
    std::vector<GroupInfo> groups;
    auto merge = [&groups](GroupInfo g) {
        for (auto& existing : groups) {
            if (existing.name == g.name) {
                for (auto& o : g.options) existing.options.push_back(std::move(o));
                if (existing.help.empty()) existing.help = g.help;
                return;
            }
        }
        groups.push_back(std::move(g));
    };
    merge(Describe<DefaultOptions>());
    merge(Describe<LoggingOptions>());
    merge(Describe<MessagingOptions>());
    merge(Describe<RabbitOptions>());
    merge(Describe<NotificationOptions>());
    merge(Describe<NovaNotificationOptions>());
    merge(Describe<DatabaseOptions>("api_database"));
    merge(Describe<DatabaseOptions>());
    merge(Describe<UpgradeLevelsOptions>());
    merge(Describe<OsapiOptions>());
    merge(Describe<ApiOptions>());
    merge(Describe<WsgiOptions>());
    merge(Describe<OsloMiddlewareOptions>());
    merge(Describe<GlanceOptions>());
    merge(Describe<AvailabilityZoneOptions>());
    merge(Describe<SchedulerOptions>());
    merge(Describe<FilterSchedulerOptions>());
    merge(Describe<ComputeDefaultOptions>());
    merge(Describe<ComputeOptions>());
    merge(Describe<LibvirtOptions>());
    merge(Describe<FakeOptions>());
    merge(Describe<QuotaOptions>());
    merge(Describe<KeystoneAuthtokenOptions>());
    merge(Describe<OsloPolicyOptions>());
    return groups;
}

}  // namespace nova::conf
