// The conductor's object API against MariaDB, fed with the requests Nova Zed's computes sent
// (vectors/nova-zed-rpc, conductor.object_*): each recorded request is served against rows set
// up here, and the reply must have the recorded reply's shape (same keys, same object names
// and versions) or the recorded failure's class.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "nova/common/error.hpp"
#include "nova/conductor/manager.hpp"
#include "nova/db/instance_action_store.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/db/service_store.hpp"
#include "nova/objects/compute_node.pb.h"
#include "nova/objects/instance.pb.h"
#include "nova/objects/object.hpp"
#include "nova/rpc/server.hpp"
#include "scratch_database.hpp"

using namespace nova;
using nova::db::testing::ScratchDatabase;

namespace {

std::filesystem::path VectorsDir() {
    if (const char* env = std::getenv("NOVA_VECTORS_DIR")) return env;
    for (auto dir = std::filesystem::path(NOVA_SOURCE_DIR); dir.has_relative_path();
         dir = dir.parent_path()) {
        auto candidate = dir.parent_path() / "shared" / "vectors" / "nova-zed-rpc";
        if (std::filesystem::is_directory(candidate)) return candidate;
    }
    FAIL("no shared/vectors/nova-zed-rpc beside " << NOVA_SOURCE_DIR << " or its parents");
    return {};
}

struct Vector {
    Json args;   // the request's "args"
    Json reply;  // the reply's oslo.message: result / failure
};

Vector Load(const std::string& name) {
    std::ifstream in(VectorsDir() / (name + ".json"));
    REQUIRE_MESSAGE(in.good(), name);
    Json file = Json::parse(in);
    auto message = [](const Json& envelope) {
        return Json::parse(Json::parse(envelope.at("body").get<std::string>()).at("oslo.message").get<std::string>());
    };
    return {message(file.at("request")).at("args"), message(file.at("reply"))};
}

// The failure class of a recorded failed reply.
std::string FailureClass(const Json& reply) {
    return Json::parse(reply.at("failure").get<std::string>()).at("class").get<std::string>();
}

// Same keys; nested nova_objects with the same name and version, recursively.
void CheckShape(const Json& ours, const Json& recorded, const std::string& where) {
    INFO(where);
    if (recorded.is_object() && recorded.contains("nova_object.name")) {
        REQUIRE(ours.is_object());
        CHECK(ours.at("nova_object.name") == recorded.at("nova_object.name"));
        CHECK(ours.at("nova_object.version") == recorded.at("nova_object.version"));
        const auto& rdata = recorded.at("nova_object.data");
        const auto& odata = ours.at("nova_object.data");
        for (const auto& [key, value] : rdata.items()) {
            INFO(key);
            REQUIRE(odata.contains(key));
            CheckShape(odata.at(key), value, where + "." + key);
        }
        return;
    }
    if (recorded.is_null()) return;  // None in the recording: any value or None here
    if (recorded.is_object()) {
        REQUIRE(ours.is_object());
        for (const auto& [key, value] : recorded.items()) {
            INFO(key);
            // Our stores leave NULL columns unset where Nova sets None: the key may be absent.
            if (value.is_null() && !ours.contains(key)) continue;
            REQUIRE(ours.contains(key));
            CheckShape(ours.at(key), value, where + "." + key);
        }
    } else if (recorded.is_array()) {
        REQUIRE(ours.is_array());
        if (!recorded.empty() && !ours.empty()) CheckShape(ours.front(), recorded.front(), where + "[0]");
    } else if (!ours.is_null()) {
        CHECK(std::string(ours.type_name()) == std::string(recorded.type_name()));
    }
}

template <class F>
std::string ErrorClassOf(F&& fn) {
    try {
        fn();
    } catch (const NovaError& e) {
        return std::string(e.class_name());
    }
    return "(none)";
}

RequestContext Context() {
    auto ctx = RequestContext::Admin();
    ctx.user_id = "admin";
    ctx.project_id = "admin";
    return ctx;
}

Json ClassCall(conductor::ObjectApi& api, const RequestContext& ctx, const Json& a) {
    return api.ObjectClassActionVersions(ctx, a.at("objname").get<std::string>(),
                                         a.at("objmethod").get<std::string>(), a.at("object_versions"),
                                         a.at("args"), a.at("kwargs"));
}

Json Action(conductor::ObjectApi& api, const RequestContext& ctx, const Json& a) {
    return api.ObjectAction(ctx, a.at("objinst"), a.at("objmethod").get<std::string>(), a.at("args"),
                            a.at("kwargs"));
}

}  // namespace

