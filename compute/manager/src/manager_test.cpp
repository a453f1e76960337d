// ComputeManager's state transitions with the FakeDriver and a fake cell behind a fake
// conductor on the in-memory transport: the conductor keeps the instances, checks
// expected_task_state on save as Nova's DB API does, and records events, faults,
// reschedules and allocation removals.
#include "nova/compute/manager.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"
#include "nova/compute/rpcapi.hpp"
#include "nova/objects/compute_node.pb.h"
#include "nova/objects/instance_action.pb.h"
#include "nova/objects/instance_fault.pb.h"
#include "nova/rpc/client.hpp"
#include "nova/rpc/server.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/virt/fake_driver.hpp"

using namespace std::chrono_literals;

namespace nova::compute {
namespace {

constexpr const char* kHost = "compute1";

std::string TaskOf(const objects::Instance& instance) {
    return objects::IsNull(instance, "task_state") || !objects::IsSet(instance, "task_state")
               ? std::string("None")
               : instance.task_state();
}

// The cell database as the conductor serves it to a compute.
class FakeCell {
public:
    explicit FakeCell(std::shared_ptr<rpc::Transport> transport) {
        rpc::Endpoint conductor(std::nullopt, "3.0");
        conductor.Add("object_action", [this](const RequestContext&, const Json& args) {
            return ObjectAction(args);
        });
        conductor.Add("object_class_action_versions",
                      [this](const RequestContext&, const Json& args) { return ClassAction(args); });
        rpc::Endpoint compute_task("compute_task", "1.24");
        compute_task.AddCast("build_instances", [this](const RequestContext&, const Json& args) {
            std::lock_guard lock(mutex_);
            reschedules.push_back(args);
        });
        rpc::Endpoint placement("nova_cpp_placement", "1.0");
        placement.Add("report_inventory", [this](const RequestContext&, const Json& args) {
            std::lock_guard lock(mutex_);
            inventories.push_back(args);
            return Json(static_cast<std::int64_t>(inventories.size()));
        });
        placement.AddCast("delete_allocation_for_instance",
                          [this](const RequestContext&, const Json& args) {
                              std::lock_guard lock(mutex_);
                              deleted_allocations.push_back(args.at("instance_uuid").get<std::string>());
                          });
        server_ = std::make_unique<rpc::Server>(
            transport, rpc::ServerTarget{.topic = "conductor"},
            std::vector<rpc::Endpoint>{conductor, compute_task, placement}, 2);
        server_->Start();
    }

    void Put(const objects::Instance& instance) {
        std::lock_guard lock(mutex_);
        instances[instance.uuid()] = instance;
    }
    std::optional<objects::Instance> Get(const std::string& uuid) {
        std::lock_guard lock(mutex_);
        auto it = instances.find(uuid);
        if (it == instances.end()) return std::nullopt;
        return it->second;
    }
    // What the API does before casting: sets the task_state.
    void SetTask(const std::string& uuid, const char* task) {
        std::lock_guard lock(mutex_);
        auto& instance = instances.at(uuid);
        if (task == nullptr) {
            objects::SetNull(instance, "task_state");
        } else {
            instance.set_task_state(task);
        }
    }

