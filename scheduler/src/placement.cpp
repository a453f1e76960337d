#include "nova/scheduler/placement.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <set>

#include "nova/common/error.hpp"
#include "nova/common/log.hpp"

namespace nova::scheduler {

namespace {

auto& Log() {
    static auto& log = log::Get("nova.scheduler.placement");
    return log;
}

// A provider or consumer generation moved between our read and our write.
struct GenerationConflict {
    std::string what;
};

// MySQL FLOAT keeps ~7 significant digits: 0.9 reads back as 0.899999976. Placement's ratios
// are operator-given decimals; round away the float noise before multiplying.
double CleanRatio(double r) { return std::round(r * 1e6) / 1e6; }

WallTime Now(const Clock& clock) { return std::chrono::floor<std::chrono::seconds>(clock.Now()); }

InventoryRecord LoadInventory(const db::Row& row) {
    InventoryRecord inv;
    inv.resource_class = row.String("resource_class");
    inv.total = row.Int("total");
    inv.reserved = row.Int("reserved");
    inv.min_unit = row.Int("min_unit");
    inv.max_unit = row.Int("max_unit");
    inv.step_size = row.Int("step_size");
    inv.allocation_ratio = CleanRatio(row.Double("allocation_ratio"));
    inv.used = row.Has("used") ? row.OptInt("used").value_or(0) : 0;
    return inv;
}

// The provider summaries are cached per process and kept consistent by generations: every
// write that changes a provider's inventory or usage bumps its generation (claims, removals,
// moves, inventory updates, and PlacementStore's writes alike). Each request reads the
// (id, generation) list of all providers, a cheap query of two integers per row, and re-reads
// inventory and usage only of the providers whose generation moved, in the same snapshot.
// Inventory and usage are two plain queries joined here: a derived GROUP BY table joined to
// the providers lets MariaDB re-aggregate allocations per provider row ("split
// materialization"), which grows with providers x allocations.
constexpr std::string_view kGenerationsSql =
    "SELECT `id`, `generation` FROM `resource_providers` ORDER BY `id`";
constexpr std::string_view kProvidersSql = "SELECT `id`, `uuid`, `name` FROM `resource_providers`";
constexpr std::string_view kInventorySql =
    "SELECT `resource_provider_id`, `resource_class`, `total`, `reserved`, `min_unit`, `max_unit`,"
    " `step_size`, `allocation_ratio` FROM `inventories`";
constexpr std::string_view kUsageSql =
    "SELECT `resource_provider_id`, `resource_class`, SUM(`used`) AS `used` FROM `allocations`";
constexpr std::size_t kInListChunk = 500;

// Bumps a provider's generation if it is still `seen`.
void BumpProvider(db::Session& s, std::int64_t id, std::int64_t seen, WallTime now) {
    if (s.Execute("UPDATE `resource_providers` SET `generation` = `generation` + 1, `updated_at` = ?"
                  " WHERE `id` = ? AND `generation` = ?",
                  {now, id, seen}) == 0) {
        throw GenerationConflict{"resource provider generation conflict"};
    }
}

// Creates the consumer, or bumps its generation if it is still what we read.
void WriteConsumer(db::Session& s, const std::string& uuid, const std::string& project_id,
                   const std::string& user_id, WallTime now) {
    auto rows = s.Query("SELECT `generation` FROM `consumers` WHERE `uuid` = ?", {uuid});
    if (rows.empty()) {
        try {
            s.Execute("INSERT INTO `consumers` (`uuid`, `project_id`, `user_id`, `generation`, `created_at`)"
                      " VALUES (?, ?, ?, 0, ?)",
                      {uuid, project_id, user_id, now});
        } catch (const DBDuplicateEntry&) {
            throw GenerationConflict{"consumer created concurrently"};
        }
        return;
    }
    if (s.Execute("UPDATE `consumers` SET `generation` = `generation` + 1, `updated_at` = ?"
                  " WHERE `uuid` = ? AND `generation` = ?",
                  {now, uuid, rows.front().Int("generation")}) == 0) {
        throw GenerationConflict{"consumer generation conflict"};
    }
}

// The consumer's allocations of `resources` on provider `rp_id`, one row per class, in one
// statement (a statement per class was a round trip each: three per build).
void InsertAllocations(db::Session& s, std::int64_t rp_id, const std::string& consumer, const Resources& resources,
                       WallTime now) {
    if (resources.empty()) return;
    std::string sql =
        "INSERT INTO `allocations` (`resource_provider_id`, `consumer_id`, `resource_class`, `used`, `created_at`)"
        " VALUES ";
    db::Params params;
    for (const auto& [cls, amount] : resources) {
        sql += params.empty() ? "(?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?)";
        params.insert(params.end(), {rp_id, consumer, cls, amount, now});
    }
    s.Execute(sql, params);
}

// The providers the consumer has allocations on: id -> generation (snapshot read).
std::map<std::int64_t, std::int64_t> ConsumerProviders(db::Session& s, const std::string& consumer) {
    std::map<std::int64_t, std::int64_t> out;
    for (const auto& row : s.Query("SELECT DISTINCT p.`id`, p.`generation` FROM `allocations` a"
                                   " JOIN `resource_providers` p ON p.`id` = a.`resource_provider_id`"
                                   " WHERE a.`consumer_id` = ?",
                                   {consumer})) {
        out.emplace(row.Int("id"), row.Int("generation"));
    }
    return out;
}

// A short random pause before a conflicting claim is tried again, growing with the attempts,
// so that the claims that collided do not collide again in lockstep.
void BackOff(int attempt) {
    thread_local std::minstd_rand rng(std::random_device{}());
    std::uniform_int_distribution<int> micros(0, 2000 * attempt);
    std::this_thread::sleep_for(std::chrono::microseconds(micros(rng)));
}

// Whether placing `consumer` on provider `rp_id` keeps the group's policy, judged from the
// other members' allocations.
bool GroupPolicyHolds(db::Session& s, const objects::InstanceGroup& group,
                      const std::string& consumer, std::int64_t rp_id) {
    std::string sql =
        "SELECT DISTINCT `consumer_id`, `resource_provider_id` FROM `allocations`"
        " WHERE `consumer_id` <> ? AND `consumer_id` IN (";
    db::Params params{consumer};
    for (const auto& member : group.members()) {
        sql += params.size() == 1 ? "?" : ", ?";
        params.emplace_back(member);
    }
    if (params.size() == 1) return true;
    sql += ")";
    std::int64_t here = 0, elsewhere = 0;
    std::set<std::string> counted;
    for (const auto& row : s.Query(sql, params)) {
        if (row.Int("resource_provider_id") == rp_id) {
            here += counted.insert(row.String("consumer_id")).second ? 1 : 0;
        } else {
            ++elsewhere;
        }
    }
    if (group.policy() == "affinity") {
        if (elsewhere > 0) {
            NOVA_LOG_DEBUG(Log(), log::kNoContext,
                           "Claim for {} refused: affinity group {} has members on another host",
                           consumer, group.uuid());
        }
        return elsewhere == 0;
    }
    std::int64_t max_per_host = 1;
    if (auto it = group._rules().find("max_server_per_host"); it != group._rules().end()) {
        try {
            max_per_host = std::stoll(it->second);
        } catch (const std::exception&) {
        }
    }
    if (here >= max_per_host) {
        NOVA_LOG_DEBUG(Log(), log::kNoContext,
                       "Claim for {} refused: anti-affinity group {} already has {} member(s) on "
                       "the host", consumer, group.uuid(), here);
    }
    return here < max_per_host;
}

}  // namespace

Resources ResourcesFromRequestSpec(const objects::RequestSpec& spec) {
    const auto& flavor = spec.flavor();
    Resources r;
    r[std::string(kVcpu)] = flavor.vcpus();
    r[std::string(kMemoryMb)] = flavor.memory_mb();
    std::int64_t disk = spec.is_bfv() ? 0 : flavor.root_gb();
    disk += flavor.ephemeral_gb();
    disk += (flavor.swap() + 1023) / 1024;
    r[std::string(kDiskGb)] = disk;
    constexpr std::string_view kPrefix = "resources:";
    for (const auto& [key, value] : flavor.extra_specs()) {
        if (!key.starts_with(kPrefix)) continue;
        const auto cls = key.substr(kPrefix.size());
        if (cls != kVcpu && cls != kMemoryMb && cls != kDiskGb) continue;
        try {
            r[cls] = std::stoll(value);
        } catch (const std::exception&) {
            // Nova's API validation refuses such flavors; ignore it here.
        }
    }
    std::erase_if(r, [](const auto& kv) { return kv.second <= 0; });
    return r;
}

std::int64_t InventoryRecord::Capacity() const {
    return static_cast<std::int64_t>(std::floor(static_cast<double>(total - reserved) * allocation_ratio + 1e-9));
}

bool InventoryRecord::Fits(std::int64_t amount) const {
    if (amount < min_unit || amount > max_unit) return false;
    if (step_size > 0 && amount % step_size != 0) return false;
    return used + amount <= Capacity();
}

std::vector<InventoryRecord> InventoryFromComputeNode(const objects::ComputeNode& node,
                                                      std::int64_t reserved_host_cpus,
                                                      std::int64_t reserved_host_memory_mb,
                                                      std::int64_t reserved_host_disk_mb) {
    std::vector<InventoryRecord> out;
    auto add = [&](std::string_view cls, std::int64_t total, std::int64_t reserved, double ratio) {
        if (total <= 0) return;
        InventoryRecord inv;
        inv.resource_class = std::string(cls);
        inv.total = total;
        inv.reserved = reserved;
        inv.min_unit = 1;
        inv.max_unit = total;
        inv.step_size = 1;
        inv.allocation_ratio = ratio;
        out.push_back(std::move(inv));
    };
    add(kVcpu, node.vcpus(), reserved_host_cpus, node.cpu_allocation_ratio());
    add(kMemoryMb, node.memory_mb(), reserved_host_memory_mb, node.ram_allocation_ratio());
    add(kDiskGb, node.local_gb(), (reserved_host_disk_mb + 1023) / 1024, node.disk_allocation_ratio());
    return out;
}

Json AllocationCandidate::AllocationRequest() const {
    Json res = Json::object();
    for (const auto& [cls, amount] : resources) res[cls] = amount;
    return Json{{"allocations", {{provider_uuid, {{"resources", res}}}}},
                {"mappings", {{"", Json::array({provider_uuid})}}}};
}

std::shared_ptr<const Placement::SummaryList> Placement::Summaries() {
    std::shared_ptr<const SummaryList> previous;
    {
        std::lock_guard lock(cache_mu_);
        previous = cache_;
    }
    struct Read {
        std::vector<std::pair<std::int64_t, std::int64_t>> providers;  // (id, generation) by id
        std::map<std::int64_t, std::shared_ptr<ProviderSummary>> fresh;  // re-read ones
    };
    auto read = pool_.Transaction([&](db::Session& s) {
        Read r;
        std::vector<std::int64_t> changed;
        {
            auto rows = s.Query(kGenerationsSql);
            r.providers.reserve(rows.size());
            // Both lists are ordered by id: one pass finds what is new or moved.
            std::size_t j = 0;
            const std::size_t n = previous ? previous->size() : 0;
            for (const auto& row : rows) {
                const auto id = row.Int("id");
                const auto generation = row.Int("generation");
                r.providers.emplace_back(id, generation);
                while (j < n && (*previous)[j]->id < id) ++j;
                if (j >= n || (*previous)[j]->id != id || (*previous)[j]->generation != generation) {
                    changed.push_back(id);
                }
            }
        }
        if (changed.empty()) return r;
        for (auto id : changed) {
            auto summary = std::make_shared<ProviderSummary>();
            summary->id = id;
            r.fresh.emplace(id, std::move(summary));
        }
        // Many changed (a cold cache): read everything; else only those providers.
        const bool all = changed.size() * 2 > r.providers.size();
        auto in_chunks = [&](std::string_view base, std::string_view column, std::string_view suffix,
                             auto&& each_row) {
            if (all) {
                for (const auto& row : s.Query(std::string(base) + std::string(suffix))) each_row(row);
                return;
            }
            for (std::size_t i = 0; i < changed.size(); i += kInListChunk) {
                std::string sql = std::string(base) + " WHERE `" + std::string(column) + "` IN (";
                db::Params params;
                for (std::size_t k = i; k < std::min(changed.size(), i + kInListChunk); ++k) {
                    sql += params.empty() ? "?" : ", ?";
                    params.emplace_back(changed[k]);
                }
                sql += ")" + std::string(suffix);
                for (const auto& row : s.Query(sql, params)) each_row(row);
            }
        };
        in_chunks(kProvidersSql, "id", "", [&](const db::Row& row) {
            auto it = r.fresh.find(row.Int("id"));
            if (it == r.fresh.end()) return;
            it->second->uuid = row.String("uuid");
            it->second->name = row.OptString("name").value_or("");
        });
        in_chunks(kInventorySql, "resource_provider_id", "", [&](const db::Row& row) {
            auto it = r.fresh.find(row.Int("resource_provider_id"));
            if (it == r.fresh.end()) return;
            auto inv = LoadInventory(row);
            it->second->inventories.emplace(inv.resource_class, std::move(inv));
        });
        in_chunks(kUsageSql, "resource_provider_id", " GROUP BY `resource_provider_id`, `resource_class`",
                  [&](const db::Row& row) {
                      auto it = r.fresh.find(row.Int("resource_provider_id"));
                      if (it == r.fresh.end()) return;
                      auto inv = it->second->inventories.find(row.String("resource_class"));
                      if (inv != it->second->inventories.end()) inv->second.used = row.Int("used");
                  });
        return r;
    });
    if (read.fresh.empty() && previous && previous->size() == read.providers.size()) {
        return previous;  // nothing moved: the common case, no copy at all
    }
    auto out = std::make_shared<SummaryList>();
    out->reserve(read.providers.size());
    std::size_t j = 0;
    const std::size_t n = previous ? previous->size() : 0;
    for (const auto& [id, generation] : read.providers) {
        if (auto f = read.fresh.find(id); f != read.fresh.end()) {
            f->second->generation = generation;
            out->push_back(f->second);
            continue;
        }
        while (j < n && (*previous)[j]->id < id) ++j;
        if (j < n && (*previous)[j]->id == id) out->push_back((*previous)[j]);
    }
    std::shared_ptr<const SummaryList> result = std::move(out);
    // Concurrent requests each install what they read; any of those is a fair view (claims
    // re-check in their own transaction).
    std::lock_guard lock(cache_mu_);
    cache_ = result;
    return result;
}

std::vector<ProviderSummary> Placement::GetProviderSummaries() {
    std::vector<ProviderSummary> out;
    for (const auto& p : *Summaries()) out.push_back(*p);
    return out;
}

std::vector<AllocationCandidate> Placement::GetAllocationCandidates(const Resources& request,
                                                                    std::size_t limit) {
    std::vector<AllocationCandidate> out;
    const auto summaries = Summaries();
    for (const auto& p : *summaries) {
        if (out.size() >= limit) break;
        bool fits = true;
        for (const auto& [cls, amount] : request) {
            auto it = p->inventories.find(cls);
            if (it == p->inventories.end() || !it->second.Fits(amount)) {
                fits = false;
                break;
            }
        }
        if (fits) out.push_back({p->uuid, p->generation, request});
    }
    return out;
}

bool Placement::Claim(const std::string& consumer_uuid, const std::string& project_id,
                      const std::string& user_id, const std::string& provider_uuid,
                      const Resources& resources, const objects::InstanceGroup* group) {
    if (group && group->policy() != "anti-affinity" && group->policy() != "affinity") group = nullptr;
    for (int attempt = 1; attempt <= kClaimAttempts; ++attempt) {
        const auto now = Now(clock_);
        try {
            const bool fits = pool_.Transaction([&](db::Session& s) {
                // First statement of the transaction, so that every read below sees what the
                // previous holder of the group lock committed.
                if (group && group->has_uuid()) {
                    s.Query("SELECT `id` FROM `instance_groups` WHERE `uuid` = ? FOR UPDATE", {group->uuid()});
                }
                // The provider's row is locked before anything else is read: claims on one
                // provider queue here one after the other, each reading (in a snapshot taken
                // after the lock) what the previous one committed, instead of all reading the
                // same generation and all but one losing the race. With many schedulers
                // funnelled onto one host (an affinity group, the best-weighed host) a purely
                // optimistic claim could lose every attempt. The generation is still checked
                // and bumped for the writers that do not lock.
                auto rp = s.Query("SELECT `id`, `generation` FROM `resource_providers` WHERE `uuid` = ?"
                                  " FOR UPDATE",
                                  {provider_uuid});
                if (rp.empty()) return false;
                const auto rp_id = rp.front().Int("id");
                const auto rp_generation = rp.front().Int("generation");
                std::map<std::string, InventoryRecord> inventory;
                for (const auto& row : s.Query(
                         "SELECT i.`resource_class`, i.`total`, i.`reserved`, i.`min_unit`, i.`max_unit`,"
                         " i.`step_size`, i.`allocation_ratio`,"
                         " (SELECT COALESCE(SUM(a.`used`), 0) FROM `allocations` a"
                         "   WHERE a.`resource_provider_id` = i.`resource_provider_id`"
                         "   AND a.`resource_class` = i.`resource_class` AND a.`consumer_id` <> ?) AS `used`"
                         " FROM `inventories` i WHERE i.`resource_provider_id` = ?",
                         {consumer_uuid, rp_id})) {
                    auto inv = LoadInventory(row);
                    inventory.emplace(inv.resource_class, std::move(inv));
                }
                for (const auto& [cls, amount] : resources) {
                    auto it = inventory.find(cls);
                    if (it == inventory.end() || !it->second.Fits(amount)) return false;
                }
                if (group && !GroupPolicyHolds(s, *group, consumer_uuid, rp_id)) return false;
                WriteConsumer(s, consumer_uuid, project_id, user_id, now);
                // Every provider whose allocations change moves to a new generation, in id
                // order so that two claims never lock providers in opposite orders.
                auto touched = ConsumerProviders(s, consumer_uuid);
                // A new consumer has nothing to delete; a DELETE matching no row would take a
                // gap lock that two claims' INSERTs then deadlock on.
                const bool replacing = !touched.empty();
                touched[rp_id] = rp_generation;
                for (const auto& [id, generation] : touched) BumpProvider(s, id, generation, now);
                if (replacing) s.Execute("DELETE FROM `allocations` WHERE `consumer_id` = ?", {consumer_uuid});
                InsertAllocations(s, rp_id, consumer_uuid, resources, now);
                return true;
            });
            if (!fits) {
                NOVA_LOG_DEBUG(Log(), log::kNoContext,
                               "Claim for consumer {} does not fit on provider {}", consumer_uuid,
                               provider_uuid);
            }
            return fits;
        } catch (const GenerationConflict& c) {
            NOVA_LOG_DEBUG(Log(), log::kNoContext,
                           "Claim for consumer {} on provider {}: {} (attempt {} of {})",
                           consumer_uuid, provider_uuid, c.what, attempt, kClaimAttempts);
            BackOff(attempt);
        } catch (const DBDeadlock& e) {
            // A claim replacing a consumer's allocations on other providers can meet a
            // removal or another move locking them in the other order.
            NOVA_LOG_DEBUG(Log(), log::kNoContext,
                           "Claim for consumer {} on provider {}: {} (attempt {} of {})",
                           consumer_uuid, provider_uuid, e.what(), attempt, kClaimAttempts);
            BackOff(attempt);
        }
    }
    NOVA_LOG_WARN(Log(), log::kNoContext,
                  "Unable to submit allocation for instance {} on provider {}: too many "
                  "concurrent updates ({} attempts)",
                  consumer_uuid, provider_uuid, kClaimAttempts);
    return false;
}

bool Placement::ClaimAllocationRequest(const std::string& consumer_uuid,
                                       const std::string& project_id, const std::string& user_id,
                                       const std::string& allocation_request,
                                       const objects::InstanceGroup* group) {
    const auto request = Json::parse(allocation_request, nullptr, false);
    const auto bad = [&](const char* why) {
        return InvalidInput({{"reason", std::string("allocation request ") + why}});
    };
    if (!request.is_object() || !request.contains("allocations") || !request["allocations"].is_object()) {
        throw bad("has no allocations");
    }
    const auto& allocations = request["allocations"];
    if (allocations.size() != 1) throw bad("must name exactly one resource provider");
    const auto& [provider_uuid, body] = *allocations.items().begin();
    if (!body.is_object() || !body.contains("resources") || !body["resources"].is_object()) {
        throw bad("has no resources");
    }
    Resources resources;
    for (const auto& [cls, amount] : body["resources"].items()) {
        if (!amount.is_number_integer()) throw bad("has a resource amount that is not an integer");
        resources[cls] = amount.get<std::int64_t>();
    }
    return Claim(consumer_uuid, project_id, user_id, provider_uuid, resources, group);
}

void Placement::RemoveClaim(const std::string& consumer_uuid) {
    const auto now = Now(clock_);
    pool_.Transaction([&](db::Session& s) {
        // Row locks in id order; deletions only free capacity, so no generation check is
        // needed, but the bump tells concurrent claims their reads are stale.
        s.Execute("UPDATE `resource_providers` SET `generation` = `generation` + 1, `updated_at` = ?"
                  " WHERE `id` IN (SELECT `resource_provider_id` FROM `allocations` WHERE `consumer_id` = ?)"
                  " ORDER BY `id`",
                  {now, consumer_uuid});
        s.Execute("DELETE FROM `allocations` WHERE `consumer_id` = ?", {consumer_uuid});
        s.Execute("DELETE FROM `consumers` WHERE `uuid` = ?", {consumer_uuid});
    });
}

bool Placement::MoveAllocations(const std::string& source_consumer,
                                const std::string& target_consumer, bool replace_target) {
    for (int attempt = 1; attempt <= kClaimAttempts; ++attempt) {
        const auto now = Now(clock_);
        try {
            return pool_.Transaction([&](db::Session& s) {
                auto source = s.Query("SELECT `project_id`, `user_id` FROM `consumers` WHERE `uuid` = ?",
                                      {source_consumer});
                auto providers = ConsumerProviders(s, source_consumer);
                if (source.empty() || providers.empty()) return false;
                if (replace_target) {
                    auto target = ConsumerProviders(s, target_consumer);
                    if (!target.empty()) {
                        providers.insert(target.begin(), target.end());
                        s.Execute("DELETE FROM `allocations` WHERE `consumer_id` = ?", {target_consumer});
                    }
                } else if (!s.Query("SELECT 1 AS x FROM `allocations` WHERE `consumer_id` = ? LIMIT 1",
                                    {target_consumer})
                                .empty()) {
                    throw AllocationMoveFailed({{"source_consumer", source_consumer},
                                                {"target_consumer", target_consumer},
                                                {"error", "target consumer has allocations"}});
                }
                WriteConsumer(s, target_consumer, source.front().String("project_id"),
                              source.front().String("user_id"), now);
                for (const auto& [id, generation] : providers) BumpProvider(s, id, generation, now);
                s.Execute("UPDATE `allocations` SET `consumer_id` = ?, `updated_at` = ? WHERE `consumer_id` = ?",
                          {target_consumer, now, source_consumer});
                // A consumer without allocations is gone (placement deletes it too).
                s.Execute("DELETE FROM `consumers` WHERE `uuid` = ?", {source_consumer});
                return true;
            });
        } catch (const GenerationConflict& c) {
            NOVA_LOG_DEBUG(Log(), log::kNoContext, "Moving allocations of {} to {}: {} (attempt {})",
                           source_consumer, target_consumer, c.what, attempt);
        }
    }
    throw AllocationMoveFailed({{"source_consumer", source_consumer},
                                {"target_consumer", target_consumer},
                                {"error", "too many concurrent updates"}});
}

std::map<std::string, Resources> Placement::GetAllocations(const std::string& consumer_uuid) {
    std::map<std::string, Resources> out;
    for (const auto& row : pool_.Query("SELECT p.`uuid`, a.`resource_class`, a.`used` FROM `allocations` a"
                                       " JOIN `resource_providers` p ON p.`id` = a.`resource_provider_id`"
                                       " WHERE a.`consumer_id` = ?",
                                       {consumer_uuid})) {
        out[row.String("uuid")][row.String("resource_class")] += row.Int("used");
    }
    return out;
}

Resources Placement::GetUsages(const std::string& provider_uuid) {
    Resources out;
    for (const auto& row : pool_.Query("SELECT a.`resource_class`, SUM(a.`used`) AS `used` FROM `allocations` a"
                                       " JOIN `resource_providers` p ON p.`id` = a.`resource_provider_id`"
                                       " WHERE p.`uuid` = ? GROUP BY a.`resource_class`",
                                       {provider_uuid})) {
        out[row.String("resource_class")] = row.Int("used");
    }
    return out;
}

std::int64_t Placement::SetInventory(const std::string& provider_uuid, const std::string& name,
                                     std::optional<std::int64_t> generation,
                                     std::vector<InventoryRecord> inventory) {
    std::set<std::string> classes;
    for (auto& inv : inventory) {
        if (inv.max_unit == 0) inv.max_unit = inv.total;
        const bool valid = inv.total > 0 && inv.reserved >= 0 && inv.reserved <= inv.total &&
                           inv.min_unit >= 1 && inv.max_unit >= inv.min_unit &&
                           inv.step_size >= 1 && inv.allocation_ratio > 0 &&
                           classes.insert(inv.resource_class).second;
        if (!valid) {
            throw InvalidInventory({{"resource_class", inv.resource_class},
                                    {"resource_provider", provider_uuid}});
        }
    }
    const auto now = Now(clock_);
    return pool_.Transaction([&](db::Session& s) {
        auto rp = s.Query("SELECT `id`, `generation` FROM `resource_providers` WHERE `uuid` = ? FOR UPDATE",
                          {provider_uuid});
        std::int64_t id, current;
        if (rp.empty()) {
            s.Execute("INSERT INTO `resource_providers` (`uuid`, `name`, `generation`, `created_at`)"
                      " VALUES (?, ?, 0, ?)",
                      {provider_uuid, name, now});
            id = s.LastInsertId();
            s.Execute("UPDATE `resource_providers` SET `root_provider_id` = `id` WHERE `id` = ?", {id});
            current = 0;
        } else {
            id = rp.front().Int("id");
            current = rp.front().Int("generation");
        }
        if (generation && *generation != current) {
            throw ResourceProviderUpdateConflict({{"uuid", provider_uuid},
                                                  {"generation", *generation},
                                                  {"error", "resource provider generation conflict"}});
        }
        for (const auto& row : s.Query("SELECT DISTINCT `resource_class` FROM `allocations`"
                                       " WHERE `resource_provider_id` = ?",
                                       {id})) {
            const auto& cls = row.String("resource_class");
            if (!classes.contains(cls)) {
                throw InventoryInUse({{"resource_class", cls}, {"resource_provider", provider_uuid}});
            }
        }
        BumpProvider(s, id, current, now);
        s.Execute("DELETE FROM `inventories` WHERE `resource_provider_id` = ?", {id});
        for (const auto& inv : inventory) {
            s.Execute("INSERT INTO `inventories` (`resource_provider_id`, `resource_class`, `total`,"
                      " `reserved`, `min_unit`, `max_unit`, `step_size`, `allocation_ratio`, `created_at`)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      {id, inv.resource_class, inv.total, inv.reserved, inv.min_unit, inv.max_unit,
                       inv.step_size, inv.allocation_ratio, now});
        }
        return current + 1;
    });
}

}  // namespace nova::scheduler
