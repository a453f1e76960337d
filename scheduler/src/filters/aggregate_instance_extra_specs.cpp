// Nova's AggregateInstanceExtraSpecsFilter: flavor extra specs without a namespace, or scoped
// "aggregate_instance_extra_specs:", must be matched by a value of that key in the metadata
// of one of the host's aggregates.
#include <fmt/format.h>

#include "all_filters.hpp"
#include "nova/common/log.hpp"

namespace nova::scheduler::filters {

namespace {

constexpr std::string_view kScope = "aggregate_instance_extra_specs";

class AggregateInstanceExtraSpecsFilter final : public HostFilter {
public:
    std::string_view Name() const override { return "AggregateInstanceExtraSpecsFilter"; }
    bool RunFilterOncePerRequest() const override { return true; }

    bool HostPasses(const HostState& host, const objects::RequestSpec& spec) const override {
        static auto& log = log::Get("nova.scheduler.filters.aggregate_instance_extra_specs");
        const auto& extra_specs = spec.flavor().extra_specs();
        if (extra_specs.empty()) return true;
        auto metadata = AggregateMetadata(host);
        for (const auto& [full_key, req] : extra_specs) {
            std::string key = full_key;
            if (auto colon = full_key.find(':'); colon != std::string::npos) {
                if (std::string_view(full_key).substr(0, colon) != kScope) continue;
                key = full_key.substr(colon + 1);
            }
            auto it = metadata.find(key);
            if (it == metadata.end() || it->second.empty()) {
                NOVA_LOG_DEBUG(log, log::kNoContext,
                               "{} fails flavor extra_specs requirements. Extra_spec {} is not "
                               "in aggregate.",
                               host.ToString(), key);
                return false;
            }
            bool matched = false;
            for (const auto& value : it->second) {
                if (ExtraSpecMatch(value, req)) {
                    matched = true;
                    break;
                }
            }
            if (!matched) {
                NOVA_LOG_DEBUG(log, log::kNoContext,
                               "{} fails flavor extra_specs requirements. '{}' do not match '{}'",
                               host.ToString(), fmt::join(it->second, ", "), req);
                return false;
            }
        }
        return true;
    }
};

}  // namespace

std::unique_ptr<HostFilter> MakeAggregateInstanceExtraSpecsFilter(const FilterDeps&) {
    return std::make_unique<AggregateInstanceExtraSpecsFilter>();
}

}  // namespace nova::scheduler::filters
