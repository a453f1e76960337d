#pragma once
// The pieces of one nova-scheduler process, built from configuration: the API database pool
// (placement tables, aggregates, cell mappings), one pool per cell database (compute nodes,
// services, instances; cell0 has none), the host manager and the Scheduler. main.cpp builds
// one; the RPC endpoint calls its Scheduler.
#include <memory>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/conf/database.hpp"
#include "nova/db/pool.hpp"
#include "nova/scheduler/host_manager.hpp"
#include "nova/scheduler/placement.hpp"
#include "nova/scheduler/scheduler.hpp"

namespace nova::scheduler {

class SchedulerService {
public:
    // Reads the cell mappings from the API database (so it needs it reachable) and builds
    // the filters and weighers: SchedulerHostFilterNotFound / ClassNotFound for unknown
    // names, InvalidInput for a bad database URL.
    SchedulerService(const conf::DatabaseOptions& api_database,
                     const conf::DatabaseOptions& cell_database, SchedulerConfig config,
                     const Clock& clock);

    Scheduler& scheduler() { return *scheduler_; }
    Placement& placement() { return *placement_; }
    HostManager& host_manager() { return *host_manager_; }
    std::size_t cell_count() const { return cell_pools_.size(); }

private:
    std::unique_ptr<db::Pool> api_;
    std::vector<std::unique_ptr<db::Pool>> cell_pools_;
    std::unique_ptr<Placement> placement_;
    std::unique_ptr<HostManager> host_manager_;
    std::unique_ptr<Scheduler> scheduler_;
};

}  // namespace nova::scheduler
