// Several schedulers (threads, each with its own connection pools, host manager and
// Scheduler, as separate nova-scheduler processes would have) place many requests on a few
// hosts that cannot hold them all: no provider ever ends above its capacity, every request
// gets a host or NoValidHost, and anti-affinity members never share a host.
#include <doctest/doctest.h>

#include <atomic>
#include <barrier>
#include <mutex>
#include <thread>

#include "cloud.hpp"
#include "nova/common/error.hpp"
#include "nova/db/instance_group_store.hpp"
#include "nova/db/placement_store.hpp"

using namespace nova;
using namespace nova::scheduler;
using nova::scheduler::testing::Cloud;

TEST_CASE("concurrent schedulers never overbook") {
    Cloud cloud;
    constexpr int kHosts = 5;
    constexpr int kSchedulers = 4;
    constexpr int kRequestsPerScheduler = 40;
    // 5 hosts x 8 vCPUs at ratio 2.0 = 80 slots of 1 vCPU, for 160 requests; RAM has room for
    // all, so vCPU is the contended resource.
    std::vector<std::string> providers;
    for (int i = 0; i < kHosts; ++i) {
        providers.push_back(cloud.AddHost("host" + std::to_string(i),
                                          {.vcpus = 8, .memory_mb = 1 << 20, .disk_gb = 10000, .cpu_ratio = 2.0}));
    }
    std::barrier start(kSchedulers);
    std::atomic<int> placed{0}, refused{0}, other{0};
    std::mutex mu;
    std::map<std::string, std::string> host_of;  // instance -> chosen provider
    std::vector<std::thread> threads;
    for (int s = 0; s < kSchedulers; ++s) {
        threads.emplace_back([&, s] {
            auto api = db::Pool::Create(db::testing::ScratchDatabase::Options(), cloud.api_url());
            auto cell = db::Pool::Create(db::testing::ScratchDatabase::Options(), cloud.cell_url());
            Placement placement(*api, cloud.clock());
            auto hosts = cloud.MakeHostManager(*api, *cell, /*ttl_seconds=*/5);
            auto config = DefaultSchedulerConfig();
            // Everyone sees the same weights: with host_subset_size 1 they would all pick the
            // same host and fight for it (the worst case for claims); 2 spreads a little.
            config.filter_scheduler.host_subset_size = 2;
            Scheduler scheduler(config, placement, *hosts, cloud.clock(), 1000 + s);
            RequestContext ctx;
            start.arrive_and_wait();
            for (int r = 0; r < kRequestsPerScheduler; ++r) {
                auto uuid = GenerateUuid();
                try {
                    auto sel = scheduler.SelectDestinations(ctx, Cloud::Spec(1, 64, 1), {uuid}, true, true);
                    ++placed;
                    std::lock_guard lock(mu);
                    host_of[uuid] = sel.front().front().compute_node_uuid();
                } catch (const NoValidHost&) {
                    ++refused;
                } catch (const std::exception& e) {
                    ++other;
                    MESSAGE("unexpected: " << e.what());
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(other == 0);
    CHECK(placed + refused == kSchedulers * kRequestsPerScheduler);
    CHECK(placed == kHosts * 16);  // every slot is used: a refusal only comes when all are full
    Placement placement(cloud.api(), cloud.clock());
    for (const auto& rp : providers) {
        auto usage = placement.GetUsages(rp);
        CHECK(usage.at("VCPU") == 16);
    }
    // Each placed instance's allocation is on the provider its selection named.
    std::map<std::string, int> per_provider;
    for (const auto& [uuid, rp] : host_of) {
        auto allocs = placement.GetAllocations(uuid);
        REQUIRE(allocs.size() == 1);
        CHECK(allocs.begin()->first == rp);
        ++per_provider[rp];
    }
    for (const auto& rp : providers) CHECK(per_provider[rp] == 16);
}

TEST_CASE("concurrent schedulers keep anti-affinity members apart") {
    Cloud cloud;
    constexpr int kHosts = 4;
    for (int i = 0; i < kHosts; ++i) cloud.AddHost("h" + std::to_string(i), {.vcpus = 64, .memory_mb = 1 << 20});
    constexpr int kSchedulers = 3;
    constexpr int kGroups = 6;
    // Each group has kHosts members, each member scheduled on its own by some scheduler.
    std::vector<objects::InstanceGroup> groups(kGroups);
    db::InstanceGroupStore group_store(cloud.api(), cloud.clock());
    for (auto& g : groups) {
        g.set_uuid(GenerateUuid());
        g.set_name("g-" + g.uuid());
        g.set_project_id("project");
        g.set_user_id("user");
        g.set_policy("anti-affinity");
        for (int m = 0; m < kHosts; ++m) g.add_members(GenerateUuid());
        group_store.Create(g);
    }
    std::barrier start(kSchedulers);
    std::atomic<int> placed{0}, refused{0};
    std::vector<std::thread> threads;
    for (int s = 0; s < kSchedulers; ++s) {
        threads.emplace_back([&, s] {
            auto api = db::Pool::Create(db::testing::ScratchDatabase::Options(), cloud.api_url());
            auto cell = db::Pool::Create(db::testing::ScratchDatabase::Options(), cloud.cell_url());
            Placement placement(*api, cloud.clock());
            auto hosts = cloud.MakeHostManager(*api, *cell, 5);
            Scheduler scheduler(DefaultSchedulerConfig(), placement, *hosts, cloud.clock(), 7 + s);
            RequestContext ctx;
            start.arrive_and_wait();
            for (int g = 0; g < kGroups; ++g) {
                for (int m = s; m < kHosts; m += kSchedulers) {
                    auto spec = Cloud::Spec(1, 64, 1);
                    *spec.mutable_instance_group() = groups[g];
                    try {
                        scheduler.SelectDestinations(ctx, spec, {groups[g].members(m)}, true, true);
                        ++placed;
                    } catch (const NoValidHost&) {
                        ++refused;
                    }
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    Placement placement(cloud.api(), cloud.clock());
    int violations = 0;
    for (const auto& g : groups) {
        std::map<std::string, int> per_host;
        for (const auto& m : g.members()) {
            for (const auto& [rp, res] : placement.GetAllocations(m)) ++per_host[rp];
        }
        for (const auto& [rp, n] : per_host) violations += n > 1;
    }
    CHECK(placed + refused == kGroups * kHosts);
    CHECK(violations == 0);
}
