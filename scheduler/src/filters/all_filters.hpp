#pragma once
// Constructors of the filters, one per file (named after Nova's filter modules); filters.cpp
// puts them in its table.
#include <memory>

#include "nova/scheduler/filters.hpp"

namespace nova::scheduler::filters {

std::unique_ptr<HostFilter> MakeAllHostsFilter(const FilterDeps& deps);
std::unique_ptr<HostFilter> MakeComputeFilter(const FilterDeps& deps);
std::unique_ptr<HostFilter> MakeAvailabilityZoneFilter(const FilterDeps& deps);
std::unique_ptr<HostFilter> MakeComputeCapabilitiesFilter(const FilterDeps& deps);
std::unique_ptr<HostFilter> MakeImagePropertiesFilter(const FilterDeps& deps);
std::unique_ptr<HostFilter> MakeServerGroupAntiAffinityFilter(const FilterDeps& deps);
std::unique_ptr<HostFilter> MakeServerGroupAffinityFilter(const FilterDeps& deps);
std::unique_ptr<HostFilter> MakeSameHostFilter(const FilterDeps& deps);
std::unique_ptr<HostFilter> MakeDifferentHostFilter(const FilterDeps& deps);
std::unique_ptr<HostFilter> MakeAggregateInstanceExtraSpecsFilter(const FilterDeps& deps);
std::unique_ptr<HostFilter> MakeIoOpsFilter(const FilterDeps& deps);
std::unique_ptr<HostFilter> MakeNumInstancesFilter(const FilterDeps& deps);

}  // namespace nova::scheduler::filters
