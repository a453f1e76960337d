// ComputeManager's state transitions with the FakeDriver and a fake cell behind a fake
// conductor on the in-memory transport: the conductor keeps the instances, checks
// expected_task_state on save as Nova's DB API does, and records events, faults,
// reschedules and allocation removals.
#include "nova/compute/manager.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"
#include "nova/compute/rpcapi.hpp"
#include "nova/objects/compute_node.pb.h"
#include "nova/objects/instance_action.pb.h"
#include "nova/objects/instance_fault.pb.h"
#include "nova/rpc/client.hpp"
#include "nova/rpc/notifier.hpp"
#include "nova/rpc/server.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/scheduler/rpcapi.hpp"
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
        compute_task.AddCast("migrate_server", [this](const RequestContext&, const Json& args) {
            std::lock_guard lock(mutex_);
            resize_reschedules.push_back(args);
            arrived_.notify_all();
        });
        rpc::Endpoint placement("nova_cpp_placement", "1.1");
        placement.Add("move_allocations", [this](const RequestContext&, const Json& args) {
            std::lock_guard lock(mutex_);
            moved_allocations.emplace_back(args.at("source_consumer").get<std::string>(),
                                           args.at("target_consumer").get<std::string>());
            return Json(true);
        });
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
    std::vector<std::pair<std::string, std::string>> moved_allocations;  // (source, target)
    std::vector<Json> resize_reschedules;
    std::map<std::string, objects::Migration> migrations;
    std::optional<objects::ComputeNode> node;  // the first host's
    std::map<std::string, objects::ComputeNode> nodes;  // by host
    int node_saves = 0;

    void PutMigration(const objects::Migration& migration) {
        std::lock_guard lock(mutex_);
        migrations[migration.uuid()] = migration;
    }
    objects::Migration GetMigration(const std::string& uuid) {
        std::lock_guard lock(mutex_);
        return migrations.at(uuid);
    }
    std::vector<std::string> FinishedEvents() {
        std::lock_guard lock(mutex_);
        std::vector<std::string> out;
        for (const auto& [name, exc] : events) out.push_back(name + (exc.is_null() ? "" : ":" + exc.get<std::string>()));
        return out;
    }
    Json WaitResizeReschedule() {
        std::unique_lock lock(mutex_);
        REQUIRE(arrived_.wait_for(lock, 10s, [&] { return !resize_reschedules.empty(); }));
        return resize_reschedules.front();
    }

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
                const Json value = objects::FieldToPrimitive(incoming, f);
                objects::Unset(stored, f);  // a dict is replaced, not merged
                objects::FieldFromPrimitive(stored, f, value);
            }
            saved_task_states.push_back(TaskOf(stored));
            return Json::array({Json::object(), nullptr});
        }
        if (name == "InstanceFault") {
            faults.push_back(objects::FromPrimitiveAs<objects::InstanceFault>(objinst));
            return Json::array({Json{{"id", static_cast<int>(faults.size())}}, nullptr});
        }
        if (name == "Migration") {
            REQUIRE(method == "save");
            auto incoming = objects::FromPrimitiveAs<objects::Migration>(objinst);
            auto& stored = migrations[incoming.uuid()];
            if (stored.uuid().empty()) stored = incoming;
            for (const auto& field : objinst.value("nova_object.changes", Json::array())) {
                const std::string f = field;
                objects::FieldFromPrimitive(stored, f, objects::FieldToPrimitive(incoming, f));
            }
            return Json::array({Json::object(), nullptr});
        }
        if (name == "ComputeNode") {
            if (method == "create") {
                auto created = objects::FromPrimitiveAs<objects::ComputeNode>(objinst);
                created.set_id(static_cast<std::int64_t>(nodes.size()) + 1);
                created.set_uuid(GenerateUuid());
                nodes[created.host()] = created;
                if (!node) node = created;
                return Json::array({Json{{"id", created.id()}, {"uuid", created.uuid()}}, nullptr});
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
            const auto host = args.at("args")[0].get<std::string>();
            auto it = nodes.find(host);
            if (it == nodes.end()) throw ComputeHostNotFound({{"host", host}});
            return objects::ToPrimitive(it->second);
        }
        if (name == "MigrationList.get_in_progress_and_error") {
            const auto host = args.at("args")[0].get<std::string>();
            const auto node_name = args.at("args")[1].get<std::string>();
            objects::MigrationList list;
            objects::SetEmpty(list, "objects");
            for (const auto& [uuid, m] : migrations) {
                if (m.status() == "confirmed" || m.status() == "reverted") continue;
                if ((m.source_compute() == host && m.source_node() == node_name) ||
                    (m.dest_compute() == host && m.dest_node() == node_name)) {
                    *list.add_objects() = m;
                }
            }
            return objects::ToPrimitive(list);
        }
        if (name == "Instance.get_by_uuid") {
            auto it = instances.find(args.at("kwargs").at("uuid").get<std::string>());
            if (it == instances.end()) throw InstanceNotFound({{"instance_id", "?"}});
            return objects::ToPrimitive(it->second);
        }
        FAIL("unexpected class action " << name);
        return Json();
    }

    std::condition_variable arrived_;
    std::unique_ptr<rpc::Server> server_;
};

