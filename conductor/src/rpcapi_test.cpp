// The conductor stubs on the in-memory transport: both Nova APIs and our placement namespace
// on the one "conductor" topic.
#include "nova/conductor/rpcapi.hpp"

#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>

#include "nova/common/uuid.hpp"
#include "nova/objects/object.hpp"
#include "nova/rpc/server.hpp"
#include "nova/rpc/transport.hpp"

using namespace std::chrono_literals;

namespace nova::conductor {
namespace {

conf::MessagingOptions TestMessagingOptions() {
    conf::MessagingOptions options{};
    options.rpc_response_timeout = 60;
    options.long_rpc_timeout = 1800;
    return options;
}

struct Fixture {
    std::shared_ptr<rpc::Transport> transport =
        rpc::MakeTransport("fake:///" + GenerateUuid(), rpc::TransportOptions{});
    conf::UpgradeLevelsOptions levels{};
    conf::MessagingOptions messaging = TestMessagingOptions();
    RequestContext ctx = RequestContext::Admin();

    std::mutex mutex;
    std::condition_variable arrived;
    std::vector<std::pair<std::string, Json>> received;
    std::unique_ptr<rpc::Server> server;

    Fixture() {
        auto record = [this](std::string method, Json result) {
            return [this, method, result](const RequestContext&, const Json& args) {
                std::lock_guard lock(mutex);
                received.push_back({method, args});
                arrived.notify_all();
                return result;
            };
        };
        rpc::Endpoint manager(std::nullopt, "3.0");
        manager.Add("object_class_action_versions", record("object_class_action_versions", Json("obj")));
        manager.Add("object_action", record("object_action", Json::array({Json::object(), nullptr})));
        manager.Add("object_backport_versions", record("object_backport_versions", Json("old")));
        rpc::Endpoint tasks("compute_task", "1.24");
        tasks.Add("schedule_and_build_instances", record("schedule_and_build_instances", Json()));
        tasks.Add("build_instances", record("build_instances", Json()));
        tasks.Add("migrate_server", record("migrate_server", Json()));
        rpc::Endpoint placement("nova_cpp_placement", "1.0");
        placement.Add("report_inventory", record("report_inventory", Json(7)));
        placement.Add("delete_allocation_for_instance", record("delete_allocation_for_instance", Json()));
        server = std::make_unique<rpc::Server>(
            transport, rpc::ServerTarget{.topic = "conductor", .server = "cond1"},
            std::vector<rpc::Endpoint>{manager, tasks, placement}, 2);
        server->Start();
    }

    std::pair<std::string, Json> Next() {
        std::unique_lock lock(mutex);
        REQUIRE(arrived.wait_for(lock, 5s, [this] { return !received.empty(); }));
        auto first = received.front();
        received.erase(received.begin());
        return first;
    }
};

TEST_CASE("object calls reach the conductor manager with Nova's argument names") {
    Fixture f;
    ConductorRpcApi api(f.transport, f.levels);
    CHECK(api.ObjectClassActionVersions(f.ctx, "Instance", "get_by_uuid", {{"Instance", "2.7"}},
                                        Json::array({"u1"}), Json::object()) == "obj");
    auto call = f.Next();
    CHECK(call.second.at("objname") == "Instance");
    CHECK(call.second.at("object_versions").at("Instance") == "2.7");
    objects::Service service;
    CHECK(api.ObjectAction(f.ctx, objects::ToPrimitive(service), "save", Json::array(),
                           Json::object()) == Json::array({Json::object(), nullptr}));
    CHECK(f.Next().second.at("objmethod") == "save");
    CHECK(api.ObjectBackportVersions(f.ctx, Json::object(), Json::object()) == "old");
}

TEST_CASE("compute_task methods use their namespace and newest versions") {
    Fixture f;
    ComputeTaskRpcApi api(f.transport, f.levels, f.messaging);
    objects::BuildRequest build_request;
    objects::RequestSpec spec;
    api.ScheduleAndBuildInstances(f.ctx, {build_request}, {spec}, Json::object(), std::nullopt,
                                  Json::array(), Json(), Json(), Json());
    auto build = f.Next();
    CHECK(build.first == "schedule_and_build_instances");
    CHECK(build.second.at("build_requests").size() == 1);
    CHECK(build.second.contains("tags"));

    objects::Selection alternate;
    api.BuildInstances(f.ctx, {objects::Instance()}, Json::object(), Json::object(),
                       std::nullopt, Json::array(), Json(), Json(), Json(), spec, {{alternate}});
    auto reschedule = f.Next();
    CHECK(reschedule.first == "build_instances");
    CHECK(reschedule.second.at("host_lists").size() == 1);

    api.MigrateServer(f.ctx, objects::Instance(), Json::object(), objects::Flavor(), true, spec,
                      std::nullopt, /*do_cast=*/false);
    auto migrate = f.Next();
    CHECK(migrate.second.at("live") == false);
    CHECK(migrate.second.at("flavor").at("nova_object.name") == "Flavor");
}

TEST_CASE("a Pike-era cap drops the tags of schedule_and_build_instances (1.16)") {
    Fixture f;
    f.levels.conductor = "1.16";
    ComputeTaskRpcApi api(f.transport, f.levels, f.messaging);
    api.ScheduleAndBuildInstances(f.ctx, {}, {}, Json::object(), std::nullopt, Json::array(),
                                  Json(), Json(), Json());
    CHECK_FALSE(f.Next().second.contains("tags"));
}

TEST_CASE("resource reports go to our own namespace") {
    Fixture f;
    ResourceReportRpcApi api(f.transport);
    auto generation = api.ReportInventory(f.ctx, "rp-uuid", "node1",
                                          {{"VCPU", {.total = 8, .max_unit = 8, .allocation_ratio = 16.0}}});
    CHECK(generation == 7);
    auto report = f.Next();
    CHECK(report.second.at("inventories").at("VCPU").at("allocation_ratio") == 16.0);
    api.DeleteAllocationForInstance(f.ctx, "u1");
    CHECK(f.Next().second.at("instance_uuid") == "u1");
}

}  // namespace
}  // namespace nova::conductor