    std::mutex mutex_;
    std::map<std::string, objects::Instance> instances;
    std::vector<std::string> saved_task_states;  // task_state after each Instance.save
    std::vector<std::pair<std::string, Json>> events;  // (event name, exc_val) of finishes
    std::vector<std::string> started_events;
    std::vector<objects::InstanceFault> faults;
    std::vector<Json> reschedules;
    std::vector<Json> inventories;
    std::vector<std::string> deleted_allocations;
    std::optional<objects::ComputeNode> node;
    int node_saves = 0;

private:
    Json ObjectAction(const Json& args) {
        std::lock_guard lock(mutex_);
        const Json& objinst = args.at("objinst");
        const std::string name = objinst.at("nova_object.name");
        const std::string method = args.at("objmethod");
        if (name == "Instance") {
            auto incoming = objects::FromPrimitiveAs<objects::Instance>(objinst);
            auto it = instances.find(incoming.uuid());
            if (it == instances.end()) throw InstanceNotFound({{"instance_id", incoming.uuid()}});
            if (method == "destroy") {
                instances.erase(it);
                return Json::array({Json::object(), nullptr});
            }
            REQUIRE(method == "save");
            auto& stored = it->second;
            const Json& kwargs = args.at("kwargs");
            if (kwargs.contains("expected_task_state")) {
                Json expected = kwargs["expected_task_state"];
                if (!expected.is_array()) expected = Json::array({expected});
                Json actual = objects::IsNull(stored, "task_state") ||
                                      !objects::IsSet(stored, "task_state")
                                  ? Json()
                                  : Json(stored.task_state());
                bool ok = false;
                for (const auto& e : expected) ok = ok || e == actual;
                if (!ok) {
                    Kwargs kw{{"instance_uuid", stored.uuid()},
                              {"expected", expected.dump()},
                              {"actual", actual.dump()}};
                    if (actual == "deleting") throw UnexpectedDeletingTaskStateError(kw);
                    throw UnexpectedTaskStateError(kw);
                }
            }
            for (const auto& field : objinst.value("nova_object.changes", Json::array())) {
                const std::string f = field;
                objects::FieldFromPrimitive(stored, f, objects::FieldToPrimitive(incoming, f));
            }
            saved_task_states.push_back(TaskOf(stored));
            return Json::array({Json::object(), nullptr});
        }
        if (name == "InstanceFault") {
            faults.push_back(objects::FromPrimitiveAs<objects::InstanceFault>(objinst));
            return Json::array({Json{{"id", static_cast<int>(faults.size())}}, nullptr});
        }
        if (name == "ComputeNode") {
            if (method == "create") {
                node = objects::FromPrimitiveAs<objects::ComputeNode>(objinst);
                node->set_id(1);
                node->set_uuid(GenerateUuid());
                return Json::array({Json{{"id", 1}, {"uuid", node->uuid()}}, nullptr});
            }
            ++node_saves;
            return Json::array({Json::object(), nullptr});
        }
        FAIL("unexpected object_action " << name << "." << method);
        return Json();
    }

    Json ClassAction(const Json& args) {
        std::lock_guard lock(mutex_);
        const std::string name = args.at("objname").get<std::string>() + "." +
                                 args.at("objmethod").get<std::string>();
        if (name == "InstanceActionEvent.event_start") {
            started_events.push_back(args.at("args")[1].get<std::string>());
            return Json();
        }
        if (name == "InstanceActionEvent.event_finish_with_failure") {
            events.emplace_back(args.at("args")[1].get<std::string>(), args.at("kwargs").at("exc_val"));
            return Json();
        }
        if (name == "InstanceList.get_by_host") {
            objects::InstanceList list;
            for (const auto& [uuid, instance] : instances) {
                if (objects::IsSet(instance, "host") && !objects::IsNull(instance, "host") &&
                    instance.host() == args.at("args")[0].get<std::string>()) {
                    *list.add_objects() = instance;
                }
            }
            return objects::ToPrimitive(list);
        }
        if (name == "ComputeNode.get_by_host_and_nodename") {
            if (!node) throw ComputeHostNotFound({{"host", args.at("args")[0].get<std::string>()}});
            return objects::ToPrimitive(*node);
        }
        if (name == "Instance.get_by_uuid") {
            auto it = instances.find(args.at("kwargs").at("uuid").get<std::string>());
            if (it == instances.end()) throw InstanceNotFound({{"instance_id", "?"}});
            return objects::ToPrimitive(it->second);
        }
        FAIL("unexpected class action " << name);
        return Json();
    }

