#pragma once
// The conductor's compute_task endpoint (Nova's ComputeTaskManager, namespace "compute_task",
// 1.24): the boot of servers after the API recorded them as BuildRequests, and the
// reschedule of a failed build onto an alternate host.
//
// schedule_and_build_instances: select_destinations with alternates; per instance the
//   Instance is created in its host's cell from the BuildRequest, its InstanceMapping points
//   at the cell, the BuildRequest is deleted (already gone = the user deleted the server:
//   the instance is destroyed again and its allocations freed), the 'create' action is
//   recorded and build_and_run_instance is cast to compute.<host> with the other alternates
//   as host_list. A scheduling failure (NoValidHost) buries every instance in cell0: ERROR
//   with the fault, mapping to cell0, BuildRequest deleted; no allocation exists then.
// build_instances (a compute's reschedule, host_lists given): retry.num_attempts past
//   [scheduler] max_attempts, or no alternate whose allocation_request can still be claimed,
//   is MaxRetriesExceeded: ERROR with the fault, and the instance's allocations are freed
//   (nova-cpp frees them so that an errored build holds nothing; Nova keeps them until
//   delete). Otherwise the claimed alternate gets build_and_run_instance with the rest.
// Quotas (instances, cores, ram) are checked again once the instances exist in their cells
// (Nova's recheck_quota): a project found over its limits gets its new instances in ERROR
// with the TooManyInstances fault, their allocations freed, their BuildRequests deleted.
// migrate_server (live=false, rebuild=false: resize with a new flavor, or cold migration):
//   a Migration record (pre-migrating; 'resize' or 'migration'), the instance's allocations
//   moved to the migration's consumer, select_destinations with the new flavor (the source
//   host ignored) which claims the destination for the instance, then prep_resize cast to
//   the destination with the alternates. NoValidHost (or any failure before the cast) puts
//   the allocations back on the instance, the migration in 'error', the instance back to its
//   vm_state with task_state None and a fault, and answers NoValidHost "No valid host found
//   for cold migrate" / "... for resize" as Nova does.
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/compute/rpcapi.hpp"
#include "nova/conf/database.hpp"
#include "nova/db/pool.hpp"
#include "nova/objects/build_request.pb.h"
#include "nova/objects/cell_mapping.pb.h"
#include "nova/objects/flavor.pb.h"
#include "nova/objects/instance.pb.h"
#include "nova/objects/request_spec.pb.h"
#include "nova/objects/selection.pb.h"
#include "nova/rpc/server.hpp"
#include "nova/scheduler/rpcapi.hpp"

namespace nova::conductor {

// The cell databases, by cell mapping (one pool per cell, opened on first use).
class CellDatabases {
public:
    CellDatabases(db::Pool& api, conf::DatabaseOptions options, const Clock& clock);
    // A pool for a cell already open elsewhere (tests, or the conductor's own [database]).
    void Register(const std::string& cell_uuid, db::Pool& pool);
    db::Pool& Get(const objects::CellMapping& cell);
    objects::CellMapping Cell0();
    // HostMappingNotFound when the host is in no cell.
    objects::CellMapping ForHost(const std::string& host);
    // The cell of an instance (InstanceMappingNotFound; cell_mapping unset while building).
    objects::CellMapping ForInstance(const std::string& instance_uuid);

private:
    db::Pool& api_;
    conf::DatabaseOptions options_;
    const Clock& clock_;
    std::mutex mutex_;
    std::map<std::string, db::Pool*> registered_;
    std::map<std::string, std::unique_ptr<db::Pool>> owned_;
};

struct ComputeTaskOptions {
    std::string host;      // [DEFAULT] host: faults name it
    int max_attempts = 3;  // [scheduler] max_attempts
    // [quota] defaults by Nova's resource names (conf::QuotaOptions::Limits()); resources
    // without an entry are unlimited unless the database sets a limit.
    std::map<std::string, std::int64_t> quota_defaults = {};
    // How old a build that never reached a compute must be before ReapOrphanedBuilds fails
    // it ([DEFAULT] instance_build_timeout, 1800 s when that is 0).
    std::chrono::seconds orphaned_build_timeout{1800};
    // The most schedule_and_build_instances run at once (0: as many as RPC workers). Each is
    // a scheduler call and a dozen database round trips; on a backlog 64 of them at once kept
    // 30-45 MariaDB threads runnable on a 2-core machine, every API request queued behind
    // them, and finished the backlog no sooner than a few per core do.
    int max_concurrent_builds = 0;
};

class ComputeTaskManager {
public:
    ComputeTaskManager(db::Pool& api, CellDatabases& cells, const Clock& clock,
                       const scheduler::SchedulerRpcApi& scheduler,
                       const compute::ComputeRpcApi& compute, ComputeTaskOptions options);

    void ScheduleAndBuildInstances(const RequestContext& context,
                                   std::vector<objects::BuildRequest> build_requests,
                                   std::vector<objects::RequestSpec> request_specs, const Json& image,
                                   const Json& admin_password, const Json& injected_files,
                                   const Json& requested_networks, const Json& block_device_mapping,
                                   const Json& tags);
    void BuildInstances(const RequestContext& context, std::vector<objects::Instance> instances,
                        const Json& image, Json filter_properties, const Json& admin_password,
                        const Json& injected_files, const Json& requested_networks,
                        const Json& security_groups, const Json& block_device_mapping,
                        const objects::RequestSpec& request_spec,
                        std::vector<std::vector<objects::Selection>> host_lists);

    void MigrateServer(const RequestContext& context, objects::Instance instance, const objects::Flavor& flavor,
                       bool clean_shutdown, objects::RequestSpec request_spec,
                       std::optional<std::vector<objects::Selection>> host_list);

    // The periodic sweep for builds whose conductor died (casts are acked on arrival, so a
    // conductor killed mid-build loses the request for good): a BuildRequest older than
    // orphaned_build_timeout is buried in cell0 (ERROR with a BuildAbortException fault,
    // allocations freed), or, when its instance already exists in a cell, that instance goes
    // to ERROR; an instance still building without a host after the timeout (the cast never
    // reached a compute) goes to ERROR too. Instances that reached a compute are the
    // compute's (instance_build_timeout, init_host). Returns how many it failed.
    int ReapOrphanedBuilds(const RequestContext& context);
    std::chrono::seconds orphaned_build_timeout() const { return options_.orphaned_build_timeout; }

    // Namespace compute_task, 1.24.
    rpc::Endpoint Endpoint();

private:
    void BuryInCell0(const RequestContext& context, const std::vector<objects::BuildRequest>& build_requests,
                     const NovaError& error);
    // TooManyInstances when the project's live instances, cores or ram exceed its limits.
    void RecheckQuota(const std::string& project_id);
    void SetErrorWithFault(const RequestContext& context, db::Pool& cell, objects::Instance& instance,
                           const NovaError& error);

    db::Pool& api_;
    CellDatabases& cells_;
    const Clock& clock_;
    std::mutex builds_mu_;
    std::condition_variable builds_cv_;
    int builds_running_ = 0;
    const scheduler::SchedulerRpcApi& scheduler_;
    const compute::ComputeRpcApi& compute_;
    ComputeTaskOptions options_;
};

}  // namespace nova::conductor
