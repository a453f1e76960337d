#include "nova/compute/resource_tracker.hpp"

#include <doctest/doctest.h>

#include "nova/common/error.hpp"
#include "nova/objects/object.hpp"
#include "nova/virt/fake_driver.hpp"

namespace nova::compute {
namespace {

// Records what the tracker reports, and plays the conductor's ComputeNode store.
class RecordingReporter final : public ResourceReporter {
public:
    std::optional<objects::ComputeNode> GetComputeNode(const RequestContext&,
                                                       const std::string& host,
                                                       const std::string& nodename) override {
        ++gets;
        for (const auto& n : stored) {
            if (n.host() == host && n.hypervisor_hostname() == nodename) return n;
        }
        return std::nullopt;
    }
    objects::ComputeNode CreateComputeNode(const RequestContext&,
                                           const objects::ComputeNode& node) override {
        auto created = node;
        created.set_id(static_cast<std::int64_t>(stored.size()) + 1);
        stored.push_back(created);
        ++creates;
        return created;
    }
    void SaveComputeNode(const RequestContext&, const objects::ComputeNode& node) override {
        if (fail_save) throw DBConnectionError({{"reason", "down"}});
        saves.push_back(node);
    }
    void UpdateInventory(const RequestContext&, const std::string& uuid, const std::string& name,
                         const Inventory& inventory) override {
        inventories.push_back({uuid, name, inventory});
    }

    struct InventoryCall {
        std::string uuid, name;
        Inventory inventory;
    };
    std::vector<objects::ComputeNode> stored;
    std::vector<objects::ComputeNode> saves;
    std::vector<InventoryCall> inventories;
    int gets = 0;
    int creates = 0;
    bool fail_save = false;
};

objects::Flavor MakeFlavor(std::int64_t id, std::int64_t vcpus, std::int64_t memory_mb,
                           std::int64_t root_gb, std::int64_t ephemeral_gb = 0,
                           std::int64_t swap = 0) {
    objects::Flavor f;
    f.set_id(id);
    f.set_flavorid(std::to_string(id));
    f.set_vcpus(vcpus);
    f.set_memory_mb(memory_mb);
    f.set_root_gb(root_gb);
    f.set_ephemeral_gb(ephemeral_gb);
    f.set_swap(swap);
    return f;
}

objects::Instance MakeInstance(const std::string& uuid, const objects::Flavor& flavor,
                               const std::string& project = "p1") {
    objects::Instance i;
    i.set_uuid(uuid);
    i.set_id(1);
    i.set_image_ref("155d900f-4e14-4e4c-a73d-069cbf4541e6");
    i.set_vm_state("building");
    i.set_task_state("scheduling");
    i.set_project_id(project);
    i.set_os_type("linux");
    i.set_instance_type_id(flavor.id());
    *i.mutable_flavor() = flavor;
    return i;
}

const std::string kNode = "node1";
const std::string kU1 = "11111111-1111-4111-8111-111111111111";
const std::string kU2 = "22222222-2222-4222-8222-222222222222";
const std::string kU3 = "33333333-3333-4333-8333-333333333333";

struct Fixture {
    ManualClock clock;
    RequestContext ctx;
    RecordingReporter reporter;
    std::unique_ptr<virt::FakeDriver> driver;
    std::unique_ptr<ResourceTracker> rt;

