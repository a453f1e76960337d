#pragma once
// The scheduler's service core: select_destinations as Nova's SchedulerManager does it at
// Zed (nova/scheduler/manager.py), below the RPC seam. The nova-scheduler RPC endpoint
// decodes the request and calls SelectDestinations; everything else lives here.
//
// Per request: the flavor's resources -> allocation candidates (placement tables) -> host
// states of those providers -> for each instance: filters, weighers, a random pick among the
// host_subset_size best, then an atomic claim on it, trying the next host when a claim loses
// a race. When some instance finds no host, the claims already made for the request are
// removed and NoValidHost is raised (all or nothing). Each selection then gets up to
// max_attempts - 1 alternates from the same cell, unclaimed, each carrying the allocation
// request the conductor claims if it reschedules there.
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/common/context.hpp"
#include "nova/common/json.hpp"
#include "nova/conf/scheduler.hpp"
#include "nova/objects/request_spec.pb.h"
#include "nova/objects/selection.pb.h"
#include "nova/scheduler/filters.hpp"
#include "nova/scheduler/host_manager.hpp"
#include "nova/scheduler/placement.hpp"
#include "nova/scheduler/weights.hpp"

namespace nova::scheduler {

struct SchedulerConfig {
    conf::SchedulerOptions scheduler{};
    conf::FilterSchedulerOptions filter_scheduler{};
    std::string default_availability_zone = "nova";
    std::chrono::seconds service_down_time{60};
};

// [scheduler] and [filter_scheduler] at Nova's defaults (for tests and tools).
SchedulerConfig DefaultSchedulerConfig();

class Scheduler {
public:
    // Builds the filters and weighers: SchedulerHostFilterNotFound / ClassNotFound for
    // unknown names (a startup error).
    Scheduler(SchedulerConfig config, Placement& placement, HostManager& hosts,
              const Clock& clock, std::optional<std::uint64_t> seed = std::nullopt);

    // Nova's select_destinations(context, spec_obj, instance_uuids, return_objects,
    // return_alternates): one list per instance, the chosen (claimed) host first, then the
    // alternates when return_alternates (and return_objects) are true. Without instance
    // uuids nothing is claimed (Nova's legacy path for old conductors). NoValidHost when
    // some instance cannot be placed.
    std::vector<std::vector<objects::Selection>> SelectDestinations(
        const RequestContext& context, objects::RequestSpec spec,
        const std::vector<std::string>& instance_uuids, bool return_objects,
        bool return_alternates);

    // What return_objects=false answers: {"host", "nodename", "limits"} per instance.
    static Json LegacyDestination(const objects::Selection& selection);

    const std::vector<std::unique_ptr<HostFilter>>& filters() const { return filters_; }
    const std::vector<std::unique_ptr<HostWeigher>>& weighers() const { return weighers_; }

private:
    struct Sorted {
        std::vector<HostState*> hosts;
        std::string filter_message;  // Nova's "Filtering removed all hosts ..." if it did
    };
    Sorted GetSortedHosts(const objects::RequestSpec& spec, const std::vector<HostState*>& hosts,
                          int index);
    objects::Selection MakeSelection(const HostState& host,
                                     const AllocationCandidate* candidate) const;

    SchedulerConfig config_;
    Placement& placement_;
    HostManager& hosts_;
    const Clock& clock_;
    std::vector<std::unique_ptr<HostFilter>> filters_;
    std::vector<std::unique_ptr<HostWeigher>> weighers_;
    std::mutex rng_mu_;
    std::mt19937_64 rng_;
};

// Python's json.dumps (", " and ": " separators), as Nova serializes allocation requests.
std::string PythonJsonDumps(const Json& value);

// Restricts hosts by the request's requested_destination, ignore_hosts, force_hosts and
// force_nodes (Nova's HostManager.get_filtered_hosts, before the filters run).
std::vector<HostState*> RestrictHosts(const std::vector<HostState*>& hosts,
                                      const objects::RequestSpec& spec);

}  // namespace nova::scheduler
