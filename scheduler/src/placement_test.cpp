// The pure parts of placement: what a request asks for, capacity arithmetic, the
// allocation_request shape, a compute's inventory; and the scheduler's host restrictions.
#include <doctest/doctest.h>

#include "nova/scheduler/placement.hpp"
#include "nova/scheduler/scheduler.hpp"

using namespace nova;
using namespace nova::scheduler;

TEST_CASE("resources from a request spec / as Nova computes them") {
    objects::RequestSpec spec;
    auto* f = spec.mutable_flavor();
    f->set_vcpus(2);
    f->set_memory_mb(2048);
    f->set_root_gb(20);
    f->set_ephemeral_gb(5);
    f->set_swap(1025);  // 2 GB once rounded up
    CHECK(ResourcesFromRequestSpec(spec) == Resources{{"VCPU", 2}, {"MEMORY_MB", 2048}, {"DISK_GB", 27}});
    spec.set_is_bfv(true);  // the root disk is a volume
    CHECK(ResourcesFromRequestSpec(spec).at("DISK_GB") == 7);
    f->set_ephemeral_gb(0);
    f->set_swap(0);
    CHECK_FALSE(ResourcesFromRequestSpec(spec).contains("DISK_GB"));  // zero amounts are dropped
    (*f->mutable_extra_specs())["resources:VCPU"] = "0";
    (*f->mutable_extra_specs())["resources:MEMORY_MB"] = "4096";
    CHECK(ResourcesFromRequestSpec(spec) == Resources{{"MEMORY_MB", 4096}});
}

TEST_CASE("capacity: (total - reserved) * ratio - min_unit / max_unit / step_size") {
    InventoryRecord inv;
    inv.resource_class = "VCPU";
    inv.total = 8;
    inv.reserved = 2;
    inv.max_unit = 8;
    inv.allocation_ratio = 4.0;
    CHECK(inv.Capacity() == 24);
    inv.used = 20;
    CHECK(inv.Fits(4));
    CHECK_FALSE(inv.Fits(5));
    CHECK_FALSE(inv.Fits(0));  // below min_unit
    inv.used = 0;
    CHECK_FALSE(inv.Fits(9));  // above max_unit although capacity allows it
    inv.step_size = 2;
    CHECK_FALSE(inv.Fits(3));
    CHECK(inv.Fits(4));
    InventoryRecord ram;
    ram.total = 1000;
    ram.reserved = 0;
    ram.max_unit = 1000;
    ram.allocation_ratio = 1.5;
    CHECK(ram.Capacity() == 1500);
    ram.allocation_ratio = 0.9;
    CHECK(ram.Capacity() == 900);
}

TEST_CASE("allocation_request: placement 1.36's shape / dumped as Python does") {
    AllocationCandidate c{"rp-1", 3, {{"VCPU", 1}, {"MEMORY_MB", 512}}};
    CHECK(c.AllocationRequest() ==
          Json::parse(R"({"allocations": {"rp-1": {"resources": {"VCPU": 1, "MEMORY_MB": 512}}},
                          "mappings": {"": ["rp-1"]}})"));
    CHECK(PythonJsonDumps(c.AllocationRequest()) ==
          R"({"allocations": {"rp-1": {"resources": {"MEMORY_MB": 512, "VCPU": 1}}}, "mappings": {"": ["rp-1"]}})");
}

TEST_CASE("inventory from a compute node / with reserved amounts and ratios") {
    objects::ComputeNode node;
    node.set_vcpus(16);
    node.set_memory_mb(65536);
    node.set_local_gb(500);
    node.set_cpu_allocation_ratio(4.0);
    node.set_ram_allocation_ratio(1.0);
    node.set_disk_allocation_ratio(1.0);
    auto inv = InventoryFromComputeNode(node, 0, 512, 1500);
    REQUIRE(inv.size() == 3);
    CHECK(inv[0].resource_class == "VCPU");
    CHECK(inv[0].Capacity() == 64);
    CHECK(inv[1].resource_class == "MEMORY_MB");
    CHECK(inv[1].reserved == 512);
    CHECK(inv[1].max_unit == 65536);
    CHECK(inv[2].resource_class == "DISK_GB");
    CHECK(inv[2].reserved == 2);  // 1500 MB rounds up to 2 GB
}

TEST_CASE("RestrictHosts: requested destination / ignore / force hosts and nodes") {
    HostState a, b, c;
    a.host = "Alpha";
    a.nodename = "a1";
    b.host = "beta";
    b.nodename = "b1";
    c.host = "beta";
    c.nodename = "b2";
    std::vector<HostState*> all{&a, &b, &c};
    objects::RequestSpec spec;
    CHECK(RestrictHosts(all, spec).size() == 3);
    spec.add_ignore_hosts("alpha");  // case-insensitive
    CHECK(RestrictHosts(all, spec) == std::vector<HostState*>{&b, &c});
    spec.clear_ignore_hosts();
    spec.add_force_hosts("BETA");
    CHECK(RestrictHosts(all, spec) == std::vector<HostState*>{&b, &c});
    spec.add_force_nodes("b2");
    CHECK(RestrictHosts(all, spec) == std::vector<HostState*>{&c});
    spec.clear_force_hosts();
    spec.clear_force_nodes();
    spec.mutable_requested_destination()->set_host("beta");
    CHECK(RestrictHosts(all, spec).size() == 2);
    spec.mutable_requested_destination()->set_node("b1");
    CHECK(RestrictHosts(all, spec) == std::vector<HostState*>{&b});
}
