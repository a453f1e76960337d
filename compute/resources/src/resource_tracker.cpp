#include "nova/compute/resource_tracker.hpp"

#include <google/protobuf/util/message_differencer.h>

#include <cmath>
#include <tuple>

#include <fmt/format.h>

#include "nova/common/error.hpp"
#include "nova/common/log.hpp"
#include "nova/common/uuid.hpp"
#include "nova/objects/object.hpp"

namespace nova::compute {

namespace {

spdlog::logger& Log() { return log::Get("nova.compute.resource_tracker"); }

std::int64_t CeilGb(std::int64_t mb) { return (mb + 1023) / 1024; }

Usage& operator+=(Usage& a, const Usage& b) {
    a.vcpus += b.vcpus;
    a.memory_mb += b.memory_mb;
    a.disk_gb += b.disk_gb;
    a.swap_mb += b.swap_mb;
    return a;
}
Usage& operator-=(Usage& a, const Usage& b) {
    a.vcpus -= b.vcpus;
    a.memory_mb -= b.memory_mb;
    a.disk_gb -= b.disk_gb;
    a.swap_mb -= b.swap_mb;
    return a;
}

bool InResizeState(const objects::Instance& instance) {
    const std::string& vm = instance.vm_state();
    const std::string task = instance.has_task_state() ? instance.task_state() : "";
    if (vm == "resized") return true;
    static const std::set<std::string> kStates = {
        "resize_prep",  "resize_migrating", "resize_migrated", "resize_finish",
        "rebuilding",   "rebuild_block_device_mapping",         "rebuild_spawning"};
    return (vm == "active" || vm == "stopped") && kStates.count(task) > 0;
}

bool IsLiveMigrating(const objects::Instance& instance) {
    return instance.has_task_state() && instance.task_state() == "migrating" &&
           (instance.vm_state() == "active" || instance.vm_state() == "paused");
}

std::tuple<std::int64_t, std::int32_t> Time(const objects::Migration& m) {
    const auto& t = m.has_updated_at() ? m.updated_at() : m.created_at();
    return {t.seconds(), t.nanos()};
}

// The flavor a migration holds on a node (Nova's _get_flavor): the new or old flavor for a
// resize, the instance's own for other moves.
const objects::Flavor* FlavorFor(const objects::Instance& instance,
                                 const objects::Migration& migration, bool new_side) {
    if (migration.migration_type() == "resize") {
        if (new_side) return instance.has_new_flavor() ? &instance.new_flavor() : nullptr;
        return instance.has_old_flavor() ? &instance.old_flavor() : nullptr;
    }
    return instance.has_flavor() ? &instance.flavor() : nullptr;
}

// Equal for reporting purposes: everything but updated_at and the change-tracking state.
bool SameForReport(const objects::ComputeNode& a, const objects::ComputeNode& b) {
    objects::ComputeNode x = a;
    objects::ComputeNode y = b;
    x.clear_updated_at();
    y.clear_updated_at();
    x.clear_obj_state();
    y.clear_obj_state();
    return google::protobuf::util::MessageDifferencer::Equals(x, y);
}

}  // namespace

ResourceTrackerOptions ResourceTrackerOptions::From(const conf::DefaultOptions& defaults,
                                                    const conf::ComputeDefaultOptions& compute,
                                                    std::string host) {
    ResourceTrackerOptions o;
    o.host = std::move(host);
    o.my_ip = defaults.my_ip;
    o.reserved_host_disk_mb = compute.reserved_host_disk_mb;
    o.reserved_host_memory_mb = compute.reserved_host_memory_mb;
    o.reserved_host_cpus = compute.reserved_host_cpus;
    // Nova still accepts 0.0 for "unset" (the pre-Stein default).
    auto ratio = [](const std::optional<double>& r) -> std::optional<double> {
        if (r && *r != 0.0) return r;
        return std::nullopt;
    };
    o.cpu_allocation_ratio = ratio(compute.cpu_allocation_ratio);
    o.ram_allocation_ratio = ratio(compute.ram_allocation_ratio);
    o.disk_allocation_ratio = ratio(compute.disk_allocation_ratio);
    o.initial_cpu_allocation_ratio = compute.initial_cpu_allocation_ratio;
    o.initial_ram_allocation_ratio = compute.initial_ram_allocation_ratio;
    o.initial_disk_allocation_ratio = compute.initial_disk_allocation_ratio;
    return o;
}

Usage UsageOf(const objects::Flavor& flavor, bool volume_backed) {
    Usage u;
    u.vcpus = flavor.vcpus();
    u.memory_mb = flavor.memory_mb();
    u.disk_gb = (volume_backed ? 0 : flavor.root_gb()) + flavor.ephemeral_gb();
    u.swap_mb = flavor.swap();
    return u;
}

bool IsVolumeBacked(const objects::Instance& instance) {
    return !instance.has_image_ref() || instance.image_ref().empty();
}

ResourceTracker::ResourceTracker(ResourceTrackerOptions options, virt::ComputeDriver& driver,
                                 ResourceReporter& reporter)
    : options_(std::move(options)), driver_(driver), reporter_(reporter) {}

// --- the periodic audit ---------------------------------------------------------------------

void ResourceTracker::UpdateAvailableResource(const RequestContext& context,
                                              const std::string& nodename,
                                              const std::vector<objects::Instance>& instances,
                                              const std::vector<MigrationRecord>& migrations,
                                              bool startup) {
    NOVA_LOG_DEBUG(Log(), context, "Auditing locally available compute resources for {} (node: {})",
                   options_.host, nodename);
    virt::AvailableResource resources = driver_.GetAvailableResource(nodename);
    if (resources.hypervisor_hostname.empty()) resources.hypervisor_hostname = nodename;
    NOVA_LOG_DEBUG(Log(), context,
                   "Hypervisor/Node resource view: name={} free_ram={}MB free_disk={}GB "
                   "free_vcpus={}",
                   nodename, resources.memory_mb - resources.memory_mb_used,
                   resources.local_gb - resources.local_gb_used,
                   resources.vcpus ? std::to_string(resources.vcpus - resources.vcpus_used)
                                   : std::string("unknown"));

    std::lock_guard lock(mutex_);
    InitComputeNode(context, resources);
    if (!driver_.NodeIsAvailable(nodename)) return;
    Node& node = nodes_.at(nodename);

    // Usage is rebuilt from what the DB says runs here (Nova's _update_usage_from_instances),
    // keeping the build-failure counter across the reset.
    const std::int64_t failed_builds = node.stats.Get("failed_builds");
    node.stats.Clear();
    node.stats.SetFailedBuilds(failed_builds);
    node.instances.clear();
    node.migrations.clear();
    for (const auto& instance : instances) {
        if (!AllowResourceRemoval(instance.vm_state(),
                                  instance.has_task_state() ? instance.task_state() : "")) {
            TrackInstance(node, instance);
        }
    }

    // Nova's _update_usage_from_migrations: only moves whose instance is still resizing or
    // live-migrating, the most recent migration per instance, and not a stale one.
    std::map<std::string, const MigrationRecord*> latest;
    for (const auto& record : migrations) {
        const auto& uuid = record.migration.instance_uuid();
        if (!InResizeState(record.instance) && !IsLiveMigrating(record.instance)) {
            NOVA_LOG_DEBUG(Log(), (log::WithInstance{&context, uuid}),
                           "Skipping migration as instance is neither resizing nor "
                           "live-migrating.");
            continue;
        }
        auto it = latest.find(uuid);
        if (it == latest.end() || Time(record.migration) > Time(it->second->migration)) {
            latest[uuid] = &record;
        }
    }
    for (const auto& [uuid, record] : latest) {
        const auto& instance = record->instance;
        if (instance.has_migration_context() &&
            instance.migration_context().migration_id() != record->migration.id()) {
            NOVA_LOG_INFO(Log(), (log::WithInstance{&context, uuid}),
                          "Current instance migration {} doesn't match migration {}; not "
                          "counting it. This can occur if a previous migration for this "
                          "instance did not complete.",
                          instance.migration_context().migration_id(), record->migration.id());
            continue;
        }
        TrackMigration(node, instance, record->migration, nodename);
    }

    RecomputeUsage(node);
    const auto& cn = node.compute_node;
    NOVA_LOG_DEBUG(Log(), context,
                   "Final resource view: name={} phys_ram={}MB used_ram={}MB phys_disk={}GB "
                   "used_disk={}GB total_vcpus={} used_vcpus={}",
                   nodename, cn.memory_mb(), cn.memory_mb_used(), cn.local_gb(),
                   cn.local_gb_used(), cn.vcpus(), cn.vcpus_used());
    Report(context, node);
    (void)startup;
}

bool ResourceTracker::InitComputeNode(const RequestContext& context,
                                      const virt::AvailableResource& resources) {
    const std::string& nodename = resources.hypervisor_hostname;
    auto it = nodes_.find(nodename);
    if (it != nodes_.end()) {
        CopyResources(it->second, resources, false);
        return false;
    }
    if (auto existing = reporter_.GetComputeNode(context, options_.host, nodename)) {
        Node& node = nodes_[nodename];
        node.compute_node = std::move(*existing);
        CopyResources(node, resources, false);
        return false;
    }
    Node fresh;
    fresh.compute_node.set_host(options_.host);
    fresh.compute_node.set_uuid(GenerateUuid());
    CopyResources(fresh, resources, true);
    fresh.compute_node = reporter_.CreateComputeNode(context, fresh.compute_node);
    fresh.reported_node = fresh.compute_node;
    NOVA_LOG_INFO(Log(), context, "Compute node record created for {}:{} with uuid: {}",
                  options_.host, nodename, fresh.compute_node.uuid());
    nodes_.emplace(nodename, std::move(fresh));
    return true;
}

void ResourceTracker::CopyResources(Node& node, const virt::AvailableResource& r, bool initial) {
    node.resources = r;
    auto& cn = node.compute_node;
    cn.set_vcpus(r.vcpus);
    cn.set_memory_mb(r.memory_mb);
    cn.set_local_gb(r.local_gb);
    cn.set_vcpus_used(r.vcpus_used);
    cn.set_memory_mb_used(r.memory_mb_used);
    cn.set_local_gb_used(r.local_gb_used);
    cn.set_cpu_info(r.cpu_info);
    cn.set_hypervisor_type(r.hypervisor_type);
    cn.set_hypervisor_version(r.hypervisor_version);
    cn.set_hypervisor_hostname(r.hypervisor_hostname);
    if (r.disk_available_least) cn.set_disk_available_least(*r.disk_available_least);
    if (r.numa_topology) cn.set_numa_topology(*r.numa_topology);
    cn.set_host_ip(options_.my_ip);
    cn.clear_supported_hv_specs();
    for (const auto& si : r.supported_instances) {
        auto* spec = cn.add_supported_hv_specs();
        spec->set_arch(si.arch);
        spec->set_hv_type(si.hv_type);
        spec->set_vm_mode(si.vm_mode);
    }
    // [DEFAULT] *_allocation_ratio wins; otherwise a new node starts from initial_*, and an
    // existing one keeps its ratio (or gets initial_* when its record has none).
    auto pick = [&](const std::optional<double>& conf_ratio, double initial_ratio, bool has,
                    double current) {
        if (conf_ratio) return *conf_ratio;
        if (initial || !has || current == 0.0) return initial_ratio;
        return current;
    };
    cn.set_cpu_allocation_ratio(pick(options_.cpu_allocation_ratio,
                                     options_.initial_cpu_allocation_ratio,
                                     cn.has_cpu_allocation_ratio(), cn.cpu_allocation_ratio()));
    cn.set_ram_allocation_ratio(pick(options_.ram_allocation_ratio,
                                     options_.initial_ram_allocation_ratio,
                                     cn.has_ram_allocation_ratio(), cn.ram_allocation_ratio()));
    cn.set_disk_allocation_ratio(pick(options_.disk_allocation_ratio,
                                      options_.initial_disk_allocation_ratio,
                                      cn.has_disk_allocation_ratio(),
                                      cn.disk_allocation_ratio()));
    if (initial) RecomputeUsage(node);
}

// --- usage ------------------------------------------------------------------------------------

void ResourceTracker::TrackInstance(Node& node, const objects::Instance& instance) {
    const std::string& uuid = instance.uuid();
    node.stats.UpdateForInstance(instance);
    if (node.instances.count(uuid)) return;
    node.instances[uuid] = UsageOf(instance.flavor(), IsVolumeBacked(instance));
}

void ResourceTracker::UntrackInstance(Node& node, const objects::Instance& instance) {
    if (!node.instances.erase(instance.uuid())) return;
    node.stats.UpdateForInstance(instance, true);
}

void ResourceTracker::TrackMigration(Node& node, const objects::Instance& instance,
                                     const objects::Migration& migration,
                                     const std::string& nodename) {
    const std::string& uuid = instance.uuid();
    const bool incoming =
        migration.dest_compute() == options_.host && migration.dest_node() == nodename;
    const bool outbound =
        migration.source_compute() == options_.host && migration.source_node() == nodename;
    const bool tracked = node.instances.count(uuid) > 0;
    const objects::Flavor* flavor = nullptr;
    if (incoming && outbound) {
        // A resize on this node: hold the new flavor while the instance still has the old
        // one; once finish_resize switched it, hold the old one for a revert.
        flavor = FlavorFor(instance, migration,
                           instance.instance_type_id() == migration.old_instance_type_id());
    } else if (incoming && !tracked) {
        flavor = FlavorFor(instance, migration, true);
    } else if (outbound && !tracked) {
        flavor = FlavorFor(instance, migration, false);
    }
    if (!flavor) return;
    NOVA_LOG_DEBUG(Log(), (log::WithInstance{nullptr, uuid}),
                   "Starting to track {} migration {} with flavor {}",
                   incoming ? "incoming" : "outgoing", migration.uuid(), flavor->flavorid());
    node.migrations[uuid] = TrackedMigration{migration, UsageOf(*flavor, IsVolumeBacked(instance))};
}

void ResourceTracker::RecomputeUsage(Node& node) {
    Usage total;
    for (const auto& [uuid, usage] : node.instances) total += usage;
    for (const auto& [uuid, m] : node.migrations) total += m.usage;
    auto& cn = node.compute_node;
    cn.set_vcpus_used(options_.reserved_host_cpus + total.vcpus);
    cn.set_memory_mb_used(options_.reserved_host_memory_mb + total.memory_mb);
    cn.set_local_gb_used(options_.reserved_host_disk_mb / 1024 + total.disk_gb +
                         total.swap_mb / 1024);
    cn.set_free_ram_mb(cn.memory_mb() - cn.memory_mb_used());
    cn.set_free_disk_gb(cn.local_gb() - cn.local_gb_used());
    cn.set_running_vms(node.stats.NumInstances());
    cn.set_current_workload(node.stats.CalculateWorkload());
    auto* stats = cn.mutable_stats();
    stats->clear();
    for (const auto& [k, v] : node.resources.stats) (*stats)[k] = v;
    for (const auto& [k, v] : node.stats.ToComputeNodeStats()) (*stats)[k] = v;
}

void ResourceTracker::TestClaim(const Node& node, const Usage& requested, const Limits& limits,
                                const std::string& instance_uuid) const {
    const auto& cn = node.compute_node;
    // What placement would count: each holder's DISK_GB includes its swap rounded up.
    Usage used;
    std::int64_t used_disk = 0;
    for (const auto& [uuid, usage] : node.instances) {
        used += usage;
        used_disk += usage.disk_gb + CeilGb(usage.swap_mb);
    }
    for (const auto& [uuid, m] : node.migrations) {
        used += m.usage;
        used_disk += m.usage.disk_gb + CeilGb(m.usage.swap_mb);
    }
    const std::int64_t requested_disk = requested.disk_gb + CeilGb(requested.swap_mb);
    const std::int64_t reserved_disk = CeilGb(options_.reserved_host_disk_mb);

    std::vector<std::string> reasons;
    auto test = [&](const char* type, const char* unit, std::int64_t total, std::int64_t reserved,
                    double ratio, std::int64_t in_use, std::int64_t want,
                    const std::optional<double>& limit) {
        if (want == 0) return;
        double free;
        if (limit) {
            // The scheduler's limit covers the reserved part too (Nova's old claim test).
            free = *limit - static_cast<double>(in_use + reserved);
        } else {
            free = static_cast<double>(total - reserved) * ratio - static_cast<double>(in_use);
        }
        NOVA_LOG_DEBUG(Log(), (log::WithInstance{nullptr, instance_uuid}),
                       "Total {}: {} {}, used: {} {}, free: {:.2f} {}", type, total, unit,
                       in_use + reserved, unit, free, unit);
        if (want > total) {
            reasons.push_back(fmt::format("Requested {} {} {} is more than the node's total "
                                          "{} {}",
                                          type, want, unit, total, unit));
        } else if (static_cast<double>(want) > free) {
            reasons.push_back(fmt::format("Free {} {:.2f} {} < requested {} {}", type, free, unit,
                                          want, unit));
        }
    };
    test("memory", "MB", cn.memory_mb(), options_.reserved_host_memory_mb,
         cn.ram_allocation_ratio(), used.memory_mb, requested.memory_mb, limits.memory_mb);
    test("disk", "GB", cn.local_gb(), reserved_disk, cn.disk_allocation_ratio(), used_disk,
         requested_disk, limits.disk_gb);
    test("vcpu", "VCPU", cn.vcpus(), options_.reserved_host_cpus, cn.cpu_allocation_ratio(),
         used.vcpus, requested.vcpus, limits.vcpu);
    if (!reasons.empty()) {
        std::string reason;
        for (const auto& r : reasons) reason += (reason.empty() ? "" : "; ") + r;
        NOVA_LOG_INFO(Log(), (log::WithInstance{nullptr, instance_uuid}), "Failed to claim: {}",
                      reason);
        throw ComputeResourcesUnavailable({{"reason", reason}});
    }
}

// --- claims -----------------------------------------------------------------------------------

bool ResourceTracker::Disabled(const std::string& nodename) {
    return nodes_.count(nodename) == 0 || !driver_.NodeIsAvailable(nodename);
}

Claim ResourceTracker::InstanceClaim(const RequestContext& context, objects::Instance& instance,
                                     const std::string& nodename, const Limits& limits) {
    std::lock_guard lock(mutex_);
    Claim claim{instance.uuid(), nodename, {}, false, std::nullopt};
    if (Disabled(nodename)) {
        instance.set_host(options_.host);
        instance.set_node(nodename);
        claim.noop = true;
        return claim;
    }
    log::WithInstance scope{&context, instance.uuid()};
    if (instance.has_host() && !instance.host().empty()) {
        NOVA_LOG_WARN(Log(), scope,
                      "Host field should not be set on the instance until resources have "
                      "been claimed.");
    }
    Node& node = nodes_.at(nodename);
    claim.usage = UsageOf(instance.flavor(), IsVolumeBacked(instance));
    if (!node.instances.count(instance.uuid())) {
        TestClaim(node, claim.usage, limits, instance.uuid());
    }
    NOVA_LOG_INFO(Log(), scope, "Claim successful on node {}", nodename);
    instance.set_host(options_.host);
    instance.set_node(nodename);
    TrackInstance(node, instance);
    RecomputeUsage(node);
    Report(context, node);
    return claim;
}

void ResourceTracker::AbortInstanceClaim(const RequestContext& context,
                                         objects::Instance& instance,
                                         const std::string& nodename) {
    std::lock_guard lock(mutex_);
    auto it = nodes_.find(nodename);
    if (it != nodes_.end()) {
        UntrackInstance(it->second, instance);
        RecomputeUsage(it->second);
    }
    objects::SetNull(instance, "host");
    objects::SetNull(instance, "node");
    if (it != nodes_.end()) Report(context, it->second);
}

void ResourceTracker::UpdateUsage(const RequestContext& context,
                                  const objects::Instance& instance,
                                  const std::string& nodename) {
    std::lock_guard lock(mutex_);
    if (Disabled(nodename)) return;
    Node& node = nodes_.at(nodename);
    if (!node.instances.count(instance.uuid())) return;
    if (AllowResourceRemoval(instance.vm_state(),
                             instance.has_task_state() ? instance.task_state() : "")) {
        UntrackInstance(node, instance);
    } else {
        node.stats.UpdateForInstance(instance);
    }
    RecomputeUsage(node);
    Report(context, node);
}

Claim ResourceTracker::ResizeClaim(const RequestContext& context,
                                   const objects::Instance& instance,
                                   const objects::Flavor& new_flavor, const std::string& nodename,
                                   objects::Migration& migration, const Limits& limits) {
    std::lock_guard lock(mutex_);
    // Nova's _claim_existing_migration.
    migration.set_dest_compute(options_.host);
    migration.set_dest_node(nodename);
    migration.set_dest_host(options_.my_ip);
    if (migration.migration_type() != "live-migration") migration.set_status("pre-migrating");

    Claim claim{instance.uuid(), nodename, {}, false, migration};
    if (Disabled(nodename)) {
        claim.noop = true;
        return claim;
    }
    Node& node = nodes_.at(nodename);
    claim.usage = UsageOf(new_flavor, IsVolumeBacked(instance));
    TestClaim(node, claim.usage, limits, instance.uuid());
    NOVA_LOG_INFO(Log(), (log::WithInstance{&context, instance.uuid()}),
                  "Claim successful on node {}", nodename);
    node.migrations[instance.uuid()] = TrackedMigration{migration, claim.usage};
    RecomputeUsage(node);
    Report(context, node);
    return claim;
}

void ResourceTracker::DropMove(Node& node, const objects::Instance& instance,
                               const Usage& flavor_usage) {
    const std::string& uuid = instance.uuid();
    auto mit = node.migrations.find(uuid);
    if (mit != node.migrations.end()) {
        // Nova subtracts the flavor given, not what the migration held: on a resize to the
        // same node the difference stays with the instance.
        Usage held = mit->second.usage;
        node.migrations.erase(mit);
        auto iit = node.instances.find(uuid);
        if (iit != node.instances.end()) {
            iit->second += held;
            iit->second -= flavor_usage;
        }
        return;
    }
    UntrackInstance(node, instance);
}

void ResourceTracker::DropMoveClaimAtSource(const RequestContext& context,
                                            const objects::Instance& instance,
                                            objects::Migration& migration) {
    std::lock_guard lock(mutex_);
    migration.set_status("confirmed");
    auto it = nodes_.find(migration.source_node());
    if (it == nodes_.end()) return;
    const objects::Flavor& old_flavor =
        instance.has_old_flavor() ? instance.old_flavor() : instance.flavor();
    DropMove(it->second, instance, UsageOf(old_flavor, IsVolumeBacked(instance)));
    RecomputeUsage(it->second);
    Report(context, it->second);
}

void ResourceTracker::DropMoveClaimAtDest(const RequestContext& context,
                                          const objects::Instance& instance,
                                          objects::Migration& migration) {
    std::lock_guard lock(mutex_);
    migration.set_status("reverted");
    auto it = nodes_.find(migration.dest_node());
    if (it == nodes_.end()) return;
    const objects::Flavor& new_flavor =
        instance.has_new_flavor() ? instance.new_flavor() : instance.flavor();
    DropMove(it->second, instance, UsageOf(new_flavor, IsVolumeBacked(instance)));
    RecomputeUsage(it->second);
    Report(context, it->second);
}

void ResourceTracker::DropMoveClaim(const RequestContext& context,
                                    const objects::Instance& instance,
                                    const std::string& nodename) {
    std::lock_guard lock(mutex_);
    auto it = nodes_.find(nodename);
    if (it == nodes_.end()) return;
    auto mit = it->second.migrations.find(instance.uuid());
    if (mit == it->second.migrations.end()) return;
    DropMove(it->second, instance, mit->second.usage);
    RecomputeUsage(it->second);
    Report(context, it->second);
}

void ResourceTracker::BuildFailed(const std::string& nodename) {
    std::lock_guard lock(mutex_);
    auto it = nodes_.find(nodename);
    if (it == nodes_.end()) return;
    it->second.stats.BuildFailed();
    RecomputeUsage(it->second);
}

void ResourceTracker::BuildSucceeded(const std::string& nodename) {
    std::lock_guard lock(mutex_);
    auto it = nodes_.find(nodename);
    if (it == nodes_.end()) return;
    it->second.stats.BuildSucceeded();
    RecomputeUsage(it->second);
}

// --- reporting --------------------------------------------------------------------------------

Inventory ResourceTracker::ComputeInventory(const Node& node) const {
    const auto& cn = node.compute_node;
    Inventory inv;
    // As Nova's drivers do in update_provider_tree: a class with nothing in it is left out.
    if (cn.vcpus() > 0) {
        inv["VCPU"] = InventoryRecord{cn.vcpus(), options_.reserved_host_cpus, 1, cn.vcpus(), 1,
                                      cn.cpu_allocation_ratio()};
    }
    if (cn.memory_mb() > 0) {
        inv["MEMORY_MB"] = InventoryRecord{cn.memory_mb(), options_.reserved_host_memory_mb, 1,
                                           cn.memory_mb(), 1, cn.ram_allocation_ratio()};
    }
    if (cn.local_gb() > 0) {
        inv["DISK_GB"] = InventoryRecord{cn.local_gb(), CeilGb(options_.reserved_host_disk_mb), 1,
                                         cn.local_gb(), 1, cn.disk_allocation_ratio()};
    }
    return inv;
}

void ResourceTracker::Report(const RequestContext& context, Node& node) {
    if (!node.reported_node || !SameForReport(*node.reported_node, node.compute_node)) {
        reporter_.SaveComputeNode(context, node.compute_node);
        node.reported_node = node.compute_node;
    }
    Inventory inventory = ComputeInventory(node);
    if (!node.reported_inventory || *node.reported_inventory != inventory) {
        reporter_.UpdateInventory(context, node.compute_node.uuid(),
                                  node.compute_node.hypervisor_hostname(), inventory);
        node.reported_inventory = std::move(inventory);
    }
}

std::optional<objects::ComputeNode> ResourceTracker::GetComputeNode(
    const std::string& nodename) const {
    std::lock_guard lock(mutex_);
    auto it = nodes_.find(nodename);
    if (it == nodes_.end()) return std::nullopt;
    return it->second.compute_node;
}

std::optional<Inventory> ResourceTracker::GetInventory(const std::string& nodename) const {
    std::lock_guard lock(mutex_);
    auto it = nodes_.find(nodename);
    if (it == nodes_.end()) return std::nullopt;
    return ComputeInventory(it->second);
}

std::vector<std::string> ResourceTracker::TrackedInstances(const std::string& nodename) const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    auto it = nodes_.find(nodename);
    if (it == nodes_.end()) return out;
    for (const auto& [uuid, usage] : it->second.instances) out.push_back(uuid);
    return out;
}

}  // namespace nova::compute