// What the computes cast to each other (compute.<host>), recorded instead of served so that
// a test runs each step of a resize itself.
class ComputeCasts {
public:
    ComputeCasts(std::shared_ptr<rpc::Transport> transport, const std::vector<std::string>& hosts) {
        for (const auto& host : hosts) {
            rpc::Endpoint endpoint(std::nullopt, "6.1");
            for (const char* method : {"prep_resize", "resize_instance", "finish_resize",
                                       "confirm_resize", "revert_resize", "finish_revert_resize"}) {
                endpoint.AddCast(method, [this, host, method](const RequestContext&, const Json& args) {
                    std::lock_guard lock(mutex_);
                    casts_.push_back({host, method, args});
                    arrived_.notify_all();
                });
            }
            servers_.push_back(std::make_unique<rpc::Server>(
                transport, rpc::ServerTarget{.topic = "compute", .server = host},
                std::vector<rpc::Endpoint>{endpoint}, 1));
            servers_.back()->Start();
        }
    }
    ~ComputeCasts() {
        for (auto& server : servers_) server->Stop();
    }
    // Waits for the next cast of `method` and returns (host, args).
    std::pair<std::string, Json> Next(const std::string& method) {
        std::unique_lock lock(mutex_);
        Cast found;
        REQUIRE(arrived_.wait_for(lock, 10s, [&] {
            for (auto it = casts_.begin(); it != casts_.end(); ++it) {
                if (it->method == method) {
                    found = *it;
                    casts_.erase(it);
                    return true;
                }
            }
            return false;
        }));
        return {found.host, found.args};
    }
    std::size_t Pending() {
        std::lock_guard lock(mutex_);
        return casts_.size();
    }

private:
    struct Cast {
        std::string host;
        std::string method;
        Json args;
    };
    std::mutex mutex_;
    std::condition_variable arrived_;
    std::vector<Cast> casts_;
    std::vector<std::unique_ptr<rpc::Server>> servers_;
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
    ComputeRpcApi compute_api{transport, levels, messaging};
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
                                              .placement = &placement,
                                              .compute = &compute_api}};
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
    // Four writes: BUILDING, the claim's host with NETWORKING, SPAWNING, ACTIVE.
    CHECK(cell.saved_task_states == std::vector<std::string>{"None", "networking", "spawning", "None"});
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
    CHECK(TaskOf(*cell.Get(instance.uuid())) == "None");
    CHECK(cell.Get(instance.uuid())->power_state() == virt::power_state::SHUTDOWN);
    // Through the stop path: powering-off, then the stop operation and its event.
    const auto& saved = cell.saved_task_states;
    CHECK(std::find(saved.begin(), saved.end(), "powering-off") != saved.end());
    CHECK(cell.FinishedEvents().back() == "compute_stop_instance");

    // A guest running behind a STOPPED record is forced off.
    driver.PowerOn(ctx, instance, {}, {});
    manager.SyncPowerStates(ctx);
    CHECK(cell.Get(instance.uuid())->vm_state() == "stopped");
    CHECK(driver.GetInfo(instance).state == virt::PowerState::kShutdown);
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


