// compute-memory-bench: the memory budgets of issue 6, measured.
//
//   compute-memory-bench libvirt [URI]   one LibvirtDriver connected (default test:///default)
//                                        and idle: budget 20 MB RSS
//   compute-memory-bench fake [N] [M]    N fake hosts (default 100), each a FakeDriver and a
//                                        ResourceTracker with M instances (default 10)
//                                        claimed and audited: budget 150 MB RSS
//   --check                              exit 1 when over budget
//
// Prints the resident set size (VmRSS) and the peak (VmHWM) from /proc/self/status, and the
// proportional set size and anonymous memory from /proc/self/smaps_rollup (RSS counts every
// page of the shared libraries this process touched; PSS divides them among their users).
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/common/log.hpp"
#include "nova/common/uuid.hpp"
#include "nova/compute/resource_tracker.hpp"
#include "nova/virt/fake_driver.hpp"
#include "nova/virt/libvirt_driver.hpp"

namespace {

long StatusKib(const std::string& key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key + ":", 0) == 0) return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
    }
    return -1;
}

class CountingReporter final : public nova::compute::ResourceReporter {
public:
    std::optional<nova::objects::ComputeNode> GetComputeNode(const nova::RequestContext&,
                                                             const std::string&,
                                                             const std::string&) override {
        return std::nullopt;
    }
    nova::objects::ComputeNode CreateComputeNode(const nova::RequestContext&,
                                                 const nova::objects::ComputeNode& node) override {
        auto created = node;
        created.set_id(++next_id);
        return created;
    }
    void SaveComputeNode(const nova::RequestContext&, const nova::objects::ComputeNode&) override {
        ++saves;
    }
    void UpdateInventory(const nova::RequestContext&, const std::string&, const std::string&,
                         const nova::compute::Inventory&) override {
        ++inventories;
    }
    long next_id = 0;
    long saves = 0;
    long inventories = 0;
};

long RollupKib(const std::string& key) {
    std::ifstream in("/proc/self/smaps_rollup");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key + ":", 0) == 0) return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
    }
    return -1;
}

int Report(const std::string& what, long budget_mb, bool check) {
    long rss = StatusKib("VmRSS");
    long hwm = StatusKib("VmHWM");
    std::cout << what << ": RSS " << rss / 1024.0 << " MB (peak " << hwm / 1024.0
              << " MB; PSS " << RollupKib("Pss") / 1024.0 << " MB, anonymous "
              << RollupKib("Anonymous") / 1024.0 << " MB), budget " << budget_mb << " MB RSS"
              << std::endl;
    if (check && rss > budget_mb * 1024) {
        std::cout << "OVER BUDGET" << std::endl;
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    bool check = false;
    std::vector<std::string> pos;
    for (const auto& a : args) {
        if (a == "--check") {
            check = true;
        } else {
            pos.push_back(a);
        }
    }
    const std::string mode = pos.empty() ? "fake" : pos[0];
    nova::log::Options log_options;
    log_options.default_log_levels = {"nova=WARN"};
    nova::log::Setup("compute-memory-bench", log_options);
    nova::SystemClock clock;
    nova::RequestContext ctx;

    if (mode == "libvirt") {
        nova::virt::LibvirtDriverOptions options;
        options.libvirt.virt_type = "kvm";
        options.libvirt.connection_uri = pos.size() > 1 ? pos[1] : "test:///default";
        options.libvirt.wait_soft_reboot_seconds = 120;
        options.instances_path = "/tmp/nova-compute-memory-bench";
        nova::virt::LibvirtDriver driver(options, clock);
        driver.RegisterEventListener([](const nova::virt::LifecycleEvent&) {});
        driver.InitHost("bench");
        auto resources = driver.GetAvailableResource(driver.GetAvailableNodes().front());
        std::this_thread::sleep_for(std::chrono::seconds(2));  // idle, event loop running
        return Report("libvirt driver connected to " + options.libvirt.connection_uri +
                          " (" + resources.hypervisor_type + "), idle",
                      20, check);
    }
    if (mode == "fake") {
        const int hosts = pos.size() > 1 ? std::atoi(pos[1].c_str()) : 100;
        const int per_host = pos.size() > 2 ? std::atoi(pos[2].c_str()) : 10;
        nova::conf::FakeOptions fake{};
        fake.hosts = hosts;
        fake.host_prefix = "fake-host-";
        fake.vcpus = 64;
        fake.memory_mb = 262144;
        fake.local_gb = 4000;
        CountingReporter reporter;
        std::vector<std::unique_ptr<nova::virt::FakeDriver>> drivers;
        std::vector<std::unique_ptr<nova::compute::ResourceTracker>> trackers;
        for (const auto& name : nova::virt::FakeHostNames(fake, "bench")) {
            auto driver = std::make_unique<nova::virt::FakeDriver>(
                nova::virt::FakeDriverOptions::From(fake), clock);
            driver->InitHost(name);
            nova::compute::ResourceTrackerOptions rto;
            rto.host = name;
            rto.my_ip = "192.0.2.1";
            auto rt = std::make_unique<nova::compute::ResourceTracker>(rto, *driver, reporter);
            std::vector<nova::objects::Instance> instances;
            rt->UpdateAvailableResource(ctx, name, {}, {});
            for (int i = 0; i < per_host; ++i) {
                nova::objects::Instance inst;
                inst.set_uuid(nova::GenerateUuid());
                inst.set_id(i + 1);
                inst.set_image_ref("155d900f-4e14-4e4c-a73d-069cbf4541e6");
                inst.set_vm_state("building");
                inst.set_project_id("bench");
                auto* f = inst.mutable_flavor();
                f->set_vcpus(2);
                f->set_memory_mb(2048);
                f->set_root_gb(20);
                rt->InstanceClaim(ctx, inst, name);
                driver->Spawn(ctx, inst, nova::objects::ImageMeta(), {});
                inst.set_vm_state("active");
                instances.push_back(std::move(inst));
            }
            rt->UpdateAvailableResource(ctx, name, instances, {});
            drivers.push_back(std::move(driver));
            trackers.push_back(std::move(rt));
        }
        return Report(std::to_string(hosts) + " fake hosts with " + std::to_string(per_host) +
                          " instances each (" + std::to_string(reporter.saves) +
                          " node saves reported)",
                      150, check);
    }
    std::cerr << "usage: compute-memory-bench libvirt [URI] | fake [N] [M] [--check]\n";
    return 2;
}