TEST_CASE("a compute's service record and compute nodes go through the conductor") {
    ScratchDatabase cell(ScratchDatabase::Schema::kMain);
    conductor::ObjectApi api(cell.pool(), cell.clock());
    auto ctx = Context();

    // Service.create of a compute that starts: the reply carries the new id.
    auto create = Load("conductor.object_action.Service.create");
    Json reply = Action(api, ctx, create.args);
    REQUIRE(reply.is_array());
    REQUIRE(reply.size() == 2);
    CHECK(reply[1].is_null());
    CHECK(reply[0].contains("id"));
    CHECK(reply[0].contains("obj_what_changed"));
    CheckShape(reply, create.reply.at("result"), "Service.create");
    const std::string host = create.args["objinst"]["nova_object.data"]["host"].get<std::string>();

    // Nova answers None for a missing service, the record for an existing one.
    auto by_binary = Load("conductor.object_class_action_versions.Service.get_by_host_and_binary");
    Json args = by_binary.args;
    args["args"] = Json::array({"no-such-host", "nova-compute"});
    CHECK(ClassCall(api, ctx, args).is_null());
    args["args"] = Json::array({host, "nova-compute"});
    Json service = ClassCall(api, ctx, args);
    CheckShape(service, by_binary.reply.at("result"), "Service.get_by_host_and_binary");
    CHECK(service["nova_object.data"]["host"] == host);

    // The heartbeat: Service.save of report_count.
    auto save = Load("conductor.object_action.Service.save");
    Json objinst = service;
    objinst["nova_object.data"]["report_count"] = 7;
    objinst["nova_object.changes"] = Json::array({"report_count"});
    args = save.args;
    args["objinst"] = objinst;
    reply = Action(api, ctx, args);
    CHECK(reply[0]["obj_what_changed"].empty());
    CheckShape(reply, save.reply.at("result"), "Service.save");
    CHECK(db::ServiceStore(cell.pool(), cell.clock()).GetByHostAndBinary(host, "nova-compute").report_count() == 7);

    auto min_version = Load("conductor.object_class_action_versions.Service.get_minimum_version");
    CHECK(ClassCall(api, ctx, min_version.args) == service["nova_object.data"]["version"]);

    // Compute nodes: none yet is ComputeHostNotFound, as recorded; then create and read back.
    auto all_by_host = Load("conductor.object_class_action_versions.ComputeNodeList.get_all_by_host.failure-ComputeHostNotFound");
    CHECK(ErrorClassOf([&] { ClassCall(api, ctx, all_by_host.args); }) == FailureClass(all_by_host.reply));
    auto by_nodename = Load("conductor.object_class_action_versions.ComputeNode.get_by_host_and_nodename.failure-ComputeHostNotFound");
    CHECK(ErrorClassOf([&] { ClassCall(api, ctx, by_nodename.args); }) == FailureClass(by_nodename.reply));

    auto node_create = Load("conductor.object_action.ComputeNode.create");
    reply = Action(api, ctx, node_create.args);
    CheckShape(reply, node_create.reply.at("result"), "ComputeNode.create");
    const std::string node_host = node_create.args["objinst"]["nova_object.data"]["host"].get<std::string>();
    args = all_by_host.args;
    args["args"] = Json::array({node_host});
    Json nodes = ClassCall(api, ctx, args);
    REQUIRE(nodes["nova_object.data"]["objects"].size() == 1);
    CHECK(nodes["nova_object.name"] == "ComputeNodeList");
    Json node = nodes["nova_object.data"]["objects"][0];
    CHECK(node["nova_object.data"]["id"] == reply[0]["id"]);

    // The recorded save (the resource tracker's update), pointed at our row.
    auto node_save = Load("conductor.object_action.ComputeNode.save");
    args = node_save.args;
    auto& node_data = args["objinst"]["nova_object.data"];
    node_data["id"] = node["nova_object.data"]["id"];
    node_data["uuid"] = node["nova_object.data"]["uuid"];
    node_data["service_id"] = node["nova_object.data"]["service_id"];
    node_data["host"] = node_host;
    node_data["hypervisor_hostname"] = node["nova_object.data"]["hypervisor_hostname"];
    node_data["free_ram_mb"] = 1234;
    reply = Action(api, ctx, args);
    CheckShape(reply, node_save.reply.at("result"), "ComputeNode.save");
    args = by_nodename.args;
    args["args"] = Json::array({node_host, node["nova_object.data"]["hypervisor_hostname"]});
    CHECK(ClassCall(api, ctx, args)["nova_object.data"]["free_ram_mb"] == 1234);
}