TEST_CASE("an instance still building past instance_build_timeout goes to ERROR with a fault") {
    Fixture f;
    ComputeManager manager(ComputeManagerOptions{.host = kHost, .instance_build_timeout = std::chrono::seconds(300)},
                           ComputeManagerDeps{.driver = f.driver,
                                              .objects = f.objects,
                                              .tracker = f.tracker,
                                              .clock = f.clock,
                                              .placement = &f.placement});
    auto stuck = NewInstance();
    stuck.set_host(kHost);
    stuck.mutable_created_at()->set_seconds(1700000000 - 10);
    f.cell.Put(stuck);
    auto fresh = NewInstance();
    fresh.set_host(kHost);
    fresh.mutable_created_at()->set_seconds(1700000000 - 10);
    f.cell.Put(fresh);
    auto active = f.Active();

    CHECK(manager.CheckInstanceBuildTime(f.ctx) == 0);  // not old enough yet
    f.clock.Advance(std::chrono::seconds(400));
    f.cell.Put([&] {
        auto i = *f.cell.Get(fresh.uuid());
        i.mutable_created_at()->set_seconds(1700000000 + 350);
        return i;
    }());
    CHECK(manager.CheckInstanceBuildTime(f.ctx) == 1);
    CHECK(f.cell.Get(stuck.uuid())->vm_state() == "error");
    CHECK(f.cell.Get(fresh.uuid())->vm_state() == "building");
    CHECK(f.cell.Get(active.uuid())->vm_state() == "active");
    REQUIRE(f.cell.faults.size() == 1);
    CHECK(f.cell.faults[0].message().find("timed out") != std::string::npos);
    CHECK(f.cell.deleted_allocations.back() == stuck.uuid());
}

TEST_CASE_FIXTURE(Fixture, "the schedulers get the host's instances at start and its uuids periodically") {
    std::mutex mutex;
    std::condition_variable arrived;
    std::vector<std::pair<std::string, Json>> got;
    rpc::Endpoint endpoint(std::nullopt, "4.5");
    for (const char* method : {"update_instance_info", "sync_instance_info"}) {
        endpoint.AddCast(method, [&, method](const RequestContext&, const Json& args) {
            std::lock_guard lock(mutex);
            got.emplace_back(method, args);
            arrived.notify_all();
        });
    }
    rpc::Server server(transport, rpc::ServerTarget{.topic = "scheduler", .server = "sched1"},
                       std::vector<rpc::Endpoint>{endpoint}, 1);
    server.Start();
    scheduler::SchedulerRpcApi scheduler_api(transport, levels, messaging);
    auto a = Active();
    auto b = Active();
    ComputeManager with_scheduler(ComputeManagerOptions{.host = kHost},
                                  ComputeManagerDeps{.driver = driver,
                                                     .objects = objects,
                                                     .tracker = tracker,
                                                     .clock = clock,
                                                     .scheduler = &scheduler_api});
    with_scheduler.InitHost();
    with_scheduler.SyncSchedulerInstanceInfo(ctx);
    std::unique_lock lock(mutex);
    REQUIRE(arrived.wait_for(lock, 10s, [&] { return got.size() >= 2; }));
    std::map<std::string, Json> by_method(got.begin(), got.end());
    CHECK(by_method.at("update_instance_info").at("host_name") == kHost);
    CHECK(by_method.at("update_instance_info").at("instance_info").at("nova_object.data").at("objects").size() == 2);
    CHECK(by_method.at("sync_instance_info").at("host_name") == kHost);
    auto uuids = by_method.at("sync_instance_info").at("instance_uuids").get<std::vector<std::string>>();
    std::sort(uuids.begin(), uuids.end());
    std::vector<std::string> expected{a.uuid(), b.uuid()};
    std::sort(expected.begin(), expected.end());
    CHECK(uuids == expected);
    lock.unlock();
    server.Stop();
}

// --- resize and cold migration ---------------------------------------------------------------

constexpr const char* kDest = "compute2";

objects::Flavor BiggerFlavor() {
    objects::Flavor flavor;
    flavor.set_id(2);
    flavor.set_flavorid("2");
    flavor.set_name("m1.small");
    flavor.set_vcpus(2);
    flavor.set_memory_mb(128);
    flavor.set_root_gb(2);
    flavor.set_ephemeral_gb(0);
    flavor.set_swap(0);
    return flavor;
}

