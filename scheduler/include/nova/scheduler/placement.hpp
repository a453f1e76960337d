#pragma once
// Placement inside the scheduler: resource providers (one per compute node, uuid = the
// compute node's uuid) with inventories of VCPU, MEMORY_MB and DISK_GB, and the allocations
// of consumers (instances, migrations) against them, in the API database's placement tables.
//
// Candidates come from provider summaries (inventory and usage per provider) cached in the
// process and kept consistent by provider generations: every write to a provider's inventory
// or allocations bumps its generation, so each request reads the providers' generations (two
// integers per row) and re-reads only the providers whose generation moved, in one snapshot.
// Several scheduler processes, the computes' inventory reports and the conductor's deletes
// all write these tables; the generations tell every process what changed, and the claim
// re-checks inside its own transaction regardless.
//
// A claim is optimistic, as Placement's own allocation writes are: in one transaction it
// reads the provider's generation, its inventory and its usage (without the consumer's own
// allocations, which the claim replaces), checks the capacity rule, writes the consumer and
// its allocations, and bumps the provider's generation with "WHERE generation = <read>". A
// concurrent claim that committed in between makes that UPDATE match no row: the transaction
// is rolled back and the claim re-evaluated on fresh data (it may still fit), up to
// kClaimAttempts times. Two claims can therefore never both commit against the same
// generation, so capacity is never exceeded, whatever the number of schedulers.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/common/json.hpp"
#include "nova/db/pool.hpp"
#include "nova/objects/compute_node.pb.h"
#include "nova/objects/flavor.pb.h"
#include "nova/objects/instance_group.pb.h"
#include "nova/objects/request_spec.pb.h"

namespace nova::scheduler {

inline constexpr std::string_view kVcpu = "VCPU";
inline constexpr std::string_view kMemoryMb = "MEMORY_MB";
inline constexpr std::string_view kDiskGb = "DISK_GB";
// The placement microversion whose allocation_request shape Selection objects carry.
inline constexpr std::string_view kAllocationRequestVersion = "1.36";

// Resource class -> amount for one instance.
using Resources = std::map<std::string, std::int64_t>;

// What Nova's resources_from_request_spec asks placement for: VCPU = vcpus, MEMORY_MB =
// memory_mb, DISK_GB = root_gb (unless boot from volume) + ephemeral_gb + swap MB rounded up
// to GB; flavor extra specs "resources:<CLASS>=<n>" override a class (0 drops it). Classes
// with amount 0 are left out.
Resources ResourcesFromRequestSpec(const objects::RequestSpec& spec);

struct InventoryRecord {
    std::string resource_class;
    std::int64_t total = 0;
    std::int64_t reserved = 0;
    std::int64_t min_unit = 1;
    std::int64_t max_unit = 0;  // 0 when building one: means `total`
    std::int64_t step_size = 1;
    double allocation_ratio = 1.0;
    std::int64_t used = 0;  // filled when read back with usage

    // (total - reserved) * allocation_ratio, as placement computes it.
    std::int64_t Capacity() const;
    // Whether `amount` more can be allocated: min_unit <= amount <= max_unit, a multiple of
    // step_size, and used + amount <= capacity.
    bool Fits(std::int64_t amount) const;
};

// The inventory a compute node reports (what Nova's virt drivers put in the provider tree):
// VCPU (reserved_host_cpus), MEMORY_MB (reserved_host_memory_mb), DISK_GB
// (reserved_host_disk_mb rounded up to GB), each with the node's allocation ratio.
std::vector<InventoryRecord> InventoryFromComputeNode(const objects::ComputeNode& node,
                                                      std::int64_t reserved_host_cpus,
                                                      std::int64_t reserved_host_memory_mb,
                                                      std::int64_t reserved_host_disk_mb);

struct ProviderSummary {
    std::int64_t id = 0;  // the provider's row id
    std::string uuid;
    std::string name;
    std::int64_t generation = 0;
    std::map<std::string, InventoryRecord> inventories;  // by resource class, with usage
};

struct AllocationCandidate {
    std::string provider_uuid;
    std::int64_t provider_generation = 0;
    Resources resources;
    // Placement's allocation_request JSON: {"allocations": {rp: {"resources": {...}}},
    // "mappings": {"": [rp]}} (microversion 1.36), what Selection.allocation_request holds.
    Json AllocationRequest() const;
};

class Placement {
public:
    static constexpr int kClaimAttempts = 10;