    // 4 CPUs, 8 GiB, 100 GB; Nova's defaults otherwise (512 MB reserved, ratios 16/1.5/1).
    explicit Fixture(ResourceTrackerOptions options = Defaults()) { Make(std::move(options)); }
    static ResourceTrackerOptions Defaults() {
        ResourceTrackerOptions o;
        o.host = "compute1";
        o.my_ip = "192.0.2.10";
        return o;
    }
    void Make(ResourceTrackerOptions options) {
        virt::FakeDriverOptions d;
        d.vcpus = 4;
        d.memory_mb = 8192;
        d.local_gb = 100;
        driver = std::make_unique<virt::FakeDriver>(d, clock);
        driver->InitHost(kNode);
        rt = std::make_unique<ResourceTracker>(std::move(options), *driver, reporter);
    }
    void Audit(const std::vector<objects::Instance>& instances = {},
               const std::vector<MigrationRecord>& migrations = {}) {
        rt->UpdateAvailableResource(ctx, kNode, instances, migrations);
    }
    objects::ComputeNode Node() { return *rt->GetComputeNode(kNode); }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "the first audit creates the compute node and reports it") {
    CHECK(rt->Disabled(kNode));
    Audit();
    CHECK_FALSE(rt->Disabled(kNode));
    CHECK(reporter.creates == 1);
    REQUIRE(reporter.stored.size() == 1);
    auto cn = Node();
    CHECK(cn.id() == 1);
    CHECK(cn.host() == "compute1");
    CHECK(cn.hypervisor_hostname() == kNode);
    CHECK(cn.hypervisor_type() == "fake");
    CHECK(cn.hypervisor_version() == 1000);
    CHECK(cn.host_ip() == "192.0.2.10");
    CHECK(cn.vcpus() == 4);
    CHECK(cn.memory_mb() == 8192);
    CHECK(cn.local_gb() == 100);
    // The reserved amounts count as used.
    CHECK(cn.memory_mb_used() == 512);
    CHECK(cn.vcpus_used() == 0);
    CHECK(cn.local_gb_used() == 0);
    CHECK(cn.free_ram_mb() == 8192 - 512);
    CHECK(cn.free_disk_gb() == 100);
    CHECK(cn.running_vms() == 0);
    CHECK(cn.cpu_allocation_ratio() == 16.0);
    CHECK(cn.ram_allocation_ratio() == 1.5);
    CHECK(cn.disk_allocation_ratio() == 1.0);
    CHECK(cn.uuid().size() == 36);
    CHECK(Json::parse(cn.cpu_info())["model"] == "Nehalem");
    REQUIRE(cn.supported_hv_specs_size() == 1);
    CHECK(cn.supported_hv_specs(0).hv_type() == "fake");

    REQUIRE(reporter.inventories.size() == 1);
    const auto& inv = reporter.inventories[0];
    CHECK(inv.uuid == cn.uuid());
    CHECK(inv.name == kNode);
    CHECK(inv.inventory.at("VCPU") == InventoryRecord{4, 0, 1, 4, 1, 16.0});
    CHECK(inv.inventory.at("MEMORY_MB") == InventoryRecord{8192, 512, 1, 8192, 1, 1.5});
    CHECK(inv.inventory.at("DISK_GB") == InventoryRecord{100, 0, 1, 100, 1, 1.0});
}

TEST_CASE_FIXTURE(Fixture, "an audit reports only what changed") {
    Audit();
    const auto saves = reporter.saves.size();
    Audit();
    Audit();
    CHECK(reporter.saves.size() == saves);
    CHECK(reporter.inventories.size() == 1);
    CHECK(reporter.creates == 1);

    auto instance = MakeInstance(kU1, MakeFlavor(1, 1, 1024, 10));
    rt->InstanceClaim(ctx, instance, kNode);
    CHECK(reporter.saves.size() == saves + 1);
    CHECK(reporter.saves.back().memory_mb_used() == 512 + 1024);
    CHECK(reporter.inventories.size() == 1);  // the inventory did not change

    // The same instance from the DB at the next audit: nothing new.
    Audit({instance});
    CHECK(reporter.saves.size() == saves + 1);

    // A failed save is retried at the next audit.
    reporter.fail_save = true;
    instance.set_vm_state("active");
    instance.clear_task_state();
    CHECK_THROWS_AS(Audit({instance}), DBConnectionError);
    reporter.fail_save = false;
    Audit({instance});
    CHECK(reporter.saves.size() == saves + 2);
    CHECK(reporter.saves.back().stats().at("num_vm_active") == "1");
}

TEST_CASE_FIXTURE(Fixture, "an existing compute node record is reused, keeping its ratios") {
    objects::ComputeNode existing;
    existing.set_id(7);
    existing.set_uuid("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
    existing.set_host("compute1");
    existing.set_hypervisor_hostname(kNode);
    existing.set_cpu_allocation_ratio(2.0);
    existing.set_ram_allocation_ratio(1.0);
    existing.set_disk_allocation_ratio(0.0);  // unset in an old record
    reporter.stored.push_back(existing);
    Audit();
    CHECK(reporter.creates == 0);
    auto cn = Node();
    CHECK(cn.id() == 7);
    CHECK(cn.uuid() == existing.uuid());
    CHECK(cn.cpu_allocation_ratio() == 2.0);
    CHECK(cn.ram_allocation_ratio() == 1.0);
    CHECK(cn.disk_allocation_ratio() == 1.0);
    CHECK(reporter.inventories.back().uuid == existing.uuid());
    CHECK(reporter.inventories.back().inventory.at("VCPU").allocation_ratio == 2.0);
}

TEST_CASE("configured allocation ratios and reserved amounts win") {
    auto options = Fixture::Defaults();
    options.cpu_allocation_ratio = 2.0;
    options.ram_allocation_ratio = 1.0;
    options.disk_allocation_ratio = 3.0;
    options.reserved_host_cpus = 1;
    options.reserved_host_memory_mb = 1024;
    options.reserved_host_disk_mb = 2048 + 1;  // rounds up to 3 GB reserved, 2 GB used
    Fixture f(options);
    f.Audit();
    auto cn = f.Node();
    CHECK(cn.cpu_allocation_ratio() == 2.0);
    CHECK(cn.ram_allocation_ratio() == 1.0);
    CHECK(cn.disk_allocation_ratio() == 3.0);
    CHECK(cn.vcpus_used() == 1);
    CHECK(cn.memory_mb_used() == 1024);
    CHECK(cn.local_gb_used() == 2);
    auto inv = *f.rt->GetInventory(kNode);
    CHECK(inv.at("VCPU").reserved == 1);
    CHECK(inv.at("MEMORY_MB").reserved == 1024);
    CHECK(inv.at("DISK_GB").reserved == 3);
    CHECK(inv.at("DISK_GB").allocation_ratio == 3.0);

    // VCPU capacity (4 - 1) * 2 = 6.
    auto a = MakeInstance(kU1, MakeFlavor(1, 4, 512, 1));
    f.rt->InstanceClaim(f.ctx, a, kNode);
    auto b = MakeInstance(kU2, MakeFlavor(2, 3, 512, 1));
    CHECK_THROWS_AS(f.rt->InstanceClaim(f.ctx, b, kNode), ComputeResourcesUnavailable);
    auto c = MakeInstance(kU3, MakeFlavor(3, 2, 512, 1));
    CHECK_NOTHROW(f.rt->InstanceClaim(f.ctx, c, kNode));
}

TEST_CASE_FIXTURE(Fixture, "claims: usage, capacity with ratios, max_unit and abort") {
    Audit();
    // Memory capacity: (8192 - 512) * 1.5 = 11520 MB; max_unit 8192.
    auto a = MakeInstance(kU1, MakeFlavor(1, 2, 8000, 30, 10, 1536));
    auto claim = rt->InstanceClaim(ctx, a, kNode);
    CHECK_FALSE(claim.noop);
    CHECK(claim.usage == Usage{2, 8000, 40, 1536});
    CHECK(a.host() == "compute1");
    CHECK(a.node() == kNode);
    auto cn = Node();
    CHECK(cn.vcpus_used() == 2);
    CHECK(cn.memory_mb_used() == 512 + 8000);
    CHECK(cn.local_gb_used() == 40 + 1);  // swap 1536 MB counts 1 GB (Nova's swap / 1024)
    CHECK(cn.free_ram_mb() == 8192 - 8512);  // overcommitted: negative, as in Nova
    CHECK(cn.running_vms() == 1);
    CHECK(rt->TrackedInstances(kNode) == std::vector<std::string>{kU1});

    auto too_much_ram = MakeInstance(kU2, MakeFlavor(2, 1, 4000, 1));
    try {
        rt->InstanceClaim(ctx, too_much_ram, kNode);
        FAIL("claim fitted");
    } catch (const ComputeResourcesUnavailable& e) {
        CHECK(std::string(e.what()) ==
              "Insufficient compute resources: Free memory 3520.00 MB < requested 4000 MB.");
    }
    CHECK_FALSE(too_much_ram.has_host());

    // Disk: 100 GB at ratio 1.0; 42 GB held (40 + 2 GB of swap rounded up, as placement).
    auto too_much_disk = MakeInstance(kU2, MakeFlavor(2, 1, 512, 59));
    CHECK_THROWS_AS(rt->InstanceClaim(ctx, too_much_disk, kNode), ComputeResourcesUnavailable);
    auto fits_disk = MakeInstance(kU2, MakeFlavor(2, 1, 512, 58));
    CHECK_NOTHROW(rt->InstanceClaim(ctx, fits_disk, kNode));

    // More than the node has at all: max_unit, whatever the ratio.
    auto huge = MakeInstance(kU3, MakeFlavor(3, 1, 9000, 0));
    try {
        rt->InstanceClaim(ctx, huge, kNode);
        FAIL("claim fitted");
    } catch (const ComputeResourcesUnavailable& e) {
        CHECK(std::string(e.what()).find("more than the node's total 8192 MB") !=
              std::string::npos);
    }

    // Aborting gives everything back.
    rt->AbortInstanceClaim(ctx, fits_disk, kNode);
    CHECK(objects::IsNull(fits_disk, "host"));
    CHECK(objects::IsNull(fits_disk, "node"));
    rt->AbortInstanceClaim(ctx, a, kNode);
    cn = Node();
    CHECK(cn.vcpus_used() == 0);
    CHECK(cn.memory_mb_used() == 512);
    CHECK(cn.local_gb_used() == 0);
    CHECK(cn.running_vms() == 0);
    CHECK(rt->TrackedInstances(kNode).empty());
    // ... so the big one fits now.
    auto again = MakeInstance(kU3, MakeFlavor(3, 4, 8192, 100));
    CHECK_NOTHROW(rt->InstanceClaim(ctx, again, kNode));
}

TEST_CASE_FIXTURE(Fixture, "several shortfalls are reported together - scheduler limits apply") {
    Audit();
    auto big = MakeInstance(kU1, MakeFlavor(1, 4, 8192, 100));
    rt->InstanceClaim(ctx, big, kNode);
    auto more = MakeInstance(kU2, MakeFlavor(2, 64, 4096, 1));
    try {
        rt->InstanceClaim(ctx, more, kNode);
        FAIL("claim fitted");
    } catch (const ComputeResourcesUnavailable& e) {
        std::string m = e.what();
        CHECK(m.find("Free memory") != std::string::npos);
        CHECK(m.find("Free disk") != std::string::npos);
        CHECK(m.find("Requested vcpu 64 VCPU is more than the node's total 4 VCPU") !=
              std::string::npos);
    }
    // A limit from the scheduler covers reserved and used: 8192 + 512 used, limit 13000.
    Limits limits;
    limits.memory_mb = 13000;
    auto small = MakeInstance(kU2, MakeFlavor(2, 1, 4000, 0));
    small.clear_image_ref();  // volume-backed: no local root disk
    CHECK_NOTHROW(rt->InstanceClaim(ctx, small, kNode, limits));
    auto over = MakeInstance(kU3, MakeFlavor(3, 1, 400, 0));
    over.clear_image_ref();
    CHECK_THROWS_AS(rt->InstanceClaim(ctx, over, kNode, limits), ComputeResourcesUnavailable);
}

TEST_CASE_FIXTURE(Fixture, "a claim before the first audit is a no-op claim") {
    auto a = MakeInstance(kU1, MakeFlavor(1, 1, 512, 1));
    auto claim = rt->InstanceClaim(ctx, a, kNode);
    CHECK(claim.noop);
    CHECK(a.node() == kNode);
    CHECK(reporter.saves.empty());
}

TEST_CASE_FIXTURE(Fixture, "the audit counts what the DB says runs here") {
    auto active = MakeInstance(kU1, MakeFlavor(1, 2, 1024, 10));
    active.set_vm_state("active");
    active.clear_task_state();
    auto deleted = MakeInstance(kU2, MakeFlavor(2, 2, 1024, 10));
    deleted.set_vm_state("deleted");
    auto offloaded = MakeInstance(kU3, MakeFlavor(3, 2, 1024, 10), "p2");
    offloaded.set_vm_state("shelved_offloaded");
    offloaded.clear_task_state();
    Audit({active, deleted, offloaded});
    auto cn = Node();
    CHECK(cn.vcpus_used() == 2);
    CHECK(cn.memory_mb_used() == 512 + 1024);
    CHECK(cn.running_vms() == 1);
    CHECK(cn.stats().at("num_instances") == "1");
    CHECK(cn.stats().at("num_vm_active") == "1");
    CHECK(cn.stats().at("num_task_None") == "1");
    CHECK(cn.stats().at("num_proj_p1") == "1");
    CHECK(cn.stats().at("num_os_type_linux") == "1");
    CHECK(cn.current_workload() == 0);

    // The instance is deleted: update_usage releases it.
    active.set_vm_state("deleted");
    rt->UpdateUsage(ctx, active, kNode);
    cn = Node();
    CHECK(cn.vcpus_used() == 0);
    CHECK(cn.running_vms() == 0);
}

TEST_CASE_FIXTURE(Fixture, "build failures are counted and survive the audit") {
    Audit();
    rt->BuildFailed(kNode);
    rt->BuildFailed(kNode);
    Audit();
    CHECK(Node().stats().at("failed_builds") == "2");
    rt->BuildSucceeded(kNode);
    Audit();
    CHECK(Node().stats().at("failed_builds") == "0");
}

TEST_CASE_FIXTURE(Fixture, "resize to another host: the destination holds the new flavor") {
    Audit();
    auto old_flavor = MakeFlavor(1, 1, 1024, 10);
    auto new_flavor = MakeFlavor(2, 2, 2048, 20);
    auto instance = MakeInstance(kU1, old_flavor);
    instance.set_host("compute0");
    instance.set_vm_state("active");
    instance.set_task_state("resize_prep");
    *instance.mutable_old_flavor() = old_flavor;
    *instance.mutable_new_flavor() = new_flavor;

    objects::Migration migration;
    migration.set_id(5);
    migration.set_uuid("55555555-5555-4555-8555-555555555555");
    migration.set_instance_uuid(kU1);
    migration.set_source_compute("compute0");
    migration.set_source_node("node0");
    migration.set_migration_type("resize");
    migration.set_old_instance_type_id(1);
    migration.set_new_instance_type_id(2);
    migration.set_status("pre-migrating");

    auto claim = rt->ResizeClaim(ctx, instance, new_flavor, kNode, migration);
    CHECK(claim.usage == Usage{2, 2048, 20, 0});
    CHECK(migration.dest_compute() == "compute1");
    CHECK(migration.dest_node() == kNode);
    CHECK(migration.dest_host() == "192.0.2.10");
    CHECK(migration.status() == "pre-migrating");
    CHECK(Node().vcpus_used() == 2);
    CHECK(Node().memory_mb_used() == 512 + 2048);

    // The audit sees the same in-progress migration: still held once.
    Audit({}, {MigrationRecord{migration, instance}});
    CHECK(Node().memory_mb_used() == 512 + 2048);

    SUBCASE("a claim that does not fit") {
        auto huge = MakeFlavor(3, 70, 4096, 20);
        auto m2 = migration;
        CHECK_THROWS_AS(rt->ResizeClaim(ctx, instance, huge, kNode, m2),
                        ComputeResourcesUnavailable);
    }
    SUBCASE("revert drops it at the destination") {
        rt->DropMoveClaimAtDest(ctx, instance, migration);
        CHECK(migration.status() == "reverted");
        CHECK(Node().vcpus_used() == 0);
        CHECK(Node().memory_mb_used() == 512);
    }
    SUBCASE("after finish_resize the instance itself is counted, and confirm keeps it") {
        instance.set_host("compute1");
        instance.set_node(kNode);
        instance.set_vm_state("resized");
        instance.clear_task_state();
        *instance.mutable_flavor() = new_flavor;
        instance.set_instance_type_id(2);
        migration.set_status("finished");
        Audit({instance}, {MigrationRecord{migration, instance}});
        CHECK(Node().vcpus_used() == 2);
        CHECK(Node().memory_mb_used() == 512 + 2048);
    }
    SUBCASE("a failed move drops the claim") {
        rt->DropMoveClaim(ctx, instance, kNode);
        CHECK(Node().vcpus_used() == 0);
    }
}

TEST_CASE_FIXTURE(Fixture, "resize away: the source holds the old flavor until confirm") {
    Audit();
    auto old_flavor = MakeFlavor(1, 1, 1024, 10);
    auto new_flavor = MakeFlavor(2, 2, 2048, 20);
    auto instance = MakeInstance(kU1, new_flavor);
    instance.set_host("compute2");  // finish_resize moved it
    instance.set_vm_state("resized");
    instance.clear_task_state();
    instance.set_instance_type_id(2);
    *instance.mutable_old_flavor() = old_flavor;
    *instance.mutable_new_flavor() = new_flavor;
    objects::Migration migration;
    migration.set_id(6);
    migration.set_instance_uuid(kU1);
    migration.set_source_compute("compute1");
    migration.set_source_node(kNode);
    migration.set_dest_compute("compute2");
    migration.set_dest_node("node2");
    migration.set_migration_type("resize");
    migration.set_old_instance_type_id(1);
    migration.set_status("finished");

    Audit({}, {MigrationRecord{migration, instance}});
    CHECK(Node().vcpus_used() == 1);
    CHECK(Node().memory_mb_used() == 512 + 1024);
    CHECK(Node().local_gb_used() == 10);

    // A migration of an instance no longer resizing is not counted.
    auto done = instance;
    done.set_vm_state("active");
    Audit({}, {MigrationRecord{migration, done}});
    CHECK(Node().vcpus_used() == 0);
    Audit({}, {MigrationRecord{migration, instance}});
    CHECK(Node().vcpus_used() == 1);

    rt->DropMoveClaimAtSource(ctx, instance, migration);
    CHECK(migration.status() == "confirmed");
    CHECK(Node().vcpus_used() == 0);
    CHECK(Node().memory_mb_used() == 512);
}

TEST_CASE_FIXTURE(Fixture, "resize on the same node holds old and new until confirm or revert") {
    auto old_flavor = MakeFlavor(1, 1, 1024, 10);
    auto new_flavor = MakeFlavor(2, 2, 2048, 20);
    auto instance = MakeInstance(kU1, old_flavor);
    instance.set_vm_state("active");
    instance.clear_task_state();
    Audit({instance});
    CHECK(Node().vcpus_used() == 1);

    instance.set_task_state("resize_prep");
    *instance.mutable_old_flavor() = old_flavor;
    *instance.mutable_new_flavor() = new_flavor;
    objects::Migration migration;
    migration.set_id(7);
    migration.set_instance_uuid(kU1);
    migration.set_source_compute("compute1");
    migration.set_source_node(kNode);
    migration.set_migration_type("resize");
    migration.set_old_instance_type_id(1);
    rt->ResizeClaim(ctx, instance, new_flavor, kNode, migration);
    CHECK(Node().vcpus_used() == 3);
    CHECK(Node().memory_mb_used() == 512 + 1024 + 2048);
    Audit({instance}, {MigrationRecord{migration, instance}});
    CHECK(Node().vcpus_used() == 3);

    SUBCASE("confirm leaves the new flavor") {
        *instance.mutable_flavor() = new_flavor;
        instance.set_instance_type_id(2);
        instance.set_vm_state("resized");
        instance.clear_task_state();
        Audit({instance}, {MigrationRecord{migration, instance}});
        CHECK(Node().vcpus_used() == 3);  // new counted by the instance, old held for revert
        rt->DropMoveClaimAtSource(ctx, instance, migration);
        CHECK(Node().vcpus_used() == 2);
        CHECK(Node().memory_mb_used() == 512 + 2048);
        CHECK(Node().local_gb_used() == 20);
    }
    SUBCASE("revert leaves the old flavor") {
        rt->DropMoveClaimAtDest(ctx, instance, migration);
        CHECK(Node().vcpus_used() == 1);
        CHECK(Node().memory_mb_used() == 512 + 1024);
    }
}

}  // namespace nova::compute
