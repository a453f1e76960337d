#pragma once
// nova-conductor's manager (Nova's nova/conductor/manager.py ConductorManager): the object
// API that services without database access (nova-compute) call instead of a database.
//
//   object_class_action_versions(objname, objmethod, object_versions, args, kwargs)
//       a remotable classmethod ("Instance", "get_by_uuid"); an object result is backported
//       to the caller's manifest when the caller knows an older version.
//   object_action(objinst, objmethod, args, kwargs) -> [updates, result]
//       a remotable method of the object sent; `updates` has the fields that differ after the
//       call (child objects always, as Nova compares them by identity) and obj_what_changed.
//   object_backport_versions(objinst, object_versions) -> the object at the caller's versions.
//
// Unknown object names answer Nova's UnsupportedObjectError, unknown methods AttributeError.
// Served as the null-namespace endpoint, version 3.0.
#include <memory>
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/common/context.hpp"
#include "nova/common/json.hpp"
#include "nova/conductor/compute_task.hpp"
#include "nova/conductor/resource_report.hpp"
#include "nova/db/pool.hpp"
#include "nova/service/manager.hpp"
#include "nova/service/periodic.hpp"

namespace nova::conductor {

class ObjectApi {
public:
    // `cell` is the cell database of this conductor ([database]).
    ObjectApi(db::Pool& cell, const Clock& clock);
    ~ObjectApi();
    ObjectApi(const ObjectApi&) = delete;
    ObjectApi& operator=(const ObjectApi&) = delete;

    Json ObjectClassActionVersions(const RequestContext& context, const std::string& objname,
                                   const std::string& objmethod, const Json& object_versions,
                                   const Json& args, const Json& kwargs);
    Json ObjectAction(const RequestContext& context, const Json& objinst,
                      const std::string& objmethod, const Json& args, const Json& kwargs);
    Json ObjectBackportVersions(const RequestContext& context, const Json& objinst,
                                const Json& object_versions);

    // The null-namespace endpoint (3.0) with the three methods above.
    rpc::Endpoint Endpoint();

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

class ConductorManager : public service::Manager {
public:
    // `api` is [api_database] (placement, build requests, mappings), `cell` [database].
    // `compute_task` (optional) adds the compute_task namespace.
    ConductorManager(db::Pool& api, db::Pool& cell, const Clock& clock,
                     ComputeTaskManager* compute_task = nullptr);
    std::string ServiceName() const override { return "conductor"; }
    std::vector<rpc::Endpoint> Endpoints() override;
    // With compute_task: the orphaned-build sweep (ComputeTaskManager::ReapOrphanedBuilds)
    // every minute, or every orphaned_build_timeout when that is shorter.
    void AddPeriodicTasks(service::PeriodicTasks& tasks) override;
    ObjectApi& object_api() { return object_api_; }

private:
    ObjectApi object_api_;
    ResourceReport resource_report_;
    ComputeTaskManager* compute_task_;
};

}  // namespace nova::conductor
