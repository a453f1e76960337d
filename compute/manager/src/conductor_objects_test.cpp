// The remote-object layer against a fake conductor on the in-memory transport: each request
// has the shape Nova Zed's nova-compute sent (the recorded vectors), and the conductor's
// updates land on the local object.
#include "nova/compute/conductor_objects.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>

#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"
#include "nova/objects/instance_action.pb.h"
#include "nova/rpc/server.hpp"
#include "nova/rpc/transport.hpp"

namespace nova::compute {
namespace {

std::string VectorFile(const std::string& name) {
    const std::string local = std::string(NOVA_SOURCE_DIR) + "/../../shared/vectors/nova-zed-rpc/";
    for (const std::string& dir : {local, std::string("/work/shared/vectors/nova-zed-rpc/")}) {
        if (std::filesystem::exists(dir + name)) return dir + name;
    }
    FAIL("vector " << name << " not found");
    return {};
}

// The vector's request arguments and its reply (result or failure).
struct Vector {
    Json args;
    Json reply;
};

Vector LoadVector(const std::string& name) {
    std::ifstream in(VectorFile(name + ".json"));
    REQUIRE(in.good());
    Json file = Json::parse(in);
    Json request = Json::parse(Json::parse(file.at("request").at("body").get<std::string>())
                                   .at("oslo.message")
                                   .get<std::string>());
    Json reply = Json::parse(Json::parse(file.at("reply").at("body").get<std::string>())
                                 .at("oslo.message")
                                 .get<std::string>());
    return {request.at("args"), reply};
}

// A conductor that records each request and answers from a script.
class FakeConductor {
public:
    using Answer = std::function<Json(const std::string& method, const Json& args)>;

