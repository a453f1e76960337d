// Weighers and Nova's normalization, on hand-built host states.
#include <doctest/doctest.h>

#include "nova/common/error.hpp"
#include "nova/scheduler/weights.hpp"

using namespace nova;
using namespace nova::scheduler;

namespace {

conf::FilterSchedulerOptions Defaults() {
    conf::FilterSchedulerOptions o{};
    o.ram_weight_multiplier = 1.0;
    o.cpu_weight_multiplier = 1.0;
    o.disk_weight_multiplier = 1.0;
    o.io_ops_weight_multiplier = -1.0;
    o.soft_affinity_weight_multiplier = 1.0;
    o.soft_anti_affinity_weight_multiplier = 1.0;
    o.build_failure_weight_multiplier = 1000000.0;
    return o;
}

HostState Host(const std::string& name, std::int64_t ram, std::int64_t disk_mb, std::int64_t vcpus_used) {
    HostState h;
    h.host = h.nodename = name;
    h.free_ram_mb = ram;
    h.free_disk_mb = disk_mb;
    h.vcpus_total = 8;
    h.vcpus_used = vcpus_used;
    h.cpu_allocation_ratio = 1.0;
    return h;
}

std::vector<std::string> Order(const std::vector<WeighedHost>& w) {
    std::vector<std::string> out;
    for (const auto& x : w) out.push_back(x.host->host);
    return out;
}

}  // namespace

TEST_CASE("normalize: Nova's weights.normalize") {
    CHECK(Normalize({}, std::nullopt, std::nullopt).empty());
    CHECK(Normalize({5, 5}, std::nullopt, std::nullopt) == std::vector<double>{0, 0});
    CHECK(Normalize({1, 3, 5}, std::nullopt, std::nullopt) == std::vector<double>{0, 0.5, 1});
    CHECK(Normalize({2, 4}, 0.0, std::nullopt) == std::vector<double>{0.5, 1});
    CHECK(Normalize({2, 4}, 0.0, 8.0) == std::vector<double>{0.25, 0.5});
}

TEST_CASE("weight_classes: names / module paths / all_weighers - unknown is ClassNotFound") {
    auto o = Defaults();
    CHECK(MakeWeighers({"nova.scheduler.weights.all_weighers"}, o).size() ==
          AvailableWeigherNames().size());
    CHECK(MakeWeighers({"RAMWeigher", "nova.scheduler.weights.compute.BuildFailureWeigher"}, o)
              .size() == 2);
    CHECK_THROWS_AS(MakeWeighers({"MetricsWeigher"}, o), ClassNotFound);
}

TEST_CASE("RAM weigher spreads by default and stacks with a negative multiplier") {
    auto o = Defaults();
    auto a = Host("a", 1024, 0, 0), b = Host("b", 4096, 0, 0), c = Host("c", 2048, 0, 0);
    std::vector<HostState*> hosts{&a, &b, &c};
    objects::RequestSpec spec;
    auto w = WeighHosts(MakeWeighers({"RAMWeigher"}, o), hosts, spec);
    CHECK(Order(w) == std::vector<std::string>{"b", "c", "a"});
    // minval is 0: weights are ram / max ram.
    CHECK(w[0].weight == doctest::Approx(1.0));
    CHECK(w[1].weight == doctest::Approx(0.5));
    CHECK(w[2].weight == doctest::Approx(0.25));
    o.ram_weight_multiplier = -1.0;
    w = WeighHosts(MakeWeighers({"RAMWeigher"}, o), hosts, spec);
    CHECK(Order(w) == std::vector<std::string>{"a", "c", "b"});
}

