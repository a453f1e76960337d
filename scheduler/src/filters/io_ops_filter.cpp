// Nova's IoOpsFilter: a bound on concurrent I/O-heavy operations (builds, resizes,
// snapshots, ...) per host ([filter_scheduler] max_io_ops_per_host).
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

}  // namespace

std::unique_ptr<HostFilter> MakeIoOpsFilter(const FilterDeps& deps) {
    return std::make_unique<IoOpsFilter>(deps);
}

}  // namespace nova::scheduler::filters
