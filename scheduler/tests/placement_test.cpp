// Placement on MariaDB: candidates from inventories, claims that respect capacity, racing
// claims that never overbook, removal, moves to a migration's consumer, inventory updates.
#include <doctest/doctest.h>

#include <atomic>
#include <barrier>
#include <thread>

#include "cloud.hpp"
#include "nova/common/error.hpp"
#include "nova/db/placement_store.hpp"

using namespace nova;
using namespace nova::scheduler;
using nova::scheduler::testing::Cloud;
using nova::scheduler::testing::HostSpec;

TEST_CASE("candidates honour ratios / reserved amounts and current usage") {
    Cloud cloud;
    Placement placement(cloud.api(), cloud.clock());
    auto small = cloud.AddHost("small", {.vcpus = 2, .memory_mb = 2048, .disk_gb = 20});
    auto big = cloud.AddHost("big", {.vcpus = 4, .memory_mb = 8192, .disk_gb = 100, .cpu_ratio = 4.0,
                                     .reserved_memory_mb = 1024});
    // 3 vCPUs exceed small's max_unit (its 2 vCPUs), whatever its ratio.
    Resources r{{"VCPU", 3}, {"MEMORY_MB", 1024}, {"DISK_GB", 10}};
    auto c = placement.GetAllocationCandidates(r, 1000);
    REQUIRE(c.size() == 1);
    CHECK(c.front().provider_uuid == big);
    CHECK(placement.GetAllocationCandidates({{"VCPU", 1}, {"MEMORY_MB", 7169}}, 1000).empty());  // 8192 - 1024
    CHECK(placement.GetAllocationCandidates({{"VCPU", 1}, {"MEMORY_MB", 7168}}, 1000).size() == 1);
    CHECK(placement.GetAllocationCandidates({{"VCPU", 1}}, 1).size() == 1);  // the limit
    CHECK(placement.GetAllocationCandidates({{"VCPU", 1}}, 1000).size() == 2);
    CHECK(placement.GetAllocationCandidates({{"CUSTOM_GPU", 1}}, 1000).empty());
    // big holds 4 * 4.0 = 16 vCPUs: four instances of 4 vCPUs, not five.
    const Resources four{{"VCPU", 4}};
    for (int i = 0; i < 4; ++i) {
        auto cands = placement.GetAllocationCandidates(four, 1000);
        REQUIRE(cands.size() == 1);
        REQUIRE(placement.Claim(GenerateUuid(), "p", "u", cands.front()));
    }
    CHECK(placement.GetAllocationCandidates(four, 1000).empty());
    CHECK(placement.GetUsages(big).at("VCPU") == 16);

    REQUIRE(placement.Claim(GenerateUuid(), "p", "u", small, {{"VCPU", 1}, {"MEMORY_MB", 1024}}));
    auto left = placement.GetAllocationCandidates({{"VCPU", 1}, {"MEMORY_MB", 1024}}, 1000);
    REQUIRE(left.size() == 1);  // small has 1 vCPU and 1024 MB left, big no vCPU
    CHECK(left.front().provider_uuid == small);
    CHECK(placement.GetAllocationCandidates({{"VCPU", 2}}, 1000).empty());
    CHECK(placement.GetAllocationCandidates({{"VCPU", 1}, {"MEMORY_MB", 1025}}, 1000).empty());
}

TEST_CASE("a new consumer's claim is eight round trips, its allocations one INSERT") {
    Cloud cloud;
    Placement placement(cloud.api(), cloud.clock());
    auto rp = cloud.AddHost("h", {.vcpus = 4, .memory_mb = 4096, .disk_gb = 40});
    const Resources three{{"VCPU", 2}, {"MEMORY_MB", 1024}, {"DISK_GB", 10}};
    // The pool's idle connection in transaction mode (a switch is a round trip of its own).
    cloud.api().Transaction([](db::Session& s) { s.Query("SELECT 1"); });
    const auto before = cloud.api().Stats().statements;
    auto consumer = GenerateUuid();
    REQUIRE(placement.Claim(consumer, "p", "u", rp, three));
    // The provider locked, its capacity, the consumer read and created, the consumer's
    // providers, the provider's generation, the three allocations, COMMIT.
    CHECK(cloud.api().Stats().statements - before == 8);
    CHECK(placement.GetAllocations(consumer) == std::map<std::string, Resources>{{rp, three}});
    CHECK(placement.GetUsages(rp) == three);
}

