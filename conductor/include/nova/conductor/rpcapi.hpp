#pragma once
// Client stubs of nova-conductor: topic "conductor", two APIs served by the same queue.
//
// ConductorRpcApi — Nova's ConductorAPI (nova/conductor/rpcapi.py), no namespace, target 3.0:
// the database work of services that have no database (nova-compute) as remotable object
// calls. Version history (1.x and 2.x long gone from the wire):
//   1.50 - Added object_action() and object_class_action()
//   2.3  - Add object_class_action_versions()
//   3.0  - Drop backwards compatibility
//          ... Liberty through Zed support message version 3.0
//
// ComputeTaskRpcApi — Nova's ComputeTaskAPI, namespace "compute_task", target 1.0:
//   1.1  - Added unified migrate_server call
//   1.2  - Added build_instances
//   1.6  - Made migrate_server use instance objects
//   1.10 - Made migrate_server() and build_instances() send flavor objects
//   1.11 - Added clean_shutdown to migrate_server()
//   1.13 - Added request_spec to migrate_server()
//   1.16 - Added schedule_and_build_instances
//   1.17 - Added tags to schedule_and_build_instances()
//   1.18 - Added request_spec to build_instances()
//   1.19 - build_instances() now gets a 'host_lists' parameter (alternates per instance)
//   1.20 - migrate_server() now gets a 'host_list' parameter (alternates)
//   1.21 - Added cache_images()
//   1.22 - Added confirm_snapshot_based_resize()
//   1.23 - Added revert_snapshot_based_resize()
//   1.24 - Add reimage_boot_volume parameter to rebuild_instance()  (Zed)
// We send the newest version of each method we implement; [upgrade_levels] conductor caps
// both APIs as in Nova.
//
// ResourceReportRpcApi — nova-cpp's own namespace "nova_cpp_placement", 1.0. Nova's computes
// talk to the Placement service over HTTP; ours keep placement in the API database, so a
// compute reports its inventory and drops allocations through the conductor instead. A new
// namespace keeps Nova's version numbers above honest.
//   1.0 - report_inventory, delete_allocation_for_instance
//   1.1 - move_allocations (resize revert; confirm drops the migration's consumer with
//         delete_allocation_for_instance)
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nova/common/context.hpp"
#include "nova/conf/messaging.hpp"
#include "nova/conf/upgrade_levels.hpp"
#include "nova/objects/block_device.pb.h"
#include "nova/objects/build_request.pb.h"
#include "nova/objects/flavor.pb.h"
#include "nova/objects/instance.pb.h"
#include "nova/objects/request_spec.pb.h"
#include "nova/objects/selection.pb.h"
#include "nova/rpc/client.hpp"
#include "nova/rpc/version_cap.hpp"

namespace nova::rpc {
class Transport;
}

namespace nova::conductor {

inline constexpr const char* kTopic = "conductor";

// [upgrade_levels] conductor = <release>.
const rpc::ReleaseCaps& ConductorReleaseCaps();

class ConductorRpcApi {
public:
    static constexpr const char* kLatestVersion = "3.0";

    ConductorRpcApi(std::shared_ptr<rpc::Transport> transport,
                    const conf::UpgradeLevelsOptions& upgrade_levels);

    // A classmethod of a remotable object, e.g. ("Instance", "get_by_uuid", {"uuid": ...}).
    // `object_versions` is the caller's {object name: version} manifest, so the conductor can
    // backport what it returns. Returns the method's result as a primitive (objects as
    // nova_object dicts).
    Json ObjectClassActionVersions(const RequestContext& context, const std::string& objname,
                                   const std::string& objmethod, const Json& object_versions,
                                   Json args, Json kwargs) const;
    // A method of a remotable object instance, e.g. (instance, "save", {}, {...}). The reply
    // is [updates, result]: the fields the conductor changed on the object, and the result.
    Json ObjectAction(const RequestContext& context, Json objinst, const std::string& objmethod,
                      Json args, Json kwargs) const;
    Json ObjectBackportVersions(const RequestContext& context, Json objinst,
                                const Json& object_versions) const;