TEST_CASE("aggregate metadata overrides a multiplier (lowest value wins)") {
    auto o = Defaults();
    auto a = Host("a", 1024, 0, 0), b = Host("b", 4096, 0, 0);
    auto agg1 = std::make_shared<objects::Aggregate>();
    (*agg1->mutable_metadata())["ram_weight_multiplier"] = "-2.0";
    auto agg2 = std::make_shared<objects::Aggregate>();
    (*agg2->mutable_metadata())["ram_weight_multiplier"] = "3";
    b.aggregates = {agg1, agg2};
    CHECK(WeightMultiplier(b, "ram_weight_multiplier", 1.0) == -2.0);
    CHECK(WeightMultiplier(a, "ram_weight_multiplier", 1.0) == 1.0);
    auto bad = std::make_shared<objects::Aggregate>();
    (*bad->mutable_metadata())["ram_weight_multiplier"] = "lots";
    a.aggregates = {bad};
    CHECK(WeightMultiplier(a, "ram_weight_multiplier", 1.5) == 1.5);
    a.aggregates.clear();
    std::vector<HostState*> hosts{&a, &b};
    objects::RequestSpec spec;
    auto w = WeighHosts(MakeWeighers({"RAMWeigher"}, o), hosts, spec);
    CHECK(Order(w) == std::vector<std::string>{"a", "b"});  // b: -2 * 1.0, a: 1 * 0.25
}

TEST_CASE("CPU / disk / build failures and their sum") {
    auto o = Defaults();
    auto a = Host("a", 1000, 1000, 0), b = Host("b", 1000, 1000, 6);
    std::vector<HostState*> hosts{&b, &a};
    objects::RequestSpec spec;
    auto w = WeighHosts(MakeWeighers({"CPUWeigher"}, o), hosts, spec);
    CHECK(Order(w) == std::vector<std::string>{"a", "b"});
    CHECK(w[1].weight == doctest::Approx(0.25));  // (8 - 6) / 8
    b.free_disk_mb = 5000;
    w = WeighHosts(MakeWeighers({"DiskWeigher"}, o), hosts, spec);
    CHECK(Order(w) == std::vector<std::string>{"b", "a"});
    // A build failure outweighs everything else.
    b.vcpus_used = 0;
    b.failed_builds = 1;
    w = WeighHosts(MakeWeighers({"nova.scheduler.weights.all_weighers"}, o), hosts, spec);
    CHECK(Order(w) == std::vector<std::string>{"a", "b"});
    CHECK(w[1].weight < -999000);
}

TEST_CASE("soft affinity and soft anti-affinity weighers") {
    auto o = Defaults();
    auto a = Host("a", 1000, 1000, 0), b = Host("b", 1000, 1000, 0);
    a.instances = {"m1", "m2"};
    b.instances = {"m3"};
    std::vector<HostState*> hosts{&b, &a};
    objects::RequestSpec spec;
    auto* g = spec.mutable_instance_group();
    g->set_policy("soft-affinity");
    for (auto m : {"m1", "m2", "m3"}) g->add_members(m);
    auto weighers = MakeWeighers({"ServerGroupSoftAffinityWeigher", "ServerGroupSoftAntiAffinityWeigher"}, o);
    CHECK(Order(WeighHosts(weighers, hosts, spec)) == std::vector<std::string>{"a", "b"});
    g->set_policy("soft-anti-affinity");
    CHECK(Order(WeighHosts(weighers, hosts, spec)) == std::vector<std::string>{"b", "a"});
}

TEST_CASE("equal weights keep their order - one host is not weighed") {
    auto o = Defaults();
    auto a = Host("a", 1000, 1000, 0), b = Host("b", 1000, 1000, 0);
    std::vector<HostState*> hosts{&a, &b};
    objects::RequestSpec spec;
    auto w = WeighHosts(MakeWeighers({"nova.scheduler.weights.all_weighers"}, o), hosts, spec);
    CHECK(Order(w) == std::vector<std::string>{"a", "b"});
    std::vector<HostState*> one{&b};
    CHECK(WeighHosts(MakeWeighers({"RAMWeigher"}, o), one, spec).size() == 1);
}
