// The boot path in one process: MariaDB (API, cell, cell0), fake:// transport, the conductor's
// compute_task endpoint, the real scheduler library behind a scheduler endpoint, and a fake
// compute that records the casts it gets.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

#include "cloud.hpp"
#include "nova/common/error.hpp"
#include "nova/conductor/manager.hpp"
#include "nova/conductor/rpcapi.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/instance_action_store.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/db/migration_store.hpp"
#include "nova/db/quota_store.hpp"
#include "nova/db/scheduling_store.hpp"
#include "nova/objects/host_mapping.pb.h"
#include "nova/objects/instance_mapping.pb.h"
#include "nova/objects/object.hpp"
#include "nova/rpc/transport.hpp"

using namespace nova;
using namespace std::chrono_literals;
using nova::db::testing::ScratchDatabase;
using nova::scheduler::testing::Cloud;

namespace {

// A recording nova-compute on compute.<host>.
struct FakeCompute {
    std::mutex mutex;
    std::condition_variable arrived;
    std::vector<std::pair<std::string, Json>> builds;  // (host, args)
    std::vector<std::pair<std::string, Json>> resizes;
    std::vector<std::unique_ptr<rpc::Server>> servers;

    void Serve(std::shared_ptr<rpc::Transport> transport, const std::string& host) {
        rpc::Endpoint endpoint(std::nullopt, "6.1");
        endpoint.AddCast("build_and_run_instance", [this, host](const RequestContext&, const Json& args) {
            std::lock_guard lock(mutex);
            builds.emplace_back(host, args);
            arrived.notify_all();
        });
        endpoint.AddCast("prep_resize", [this, host](const RequestContext&, const Json& args) {
            std::lock_guard lock(mutex);
            resizes.emplace_back(host, args);
            arrived.notify_all();
        });
        servers.push_back(std::make_unique<rpc::Server>(transport, rpc::ServerTarget{.topic = "compute", .server = host},
                                                        std::vector<rpc::Endpoint>{endpoint}, 1));
        servers.back()->Start();
    }

    std::pair<std::string, Json> Wait(std::size_t count) {
        std::unique_lock lock(mutex);
        REQUIRE(arrived.wait_for(lock, 20s, [&] { return builds.size() >= count; }));
        return builds[count - 1];
    }
};

struct Boot {
    Cloud cloud;
    ScratchDatabase cell0{ScratchDatabase::Schema::kMain};
    std::shared_ptr<rpc::Transport> transport = rpc::MakeTransport("fake:///" + GenerateUuid(), rpc::TransportOptions{});
    conf::UpgradeLevelsOptions levels{};
    conf::MessagingOptions messaging{};
    scheduler::Placement placement{cloud.api(), cloud.clock()};
    std::unique_ptr<scheduler::HostManager> hosts = cloud.MakeHostManager(cloud.api(), cloud.cell());
    std::unique_ptr<scheduler::Scheduler> sched;
    std::unique_ptr<rpc::Server> scheduler_server;
    std::unique_ptr<scheduler::SchedulerRpcApi> scheduler_api;
    std::unique_ptr<compute::ComputeRpcApi> compute_api;
    std::unique_ptr<conductor::CellDatabases> cells;
    std::unique_ptr<conductor::ComputeTaskManager> compute_task;
    std::unique_ptr<conductor::ConductorManager> manager;
    std::unique_ptr<rpc::Server> conductor_server;
    FakeCompute computes;
    RequestContext ctx = RequestContext::Admin();
    objects::CellMapping cell_mapping;

