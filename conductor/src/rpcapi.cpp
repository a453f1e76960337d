#include "nova/conductor/rpcapi.hpp"

#include "nova/objects/object.hpp"

namespace nova::conductor {

namespace {

template <class T>
Json ToPrimitives(const std::vector<T>& objects_in) {
    Json list = Json::array();
    for (const auto& object : objects_in) list.push_back(objects::ToPrimitive(object));
    return list;
}

Json SelectionsToPrimitive(const std::vector<objects::Selection>& selections) {
    return ToPrimitives(selections);
}

std::chrono::milliseconds Ms(std::chrono::seconds s) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(s);
}

}  // namespace

const rpc::ReleaseCaps& ConductorReleaseCaps() {
    static const rpc::ReleaseCaps caps{
        {"grizzly", "1.48"}, {"havana", "1.58"}, {"icehouse", "2.0"}, {"juno", "2.0"},
        {"kilo", "2.1"},     {"liberty", "3.0"}, {"mitaka", "3.0"},   {"newton", "3.0"},
        {"ocata", "3.0"}};
    return caps;
}

ConductorRpcApi::ConductorRpcApi(std::shared_ptr<rpc::Transport> transport,
                                 const conf::UpgradeLevelsOptions& upgrade_levels)
    : client_(std::move(transport), rpc::Target{.topic = kTopic, .version = "3.0"},
              rpc::ResolveVersionCap(upgrade_levels.conductor, ConductorReleaseCaps())) {}

Json ConductorRpcApi::ObjectClassActionVersions(const RequestContext& context,
                                                const std::string& objname,
                                                const std::string& objmethod,
                                                const Json& object_versions, Json args,
                                                Json kwargs) const {
    return client_.Call(context, "object_class_action_versions",
                        {{"objname", objname},
                         {"objmethod", objmethod},
                         {"object_versions", object_versions},
                         {"args", std::move(args)},
                         {"kwargs", std::move(kwargs)}});
}

Json ConductorRpcApi::ObjectAction(const RequestContext& context, Json objinst,
                                   const std::string& objmethod, Json args, Json kwargs) const {
    return client_.Call(context, "object_action",
                        {{"objinst", std::move(objinst)},
                         {"objmethod", objmethod},
                         {"args", std::move(args)},
                         {"kwargs", std::move(kwargs)}});
}

Json ConductorRpcApi::ObjectBackportVersions(const RequestContext& context, Json objinst,
                                             const Json& object_versions) const {
    return client_.Call(context, "object_backport_versions",
                        {{"objinst", std::move(objinst)}, {"object_versions", object_versions}});
}

ComputeTaskRpcApi::ComputeTaskRpcApi(std::shared_ptr<rpc::Transport> transport,
                                     const conf::UpgradeLevelsOptions& upgrade_levels,
                                     const conf::MessagingOptions& messaging)
    : client_(std::move(transport),
              rpc::Target{.topic = kTopic, .namespace_ = kNamespace, .version = "1.0"},
              rpc::ResolveVersionCap(upgrade_levels.conductor, ConductorReleaseCaps())),
      rpc_response_timeout_(messaging.rpc_response_timeout),
      long_rpc_timeout_(messaging.long_rpc_timeout) {}

void ComputeTaskRpcApi::ScheduleAndBuildInstances(
    const RequestContext& context, const std::vector<objects::BuildRequest>& build_requests,
    const std::vector<objects::RequestSpec>& request_specs, Json image,
    std::optional<std::string> admin_password, Json injected_files, Json requested_networks,
    Json block_device_mapping, Json tags) const {
    Json args{{"build_requests", ToPrimitives(build_requests)},
              {"request_specs", ToPrimitives(request_specs)},
              {"image", std::move(image)},
              {"admin_password", admin_password ? Json(*admin_password) : Json()},
              {"injected_files", std::move(injected_files)},
              {"requested_networks", std::move(requested_networks)},
              {"block_device_mapping", std::move(block_device_mapping)},
              {"tags", std::move(tags)}};
    std::string version = "1.17";
    if (!client_.CanSendVersion(version)) {
        version = "1.16";
        args.erase("tags");
    }
    client_.Prepare({.version = version}).Cast(context, "schedule_and_build_instances", std::move(args));
}

