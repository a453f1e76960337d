#pragma once
// The resource tracker (nova/compute/resource_tracker.py): what one nova-compute has handed
// out of its nodes' capacity, the ComputeNode record it reports, and the placement inventory.
//
// Rules (Nova's, see docs/compute.md):
// - Usage of an instance: its flavor's vcpus, memory_mb and root_gb + ephemeral_gb +
//   swap/1024 of disk (root_gb 0 when volume-backed, i.e. no image_ref).
// - The ComputeNode's *_used start at the reserved amounts ([DEFAULT] reserved_host_*), then
//   add every tracked instance and every tracked migration; free_ram_mb and free_disk_gb are
//   total - used (they may go negative with overcommit).
// - A claim fits when, per resource class, requested <= max_unit (the node's total) and
//   usage + requested <= (total - reserved) * allocation_ratio: placement's capacity rule,
//   applied locally, so the claim agrees with what placement let the scheduler pick. A claim
//   that does not fit throws ComputeResourcesUnavailable listing every shortfall.
// - Allocation ratios: [DEFAULT] *_allocation_ratio when set; otherwise the node's current
//   ratio, which a new node takes from initial_*_allocation_ratio.
// - A move claim (resize, cold migration) holds the new flavor on the destination (and, for
//   a resize to the same node, next to the old one) until confirm or revert drops one side.
//
// Every method takes the tracker's lock (Nova's COMPUTE_RESOURCE_SEMAPHORE). Reporting goes
// through a ResourceReporter while the lock is held, and only when the ComputeNode or the
// inventory differs from what was last reported.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "nova/common/context.hpp"
#include "nova/compute/stats.hpp"
#include "nova/conf/compute.hpp"
#include "nova/conf/default.hpp"
#include "nova/objects/compute_node.pb.h"
#include "nova/objects/flavor.pb.h"
#include "nova/objects/instance.pb.h"
#include "nova/objects/migration.pb.h"
#include "nova/virt/driver.hpp"

namespace nova::compute {

// One placement inventory record (the fields of PUT /resource_providers/{uuid}/inventories).
struct InventoryRecord {
    std::int64_t total = 0;
    std::int64_t reserved = 0;
    std::int64_t min_unit = 1;
    std::int64_t max_unit = 0;
    std::int64_t step_size = 1;
    double allocation_ratio = 1.0;
    bool operator==(const InventoryRecord&) const = default;
};
// Keyed by resource class: "VCPU", "MEMORY_MB", "DISK_GB".
using Inventory = std::map<std::string, InventoryRecord>;

// Where the tracker's results go. The compute manager implements it with conductor RPC
// (ComputeNode.create/save, the report client's set_inventory_for_provider); tests record.
class ResourceReporter {
public:
    ResourceReporter() = default;
    ResourceReporter(const ResourceReporter&) = delete;
    ResourceReporter& operator=(const ResourceReporter&) = delete;
    virtual ~ResourceReporter() = default;

    // ComputeNode.get_by_host_and_nodename; nullopt when there is no record yet.
    virtual std::optional<objects::ComputeNode> GetComputeNode(const RequestContext& context,
                                                               const std::string& host,
                                                               const std::string& nodename) = 0;
    // ComputeNode.create: returns the record as stored (with its id).
    virtual objects::ComputeNode CreateComputeNode(const RequestContext& context,
                                                   const objects::ComputeNode& node) = 0;
    // ComputeNode.save.
    virtual void SaveComputeNode(const RequestContext& context,
                                 const objects::ComputeNode& node) = 0;
    // The node's resource provider (uuid = ComputeNode.uuid, name = nodename) gets this
    // inventory; the provider is created when missing.
    virtual void UpdateInventory(const RequestContext& context, const std::string& provider_uuid,
                                 const std::string& provider_name,
                                 const Inventory& inventory) = 0;
};

struct ResourceTrackerOptions {
    std::string host;
    std::string my_ip;
    std::int64_t reserved_host_disk_mb = 0;
    std::int64_t reserved_host_memory_mb = 512;
    std::int64_t reserved_host_cpus = 0;
    std::optional<double> cpu_allocation_ratio;
    std::optional<double> ram_allocation_ratio;
    std::optional<double> disk_allocation_ratio;
    double initial_cpu_allocation_ratio = 16.0;
    double initial_ram_allocation_ratio = 1.5;
    double initial_disk_allocation_ratio = 1.0;

    static ResourceTrackerOptions From(const conf::DefaultOptions& defaults,
                                       const conf::ComputeDefaultOptions& compute,
                                       std::string host);
};

// What an instance (or a flavor held for a move) uses.
struct Usage {
    std::int64_t vcpus = 0;
    std::int64_t memory_mb = 0;
    std::int64_t disk_gb = 0;  // root (0 when volume-backed) + ephemeral
    std::int64_t swap_mb = 0;
    bool operator==(const Usage&) const = default;
};
Usage UsageOf(const objects::Flavor& flavor, bool volume_backed);
// Nova's is_volume_backed_instance, as far as the instance alone can tell: no image.
bool IsVolumeBacked(const objects::Instance& instance);

// Oversubscription limits from the scheduler (filter_properties['limits']), when it sent
// any; a missing limit is computed from the node's totals and ratios.
struct Limits {
    std::optional<double> memory_mb;
    std::optional<double> disk_gb;
    std::optional<double> vcpu;
};

// An in-progress migration with the instance it moves (which may live on another host).
struct MigrationRecord {
    objects::Migration migration;
    objects::Instance instance;
};

// The result of a claim. A no-op claim (the node is not tracked yet, Nova's NopClaim) holds
// nothing.
struct Claim {
    std::string instance_uuid;
    std::string nodename;
    Usage usage;
    bool noop = false;
    std::optional<objects::Migration> migration;  // move claims
};

class ResourceTracker {
public:
    ResourceTracker(ResourceTrackerOptions options, virt::ComputeDriver& driver,
                    ResourceReporter& reporter);
    ResourceTracker(const ResourceTracker&) = delete;
    ResourceTracker& operator=(const ResourceTracker&) = delete;