    explicit FakeConductor(std::shared_ptr<rpc::Transport> transport) {
        rpc::Endpoint endpoint(std::nullopt, "3.0");
        for (std::string method : {"object_action", "object_class_action_versions"}) {
            endpoint.Add(method, [this, method](const RequestContext&, const Json& args) {
                Answer answer;
                {
                    std::lock_guard lock(mutex_);
                    requests_.push_back({method, args});
                    answer = answer_;
                }
                return answer ? answer(method, args) : Json();
            });
        }
        server_ = std::make_unique<rpc::Server>(transport, rpc::ServerTarget{.topic = "conductor"},
                                                std::vector<rpc::Endpoint>{endpoint}, 1);
        server_->Start();
    }
    void SetAnswer(Answer answer) {
        std::lock_guard lock(mutex_);
        answer_ = std::move(answer);
    }
    std::pair<std::string, Json> Last() {
        std::lock_guard lock(mutex_);
        REQUIRE(!requests_.empty());
        return requests_.back();
    }

private:
    std::mutex mutex_;
    Answer answer_;
    std::vector<std::pair<std::string, Json>> requests_;
    std::unique_ptr<rpc::Server> server_;
};

struct Fixture {
    std::shared_ptr<rpc::Transport> transport =
        rpc::MakeTransport("fake:///" + GenerateUuid(), rpc::TransportOptions{});
    FakeConductor conductor{transport};
    conf::UpgradeLevelsOptions levels{};
    conductor::ConductorRpcApi api{transport, levels};
    ConductorObjects objects{api};
    RequestContext ctx = RequestContext::Admin();
};

// Compares a class action's request with the vector's (the manifest included).
void CheckClassRequest(const Json& sent, const Json& recorded) {
    CHECK(sent.at("objname") == recorded.at("objname"));
    CHECK(sent.at("objmethod") == recorded.at("objmethod"));
    CHECK(sent.at("args") == recorded.at("args"));
    CHECK(sent.at("kwargs") == recorded.at("kwargs"));
    CHECK(sent.at("object_versions") == recorded.at("object_versions"));
}

TEST_CASE("the object_versions manifest is Nova's obj_tree_get_versions") {
    auto list = LoadVector("conductor.object_class_action_versions.InstanceList.get_by_host");
    CHECK(ObjectTreeVersions(*objects::InstanceList::descriptor()) ==
          list.args.at("object_versions"));
    auto service = LoadVector("conductor.object_class_action_versions.Service.get_by_host_and_binary");
    CHECK(ObjectTreeVersions(*objects::Service::descriptor()) ==
          service.args.at("object_versions"));
    auto event = LoadVector("conductor.object_class_action_versions.InstanceActionEvent.event_start");
    CHECK(ObjectTreeVersions(*objects::InstanceActionEvent::descriptor()) ==
          event.args.at("object_versions"));
}

TEST_CASE("Instance.get_by_uuid sends Nova's request and decodes the instance") {
    Fixture f;
    auto vector = LoadVector("conductor.object_class_action_versions.Instance.get_by_uuid");
    f.conductor.SetAnswer([&](const std::string&, const Json&) { return vector.reply.at("result"); });
    const std::string uuid = vector.args.at("kwargs").at("uuid");
    auto instance = f.objects.GetInstance(f.ctx, uuid);
    auto [method, sent] = f.conductor.Last();
    CHECK(method == "object_class_action_versions");
    CheckClassRequest(sent, vector.args);
    CHECK(instance.uuid() == uuid);
    CHECK(objects::WhatChanged(instance).empty());
}

TEST_CASE("InstanceList.get_by_host sends the host positionally") {
    Fixture f;
    auto vector = LoadVector("conductor.object_class_action_versions.InstanceList.get_by_host");
    f.conductor.SetAnswer([&](const std::string&, const Json&) { return vector.reply.at("result"); });
    auto instances = f.objects.InstancesByHost(f.ctx, vector.args.at("args")[0],
                                               {"info_cache", "metadata", "numa_topology"});
    CheckClassRequest(f.conductor.Last().second, vector.args);
    CHECK(instances.empty());
}

TEST_CASE("Instance.save sends the changes and expected_task_state and applies the updates") {
    Fixture f;
    auto vector = LoadVector("conductor.object_action.Instance.save");
    auto recorded = objects::FromPrimitiveAs<objects::Instance>(vector.args.at("objinst"));
    objects::Instance instance = recorded;
    objects::ResetChanges(instance, true);
    instance.set_vm_state("building");
    objects::MarkChanged(instance, "vm_state");
    objects::SetNull(instance, "task_state");
    objects::MarkChanged(instance, "task_state");
    f.conductor.SetAnswer([&](const std::string&, const Json&) { return vector.reply.at("result"); });

    f.objects.SaveInstance(f.ctx, instance, Json::array({"scheduling", nullptr}));
    auto [method, sent] = f.conductor.Last();
    CHECK(method == "object_action");
    CHECK(sent.at("objmethod") == "save");
    CHECK(sent.at("args") == Json::array());
    CHECK(sent.at("kwargs") == vector.args.at("kwargs"));
    const Json& objinst = sent.at("objinst");
    CHECK(objinst.at("nova_object.name") == "Instance");
    CHECK(objinst.at("nova_object.version") == "2.7");
    std::set<std::string> changes(objinst.at("nova_object.changes").begin(),
                                  objinst.at("nova_object.changes").end());
    CHECK(changes.contains("vm_state"));
    CHECK(changes.contains("task_state"));
    // The updates are applied and the changes reset to what the conductor says.
    const Json& updates = vector.reply.at("result")[0];
    CHECK(updates.contains("info_cache"));
    CHECK(instance.has_info_cache());
    CHECK(objects::WhatChanged(instance) ==
          std::set<std::string>(updates.at("obj_what_changed").begin(),
                                updates.at("obj_what_changed").end()));
}

TEST_CASE("a save the conductor refuses raises UnexpectedTaskStateError") {
    Fixture f;
    f.conductor.SetAnswer([](const std::string&, const Json&) -> Json {
        throw UnexpectedTaskStateError({{"instance_uuid", "x"},
                                        {"expected", "spawning"},
                                        {"actual", "deleting"}});
    });
    objects::Instance instance;
    instance.set_uuid(GenerateUuid());
    CHECK_THROWS_AS(f.objects.SaveInstance(f.ctx, instance, Json("spawning")),
                    UnexpectedTaskStateError);
}

TEST_CASE("Service.create and save through ServiceRecords take the conductor's updates") {
    Fixture f;
    auto create = LoadVector("conductor.object_action.Service.create");
    auto save = LoadVector("conductor.object_action.Service.save");
    auto lookup = LoadVector("conductor.object_class_action_versions.Service.get_by_host_and_binary");
    ConductorServiceRecords records(f.objects);

    f.conductor.SetAnswer([&](const std::string&, const Json&) { return lookup.reply.at("result"); });
    CHECK_FALSE(records.Find(lookup.args.at("args")[0], "nova-compute").has_value());
    CheckClassRequest(f.conductor.Last().second, lookup.args);

    objects::Service svc;
    svc.set_host("fake-compute-3");
    svc.set_binary("nova-compute");
    svc.set_topic("compute");
    svc.set_report_count(0);
    svc.set_version(66);
    f.conductor.SetAnswer([&](const std::string&, const Json&) { return create.reply.at("result"); });
    records.Create(svc);
    auto [method, sent] = f.conductor.Last();
    CHECK(method == "object_action");
    CHECK(sent.at("objmethod") == "create");
    CHECK(sent.at("kwargs") == create.args.at("kwargs"));
    CHECK(svc.id() == 5);
    CHECK(objects::WhatChanged(svc).empty());

    svc.set_report_count(1);
    f.conductor.SetAnswer([&](const std::string&, const Json&) { return save.reply.at("result"); });
    records.Save(svc);
    sent = f.conductor.Last().second;
    CHECK(sent.at("objinst").at("nova_object.changes") == Json::array({"report_count"}));
    CHECK(objects::IsSet(svc, "last_seen_up"));
}

TEST_CASE("ComputeNode lookups turn ComputeHostNotFound into no record") {
    Fixture f;
    auto vector = LoadVector(
        "conductor.object_class_action_versions.ComputeNode.get_by_host_and_nodename.failure-"
        "ComputeHostNotFound");
    f.conductor.SetAnswer([](const std::string&, const Json&) -> Json {
        throw ComputeHostNotFound({{"host", "fake-compute-3"}});
    });
    CHECK_FALSE(f.objects.GetComputeNode(f.ctx, "fake-compute-3", "fake-compute-3").has_value());
    CheckClassRequest(f.conductor.Last().second, vector.args);

    auto create = LoadVector("conductor.object_action.ComputeNode.create");
    f.conductor.SetAnswer([&](const std::string&, const Json&) { return create.reply.at("result"); });
    objects::ComputeNode node;
    node.set_host("fake-compute-3");
    node.set_hypervisor_hostname("fake-compute-3");
    f.objects.CreateComputeNode(f.ctx, node);
    CHECK(node.id() == 1);
    CHECK(node.uuid() == create.reply.at("result")[0].at("uuid"));
}

TEST_CASE("instance action events have Nova's arguments") {
    Fixture f;
    auto start = LoadVector("conductor.object_class_action_versions.InstanceActionEvent.event_start");
    auto finish = LoadVector(
        "conductor.object_class_action_versions.InstanceActionEvent.event_finish_with_failure");
    const std::string uuid = start.args.at("args")[0];
    f.objects.EventStart(f.ctx, uuid, "compute__do_build_and_run_instance", "fake-compute-2");
    CheckClassRequest(f.conductor.Last().second, start.args);
    f.objects.EventFinish(f.ctx, uuid, "compute__do_build_and_run_instance");
    CheckClassRequest(f.conductor.Last().second, finish.args);
    f.objects.EventFinish(f.ctx, uuid, "compute__do_build_and_run_instance", "boom", "trace");
    CHECK(f.conductor.Last().second.at("kwargs").at("exc_val") == "boom");
}

TEST_CASE("a malformed object_action reply is an error, not silently ignored") {
    Fixture f;
    f.conductor.SetAnswer([](const std::string&, const Json&) { return Json("nonsense"); });
    objects::Migration migration;
    CHECK_THROWS_AS(f.objects.SaveMigration(f.ctx, migration), NovaError);
}

}  // namespace
}  // namespace nova::compute
