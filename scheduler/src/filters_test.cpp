// Each filter against hand-built host states (hermetic: no DB, no clock but a ManualClock).
#include <doctest/doctest.h>

#include "nova/common/error.hpp"
#include "nova/scheduler/filters.hpp"

using namespace nova;
using namespace nova::scheduler;

namespace {

HostState Host(const std::string& name) {
    HostState h;
    h.host = name;
    h.nodename = name;
    h.uuid = "uuid-" + name;
    h.free_ram_mb = 4096;
    h.free_disk_mb = 40960;
    h.vcpus_total = 4;
    h.cpu_allocation_ratio = 16;
    return h;
}

std::shared_ptr<const objects::Aggregate> Agg(std::map<std::string, std::string> md) {
    auto a = std::make_shared<objects::Aggregate>();
    for (auto& [k, v] : md) (*a->mutable_metadata())[k] = v;
    return a;
}

void SetHint(objects::RequestSpec& spec, const std::string& key, std::vector<std::string> values) {
    auto* fields = spec.mutable_scheduler_hints()->mutable_struct_value()->mutable_fields();
    auto* list = (*fields)[key].mutable_list_value();
    for (auto& v : values) list->add_values()->set_string_value(v);
}

struct Fixture {
    ManualClock clock;
    FilterDeps deps;
    Fixture() {
        deps.filter_scheduler.max_io_ops_per_host = 8;
        deps.filter_scheduler.max_instances_per_host = 50;
        deps.clock = &clock;
    }
    std::unique_ptr<HostFilter> Make(const std::string& name) {
        auto v = MakeFilters({name}, deps);
        REQUIRE(v.size() == 1);
        CHECK(v.front()->Name() == name);
        return std::move(v.front());
    }
};

}  // namespace

TEST_CASE("enabled_filters: unknown names are all reported") {
    Fixture f;
    CHECK(MakeFilters({"ComputeFilter", "AvailabilityZoneFilter"}, f.deps).size() == 2);
    try {
        MakeFilters({"ComputeFilter", "NoSuchFilter", "RetryFilter"}, f.deps);
        FAIL("expected SchedulerHostFilterNotFound");
    } catch (const SchedulerHostFilterNotFound& e) {
        CHECK(std::string(e.what()) ==
              "Scheduler Host Filter NoSuchFilter, RetryFilter could not be found.");
    }
    // Every name we advertise can be built.
    CHECK(MakeFilters(AvailableFilterNames(), f.deps).size() == AvailableFilterNames().size());
}

TEST_CASE("ComputeFilter: disabled / forced down and silent services are filtered") {
    Fixture f;
    auto filter = f.Make("ComputeFilter");
    objects::RequestSpec spec;
    auto h = Host("a");
    h.liveness.last_seen_up = f.clock.Now() - std::chrono::seconds(10);
    CHECK(filter->HostPasses(h, spec));
    h.service_disabled = true;
    CHECK_FALSE(filter->HostPasses(h, spec));
    h.service_disabled = false;
    h.liveness.forced_down = true;
    CHECK_FALSE(filter->HostPasses(h, spec));
    h.liveness.forced_down = false;
    f.clock.Advance(std::chrono::seconds(51));  // 61 s since the heartbeat > 60
    CHECK_FALSE(filter->HostPasses(h, spec));
    h.liveness.last_seen_up.reset();
    h.liveness.created_at = f.clock.Now();
    CHECK(filter->HostPasses(h, spec));
}

TEST_CASE("AvailabilityZoneFilter: aggregates' zone / else the default zone") {
    Fixture f;
    auto filter = f.Make("AvailabilityZoneFilter");
    objects::RequestSpec spec;
    auto plain = Host("plain");
    auto zoned = Host("zoned");
    zoned.aggregates.push_back(Agg({{"availability_zone", "az1"}}));
    CHECK(filter->HostPasses(plain, spec));  // no zone requested
    CHECK(filter->HostPasses(zoned, spec));
    spec.set_availability_zone("az1");
    CHECK_FALSE(filter->HostPasses(plain, spec));
    CHECK(filter->HostPasses(zoned, spec));
    spec.set_availability_zone("nova");
    CHECK(filter->HostPasses(plain, spec));
    CHECK_FALSE(filter->HostPasses(zoned, spec));
}

