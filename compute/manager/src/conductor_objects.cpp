#include "nova/compute/conductor_objects.hpp"

#include <set>

#include "nova/common/error.hpp"
#include "nova/objects/instance_action.pb.h"

namespace nova::compute {
namespace {

void CollectTree(const objects::Descriptor& type, Json& out) {
    if (out.contains(type.name())) return;
    out[type.name()] = objects::SchemaVersion(type).ToString();
    for (const auto* field : objects::ObjectFields(type)) {
        const auto* child = field->message_type();
        if (child != nullptr && objects::IsObject(*child)) CollectTree(*child, out);
    }
}

template <class T>
T ObjectFrom(const Json& primitive) {
    return objects::FromPrimitiveAs<T>(primitive);
}

Json ToJsonArray(const std::vector<std::string>& items) {
    Json out = Json::array();
    for (const auto& item : items) out.push_back(item);
    return out;
}

}  // namespace

Json ObjectTreeVersions(const objects::Descriptor& type) {
    Json out = Json::object();
    CollectTree(type, out);
    return out;
}

void ApplyUpdates(objects::Message& object, const Json& updates) {
    if (!updates.is_object()) return;
    std::set<std::string> known;
    for (const auto* field : objects::ObjectFields(*object.GetDescriptor())) {
        known.insert(field->name());
    }
    for (const auto& [key, value] : updates.items()) {
        if (key == "obj_what_changed" || !known.contains(key)) continue;
        objects::FieldFromPrimitive(object, key, value);
    }
    objects::ResetChanges(object, /*recursive=*/true);
    if (auto it = updates.find("obj_what_changed"); it != updates.end() && it->is_array()) {
        for (const auto& name : *it) {
            if (name.is_string() && known.contains(name.get<std::string>())) {
                objects::MarkChanged(object, name.get<std::string>());
            }
        }
    }
}

Json ConductorObjects::Action(const RequestContext& context, objects::Message& object,
                              const std::string& method, Json kwargs) {
    Json reply = api_.ObjectAction(context, objects::ToPrimitive(object), method, Json::array(),
                                   std::move(kwargs));
    if (!reply.is_array() || reply.size() != 2) {
        throw NovaError::WithMessage("object_action " + method + " on " +
                                     object.GetDescriptor()->name() +
                                     ": the conductor's reply is not [updates, result]");
    }
    ApplyUpdates(object, reply[0]);
    return reply[1];
}

Json ConductorObjects::ClassAction(const RequestContext& context,
                                   const objects::Descriptor& type, const std::string& method,
                                   Json args, Json kwargs) {
    return api_.ObjectClassActionVersions(context, type.name(), method, ObjectTreeVersions(type),
                                          std::move(args), std::move(kwargs));
}

objects::Instance ConductorObjects::GetInstance(const RequestContext& context,
                                                const std::string& uuid,
                                                const std::vector<std::string>& expected_attrs) {
    Json result = ClassAction(context, *objects::Instance::descriptor(), "get_by_uuid",
                              Json::array(),
                              {{"uuid", uuid}, {"expected_attrs", ToJsonArray(expected_attrs)}});
    return ObjectFrom<objects::Instance>(result);
}

std::vector<objects::Instance> ConductorObjects::InstancesByHost(
    const RequestContext& context, const std::string& host,
    const std::vector<std::string>& expected_attrs) {
    Json result = ClassAction(context, *objects::InstanceList::descriptor(), "get_by_host",
                              Json::array({host}),
                              {{"expected_attrs", ToJsonArray(expected_attrs)}});
    auto list = ObjectFrom<objects::InstanceList>(result);
    return {list.objects().begin(), list.objects().end()};
}

std::vector<objects::Migration> ConductorObjects::MigrationsInProgress(
    const RequestContext& context, const std::string& host, const std::string& node) {
    Json result = ClassAction(context, *objects::MigrationList::descriptor(),
                              "get_in_progress_and_error", Json::array({host, node}),
                              Json::object());
    auto list = ObjectFrom<objects::MigrationList>(result);
    return {list.objects().begin(), list.objects().end()};
}

void ConductorObjects::SaveInstance(const RequestContext& context, objects::Instance& instance,
                                    std::optional<Json> expected_task_state) {
    Json kwargs = Json::object();
    if (expected_task_state) kwargs["expected_task_state"] = std::move(*expected_task_state);
    Action(context, instance, "save", std::move(kwargs));
}

void ConductorObjects::RefreshInstance(const RequestContext& context,
                                       objects::Instance& instance) {
    Action(context, instance, "refresh");
}

void ConductorObjects::DestroyInstance(const RequestContext& context,
                                       objects::Instance& instance) {
    Action(context, instance, "destroy");
}

std::optional<objects::Service> ConductorObjects::GetService(const RequestContext& context,
                                                             const std::string& host,
                                                             const std::string& binary) {
    Json result = ClassAction(context, *objects::Service::descriptor(), "get_by_host_and_binary",
                              Json::array({host, binary}), Json::object());
    if (result.is_null()) return std::nullopt;
    return ObjectFrom<objects::Service>(result);
}

void ConductorObjects::CreateService(const RequestContext& context, objects::Service& service) {
    Action(context, service, "create");
}

void ConductorObjects::SaveService(const RequestContext& context, objects::Service& service) {
    Action(context, service, "save");
}

std::optional<objects::ComputeNode> ConductorObjects::GetComputeNode(
    const RequestContext& context, const std::string& host, const std::string& nodename) {
    try {
        Json result = ClassAction(context, *objects::ComputeNode::descriptor(),
                                  "get_by_host_and_nodename", Json::array({host, nodename}),
                                  Json::object());
        if (result.is_null()) return std::nullopt;
        return ObjectFrom<objects::ComputeNode>(result);
    } catch (const ComputeHostNotFound&) {
        return std::nullopt;
    }
}

void ConductorObjects::CreateComputeNode(const RequestContext& context,
                                         objects::ComputeNode& node) {
    Action(context, node, "create");
}

void ConductorObjects::SaveComputeNode(const RequestContext& context,
                                       objects::ComputeNode& node) {
    Action(context, node, "save");
}

void ConductorObjects::SaveMigration(const RequestContext& context,
                                     objects::Migration& migration) {
    Action(context, migration, "save");
}

void ConductorObjects::EventStart(const RequestContext& context,
                                  const std::string& instance_uuid,
                                  const std::string& event_name, const std::string& host) {
    ClassAction(context, *objects::InstanceActionEvent::descriptor(), "event_start",
                Json::array({instance_uuid, event_name}),
                {{"want_result", false}, {"host", host}});
}

void ConductorObjects::EventFinish(const RequestContext& context,
                                   const std::string& instance_uuid,
                                   const std::string& event_name,
                                   std::optional<std::string> exc_val,
                                   std::optional<std::string> exc_tb) {
    ClassAction(context, *objects::InstanceActionEvent::descriptor(), "event_finish_with_failure",
                Json::array({instance_uuid, event_name}),
                {{"exc_val", exc_val ? Json(*exc_val) : Json()},
                 {"exc_tb", exc_tb ? Json(*exc_tb) : Json()},
                 {"want_result", false}});
}

void ConductorObjects::CreateFault(const RequestContext& context,
                                   objects::InstanceFault& fault) {
    Action(context, fault, "create");
}

// --- ServiceRecords ------------------------------------------------------------------------

std::optional<objects::Service> ConductorServiceRecords::Find(const std::string& host,
                                                              const std::string& binary) {
    return objects_.GetService(context_, host, binary);
}

void ConductorServiceRecords::Create(objects::Service& service) {
    objects_.CreateService(context_, service);
}

void ConductorServiceRecords::Save(objects::Service& service) {
    objects_.SaveService(context_, service);
}

// --- ResourceReporter ------------------------------------------------------------------------

std::optional<objects::ComputeNode> ConductorResourceReporter::GetComputeNode(
    const RequestContext& context, const std::string& host, const std::string& nodename) {
    return objects_.GetComputeNode(context, host, nodename);
}

objects::ComputeNode ConductorResourceReporter::CreateComputeNode(
    const RequestContext& context, const objects::ComputeNode& node) {
    objects::ComputeNode created = node;
    objects_.CreateComputeNode(context, created);
    return created;
}

void ConductorResourceReporter::SaveComputeNode(const RequestContext& context,
                                                const objects::ComputeNode& node) {
    objects::ComputeNode copy = node;
    objects_.SaveComputeNode(context, copy);
}

void ConductorResourceReporter::UpdateInventory(const RequestContext& context,
                                                const std::string& provider_uuid,
                                                const std::string& provider_name,
                                                const Inventory& inventory) {
    std::map<std::string, conductor::InventoryRecord> records;
    for (const auto& [rc, record] : inventory) {
        records[rc] = conductor::InventoryRecord{record.total,     record.reserved,
                                                 record.min_unit,  record.max_unit,
                                                 record.step_size, record.allocation_ratio};
    }
    placement_.ReportInventory(context, provider_uuid, provider_name, records);
}

}  // namespace nova::compute