    Boot() {
        messaging.rpc_response_timeout = 30;
        messaging.long_rpc_timeout = 60;
        ctx.user_id = "user";
        ctx.project_id = "project";
        db::CellMappingStore mappings(cloud.api(), cloud.clock());
        objects::CellMapping cell0_mapping;
        cell0_mapping.set_uuid(db::kCell0Uuid);
        cell0_mapping.set_name("cell0");
        cell0_mapping.set_transport_url("none:///");
        cell0_mapping.set_database_connection(cell0.url());
        cell0_mapping.set_disabled(false);
        mappings.Create(cell0_mapping);
        cell_mapping.set_uuid(cloud.cell_uuid());
        cell_mapping.set_name("cell1");
        cell_mapping.set_transport_url("fake:///");
        cell_mapping.set_database_connection(cloud.cell_url());
        cell_mapping.set_disabled(false);
        mappings.Create(cell_mapping);

        sched = std::make_unique<scheduler::Scheduler>(scheduler::DefaultSchedulerConfig(), placement, *hosts,
                                                       cloud.clock(), 42);
        rpc::Endpoint scheduler_endpoint(std::nullopt, "4.5");
        scheduler_endpoint.Add("select_destinations", [this](const RequestContext& c, const Json& a) {
            auto lists = sched->SelectDestinations(
                c, objects::FromPrimitiveAs<objects::RequestSpec>(a.at("spec_obj")),
                a.at("instance_uuids").get<std::vector<std::string>>(), true, a.value("return_alternates", false));
            Json out = Json::array();
            for (const auto& list : lists) {
                Json l = Json::array();
                for (const auto& s : list) l.push_back(objects::ToPrimitive(s));
                out.push_back(l);
            }
            return out;
        });
        scheduler_server = std::make_unique<rpc::Server>(transport, rpc::ServerTarget{.topic = "scheduler", .server = "sched"},
                                                         std::vector<rpc::Endpoint>{scheduler_endpoint}, 2);
        scheduler_server->Start();

        scheduler_api = std::make_unique<scheduler::SchedulerRpcApi>(transport, levels, messaging);
        compute_api = std::make_unique<compute::ComputeRpcApi>(transport, levels, messaging, [] { return std::int64_t{61}; });
        cells = std::make_unique<conductor::CellDatabases>(cloud.api(), ScratchDatabase::Options(), cloud.clock());
        cells->Register(cloud.cell_uuid(), cloud.cell());
        cells->Register(db::kCell0Uuid, cell0.pool());
        compute_task = std::make_unique<conductor::ComputeTaskManager>(
            cloud.api(), *cells, cloud.clock(), *scheduler_api, *compute_api,
            conductor::ComputeTaskOptions{.host = "conductor-1", .max_attempts = 3});
        manager = std::make_unique<conductor::ConductorManager>(cloud.api(), cloud.cell(), cloud.clock(), compute_task.get());
        conductor_server = std::make_unique<rpc::Server>(transport, rpc::ServerTarget{.topic = "conductor", .server = "conductor-1"},
                                                         manager->Endpoints(), 2);
        conductor_server->Start();
    }

    ~Boot() {
        conductor_server->Stop();
        scheduler_server->Stop();
        for (auto& s : computes.servers) s->Stop();
    }

    std::string AddHost(const std::string& name, const scheduler::testing::HostSpec& spec = {}) {
        auto rp = cloud.AddHost(name, spec);
        objects::HostMapping mapping;
        mapping.set_host(name);
        *mapping.mutable_cell_mapping() = cell_mapping;
        db::HostMappingStore(cloud.api(), cloud.clock()).Create(mapping);
        computes.Serve(transport, name);
        return rp;
    }

    // What nova-api records for one server: BuildRequest, RequestSpec, InstanceMapping.
    std::pair<objects::BuildRequest, objects::RequestSpec> ApiRecords(std::int64_t vcpus, std::int64_t memory_mb) {
        std::string uuid = GenerateUuid();
        auto spec = Cloud::Spec(vcpus, memory_mb, 1);
        spec.set_instance_uuid(uuid);
        objects::Instance instance;
        instance.set_uuid(uuid);
        instance.set_project_id("project");
        instance.set_user_id("user");
        instance.set_display_name("vm-" + uuid.substr(0, 8));
        instance.set_hostname("vm");
        instance.set_vm_state("building");
        instance.set_task_state("scheduling");
        instance.set_power_state(0);
        instance.set_vcpus(vcpus);
        instance.set_memory_mb(memory_mb);
        instance.set_root_gb(1);
        instance.set_ephemeral_gb(0);
        *instance.mutable_flavor() = spec.flavor();
        instance.set_launch_index(0);
        objects::BuildRequest br;
        br.set_instance_uuid(uuid);
        br.set_project_id("project");
        *br.mutable_instance() = instance;
        db::BuildRequestStore(cloud.api(), cloud.clock()).Create(br);
        objects::InstanceMapping im;
        im.set_instance_uuid(uuid);
        im.set_project_id("project");
        im.set_user_id("user");
        im.set_queued_for_delete(false);
        objects::SetNull(im, "cell_mapping");
        db::InstanceMappingStore(cloud.api(), cloud.clock()).Create(im);
        return {br, spec};
    }

