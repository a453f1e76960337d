// SelectDestinations on MariaDB: claims, alternates, multi-create all or nothing, Nova's
// NoValidHost reasons, server groups, aggregates and availability zones.
#include <doctest/doctest.h>

#include <set>

#include "cloud.hpp"
#include "nova/common/error.hpp"
#include "nova/objects/object.hpp"

using namespace nova;
using namespace nova::scheduler;
using nova::scheduler::testing::Cloud;

namespace {

struct Harness {
    Cloud cloud;
    Placement placement{cloud.api(), cloud.clock()};
    std::unique_ptr<HostManager> hosts = cloud.MakeHostManager(cloud.api(), cloud.cell());
    SchedulerConfig config = DefaultSchedulerConfig();
    RequestContext ctx;

    Scheduler Make() { return Scheduler(config, placement, *hosts, cloud.clock(), 42); }
};

std::vector<std::string> Uuids(int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back(GenerateUuid());
    return out;
}

}  // namespace

TEST_CASE("one instance: the best host is claimed / alternates follow in weight order") {
    Harness h;
    auto a = h.cloud.AddHost("a", {.memory_mb = 2048});
    auto b = h.cloud.AddHost("b", {.memory_mb = 8192});
    auto c = h.cloud.AddHost("c", {.memory_mb = 4096});
    h.cloud.AddHost("d", {.memory_mb = 1024});
    auto scheduler = h.Make();
    auto uuid = GenerateUuid();
    auto result = scheduler.SelectDestinations(h.ctx, Cloud::Spec(1, 1536, 1), {uuid}, true, true);
    REQUIRE(result.size() == 1);
    const auto& list = result.front();
    REQUIRE(list.size() == 3);  // max_attempts = 3; d cannot hold 1536 MB
    CHECK(list[0].service_host() == "b");  // most free RAM (RAMWeigher spreads)
    CHECK(list[1].service_host() == "c");
    CHECK(list[2].service_host() == "a");
    CHECK(list[0].compute_node_uuid() == b);
    CHECK(list[0].cell_uuid() == h.cloud.cell_uuid());
    CHECK(list[0].availability_zone() == "nova");
    CHECK(list[0].allocation_request_version() == "1.36");
    auto ar = Json::parse(list[0].allocation_request());
    CHECK(ar["allocations"][b]["resources"] == Json{{"DISK_GB", 1}, {"MEMORY_MB", 1536}, {"VCPU", 1}});
    CHECK(Json::parse(list[1].allocation_request())["allocations"].contains(c));
    CHECK(objects::IsNull(list[0].limits(), "vcpu"));
    // Only the chosen host is claimed.
    CHECK(h.placement.GetAllocations(uuid) ==
          std::map<std::string, Resources>{{b, {{"VCPU", 1}, {"MEMORY_MB", 1536}, {"DISK_GB", 1}}}});
    CHECK(h.placement.GetUsages(a).empty());
    CHECK(h.placement.GetUsages(c).empty());

    // Without alternates (or without objects) there is one selection.
    auto single = scheduler.SelectDestinations(h.ctx, Cloud::Spec(1, 512, 1), {GenerateUuid()}, true, false);
    CHECK(single.front().size() == 1);
    auto legacy = scheduler.SelectDestinations(h.ctx, Cloud::Spec(1, 512, 1), {GenerateUuid()}, false, true);
    CHECK(legacy.front().size() == 1);
    CHECK(Scheduler::LegacyDestination(legacy.front().front()).contains("nodename"));
}

TEST_CASE("multi-create: every instance claimed / and consumption spreads them") {
    Harness h;
    h.cloud.AddHost("a", {.vcpus = 2, .memory_mb = 4096});
    h.cloud.AddHost("b", {.vcpus = 2, .memory_mb = 4096});
    auto scheduler = h.Make();
    auto uuids = Uuids(4);
    auto spec = Cloud::Spec(1, 1024, 1);
    spec.set_num_instances(4);
    auto result = scheduler.SelectDestinations(h.ctx, spec, uuids, true, true);
    REQUIRE(result.size() == 4);
    std::map<std::string, int> per_host;
    for (std::size_t i = 0; i < 4; ++i) {
        ++per_host[result[i][0].service_host()];
        CHECK_FALSE(h.placement.GetAllocations(uuids[i]).empty());
        // Alternates never repeat a host chosen for this request.
        CHECK(result[i].size() == 1);
    }
    CHECK(per_host == std::map<std::string, int>{{"a", 2}, {"b", 2}});
}