    // Nova's update_available_resource (the periodic audit): reads the driver's view of
    // `nodename`, creates or loads the ComputeNode, recomputes usage from `instances` (the
    // instances the DB puts on this host and node) and `migrations` (Nova's
    // MigrationList.get_in_progress_and_error for this host and node, each with its
    // instance), and reports what changed.
    void UpdateAvailableResource(const RequestContext& context, const std::string& nodename,
                                 const std::vector<objects::Instance>& instances,
                                 const std::vector<MigrationRecord>& migrations,
                                 bool startup = false);

    // Reserves the instance's flavor on `nodename` before a build; sets instance.host and
    // instance.node (the caller saves the instance). Throws ComputeResourcesUnavailable.
    Claim InstanceClaim(const RequestContext& context, objects::Instance& instance,
                        const std::string& nodename, const Limits& limits = {});
    // Gives a failed build's claim back; clears instance.host and instance.node.
    void AbortInstanceClaim(const RequestContext& context, objects::Instance& instance,
                            const std::string& nodename);
    // Nova's update_usage: an instance's state changed (its stats); a deleted instance
    // (vm_state deleted) stops being tracked and its usage is released.
    void UpdateUsage(const RequestContext& context, const objects::Instance& instance,
                     const std::string& nodename);

    // Reserves `new_flavor` on this (destination) node for a resize or cold migration
    // (Nova's resize_claim). `migration` is the record the conductor created; its
    // dest_compute/dest_node are set here. Throws ComputeResourcesUnavailable.
    Claim ResizeClaim(const RequestContext& context, const objects::Instance& instance,
                      const objects::Flavor& new_flavor, const std::string& nodename,
                      objects::Migration& migration, const Limits& limits = {});
    // Confirm: the source stops holding the old flavor (Nova's drop_move_claim_at_source).
    // Sets migration.status = "confirmed".
    void DropMoveClaimAtSource(const RequestContext& context, const objects::Instance& instance,
                               objects::Migration& migration);
    // Revert: the destination stops holding the new flavor (drop_move_claim_at_dest). Sets
    // migration.status = "reverted".
    void DropMoveClaimAtDest(const RequestContext& context, const objects::Instance& instance,
                             objects::Migration& migration);
    // A failed move on this node: drop whatever it holds for the instance's migration.
    void DropMoveClaim(const RequestContext& context, const objects::Instance& instance,
                       const std::string& nodename);
    // The build-failure counter (stats failed_builds) the BuildFailureWeigher reads.
    void BuildFailed(const std::string& nodename);
    void BuildSucceeded(const std::string& nodename);

    // --- what would be reported --------------------------------------------------------
    // Nova's disabled(): the node has no ComputeNode yet or the driver does not manage it.
    bool Disabled(const std::string& nodename);
    std::optional<objects::ComputeNode> GetComputeNode(const std::string& nodename) const;
    std::optional<Inventory> GetInventory(const std::string& nodename) const;
    std::vector<std::string> TrackedInstances(const std::string& nodename) const;

private:
    struct TrackedMigration {
        objects::Migration migration;
        Usage usage;
    };
    struct Node {
        objects::ComputeNode compute_node;
        virt::AvailableResource resources;
        Stats stats;
        std::map<std::string, Usage> instances;  // uuid -> usage
        std::map<std::string, TrackedMigration> migrations;  // instance uuid -> migration
        std::optional<objects::ComputeNode> reported_node;
        std::optional<Inventory> reported_inventory;
    };

    bool InitComputeNode(const RequestContext& context, const virt::AvailableResource& resources);
    void CopyResources(Node& node, const virt::AvailableResource& resources, bool initial);
    void TestClaim(const Node& node, const Usage& requested, const Limits& limits,
                   const std::string& instance_uuid) const;
    void TrackInstance(Node& node, const objects::Instance& instance);
    void UntrackInstance(Node& node, const objects::Instance& instance);
    void TrackMigration(Node& node, const objects::Instance& instance,
                        const objects::Migration& migration, const std::string& nodename);
    // Nova's _drop_move_claim: the node stops holding `flavor_usage` for the instance.
    void DropMove(Node& node, const objects::Instance& instance, const Usage& flavor_usage);
    // Recomputes *_used, free_*, running_vms, current_workload and stats from the tracked
    // instances and migrations.
    void RecomputeUsage(Node& node);
    Inventory ComputeInventory(const Node& node) const;
    // Nova's _update: report the ComputeNode and the inventory, each only when changed.
    void Report(const RequestContext& context, Node& node);

    const ResourceTrackerOptions options_;
    virt::ComputeDriver& driver_;
    ResourceReporter& reporter_;
    mutable std::mutex mutex_;
    std::map<std::string, Node> nodes_;
};

}  // namespace nova::compute