    Placement(db::Pool& api, const Clock& clock) : pool_(api), clock_(clock) {}

    // Every provider whose inventory can take `request` now, in provider id order, at most
    // `limit` of them ([scheduler] max_placement_results).
    std::vector<AllocationCandidate> GetAllocationCandidates(const Resources& request,
                                                             std::size_t limit);
    std::vector<ProviderSummary> GetProviderSummaries();

    // Claims `resources` on `provider_uuid` for `consumer_uuid`, replacing whatever the
    // consumer held. False when they do not fit (also after kClaimAttempts generation
    // conflicts in a row, logged); the caller moves on to its next candidate.
    //
    // With `group` (a server group whose policy is affinity or anti-affinity) the claim
    // also enforces the policy against the members' allocations, inside the same
    // transaction and serialized per group (the group's row in instance_groups is locked
    // first): anti-affinity fails when max_server_per_host members (1 unless the rule says
    // otherwise) already hold allocations on the provider, affinity when a member holds
    // them on another provider. The filters decide on a snapshot; this makes the decision
    // safe against other schedulers placing members of the same group at the same moment.
    bool Claim(const std::string& consumer_uuid, const std::string& project_id,
               const std::string& user_id, const std::string& provider_uuid,
               const Resources& resources, const objects::InstanceGroup* group = nullptr);
    bool Claim(const std::string& consumer_uuid, const std::string& project_id,
               const std::string& user_id, const AllocationCandidate& candidate,
               const objects::InstanceGroup* group = nullptr) {
        return Claim(consumer_uuid, project_id, user_id, candidate.provider_uuid,
                     candidate.resources, group);
    }

    // Claims what a Selection's allocation_request (the JSON text) names for the consumer:
    // what the conductor does when it reschedules to an alternate host (Nova's
    // claim_resources). InvalidInput for a request that is not one provider's resources.
    bool ClaimAllocationRequest(const std::string& consumer_uuid, const std::string& project_id,
                                const std::string& user_id, const std::string& allocation_request,
                                const objects::InstanceGroup* group = nullptr);

    // Deletes the consumer's allocations and the consumer (Nova's
    // delete_allocation_for_instance on delete, or the cleanup of a failed multi-create).
    void RemoveClaim(const std::string& consumer_uuid);

    // Moves every allocation of `source` to `target` in one transaction (Nova's
    // move_allocations: the instance's allocations go to the migration's uuid before a resize
    // or cold migration claims the destination for the instance; back again on revert).
    // False when `source` has no allocations. AllocationMoveFailed when `target` already has
    // allocations, unless `replace_target`: then the target's allocations are dropped in the
    // same transaction (Nova's report client move_allocations, which a revert uses to give
    // the source allocations back to the instance in place of its destination ones).
    bool MoveAllocations(const std::string& source_consumer, const std::string& target_consumer,
                         bool replace_target = false);

    // The consumer's allocations: provider uuid -> resources.
    std::map<std::string, Resources> GetAllocations(const std::string& consumer_uuid);
    // Resource class -> total used on the provider.
    Resources GetUsages(const std::string& provider_uuid);

    // A compute's report: creates the provider (generation 0) if it does not exist, then
    // replaces its inventory if `generation` (nullopt: whatever it is now) is still current.
    // ResourceProviderUpdateConflict on a stale generation, InventoryInUse when a class that
    // has allocations would disappear, InvalidInventory for an impossible record. Returns the
    // provider's new generation.
    std::int64_t SetInventory(const std::string& provider_uuid, const std::string& name,
                              std::optional<std::int64_t> generation,
                              std::vector<InventoryRecord> inventory);

private:
    using SummaryList = std::vector<std::shared_ptr<const ProviderSummary>>;  // by provider id
    std::shared_ptr<const SummaryList> Summaries();

    db::Pool& pool_;
    const Clock& clock_;
    std::mutex cache_mu_;  // guards cache_
    std::shared_ptr<const SummaryList> cache_;  // the last list read, shared by requests
};

}  // namespace nova::scheduler
