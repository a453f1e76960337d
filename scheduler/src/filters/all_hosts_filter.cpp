// Nova's AllHostsFilter: lets every host through.
#include "all_filters.hpp"

namespace nova::scheduler::filters {

namespace {
class AllHostsFilter final : public HostFilter {
public:
    std::string_view Name() const override { return "AllHostsFilter"; }
    bool RunFilterOncePerRequest() const override { return true; }
    bool HostPasses(const HostState&, const objects::RequestSpec&) const override { return true; }
};
}  // namespace

std::unique_ptr<HostFilter> MakeAllHostsFilter(const FilterDeps&) {
    return std::make_unique<AllHostsFilter>();
}

}  // namespace nova::scheduler::filters