    std::unique_ptr<rpc::Server> server_;
};

objects::Instance NewInstance(std::map<std::string, std::string> system_metadata = {}) {
    objects::Instance instance;
    instance.set_id(1);
    instance.set_uuid(GenerateUuid());
    instance.set_user_id("user");
    instance.set_project_id("project");
    instance.set_display_name("vm");
    instance.set_image_ref("70a599e0-31e7-49b7-b260-868f441e862b");
    instance.set_vm_state(vm_states::kBuilding);
    instance.set_task_state(task_states::kScheduling);
    instance.set_power_state(0);
    objects::SetNull(instance, "host");
    objects::SetNull(instance, "node");
    auto* flavor = instance.mutable_flavor();
    flavor->set_id(1);
    flavor->set_flavorid("1");
    flavor->set_name("m1.tiny");
    flavor->set_vcpus(1);
    flavor->set_memory_mb(64);
    flavor->set_root_gb(1);
    flavor->set_ephemeral_gb(0);
    flavor->set_swap(0);
    for (const auto& [k, v] : system_metadata) (*instance.mutable_system_metadata())[k] = v;
    return instance;
}

ResourceTrackerOptions TrackerOptions() {
    ResourceTrackerOptions options;
    options.host = kHost;
    options.my_ip = "127.0.0.1";
    return options;
}

struct Fixture {
    std::shared_ptr<rpc::Transport> transport =
        rpc::MakeTransport("fake:///" + GenerateUuid(), rpc::TransportOptions{});
    FakeCell cell{transport};
    conf::UpgradeLevelsOptions levels{};
    conf::MessagingOptions messaging{};
    conductor::ConductorRpcApi conductor_api{transport, levels};
    conductor::ComputeTaskRpcApi compute_task{transport, levels, messaging};
    conductor::ResourceReportRpcApi placement{transport};
    ConductorObjects objects{conductor_api};
    ConductorResourceReporter reporter{objects, placement};
    ManualClock clock;
    virt::FakeDriver driver{virt::FakeDriverOptions{}, clock,
                            [](std::chrono::duration<double>) {}};
    ResourceTracker tracker{TrackerOptions(), driver, reporter};
    ComputeManager manager{ComputeManagerOptions{.host = kHost},
                           ComputeManagerDeps{.driver = driver,
                                              .objects = objects,
                                              .tracker = tracker,
                                              .clock = clock,
                                              .compute_task = &compute_task,
                                              .placement = &placement}};
    RequestContext ctx = RequestContext::Admin();

    Fixture() {
        driver.InitHost(kHost);
        manager.UpdateAvailableResource(ctx, true);
    }

    std::string Node() { return driver.GetAvailableNodes().front(); }

    Json BuildArgs(const objects::Instance& instance, bool retry = false,
                   int alternates = 0) {
        Json filter_properties = Json::object();
        if (retry) filter_properties["retry"] = {{"num_attempts", 1}, {"hosts", Json::array()}};
        Json host_list = Json::array();
        for (int i = 0; i < alternates; ++i) {
            objects::Selection selection;
            selection.set_service_host("alt" + std::to_string(i));
            selection.set_nodename("alt" + std::to_string(i));
            selection.set_compute_node_uuid(GenerateUuid());
            selection.set_cell_uuid(GenerateUuid());
            host_list.push_back(objects::ToPrimitive(selection));
        }
        return {{"instance", objects::ToPrimitive(instance)},
                {"image", Json::object()},
                {"request_spec", nullptr},
                {"filter_properties", filter_properties},
                {"admin_password", nullptr},
                {"injected_files", Json::array()},
                {"requested_networks", nullptr},
                {"security_groups", nullptr},
                {"block_device_mapping", nullptr},
                {"node", Node()},
                {"limits", Json::object()},
                {"host_list", host_list},
                {"accel_uuids", Json::array()}};
    }