    const rpc::Client& client() const { return client_; }

private:
    rpc::Client client_;
};

class ComputeTaskRpcApi {
public:
    static constexpr const char* kNamespace = "compute_task";
    static constexpr const char* kLatestVersion = "1.24";

    ComputeTaskRpcApi(std::shared_ptr<rpc::Transport> transport,
                      const conf::UpgradeLevelsOptions& upgrade_levels,
                      const conf::MessagingOptions& messaging);

    // nova-api's boot: the instances exist only as BuildRequests (API database) until the
    // conductor has scheduled them. `image` is the Glance image dict, `requested_networks`
    // a NetworkRequestList primitive (or null), `block_device_mapping` a
    // BlockDeviceMappingList primitive, `tags` a TagList primitive (or null).
    void ScheduleAndBuildInstances(const RequestContext& context,
                                   const std::vector<objects::BuildRequest>& build_requests,
                                   const std::vector<objects::RequestSpec>& request_specs,
                                   Json image, std::optional<std::string> admin_password,
                                   Json injected_files, Json requested_networks,
                                   Json block_device_mapping, Json tags) const;

    // A compute's reschedule after a failed build: the remaining alternates in `host_lists`.
    void BuildInstances(const RequestContext& context, const std::vector<objects::Instance>& instances,
                        Json image, Json filter_properties,
                        std::optional<std::string> admin_password, Json injected_files,
                        Json requested_networks, Json security_groups,
                        Json block_device_mapping, const objects::RequestSpec& request_spec,
                        const std::vector<std::vector<objects::Selection>>& host_lists) const;

    // Resize (new flavor) or cold migration (the current flavor), live=false, rebuild=false.
    // Nova's API calls this (do_cast=false) and waits for the conductor to have picked a host;
    // compute-side reschedules cast it with `host_list` alternates.
    void MigrateServer(const RequestContext& context, const objects::Instance& instance,
                       Json scheduler_hint, const objects::Flavor& flavor, bool clean_shutdown,
                       const objects::RequestSpec& request_spec,
                       const std::optional<std::vector<objects::Selection>>& host_list,
                       bool do_cast) const;

    const rpc::Client& client() const { return client_; }

private:
    rpc::Client client_;
    std::chrono::seconds rpc_response_timeout_;
    std::chrono::seconds long_rpc_timeout_;
};

// One resource class of a provider's inventory, as Placement names its fields.
struct InventoryRecord {
    std::int64_t total = 0;
    std::int64_t reserved = 0;
    std::int64_t min_unit = 1;
    std::int64_t max_unit = 0;
    std::int64_t step_size = 1;
    double allocation_ratio = 1.0;
};

class ResourceReportRpcApi {
public:
    static constexpr const char* kNamespace = "nova_cpp_placement";
    static constexpr const char* kLatestVersion = "1.1";

    explicit ResourceReportRpcApi(std::shared_ptr<rpc::Transport> transport);

    // Creates the provider (uuid = the compute node's uuid, name = its hypervisor_hostname)
    // when missing and replaces its inventory, retrying generation conflicts on the conductor
    // side. Returns the provider's new generation.
    std::int64_t ReportInventory(const RequestContext& context, const std::string& provider_uuid,
                                 const std::string& provider_name,
                                 const std::map<std::string, InventoryRecord>& inventories) const;
    // Drops every allocation the instance holds (after its delete, or a failed build).
    void DeleteAllocationForInstance(const RequestContext& context,
                                     const std::string& instance_uuid) const;
    // 1.1: the target consumer's allocations become the source's (Nova's report client
    // move_allocations). False when the source holds nothing.
    bool MoveAllocations(const RequestContext& context, const std::string& source_consumer,
                         const std::string& target_consumer) const;

private:
    rpc::Client client_;
};

}  // namespace nova::conductor
