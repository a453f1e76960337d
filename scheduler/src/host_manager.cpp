#include "nova/scheduler/host_manager.hpp"

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
    snapshot_.reset();
    ++epoch_;  // a refresh in flight read before this: its result is dropped
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
    auto fresh = [&](const std::shared_ptr<const Snapshot>& s) {
        return s && ttl_.count() > 0 && clock_.Monotonic() - s->read_at < ttl_;
    };
    {
        std::lock_guard lock(mu_);
        if (fresh(snapshot_)) return snapshot_;
        if (snapshot_ && ttl_.count() > 0) {
            // Expired: serve it while a background thread reads the next one.
            if (!refreshing_) {
                refreshing_ = true;
                if (refresher_.joinable()) refresher_.join();  // the previous one has finished
                refresher_ = std::thread([this, epoch = epoch_] {
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
                    if (next && epoch == epoch_) snapshot_ = std::move(next);
                    refreshing_ = false;
                });
            }
            return snapshot_;
        }
    }
    // No snapshot yet (or no caching): read now. One thread reads; the others wait for its
    // snapshot instead of reading too.
    std::lock_guard refresh(refresh_mu_);
    {
        std::lock_guard lock(mu_);
        if (fresh(snapshot_)) return snapshot_;
    }
    auto s = Read();
    std::lock_guard lock(mu_);
    snapshot_ = s;
    return s;
}

std::shared_ptr<const HostManager::Snapshot> HostManager::Read() {
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->read_at = clock_.Monotonic();
    db::AggregateStore aggregate_store(api_, clock_);
    std::map<std::string, std::vector<std::shared_ptr<const objects::Aggregate>>> aggregates_by_host;
    for (auto& agg : aggregate_store.GetAll()) {
        auto shared = std::make_shared<const objects::Aggregate>(std::move(agg));
        for (const auto& host : shared->hosts()) aggregates_by_host[host].push_back(shared);
    }
    for (const auto& cell : cells_) {
        db::ServiceStore services(*cell.pool, clock_);
        db::ComputeNodeStore nodes(*cell.pool, clock_);
        std::map<std::string, objects::Service> compute_services;
        for (auto& svc : services.GetByBinary("nova-compute")) {
            auto host = svc.host();
            compute_services.emplace(std::move(host), std::move(svc));
        }
        // Instances per (host, node): only what the filters need.
        std::map<std::pair<std::string, std::string>, std::set<std::string>> instances;
        for (const auto& row : cell.pool->Query(
                 "SELECT `uuid`, `host`, `node` FROM `instances`"
                 " WHERE `deleted` = 0 AND `host` IS NOT NULL")) {
            instances[{row.String("host"), row.OptString("node").value_or("")}].insert(row.String("uuid"));
        }
        for (const auto& node : nodes.GetAll()) {
            auto svc = compute_services.find(node.host());
            if (svc == compute_services.end()) {
                NOVA_LOG_DEBUG(Log(), log::kNoContext,
                               "No compute service record found for host {}", node.host());
                continue;
            }
            HostState h;
            h.host = node.host();
            h.cell_uuid = cell.cell_uuid;
            h.UpdateFromComputeNode(node);
            h.UpdateFromService(svc->second);
            if (auto it = aggregates_by_host.find(h.host); it != aggregates_by_host.end()) {
                h.aggregates = it->second;
            }
            if (auto it = instances.find({h.host, h.nodename}); it != instances.end()) {
                h.instances = it->second;
            }
            snapshot->hosts.push_back(std::move(h));
        }
    }
    NOVA_LOG_DEBUG(Log(), log::kNoContext, "Read {} host states from {} cell(s)",
                   snapshot->hosts.size(), cells_.size());
    return snapshot;
}

std::vector<HostState> HostManager::GetHostStates(const std::set<std::string>* node_uuids,
                                                  const objects::RequestSpec& spec) {
    auto snapshot = Current();
    std::vector<HostState> out;
    out.reserve(node_uuids ? node_uuids->size() : snapshot->hosts.size());
    for (const auto& h : snapshot->hosts) {
        if (!node_uuids || node_uuids->contains(h.uuid)) out.push_back(h);
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
