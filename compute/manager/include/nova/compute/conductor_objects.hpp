#pragma once
// nova-compute's remotable objects: every read and write of the database goes to the
// conductor as Nova's indirection API does it (object_class_action_versions for
// classmethods, object_action for methods of an object). An object_action sends the object
// with its changes and gets back [updates, result]; the updates are applied to the local
// object and its change tracking reset to what the conductor says is still changed
// (updates["obj_what_changed"]), exactly as oslo.versionedobjects' remotable decorator does.
//
// On top of it: ServiceRecords (the service record and heartbeat of nova::service) and the
// ResourceReporter of the resource tracker (ComputeNode via objects, inventory via the
// nova_cpp_placement API).
#include <optional>
#include <string>
#include <vector>

#include "nova/common/context.hpp"
#include "nova/common/json.hpp"
#include "nova/compute/resource_tracker.hpp"
#include "nova/conductor/rpcapi.hpp"
#include "nova/objects/compute_node.pb.h"
#include "nova/objects/instance.pb.h"
#include "nova/objects/instance_fault.pb.h"
#include "nova/objects/migration.pb.h"
#include "nova/objects/object.hpp"
#include "nova/objects/service.pb.h"
#include "nova/service/service_record.hpp"

namespace nova::compute {

// Nova's obj_tree_get_versions(name): the object and every object class reachable through
// its fields, each at this build's version. Sent as object_versions so the conductor can
// backport what it returns.
Json ObjectTreeVersions(const objects::Descriptor& type);

// Applies an object_action's `updates` to `object` (Nova's remotable wrapper).
void ApplyUpdates(objects::Message& object, const Json& updates);

class ConductorObjects {
public:
    explicit ConductorObjects(const conductor::ConductorRpcApi& api) : api_(api) {}

    // --- Instance / InstanceList ------------------------------------------------------
    objects::Instance GetInstance(const RequestContext& context, const std::string& uuid,
                                  const std::vector<std::string>& expected_attrs = {"flavor"});
    std::vector<objects::Instance> InstancesByHost(
        const RequestContext& context, const std::string& host,
        const std::vector<std::string>& expected_attrs = {"flavor"});
    // Instance.save. `expected_task_state`: nullopt sends no expectation; otherwise a string,
    // null or a list of them (Nova's expected_task_state kwarg). The conductor raises
    // UnexpectedTaskStateError (or UnexpectedDeletingTaskStateError) when the row differs.
    void SaveInstance(const RequestContext& context, objects::Instance& instance,
                      std::optional<Json> expected_task_state = std::nullopt);
    void RefreshInstance(const RequestContext& context, objects::Instance& instance);
    void DestroyInstance(const RequestContext& context, objects::Instance& instance);

    // --- Service ------------------------------------------------------------------------
    std::optional<objects::Service> GetService(const RequestContext& context,
                                               const std::string& host,
                                               const std::string& binary);
    void CreateService(const RequestContext& context, objects::Service& service);
    void SaveService(const RequestContext& context, objects::Service& service);

    // --- ComputeNode --------------------------------------------------------------------
    // nullopt when the conductor answers ComputeHostNotFound.
    std::optional<objects::ComputeNode> GetComputeNode(const RequestContext& context,
                                                       const std::string& host,
                                                       const std::string& nodename);
    void CreateComputeNode(const RequestContext& context, objects::ComputeNode& node);
    void SaveComputeNode(const RequestContext& context, objects::ComputeNode& node);

    // --- Migration, actions, faults ---------------------------------------------------
    void SaveMigration(const RequestContext& context, objects::Migration& migration);
    // MigrationList.get_in_progress_and_error(host, node): the moves the resource tracker
    // counts on this node.
    std::vector<objects::Migration> MigrationsInProgress(const RequestContext& context,
                                                         const std::string& host,
                                                         const std::string& node);
    // InstanceActionEvent.event_start(uuid, event, want_result=False, host=host).
    void EventStart(const RequestContext& context, const std::string& instance_uuid,
                    const std::string& event_name, const std::string& host);
    // event_finish_with_failure(uuid, event, exc_val, exc_tb, want_result=False): null
    // exc_val records success.
    void EventFinish(const RequestContext& context, const std::string& instance_uuid,
                     const std::string& event_name, std::optional<std::string> exc_val = {},
                     std::optional<std::string> exc_tb = {});
    // InstanceFault.create.
    void CreateFault(const RequestContext& context, objects::InstanceFault& fault);

private:
    // object_action: sends `object`, applies the updates, returns the result.
    Json Action(const RequestContext& context, objects::Message& object,
                const std::string& method, Json kwargs = Json::object());
    Json ClassAction(const RequestContext& context, const objects::Descriptor& type,
                     const std::string& method, Json args, Json kwargs);

    const conductor::ConductorRpcApi& api_;
};

// The service record of a nova-compute, kept through the conductor.
class ConductorServiceRecords final : public service::ServiceRecords {
public:
    explicit ConductorServiceRecords(ConductorObjects& objects)
        : objects_(objects), context_(RequestContext::Admin()) {}
    std::optional<objects::Service> Find(const std::string& host,
                                         const std::string& binary) override;
    void Create(objects::Service& service) override;
    void Save(objects::Service& service) override;

private:
    ConductorObjects& objects_;
    RequestContext context_;
};

// The resource tracker's output: ComputeNode records via objects, inventory through the
// conductor's nova_cpp_placement API.
class ConductorResourceReporter final : public ResourceReporter {
public:
    ConductorResourceReporter(ConductorObjects& objects,
                              const conductor::ResourceReportRpcApi& placement)
        : objects_(objects), placement_(placement) {}
    std::optional<objects::ComputeNode> GetComputeNode(const RequestContext& context,
                                                       const std::string& host,
                                                       const std::string& nodename) override;
    objects::ComputeNode CreateComputeNode(const RequestContext& context,
                                           const objects::ComputeNode& node) override;
    void SaveComputeNode(const RequestContext& context, const objects::ComputeNode& node) override;
    void UpdateInventory(const RequestContext& context, const std::string& provider_uuid,
                         const std::string& provider_name, const Inventory& inventory) override;

private:
    ConductorObjects& objects_;
    const conductor::ResourceReportRpcApi& placement_;
};

}  // namespace nova::compute
