// The compute stub on the in-memory transport: each method reaches the right host's queue at a
// version a Zed compute serves, with Nova's argument names.
#include "nova/compute/rpcapi.hpp"

#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>

#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"
#include "nova/objects/object.hpp"
#include "nova/rpc/server.hpp"
#include "nova/rpc/transport.hpp"

using namespace std::chrono_literals;

namespace nova::compute {
namespace {

// A compute host's queue that records what arrives.
class RecordingCompute {
public:
    RecordingCompute(std::shared_ptr<rpc::Transport> transport, const std::string& host,
                     const std::vector<std::string>& methods) {
        rpc::Endpoint endpoint(std::nullopt, "6.1");
        for (const auto& method : methods) {
            endpoint.Add(method, [this, method](const RequestContext&, const Json& args) {
                std::lock_guard lock(mutex_);
                received_.push_back({method, args});
                arrived_.notify_all();
                if (method == "get_console_output") return Json("console text");
                if (method == "get_host_uptime") return Json(" 10:00:00 up 1 day");
                return Json();
            });
        }
        server_ = std::make_unique<rpc::Server>(
            transport, rpc::ServerTarget{.topic = "compute", .server = host},
            std::vector<rpc::Endpoint>{endpoint}, 2);
        server_->Start();
    }
    std::pair<std::string, Json> Next() {
        std::unique_lock lock(mutex_);
        REQUIRE(arrived_.wait_for(lock, 5s, [this] { return !received_.empty(); }));
        auto first = received_.front();
        received_.erase(received_.begin());
        return first;
    }

private:
    std::mutex mutex_;
    std::condition_variable arrived_;
    std::vector<std::pair<std::string, Json>> received_;
    std::unique_ptr<rpc::Server> server_;
};

const std::vector<std::string> kMethods{
    "build_and_run_instance", "terminate_instance", "reboot_instance", "stop_instance",
    "start_instance", "pause_instance", "unpause_instance", "suspend_instance",
    "resume_instance", "prep_resize", "resize_instance", "finish_resize", "confirm_resize",
    "revert_resize", "finish_revert_resize", "get_console_output", "get_host_uptime"};

objects::Instance InstanceOn(const std::string& host) {
    objects::Instance instance;
    instance.set_uuid(GenerateUuid());
    instance.set_host(host);
    return instance;
}

struct Fixture {
    std::shared_ptr<rpc::Transport> transport =
        rpc::MakeTransport("fake:///" + GenerateUuid(), rpc::TransportOptions{});
    RecordingCompute host1{transport, "host1", kMethods};
    RecordingCompute host2{transport, "host2", kMethods};
    conf::UpgradeLevelsOptions levels{};
    conf::MessagingOptions messaging{};
    RequestContext ctx = RequestContext::Admin();
};

TEST_CASE("instance actions go to the instance's host with Nova's argument names") {
    Fixture f;
    ComputeRpcApi api(f.transport, f.levels, f.messaging);
    auto instance = InstanceOn("host2");

    api.RebootInstance(f.ctx, instance, Json(), "HARD");
    auto [method, args] = f.host2.Next();
    CHECK(method == "reboot_instance");
    CHECK(args.at("reboot_type") == "HARD");
    CHECK(args.at("instance").at("nova_object.name") == "Instance");

    api.StopInstance(f.ctx, instance);
    auto stop = f.host2.Next();
    CHECK(stop.first == "stop_instance");
    CHECK(stop.second.at("clean_shutdown") == true);

    for (auto* action : {"start_instance", "pause_instance", "unpause_instance",
                         "suspend_instance", "resume_instance"}) {
        std::string name(action);
        if (name == "start_instance") api.StartInstance(f.ctx, instance);
        if (name == "pause_instance") api.PauseInstance(f.ctx, instance);
        if (name == "unpause_instance") api.UnpauseInstance(f.ctx, instance);
        if (name == "suspend_instance") api.SuspendInstance(f.ctx, instance);
        if (name == "resume_instance") api.ResumeInstance(f.ctx, instance);
        CHECK(f.host2.Next().first == name);
    }
    api.TerminateInstance(f.ctx, instance, Json::object());
    auto terminate = f.host2.Next();
    CHECK(terminate.first == "terminate_instance");
    CHECK(terminate.second.contains("bdms"));
    CHECK(api.GetConsoleOutput(f.ctx, instance, 10) == "console text");
    CHECK(f.host2.Next().second.at("tail_length") == 10);
}

TEST_CASE("a build goes to the chosen host, not the instance's recorded one") {
    Fixture f;
    ComputeRpcApi api(f.transport, f.levels, f.messaging);
    auto instance = InstanceOn("");
    objects::RequestSpec spec;
    objects::Selection alternate;
    alternate.set_service_host("host2");
    api.BuildAndRunInstance(f.ctx, instance, "host1", Json::object(), spec, Json::object(),
                            std::nullopt, Json::array(), Json(), Json(), Json(), "node1",
                            Json(), {alternate});
    auto [method, args] = f.host1.Next();
    CHECK(method == "build_and_run_instance");
    CHECK(args.at("node") == "node1");
    CHECK(args.at("host_list").size() == 1);
    CHECK(args.at("host_list")[0].at("nova_object.name") == "Selection");
    CHECK(args.contains("accel_uuids"));
}

TEST_CASE("resize steps are sent where Nova sends them") {
    Fixture f;
    ComputeRpcApi api(f.transport, f.levels, f.messaging);
    auto instance = InstanceOn("host1");
    objects::Migration migration;
    objects::Flavor flavor;
    objects::RequestSpec spec;
    api.PrepResize(f.ctx, instance, Json::object(), flavor, "host2", migration, spec,
                   Json::object(), "node2", true, {});
    CHECK(f.host2.Next().first == "prep_resize");
    api.ResizeInstance(f.ctx, instance, migration, Json::object(), flavor, spec);
    CHECK(f.host1.Next().first == "resize_instance");
    api.FinishResize(f.ctx, instance, migration, Json::object(), Json(), "host2", spec);
    CHECK(f.host2.Next().first == "finish_resize");
    api.ConfirmResize(f.ctx, instance, migration, "host1");
    CHECK(f.host1.Next().first == "confirm_resize");
    api.RevertResize(f.ctx, instance, migration, "host2", spec);
    CHECK(f.host2.Next().first == "revert_resize");
    api.FinishRevertResize(f.ctx, instance, migration, "host1", spec);
    CHECK(f.host1.Next().first == "finish_revert_resize");
    CHECK(api.GetHostUptime(f.ctx, "host2") == " 10:00:00 up 1 day");
}

TEST_CASE("an instance without a host cannot be acted on") {
    Fixture f;
    ComputeRpcApi api(f.transport, f.levels, f.messaging);
    CHECK_THROWS_WITH_AS(api.PauseInstance(f.ctx, InstanceOn("")),
                         doctest::Contains("Unable to find host for Instance"), NovaError);
}

TEST_CASE("upgrade levels: release names, explicit caps and auto") {
    Fixture f;
    f.levels.compute = "yoga";
    CHECK(ComputeRpcApi(f.transport, f.levels, f.messaging).version_cap() == "6.0");
    f.levels.compute = "auto";
    CHECK(ComputeRpcApi(f.transport, f.levels, f.messaging, [] { return std::int64_t{64}; })
              .version_cap() == "6.1");
    CHECK(ComputeRpcApi::CapForServiceVersion(60) == "6.0");
    CHECK_THROWS_AS(ComputeRpcApi::CapForServiceVersion(55), TooOldComputeService);
    CHECK_THROWS_AS(ComputeRpcApi(f.transport, f.levels, f.messaging), InvalidInput);

    // Under a Yoga cap, every method still goes out (all are 6.0 methods).
    f.levels.compute = "yoga";
    ComputeRpcApi capped(f.transport, f.levels, f.messaging);
    capped.PauseInstance(f.ctx, InstanceOn("host1"));
    CHECK(f.host1.Next().first == "pause_instance");
}

}  // namespace
}  // namespace nova::compute