    void Schedule(const objects::BuildRequest& br, const objects::RequestSpec& spec) {
        conductor::ComputeTaskRpcApi api(transport, levels, messaging);
        api.ScheduleAndBuildInstances(ctx, {br}, {spec}, Json::object(), std::nullopt, Json::array(), Json(),
                                      Json(), Json());
    }

    // Polls until fn() holds (casts are asynchronous).
    template <class F>
    bool Eventually(F&& fn) {
        for (int i = 0; i < 200; ++i) {
            if (fn()) return true;
            std::this_thread::sleep_for(50ms);
        }
        return false;
    }
};

bool ErrorClassOfBuildRequest(Boot& boot, const std::string& uuid) {
    try {
        db::BuildRequestStore(boot.cloud.api(), boot.cloud.clock()).GetByInstanceUuid(uuid);
        return false;
    } catch (const BuildRequestNotFound&) {
        return true;  // gone, as it must be once the instance exists in a cell
    }
}

}  // namespace

TEST_CASE("a boot is scheduled, created in its cell, mapped, recorded and cast with alternates") {
    Boot boot;
    auto rp1 = boot.AddHost("host-1");
    auto rp2 = boot.AddHost("host-2");
    auto [br, spec] = boot.ApiRecords(1, 512);
    boot.Schedule(br, spec);

    auto [host, args] = boot.computes.Wait(1);
    const std::string uuid = br.instance_uuid();
    CHECK(args["instance"]["nova_object.data"]["uuid"] == uuid);
    CHECK(args["node"] == host);
    REQUIRE(args["host_list"].size() == 1);  // the other host as the alternate
    CHECK(args["host_list"][0]["nova_object.data"]["service_host"] != host);
    CHECK(args["filter_properties"]["retry"]["num_attempts"] == 1);

    auto instance = db::InstanceStore(boot.cloud.cell(), boot.cloud.clock()).GetByUuid(uuid);
    CHECK(instance.vm_state() == "building");
    auto mapping = db::InstanceMappingStore(boot.cloud.api(), boot.cloud.clock()).GetByInstanceUuid(uuid);
    CHECK(mapping.cell_mapping().uuid() == boot.cloud.cell_uuid());
    CHECK(ErrorClassOfBuildRequest(boot, uuid));
    auto action = db::InstanceActionStore(boot.cloud.cell(), boot.cloud.clock()).GetByRequestId(uuid, boot.ctx.request_id);
    CHECK(action.action() == "create");
    auto allocations = boot.placement.GetAllocations(uuid);
    REQUIRE(allocations.size() == 1);
    CHECK(allocations.begin()->first == (host == "host-1" ? rp1 : rp2));

    // The compute failed the build: the reschedule claims the alternate and casts there.
    conductor::ComputeTaskRpcApi api(boot.transport, boot.levels, boot.messaging);
    std::vector<objects::Selection> alternates{objects::FromPrimitiveAs<objects::Selection>(args["host_list"][0])};
    boot.placement.RemoveClaim(uuid);  // the failed compute dropped its claim
    api.BuildInstances(boot.ctx, {instance}, Json::object(), args["filter_properties"], std::nullopt, Json::array(),
                       Json(), Json::array(), Json(), spec, {alternates});
    auto [host2, args2] = boot.computes.Wait(2);
    CHECK(host2 != host);
    CHECK(args2["host_list"].empty());
    CHECK(args2["filter_properties"]["retry"]["num_attempts"] == 2);
    allocations = boot.placement.GetAllocations(uuid);
    REQUIRE(allocations.size() == 1);
    CHECK(allocations.begin()->first == (host2 == "host-1" ? rp1 : rp2));

    // It failed there too and no alternate is left: ERROR with the fault, nothing held.
    api.BuildInstances(boot.ctx, {instance}, Json::object(), args2["filter_properties"], std::nullopt, Json::array(),
                       Json(), Json::array(), Json(), spec, std::vector<std::vector<objects::Selection>>(1));
    CHECK(boot.Eventually([&] {
        return db::InstanceStore(boot.cloud.cell(), boot.cloud.clock()).GetByUuid(uuid).vm_state() == "error";
    }));
    auto fault = db::InstanceFaultStore(boot.cloud.cell(), boot.cloud.clock()).GetLatestForInstance(uuid);
    REQUIRE(fault.has_value());
    CHECK(fault->message().find("Exhausted all hosts") != std::string::npos);
    CHECK(boot.placement.GetAllocations(uuid).empty());
}

