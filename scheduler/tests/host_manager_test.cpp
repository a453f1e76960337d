// HostManager's incremental refresh on MariaDB: after the first (full) read, later reads pick
// up new hosts, service changes, instances placed, moved and deleted, aggregate changes and
// deleted nodes without reading everything again; a deleted service forces a full read.
#include <doctest/doctest.h>

#include "cloud.hpp"
#include "nova/db/service_store.hpp"

using namespace nova;
using namespace nova::scheduler;
using nova::scheduler::testing::Cloud;

namespace {

const HostState* Find(const std::vector<HostState>& states, const std::string& host) {
    for (const auto& h : states) {
        if (h.host == host) return &h;
    }
    return nullptr;
}

// What the stores write: wall time in whole seconds.
WallTime NowSeconds(const Cloud& cloud) {
    return WallTime(std::chrono::time_point_cast<std::chrono::seconds>(cloud.clock().Now()));
}

void AddInstance(Cloud& cloud, const std::string& uuid, const std::string& host) {
    cloud.cell().Execute(
        "INSERT INTO `instances` (`uuid`, `host`, `node`, `deleted`, `created_at`) VALUES (?, ?, ?, 0, ?)",
        {uuid, host, host, NowSeconds(cloud)});
}

}  // namespace

TEST_CASE("host states are refreshed incrementally after the first read") {
    Cloud cloud;
    cloud.AddHost("a");
    cloud.AddHost("b");
    auto hosts = cloud.MakeHostManager(cloud.api(), cloud.cell(), /*ttl_seconds=*/0);
    objects::RequestSpec spec;
    auto states = hosts->GetHostStates(nullptr, spec);
    CHECK(states.size() == 2);
    CHECK(hosts->read_counts().full == 1);
    CHECK(hosts->read_counts().incremental == 0);

    // A new host, an instance on a, b's service disabled.
    cloud.AddHost("c");
    const auto i1 = GenerateUuid();
    AddInstance(cloud, i1, "a");
    db::ServiceStore services(cloud.cell(), cloud.clock());
    auto svc_b = services.GetByComputeHost("b");
    svc_b.set_disabled(true);
    services.Save(svc_b);
    states = hosts->GetHostStates(nullptr, spec);
    CHECK(hosts->read_counts().full == 1);
    CHECK(hosts->read_counts().incremental == 1);
    REQUIRE(states.size() == 3);
    REQUIRE(Find(states, "c") != nullptr);
    CHECK(Find(states, "a")->instances == std::set<std::string>{i1});
    CHECK(Find(states, "b")->service_disabled);
    CHECK_FALSE(Find(states, "a")->service_disabled);

    // The instance moves to c, another one lands on b, then is deleted.
    const auto i2 = GenerateUuid();
    AddInstance(cloud, i2, "b");
    cloud.cell().Execute("UPDATE `instances` SET `host` = 'c', `node` = 'c', `updated_at` = ? WHERE `uuid` = ?",
                         {NowSeconds(cloud), i1});
    states = hosts->GetHostStates(nullptr, spec);
    CHECK(Find(states, "a")->instances.empty());
    CHECK(Find(states, "b")->instances == std::set<std::string>{i2});
    CHECK(Find(states, "c")->instances == std::set<std::string>{i1});
    cloud.cell().Execute("UPDATE `instances` SET `deleted` = `id`, `deleted_at` = ? WHERE `uuid` = ?",
                         {NowSeconds(cloud), i2});
    states = hosts->GetHostStates(nullptr, spec);
    CHECK(Find(states, "b")->instances.empty());

    // Aggregates: a zone for a.
    cloud.AddToAggregate("z", {"a"}, {{"availability_zone", "az1"}});
    states = hosts->GetHostStates(nullptr, spec);
    REQUIRE(Find(states, "a")->aggregates.size() == 1);
    CHECK(Find(states, "b")->aggregates.empty());

    // A deleted compute node disappears.
    db::ComputeNodeStore nodes(cloud.cell(), cloud.clock());
    auto node_c = nodes.GetAllByHost("c").at(0);
    nodes.Destroy(node_c);
    states = hosts->GetHostStates(nullptr, spec);
    CHECK(states.size() == 2);
    CHECK(Find(states, "c") == nullptr);
    CHECK(hosts->read_counts().full == 1);

    // A deleted service: its host's states go, through a full read.
    services.Destroy(svc_b);
    states = hosts->GetHostStates(nullptr, spec);
    CHECK(states.size() == 1);
    CHECK(Find(states, "b") == nullptr);
    CHECK(hosts->read_counts().full == 2);
}