TEST_CASE("a claim checks capacity and bumps the provider generation") {
    Cloud cloud;
    Placement placement(cloud.api(), cloud.clock());
    auto rp = cloud.AddHost("h", {.vcpus = 4, .memory_mb = 4096, .disk_gb = 40});
    const auto gen0 = db::PlacementStore(cloud.api(), cloud.clock()).GetProvider(rp).generation();
    const Resources two{{"VCPU", 2}, {"MEMORY_MB", 1024}, {"DISK_GB", 10}};
    auto a = GenerateUuid(), b = GenerateUuid(), c = GenerateUuid();
    CHECK(placement.Claim(a, "p", "u", rp, two));
    CHECK(placement.Claim(b, "p", "u", rp, two));
    CHECK_FALSE(placement.Claim(c, "p", "u", rp, two));  // VCPU is full
    CHECK(placement.GetUsages(rp) == Resources{{"VCPU", 4}, {"MEMORY_MB", 2048}, {"DISK_GB", 20}});
    CHECK(db::PlacementStore(cloud.api(), cloud.clock()).GetProvider(rp).generation() == gen0 + 2);
    CHECK(placement.GetAllocations(a) == std::map<std::string, Resources>{{rp, two}});
    CHECK(placement.GetAllocations(c).empty());

    // Claiming again for the same consumer replaces its allocations (they do not add up).
    CHECK(placement.Claim(a, "p", "u", rp, {{"VCPU", 1}, {"MEMORY_MB", 512}}));
    CHECK(placement.GetUsages(rp).at("VCPU") == 3);
    CHECK(placement.Claim(c, "p", "u", rp, {{"VCPU", 1}}));
    CHECK_FALSE(placement.Claim(GenerateUuid(), "p", "u", rp, {{"VCPU", 1}}));
    CHECK_FALSE(placement.Claim(GenerateUuid(), "p", "u", "no-such-provider", {{"VCPU", 1}}));

    // Removal frees the capacity.
    placement.RemoveClaim(b);
    CHECK(placement.GetUsages(rp).at("VCPU") == 2);
    CHECK(placement.GetAllocations(b).empty());
    CHECK(placement.Claim(GenerateUuid(), "p", "u", rp, two));
}

TEST_CASE("racing claims for the last slots never overbook") {
    Cloud cloud;
    auto rp = cloud.AddHost("h", {.vcpus = 8, .memory_mb = 65536, .disk_gb = 1000});
    constexpr int kThreads = 6;
    constexpr int kRounds = 8;
    for (int round = 0; round < kRounds; ++round) {
        // Leave exactly two single-vCPU slots, then let six threads (each its own pool and
        // connection, as separate schedulers would) race for them.
        Placement setup(cloud.api(), cloud.clock());
        const auto used = setup.GetUsages(rp);
        const auto free_vcpus = 8 - (used.contains("VCPU") ? used.at("VCPU") : 0);
        if (free_vcpus > 2) REQUIRE(setup.Claim(GenerateUuid(), "p", "u", rp, {{"VCPU", free_vcpus - 2}}));
        std::barrier start(kThreads);
        std::atomic<int> wins{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&] {
                auto pool = db::Pool::Create(db::testing::ScratchDatabase::Options(), cloud.api_url());
                Placement mine(*pool, cloud.clock());
                start.arrive_and_wait();
                if (mine.Claim(GenerateUuid(), "p", "u", rp, {{"VCPU", 1}, {"MEMORY_MB", 1}})) ++wins;
            });
        }
        for (auto& t : threads) t.join();
        CHECK(wins == 2);
        CHECK(setup.GetUsages(rp).at("VCPU") == 8);
        // Free everything for the next round.
        for (const auto& a : db::PlacementStore(cloud.api(), cloud.clock()).GetAllocationsForProvider(rp)) {
            setup.RemoveClaim(a.consumer().uuid());
        }
    }
}