TEST_CASE("NoValidHost buries the instance in cell0 in ERROR with its fault") {
    Boot boot;
    boot.AddHost("host-1", {.vcpus = 2});
    auto [br, spec] = boot.ApiRecords(8, 512);  // fits nowhere
    boot.Schedule(br, spec);
    const std::string uuid = br.instance_uuid();
    // The burial ends with the BuildRequest's deletion (instance, fault, mapping before it).
    REQUIRE(boot.Eventually([&] {
        try {
            return db::InstanceStore(boot.cell0.pool(), boot.cloud.clock()).GetByUuid(uuid).vm_state() == "error" &&
                   ErrorClassOfBuildRequest(boot, uuid);
        } catch (const InstanceNotFound&) {
            return false;
        }
    }));
    auto fault = db::InstanceFaultStore(boot.cell0.pool(), boot.cloud.clock()).GetLatestForInstance(uuid);
    REQUIRE(fault.has_value());
    CHECK(fault->message().find("No valid host") != std::string::npos);
    auto mapping = db::InstanceMappingStore(boot.cloud.api(), boot.cloud.clock()).GetByInstanceUuid(uuid);
    CHECK(mapping.cell_mapping().uuid() == db::kCell0Uuid);
    CHECK(ErrorClassOfBuildRequest(boot, uuid));
    CHECK(boot.placement.GetAllocations(uuid).empty());
    CHECK(boot.computes.builds.empty());
}

TEST_CASE("a server deleted while scheduling is not built and its allocations are freed") {
    Boot boot;
    boot.AddHost("host-1");
    auto [br, spec] = boot.ApiRecords(1, 512);
    const std::string uuid = br.instance_uuid();
    db::BuildRequestStore(boot.cloud.api(), boot.cloud.clock()).Destroy(uuid);  // the user's delete
    boot.Schedule(br, spec);
    // The scheduler claimed, the conductor found the BuildRequest gone and undid everything.
    REQUIRE(boot.Eventually([&] {
        try {
            db::InstanceStore(boot.cloud.cell(), boot.cloud.clock()).GetByUuid(uuid);
            return false;
        } catch (const InstanceNotFound&) {
            return boot.placement.GetAllocations(uuid).empty();
        }
    }));
    std::this_thread::sleep_for(200ms);
    CHECK(boot.computes.builds.empty());
}