    // Builds an instance to ACTIVE and returns it as stored.
    objects::Instance Active() {
        auto instance = NewInstance();
        cell.Put(instance);
        manager.BuildAndRunInstance(ctx, BuildArgs(instance));
        auto stored = cell.Get(instance.uuid());
        REQUIRE(stored);
        REQUIRE(stored->vm_state() == vm_states::kActive);
        return *stored;
    }
    // The API's part of an action: set the task_state, then the compute gets the instance.
    Json ActionArgs(const std::string& uuid, const char* task, Json extra = Json::object()) {
        cell.SetTask(uuid, task);
        extra["instance"] = objects::ToPrimitive(*cell.Get(uuid));
        return extra;
    }
};

TEST_CASE_FIXTURE(Fixture, "a build goes BUILD/scheduling -> networking -> spawning -> ACTIVE") {
    auto instance = NewInstance();
    cell.Put(instance);
    manager.BuildAndRunInstance(ctx, BuildArgs(instance));

    auto stored = cell.Get(instance.uuid());
    REQUIRE(stored);
    CHECK(stored->vm_state() == "active");
    CHECK(TaskOf(*stored) == "None");
    CHECK(stored->power_state() == virt::power_state::RUNNING);
    CHECK(stored->host() == kHost);
    CHECK(stored->node() == Node());
    CHECK(stored->launched_on() == kHost);
    CHECK(objects::IsSet(*stored, "launched_at"));
    CHECK(cell.saved_task_states ==
          std::vector<std::string>{"None", "None", "networking", "block_device_mapping",
                                   "spawning", "None"});
    CHECK(cell.started_events == std::vector<std::string>{"compute__do_build_and_run_instance"});
    REQUIRE(cell.events.size() == 1);
    CHECK(cell.events[0].second.is_null());
    CHECK(driver.ListInstanceUuids() == std::vector<std::string>{instance.uuid()});
    CHECK(tracker.TrackedInstances(Node()) == std::vector<std::string>{instance.uuid()});
}

TEST_CASE_FIXTURE(Fixture, "a failed spawn with alternates is rescheduled with the claim released") {
    auto instance = NewInstance({{"image_fake_fail_spawn", "true"}});
    cell.Put(instance);
    manager.BuildAndRunInstance(ctx, BuildArgs(instance, /*retry=*/true, /*alternates=*/2));

    auto stored = cell.Get(instance.uuid());
    REQUIRE(stored);
    CHECK(stored->vm_state() == "building");
    CHECK(TaskOf(*stored) == "scheduling");
    CHECK(objects::IsNull(*stored, "host"));
    CHECK(tracker.TrackedInstances(Node()).empty());
    CHECK(driver.ListInstanceUuids().empty());
    CHECK(cell.deleted_allocations == std::vector<std::string>{instance.uuid()});
    // The conductor's build_instances cast arrives asynchronously.
    for (int i = 0; i < 100; ++i) {
        {
            std::lock_guard lock(cell.mutex_);
            if (!cell.reschedules.empty()) break;
        }
        std::this_thread::sleep_for(20ms);
    }
    std::lock_guard lock(cell.mutex_);
    REQUIRE(cell.reschedules.size() == 1);
    CHECK(cell.reschedules[0].at("host_lists").at(0).size() == 2);
    CHECK(cell.reschedules[0].at("filter_properties").at("retry").contains("exc"));
    REQUIRE(cell.events.size() == 1);
    CHECK(cell.events[0].second == "ComputeResourcesUnavailable");
}

TEST_CASE_FIXTURE(Fixture, "a failed spawn without retry information ends in ERROR with a fault") {
    auto instance = NewInstance({{"image_fake_fail_spawn", "true"}});
    cell.Put(instance);
    manager.BuildAndRunInstance(ctx, BuildArgs(instance));
    auto stored = cell.Get(instance.uuid());
    CHECK(stored->vm_state() == "error");
    CHECK(TaskOf(*stored) == "None");
    REQUIRE(cell.faults.size() == 1);
    CHECK(cell.faults[0].instance_uuid() == instance.uuid());
    CHECK(cell.faults[0].host() == kHost);
    CHECK(cell.reschedules.empty());
    CHECK(tracker.TrackedInstances(Node()).empty());
    CHECK(cell.deleted_allocations == std::vector<std::string>{instance.uuid()});
}

TEST_CASE_FIXTURE(Fixture, "BuildAbortException is never rescheduled") {
    auto instance = NewInstance({{"image_fake_fail_spawn", "abort"}});
    cell.Put(instance);
    manager.BuildAndRunInstance(ctx, BuildArgs(instance, true, 2));
    CHECK(cell.Get(instance.uuid())->vm_state() == "error");
    CHECK(cell.faults.size() == 1);
    std::this_thread::sleep_for(50ms);
    std::lock_guard lock(cell.mutex_);
    CHECK(cell.reschedules.empty());
}

TEST_CASE_FIXTURE(Fixture, "an instance deleted before its build is not spawned") {
    auto instance = NewInstance();
    instance.set_task_state(task_states::kDeleting);
    cell.Put(instance);
    manager.BuildAndRunInstance(ctx, BuildArgs(instance));
    CHECK(driver.ListInstanceUuids().empty());
    CHECK(tracker.TrackedInstances(Node()).empty());
    CHECK(cell.Get(instance.uuid())->vm_state() == "building");
}

TEST_CASE_FIXTURE(Fixture, "stop, start, pause, unpause, suspend and resume end in Nova's states") {
    auto instance = Active();
    const auto uuid = instance.uuid();

    manager.StopInstance(ctx, ActionArgs(uuid, task_states::kPoweringOff,
                                         {{"clean_shutdown", false}}));
    CHECK(cell.Get(uuid)->vm_state() == "stopped");
    CHECK(cell.Get(uuid)->power_state() == virt::power_state::SHUTDOWN);
    CHECK(TaskOf(*cell.Get(uuid)) == "None");

    manager.StartInstance(ctx, ActionArgs(uuid, task_states::kPoweringOn));
    CHECK(cell.Get(uuid)->vm_state() == "active");
    CHECK(cell.Get(uuid)->power_state() == virt::power_state::RUNNING);

    manager.PauseInstance(ctx, ActionArgs(uuid, task_states::kPausing));
    CHECK(cell.Get(uuid)->vm_state() == "paused");
    CHECK(cell.Get(uuid)->power_state() == virt::power_state::PAUSED);

    manager.UnpauseInstance(ctx, ActionArgs(uuid, task_states::kUnpausing));
    CHECK(cell.Get(uuid)->vm_state() == "active");

    manager.SuspendInstance(ctx, ActionArgs(uuid, task_states::kSuspending));
    CHECK(cell.Get(uuid)->vm_state() == "suspended");
    CHECK(cell.Get(uuid)->power_state() == virt::power_state::SUSPENDED);

    manager.ResumeInstance(ctx, ActionArgs(uuid, task_states::kResuming));
    CHECK(cell.Get(uuid)->vm_state() == "active");
    CHECK(cell.Get(uuid)->power_state() == virt::power_state::RUNNING);

    std::vector<std::string> names;
    for (const auto& [name, exc] : cell.events) names.push_back(name);
    CHECK(names == std::vector<std::string>{
                       "compute__do_build_and_run_instance", "compute_stop_instance",
                       "compute_start_instance", "compute_pause_instance",
                       "compute_unpause_instance", "compute_suspend_instance",
                       "compute_resume_instance"});
}

TEST_CASE_FIXTURE(Fixture, "an unexpected task_state aborts the operation and is recorded") {
    auto instance = Active();
    // The API did not set powering-off (e.g. a delete raced it to deleting).
    auto args = ActionArgs(instance.uuid(), task_states::kDeleting);
    CHECK_THROWS_AS(manager.StopInstance(ctx, args), UnexpectedTaskStateError);
    CHECK(cell.events.back().first == "compute_stop_instance");
    CHECK(cell.events.back().second == "UnexpectedDeletingTaskStateError");
    CHECK(cell.Get(instance.uuid())->vm_state() == "active");
}

TEST_CASE_FIXTURE(Fixture, "soft and hard reboots end ACTIVE/RUNNING through Nova's task states") {
    auto instance = Active();
    const auto uuid = instance.uuid();
    cell.saved_task_states.clear();
    manager.RebootInstance(ctx, ActionArgs(uuid, task_states::kRebooting,
                                           {{"reboot_type", "SOFT"}, {"block_device_info", nullptr}}));
    CHECK(cell.saved_task_states ==
          std::vector<std::string>{"reboot_pending", "reboot_started", "None"});
    cell.saved_task_states.clear();
    manager.RebootInstance(ctx, ActionArgs(uuid, task_states::kRebootingHard,
                                           {{"reboot_type", "HARD"}, {"block_device_info", nullptr}}));
    CHECK(cell.saved_task_states ==
          std::vector<std::string>{"reboot_pending_hard", "reboot_started_hard", "None"});
    CHECK(cell.Get(uuid)->vm_state() == "active");
    CHECK(cell.Get(uuid)->power_state() == virt::power_state::RUNNING);
    // A soft reboot the API did not ask for is refused.
    CHECK_THROWS_AS(manager.RebootInstance(ctx, ActionArgs(uuid, nullptr, {{"reboot_type", "SOFT"}})),
                    UnexpectedTaskStateError);
}

TEST_CASE_FIXTURE(Fixture, "terminate destroys the guest, frees the claim and allocations, destroys the record") {
    auto instance = Active();
    manager.TerminateInstance(ctx, ActionArgs(instance.uuid(), task_states::kDeleting,
                                              {{"bdms", nullptr}}));
    CHECK_FALSE(cell.Get(instance.uuid()).has_value());
    CHECK(driver.ListInstanceUuids().empty());
    CHECK(tracker.TrackedInstances(Node()).empty());
    CHECK(cell.deleted_allocations == std::vector<std::string>{instance.uuid()});
    CHECK(cell.events.back().first == "compute_terminate_instance");
    CHECK(cell.events.back().second.is_null());
}

TEST_CASE_FIXTURE(Fixture, "init_host recovers instances left in transitional states") {
    auto building = NewInstance();
    building.set_host(kHost);
    building.set_node(Node());
    building.set_task_state(task_states::kSpawning);
    cell.Put(building);

    auto stopping = Active();
    cell.SetTask(stopping.uuid(), task_states::kPoweringOff);

    auto deleting = Active();
    cell.SetTask(deleting.uuid(), task_states::kDeleting);

    auto rebooting = Active();
    cell.SetTask(rebooting.uuid(), task_states::kRebootStarted);

    manager.InitHost();

    CHECK(cell.Get(building.uuid())->vm_state() == "error");
    CHECK(TaskOf(*cell.Get(building.uuid())) == "None");
    CHECK(cell.Get(stopping.uuid())->vm_state() == "stopped");
    CHECK(TaskOf(*cell.Get(stopping.uuid())) == "None");
    CHECK_FALSE(cell.Get(deleting.uuid()).has_value());
    CHECK(cell.Get(rebooting.uuid())->vm_state() == "active");
    CHECK(TaskOf(*cell.Get(rebooting.uuid())) == "None");
    CHECK(std::find(cell.deleted_allocations.begin(), cell.deleted_allocations.end(),
                    building.uuid()) != cell.deleted_allocations.end());
}

TEST_CASE_FIXTURE(Fixture, "the power-state sync records a guest that stopped by itself") {
    auto instance = Active();
    driver.SetPowerStateForTest(instance.uuid(), virt::PowerState::kShutdown);
    manager.SyncPowerStates(ctx);
    CHECK(cell.Get(instance.uuid())->vm_state() == "stopped");
    CHECK(cell.Get(instance.uuid())->power_state() == virt::power_state::SHUTDOWN);
}

TEST_CASE_FIXTURE(Fixture, "update_available_resource reports the node once and then only changes") {
    CHECK(cell.node.has_value());
    CHECK(cell.inventories.size() == 1);
    // The first audit after the startup one may still fill in fields; after it, an audit
    // that finds nothing new reports nothing.
    manager.UpdateAvailableResource(ctx);
    const auto inventories = cell.inventories.size();
    const int saves = cell.node_saves;
    manager.UpdateAvailableResource(ctx);
    CHECK(cell.inventories.size() == inventories);
    CHECK(cell.node_saves == saves);
    Active();
    manager.UpdateAvailableResource(ctx);
    CHECK(cell.node_saves > saves);
}

TEST_CASE("operations on one instance are serialised, different instances are not") {
    InstanceLocks locks;
    std::atomic<int> inside{0};
    std::atomic<int> overlap{0};
    auto worker = [&](const std::string& uuid) {
        for (int i = 0; i < 50; ++i) {
            InstanceLocks::Guard guard(locks, uuid);
            if (++inside > 1) ++overlap;
            std::this_thread::sleep_for(100us);
            --inside;
        }
    };
    std::thread a(worker, "same");
    std::thread b(worker, "same");
    a.join();
    b.join();
    CHECK(overlap == 0);
    CHECK(locks.size() == 0);

    InstanceLocks::Guard first(locks, "one");
    std::atomic<bool> other_ran{false};
    std::thread c([&] {
        InstanceLocks::Guard second(locks, "two");
        other_ran = true;
    });
    c.join();
    CHECK(other_ran);
}

TEST_CASE_FIXTURE(Fixture, "the manager serves the compute API and baseapi over RPC") {
    rpc::Server server(transport, rpc::ServerTarget{.topic = "compute", .server = kHost},
                       [&] {
                           auto endpoints = manager.Endpoints();
                           endpoints.push_back(rpc::BaseApiEndpoint("nova-compute"));
                           return endpoints;
                       }(),
                       2);
    server.Start();
    ComputeRpcApi api(transport, levels, messaging);
    auto instance = NewInstance();
    cell.Put(instance);
    instance.set_host(kHost);
    api.BuildAndRunInstance(ctx, instance, kHost, Json::object(), objects::RequestSpec(),
                            Json::object(), std::nullopt, Json::array(), Json(), Json(), Json(),
                            Node(), Json(), {});
    bool active = false;
    for (int i = 0; i < 200 && !active; ++i) {
        auto stored = cell.Get(instance.uuid());
        active = stored && stored->vm_state() == "active";
        if (!active) std::this_thread::sleep_for(20ms);
    }
    CHECK(active);
    auto stored = *cell.Get(instance.uuid());
    CHECK(api.GetConsoleOutput(ctx, stored, std::nullopt).size() > 0);
    CHECK(api.GetHostUptime(ctx, kHost).find("up") != std::string::npos);

    rpc::Client base(transport, {.topic = "compute", .server = kHost, .namespace_ = "baseapi",
                                 .version = "1.1"});
    auto pong = base.Call(ctx, "ping", {{"arg", "x"}});
    CHECK(pong.at("service") == "nova-compute");
    server.Stop();
}

}  // namespace
}  // namespace nova::compute
