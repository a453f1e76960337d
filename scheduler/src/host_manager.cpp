#include "nova/scheduler/host_manager.hpp"

#include <algorithm>
#include <map>

#include "nova/common/log.hpp"
#include "nova/db/aggregate_store.hpp"
#include "nova/db/service_store.hpp"

namespace nova::scheduler {

namespace {
auto& Log() {
    static auto& log = log::Get("nova.scheduler.host_manager");
    return log;
}
}  // namespace

HostManager::HostManager(db::Pool& api, std::vector<CellDatabase> cells, const Clock& clock,
                         std::chrono::seconds cache_ttl)
    : api_(api), cells_(std::move(cells)), clock_(clock), ttl_(cache_ttl) {}

void HostManager::Invalidate() {
    std::lock_guard lock(mu_);
    ++epoch_;  // the current snapshot is refreshed before the next request uses it
}

void HostManager::Consume(const std::string& node_uuid, const objects::RequestSpec& spec) {
    AddConsumed(node_uuid, spec, 1);
}

void HostManager::Unconsume(const std::string& node_uuid, const objects::RequestSpec& spec) {
    AddConsumed(node_uuid, spec, -1);
}

void HostManager::AddConsumed(const std::string& node_uuid, const objects::RequestSpec& spec,
                              std::int64_t sign) {
    const auto& flavor = spec.flavor();
    std::lock_guard lock(consumed_mu_);
    auto it = consumed_.find(node_uuid);
    if (sign < 0 && it == consumed_.end()) return;  // already covered by a report
    auto& c = it != consumed_.end() ? it->second : consumed_[node_uuid];
    if (sign > 0) c.at = clock_.Now();
    c.ram_mb += sign * flavor.memory_mb();
    c.disk_mb += sign * (flavor.root_gb() + flavor.ephemeral_gb()) * 1024;
    c.vcpus += sign * flavor.vcpus();
    c.instances += sign;
    if (c.instances <= 0) consumed_.erase(node_uuid);
}

HostManager::ReadCounts HostManager::read_counts() const {
    std::lock_guard lock(mu_);
    return counts_;
}

HostManager::~HostManager() {
    std::thread t;
    {
        std::lock_guard lock(mu_);
        t = std::move(refresher_);
    }
    if (t.joinable()) t.join();
}

std::shared_ptr<const HostManager::Snapshot> HostManager::Current() {
    // Used with mu_ held.
    auto fresh = [&](const std::shared_ptr<const Snapshot>& s) {
        return s && s->epoch == epoch_ && ttl_.count() > 0 && clock_.Monotonic() - s->read_at < ttl_;
    };
    {
        std::lock_guard lock(mu_);
        if (fresh(snapshot_)) return snapshot_;
        if (snapshot_ && snapshot_->epoch == epoch_ && ttl_.count() > 0) {
            // Expired: serve it while a background thread reads the next one.
            if (!refreshing_) {
                refreshing_ = true;
                if (refresher_.joinable()) refresher_.join();  // the previous one has finished
                refresher_ = std::thread([this] {
                    std::shared_ptr<const Snapshot> next;
                    try {
                        std::lock_guard refresh(refresh_mu_);
                        next = Read();
                    } catch (const std::exception& e) {
                        NOVA_LOG_WARN(Log(), log::kNoContext,
                                      "Refreshing host states failed, keeping the previous ones: {}",
                                      e.what());
                    }
                    std::lock_guard installed(mu_);
                    if (next && (!snapshot_ || next->read_at >= snapshot_->read_at)) snapshot_ = std::move(next);
                    refreshing_ = false;
                });
            }
            return snapshot_;
        }
    }
    // No snapshot yet, an invalidated one, or no caching: read now. One thread reads; the
    // others wait for its snapshot instead of reading too.
    std::lock_guard refresh(refresh_mu_);
    {
        std::lock_guard lock(mu_);
        if (fresh(snapshot_)) return snapshot_;
    }
    auto s = Read();
    std::lock_guard lock(mu_);
    if (!snapshot_ || s->read_at >= snapshot_->read_at) snapshot_ = s;
    return s;
}

// Called with refresh_mu_ held.
std::shared_ptr<const HostManager::Snapshot> HostManager::Read() {
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->read_at = clock_.Monotonic();
    {
        std::lock_guard lock(mu_);
        snapshot->epoch = epoch_;
    }
    const WallTime started = clock_.Now();
    bool full = need_full_ || !last_read_started_ || !last_full_read_ ||
                started - *last_full_read_ >= kFullRefreshInterval || index_.size() != cells_.size();

    // Aggregates: few rows, read whole; when anything in them changed every host state
    // takes the new ones.
    db::AggregateStore aggregate_store(api_, clock_);
    std::map<std::string, std::vector<std::shared_ptr<const objects::Aggregate>>> aggregates_by_host;
    std::string aggregates_seen;
    for (auto& agg : aggregate_store.GetAll()) {
        aggregates_seen += agg.SerializeAsString();
        aggregates_seen += '\0';
        auto shared = std::make_shared<const objects::Aggregate>(std::move(agg));
        for (const auto& host : shared->hosts()) aggregates_by_host[host].push_back(shared);
    }
    const bool aggregates_changed = full || aggregates_seen != aggregates_seen_;

    for (int attempt = 0; attempt < 2; ++attempt) {
        if (full) index_.assign(cells_.size(), CellIndex{});
        if (aggregates_changed) aggregates_by_host_ = aggregates_by_host;
        bool need_full = false;
        const std::optional<WallTime> since =
            full ? std::nullopt : std::optional<WallTime>(*last_read_started_ - kRefreshOverlap);
        try {
            for (std::size_t c = 0; c < cells_.size() && !need_full; ++c) {
                RefreshCell(cells_[c], index_[c], since, aggregates_changed, need_full);
            }
        } catch (...) {
            need_full_ = true;  // the index may be half updated
            throw;
        }
        if (need_full && !full) {
            full = true;  // a service went away: its nodes' states need their records again
            continue;
        }
        break;
    }
    aggregates_seen_ = std::move(aggregates_seen);
    last_read_started_ = started;
    if (full) last_full_read_ = started;
    need_full_ = false;
    for (const auto& index : index_) {
        for (const auto& [id, state] : index.states) snapshot->hosts.push_back(state);
    }
    snapshot->by_uuid.reserve(snapshot->hosts.size());
    for (std::size_t i = 0; i < snapshot->hosts.size(); ++i) {
        snapshot->by_uuid.emplace(snapshot->hosts[i]->uuid, i);
    }
    {
        std::lock_guard lock(mu_);
        ++(full ? counts_.full : counts_.incremental);
    }
    NOVA_LOG_DEBUG(Log(), log::kNoContext, "Read {} host states from {} cell(s) ({})",
                   snapshot->hosts.size(), cells_.size(), full ? "full" : "incremental");
    return snapshot;
}

void HostManager::RefreshCell(const CellDatabase& cell, CellIndex& index,
                              std::optional<WallTime> since, bool aggregates_changed,
                              bool& need_full) {
    db::ServiceStore services(*cell.pool, clock_);
    db::ComputeNodeStore nodes(*cell.pool, clock_);
    std::set<std::string> dirty_hosts;
    std::set<std::int64_t> dirty_nodes;
    std::set<std::pair<std::string, std::string>> dirty_instances;

    for (auto& svc : since ? services.GetByBinaryChangedSince("nova-compute", *since)
                           : services.GetByBinary("nova-compute")) {
        if (svc.deleted()) {
            if (index.services.contains(svc.host())) need_full = true;
            continue;
        }
        dirty_hosts.insert(svc.host());
        auto host = svc.host();
        index.services.insert_or_assign(std::move(host), std::move(svc));
    }
    if (need_full) return;
    for (auto& node : since ? nodes.GetChangedSince(*since) : nodes.GetAll()) {
        const auto id = node.id();
        if (node.deleted()) {
            index.states.erase(id);
            index.orphans.erase(id);
            continue;
        }
        dirty_nodes.insert(id);
        index.orphans.insert_or_assign(id, std::move(node));  // built below
    }
    // Instances per (host, node): only what the filters need.
    std::string sql = "SELECT `uuid`, `host`, `node`, `deleted` FROM `instances`";
    db::Params params;
    if (since) {
        sql += " WHERE `created_at` >= ? OR `updated_at` >= ? OR `deleted_at` >= ?";
        params = {*since, *since, *since};
    } else {
        sql += " WHERE `deleted` = 0 AND `host` IS NOT NULL";
    }
    for (const auto& row : cell.pool->Query(sql, params)) {
        const auto uuid = row.String("uuid");
        if (auto it = index.instance_at.find(uuid); it != index.instance_at.end()) {
            dirty_instances.insert(it->second);
            index.instances[it->second].erase(uuid);
            index.instance_at.erase(it);
        }
        auto host = row.OptString("host");
        if (row.Int("deleted") != 0 || !host) continue;
        std::pair<std::string, std::string> key{*host, row.OptString("node").value_or("")};
        index.instances[key].insert(uuid);
        index.instance_at.emplace(uuid, key);
        dirty_instances.insert(std::move(key));
    }

    auto instances_of = [&](const HostState& h) {
        auto it = index.instances.find({h.host, h.nodename});
        return it == index.instances.end() ? std::set<std::string>{} : it->second;
    };
    auto aggregates_of = [&](const std::string& host) {
        auto it = aggregates_by_host_.find(host);
        return it == aggregates_by_host_.end() ? std::vector<std::shared_ptr<const objects::Aggregate>>{}
                                               : it->second;
    };
    // Nodes read now, and nodes that were waiting for their host's service.
    for (auto it = index.orphans.begin(); it != index.orphans.end();) {
        const auto& node = it->second;
        if (!dirty_nodes.contains(it->first) && !dirty_hosts.contains(node.host())) {
            ++it;
            continue;
        }
        auto svc = index.services.find(node.host());
        if (svc == index.services.end()) {
            NOVA_LOG_DEBUG(Log(), log::kNoContext, "No compute service record found for host {}",
                           node.host());
            index.states.erase(it->first);
            ++it;
            continue;
        }
        auto h = std::make_shared<HostState>();
        h->host = node.host();
        h->cell_uuid = cell.cell_uuid;
        h->UpdateFromComputeNode(node);
        h->UpdateFromService(svc->second);
        h->aggregates = aggregates_of(h->host);
        h->instances = instances_of(*h);
        index.states.insert_or_assign(it->first, std::move(h));
        it = index.orphans.erase(it);
    }
    // States whose service, instances or aggregates changed: a new copy (the old one may be
    // in a snapshot a request is using).
    if (dirty_hosts.empty() && dirty_instances.empty() && !aggregates_changed) return;
    for (auto& [id, state] : index.states) {
        if (dirty_nodes.contains(id)) continue;  // just built
        const bool service = dirty_hosts.contains(state->host);
        const bool instances = dirty_instances.contains({state->host, state->nodename});
        if (!service && !instances && !aggregates_changed) continue;
        auto h = std::make_shared<HostState>(*state);
        if (service) h->UpdateFromService(index.services.at(h->host));
        if (instances) h->instances = instances_of(*h);
        if (aggregates_changed) h->aggregates = aggregates_of(h->host);
        state = std::move(h);
    }
}

std::vector<HostState> HostManager::GetHostStates(const std::set<std::string>* node_uuids,
                                                  const objects::RequestSpec& spec) {
    auto snapshot = Current();
    std::vector<HostState> out;
    if (node_uuids) {
        // Looked up by uuid (not a scan of every host), copied in the snapshot's order.
        std::vector<std::size_t> picked;
        picked.reserve(node_uuids->size());
        for (const auto& uuid : *node_uuids) {
            if (auto it = snapshot->by_uuid.find(uuid); it != snapshot->by_uuid.end()) picked.push_back(it->second);
        }
        std::sort(picked.begin(), picked.end());
        out.reserve(picked.size());
        for (auto i : picked) out.push_back(*snapshot->hosts[i]);
    } else {
        out.reserve(snapshot->hosts.size());
        for (const auto& h : snapshot->hosts) out.push_back(*h);
    }
    {
        const auto now = clock_.Now();
        std::lock_guard lock(consumed_mu_);
        for (auto& h : out) {
            if (consumed_.empty()) break;
            auto it = consumed_.find(h.uuid);
            if (it == consumed_.end()) continue;
            // The record is in whole seconds: one written in a later second than the last
            // placement here was written after it (and counts what its compute claimed).
            if ((h.reported_at && *h.reported_at > it->second.at) || now - it->second.at > kConsumedTtl) {
                consumed_.erase(it);
                continue;
            }
            const auto& c = it->second;
            h.free_ram_mb -= c.ram_mb;
            h.free_disk_mb -= c.disk_mb;
            h.vcpus_used += c.vcpus;
            h.num_instances += c.instances;
            h.num_io_ops += c.instances;
        }
    }
    if (spec.has_instance_group() && spec.instance_group().members_size() > 0 && !out.empty()) {
        // Members placed by any scheduler hold allocations on their node's provider, even
        // before their instance records name a host.
        std::map<std::string, HostState*> by_uuid;
        for (auto& h : out) by_uuid[h.uuid] = &h;
        std::string sql =
            "SELECT DISTINCT a.`consumer_id`, p.`uuid` FROM `allocations` a"
            " JOIN `resource_providers` p ON p.`id` = a.`resource_provider_id`"
            " WHERE a.`consumer_id` IN (?";
        db::Params params;
        for (const auto& member : spec.instance_group().members()) {
            if (!params.empty()) sql += ", ?";
            params.emplace_back(member);
        }
        sql += ")";
        for (const auto& row : api_.Query(sql, params)) {
            if (auto it = by_uuid.find(row.String("uuid")); it != by_uuid.end()) {
                it->second->instances.insert(row.String("consumer_id"));
            }
        }
    }
    return out;
}

}  // namespace nova::scheduler
