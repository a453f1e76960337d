#pragma once
// What the scheduler knows about one compute node while it chooses (Nova's HostState): the
// node's resources as its compute last reported them, its service's liveness, the
// aggregates its host is in and the instances it runs. Filters and weighers read it;
// ConsumeFromRequest updates it in place between the instances of one multi-create request.
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "nova/common/service_state.hpp"
#include "nova/objects/aggregate.pb.h"
#include "nova/objects/compute_node.pb.h"
#include "nova/objects/request_spec.pb.h"
#include "nova/objects/service.pb.h"

namespace nova::scheduler {

// One entry of a compute node's supported_hv_specs (arch, hypervisor type, vm mode).
struct SupportedInstance {
    std::string arch;
    std::string hv_type;
    std::string vm_mode;
};

struct HostState {
    std::string host;
    std::string nodename;
    std::string uuid;  // the compute node's uuid, which is also its resource provider's
    std::string cell_uuid;

    std::int64_t total_usable_ram_mb = 0;
    std::int64_t free_ram_mb = 0;
    std::int64_t total_usable_disk_gb = 0;
    std::int64_t free_disk_mb = 0;
    std::int64_t disk_mb_used = 0;
    std::int64_t vcpus_total = 0;
    std::int64_t vcpus_used = 0;
    double cpu_allocation_ratio = 0;
    double ram_allocation_ratio = 0;
    double disk_allocation_ratio = 0;
    std::int64_t num_instances = 0;
    std::int64_t num_io_ops = 0;
    std::int64_t failed_builds = 0;

    std::string hypervisor_type;
    std::int64_t hypervisor_version = 0;
    std::string hypervisor_hostname;
    std::string cpu_info;
    std::string host_ip;
    std::vector<SupportedInstance> supported_instances;
    std::map<std::string, std::string> stats;

    // The nova-compute service of the host.
    bool service_disabled = false;
    std::string service_disabled_reason;
    ServiceLiveness liveness;

    // When the node's record was last written (its updated_at, else created_at; whole seconds).
    std::optional<WallTime> reported_at;

    std::vector<std::shared_ptr<const objects::Aggregate>> aggregates;
    std::set<std::string> instances;  // uuids of the instances on this node

    // Fills the resource view from a compute node record (Nova's
    // _update_from_compute_node): free disk is the lesser of free_disk_gb and
    // disk_available_least, failed_builds and num_io_ops come from stats.
    void UpdateFromComputeNode(const objects::ComputeNode& node);
    void UpdateFromService(const objects::Service& service);

    // The request's flavor is now placed here (Nova's consume_from_request).
    void ConsumeFromRequest(const objects::RequestSpec& spec);

    // "(host, node) ram: ...MB disk: ...MB io_ops: n instances: n", as Nova prints a HostState.
    std::string ToString() const;
};

// Values of `key` in the metadata of the host's aggregates, comma-separated values split and
// trimmed (Nova's aggregate_metadata_get_by_host); all keys when `key` is nullopt (only of
// aggregates having `key`, when given).
std::map<std::string, std::set<std::string>> AggregateMetadata(
    const HostState& host, const std::optional<std::string>& key = std::nullopt);

}  // namespace nova::scheduler
