#include "nova/compute/stats.hpp"

#include <doctest/doctest.h>

namespace nova::compute {

TEST_CASE("stats follow instances through their states as Nova's do") {
    Stats stats;
    objects::Instance a;
    a.set_uuid("a");
    a.set_vm_state("building");
    a.set_task_state("spawning");
    a.set_project_id("p1");
    a.set_os_type("linux");
    stats.UpdateForInstance(a);
    CHECK(stats.NumInstances() == 1);
    CHECK(stats.Get("num_vm_building") == 1);
    CHECK(stats.Get("num_task_spawning") == 1);
    CHECK(stats.IoWorkload() == 1);
    CHECK(stats.CalculateWorkload() == 1);

    a.set_vm_state("active");
    a.clear_task_state();
    stats.UpdateForInstance(a);
    CHECK(stats.NumInstances() == 1);
    CHECK(stats.Get("num_vm_building") == 0);
    CHECK(stats.Get("num_vm_active") == 1);
    CHECK(stats.Get("num_task_None") == 1);
    CHECK(stats.IoWorkload() == 0);
    CHECK(stats.CalculateWorkload() == 0);
    CHECK(stats.ToComputeNodeStats().at("io_workload") == "0");

    objects::Instance b;
    b.set_uuid("b");
    b.set_vm_state("active");
    b.set_task_state("resize_prep");
    stats.UpdateForInstance(b);
    CHECK(stats.NumInstances() == 2);
    CHECK(stats.Get("num_proj_None") == 1);
    CHECK(stats.IoWorkload() == 1);

    stats.UpdateForInstance(b, true);
    CHECK(stats.NumInstances() == 1);
    a.set_vm_state("deleted");
    stats.UpdateForInstance(a);
    CHECK(stats.NumInstances() == 0);

    stats.BuildFailed();
    stats.BuildFailed();
    CHECK(stats.Get("failed_builds") == 2);
    stats.BuildSucceeded();
    CHECK(stats.Get("failed_builds") == 0);
}

TEST_CASE("allow_resource_removal") {
    CHECK(AllowResourceRemoval("deleted", ""));
    CHECK(AllowResourceRemoval("shelved_offloaded", "None"));
    CHECK_FALSE(AllowResourceRemoval("shelved_offloaded", "spawning"));
    CHECK_FALSE(AllowResourceRemoval("active", ""));
}

}  // namespace nova::compute
