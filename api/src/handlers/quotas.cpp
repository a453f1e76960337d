#include "quotas.hpp"

#include "cells.hpp"
#include "handlers.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/db/instance_group_store.hpp"
#include "nova/db/keypair_store.hpp"

namespace nova::api::handlers {

std::map<std::string, std::int64_t> QuotaLimits::Defaults() {
    auto limits = defaults_;
    for (const auto& [resource, limit] : store_.GetClassLimits("default")) {
        if (limits.contains(resource)) limits[resource] = limit;
    }
    return limits;
}

std::map<std::string, std::int64_t> QuotaLimits::ForProject(const std::string& project_id,
                                                            const std::optional<std::string>& user_id) {
    auto limits = Defaults();
    for (const auto& [resource, limit] : store_.GetAllByProject(project_id)) {
        if (limits.contains(resource)) limits[resource] = limit;
    }
    if (user_id) {
        for (const auto& [resource, limit] : store_.GetAllByProjectAndUser(project_id, *user_id)) {
            if (limits.contains(resource)) limits[resource] = limit;
        }
    }
    return limits;
}

QuotaLimits::ForUserResult QuotaLimits::ForUser(const std::string& project_id, const std::string& user_id) {
    auto levels = store_.GetLevels(project_id, user_id);
    ForUserResult out;
    out.limits = defaults_;
    for (const auto* level : {&levels.default_class, &levels.project, &levels.user}) {
        for (const auto& [resource, limit] : *level) {
            if (out.limits.contains(resource)) out.limits[resource] = limit;
        }
    }
    for (const auto& [resource, limit] : levels.user) {
        if (resource == "instances" || resource == "cores" || resource == "ram") out.per_user_instances = true;
    }
    return out;
}

std::map<std::string, std::int64_t> QuotaUsage(HandlerDeps& deps, const std::string& project_id,
                                               const std::optional<std::string>& user_id,
                                               const std::string& keypair_user) {
    std::map<std::string, std::int64_t> used;
    for (const auto& [resource, limit] : deps.options.quota_defaults) used[resource] = 0;
    // Every cell, cell0 included: an instance buried there (no valid host) still counts, as
    // in Nova's count across all cells.
    for (auto& cell : deps.cells->All(/*include_cell0=*/true)) {
        auto usage = db::InstanceStore(*cell.pool, deps.clock).CountUsage(project_id, user_id);
        used["instances"] += usage.instances;
        used["cores"] += usage.cores;
        used["ram"] += usage.ram;
    }
    used["key_pairs"] = db::KeyPairStore(*deps.api_db, deps.clock).CountByUser(keypair_user);
    used["server_groups"] = static_cast<std::int64_t>(
        db::InstanceGroupStore(*deps.api_db, deps.clock).GetByProject(project_id).size());
    return used;
}

}  // namespace nova::api::handlers
