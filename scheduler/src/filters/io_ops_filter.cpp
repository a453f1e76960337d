// Nova's IoOpsFilter and NumInstancesFilter: bounds on concurrent I/O-heavy operations and on
// instances per host ([filter_scheduler] max_io_ops_per_host, max_instances_per_host).
#include "all_filters.hpp"
#include "nova/common/log.hpp"

namespace nova::scheduler::filters {

namespace {

class IoOpsFilter final : public HostFilter {
public:
    explicit IoOpsFilter(const FilterDeps& deps)
        : max_(deps.filter_scheduler.max_io_ops_per_host) {}
    std::string_view Name() const override { return "IoOpsFilter"; }
    bool HostPasses(const HostState& host, const objects::RequestSpec&) const override {
        static auto& log = log::Get("nova.scheduler.filters.io_ops_filter");
        const bool passes = host.num_io_ops < max_;
        if (!passes) {
            NOVA_LOG_DEBUG(log, log::kNoContext,
                           "{} fails I/O ops check: Max IOs per host is set to {}",
                           host.ToString(), max_);
        }
        return passes;
    }

private:
    std::int64_t max_;
};

class NumInstancesFilter final : public HostFilter {
public:
    explicit NumInstancesFilter(const FilterDeps& deps)
        : max_(deps.filter_scheduler.max_instances_per_host) {}
    std::string_view Name() const override { return "NumInstancesFilter"; }
    bool HostPasses(const HostState& host, const objects::RequestSpec&) const override {
        static auto& log = log::Get("nova.scheduler.filters.num_instances_filter");
        const bool passes = host.num_instances < max_;
        if (!passes) {
            NOVA_LOG_DEBUG(log, log::kNoContext,
                           "{} fails num_instances check: Max instances per host is set to {}",
                           host.ToString(), max_);
        }
        return passes;
    }

private:
    std::int64_t max_;
};

}  // namespace

std::unique_ptr<HostFilter> MakeIoOpsFilter(const FilterDeps& deps) {
    return std::make_unique<IoOpsFilter>(deps);
}
std::unique_ptr<HostFilter> MakeNumInstancesFilter(const FilterDeps& deps) {
    return std::make_unique<NumInstancesFilter>(deps);
}

}  // namespace nova::scheduler::filters