TEST_CASE("a cached snapshot is refreshed in the background and after Invalidate") {
    Cloud cloud;
    cloud.AddHost("a");
    auto hosts = cloud.MakeHostManager(cloud.api(), cloud.cell(), /*ttl_seconds=*/3600);
    objects::RequestSpec spec;
    CHECK(hosts->GetHostStates(nullptr, spec).size() == 1);
    cloud.AddHost("b");
    CHECK(hosts->GetHostStates(nullptr, spec).size() == 1);  // cached
    hosts->Invalidate();
    CHECK(hosts->GetHostStates(nullptr, spec).size() == 2);  // the next request refreshes first
    CHECK(hosts->read_counts().full == 1);
    CHECK(hosts->read_counts().incremental == 1);
}

TEST_CASE("placements of this process are subtracted until the node reports after them") {
    Cloud cloud;
    const auto a = cloud.AddHost("a", {.vcpus = 8, .memory_mb = 8192, .disk_gb = 80});
    cloud.AddHost("b", {.vcpus = 8, .memory_mb = 8192, .disk_gb = 80});
    auto hosts = cloud.MakeHostManager(cloud.api(), cloud.cell(), /*ttl_seconds=*/3600);
    auto spec = Cloud::Spec(2, 1024, 10);
    auto states = hosts->GetHostStates(nullptr, spec);
    REQUIRE(Find(states, "a") != nullptr);
    CHECK(Find(states, "a")->free_ram_mb == 8192);

    hosts->Consume(a, spec);
    hosts->Consume(a, spec);
    states = hosts->GetHostStates(nullptr, spec);  // the same cached snapshot
    CHECK(hosts->read_counts().full == 1);
    const auto* sa = Find(states, "a");
    CHECK(sa->free_ram_mb == 8192 - 2048);
    CHECK(sa->free_disk_mb == (80 - 20) * 1024);
    CHECK(sa->vcpus_used == 4);
    CHECK(sa->num_instances == 2);
    CHECK(sa->num_io_ops == 2);
    CHECK(Find(states, "b")->free_ram_mb == 8192);

    // A failed claim takes its placement back.
    hosts->Unconsume(a, spec);
    states = hosts->GetHostStates(nullptr, spec);
    CHECK(Find(states, "a")->free_ram_mb == 8192 - 1024);

    // A record written in the same second as the placement does not replace it ...
    cloud.cell().Execute("UPDATE `compute_nodes` SET `free_ram_mb` = 7000, `updated_at` = ? WHERE `uuid` = ?",
                         {NowSeconds(cloud), a});
    hosts->Invalidate();
    states = hosts->GetHostStates(nullptr, spec);
    CHECK(Find(states, "a")->free_ram_mb == 7000 - 1024);
    // ... one written later does: the compute counts what it claimed.
    cloud.cell().Execute("UPDATE `compute_nodes` SET `free_ram_mb` = 7168, `updated_at` = ? WHERE `uuid` = ?",
                         {NowSeconds(cloud) + std::chrono::seconds(2), a});
    hosts->Invalidate();
    states = hosts->GetHostStates(nullptr, spec);
    CHECK(Find(states, "a")->free_ram_mb == 7168);
    CHECK(Find(states, "a")->num_instances == 0);
    hosts->Unconsume(a, spec);  // nothing left to take back
    states = hosts->GetHostStates(nullptr, spec);
    CHECK(Find(states, "a")->free_ram_mb == 7168);
}

TEST_CASE("a placement its compute never reports is forgotten after kConsumedTtl") {
    Cloud cloud;
    const auto a = cloud.AddHost("a", {.vcpus = 8, .memory_mb = 8192, .disk_gb = 80});
    ManualClock clock(cloud.clock().Now());
    auto hosts = std::make_unique<HostManager>(cloud.api(), std::vector<CellDatabase>{{cloud.cell_uuid(), &cloud.cell()}},
                                               clock, std::chrono::seconds(3600));
    auto spec = Cloud::Spec(2, 1024, 10);
    hosts->Consume(a, spec);
    CHECK(Find(hosts->GetHostStates(nullptr, spec), "a")->free_ram_mb == 8192 - 1024);
    clock.Advance(HostManager::kConsumedTtl - std::chrono::seconds(1));
    CHECK(Find(hosts->GetHostStates(nullptr, spec), "a")->free_ram_mb == 8192 - 1024);
    clock.Advance(std::chrono::seconds(2));
    CHECK(Find(hosts->GetHostStates(nullptr, spec), "a")->free_ram_mb == 8192);
}
