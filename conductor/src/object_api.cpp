// The conductor's object API: Nova's ConductorManager.object_class_action_versions,
// object_action and object_backport_versions over our stores (nova/conductor/manager.py).
#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "nova/common/error.hpp"
#include "nova/common/log.hpp"
#include "nova/common/time.hpp"
#include "nova/common/uuid.hpp"
#include "nova/conductor/manager.hpp"
#include "nova/db/block_device_store.hpp"
#include "nova/db/instance_action_store.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/db/migration_store.hpp"
#include "nova/db/service_store.hpp"
#include "nova/objects/block_device.pb.h"
#include "nova/objects/compute_node.pb.h"
#include "nova/objects/instance.pb.h"
#include "nova/objects/instance_action.pb.h"
#include "nova/objects/instance_fault.pb.h"
#include "nova/objects/instance_info_cache.pb.h"
#include "nova/objects/migration.pb.h"
#include "nova/objects/pci_device.pb.h"
#include "nova/objects/object.hpp"
#include "nova/objects/service.pb.h"
#include "nova/rpc/server.hpp"

namespace nova::conductor {
namespace {

using objects::Message;

// A Python argument: by keyword, else by position (context and self/cls not counted).
Json Arg(const Json& args, const Json& kwargs, std::size_t position, const char* name,
         Json fallback = nullptr) {
    if (kwargs.is_object()) {
        auto it = kwargs.find(name);
        if (it != kwargs.end()) return *it;
    }
    if (args.is_array() && position < args.size()) return args[position];
    return fallback;
}

std::string StringArg(const Json& args, const Json& kwargs, std::size_t position, const char* name) {
    Json value = Arg(args, kwargs, position, name);
    if (!value.is_string()) {
        throw InvalidInput({{"reason", fmt::format("argument {} must be a string", name)}});
    }
    return value.get<std::string>();
}

std::optional<std::string> OptString(const Json& value) {
    if (value.is_string()) return value.get<std::string>();
    return std::nullopt;
}

bool Truthy(const Json& value) {
    if (value.is_null()) return false;
    if (value.is_boolean()) return value.get<bool>();
    if (value.is_number()) return value.get<double>() != 0;
    if (value.is_string() || value.is_array() || value.is_object()) return !value.empty();
    return true;
}

// expected_task_state / expected_vm_state: a value or a list of values (None included).
std::optional<db::InstanceExpectations::States> ExpectedStates(const Json& value) {
    if (value.is_null()) return std::nullopt;
    db::InstanceExpectations::States states;
    auto add = [&states](const Json& v) { states.push_back(OptString(v)); };
    if (value.is_array()) {
        for (const auto& v : value) add(v);
    } else {
        add(value);
    }
    return states;
}

std::vector<std::string> StringList(const Json& value) {
    std::vector<std::string> out;
    if (value.is_string()) {
        out.push_back(value.get<std::string>());
    } else if (value.is_array()) {
        for (const auto& v : value) {
            if (v.is_string()) out.push_back(v.get<std::string>());
        }
    }
    return out;
}

template <class List, class T>
List MakeList(std::vector<T> items) {
    List list;
    objects::SetEmpty(list, "objects");
    for (auto& item : items) *list.add_objects() = std::move(item);
    objects::ResetChanges(list, true);
    return list;
}

[[noreturn]] void NoSuchMethod(const std::string& objname, const std::string& method) {
    throw AttributeError::WithMessage(
        fmt::format("type object '{}' has no attribute '{}'", objname, method),
        {{"reason", fmt::format("'{}' has no remotable method '{}'", objname, method)}});
}

// Nova's field-by-field diff of object_action: a field set after the call that was unset
// before or whose value differs. Child objects always count (Python compares them by
// identity, and the conductor's copy is a different object).
Json Updates(const Message& before, const Message& after) {
    Json updates = Json::object();
    for (const auto* field : objects::ObjectFields(*after.GetDescriptor())) {
        const std::string& name = field->name();
        if (!objects::IsSet(after, name)) continue;
        Json value = objects::FieldToPrimitive(after, name);
        bool child_object = field->type() == objects::FieldDescriptor::TYPE_MESSAGE &&
                            objects::IsObject(*field->message_type()) && !value.is_null();
        if (child_object || !objects::IsSet(before, name) ||
            objects::FieldToPrimitive(before, name) != value) {
            updates[name] = std::move(value);
        }
    }
    Json changed = Json::array();
    for (const auto& name : objects::WhatChanged(after)) changed.push_back(name);
    updates["obj_what_changed"] = std::move(changed);
    return updates;
}

// Nova's _from_db_object after a create or save: the object takes the row's values (ids,
// timestamps, defaults the database filled in); then nothing counts as changed.
void Adopt(Message& target, const Message& fresh) {
    for (const auto* field : objects::ObjectFields(*fresh.GetDescriptor())) {
        const std::string& name = field->name();
        if (!objects::IsSet(fresh, name)) continue;
        Json value = objects::FieldToPrimitive(fresh, name);
        if (!objects::IsSet(target, name) || objects::FieldToPrimitive(target, name) != value) {
            objects::FieldFromPrimitive(target, name, value);
        }
    }
    objects::ResetChanges(target, true);
}

}  // namespace

class ObjectApi::Impl {
public:
    Impl(db::Pool& cell, const Clock& clock)
        : instances_(cell, clock),
          actions_(cell, clock),
          faults_(cell, clock),
          services_(cell, clock),
          nodes_(cell, clock),
          migrations_(cell, clock),
          bdms_(cell, clock),
          info_caches_(cell, clock) {}

