// Nova's affinity_filter.py: SameHostFilter / DifferentHostFilter (scheduler hints same_host
// and different_host: instance uuids) and the server group filters
// ServerGroupAffinityFilter / ServerGroupAntiAffinityFilter (policy of spec.instance_group,
// anti-affinity honouring the max_server_per_host rule).
#include <algorithm>
#include <charconv>

#include "all_filters.hpp"
#include "nova/common/log.hpp"

namespace nova::scheduler::filters {

namespace {

bool Overlaps(const HostState& host, const std::vector<std::string>& uuids) {
    return std::any_of(uuids.begin(), uuids.end(),
                       [&](const std::string& u) { return host.instances.contains(u); });
}

class DifferentHostFilter final : public HostFilter {
public:
    std::string_view Name() const override { return "DifferentHostFilter"; }
    bool RunFilterOncePerRequest() const override { return true; }
    bool HostPasses(const HostState& host, const objects::RequestSpec& spec) const override {
        auto uuids = SchedulerHint(spec, "different_host");
        if (uuids && !uuids->empty()) return !Overlaps(host, *uuids);
        return true;
    }
};

class SameHostFilter final : public HostFilter {
public:
    std::string_view Name() const override { return "SameHostFilter"; }
    bool RunFilterOncePerRequest() const override { return true; }
    bool HostPasses(const HostState& host, const objects::RequestSpec& spec) const override {
        auto uuids = SchedulerHint(spec, "same_host");
        if (uuids && !uuids->empty()) return Overlaps(host, *uuids);
        return true;
    }
};

bool HasPolicy(const objects::InstanceGroup& group, const std::string& policy) {
    if (group.has_policy() && group.policy() == policy) return true;
    return std::find(group.policies().begin(), group.policies().end(), policy) !=
           group.policies().end();
}

class ServerGroupAntiAffinityFilter final : public HostFilter {
public:
    std::string_view Name() const override { return "ServerGroupAntiAffinityFilter"; }
    bool HostPasses(const HostState& host, const objects::RequestSpec& spec) const override {
        static auto& log = log::Get("nova.scheduler.filters.affinity_filter");
        if (!spec.has_instance_group()) return true;
        const auto& group = spec.instance_group();
        if (!group.has_policy() || group.policy() != "anti-affinity") return true;
        // The instance itself may be on the host already (a move within the group).
        if (host.instances.contains(spec.instance_uuid())) return true;
        std::int64_t on_host = 0;
        for (const auto& member : group.members()) on_host += host.instances.contains(member);
        std::int64_t max_per_host = 1;
        if (auto it = group._rules().find("max_server_per_host"); it != group._rules().end()) {
            std::int64_t v = 0;
            const auto& text = it->second;
            if (std::from_chars(text.data(), text.data() + text.size(), v).ec == std::errc()) {
                max_per_host = v;
            }
        }
        NOVA_LOG_DEBUG(log, log::kNoContext,
                       "Group anti-affinity: check if the number of servers from group {} on "
                       "host {} is less than {}.",
                       group.has_uuid() ? group.uuid() : "n/a", host.host, max_per_host);
        return on_host < max_per_host;
    }
};

class ServerGroupAffinityFilter final : public HostFilter {
public:
    std::string_view Name() const override { return "ServerGroupAffinityFilter"; }
    bool HostPasses(const HostState& host, const objects::RequestSpec& spec) const override {
        static auto& log = log::Get("nova.scheduler.filters.affinity_filter");
        if (!spec.has_instance_group() || !HasPolicy(spec.instance_group(), "affinity")) {
            return true;
        }
        const auto& hosts = spec.instance_group().hosts();
        NOVA_LOG_DEBUG(log, log::kNoContext, "Group affinity: check if {} in {}", host.host,
                       PythonListRepr({hosts.begin(), hosts.end()}));
        if (!hosts.empty()) return std::find(hosts.begin(), hosts.end(), host.host) != hosts.end();
        return true;
    }
};

}  // namespace

std::unique_ptr<HostFilter> MakeDifferentHostFilter(const FilterDeps&) {
    return std::make_unique<DifferentHostFilter>();
}
std::unique_ptr<HostFilter> MakeSameHostFilter(const FilterDeps&) {
    return std::make_unique<SameHostFilter>();
}
std::unique_ptr<HostFilter> MakeServerGroupAntiAffinityFilter(const FilterDeps&) {
    return std::make_unique<ServerGroupAntiAffinityFilter>();
}
std::unique_ptr<HostFilter> MakeServerGroupAffinityFilter(const FilterDeps&) {
    return std::make_unique<ServerGroupAffinityFilter>();
}

}  // namespace nova::scheduler::filters