// Fixture's manager is the source (compute1); this adds the destination (compute2) and the
// recorded compute-to-compute casts.
struct ResizeFixture : Fixture {
    ManualClock dest_clock;
    virt::FakeDriverOptions dest_options = [] {
        virt::FakeDriverOptions o;
        return o;
    }();
    virt::FakeDriver dest_driver{dest_options, clock, [](std::chrono::duration<double>) {}};
    ResourceTracker dest_tracker{[] {
                                     auto o = TrackerOptions();
                                     o.host = kDest;
                                     o.my_ip = "192.0.2.2";
                                     return o;
                                 }(),
                                 dest_driver, reporter};
    ComputeManager dest{ComputeManagerOptions{.host = kDest},
                        ComputeManagerDeps{.driver = dest_driver,
                                           .objects = objects,
                                           .tracker = dest_tracker,
                                           .clock = clock,
                                           .compute_task = &compute_task,
                                           .placement = &placement,
                                           .compute = &compute_api}};
    ComputeCasts casts{transport, {kHost, kDest}};

    ResizeFixture() {
        dest_driver.InitHost(kDest);
        dest.UpdateAvailableResource(ctx, true);
    }
    std::string DestNode() { return dest_driver.GetAvailableNodes().front(); }

    // The conductor's part: the migration record (pre-migrating), then prep_resize's args.
    std::pair<objects::Migration, Json> StartResize(const objects::Instance& instance,
                                                    const objects::Flavor& flavor,
                                                    bool retry = false) {
        objects::Migration migration;
        migration.set_id(7);
        migration.set_uuid(GenerateUuid());
        migration.set_instance_uuid(instance.uuid());
        migration.set_source_compute(instance.host());
        migration.set_source_node(instance.node());
        migration.set_old_instance_type_id(instance.flavor().id());
        migration.set_new_instance_type_id(flavor.id());
        migration.set_status("pre-migrating");
        migration.set_migration_type(flavor.id() == instance.flavor().id() ? "migration" : "resize");
        cell.PutMigration(migration);
        Json filter_properties = Json::object();
        if (retry) filter_properties["retry"] = {{"num_attempts", 1}, {"hosts", Json::array()}};
        filter_properties["limits"] = Json::object();
        Json args = ActionArgs(instance.uuid(), task_states::kResizePrep,
                               {{"image", Json::object()},
                                {"flavor", objects::ToPrimitive(flavor)},
                                {"request_spec", nullptr},
                                {"filter_properties", filter_properties},
                                {"node", DestNode()},
                                {"migration", objects::ToPrimitive(migration)},
                                {"clean_shutdown", true},
                                {"host_list", Json::array()}});
        return {migration, args};
    }

    // prep_resize on the destination, resize_instance on the source, finish_resize on the
    // destination: the instance ends RESIZED on compute2.
    objects::Migration ResizeToDest(const objects::Instance& instance, const objects::Flavor& flavor) {
        auto [migration, args] = StartResize(instance, flavor);
        dest.PrepResize(ctx, args);
        auto [to_source, resize_args] = casts.Next("resize_instance");
        REQUIRE(to_source == kHost);
        manager.ResizeInstance(ctx, resize_args);
        auto [to_dest, finish_args] = casts.Next("finish_resize");
        REQUIRE(to_dest == kDest);
        dest.FinishResize(ctx, finish_args);
        return cell.GetMigration(migration.uuid());
    }
};

TEST_CASE_FIXTURE(ResizeFixture, "resize: prep_resize claims on the destination and casts resize_instance to the source") {
    auto instance = Active();
    auto [migration, args] = StartResize(instance, BiggerFlavor());
    dest.PrepResize(ctx, args);

    auto stored_migration = cell.GetMigration(migration.uuid());
    CHECK(stored_migration.status() == "pre-migrating");
    CHECK(stored_migration.dest_compute() == kDest);
    CHECK(stored_migration.dest_node() == DestNode());
    CHECK(stored_migration.dest_host() == "192.0.2.2");
    auto stored = *cell.Get(instance.uuid());
    CHECK(stored.new_flavor().id() == 2);
    CHECK(stored.system_metadata().at("old_vm_state") == "active");
    CHECK(TaskOf(stored) == "resize_prep");
    // The destination holds the new flavor (2 vcpus, 128 MB) besides its reserved memory.
    auto node = dest_tracker.GetComputeNode(DestNode());
    REQUIRE(node);
    CHECK(node->vcpus_used() == 2);
    CHECK(node->memory_mb_used() == 512 + 128);
    // The periodic audit keeps counting it (the in-progress migration, as Nova's).
    dest.UpdateAvailableResource(ctx);
    node = dest_tracker.GetComputeNode(DestNode());
    CHECK(node->vcpus_used() == 2);
    CHECK(node->memory_mb_used() == 512 + 128);
    auto [host, resize_args] = casts.Next("resize_instance");
    CHECK(host == kHost);
    CHECK(resize_args.at("flavor").at("nova_object.data").at("id") == 2);
    CHECK(resize_args.at("migration").at("nova_object.data").at("dest_compute") == kDest);
    CHECK(cell.FinishedEvents().back() == "compute_prep_resize");
}