TEST_CASE("resize: migration record, allocations moved to the migration, prep_resize to the destination") {
    Boot boot;
    auto rp1 = boot.AddHost("host-1");
    auto rp2 = boot.AddHost("host-2");
    auto [br, spec] = boot.ApiRecords(1, 512);
    boot.Schedule(br, spec);
    auto [source, build] = boot.computes.Wait(1);
    const std::string uuid = br.instance_uuid();
    // The compute built it: ACTIVE on the source.
    db::InstanceStore instances(boot.cloud.cell(), boot.cloud.clock());
    auto instance = instances.GetByUuid(uuid);
    instance.set_host(source);
    instance.set_node(source);
    instance.set_vm_state("active");
    instance.set_task_state("resize_prep");
    instances.Save(instance);
    const std::string source_rp = source == "host-1" ? rp1 : rp2;
    const std::string dest_rp = source == "host-1" ? rp2 : rp1;

    objects::Flavor bigger = spec.flavor();
    bigger.set_flavorid("bigger");
    bigger.set_vcpus(2);
    bigger.set_memory_mb(1024);
    conductor::ComputeTaskRpcApi api(boot.transport, boot.levels, boot.messaging);
    api.MigrateServer(boot.ctx, instance, Json::object(), bigger, true, spec, std::nullopt, false);

    std::unique_lock lock(boot.computes.mutex);
    REQUIRE(boot.computes.arrived.wait_for(lock, 20s, [&] { return !boot.computes.resizes.empty(); }));
    auto [dest, args] = boot.computes.resizes.front();
    lock.unlock();
    CHECK(dest != source);
    CHECK(args["flavor"]["nova_object.data"]["flavorid"] == "bigger");
    const std::string migration_uuid = args["migration"]["nova_object.data"]["uuid"].get<std::string>();
    auto migration = db::MigrationStore(boot.cloud.cell(), boot.cloud.clock()).GetByUuid(migration_uuid);
    CHECK(migration.status() == "pre-migrating");
    CHECK(migration.migration_type() == "resize");
    CHECK(migration.source_compute() == source);
    // The source's allocation is the migration's; the instance holds the new flavor on the destination.
    auto held = boot.placement.GetAllocations(migration_uuid);
    REQUIRE(held.size() == 1);
    CHECK(held.begin()->first == source_rp);
    CHECK(held.begin()->second.at("VCPU") == 1);
    auto claimed = boot.placement.GetAllocations(uuid);
    REQUIRE(claimed.size() == 1);
    CHECK(claimed.begin()->first == dest_rp);
    CHECK(claimed.begin()->second.at("VCPU") == 2);
}

TEST_CASE("a resize with no valid host puts everything back and answers NoValidHost") {
    Boot boot;
    auto rp = boot.AddHost("host-1");
    auto [br, spec] = boot.ApiRecords(1, 512);
    boot.Schedule(br, spec);
    boot.computes.Wait(1);
    const std::string uuid = br.instance_uuid();
    db::InstanceStore instances(boot.cloud.cell(), boot.cloud.clock());
    auto instance = instances.GetByUuid(uuid);
    instance.set_host("host-1");
    instance.set_node("host-1");
    instance.set_vm_state("active");
    instance.set_task_state("resize_prep");
    instances.Save(instance);
    objects::Flavor bigger = spec.flavor();
    bigger.set_flavorid("bigger");
    bigger.set_vcpus(2);
    conductor::ComputeTaskRpcApi api(boot.transport, boot.levels, boot.messaging);
    std::string error;
    try {
        api.MigrateServer(boot.ctx, instance, Json::object(), bigger, true, spec, std::nullopt, false);
    } catch (const NovaError& e) {
        error = std::string(e.class_name()) + ": " + e.message();
    }
    CHECK(error.find("NoValidHost") == 0);
    CHECK(error.find("No valid host found for resize") != std::string::npos);
    auto after = instances.GetByUuid(uuid);
    CHECK(after.vm_state() == "active");
    CHECK(objects::IsNull(after, "task_state"));
    auto allocations = boot.placement.GetAllocations(uuid);
    REQUIRE(allocations.size() == 1);
    CHECK(allocations.begin()->first == rp);
    db::MigrationFilters filters;
    filters.instance_uuid = uuid;
    auto migrations = db::MigrationStore(boot.cloud.cell(), boot.cloud.clock()).GetByFilters(filters);
    REQUIRE(migrations.size() == 1);
    CHECK(migrations.front().status() == "error");
    CHECK(boot.placement.GetAllocations(migrations.front().uuid()).empty());
}

TEST_CASE("the quota recheck fails a build that the project's limit no longer allows") {
    Boot boot;
    boot.AddHost("host-1");
    db::QuotaStore(boot.cloud.api(), boot.cloud.clock()).CreateLimit("project", "instances", 1);
    auto [first, first_spec] = boot.ApiRecords(1, 512);
    boot.Schedule(first, first_spec);
    boot.computes.Wait(1);
    // A second request that an API worker let through at the same time.
    auto [second, second_spec] = boot.ApiRecords(1, 512);
    boot.Schedule(second, second_spec);
    const std::string uuid = second.instance_uuid();
    REQUIRE(boot.Eventually([&] {
        try {
            return db::InstanceStore(boot.cloud.cell(), boot.cloud.clock()).GetByUuid(uuid).vm_state() == "error";
        } catch (const InstanceNotFound&) {
            return false;
        }
    }));
    auto fault = db::InstanceFaultStore(boot.cloud.cell(), boot.cloud.clock()).GetLatestForInstance(uuid);
    REQUIRE(fault.has_value());
    CHECK(fault->message().find("Quota exceeded for instances") != std::string::npos);
    CHECK(boot.placement.GetAllocations(uuid).empty());
    CHECK(ErrorClassOfBuildRequest(boot, uuid));
    std::this_thread::sleep_for(200ms);
    CHECK(boot.computes.builds.size() == 1);
}