TEST_CASE("single-instance requests served from one cached snapshot spread over the hosts") {
    Harness h;
    h.hosts = h.cloud.MakeHostManager(h.cloud.api(), h.cloud.cell(), /*ttl_seconds=*/3600);
    for (const char* name : {"a", "b", "c", "d"}) h.cloud.AddHost(name, {.vcpus = 8, .memory_mb = 8192});
    auto scheduler = h.Make();
    std::map<std::string, int> per_host;
    for (int i = 0; i < 8; ++i) {
        auto result = scheduler.SelectDestinations(h.ctx, Cloud::Spec(1, 1024, 1), {GenerateUuid()}, true, false);
        ++per_host[result.front().front().service_host()];
    }
    // Each request weighs the hosts with what the previous ones placed (not yet reported by
    // any compute): two on each, not eight on the first.
    CHECK(h.hosts->read_counts().full == 1);
    CHECK(per_host == std::map<std::string, int>{{"a", 2}, {"b", 2}, {"c", 2}, {"d", 2}});
}

TEST_CASE("multi-create is all or nothing: claims are released when one instance fails") {
    Harness h;
    auto a = h.cloud.AddHost("a", {.vcpus = 2});
    auto b = h.cloud.AddHost("b", {.vcpus = 1});
    auto scheduler = h.Make();
    auto uuids = Uuids(4);
    try {
        scheduler.SelectDestinations(h.ctx, Cloud::Spec(1, 256, 1), uuids, true, true);
        FAIL("expected NoValidHost");
    } catch (const NoValidHost& e) {
        CHECK(std::string(e.what()).starts_with(
            "No valid host was found. There are not enough hosts available."));
    }
    for (const auto& u : uuids) CHECK(h.placement.GetAllocations(u).empty());
    CHECK(h.placement.GetUsages(a).empty());
    CHECK(h.placement.GetUsages(b).empty());
    // Three fit.
    auto three = std::vector<std::string>(uuids.begin(), uuids.begin() + 3);
    CHECK(scheduler.SelectDestinations(h.ctx, Cloud::Spec(1, 256, 1), three, true, true).size() == 3);
}

TEST_CASE("NoValidHost: no candidates / and which filter removed how many hosts") {
    Harness h;
    h.cloud.AddHost("a");
    h.cloud.AddHost("b");
    h.config.filter_scheduler.enabled_filters = {"ComputeFilter", "AvailabilityZoneFilter"};
    auto scheduler = h.Make();
    try {
        scheduler.SelectDestinations(h.ctx, Cloud::Spec(64, 256, 1), {GenerateUuid()}, true, true);
        FAIL("expected NoValidHost");
    } catch (const NoValidHost& e) {
        CHECK(std::string(e.what()) == "No valid host was found. ");
    }
    auto spec = Cloud::Spec(1, 256, 1);
    spec.set_availability_zone("az9");
    auto uuid = GenerateUuid();
    try {
        scheduler.SelectDestinations(h.ctx, spec, {uuid}, true, true);
        FAIL("expected NoValidHost");
    } catch (const NoValidHost& e) {
        CHECK(std::string(e.what()) ==
              "No valid host was found. There are not enough hosts available. Filtering removed "
              "all hosts for the request with instance ID '" + uuid + "'. Filter results: "
              "['ComputeFilter: (start: 2, end: 2)', 'AvailabilityZoneFilter: (start: 2, end: 0)']");
    }
    CHECK(h.placement.GetAllocations(uuid).empty());
}

TEST_CASE("aggregates: availability zones / extra specs / weight multipliers") {
    Harness h;
    auto a = h.cloud.AddHost("a", {.memory_mb = 8192});
    auto b = h.cloud.AddHost("b", {.memory_mb = 4096});
    h.cloud.AddToAggregate("zone", {"b"}, {{"availability_zone", "az1"}, {"ssd", "true"}});
    h.config.filter_scheduler.enabled_filters = {"ComputeFilter", "AvailabilityZoneFilter",
                                                 "AggregateInstanceExtraSpecsFilter"};
    auto scheduler = h.Make();
    auto spec = Cloud::Spec(1, 256, 1);
    spec.set_availability_zone("az1");
    auto r = scheduler.SelectDestinations(h.ctx, spec, {GenerateUuid()}, true, true);
    REQUIRE(r.front().size() == 1);
    CHECK(r.front()[0].service_host() == "b");
    CHECK(r.front()[0].availability_zone() == "az1");
    auto ssd = Cloud::Spec(1, 256, 1);
    (*ssd.mutable_flavor()->mutable_extra_specs())["aggregate_instance_extra_specs:ssd"] = "true";
    CHECK(scheduler.SelectDestinations(h.ctx, ssd, {GenerateUuid()}, true, true).front()[0].service_host() == "b");
    // Stacking on b through its aggregate's ram_weight_multiplier.
    h.cloud.AddToAggregate("stack", {"a"}, {{"ram_weight_multiplier", "-1.0"}});
    // b's compute reports after the two placements above (its record counts them from then on,
    // and the scheduler stops subtracting them).
    h.cloud.cell().Execute("UPDATE `compute_nodes` SET `updated_at` = ? WHERE `uuid` = ?",
                           {WallTime(std::chrono::time_point_cast<std::chrono::seconds>(h.cloud.clock().Now())) +
                                std::chrono::seconds(2),
                            b});
    h.hosts->Invalidate();
    auto plain = scheduler.SelectDestinations(h.ctx, Cloud::Spec(1, 256, 1), {GenerateUuid()}, true, true);
    CHECK(plain.front()[0].service_host() == "b");
    (void)a;
    (void)b;
}