TEST_CASE("extra_specs_ops: Nova's operators") {
    CHECK(ExtraSpecMatch("1", "1"));
    CHECK_FALSE(ExtraSpecMatch("12", "1"));
    CHECK(ExtraSpecMatch("123", "= 123"));
    CHECK(ExtraSpecMatch("124", "= 123"));  // '=' means at least
    CHECK_FALSE(ExtraSpecMatch("122", "= 123"));
    CHECK(ExtraSpecMatch("123", "== 123"));
    CHECK_FALSE(ExtraSpecMatch("124", "== 123"));
    CHECK(ExtraSpecMatch("124", "!= 123"));
    CHECK(ExtraSpecMatch("4", ">= 4"));
    CHECK(ExtraSpecMatch("3", "<= 4"));
    CHECK_FALSE(ExtraSpecMatch("abc", ">= 4"));  // not a number: no match
    CHECK(ExtraSpecMatch("12311321", "<in> 11"));
    CHECK_FALSE(ExtraSpecMatch("12310321", "<in> 11"));
    CHECK(ExtraSpecMatch("sse avx fma", "<all-in> sse avx"));
    CHECK_FALSE(ExtraSpecMatch("sse fma", "<all-in> sse avx"));
    CHECK(ExtraSpecMatch("12", "<or> 11 <or> 12"));
    CHECK_FALSE(ExtraSpecMatch("13", "<or> 11 <or> 12"));
    CHECK(ExtraSpecMatch("abc", "s== abc"));
    CHECK(ExtraSpecMatch("abd", "s> abc"));
    CHECK_FALSE(ExtraSpecMatch(std::nullopt, "= 1"));
    CHECK_FALSE(ExtraSpecMatch("1", ""));  // empty requirement equals only empty text
}

TEST_CASE("ComputeCapabilitiesFilter: attributes / stats and capabilities: scope") {
    Fixture f;
    auto filter = f.Make("ComputeCapabilitiesFilter");
    objects::RequestSpec spec;
    auto h = Host("a");
    h.hypervisor_type = "QEMU";
    h.stats["pci_passthrough"] = "yes";
    h.cpu_info = R"({"arch": "x86_64", "features": ["sse", "avx"], "topology": {"cores": 4}})";
    auto& es = *spec.mutable_flavor()->mutable_extra_specs();
    es["hw:cpu_policy"] = "dedicated";   // another namespace: ignored
    es["unknown_key"] = "x";             // not an attribute: ignored
    CHECK(filter->HostPasses(h, spec));
    es["hypervisor_type"] = "s== QEMU";
    es["pci_passthrough"] = "yes";
    es["capabilities:cpu_info:arch"] = "x86_64";
    es["capabilities:cpu_info:topology:cores"] = ">= 2";
    es["capabilities:cpu_info:features"] = "<in> avx";
    es["capabilities:free_ram_mb"] = ">= 2048";
    CHECK(filter->HostPasses(h, spec));
    es["capabilities:cpu_info:features"] = "<in> avx512";
    CHECK_FALSE(filter->HostPasses(h, spec));
    es.erase("capabilities:cpu_info:features");
    es["capabilities:cpu_info:missing"] = "1";
    CHECK_FALSE(filter->HostPasses(h, spec));
    es.erase("capabilities:cpu_info:missing");
    es["capabilities:free_ram_mb"] = ">= 8192";
    CHECK_FALSE(filter->HostPasses(h, spec));
}

