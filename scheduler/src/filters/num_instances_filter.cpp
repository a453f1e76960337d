// Nova's NumInstancesFilter: a bound on instances per host
// ([filter_scheduler] max_instances_per_host).
#include "all_filters.hpp"
#include "nova/common/log.hpp"

namespace nova::scheduler::filters {

namespace {

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

std::unique_ptr<HostFilter> MakeNumInstancesFilter(const FilterDeps& deps) {
    return std::make_unique<NumInstancesFilter>(deps);
}

}  // namespace nova::scheduler::filters
