// Nova's AvailabilityZoneFilter: the host's availability zone (its aggregates'
// availability_zone metadata, else [DEFAULT] default_availability_zone) is the one requested.
#include <fmt/format.h>

#include "all_filters.hpp"
#include "nova/common/log.hpp"

namespace nova::scheduler::filters {

namespace {

class AvailabilityZoneFilter final : public HostFilter {
public:
    explicit AvailabilityZoneFilter(const FilterDeps& deps)
        : default_az_(deps.default_availability_zone) {}
    std::string_view Name() const override { return "AvailabilityZoneFilter"; }
    bool RunFilterOncePerRequest() const override { return true; }

    bool HostPasses(const HostState& host, const objects::RequestSpec& spec) const override {
        static auto& log = log::Get("nova.scheduler.filters.availability_zone_filter");
        if (!spec.has_availability_zone() || spec.availability_zone().empty()) return true;
        const auto& az = spec.availability_zone();
        auto metadata = AggregateMetadata(host, std::string("availability_zone"));
        bool passes;
        std::string host_az;
        if (auto it = metadata.find("availability_zone"); it != metadata.end()) {
            passes = it->second.contains(az);
            host_az = fmt::format("{}", fmt::join(it->second, ", "));
        } else {
            passes = az == default_az_;
            host_az = default_az_;
        }
        if (!passes) {
            NOVA_LOG_DEBUG(log, log::kNoContext,
                           "Availability Zone '{}' requested. {} has AZs: {}", az,
                           host.ToString(), host_az);
        }
        return passes;
    }

private:
    std::string default_az_;
};

}  // namespace

std::unique_ptr<HostFilter> MakeAvailabilityZoneFilter(const FilterDeps& deps) {
    return std::make_unique<AvailabilityZoneFilter>(deps);
}

}  // namespace nova::scheduler::filters
