#pragma once
// A throwaway cloud for the scheduler's integration tests: an API database and one cell
// database on the test MariaDB, compute hosts with services, compute nodes and placement
// inventory, and request specs.
#include <memory>
#include <string>
#include <vector>

#include "nova/common/uuid.hpp"
#include "nova/db/aggregate_store.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/service_store.hpp"
#include "nova/scheduler/host_manager.hpp"
#include "nova/scheduler/placement.hpp"
#include "nova/scheduler/scheduler.hpp"
#include "scratch_database.hpp"

namespace nova::scheduler::testing {

using db::testing::ScratchDatabase;

struct HostSpec {
    std::int64_t vcpus = 4;
    std::int64_t memory_mb = 4096;
    std::int64_t disk_gb = 40;
    double cpu_ratio = 1.0;
    double ram_ratio = 1.0;
    double disk_ratio = 1.0;
    std::int64_t reserved_memory_mb = 0;
    std::int64_t reserved_vcpus = 0;
    std::int64_t reserved_disk_mb = 0;
};

class Cloud {
public:
    Cloud() : api_(ScratchDatabase::Schema::kApi), cell_(ScratchDatabase::Schema::kMain) {}

    db::Pool& api() { return api_.pool(); }
    db::Pool& cell() { return cell_.pool(); }
    const std::string& api_url() const { return api_.url(); }
    const std::string& cell_url() const { return cell_.url(); }
    const Clock& clock() const { return clock_; }
    const std::string& cell_uuid() const { return cell_uuid_; }

    // A compute host with one node named after it; returns the node (= provider) uuid.
    std::string AddHost(const std::string& name, const HostSpec& spec = {}) {
        objects::Service svc;
        svc.set_uuid(GenerateUuid());
        svc.set_host(name);
        svc.set_binary("nova-compute");
        svc.set_topic("compute");
        svc.set_report_count(1);
        svc.set_disabled(false);
        svc.set_forced_down(false);
        svc.set_version(61);
        auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch());
        svc.mutable_last_seen_up()->set_seconds(now.count());
        db::ServiceStore(cell(), clock_).Create(svc);

        objects::ComputeNode node;
        node.set_uuid(GenerateUuid());
        node.set_service_id(svc.id());
        node.set_host(name);
        node.set_hypervisor_hostname(name);
        node.set_hypervisor_type("QEMU");
        node.set_hypervisor_version(6002000);
        node.set_vcpus(spec.vcpus);
        node.set_memory_mb(spec.memory_mb);
        node.set_local_gb(spec.disk_gb);
        node.set_vcpus_used(0);
        node.set_memory_mb_used(0);
        node.set_local_gb_used(0);
        node.set_free_ram_mb(spec.memory_mb);
        node.set_free_disk_gb(spec.disk_gb);
        node.set_current_workload(0);
        node.set_running_vms(0);
        node.set_cpu_info("{}");
        node.set_host_ip("192.0.2.1");
        node.set_cpu_allocation_ratio(spec.cpu_ratio);
        node.set_ram_allocation_ratio(spec.ram_ratio);
        node.set_disk_allocation_ratio(spec.disk_ratio);
        node.set_mapped(1);
        auto* hv = node.add_supported_hv_specs();
        hv->set_arch("x86_64");
        hv->set_hv_type("qemu");
        hv->set_vm_mode("hvm");
        db::ComputeNodeStore(cell(), clock_).Create(node);

        Placement(api(), clock_).SetInventory(
            node.uuid(), name, std::nullopt,
            InventoryFromComputeNode(node, spec.reserved_vcpus, spec.reserved_memory_mb,
                                     spec.reserved_disk_mb));
        return node.uuid();
    }

    // Maps the cell in the API database (cell0 too), as nova-manage cell_v2 does: what a
    // nova-scheduler process reads at startup to find its cell databases.
    void MapCell() {
        db::CellMappingStore mappings(api(), clock_);
        objects::CellMapping cell0;
        cell0.set_uuid(db::kCell0Uuid);
        cell0.set_name("cell0");
        cell0.set_transport_url("none:///");
        cell0.set_database_connection(cell_url());  // never read: cell0 has no hosts
        cell0.set_disabled(false);
        mappings.Create(cell0);
        objects::CellMapping cell1;
        cell1.set_uuid(cell_uuid_);
        cell1.set_name("cell1");
        cell1.set_transport_url("none:///");
        cell1.set_database_connection(cell_url());
        cell1.set_disabled(false);
        mappings.Create(cell1);
    }

    void AddToAggregate(const std::string& name, const std::vector<std::string>& hosts,
                        std::map<std::string, std::string> metadata) {
        db::AggregateStore store(api(), clock_);
        objects::Aggregate agg;
        agg.set_uuid(GenerateUuid());
        agg.set_name(name);
        for (auto& [k, v] : metadata) (*agg.mutable_metadata())[k] = v;
        store.Create(agg);
        for (const auto& h : hosts) store.AddHost(agg.id(), h);
    }

    static objects::RequestSpec Spec(std::int64_t vcpus, std::int64_t memory_mb, std::int64_t disk_gb) {
        objects::RequestSpec spec;
        auto* f = spec.mutable_flavor();
        f->set_name("test");
        f->set_vcpus(vcpus);
        f->set_memory_mb(memory_mb);
        f->set_root_gb(disk_gb);
        f->set_ephemeral_gb(0);
        f->set_swap(0);
        spec.set_project_id("project");
        spec.set_user_id("user");
        spec.set_num_instances(1);
        return spec;
    }

    std::unique_ptr<HostManager> MakeHostManager(db::Pool& api, db::Pool& cell, int ttl_seconds = 0) {
        return std::make_unique<HostManager>(
            api, std::vector<CellDatabase>{{cell_uuid_, &cell}}, clock_, std::chrono::seconds(ttl_seconds));
    }

private:
    ScratchDatabase api_;
    ScratchDatabase cell_;
    SystemClock clock_;
    std::string cell_uuid_ = GenerateUuid();
};

}  // namespace nova::scheduler::testing