    // Returns the classmethod's result: an object (message) or plain JSON.
    using ClassResult = std::pair<std::unique_ptr<Message>, Json>;

    ClassResult ClassAction(const RequestContext& context, const std::string& objname,
                            const std::string& method, const Json& args, const Json& kwargs) {
        auto object = [](auto value) {
            using T = std::decay_t<decltype(value)>;
            return ClassResult{std::make_unique<T>(std::move(value)), nullptr};
        };
        if (objname == "Instance") {
            if (method == "get_by_uuid") {
                return object(instances_.GetByUuid(StringArg(args, kwargs, 0, "uuid"),
                                                   context.read_deleted != "no"));
            }
            if (method == "get_by_id") {
                return object(instances_.GetById(Arg(args, kwargs, 0, "inst_id").get<std::int64_t>()));
            }
        } else if (objname == "InstanceList") {
            if (method == "get_by_host") {
                return object(MakeList<objects::InstanceList>(
                    instances_.GetByHost(StringArg(args, kwargs, 0, "host"))));
            }
            if (method == "get_by_host_and_node") {
                return object(MakeList<objects::InstanceList>(instances_.GetByHostAndNode(
                    StringArg(args, kwargs, 0, "host"), StringArg(args, kwargs, 1, "node"))));
            }
            if (method == "get_by_filters") {
                return object(MakeList<objects::InstanceList>(
                    instances_.GetByFilters(InstanceFiltersFrom(args, kwargs))));
            }
        } else if (objname == "Service") {
            if (method == "get_by_host_and_binary") {
                // Nova answers None (not an error) when the service does not exist.
                try {
                    return object(services_.GetByHostAndBinary(StringArg(args, kwargs, 0, "host"),
                                                               StringArg(args, kwargs, 1, "binary")));
                } catch (const HostBinaryNotFound&) {
                    return {nullptr, nullptr};
                }
            }
            if (method == "get_by_compute_host") {
                return object(services_.GetByComputeHost(StringArg(args, kwargs, 0, "host")));
            }
            if (method == "get_by_id") {
                return object(services_.GetById(Arg(args, kwargs, 0, "service_id").get<std::int64_t>()));
            }
            if (method == "get_minimum_version") {
                return {nullptr, services_.GetMinimumVersion(StringArg(args, kwargs, 0, "binary"))};
            }
        } else if (objname == "ComputeNode") {
            if (method == "get_by_host_and_nodename") {
                return object(nodes_.GetByHostAndNodename(StringArg(args, kwargs, 0, "host"),
                                                          StringArg(args, kwargs, 1, "nodename")));
            }
            if (method == "get_by_uuid") {
                return object(nodes_.GetByUuid(StringArg(args, kwargs, 0, "compute_uuid")));
            }
            if (method == "get_by_id") {
                return object(nodes_.GetById(Arg(args, kwargs, 0, "compute_id").get<std::int64_t>()));
            }
        } else if (objname == "ComputeNodeList") {
            if (method == "get_all_by_host") {
                std::string host = StringArg(args, kwargs, 0, "host");
                auto nodes = nodes_.GetAllByHost(host);
                // Nova's compute_node_get_all_by_host raises when the host has none.
                if (nodes.empty()) throw ComputeHostNotFound({{"host", host}});
                return object(MakeList<objects::ComputeNodeList>(std::move(nodes)));
            }
        } else if (objname == "Migration") {
            if (method == "get_by_id") {
                return object(migrations_.GetById(Arg(args, kwargs, 0, "migration_id").get<std::int64_t>()));
            }
            if (method == "get_by_uuid") {
                return object(migrations_.GetByUuid(StringArg(args, kwargs, 0, "migration_uuid")));
            }
            if (method == "get_by_instance_and_status") {
                return object(migrations_.GetByInstanceAndStatus(
                    StringArg(args, kwargs, 0, "instance_uuid"), StringArg(args, kwargs, 1, "status")));
            }
        } else if (objname == "MigrationList") {
            if (method == "get_in_progress_by_host_and_node") {
                return object(MakeList<objects::MigrationList>(migrations_.GetInProgressByHostAndNode(
                    StringArg(args, kwargs, 0, "host"), StringArg(args, kwargs, 1, "node"))));
            }
            if (method == "get_in_progress_and_error") {
                // In progress, plus the ones left in error, on this host and node.
                std::string host = StringArg(args, kwargs, 0, "host");
                std::string node = StringArg(args, kwargs, 1, "node");
                auto in_progress = migrations_.GetInProgressByHostAndNode(host, node);
                db::MigrationFilters filters;
                filters.host = host;
                filters.node = node;
                filters.statuses = {"error"};
                for (auto& m : migrations_.GetByFilters(filters)) in_progress.push_back(std::move(m));
                return object(MakeList<objects::MigrationList>(std::move(in_progress)));
            }
            if (method == "get_by_filters") {
                return object(MakeList<objects::MigrationList>(
                    migrations_.GetByFilters(MigrationFiltersFrom(Arg(args, kwargs, 0, "filters")))));
            }
        } else if (objname == "InstanceAction") {
            if (method == "action_start") {
                objects::InstanceAction action;
                action.set_instance_uuid(StringArg(args, kwargs, 0, "instance_uuid"));
                action.set_action(StringArg(args, kwargs, 1, "action_name"));
                action.set_request_id(context.request_id);
                if (!context.user_id.empty()) action.set_user_id(context.user_id);
                if (!context.project_id.empty()) action.set_project_id(context.project_id);
                actions_.ActionStart(action);
                objects::ResetChanges(action, true);
                if (!Truthy(Arg(args, kwargs, 2, "want_result", true))) return {nullptr, nullptr};
                return object(std::move(action));
            }
            if (method == "action_finish") {
                auto action = actions_.ActionFinish(StringArg(args, kwargs, 0, "instance_uuid"),
                                                    context.request_id);
                if (!Truthy(Arg(args, kwargs, 1, "want_result", true))) return {nullptr, nullptr};
                return object(std::move(action));
            }
            if (method == "get_by_request_id") {
                return object(actions_.GetByRequestId(StringArg(args, kwargs, 0, "instance_uuid"),
                                                      StringArg(args, kwargs, 1, "request_id")));
            }
        } else if (objname == "InstanceActionEvent") {
            if (method == "event_start") {
                const auto uuid = StringArg(args, kwargs, 0, "instance_uuid");
                const auto name = StringArg(args, kwargs, 1, "event_name");
                const auto host = OptString(Arg(args, kwargs, 3, "host"));
                if (!Truthy(Arg(args, kwargs, 2, "want_result", true))) {
                    actions_.RecordEventStart(uuid, context.request_id, name, host);  // one statement
                    return {nullptr, nullptr};
                }
                return object(actions_.EventStart(uuid, context.request_id, name, host));
            }
            if (method == "event_finish" || method == "event_finish_with_failure") {
                bool failure = method == "event_finish_with_failure";
                // event_finish(uuid, event_name, want_result=True);
                // event_finish_with_failure(uuid, event_name, exc_val=None, exc_tb=None,
                //                           want_result=None): Error when there is a traceback.
                Json exc_tb = failure ? Arg(args, kwargs, 3, "exc_tb") : Json(nullptr);
                bool error = !exc_tb.is_null();
                std::optional<std::string> traceback;
                if (error) traceback = exc_tb.is_string() ? exc_tb.get<std::string>() : exc_tb.dump();
                const auto uuid = StringArg(args, kwargs, 0, "instance_uuid");
                const auto name = StringArg(args, kwargs, 1, "event_name");
                Json want = failure ? Arg(args, kwargs, 4, "want_result") : Arg(args, kwargs, 2, "want_result", true);
                if (!Truthy(want)) {
                    actions_.RecordEventFinish(uuid, context.request_id, name, error ? "Error" : "Success",
                                               traceback);  // one statement on success
                    return {nullptr, nullptr};
                }
                return object(actions_.EventFinish(uuid, context.request_id, name, error ? "Error" : "Success",
                                                   traceback));
            }
        } else if (objname == "BlockDeviceMappingList") {
            if (method == "get_by_instance_uuid") {
                return object(MakeList<objects::BlockDeviceMappingList>(
                    bdms_.GetByInstanceUuid(StringArg(args, kwargs, 0, "instance_uuid"))));
            }
        } else if (objname == "InstanceInfoCache") {
            if (method == "get_by_instance_uuid") {
                return object(info_caches_.GetByInstanceUuid(StringArg(args, kwargs, 0, "instance_uuid")));
            }
        } else if (objname == "PciDeviceList") {
            if (method == "get_by_compute_node") {
                // nova-cpp tracks no PCI devices: every node has none.
                return object(MakeList<objects::PciDeviceList>(std::vector<objects::PciDevice>{}));
            }
        } else if (objname == "ResourceList") {
            if (method == "get_by_instance_uuid") {
                // Nova answers None when instance_extra.resources is empty; we assign no
                // virtual resources (vPMEM) to instances.
                return {nullptr, nullptr};
            }
        } else if (objname == "InstanceFault") {
            if (method == "get_latest_for_instance") {
                auto fault = faults_.GetLatestForInstance(StringArg(args, kwargs, 0, "instance_uuid"));
                if (!fault) return {nullptr, nullptr};
                return object(std::move(*fault));
            }
        }
        NoSuchMethod(objname, method);
    }