void ComputeTaskRpcApi::BuildInstances(
    const RequestContext& context, const std::vector<objects::Instance>& instances, Json image,
    Json filter_properties, std::optional<std::string> admin_password, Json injected_files,
    Json requested_networks, Json security_groups, Json block_device_mapping,
    const objects::RequestSpec& request_spec,
    const std::vector<std::vector<objects::Selection>>& host_lists) const {
    Json lists = Json::array();
    for (const auto& list : host_lists) lists.push_back(SelectionsToPrimitive(list));
    Json args{{"instances", ToPrimitives(instances)},
              {"image", std::move(image)},
              {"filter_properties", std::move(filter_properties)},
              {"admin_password", admin_password ? Json(*admin_password) : Json()},
              {"injected_files", std::move(injected_files)},
              {"requested_networks", std::move(requested_networks)},
              {"security_groups", std::move(security_groups)},
              {"block_device_mapping", std::move(block_device_mapping)},
              {"legacy_bdm", false},
              {"request_spec", objects::ToPrimitive(request_spec)},
              {"host_lists", std::move(lists)}};
    std::string version = "1.19";
    if (!client_.CanSendVersion(version)) {
        version = "1.18";
        args.erase("host_lists");
    }
    client_.Prepare({.version = version}).Cast(context, "build_instances", std::move(args));
}

void ComputeTaskRpcApi::MigrateServer(const RequestContext& context,
                                      const objects::Instance& instance, Json scheduler_hint,
                                      const objects::Flavor& flavor, bool clean_shutdown,
                                      const objects::RequestSpec& request_spec,
                                      const std::optional<std::vector<objects::Selection>>& host_list,
                                      bool do_cast) const {
    Json args{{"instance", objects::ToPrimitive(instance)},
              {"scheduler_hint", std::move(scheduler_hint)},
              {"live", false},
              {"rebuild", false},
              {"flavor", objects::ToPrimitive(flavor)},
              {"block_migration", nullptr},
              {"disk_over_commit", nullptr},
              {"reservations", nullptr},
              {"clean_shutdown", clean_shutdown},
              {"request_spec", objects::ToPrimitive(request_spec)},
              {"host_list", host_list ? SelectionsToPrimitive(*host_list) : Json()}};
    std::string version = "1.20";
    if (!client_.CanSendVersion(version)) {
        version = "1.13";
        args.erase("host_list");
    }
    auto prepared = client_.Prepare({.version = version,
                                     .timeout = Ms(long_rpc_timeout_),
                                     .call_monitor_timeout = rpc_response_timeout_});
    if (do_cast) {
        prepared.Cast(context, "migrate_server", std::move(args));
    } else {
        prepared.Call(context, "migrate_server", std::move(args));
    }
}

ResourceReportRpcApi::ResourceReportRpcApi(std::shared_ptr<rpc::Transport> transport)
    : client_(std::move(transport),
              rpc::Target{.topic = kTopic, .namespace_ = kNamespace, .version = "1.0"}) {}

std::int64_t ResourceReportRpcApi::ReportInventory(
    const RequestContext& context, const std::string& provider_uuid,
    const std::string& provider_name,
    const std::map<std::string, InventoryRecord>& inventories) const {
    Json records = Json::object();
    for (const auto& [resource_class, inv] : inventories) {
        records[resource_class] = {{"total", inv.total},         {"reserved", inv.reserved},
                                   {"min_unit", inv.min_unit},   {"max_unit", inv.max_unit},
                                   {"step_size", inv.step_size}, {"allocation_ratio", inv.allocation_ratio}};
    }
    auto reply = client_.Call(context, "report_inventory",
                              {{"provider_uuid", provider_uuid},
                               {"provider_name", provider_name},
                               {"inventories", std::move(records)}});
    return reply.get<std::int64_t>();
}

void ResourceReportRpcApi::DeleteAllocationForInstance(const RequestContext& context,
                                                       const std::string& instance_uuid) const {
    client_.Call(context, "delete_allocation_for_instance", {{"instance_uuid", instance_uuid}});
}

bool ResourceReportRpcApi::MoveAllocations(const RequestContext& context,
                                           const std::string& source_consumer,
                                           const std::string& target_consumer) const {
    auto reply = client_.Prepare({.version = "1.1"})
                     .Call(context, "move_allocations",
                           {{"source_consumer", source_consumer}, {"target_consumer", target_consumer}});
    return reply.is_boolean() && reply.get<bool>();
}

}  // namespace nova::conductor