TEST_CASE("resize: allocations move to the migration / the destination is claimed / then confirmed") {
    Cloud cloud;
    Placement placement(cloud.api(), cloud.clock());
    auto src = cloud.AddHost("src", {.vcpus = 4, .memory_mb = 4096, .disk_gb = 40});
    auto dst = cloud.AddHost("dst", {.vcpus = 4, .memory_mb = 4096, .disk_gb = 40});
    auto instance = GenerateUuid(), migration = GenerateUuid();
    const Resources old_flavor{{"VCPU", 2}, {"MEMORY_MB", 2048}};
    const Resources new_flavor{{"VCPU", 4}, {"MEMORY_MB", 2048}};
    REQUIRE(placement.Claim(instance, "p", "u", src, old_flavor));

    CHECK(placement.MoveAllocations(instance, migration));
    CHECK(placement.GetAllocations(instance).empty());
    CHECK(placement.GetAllocations(migration) == std::map<std::string, Resources>{{src, old_flavor}});
    CHECK_FALSE(placement.MoveAllocations(instance, GenerateUuid()));  // nothing left to move

    // Same-host resize would need both flavors on src: 2 + 4 > 4.
    CHECK_FALSE(placement.Claim(instance, "p", "u", src, new_flavor));
    CHECK(placement.Claim(instance, "p", "u", dst, new_flavor));
    CHECK(placement.GetUsages(src).at("VCPU") == 2);
    CHECK(placement.GetUsages(dst).at("VCPU") == 4);

    // Moving onto a consumer that has allocations is refused.
    CHECK_THROWS_AS(placement.MoveAllocations(migration, instance), AllocationMoveFailed);

    // Confirm: the migration's allocations on the source go away.
    placement.RemoveClaim(migration);
    CHECK(placement.GetUsages(src).empty());
    CHECK(placement.GetAllocations(instance) == std::map<std::string, Resources>{{dst, new_flavor}});

    // Revert instead (of a new migration): the instance's allocations come back from it.
    auto migration2 = GenerateUuid();
    REQUIRE(placement.MoveAllocations(instance, migration2));
    REQUIRE(placement.Claim(instance, "p", "u", src, old_flavor));
    placement.RemoveClaim(instance);
    REQUIRE(placement.MoveAllocations(migration2, instance));
    CHECK(placement.GetAllocations(instance) == std::map<std::string, Resources>{{dst, new_flavor}});
    CHECK(placement.GetUsages(src).empty());
}

TEST_CASE("inventory updates: generation checked / classes in use kept / bad records refused") {
    Cloud cloud;
    Placement placement(cloud.api(), cloud.clock());
    const auto rp = GenerateUuid();
    std::vector<InventoryRecord> inv{{.resource_class = "VCPU", .total = 4},
                                     {.resource_class = "MEMORY_MB", .total = 1024}};
    CHECK(placement.SetInventory(rp, "node-1", std::nullopt, inv) == 1);  // created at 0, bumped
    CHECK(placement.SetInventory(rp, "node-1", 1, inv) == 2);
    CHECK_THROWS_AS(placement.SetInventory(rp, "node-1", 1, inv), ResourceProviderUpdateConflict);
    REQUIRE(placement.Claim(GenerateUuid(), "p", "u", rp, {{"MEMORY_MB", 512}}));
    CHECK_THROWS_AS(placement.SetInventory(rp, "node-1", std::nullopt, {inv[0]}), InventoryInUse);
    // Shrinking below usage is allowed (placement allows it); new claims then fail.
    inv[1].total = 256;
    CHECK(placement.SetInventory(rp, "node-1", std::nullopt, inv) == 4);
    CHECK_FALSE(placement.Claim(GenerateUuid(), "p", "u", rp, {{"MEMORY_MB", 1}}));
    auto bad = inv;
    bad[0].reserved = 5;
    CHECK_THROWS_AS(placement.SetInventory(rp, "node-1", std::nullopt, bad), InvalidInventory);
    bad = inv;
    bad[0].step_size = 0;
    CHECK_THROWS_AS(placement.SetInventory(rp, "node-1", std::nullopt, bad), InvalidInventory);
    const auto stored = db::PlacementStore(cloud.api(), cloud.clock()).GetInventories(rp);
    REQUIRE(stored.size() == 2);
    CHECK(stored[1].resource_class() == "VCPU");
    CHECK(stored[1].max_unit() == 4);  // max_unit defaults to total
}
