// Resize, confirm, revert and cold migration end to end with real processes: nova-conductor,
// nova-scheduler and nova-compute (fake driver, two hosts in one process) on the test
// RabbitMQ and MariaDB. The test plays nova-api: it sets the task_state and migration status
// the API would and casts what the API casts, then checks the instance's host, node and
// flavor, the migration record and placement's allocations at every step.
#include <doctest/doctest.h>

#include "process_cloud.hpp"

using namespace nova;
using namespace std::chrono_literals;
using nova::testing::ProcessCloud;

namespace {

std::string TaskOf(const objects::Instance& instance) {
    return objects::IsSet(instance, "task_state") && !objects::IsNull(instance, "task_state")
               ? instance.task_state()
               : std::string("None");
}

// The single provider a consumer holds allocations on and what it holds there.
std::pair<std::string, scheduler::Resources> OnlyAllocation(ProcessCloud& cloud, const std::string& consumer) {
    auto allocations = cloud.Allocations(consumer);
    REQUIRE_MESSAGE(allocations.size() == 1, "consumer " << consumer << " holds " << allocations.size());
    return *allocations.begin();
}

struct ResizeCloud {
    ProcessCloud cloud;
    std::string host_a;
    std::string host_b;
    std::map<std::string, std::string> providers;
    objects::Flavor small = ProcessCloud::MakeFlavor(1, 1, 512, 1);
    objects::Flavor medium = ProcessCloud::MakeFlavor(2, 2, 1024, 2);
    objects::Flavor large = ProcessCloud::MakeFlavor(3, 4, 2048, 4);

    ResizeCloud() {
        const std::string prefix = "rz" + cloud.exchange().substr(6, 6) + "-";
        host_a = prefix + "0";
        host_b = prefix + "1";
        cloud.Start(NOVA_CONDUCTOR_BINARY, "conductor-" + prefix);
        cloud.Start(NOVA_SCHEDULER_BINARY, "scheduler-" + prefix);
        cloud.WaitForService("nova-conductor", "conductor-" + prefix);
        cloud.WaitForService("nova-scheduler", "scheduler-" + prefix);
        cloud.Start(NOVA_COMPUTE_BINARY, "compute-" + prefix,
                    "[fake]\nhosts = 2\nhost_prefix = " + prefix + "\nvcpus = 8\nmemory_mb = 8192\nlocal_gb = 100\n",
                    "compute_driver = fake.FakeDriver");
        providers = cloud.DiscoverHosts({host_a, host_b});
    }

    std::string HostOfProvider(const std::string& rp) {
        for (const auto& [host, uuid] : providers) {
            if (uuid == rp) return host;
        }
        return "?";
    }

    // Boots on whichever host the scheduler picks and waits for ACTIVE.
    objects::Instance BootActive(const objects::Flavor& flavor) {
        const std::string uuid = cloud.Boot(flavor);
        REQUIRE_MESSAGE(cloud.Eventually([&] { return cloud.Instance(uuid).vm_state() == "active"; }), cloud.Logs());
        return cloud.Instance(uuid);
    }

    // The API's resize / migrate: task_state resize_prep, then migrate_server (a call: the
    // conductor answers once prep_resize is cast). Waits for RESIZED.
    objects::Migration Resize(const std::string& uuid, const objects::Flavor& flavor) {
        auto instance = cloud.Instance(uuid);
        instance.set_task_state("resize_prep");
        cloud.SaveInstance(instance);
        const auto before = cloud.Migrations(uuid).size();
        cloud.ComputeTask().MigrateServer(cloud.context(), instance, Json::object(), flavor, true,
                                          cloud.SpecOf(uuid), std::nullopt, false);
        REQUIRE_MESSAGE(cloud.Eventually([&] {
                            auto i = cloud.Instance(uuid);
                            return i.vm_state() == "resized" && TaskOf(i) == "None";
                        }),
                        cloud.Logs());
        auto migrations = cloud.Migrations(uuid);
        REQUIRE(migrations.size() == before + 1);
        for (const auto& m : migrations) {
            if (m.status() == "finished") return m;
        }
        FAIL("no finished migration; " << cloud.Logs());
        return {};
    }

