// Conductor and compute failures with real processes (issues 6 and 7): two conductors share
// the builds of one queue; a conductor killed mid-build leaves an instance that the next
// conductor's orphaned-build sweep puts in ERROR with a fault and no allocation; a compute
// killed while spawning finds the instance at its restart and fails it the same way.
#include <doctest/doctest.h>

#include <signal.h>

#include "nova/db/instance_action_store.hpp"
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

std::size_t Count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
    return n;
}

std::string Prefix(const ProcessCloud& cloud) { return "rb" + cloud.exchange().substr(6, 6) + "-"; }

std::string FakeHosts(const std::string& prefix, int hosts) {
    return "[fake]\nhosts = " + std::to_string(hosts) + "\nhost_prefix = " + prefix +
           "\nvcpus = 64\nmemory_mb = 65536\nlocal_gb = 1000\n";
}

}  // namespace

TEST_CASE("two conductors on one queue share the builds") {
    ProcessCloud cloud;
    const auto prefix = Prefix(cloud);
    cloud.SetExtraDefault("debug = true");
    cloud.Start(NOVA_CONDUCTOR_BINARY, "conductor-a-" + prefix);
    cloud.Start(NOVA_CONDUCTOR_BINARY, "conductor-b-" + prefix);
    cloud.Start(NOVA_SCHEDULER_BINARY, "scheduler-" + prefix);
    cloud.WaitForService("nova-conductor", "conductor-a-" + prefix);
    cloud.WaitForService("nova-conductor", "conductor-b-" + prefix);
    cloud.WaitForService("nova-scheduler", "scheduler-" + prefix);
    cloud.Start(NOVA_COMPUTE_BINARY, "compute-" + prefix, FakeHosts(prefix, 2), "compute_driver = fake.FakeDriver");
    cloud.DiscoverHosts({prefix + "0", prefix + "1"});

    const auto flavor = ProcessCloud::MakeFlavor(1, 1, 256, 1);
    std::vector<std::string> uuids;
    for (int i = 0; i < 8; ++i) uuids.push_back(cloud.Boot(flavor));
    for (const auto& uuid : uuids) {
        REQUIRE_MESSAGE(cloud.Eventually([&] { return cloud.Instance(uuid).vm_state() == "active"; }), cloud.Logs());
        CHECK(cloud.Allocations(uuid).size() == 1);
    }
    // RabbitMQ hands the queue's messages to its consumers in turn: both conductors built.
    const auto a = Count(cloud.LogOf("conductor-a-" + prefix), "Dispatching schedule_and_build_instances");
    const auto b = Count(cloud.LogOf("conductor-b-" + prefix), "Dispatching schedule_and_build_instances");
    CHECK(a + b == uuids.size());
    CHECK(a > 0);
    CHECK(b > 0);

    // One conductor stops: the other takes every build.
    cloud.Kill(cloud.Find("conductor-a-" + prefix), SIGTERM);
    const auto uuid = cloud.Boot(flavor);
    REQUIRE_MESSAGE(cloud.Eventually([&] { return cloud.Instance(uuid).vm_state() == "active"; }), cloud.Logs());
}

