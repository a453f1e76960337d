// nova_cpp_placement 1.0 end to end: a compute's ResourceReportRpcApi over fake:// reaches the
// conductor's endpoint, which writes placement in the API database.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"
#include "nova/conductor/manager.hpp"
#include "nova/conductor/rpcapi.hpp"
#include "nova/db/placement_store.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/scheduler/placement.hpp"
#include "scratch_database.hpp"

using namespace nova;
using nova::db::testing::ScratchDatabase;

TEST_CASE("report_inventory creates the provider and replaces inventories, and allocations are dropped") {
    ScratchDatabase api(ScratchDatabase::Schema::kApi);
    ScratchDatabase cell(ScratchDatabase::Schema::kMain);
    conductor::ConductorManager manager(api.pool(), cell.pool(), cell.clock());
    auto transport = rpc::MakeTransport("fake:///" + GenerateUuid(), rpc::TransportOptions{});
    auto endpoints = manager.Endpoints();
    endpoints.push_back(rpc::BaseApiEndpoint("nova-conductor"));
    rpc::Server server(transport, {.topic = conductor::kTopic, .server = "cond-1"}, endpoints, 2);
    server.Start();
    conductor::ResourceReportRpcApi client(transport);
    auto ctx = RequestContext::Admin();

    const std::string rp = GenerateUuid();
    std::map<std::string, conductor::InventoryRecord> inv{
        {"VCPU", {.total = 4, .max_unit = 4, .allocation_ratio = 2.0}},
        {"MEMORY_MB", {.total = 4096, .reserved = 512, .max_unit = 4096}},
        {"DISK_GB", {.total = 40, .max_unit = 40}}};
    auto gen1 = client.ReportInventory(ctx, rp, "node-1", inv);
    db::PlacementStore store(api.pool(), api.clock());
    CHECK(store.GetProvider(rp).name() == "node-1");
    CHECK(store.GetProvider(rp).generation() == gen1);
    CHECK(store.GetInventories(rp).size() == 3);

    // Claim something, then a new report keeps the allocations and bumps the generation.
    scheduler::Placement placement(api.pool(), api.clock());
    const std::string instance = GenerateUuid();
    REQUIRE(placement.Claim(instance, "p", "u", rp, {{"VCPU", 2}, {"MEMORY_MB", 1024}}));
    inv["VCPU"].total = 8;
    inv["VCPU"].max_unit = 8;
    auto gen2 = client.ReportInventory(ctx, rp, "node-1", inv);
    CHECK(gen2 > gen1);
    CHECK(placement.GetUsages(rp).at("VCPU") == 2);
    CHECK(placement.GetAllocationCandidates({{"VCPU", 8}}, 10).size() == 1);  // max_unit 8, 16 - 2 free
    CHECK(placement.GetAllocationCandidates({{"VCPU", 9}}, 10).empty());

    // Concurrent reports of the same provider all succeed (conflicts retried here).
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&] {
            try {
                client.ReportInventory(ctx, rp, "node-1", inv);
            } catch (const std::exception&) {
                ++failures;
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(failures == 0);

    client.DeleteAllocationForInstance(ctx, instance);
    CHECK(placement.GetAllocations(instance).empty());
    auto usages = placement.GetUsages(rp);
    CHECK((usages.count("VCPU") == 0 || usages.at("VCPU") == 0));

    // A bad record comes back as Nova's error, not a crash.
    std::map<std::string, conductor::InventoryRecord> bad{{"VCPU", {.total = 4, .min_unit = 5, .max_unit = 2}}};
    CHECK_THROWS(client.ReportInventory(ctx, rp, "node-1", bad));
    server.Stop();
}

TEST_CASE("move_allocations (1.1) hands a migration's allocations back to the instance, replacing its own") {
    ScratchDatabase api(ScratchDatabase::Schema::kApi);
    ScratchDatabase cell(ScratchDatabase::Schema::kMain);
    conductor::ConductorManager manager(api.pool(), cell.pool(), cell.clock());
    auto transport = rpc::MakeTransport("fake:///" + GenerateUuid(), rpc::TransportOptions{});
    rpc::Server server(transport, {.topic = conductor::kTopic, .server = "cond-1"}, manager.Endpoints(), 2);
    server.Start();
    conductor::ResourceReportRpcApi client(transport);
    auto ctx = RequestContext::Admin();
    std::map<std::string, conductor::InventoryRecord> inv{{"VCPU", {.total = 8, .max_unit = 8}},
                                                          {"MEMORY_MB", {.total = 8192, .max_unit = 8192}}};
    const std::string source = GenerateUuid();
    const std::string dest = GenerateUuid();
    client.ReportInventory(ctx, source, "source", inv);
    client.ReportInventory(ctx, dest, "dest", inv);
    scheduler::Placement placement(api.pool(), api.clock());
    const std::string instance = GenerateUuid();
    const std::string migration = GenerateUuid();
    // A resize in flight: the migration holds the source, the instance the destination.
    REQUIRE(placement.Claim(migration, "p", "u", source, {{"VCPU", 1}, {"MEMORY_MB", 512}}));
    REQUIRE(placement.Claim(instance, "p", "u", dest, {{"VCPU", 2}, {"MEMORY_MB", 1024}}));

    CHECK(client.MoveAllocations(ctx, migration, instance));
    auto held = placement.GetAllocations(instance);
    REQUIRE(held.size() == 1);
    CHECK(held.begin()->first == source);
    CHECK(held.begin()->second.at("VCPU") == 1);
    CHECK(placement.GetAllocations(migration).empty());
    auto dest_usage = placement.GetUsages(dest);
    CHECK((dest_usage.count("VCPU") == 0 || dest_usage.at("VCPU") == 0));
    // Nothing left to move: false, and the instance keeps what it has.
    CHECK_FALSE(client.MoveAllocations(ctx, migration, instance));
    CHECK(placement.GetAllocations(instance).size() == 1);
    server.Stop();
}
