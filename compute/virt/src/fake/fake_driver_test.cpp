#include "nova/virt/fake_driver.hpp"

#include <doctest/doctest.h>

#include <set>

#include "nova/common/error.hpp"

namespace nova::virt {
namespace {

objects::Instance MakeInstance(const std::string& uuid, std::int64_t id, std::int64_t vcpus = 2,
                               std::int64_t memory_mb = 2048, std::int64_t root_gb = 20) {
    objects::Instance instance;
    instance.set_uuid(uuid);
    instance.set_id(id);
    instance.mutable_flavor()->set_vcpus(vcpus);
    instance.mutable_flavor()->set_memory_mb(memory_mb);
    instance.mutable_flavor()->set_root_gb(root_gb);
    return instance;
}

struct Fixture {
    ManualClock clock;
    std::vector<std::chrono::duration<double>> sleeps;
    std::vector<LifecycleEvent> events;
    RequestContext ctx;

    std::unique_ptr<FakeDriver> Make(FakeDriverOptions options = {}) {
        auto driver = std::make_unique<FakeDriver>(
            options, clock, [this](std::chrono::duration<double> d) { sleeps.push_back(d); });
        driver->RegisterEventListener([this](const LifecycleEvent& e) { events.push_back(e); });
        driver->InitHost("compute1");
        return driver;
    }
    std::vector<Transition> Transitions() const {
        std::vector<Transition> out;
        for (const auto& e : events) out.push_back(e.transition);
        return out;
    }
};

const std::string kUuid = "6d2ff5b7-3cb4-4d39-a1a5-2c41bd3b4f39";

}  // namespace

TEST_CASE_FIXTURE(Fixture, "spawn runs the guest, claims its flavor and emits STARTED") {
    auto driver = Make();
    auto instance = MakeInstance(kUuid, 42);
    driver->Spawn(ctx, instance, objects::ImageMeta(), SpawnOptions{});
    auto info = driver->GetInfo(instance);
    CHECK(info.state == PowerState::kRunning);
    CHECK(info.internal_id == "instance-0000002a");
    CHECK(driver->ListInstanceUuids() == std::vector<std::string>{kUuid});
    CHECK(driver->InstanceExists(instance));
    REQUIRE(events.size() == 1);
    CHECK(events[0].instance_uuid == kUuid);
    CHECK(events[0].transition == Transition::kStarted);
    CHECK(events[0].timestamp == clock.Now());

    auto r = driver->GetAvailableResource("compute1");
    CHECK(r.vcpus_used == 2);
    CHECK(r.memory_mb_used == 2048);
    CHECK(r.local_gb_used == 20);

    CHECK_THROWS_AS(driver->Spawn(ctx, instance, objects::ImageMeta(), SpawnOptions{}),
                    ::nova::InstanceExists);
}

TEST_CASE_FIXTURE(Fixture, "spawn with power_on=false leaves the guest shut down") {
    auto driver = Make();
    auto instance = MakeInstance(kUuid, 1);
    SpawnOptions options;
    options.power_on = false;
    driver->Spawn(ctx, instance, objects::ImageMeta(), options);
    CHECK(driver->GetInfo(instance).state == PowerState::kShutdown);
    CHECK(events.empty());
}

TEST_CASE_FIXTURE(Fixture, "destroy removes the guest and releases its resources") {
    auto driver = Make();
    auto instance = MakeInstance(kUuid, 1);
    driver->Spawn(ctx, instance, objects::ImageMeta(), SpawnOptions{});
    driver->Destroy(ctx, instance, {}, {}, true);
    CHECK_THROWS_AS(driver->GetInfo(instance), InstanceNotFound);
    CHECK(driver->ListInstanceUuids().empty());
    auto r = driver->GetAvailableResource("compute1");
    CHECK(r.vcpus_used == 0);
    CHECK(r.memory_mb_used == 0);
    CHECK(r.local_gb_used == 0);
    CHECK(Transitions() == std::vector<Transition>{Transition::kStarted, Transition::kStopped});
    // A guest that is already gone is not an error.
    CHECK_NOTHROW(driver->Destroy(ctx, instance, {}, {}, true));
}

TEST_CASE_FIXTURE(Fixture, "power off, power on, pause, unpause, suspend and resume") {
    auto driver = Make();
    auto instance = MakeInstance(kUuid, 1);
    driver->Spawn(ctx, instance, objects::ImageMeta(), SpawnOptions{});

    driver->PowerOff(instance, std::chrono::seconds(60), std::chrono::seconds(10));
    CHECK(driver->GetInfo(instance).state == PowerState::kShutdown);
    CHECK_THROWS_AS(driver->Pause(instance), InstanceNotRunning);
    CHECK_THROWS_AS(driver->Suspend(ctx, instance), InstanceSuspendFailure);
    driver->PowerOn(ctx, instance, {}, {});
    CHECK(driver->GetInfo(instance).state == PowerState::kRunning);

    driver->Pause(instance);
    CHECK(driver->GetInfo(instance).state == PowerState::kPaused);
    driver->Unpause(instance);
    CHECK(driver->GetInfo(instance).state == PowerState::kRunning);
    CHECK_THROWS_AS(driver->Unpause(instance), InstanceInvalidState);

    CHECK_THROWS_AS(driver->Resume(ctx, instance, {}, {}), InstanceResumeFailure);
    driver->Suspend(ctx, instance);
    CHECK(driver->GetInfo(instance).state == PowerState::kSuspended);
    driver->Resume(ctx, instance, {}, {});
    CHECK(driver->GetInfo(instance).state == PowerState::kRunning);

    CHECK(Transitions() ==
          std::vector<Transition>{Transition::kStarted, Transition::kStopped,
                                  Transition::kStarted, Transition::kPaused,
                                  Transition::kResumed, Transition::kSuspended,
                                  Transition::kResumed});

    auto missing = MakeInstance("00000000-0000-4000-8000-000000000001", 2);
    CHECK_THROWS_AS(driver->PowerOff(missing, {}, {}), InstanceNotFound);
    CHECK_THROWS_AS(driver->PowerOn(ctx, missing, {}, {}), InstanceNotFound);
    CHECK_THROWS_AS(driver->Pause(missing), InstanceNotFound);
    CHECK_THROWS_AS(driver->GetConsoleOutput(ctx, missing), InstanceNotFound);
}

TEST_CASE_FIXTURE(Fixture, "reboot ends running - a hard reboot recreates a lost guest") {
    auto driver = Make();
    auto instance = MakeInstance(kUuid, 1);
    driver->Spawn(ctx, instance, objects::ImageMeta(), SpawnOptions{});
    driver->PowerOff(instance, {}, {});
    driver->Reboot(ctx, instance, {}, RebootType::kSoft, {});
    CHECK(driver->GetInfo(instance).state == PowerState::kRunning);
    driver->Reboot(ctx, instance, {}, RebootType::kHard, {});
    CHECK(driver->GetInfo(instance).state == PowerState::kRunning);

    auto lost = MakeInstance("00000000-0000-4000-8000-000000000002", 2);
    CHECK_THROWS_AS(driver->Reboot(ctx, lost, {}, RebootType::kSoft, {}), InstanceNotFound);
    driver->Reboot(ctx, lost, {}, RebootType::kHard, {});
    CHECK(driver->GetInfo(lost).state == PowerState::kRunning);
}

TEST_CASE_FIXTURE(Fixture, "console output of a guest") {
    auto driver = Make();
    auto instance = MakeInstance(kUuid, 1);
    driver->Spawn(ctx, instance, objects::ImageMeta(), SpawnOptions{});
    CHECK(driver->GetConsoleOutput(ctx, instance) == "FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE");
}

TEST_CASE_FIXTURE(Fixture, "resize hooks move the flavor's usage") {
    auto source = Make();
    auto dest = std::make_unique<FakeDriver>(FakeDriverOptions{}, clock);
    dest->InitHost("compute2");
    auto instance = MakeInstance(kUuid, 1, 2, 2048, 20);
    source->Spawn(ctx, instance, objects::ImageMeta(), SpawnOptions{});

    objects::Flavor bigger;
    bigger.set_vcpus(4);
    bigger.set_memory_mb(4096);
    bigger.set_root_gb(40);
    objects::Flavor smaller;
    smaller.set_root_gb(10);
    CHECK_THROWS_AS(source->MigrateDiskAndPowerOff(ctx, instance, "10.0.0.2", smaller, {}, {},
                                                   {}, {}),
                    InstanceFaultRollback);
    CHECK(source->GetInfo(instance).state == PowerState::kRunning);

    auto disk_info = source->MigrateDiskAndPowerOff(ctx, instance, "10.0.0.2", bigger, {}, {},
                                                    std::chrono::seconds(60),
                                                    std::chrono::seconds(10));
    CHECK(disk_info == "[]");
    CHECK(source->GetInfo(instance).state == PowerState::kShutdown);

    objects::Migration migration;
    migration.set_source_compute("compute1");
    migration.set_source_node("compute1");
    migration.set_dest_compute("compute2");
    migration.set_dest_node("compute2");
    auto resized = instance;
    *resized.mutable_flavor() = bigger;
    dest->FinishMigration(ctx, migration, resized, disk_info, {}, objects::ImageMeta(), true, {},
                          true);
    CHECK(dest->GetInfo(resized).state == PowerState::kRunning);
    CHECK(dest->GetAvailableResource("compute2").vcpus_used == 4);
    CHECK(dest->GetAvailableResource("compute2").memory_mb_used == 4096);

    SUBCASE("confirm removes the source guest") {
        source->ConfirmMigration(ctx, migration, instance, {});
        CHECK_FALSE(source->InstanceExists(instance));
        CHECK(source->GetAvailableResource("compute1").vcpus_used == 0);
    }
    SUBCASE("revert brings the old flavor back on the source") {
        dest->Destroy(ctx, resized, {}, {}, true);
        CHECK(dest->GetAvailableResource("compute2").vcpus_used == 0);
        source->FinishRevertMigration(ctx, instance, {}, migration, {}, true);
        CHECK(source->GetInfo(instance).state == PowerState::kRunning);
        auto r = source->GetAvailableResource("compute1");
        CHECK(r.vcpus_used == 2);
        CHECK(r.memory_mb_used == 2048);
        CHECK(r.local_gb_used == 20);
    }
}

TEST_CASE_FIXTURE(Fixture, "failure injection by configuration") {
    SUBCASE("fail_spawn") {
        FakeDriverOptions options;
        options.fail_spawn = true;
        auto driver = Make(options);
        auto instance = MakeInstance(kUuid, 1);
        CHECK_THROWS_AS(driver->Spawn(ctx, instance, objects::ImageMeta(), SpawnOptions{}),
                        ComputeResourcesUnavailable);
        CHECK(driver->ListInstanceUuids().empty());
        CHECK(driver->GetAvailableResource("compute1").vcpus_used == 0);
    }
    SUBCASE("spawn_delay") {
        FakeDriverOptions options;
        options.spawn_delay = 2.5;
        auto driver = Make(options);
        driver->Spawn(ctx, MakeInstance(kUuid, 1), objects::ImageMeta(), SpawnOptions{});
        REQUIRE(sleeps.size() == 1);
        CHECK(sleeps[0].count() == doctest::Approx(2.5));
    }
    SUBCASE("crash_after_spawn") {
        FakeDriverOptions options;
        options.crash_after_spawn = true;
        auto driver = Make(options);
        auto instance = MakeInstance(kUuid, 1);
        driver->Spawn(ctx, instance, objects::ImageMeta(), SpawnOptions{});
        CHECK(driver->GetInfo(instance).state == PowerState::kCrashed);
        CHECK(Transitions() ==
              std::vector<Transition>{Transition::kStarted, Transition::kStopped});
    }
}

TEST_CASE_FIXTURE(Fixture, "failure injection by image property") {
    auto driver = Make();
    auto instance = MakeInstance(kUuid, 1);
    SUBCASE("fake_fail_spawn=true reschedules") {
        (*instance.mutable_system_metadata())["image_fake_fail_spawn"] = "True";
        CHECK_THROWS_AS(driver->Spawn(ctx, instance, objects::ImageMeta(), SpawnOptions{}),
                        ComputeResourcesUnavailable);
    }
    SUBCASE("fake_fail_spawn=abort aborts the build") {
        (*instance.mutable_system_metadata())["image_fake_fail_spawn"] = "abort";
        CHECK_THROWS_AS(driver->Spawn(ctx, instance, objects::ImageMeta(), SpawnOptions{}),
                        BuildAbortException);
    }
    SUBCASE("fake_spawn_delay") {
        (*instance.mutable_system_metadata())["image_fake_spawn_delay"] = "0.75";
        driver->Spawn(ctx, instance, objects::ImageMeta(), SpawnOptions{});
        REQUIRE(sleeps.size() == 1);
        CHECK(sleeps[0].count() == doctest::Approx(0.75));
    }
    SUBCASE("fake_crash_after_spawn") {
        (*instance.mutable_system_metadata())["image_fake_crash_after_spawn"] = "yes";
        driver->Spawn(ctx, instance, objects::ImageMeta(), SpawnOptions{});
        CHECK(driver->GetInfo(instance).state == PowerState::kCrashed);
    }
    SUBCASE("other instances are not affected") {
        (*instance.mutable_system_metadata())["image_fake_fail_spawn"] = "false";
        driver->Spawn(ctx, instance, objects::ImageMeta(), SpawnOptions{});
        CHECK(sleeps.empty());
        CHECK(driver->GetInfo(instance).state == PowerState::kRunning);
    }
}

TEST_CASE_FIXTURE(Fixture, "available resources come from the configured capacity") {
    FakeDriverOptions options;
    options.vcpus = 16;
    options.memory_mb = 32768;
    options.local_gb = 500;
    auto driver = Make(options);
    CHECK(driver->GetAvailableNodes() == std::vector<std::string>{"compute1"});
    CHECK(driver->NodeIsAvailable("compute1"));
    CHECK_FALSE(driver->NodeIsAvailable("other"));
    auto r = driver->GetAvailableResource("compute1");
    CHECK(r.vcpus == 16);
    CHECK(r.memory_mb == 32768);
    CHECK(r.local_gb == 500);
    CHECK(r.hypervisor_type == "fake");
    CHECK(r.hypervisor_version == 1000);
    CHECK(r.hypervisor_hostname == "compute1");
    CHECK(Json::parse(r.cpu_info)["arch"] == "x86_64");
    REQUIRE(r.supported_instances.size() == 1);
    CHECK(r.supported_instances[0].hv_type == "fake");
    CHECK_THROWS_AS(driver->GetAvailableResource("other"), ComputeHostNotFound);
}

TEST_CASE_FIXTURE(Fixture, "hosts = N gives N independent drivers with their own names") {
    conf::FakeOptions fake{};
    fake.hosts = 1;
    fake.host_prefix = "fake-host-";
    CHECK(FakeHostNames(fake, "node1") == std::vector<std::string>{"node1"});
    fake.hosts = 3;
    auto names = FakeHostNames(fake, "node1");
    CHECK(names == std::vector<std::string>{"fake-host-0", "fake-host-1", "fake-host-2"});

    std::vector<std::unique_ptr<FakeDriver>> drivers;
    for (const auto& name : names) {
        drivers.push_back(std::make_unique<FakeDriver>(FakeDriverOptions{}, clock));
        drivers.back()->InitHost(name);
    }
    drivers[1]->Spawn(ctx, MakeInstance(kUuid, 1), objects::ImageMeta(), SpawnOptions{});
    CHECK(drivers[0]->ListInstanceUuids().empty());
    CHECK(drivers[1]->ListInstanceUuids().size() == 1);
    CHECK(drivers[2]->ListInstanceUuids().empty());
    CHECK(drivers[2]->GetAvailableNodes() == std::vector<std::string>{"fake-host-2"});
    CHECK(drivers[1]->GetAvailableResource("fake-host-1").vcpus_used == 2);
    CHECK(drivers[0]->GetAvailableResource("fake-host-0").vcpus_used == 0);
}

TEST_CASE_FIXTURE(Fixture, "events from the guest itself - a throwing listener is contained") {
    auto driver = Make();
    auto instance = MakeInstance(kUuid, 1);
    driver->Spawn(ctx, instance, objects::ImageMeta(), SpawnOptions{});
    driver->SetPowerStateForTest(kUuid, PowerState::kShutdown);
    CHECK(driver->GetInfo(instance).state == PowerState::kShutdown);
    CHECK(events.back().transition == Transition::kStopped);

    driver->RegisterEventListener([](const LifecycleEvent&) { throw InternalError({{"err", "x"}}); });
    CHECK_NOTHROW(driver->PowerOn(ctx, instance, {}, {}));
    driver->RegisterEventListener({});
    CHECK_NOTHROW(driver->PowerOff(instance, {}, {}));
}

TEST_CASE("power states and transitions carry Nova's numbers and names") {
    CHECK(ToInt(PowerState::kNoState) == 0);
    CHECK(ToInt(PowerState::kRunning) == 1);
    CHECK(ToInt(PowerState::kPaused) == 3);
    CHECK(ToInt(PowerState::kShutdown) == 4);
    CHECK(ToInt(PowerState::kCrashed) == 6);
    CHECK(ToInt(PowerState::kSuspended) == 7);
    CHECK(power_state::SUSPENDED == 7);
    CHECK_FALSE(PowerStateFromInt(2).has_value());
    CHECK_FALSE(PowerStateFromInt(5).has_value());
    CHECK(PowerStateFromInt(6) == PowerState::kCrashed);
    CHECK(PowerStateName(PowerState::kNoState) == "pending");
    CHECK(static_cast<int>(Transition::kSuspended) == 4);
    CHECK(TransitionName(Transition::kResumed) == "Resumed");
    CHECK(RebootTypeName(RebootType::kHard) == "HARD");
}

}  // namespace nova::virt
