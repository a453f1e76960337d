#pragma once
// Host filters (Nova's nova/scheduler/filters/*.py at Zed): each one a class named as in Nova,
// deciding per host whether it may take the instance; the configured list
// ([filter_scheduler] enabled_filters) runs in order, and a filter that removes every host
// stops the run with Nova's log lines. One file per filter module under src/filters/, all
// registered in one table (filters.cpp).
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/conf/scheduler.hpp"
#include "nova/objects/request_spec.pb.h"
#include "nova/scheduler/host_state.hpp"

namespace nova::scheduler {

// What filters may read besides the host and the request.
struct FilterDeps {
    conf::FilterSchedulerOptions filter_scheduler;
    std::string default_availability_zone = "nova";
    std::chrono::seconds service_down_time{60};
    const Clock* clock = nullptr;  // required by ComputeFilter
};

class HostFilter {
public:
    HostFilter() = default;
    HostFilter(const HostFilter&) = delete;
    HostFilter& operator=(const HostFilter&) = delete;
    virtual ~HostFilter() = default;

    virtual std::string_view Name() const = 0;
    // Nova's run_filter_once_per_request: the answer cannot change between the instances of
    // one request, so only the first instance runs it.
    virtual bool RunFilterOncePerRequest() const { return false; }
    // Nova's RUN_ON_REBUILD: whether it still filters when the request is a rebuild.
    virtual bool RunOnRebuild() const { return false; }
    virtual bool HostPasses(const HostState& host, const objects::RequestSpec& spec) const = 0;
};

// Every filter name we know, in Nova's spelling.
std::vector<std::string> AvailableFilterNames();

// Builds the filters named (in that order); SchedulerHostFilterNotFound names every unknown
// one, as Nova does at startup.
std::vector<std::unique_ptr<HostFilter>> MakeFilters(const std::vector<std::string>& names,
                                                     const FilterDeps& deps);

struct FilterOutcome {
    std::vector<HostState*> hosts;          // those that passed every filter
    std::vector<std::string> part_results;  // "ComputeFilter: (start: 5, end: 4)", ...
    std::string emptied_by;                 // the filter that returned 0 hosts, if any
    // Nova's "Filtering removed all hosts for the request with instance ID '...'. Filter
    // results: [...]" when no host is left, else empty.
    std::string removed_all_message;
};

// Nova's get_filtered_objects: runs `filters` in order over `hosts` for the instance at
// `index` of the request, logging as Nova does ("Filter X returned 0 hosts").
FilterOutcome RunFilters(const std::vector<std::unique_ptr<HostFilter>>& filters,
                         const std::vector<HostState*>& hosts, const objects::RequestSpec& spec,
                         int index);

// Nova's RequestSpec.get_scheduler_hint as a list of strings: absent hint -> nullopt.
std::optional<std::vector<std::string>> SchedulerHint(const objects::RequestSpec& spec,
                                                      const std::string& key);
// scheduler_hints _nova_check_type == rebuild (Nova's request_is_rebuild).
bool RequestIsRebuild(const objects::RequestSpec& spec);

// Nova's extra_specs_ops.match: `req` is a value or an operator expression ("<in> x",
// ">= 4", "<or> a <or> b", "s== x", ...).
bool ExtraSpecMatch(const std::optional<std::string>& value, const std::string& req);

// Python's str() of a list of strings: ['a', 'b'].
std::string PythonListRepr(const std::vector<std::string>& items);

}  // namespace nova::scheduler