TEST_CASE_FIXTURE(ResizeFixture, "resize then confirm: RESIZED on the destination, then ACTIVE with the source cleaned up") {
    auto instance = Active();
    auto migration = ResizeToDest(instance, BiggerFlavor());

    // After resize_instance + finish_resize.
    CHECK(migration.status() == "finished");
    auto stored = *cell.Get(instance.uuid());
    CHECK(stored.vm_state() == "resized");
    CHECK(TaskOf(stored) == "None");
    CHECK(stored.host() == kDest);
    CHECK(stored.node() == DestNode());
    CHECK(stored.flavor().id() == 2);
    CHECK(stored.instance_type_id() == 2);
    CHECK(stored.vcpus() == 2);
    CHECK(stored.memory_mb() == 128);
    CHECK(stored.old_flavor().id() == 1);
    CHECK(stored.new_flavor().id() == 2);
    CHECK(stored.power_state() == virt::power_state::RUNNING);
    // The source's guest is off, the destination's runs with the new flavor.
    CHECK(driver.GetInfo(stored).state == virt::PowerState::kShutdown);
    CHECK(dest_driver.GetInfo(stored).state == virt::PowerState::kRunning);
    // Task states: resize_migrating, resize_migrated (source), resize_finish, None (dest).
    const auto& saved = cell.saved_task_states;
    CHECK(std::find(saved.begin(), saved.end(), "resize_migrating") != saved.end());
    CHECK(std::find(saved.begin(), saved.end(), "resize_migrated") != saved.end());
    CHECK(std::find(saved.begin(), saved.end(), "resize_finish") != saved.end());

    // The API sets the migration to 'confirming' and casts confirm_resize to the source.
    migration.set_status("confirming");
    cell.PutMigration(migration);
    manager.ConfirmResize(ctx, {{"instance", objects::ToPrimitive(stored)},
                                {"migration", objects::ToPrimitive(migration)}});
    CHECK(cell.GetMigration(migration.uuid()).status() == "confirmed");
    stored = *cell.Get(instance.uuid());
    CHECK(stored.vm_state() == "active");
    CHECK(TaskOf(stored) == "None");
    CHECK(stored.host() == kDest);
    CHECK(objects::IsNull(stored, "old_flavor"));
    CHECK(objects::IsNull(stored, "new_flavor"));
    CHECK_FALSE(stored.system_metadata().contains("old_vm_state"));
    CHECK(driver.ListInstanceUuids().empty());
    // The migration's allocations (the source node's) are dropped.
    CHECK(std::find(cell.deleted_allocations.begin(), cell.deleted_allocations.end(),
                    migration.uuid()) != cell.deleted_allocations.end());
    const auto events = cell.FinishedEvents();
    for (const char* event : {"compute_prep_resize", "compute_resize_instance",
                              "compute_finish_resize", "compute_confirm_resize"}) {
        CHECK(std::find(events.begin(), events.end(), event) != events.end());
    }
    // A second confirm of a confirmed migration does nothing.
    manager.ConfirmResize(ctx, {{"instance", objects::ToPrimitive(stored)},
                                {"migration", objects::ToPrimitive(cell.GetMigration(migration.uuid()))}});
    CHECK(cell.Get(instance.uuid())->vm_state() == "active");
}