TEST_CASE("ImagePropertiesFilter: architecture / hypervisor type / vm mode / version") {
    Fixture f;
    auto filter = f.Make("ImagePropertiesFilter");
    objects::RequestSpec spec;
    auto h = Host("a");
    h.hypervisor_version = 6002000;  // 6.2.0
    h.supported_instances = {{"x86_64", "qemu", "hvm"}, {"i686", "qemu", "hvm"}};
    CHECK(filter->HostPasses(h, spec));  // no image properties
    auto* props = spec.mutable_image()->mutable_properties();
    props->set_hw_architecture("x86_64");
    CHECK(filter->HostPasses(h, spec));
    props->set_hw_architecture("i386");  // an alias of i686
    CHECK(filter->HostPasses(h, spec));
    props->set_hw_architecture("aarch64");
    CHECK_FALSE(filter->HostPasses(h, spec));
    props->set_hw_architecture("x86_64");
    props->set_img_hv_type("qemu");
    props->set_hw_vm_mode("hvm");
    CHECK(filter->HostPasses(h, spec));
    props->set_img_hv_type("xen");
    CHECK_FALSE(filter->HostPasses(h, spec));
    props->set_img_hv_type("qemu");
    props->set_img_hv_requested_version(">=6.0, <7");
    CHECK(filter->HostPasses(h, spec));
    props->set_img_hv_requested_version(">=6.3");
    CHECK_FALSE(filter->HostPasses(h, spec));
    props->clear_img_hv_requested_version();
    h.supported_instances.clear();
    CHECK_FALSE(filter->HostPasses(h, spec));

    f.deps.filter_scheduler.image_properties_default_architecture = "aarch64";
    auto with_default = f.Make("ImagePropertiesFilter");
    objects::RequestSpec bare;
    h.supported_instances = {{"x86_64", "qemu", "hvm"}};
    CHECK_FALSE(with_default->HostPasses(h, bare));
}

TEST_CASE("Server group filters") {
    Fixture f;
    auto anti = f.Make("ServerGroupAntiAffinityFilter");
    auto aff = f.Make("ServerGroupAffinityFilter");
    auto h1 = Host("h1");
    auto h2 = Host("h2");
    h1.instances = {"m1", "other"};
    objects::RequestSpec spec;
    spec.set_instance_uuid("new");
    CHECK(anti->HostPasses(h1, spec));  // no group
    auto* group = spec.mutable_instance_group();
    group->set_uuid("g");
    group->set_policy("anti-affinity");
    group->add_members("m1");
    group->add_members("new");
    CHECK_FALSE(anti->HostPasses(h1, spec));
    CHECK(anti->HostPasses(h2, spec));
    CHECK(aff->HostPasses(h1, spec));  // not an affinity group
    (*group->mutable__rules())["max_server_per_host"] = "2";
    CHECK(anti->HostPasses(h1, spec));
    h1.instances.insert("new");  // the instance itself is here already
    (*group->mutable__rules())["max_server_per_host"] = "1";
    CHECK(anti->HostPasses(h1, spec));

    group->set_policy("affinity");
    group->add_policies("affinity");
    CHECK(aff->HostPasses(h2, spec));  // no hosts yet: anywhere
    group->add_hosts("h1");
    CHECK(aff->HostPasses(h1, spec));
    CHECK_FALSE(aff->HostPasses(h2, spec));
    CHECK(anti->HostPasses(h1, spec));  // policy is not anti-affinity any more
}

TEST_CASE("SameHostFilter and DifferentHostFilter read the scheduler hints") {
    Fixture f;
    auto same = f.Make("SameHostFilter");
    auto diff = f.Make("DifferentHostFilter");
    auto h1 = Host("h1");
    auto h2 = Host("h2");
    h1.instances = {"i1"};
    objects::RequestSpec spec;
    CHECK(same->HostPasses(h2, spec));
    CHECK(diff->HostPasses(h1, spec));
    SetHint(spec, "same_host", {"i1", "i9"});
    SetHint(spec, "different_host", {"i1"});
    CHECK(same->HostPasses(h1, spec));
    CHECK_FALSE(same->HostPasses(h2, spec));
    CHECK_FALSE(diff->HostPasses(h1, spec));
    CHECK(diff->HostPasses(h2, spec));
}