TEST_CASE("a conductor killed mid-build: the next conductor fails the orphaned build with a fault and frees it") {
    ProcessCloud cloud;
    const auto prefix = Prefix(cloud);
    const std::string timeout = "instance_build_timeout = 4";
    cloud.SetExtraDefault(timeout);
    cloud.Start(NOVA_CONDUCTOR_BINARY, "conductor-a-" + prefix);
    auto& scheduler = cloud.Start(NOVA_SCHEDULER_BINARY, "scheduler-" + prefix);
    cloud.WaitForService("nova-conductor", "conductor-a-" + prefix);
    cloud.WaitForService("nova-scheduler", "scheduler-" + prefix);
    // One fake host: it is named after [DEFAULT] host.
    cloud.Start(NOVA_COMPUTE_BINARY, "compute-" + prefix, FakeHosts(prefix, 1), "compute_driver = fake.FakeDriver");
    cloud.DiscoverHosts({"compute-" + prefix});
    const auto flavor = ProcessCloud::MakeFlavor(1, 1, 256, 1);

    // The scheduler is frozen, so the conductor sits in select_destinations with the cast
    // already consumed (and acked) when it is killed.
    ::kill(scheduler.pid, SIGSTOP);
    const auto uuid = cloud.Boot(flavor);
    // The conductor consumes the cast at once; give it a moment to reach the scheduler.
    std::this_thread::sleep_for(1500ms);
    cloud.Kill(cloud.Find("conductor-a-" + prefix), SIGKILL);
    ::kill(scheduler.pid, SIGCONT);
    // The scheduler answers the dead conductor's request: it claims for the instance.
    CHECK(cloud.Eventually([&] { return !cloud.Allocations(uuid).empty(); }, 20s));
    std::this_thread::sleep_for(1s);
    // Nothing else happens by itself: the BuildRequest is all there is.
    CHECK_NOTHROW(db::BuildRequestStore(cloud.api(), cloud.clock()).GetByInstanceUuid(uuid));

    // A conductor comes up; its sweep finds the build older than instance_build_timeout.
    cloud.Start(NOVA_CONDUCTOR_BINARY, "conductor-b-" + prefix);
    // The sweep's last step frees the allocations (after the burial in cell0).
    REQUIRE_MESSAGE(cloud.Eventually(
                        [&] {
                            return db::InstanceStore(cloud.cell0(), cloud.clock()).GetByUuid(uuid).vm_state() ==
                                       "error" &&
                                   cloud.Allocations(uuid).empty();
                        },
                        30s),
                    cloud.Logs());
    auto fault = db::InstanceFaultStore(cloud.cell0(), cloud.clock()).GetLatestForInstance(uuid);
    REQUIRE(fault.has_value());
    CHECK(fault->message().find("did not reach a compute host") != std::string::npos);
    CHECK(cloud.Allocations(uuid).empty());
    CHECK_THROWS_AS(db::BuildRequestStore(cloud.api(), cloud.clock()).GetByInstanceUuid(uuid), BuildRequestNotFound);
    auto mapping = db::InstanceMappingStore(cloud.api(), cloud.clock()).GetByInstanceUuid(uuid);
    CHECK(mapping.cell_mapping().uuid() == db::kCell0Uuid);

    // And it builds what comes next.
    const auto next = cloud.Boot(flavor);
    REQUIRE_MESSAGE(cloud.Eventually([&] { return cloud.Instance(next).vm_state() == "active"; }), cloud.Logs());
}

TEST_CASE("a compute killed while spawning: at its restart the instance is ERROR with a fault and no allocation") {
    ProcessCloud cloud;
    const auto prefix = Prefix(cloud);
    cloud.Start(NOVA_CONDUCTOR_BINARY, "conductor-" + prefix);
    cloud.Start(NOVA_SCHEDULER_BINARY, "scheduler-" + prefix);
    cloud.WaitForService("nova-conductor", "conductor-" + prefix);
    cloud.WaitForService("nova-scheduler", "scheduler-" + prefix);
    const std::string compute = "compute-" + prefix;
    cloud.Start(NOVA_COMPUTE_BINARY, compute, FakeHosts(prefix, 1), "compute_driver = fake.FakeDriver");
    const auto providers = cloud.DiscoverHosts({compute});
    const auto flavor = ProcessCloud::MakeFlavor(1, 1, 256, 1);

    const auto uuid = cloud.Boot(flavor, {{"fake_spawn_delay", "60"}});
    REQUIRE_MESSAGE(cloud.Eventually([&] { return TaskOf(cloud.Instance(uuid)) == "spawning"; }), cloud.Logs());
    CHECK(cloud.Allocations(uuid).size() == 1);
    cloud.Kill(cloud.Find(compute), SIGKILL);
    CHECK(cloud.Instance(uuid).vm_state() == "building");

    cloud.Start(NOVA_COMPUTE_BINARY, compute, FakeHosts(prefix, 1), "compute_driver = fake.FakeDriver");
    REQUIRE_MESSAGE(cloud.Eventually([&] { return cloud.Instance(uuid).vm_state() == "error"; }), cloud.Logs());
    auto instance = cloud.Instance(uuid);
    CHECK(TaskOf(instance) == "None");
    auto fault = db::InstanceFaultStore(cloud.cell(), cloud.clock()).GetLatestForInstance(uuid);
    REQUIRE(fault.has_value());
    CHECK(fault->message().find("restarted during the build") != std::string::npos);
    CHECK(cloud.Eventually([&] { return cloud.Allocations(uuid).empty(); }));
    scheduler::Placement placement(cloud.api(), cloud.clock());
    auto usage = placement.GetUsages(providers.at(compute));
    CHECK((usage.count("VCPU") == 0 || usage.at("VCPU") == 0));

    // The restarted compute builds again.
    const auto next = cloud.Boot(flavor);
    REQUIRE_MESSAGE(cloud.Eventually([&] { return cloud.Instance(next).vm_state() == "active"; }), cloud.Logs());
}