TEST_CASE("the orphaned-build sweep fails builds that never reached a compute, and only those") {
    Boot boot;
    boot.AddHost("host-1");
    // A BuildRequest nobody scheduled: its conductor died before select_destinations.
    auto [orphan, orphan_spec] = boot.ApiRecords(1, 256);
    // An instance created in its cell whose build_and_run_instance never reached a compute
    // (the recording compute does nothing with it: no host, no BuildRequest).
    auto [lost, lost_spec] = boot.ApiRecords(1, 256);
    boot.Schedule(lost, lost_spec);
    boot.computes.Wait(1);
    // One that a compute took (host set): the compute's own timeout covers it.
    auto [taken, taken_spec] = boot.ApiRecords(1, 256);
    boot.Schedule(taken, taken_spec);
    boot.computes.Wait(2);
    db::InstanceStore instances(boot.cloud.cell(), boot.cloud.clock());
    auto claimed = instances.GetByUuid(taken.instance_uuid());
    claimed.set_host("host-1");
    claimed.set_node("host-1");
    instances.Save(claimed);
    REQUIRE_FALSE(boot.placement.GetAllocations(lost.instance_uuid()).empty());

    conductor::ComputeTaskManager sweeper(boot.cloud.api(), *boot.cells, boot.cloud.clock(), *boot.scheduler_api,
                                          *boot.compute_api,
                                          {.host = "conductor-2", .orphaned_build_timeout = std::chrono::seconds(1)});
    conductor::ComputeTaskManager patient(boot.cloud.api(), *boot.cells, boot.cloud.clock(), *boot.scheduler_api,
                                          *boot.compute_api,
                                          {.host = "conductor-3", .orphaned_build_timeout = std::chrono::hours(1)});
    CHECK(patient.ReapOrphanedBuilds(boot.ctx) == 0);  // nothing is an hour old
    std::this_thread::sleep_for(2100ms);  // created_at has second resolution
    CHECK(sweeper.ReapOrphanedBuilds(boot.ctx) == 2);

    // The BuildRequest: buried in cell0 with the fault, mapped there.
    auto buried = db::InstanceStore(boot.cell0.pool(), boot.cloud.clock()).GetByUuid(orphan.instance_uuid());
    CHECK(buried.vm_state() == "error");
    auto fault = db::InstanceFaultStore(boot.cell0.pool(), boot.cloud.clock()).GetLatestForInstance(orphan.instance_uuid());
    REQUIRE(fault.has_value());
    CHECK(fault->message().find("did not reach a compute host") != std::string::npos);
    CHECK(fault->host() == "conductor-2");
    CHECK(ErrorClassOfBuildRequest(boot, orphan.instance_uuid()));
    CHECK(db::InstanceMappingStore(boot.cloud.api(), boot.cloud.clock())
              .GetByInstanceUuid(orphan.instance_uuid())
              .cell_mapping()
              .uuid() == db::kCell0Uuid);
    // The lost cast: ERROR in its cell with the fault, its allocations freed.
    auto failed = instances.GetByUuid(lost.instance_uuid());
    CHECK(failed.vm_state() == "error");
    CHECK(objects::IsNull(failed, "task_state"));
    CHECK(db::InstanceFaultStore(boot.cloud.cell(), boot.cloud.clock())
              .GetLatestForInstance(lost.instance_uuid())
              .has_value());
    CHECK(boot.placement.GetAllocations(lost.instance_uuid()).empty());
    // The compute's instance is untouched.
    CHECK(instances.GetByUuid(taken.instance_uuid()).vm_state() == "building");
    CHECK_FALSE(boot.placement.GetAllocations(taken.instance_uuid()).empty());
    // A second sweep finds nothing more.
    CHECK(sweeper.ReapOrphanedBuilds(boot.ctx) == 0);
}