TEST_CASE("instances: get, save with expected task state, actions and events, destroy") {
    ScratchDatabase cell(ScratchDatabase::Schema::kMain);
    conductor::ObjectApi api(cell.pool(), cell.clock());
    auto ctx = Context();

    // The instance of the recordings, as nova-conductor created it.
    auto save = Load("conductor.object_action.Instance.save");
    auto instance = objects::FromPrimitiveAs<objects::Instance>(save.args["objinst"]);
    objects::Unset(instance, "id");
    instance.set_vm_state("building");
    instance.set_task_state("scheduling");
    db::InstanceStore(cell.pool(), cell.clock()).Create(instance);
    const std::string uuid = instance.uuid();

    auto get = Load("conductor.object_class_action_versions.Instance.get_by_uuid");
    Json got = ClassCall(api, ctx, get.args);
    CheckShape(got, get.reply.at("result"), "Instance.get_by_uuid");
    CHECK(got["nova_object.data"]["uuid"] == uuid);

    // A caller that knows an older Instance gets it backported.
    Json old_args = get.args;
    old_args["object_versions"]["Instance"] = "2.6";
    CHECK(ClassCall(api, ctx, old_args)["nova_object.version"] == "2.6");
    old_args["object_versions"]["Instance"] = "3.0";
    CHECK(ErrorClassOf([&] { ClassCall(api, ctx, old_args); }) == "IncompatibleObjectVersion");

    // The recorded save: expected_task_state [scheduling, None] holds, so it applies.
    Json args = save.args;
    Json& objinst = args["objinst"];
    objinst["nova_object.data"]["id"] = got["nova_object.data"]["id"];
    objinst["nova_object.data"]["task_state"] = "spawning";
    objinst["nova_object.changes"] = Json::array({"task_state"});
    // A compute's state change costs the UPDATE and one read back (the pool's idle connection
    // is in autocommit mode: no switch).
    cell.pool().Query("SELECT 1");
    auto before = cell.pool().Stats().statements;
    Json reply = Action(api, ctx, args);
    CHECK(cell.pool().Stats().statements - before == 2);
    CheckShape(reply, save.reply.at("result"), "Instance.save");
    CHECK(reply[0]["obj_what_changed"].empty());
    CHECK(db::InstanceStore(cell.pool(), cell.clock()).GetByUuid(uuid).task_state() == "spawning");

    // The same save again lost its race: the row is no longer scheduling/None.
    CHECK(ErrorClassOf([&] { Action(api, ctx, args); }) == "UnexpectedTaskStateError");
    {
        auto row = db::InstanceStore(cell.pool(), cell.clock()).GetByUuid(uuid);
        row.set_task_state("deleting");
        db::InstanceStore(cell.pool(), cell.clock()).Save(row);
    }
    CHECK(ErrorClassOf([&] { Action(api, ctx, args); }) == "UnexpectedDeletingTaskStateError");

    // refresh brings the row's values back in updates.
    Json refresh_args = {{"objinst", objinst}, {"objmethod", "refresh"}, {"args", Json::array()},
                         {"kwargs", Json::object()}};
    reply = Action(api, ctx, refresh_args);
    CHECK(reply[0]["task_state"] == "deleting");
    CHECK(reply[1].is_null());

    // The action and its events, as the compute records them.
    Json start_action = {{"objname", "InstanceAction"}, {"objmethod", "action_start"},
                         {"object_versions", {{"InstanceAction", "1.2"}}},
                         {"args", Json::array({uuid, "create"})}, {"kwargs", {{"want_result", true}}}};
    Json action = ClassCall(api, ctx, start_action);
    CHECK(action["nova_object.data"]["action"] == "create");
    CHECK(action["nova_object.data"]["request_id"] == ctx.request_id);
    auto event_start = Load("conductor.object_class_action_versions.InstanceActionEvent.event_start");
    args = event_start.args;
    args["args"][0] = uuid;
    cell.pool().Query("SELECT 1");
    before = cell.pool().Stats().statements;
    CHECK(ClassCall(api, ctx, args) == event_start.reply.at("result"));  // want_result=False: None
    CHECK(cell.pool().Stats().statements - before == 1);  // one INSERT ... SELECT
    auto event_fail = Load("conductor.object_class_action_versions.InstanceActionEvent.event_finish_with_failure");
    args = event_fail.args;
    args["args"][0] = uuid;
    args["kwargs"]["exc_val"] = "Build of instance aborted";
    args["kwargs"]["exc_tb"] = "Traceback (most recent call last): ...";
    args["kwargs"]["want_result"] = true;
    Json event = ClassCall(api, ctx, args);
    CHECK(event["nova_object.data"]["result"] == "Error");
    CHECK(event["nova_object.data"]["event"] == event_fail.args["args"][1]);
    db::InstanceActionStore actions(cell.pool(), cell.clock());
    auto recorded = actions.GetByRequestId(uuid, ctx.request_id);
    REQUIRE(actions.GetEvents(recorded.id()).size() == 1);

    // Lists by host, and what this build does not know.
    auto by_host = Load("conductor.object_class_action_versions.InstanceList.get_by_host");
    args = by_host.args;
    args["args"] = Json::array({instance.host()});
    Json list = ClassCall(api, ctx, args);
    CHECK(list["nova_object.name"] == "InstanceList");
    CHECK(list["nova_object.data"]["objects"].size() == (instance.has_host() ? 1u : 0u));

    Json bogus = start_action;
    bogus["objname"] = "NoSuchObject";
    CHECK(ErrorClassOf([&] { ClassCall(api, ctx, bogus); }) == "UnsupportedObjectError");
    bogus["objname"] = "Instance";
    bogus["objmethod"] = "no_such_method";
    CHECK(ErrorClassOf([&] { ClassCall(api, ctx, bogus); }) == "AttributeError");

    // destroy as the compute does it after a delete.
    auto destroy = Load("conductor.object_action.Instance.destroy");
    auto current = db::InstanceStore(cell.pool(), cell.clock()).GetByUuid(uuid);
    args = destroy.args;
    auto& destroy_data = args["objinst"]["nova_object.data"];
    destroy_data["id"] = current.id();
    destroy_data["uuid"] = uuid;
    destroy_data["host"] = objects::FieldToPrimitive(current, "host");
    destroy_data["node"] = objects::FieldToPrimitive(current, "node");
    destroy_data["task_state"] = objects::FieldToPrimitive(current, "task_state");
    args["objinst"].erase("nova_object.changes");
    reply = Action(api, ctx, args);
    CheckShape(reply, destroy.reply.at("result"), "Instance.destroy");
    CHECK(ErrorClassOf([&] { db::InstanceStore(cell.pool(), cell.clock()).GetByUuid(uuid); }) == "InstanceNotFound");
}

TEST_CASE("the object API is served over RPC as the null namespace, 3.0") {
    ScratchDatabase api(ScratchDatabase::Schema::kApi);
    ScratchDatabase cell(ScratchDatabase::Schema::kMain);
    conductor::ConductorManager manager(api.pool(), cell.pool(), cell.clock());
    CHECK(manager.ServiceName() == "conductor");
    rpc::Dispatcher dispatcher(manager.Endpoints());
    auto ctx = Context();
    auto min_version = Load("conductor.object_class_action_versions.Service.get_minimum_version");
    CHECK(dispatcher.Dispatch(ctx, "object_class_action_versions", min_version.args, std::nullopt, "3.0") == 0);
    CHECK(ErrorClassOf([&] {
              dispatcher.Dispatch(ctx, "object_class_action_versions", min_version.args, std::nullopt, "4.0");
          }) == "UnsupportedVersion");
}