    void Confirm(const std::string& uuid, objects::Migration migration) {
        // nova-api: the migration goes to 'confirming', confirm_resize to the source.
        migration.set_status("confirming");
        cloud.SaveMigration(migration);
        auto instance = cloud.Instance(uuid);
        cloud.Compute().ConfirmResize(cloud.context(), instance, migration, migration.source_compute());
        REQUIRE_MESSAGE(cloud.Eventually([&] {
                            return cloud.Migration(migration.uuid()).status() == "confirmed" &&
                                   cloud.Instance(uuid).vm_state() == "active" &&
                                   cloud.Allocations(migration.uuid()).empty();
                        }),
                        cloud.Logs());
    }

    void Revert(const std::string& uuid, objects::Migration migration) {
        // nova-api: task_state resize_reverting, migration 'reverting', revert_resize to the
        // destination.
        auto instance = cloud.Instance(uuid);
        instance.set_task_state("resize_reverting");
        cloud.SaveInstance(instance);
        migration.set_status("reverting");
        cloud.SaveMigration(migration);
        cloud.Compute().RevertResize(cloud.context(), instance, migration, migration.dest_compute(),
                                     cloud.SpecOf(uuid));
        REQUIRE_MESSAGE(cloud.Eventually([&] {
                            auto i = cloud.Instance(uuid);
                            return i.vm_state() == "active" && TaskOf(i) == "None" &&
                                   cloud.Migration(migration.uuid()).status() == "reverted";
                        }),
                        cloud.Logs());
    }
};

}  // namespace

TEST_CASE("resize then confirm, resize then revert, cold migrate: host, node, flavor and allocations at every step") {
    ResizeCloud rc;
    auto& cloud = rc.cloud;
    auto instance = rc.BootActive(rc.small);
    const std::string uuid = instance.uuid();
    const std::string first = instance.host();
    const std::string second = first == rc.host_a ? rc.host_b : rc.host_a;
    CHECK(instance.node() == first);
    {
        auto [rp, held] = OnlyAllocation(cloud, uuid);
        CHECK(rp == rc.providers.at(first));
        CHECK(held.at("VCPU") == 1);
        CHECK(held.at("MEMORY_MB") == 512);
    }

    // --- resize to medium, then confirm ---------------------------------------------------
    auto migration = rc.Resize(uuid, rc.medium);
    CHECK(migration.migration_type() == "resize");
    CHECK(migration.source_compute() == first);
    CHECK(migration.dest_compute() == second);
    CHECK(migration.dest_node() == second);
    instance = cloud.Instance(uuid);
    CHECK(instance.host() == second);
    CHECK(instance.node() == second);
    CHECK(instance.flavor().flavorid() == rc.medium.flavorid());
    CHECK(instance.vcpus() == 2);
    CHECK(instance.memory_mb() == 1024);
    CHECK(instance.instance_type_id() == 2);
    CHECK(instance.old_flavor().flavorid() == rc.small.flavorid());
    CHECK(instance.new_flavor().flavorid() == rc.medium.flavorid());
    CHECK(instance.power_state() == 1);
    {
        // The instance holds the new flavor on the destination, the migration the old one on
        // the source.
        auto [rp, held] = OnlyAllocation(cloud, uuid);
        CHECK(rp == rc.providers.at(second));
        CHECK(held.at("VCPU") == 2);
        CHECK(held.at("MEMORY_MB") == 1024);
        auto [mrp, mheld] = OnlyAllocation(cloud, migration.uuid());
        CHECK(mrp == rc.providers.at(first));
        CHECK(mheld.at("VCPU") == 1);
        CHECK(mheld.at("MEMORY_MB") == 512);
    }
    rc.Confirm(uuid, migration);
    instance = cloud.Instance(uuid);
    CHECK(instance.host() == second);
    CHECK(instance.flavor().flavorid() == rc.medium.flavorid());
    CHECK_FALSE(instance.has_old_flavor());
    CHECK_FALSE(instance.has_new_flavor());
    {
        auto [rp, held] = OnlyAllocation(cloud, uuid);
        CHECK(rp == rc.providers.at(second));
        CHECK(held.at("VCPU") == 2);
    }

    // --- resize to large (back to the first host: the only other one), then revert -------
    migration = rc.Resize(uuid, rc.large);
    CHECK(migration.source_compute() == second);
    CHECK(migration.dest_compute() == first);
    instance = cloud.Instance(uuid);
    CHECK(instance.host() == first);
    CHECK(instance.flavor().flavorid() == rc.large.flavorid());
    {
        auto [rp, held] = OnlyAllocation(cloud, uuid);
        CHECK(rp == rc.providers.at(first));
        CHECK(held.at("VCPU") == 4);
        auto [mrp, mheld] = OnlyAllocation(cloud, migration.uuid());
        CHECK(mrp == rc.providers.at(second));
        CHECK(mheld.at("VCPU") == 2);
    }
    rc.Revert(uuid, migration);
    instance = cloud.Instance(uuid);
    CHECK(instance.host() == second);
    CHECK(instance.node() == second);
    CHECK(instance.flavor().flavorid() == rc.medium.flavorid());
    CHECK(instance.vcpus() == 2);
    CHECK(instance.instance_type_id() == 2);
    CHECK_FALSE(instance.has_old_flavor());
    CHECK_FALSE(instance.has_new_flavor());
    CHECK(instance.power_state() == 1);
    {
        // The source's allocations (held by the migration) are the instance's again; nothing
        // is left on the destination.
        auto [rp, held] = OnlyAllocation(cloud, uuid);
        CHECK(rp == rc.providers.at(second));
        CHECK(held.at("VCPU") == 2);
        CHECK(held.at("MEMORY_MB") == 1024);
        CHECK(cloud.Allocations(migration.uuid()).empty());
    }

    // --- cold migrate: the flavor stays, the host changes ----------------------------------
    migration = rc.Resize(uuid, rc.medium);
    CHECK(migration.migration_type() == "migration");
    CHECK(migration.source_compute() == second);
    CHECK(migration.dest_compute() == first);
    instance = cloud.Instance(uuid);
    CHECK(instance.host() == first);
    CHECK(instance.node() == first);
    CHECK(instance.flavor().flavorid() == rc.medium.flavorid());
    {
        auto [rp, held] = OnlyAllocation(cloud, uuid);
        CHECK(rp == rc.providers.at(first));
        CHECK(held.at("VCPU") == 2);
        auto [mrp, mheld] = OnlyAllocation(cloud, migration.uuid());
        CHECK(mrp == rc.providers.at(second));
        CHECK(mheld.at("VCPU") == 2);
    }
    rc.Confirm(uuid, migration);
    instance = cloud.Instance(uuid);
    CHECK(instance.host() == first);
    CHECK(instance.vm_state() == "active");
    {
        auto [rp, held] = OnlyAllocation(cloud, uuid);
        CHECK(rp == rc.providers.at(first));
    }
    // Every usage adds up: only the instance's allocation exists on either provider.
    scheduler::Placement placement(cloud.api(), cloud.clock());
    CHECK(placement.GetUsages(rc.providers.at(first)).at("VCPU") == 2);
    auto second_usage = placement.GetUsages(rc.providers.at(second));
    CHECK((second_usage.count("VCPU") == 0 || second_usage.at("VCPU") == 0));
}

