#pragma once
// What a service's manager gives the Service that runs it (Nova's nova/manager.py): the RPC
// endpoints it serves and the hooks around start, reload and stop. ComputeManager,
// ConductorManager and SchedulerManager implement it.
#include <string>
#include <vector>

#include "nova/rpc/server.hpp"

namespace nova::service {

class PeriodicTasks;

class Manager {
public:
    Manager() = default;
    Manager(const Manager&) = delete;
    Manager& operator=(const Manager&) = delete;
    virtual ~Manager() = default;

    // Nova's manager.service_name ("compute", "conductor", "scheduler"): what baseapi's
    // ping answers in "service".
    virtual std::string ServiceName() const = 0;
    // The manager's own endpoint and any additional ones (e.g. the conductor's compute_task).
    virtual std::vector<rpc::Endpoint> Endpoints() = 0;

    // Before the service record and the RPC server: reconcile local state (nova-compute's
    // init_host recovers instances left in a transitional state).
    virtual void InitHost() {}
    // After the service record exists, before consuming.
    virtual void PreStartHook() {}
    // Once the RPC server consumes.
    virtual void PostStartHook() {}
    // The manager's periodic tasks (run only when [DEFAULT] periodic_enable).
    virtual void AddPeriodicTasks(PeriodicTasks& /*tasks*/) {}
    // SIGHUP: drop caches that depend on configuration.
    virtual void Reset() {}
    // After the RPC server stopped and finished its in-flight requests.
    virtual void CleanupHost() {}
};

}  // namespace nova::service