    // Runs `method` on `object` in place; returns the method's result.
    Json Action(const RequestContext& context, Message& object, const std::string& method,
                const Json& args, const Json& kwargs) {
        const std::string& objname = object.GetDescriptor()->name();
        if (auto* instance = dynamic_cast<objects::Instance*>(&object)) {
            if (method == "save") {
                db::InstanceExpectations expected;
                expected.vm_state = ExpectedStates(Arg(args, kwargs, 0, "expected_vm_state"));
                expected.task_state = ExpectedStates(Arg(args, kwargs, 1, "expected_task_state"));
                Adopt(*instance, instances_.SaveAndGet(*instance, expected));
                return nullptr;
            }
            if (method == "refresh") {
                Adopt(*instance, instances_.GetByUuid(instance->uuid(), context.read_deleted != "no"));
                return nullptr;
            }
            if (method == "destroy") {
                instances_.Destroy(*instance);
                // Nova's destroy reads the deleted row back (deleted, deleted_at, updated_at).
                try {
                    Adopt(*instance, instances_.GetByUuid(instance->uuid(), true));
                } catch (const InstanceNotFound&) {
                }
                return nullptr;
            }
        } else if (auto* service = dynamic_cast<objects::Service*>(&object)) {
            if (method == "create") {
                // Nova's create gives the record a uuid when the caller did not.
                if (!service->has_uuid() || service->uuid().empty()) service->set_uuid(GenerateUuid());
                services_.Create(*service);
                Adopt(*service, services_.GetById(service->id()));
                return nullptr;
            }
            if (method == "save") {
                services_.Save(*service);
                Adopt(*service, services_.GetById(service->id()));
                return nullptr;
            }
            if (method == "destroy") {
                services_.Destroy(*service);
                return nullptr;
            }
        } else if (auto* node = dynamic_cast<objects::ComputeNode*>(&object)) {
            if (method == "create") {
                // Nova's create gives the record a uuid when the caller did not.
                if (!node->has_uuid() || node->uuid().empty()) node->set_uuid(GenerateUuid());
                nodes_.Create(*node);
                Adopt(*node, nodes_.GetById(node->id()));
                return nullptr;
            }
            if (method == "save") {
                nodes_.Save(*node);
                Adopt(*node, nodes_.GetById(node->id()));
                return nullptr;
            }
            if (method == "destroy") {
                nodes_.Destroy(*node);
                return nullptr;
            }
        } else if (auto* migration = dynamic_cast<objects::Migration*>(&object)) {
            if (method == "create") {
                // Nova's create gives the record a uuid when the caller did not.
                if (!migration->has_uuid() || migration->uuid().empty()) migration->set_uuid(GenerateUuid());
                migrations_.Create(*migration);
                Adopt(*migration, migrations_.GetById(migration->id()));
                return nullptr;
            }
            if (method == "save") {
                migrations_.Save(*migration);
                Adopt(*migration, migrations_.GetById(migration->id()));
                return nullptr;
            }
        } else if (auto* fault = dynamic_cast<objects::InstanceFault*>(&object)) {
            if (method == "create") {
                faults_.Create(*fault);
                return nullptr;
            }
        } else if (auto* bdm = dynamic_cast<objects::BlockDeviceMapping*>(&object)) {
            if (method == "create") {
                bdms_.Create(*bdm);
                Adopt(*bdm, bdms_.GetById(bdm->id()));
                return nullptr;
            }
            if (method == "save") {
                bdms_.Save(*bdm);
                Adopt(*bdm, bdms_.GetById(bdm->id()));
                return nullptr;
            }
            if (method == "destroy") {
                bdms_.Destroy(*bdm);
                return nullptr;
            }
        } else if (auto* cache = dynamic_cast<objects::InstanceInfoCache*>(&object)) {
            if (method == "save") {
                info_caches_.Save(*cache);
                return nullptr;
            }
            if (method == "refresh") {
                Adopt(*cache, info_caches_.GetByInstanceUuid(cache->instance_uuid()));
                return nullptr;
            }
        }
        NoSuchMethod(objname, method);
    }

private:
    static db::InstanceFilters InstanceFiltersFrom(const Json& args, const Json& kwargs) {
        Json filters = Arg(args, kwargs, 0, "filters", Json::object());
        db::InstanceFilters out;
        if (!filters.is_object()) return out;
        auto str = [&filters](const char* key) { return filters.contains(key) ? OptString(filters[key]) : std::nullopt; };
        out.project_id = str("project_id");
        out.user_id = str("user_id");
        out.host = str("host");
        out.node = str("node");
        out.display_name = str("display_name");
        if (filters.contains("uuid")) out.uuids = StringList(filters["uuid"]);
        if (filters.contains("vm_state")) out.vm_states = StringList(filters["vm_state"]);
        if (filters.contains("task_state")) out.task_states = StringList(filters["task_state"]);
        if (filters.contains("deleted")) out.deleted = Truthy(filters["deleted"]);
        if (filters.contains("changes-since") && filters["changes-since"].is_string()) {
            out.changes_since = timeutil::Parse(filters["changes-since"].get<std::string>());
        }
        Json limit = Arg(args, kwargs, 3, "limit");
        if (limit.is_number_integer()) out.limit = limit.get<int>();
        return out;
    }