TEST_CASE("server groups: anti-affinity spreads a multi-create / affinity packs it") {
    Harness h;
    for (auto name : {"a", "b", "c"}) h.cloud.AddHost(name, {.vcpus = 8, .memory_mb = 8192});
    auto scheduler = h.Make();
    auto uuids = Uuids(3);
    auto spec = Cloud::Spec(1, 256, 1);
    auto* group = spec.mutable_instance_group();
    group->set_uuid(GenerateUuid());
    group->set_policy("anti-affinity");
    for (const auto& u : uuids) group->add_members(u);
    auto r = scheduler.SelectDestinations(h.ctx, spec, uuids, true, true);
    std::set<std::string> used;
    for (const auto& list : r) used.insert(list[0].service_host());
    CHECK(used.size() == 3);
    // A fourth member has nowhere to go.
    auto fourth = GenerateUuid();
    group->add_members(fourth);
    CHECK_THROWS_AS(scheduler.SelectDestinations(h.ctx, spec, {fourth}, true, true), NoValidHost);

    auto packed = Uuids(3);
    auto aspec = Cloud::Spec(1, 256, 1);
    auto* ag = aspec.mutable_instance_group();
    ag->set_uuid(GenerateUuid());
    ag->set_policy("affinity");
    ag->add_policies("affinity");
    for (const auto& u : packed) ag->add_members(u);
    auto ar = scheduler.SelectDestinations(h.ctx, aspec, packed, true, true);
    std::set<std::string> hosts;
    for (const auto& list : ar) hosts.insert(list[0].service_host());
    CHECK(hosts.size() == 1);
}

TEST_CASE("disabled and down services are not chosen") {
    Harness h;
    h.cloud.AddHost("up");
    h.cloud.AddHost("off", {.memory_mb = 65536});
    db::ServiceStore services(h.cloud.cell(), h.cloud.clock());
    auto svc = services.GetByComputeHost("off");
    svc.set_disabled(true);
    svc.set_disabled_reason("maintenance");
    services.Save(svc);
    auto scheduler = h.Make();
    auto r = scheduler.SelectDestinations(h.ctx, Cloud::Spec(1, 256, 1), {GenerateUuid()}, true, true);
    REQUIRE(r.front().size() == 1);
    CHECK(r.front()[0].service_host() == "up");
}

TEST_CASE("unknown filter or weigher names fail at construction") {
    Harness h;
    h.config.filter_scheduler.enabled_filters = {"ComputeFilter", "RetryFilter"};
    CHECK_THROWS_AS(h.Make(), SchedulerHostFilterNotFound);
    h.config = DefaultSchedulerConfig();
    h.config.filter_scheduler.weight_classes = {"nova.scheduler.weights.metrics.MetricsWeigher"};
    CHECK_THROWS_AS(h.Make(), ClassNotFound);
}

TEST_CASE("a reschedule claims an alternate's allocation_request") {
    Harness h;
    h.cloud.AddHost("a", {.vcpus = 2, .memory_mb = 8192});
    h.cloud.AddHost("b", {.vcpus = 2, .memory_mb = 4096});
    auto scheduler = h.Make();
    auto uuid = GenerateUuid();
    auto list = scheduler.SelectDestinations(h.ctx, Cloud::Spec(2, 1024, 1), {uuid}, true, true).front();
    REQUIRE(list.size() == 2);
    CHECK(list[0].service_host() == "a");
    // The build on a failed: the compute dropped the claim, the conductor claims the alternate.
    h.placement.RemoveClaim(uuid);
    REQUIRE(h.placement.ClaimAllocationRequest(uuid, "project", "user", list[1].allocation_request()));
    CHECK(h.placement.GetAllocations(uuid).begin()->first == list[1].compute_node_uuid());
    // An alternate that filled up meanwhile is refused, as Nova's claim_resources would be.
    CHECK_FALSE(h.placement.ClaimAllocationRequest(GenerateUuid(), "p", "u", list[1].allocation_request()));
    CHECK_THROWS_AS(h.placement.ClaimAllocationRequest(uuid, "p", "u", "{}"), InvalidInput);
}