TEST_CASE_FIXTURE(ResizeFixture, "resize then revert: the destination drops its guest and the source takes the instance back") {
    auto instance = Active();
    auto migration = ResizeToDest(instance, BiggerFlavor());
    REQUIRE(migration.status() == "finished");

    // The API: task_state resize_reverting, migration 'reverting', revert_resize to the dest.
    migration.set_status("reverting");
    cell.PutMigration(migration);
    Json args = ActionArgs(instance.uuid(), task_states::kResizeReverting,
                           {{"migration", objects::ToPrimitive(migration)}, {"request_spec", nullptr}});
    dest.RevertResize(ctx, args);
    CHECK(cell.GetMigration(migration.uuid()).status() == "reverted");
    CHECK(dest_driver.ListInstanceUuids().empty());
    auto [host, finish_args] = casts.Next("finish_revert_resize");
    CHECK(host == kHost);

    manager.FinishRevertResize(ctx, finish_args);
    auto stored = *cell.Get(instance.uuid());
    CHECK(stored.vm_state() == "active");
    CHECK(TaskOf(stored) == "None");
    CHECK(stored.host() == kHost);
    CHECK(stored.node() == Node());
    CHECK(stored.flavor().id() == 1);
    CHECK(stored.instance_type_id() == 1);
    CHECK(stored.vcpus() == 1);
    CHECK(objects::IsNull(stored, "old_flavor"));
    CHECK(objects::IsNull(stored, "new_flavor"));
    CHECK(stored.power_state() == virt::power_state::RUNNING);
    CHECK(driver.GetInfo(stored).state == virt::PowerState::kRunning);
    // The source allocations held by the migration go back to the instance.
    REQUIRE_FALSE(cell.moved_allocations.empty());
    CHECK(cell.moved_allocations.back() == std::make_pair(migration.uuid(), instance.uuid()));
    const auto events = cell.FinishedEvents();
    CHECK(std::find(events.begin(), events.end(), "compute_revert_resize") != events.end());
    CHECK(std::find(events.begin(), events.end(), "compute_finish_revert_resize") != events.end());
}

TEST_CASE_FIXTURE(ResizeFixture, "cold migrate keeps the flavor and moves host and node") {
    auto instance = Active();
    auto migration = ResizeToDest(instance, instance.flavor());
    CHECK(migration.migration_type() == "migration");
    CHECK(migration.status() == "finished");
    auto stored = *cell.Get(instance.uuid());
    CHECK(stored.vm_state() == "resized");
    CHECK(stored.host() == kDest);
    CHECK(stored.flavor().id() == 1);
    CHECK(stored.old_flavor().id() == 1);
}

TEST_CASE_FIXTURE(ResizeFixture, "a stopped instance is resized and comes back stopped on revert") {
    auto instance = Active();
    manager.StopInstance(ctx, ActionArgs(instance.uuid(), task_states::kPoweringOff));
    instance = *cell.Get(instance.uuid());
    REQUIRE(instance.vm_state() == "stopped");
    auto migration = ResizeToDest(instance, BiggerFlavor());
    auto stored = *cell.Get(instance.uuid());
    CHECK(stored.vm_state() == "resized");
    CHECK(dest_driver.GetInfo(stored).state == virt::PowerState::kShutdown);
    migration.set_status("reverting");
    cell.PutMigration(migration);
    dest.RevertResize(ctx, ActionArgs(instance.uuid(), task_states::kResizeReverting,
                                      {{"migration", objects::ToPrimitive(migration)},
                                       {"request_spec", nullptr}}));
    manager.FinishRevertResize(ctx, casts.Next("finish_revert_resize").second);
    stored = *cell.Get(instance.uuid());
    CHECK(stored.vm_state() == "stopped");
    CHECK(driver.GetInfo(stored).state == virt::PowerState::kShutdown);
}