TEST_CASE("a resize whose source fails to migrate the disk ends in ERROR with the allocations back on the source") {
    ResizeCloud rc;
    auto& cloud = rc.cloud;
    const std::string uuid = cloud.Boot(rc.small, {{"fake_fail_resize", "true"}});
    REQUIRE_MESSAGE(cloud.Eventually([&] { return cloud.Instance(uuid).vm_state() == "active"; }), cloud.Logs());
    const std::string source = cloud.Instance(uuid).host();
    auto instance = cloud.Instance(uuid);
    instance.set_task_state("resize_prep");
    cloud.SaveInstance(instance);
    cloud.ComputeTask().MigrateServer(cloud.context(), instance, Json::object(), rc.medium, true, cloud.SpecOf(uuid),
                                      std::nullopt, false);
    // ERROR first, then the allocations go back to the instance.
    REQUIRE_MESSAGE(cloud.Eventually([&] {
                        auto migrations = cloud.Migrations(uuid);
                        return cloud.Instance(uuid).vm_state() == "error" && migrations.size() == 1 &&
                               cloud.Allocations(migrations.front().uuid()).empty();
                    }),
                    cloud.Logs());
    instance = cloud.Instance(uuid);
    CHECK(instance.host() == source);
    auto migrations = cloud.Migrations(uuid);
    REQUIRE(migrations.size() == 1);
    CHECK(migrations.front().status() == "error");
    auto [rp, held] = OnlyAllocation(cloud, uuid);
    CHECK(rp == rc.providers.at(source));
    CHECK(held.at("VCPU") == 1);
    CHECK(cloud.Allocations(migrations.front().uuid()).empty());
}