TEST_CASE("AggregateInstanceExtraSpecsFilter") {
    Fixture f;
    auto filter = f.Make("AggregateInstanceExtraSpecsFilter");
    auto ssd = Host("ssd");
    ssd.aggregates.push_back(Agg({{"ssd", "true"}, {"gpu", "a, b"}}));
    auto plain = Host("plain");
    objects::RequestSpec spec;
    CHECK(filter->HostPasses(plain, spec));
    auto& es = *spec.mutable_flavor()->mutable_extra_specs();
    es["aggregate_instance_extra_specs:ssd"] = "true";
    es["hw:mem_page_size"] = "large";  // other namespace: ignored
    CHECK(filter->HostPasses(ssd, spec));
    CHECK_FALSE(filter->HostPasses(plain, spec));
    es["gpu"] = "<or> b <or> c";  // no namespace counts too; values split on commas
    CHECK(filter->HostPasses(ssd, spec));
    es["gpu"] = "c";
    CHECK_FALSE(filter->HostPasses(ssd, spec));
}

TEST_CASE("IoOpsFilter and NumInstancesFilter") {
    Fixture f;
    f.deps.filter_scheduler.max_io_ops_per_host = 2;
    f.deps.filter_scheduler.max_instances_per_host = 3;
    auto io = f.Make("IoOpsFilter");
    auto num = f.Make("NumInstancesFilter");
    objects::RequestSpec spec;
    auto h = Host("a");
    h.num_io_ops = 1;
    h.num_instances = 2;
    CHECK(io->HostPasses(h, spec));
    CHECK(num->HostPasses(h, spec));
    h.num_io_ops = 2;
    h.num_instances = 3;
    CHECK_FALSE(io->HostPasses(h, spec));
    CHECK_FALSE(num->HostPasses(h, spec));
}

TEST_CASE("RunFilters: per-filter counts / Nova's message / once-per-request and rebuild") {
    Fixture f;
    auto filters = MakeFilters({"AvailabilityZoneFilter", "NumInstancesFilter"}, f.deps);
    auto a = Host("a"), b = Host("b"), c = Host("c");
    a.aggregates.push_back(Agg({{"availability_zone", "az1"}}));
    b.aggregates.push_back(Agg({{"availability_zone", "az1"}}));
    b.num_instances = 50;
    std::vector<HostState*> hosts{&a, &b, &c};
    objects::RequestSpec spec;
    spec.set_instance_uuid("1f0c7e4e-0000-4000-8000-000000000001");
    spec.set_availability_zone("az1");
    auto out = RunFilters(filters, hosts, spec, 0);
    REQUIRE(out.hosts.size() == 1);
    CHECK(out.hosts.front() == &a);
    CHECK(out.part_results == std::vector<std::string>{"AvailabilityZoneFilter: (start: 3, end: 2)",
                                                        "NumInstancesFilter: (start: 2, end: 1)"});
    CHECK(out.removed_all_message.empty());

    a.num_instances = 50;
    out = RunFilters(filters, hosts, spec, 0);
    CHECK(out.hosts.empty());
    CHECK(out.emptied_by == "NumInstancesFilter");
    CHECK(out.removed_all_message ==
          "Filtering removed all hosts for the request with instance ID "
          "'1f0c7e4e-0000-4000-8000-000000000001'. Filter results: "
          "['AvailabilityZoneFilter: (start: 3, end: 2)', 'NumInstancesFilter: (start: 2, end: 0)']");

    // The zone filter runs once per request: the second instance skips it.
    a.num_instances = 0;
    out = RunFilters(filters, hosts, spec, 1);
    CHECK(out.hosts.size() == 2);
    CHECK(out.part_results == std::vector<std::string>{"NumInstancesFilter: (start: 3, end: 2)"});

    // A rebuild only runs filters marked RUN_ON_REBUILD (none of these).
    SetHint(spec, "_nova_check_type", {"rebuild"});
    CHECK(RequestIsRebuild(spec));
    out = RunFilters(filters, hosts, spec, 0);
    CHECK(out.hosts.size() == 3);
}