    static db::MigrationFilters MigrationFiltersFrom(const Json& filters) {
        db::MigrationFilters out;
        if (!filters.is_object()) return out;
        auto str = [&filters](const char* key) { return filters.contains(key) ? OptString(filters[key]) : std::nullopt; };
        out.instance_uuid = str("instance_uuid");
        out.host = str("host");
        out.node = str("node");
        out.migration_type = str("migration_type");
        out.source_compute = str("source_compute");
        if (filters.contains("status")) out.statuses = StringList(filters["status"]);
        if (filters.contains("hidden") && filters["hidden"].is_boolean()) out.hidden = filters["hidden"].get<bool>();
        return out;
    }

    db::InstanceStore instances_;
    db::InstanceActionStore actions_;
    db::InstanceFaultStore faults_;
    db::ServiceStore services_;
    db::ComputeNodeStore nodes_;
    db::MigrationStore migrations_;
    db::BlockDeviceMappingStore bdms_;
    db::InstanceInfoCacheStore info_caches_;
};

ObjectApi::ObjectApi(db::Pool& cell, const Clock& clock) : impl_(std::make_unique<Impl>(cell, clock)) {}
ObjectApi::~ObjectApi() = default;

namespace {

// oslo's obj_class_from_name: the name must be known, the caller's version of the same major
// and not newer than ours.
const objects::Descriptor& ObjectClass(const std::string& objname, const Json& object_versions) {
    const auto* type = objects::FindObjectType(objname);
    if (type == nullptr) throw UnsupportedObjectError({{"objtype", objname}});
    if (object_versions.is_object() && object_versions.contains(objname) &&
        object_versions[objname].is_string()) {
        auto wanted = objects::ObjectVersion::Parse(object_versions[objname].get<std::string>());
        auto ours = objects::SchemaVersion(*type);
        if (wanted.major != ours.major || wanted > ours) {
            throw IncompatibleObjectVersion(
                {{"objver", wanted.ToString()}, {"objname", objname}, {"supported", ours.ToString()}});
        }
    }
    return *type;
}

objects::VersionManifest Manifest(const Json& object_versions) {
    objects::VersionManifest manifest;
    if (!object_versions.is_object()) return manifest;
    for (const auto& [name, version] : object_versions.items()) {
        if (version.is_string()) manifest[name] = version.get<std::string>();
    }
    return manifest;
}

}  // namespace

Json ObjectApi::ObjectClassActionVersions(const RequestContext& context, const std::string& objname,
                                          const std::string& objmethod, const Json& object_versions,
                                          const Json& args, const Json& kwargs) {
    ObjectClass(objname, object_versions);
    auto [object, plain] = impl_->ClassAction(context, objname, objmethod, args, kwargs);
    if (!object) return plain;
    // Backport to what the caller knows (never "forward" to an older-than-requested object).
    const std::string& name = object->GetDescriptor()->name();
    auto manifest = Manifest(object_versions);
    auto it = manifest.find(name);
    if (it != manifest.end()) {
        auto requested = objects::ObjectVersion::Parse(it->second);
        auto actual = objects::DataVersion(*object);
        if (requested < actual || requested.major != actual.major) {
            objects::MakeCompatible(*object, requested, &manifest);
        }
    }
    return objects::ToPrimitive(*object);
}

Json ObjectApi::ObjectAction(const RequestContext& context, const Json& objinst,
                             const std::string& objmethod, const Json& args, const Json& kwargs) {
    if (objinst.is_object() && objinst.contains("nova_object.name") &&
        objects::FindObjectType(objinst["nova_object.name"].get<std::string>()) == nullptr) {
        throw UnsupportedObjectError({{"objtype", objinst["nova_object.name"]}});
    }
    auto object = objects::FromPrimitiveAny(objinst);
    std::unique_ptr<Message> before(object->New());
    before->CopyFrom(*object);
    Json result = impl_->Action(context, *object, objmethod, args, kwargs);
    return Json::array({Updates(*before, *object), std::move(result)});
}

Json ObjectApi::ObjectBackportVersions(const RequestContext& /*context*/, const Json& objinst,
                                       const Json& object_versions) {
    auto object = objects::FromPrimitiveAny(objinst);
    auto manifest = Manifest(object_versions);
    auto it = manifest.find(object->GetDescriptor()->name());
    if (it != manifest.end()) {
        objects::MakeCompatible(*object, objects::ObjectVersion::Parse(it->second), &manifest);
    }
    return objects::ToPrimitive(*object);
}

rpc::Endpoint ObjectApi::Endpoint() {
    rpc::Endpoint endpoint(std::nullopt, "3.0");
    endpoint.Add("object_class_action_versions", [this](const RequestContext& ctx, const Json& a) {
        return ObjectClassActionVersions(ctx, a.at("objname").get<std::string>(),
                                         a.at("objmethod").get<std::string>(),
                                         a.value("object_versions", Json::object()),
                                         a.value("args", Json::array()), a.value("kwargs", Json::object()));
    });
    endpoint.Add("object_action", [this](const RequestContext& ctx, const Json& a) {
        return ObjectAction(ctx, a.at("objinst"), a.at("objmethod").get<std::string>(),
                            a.value("args", Json::array()), a.value("kwargs", Json::object()));
    });
    endpoint.Add("object_backport_versions", [this](const RequestContext& ctx, const Json& a) {
        return ObjectBackportVersions(ctx, a.at("objinst"), a.value("object_versions", Json::object()));
    });
    return endpoint;
}

ConductorManager::ConductorManager(db::Pool& api, db::Pool& cell, const Clock& clock,
                                   ComputeTaskManager* compute_task)
    : object_api_(cell, clock), resource_report_(api, clock), compute_task_(compute_task) {}

std::vector<rpc::Endpoint> ConductorManager::Endpoints() {
    std::vector<rpc::Endpoint> endpoints{object_api_.Endpoint(), resource_report_.Endpoint()};
    if (compute_task_ != nullptr) endpoints.push_back(compute_task_->Endpoint());
    return endpoints;
}

void ConductorManager::AddPeriodicTasks(service::PeriodicTasks& tasks) {
    if (compute_task_ == nullptr) return;
    const auto timeout = compute_task_->orphaned_build_timeout();
    if (timeout.count() <= 0) return;
    const auto spacing = std::min<std::chrono::seconds>(timeout, std::chrono::seconds(60));
    tasks.Add("_reap_orphaned_builds", spacing, [this] {
        try {
            compute_task_->ReapOrphanedBuilds(RequestContext::Admin());
        } catch (const std::exception& e) {
            NOVA_LOG_WARN(log::Get("nova.conductor.manager"), log::kNoContext,
                          "orphaned build sweep failed: {}", e.what());
        }
    });
}

}  // namespace nova::conductor