TEST_CASE_FIXTURE(ResizeFixture, "resize, confirm and revert send Nova's versioned notifications") {
    conf::NotificationOptions oslo;
    oslo.driver = {"messagingv2"};
    oslo.retry = -1;
    conf::NovaNotificationOptions nova;
    nova.notification_format = "versioned";
    nova.versioned_notifications_topics = {"versioned_notifications"};
    rpc::Notifier source_notifier(transport, std::string("nova-compute:") + kHost, oslo, nova, clock);
    rpc::Notifier dest_notifier(transport, std::string("nova-compute:") + kDest, oslo, nova, clock);
    REQUIRE(source_notifier.enabled());
    std::mutex mutex;
    std::vector<std::string> bodies;
    auto subscription = transport->SubscribeNotifications(
        "nova", "versioned_notifications.info", [&](std::string body) {
            std::lock_guard lock(mutex);
            bodies.push_back(std::move(body));
            return true;
        });
    ComputeManager source(ComputeManagerOptions{.host = kHost},
                          ComputeManagerDeps{.driver = driver, .objects = objects, .tracker = tracker,
                                             .clock = clock, .compute_task = &compute_task,
                                             .placement = &placement, .notifier = &source_notifier,
                                             .compute = &compute_api});
    ComputeManager destination(ComputeManagerOptions{.host = kDest},
                               ComputeManagerDeps{.driver = dest_driver, .objects = objects,
                                                  .tracker = dest_tracker, .clock = clock,
                                                  .compute_task = &compute_task,
                                                  .placement = &placement,
                                                  .notifier = &dest_notifier,
                                                  .compute = &compute_api});
    auto instance = Active();
    auto [migration, args] = StartResize(instance, BiggerFlavor());
    destination.PrepResize(ctx, args);
    source.ResizeInstance(ctx, casts.Next("resize_instance").second);
    destination.FinishResize(ctx, casts.Next("finish_resize").second);
    auto finished = cell.GetMigration(migration.uuid());
    finished.set_status("reverting");
    cell.PutMigration(finished);
    destination.RevertResize(ctx, ActionArgs(instance.uuid(), task_states::kResizeReverting,
                                             {{"migration", objects::ToPrimitive(finished)},
                                              {"request_spec", nullptr}}));
    source.FinishRevertResize(ctx, casts.Next("finish_revert_resize").second);

    // A second resize, confirmed this time.
    instance = *cell.Get(instance.uuid());
    auto [second, second_args] = StartResize(instance, BiggerFlavor());
    destination.PrepResize(ctx, second_args);
    source.ResizeInstance(ctx, casts.Next("resize_instance").second);
    destination.FinishResize(ctx, casts.Next("finish_resize").second);
    auto confirming = cell.GetMigration(second.uuid());
    confirming.set_status("confirming");
    source.ConfirmResize(ctx, {{"instance", objects::ToPrimitive(*cell.Get(instance.uuid()))},
                               {"migration", objects::ToPrimitive(confirming)}});

    const std::vector<std::string> expected{
        "instance.resize_prep.start",    "instance.resize_prep.end",
        "instance.resize.start",         "instance.resize.end",
        "instance.resize_finish.start",  "instance.resize_finish.end",
        "instance.resize_revert.start",  "instance.resize_revert.end",
        "instance.resize_confirm.start", "instance.resize_confirm.end"};
    auto seen = [&](const std::string& event) {
        std::lock_guard lock(mutex);
        for (const auto& body : bodies) {
            if (body.find("\\\"" + event + "\\\"") != std::string::npos ||
                body.find("\"" + event + "\"") != std::string::npos) {
                return true;
            }
        }
        return false;
    };
    for (const auto& event : expected) {
        bool found = false;
        for (int i = 0; i < 100 && !found; ++i) {
            found = seen(event);
            if (!found) std::this_thread::sleep_for(20ms);
        }
        CHECK_MESSAGE(found, event);
    }
    CHECK_FALSE(seen("instance.resize.error"));
}

TEST_CASE_FIXTURE(ResizeFixture, "a destination without room reschedules the resize with the allocations given back") {
    auto instance = Active();
    auto huge = BiggerFlavor();
    huge.set_memory_mb(100'000'000);
    auto [migration, args] = StartResize(instance, huge, /*retry=*/true);
    dest.PrepResize(ctx, args);
    auto reschedule = cell.WaitResizeReschedule();
    CHECK(reschedule.at("flavor").at("nova_object.data").at("id") == 2);
    CHECK(reschedule.at("request_spec").is_object());
    CHECK(reschedule.at("scheduler_hint").at("filter_properties").at("retry").at("exc").size() == 1);
    REQUIRE_FALSE(cell.moved_allocations.empty());
    CHECK(cell.moved_allocations.back() == std::make_pair(migration.uuid(), instance.uuid()));
    CHECK(cell.GetMigration(migration.uuid()).status() == "error");
    auto stored = *cell.Get(instance.uuid());
    CHECK(stored.vm_state() == "active");
    CHECK(TaskOf(stored) == "resize_prep");
    CHECK(cell.faults.size() == 1);
    // Nothing stays claimed on the destination.
    CHECK(dest_tracker.GetComputeNode(DestNode())->memory_mb_used() == 512);
    CHECK(casts.Pending() == 0);
}

