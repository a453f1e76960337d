// Nova's ComputeFilter: the host's nova-compute service is enabled and up.
#include "all_filters.hpp"
#include "nova/common/assert.hpp"
#include "nova/common/log.hpp"

namespace nova::scheduler::filters {

namespace {

class ComputeFilter final : public HostFilter {
public:
    explicit ComputeFilter(const FilterDeps& deps)
        : clock_(*deps.clock), down_time_(deps.service_down_time) {}
    std::string_view Name() const override { return "ComputeFilter"; }
    bool RunFilterOncePerRequest() const override { return true; }

    bool HostPasses(const HostState& host, const objects::RequestSpec&) const override {
        static auto& log = log::Get("nova.scheduler.filters.compute_filter");
        if (host.service_disabled) {
            NOVA_LOG_DEBUG(log, log::kNoContext, "{} is disabled, reason: {}", host.ToString(),
                           host.service_disabled_reason);
            return false;
        }
        if (!IsServiceUp(host.liveness, clock_.Now(), down_time_)) {
            NOVA_LOG_WARN(log, log::kNoContext, "{} has not been heard from in a while",
                          host.ToString());
            return false;
        }
        return true;
    }

private:
    const Clock& clock_;
    std::chrono::seconds down_time_;
};

}  // namespace

std::unique_ptr<HostFilter> MakeComputeFilter(const FilterDeps& deps) {
    NOVA_CHECK(deps.clock != nullptr, "ComputeFilter needs a clock");
    return std::make_unique<ComputeFilter>(deps);
}

}  // namespace nova::scheduler::filters