TEST_CASE_FIXTURE(ResizeFixture, "without retry information a failed claim errors the instance and the migration") {
    auto instance = Active();
    auto huge = BiggerFlavor();
    huge.set_memory_mb(100'000'000);
    auto [migration, args] = StartResize(instance, huge);
    dest.PrepResize(ctx, args);
    CHECK(cell.GetMigration(migration.uuid()).status() == "error");
    auto stored = *cell.Get(instance.uuid());
    CHECK(stored.vm_state() == "error");
    CHECK(TaskOf(stored) == "None");
    REQUIRE(cell.faults.size() == 1);
    CHECK(cell.faults[0].message().find("Insufficient") != std::string::npos);
    CHECK(cell.moved_allocations.back() == std::make_pair(migration.uuid(), instance.uuid()));
    CHECK(cell.FinishedEvents().back() == "compute_prep_resize:ComputeResourcesUnavailable");
}

TEST_CASE_FIXTURE(ResizeFixture, "a failed migrate_disk_and_power_off errors the instance and gives the allocations back") {
    auto instance = NewInstance({{"image_fake_fail_resize", "true"}});
    cell.Put(instance);
    manager.BuildAndRunInstance(ctx, BuildArgs(instance));
    instance = *cell.Get(instance.uuid());
    auto [migration, args] = StartResize(instance, BiggerFlavor());
    dest.PrepResize(ctx, args);
    manager.ResizeInstance(ctx, casts.Next("resize_instance").second);
    CHECK(cell.GetMigration(migration.uuid()).status() == "error");
    auto stored = *cell.Get(instance.uuid());
    CHECK(stored.vm_state() == "error");
    CHECK(stored.host() == kHost);
    REQUIRE(cell.faults.size() == 1);
    CHECK(cell.faults[0].message().find("FakeDriver resize failure") != std::string::npos);
    CHECK(cell.moved_allocations.back() == std::make_pair(migration.uuid(), instance.uuid()));
    CHECK(cell.FinishedEvents().back() == "compute_resize_instance:ResizeError");
    CHECK(casts.Pending() == 0);
}

TEST_CASE_FIXTURE(ResizeFixture, "a rolled-back migrate_disk_and_power_off puts the instance back as it was") {
    auto instance = NewInstance({{"image_fake_fail_resize", "rollback"}});
    cell.Put(instance);
    manager.BuildAndRunInstance(ctx, BuildArgs(instance));
    instance = *cell.Get(instance.uuid());
    auto [migration, args] = StartResize(instance, BiggerFlavor());
    dest.PrepResize(ctx, args);
    manager.ResizeInstance(ctx, casts.Next("resize_instance").second);
    CHECK(cell.GetMigration(migration.uuid()).status() == "error");
    auto stored = *cell.Get(instance.uuid());
    CHECK(stored.vm_state() == "active");
    CHECK(TaskOf(stored) == "None");
    CHECK(cell.faults.size() == 1);
}

TEST_CASE_FIXTURE(ResizeFixture, "a failed finish_migration errors the instance on the destination and drops the source allocations") {
    auto instance = NewInstance({{"image_fake_fail_finish_migration", "true"}});
    cell.Put(instance);
    manager.BuildAndRunInstance(ctx, BuildArgs(instance));
    instance = *cell.Get(instance.uuid());
    auto migration = ResizeToDest(instance, BiggerFlavor());
    CHECK(migration.status() == "error");
    auto stored = *cell.Get(instance.uuid());
    CHECK(stored.vm_state() == "error");
    CHECK(stored.host() == kDest);
    CHECK(stored.flavor().id() == 1);  // finish failed: the old flavor is kept
    CHECK(std::find(cell.deleted_allocations.begin(), cell.deleted_allocations.end(),
                    migration.uuid()) != cell.deleted_allocations.end());
}

}  // namespace
}  // namespace nova::compute
