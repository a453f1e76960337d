#include "nova/db/placement_store.hpp"

#include "nova/common/error.hpp"
#include "object_table.hpp"

namespace nova::db {

using detail::ObjectTable;

namespace {

const ObjectTable& Providers() {
    static const ObjectTable t("resource_providers", *objects::ResourceProvider::descriptor(),
                               {"id", "uuid", "name", "generation", "created_at", "updated_at"});
    return t;
}

const ObjectTable& Inventories() {
    static const ObjectTable t("inventories", *objects::Inventory::descriptor(),
                               {"id", "resource_class", "total", "reserved", "min_unit", "max_unit",
                                "step_size", "allocation_ratio", "created_at", "updated_at"});
    return t;
}

std::string ProviderSelect(std::string_view where) {
    return "SELECT " + Providers().SelectList("p") +
           ", root.`uuid` AS `root_provider_uuid`, parent.`uuid` AS `parent_provider_uuid`"
           " FROM `resource_providers` p"
           " LEFT JOIN `resource_providers` root ON root.`id` = p.`root_provider_id`"
           " LEFT JOIN `resource_providers` parent ON parent.`id` = p.`parent_provider_id` " +
           std::string(where);
}

std::vector<objects::ResourceProvider> LoadProviders(const Rows& rows) {
    std::vector<objects::ResourceProvider> out;
    for (const auto& row : rows) {
        objects::ResourceProvider rp;
        Providers().Load(row, rp);
        rp.set_root_provider_uuid(row.OptString("root_provider_uuid").value_or(rp.uuid()));
        if (auto parent = row.OptString("parent_provider_uuid")) {
            rp.set_parent_provider_uuid(*parent);
        } else {
            objects::SetNull(rp, "parent_provider_uuid");
        }
        objects::ResetChanges(rp);
        out.push_back(std::move(rp));
    }
    return out;
}

objects::ResourceProvider ProviderIn(Session& s, const std::string& uuid, bool lock) {
    auto rows = s.Query(ProviderSelect(std::string("WHERE p.`uuid` = ?") + (lock ? " FOR UPDATE" : "")), {uuid});
    if (rows.empty()) throw ResourceProviderNotFound({{"name_or_uuid", uuid}});
    return LoadProviders(rows).front();
}

// Bumps the generation if it is still `seen`; a conflict otherwise.
void BumpProvider(Session& s, const std::string& uuid, std::int64_t seen, WallTime now) {
    if (s.Execute("UPDATE `resource_providers` SET `generation` = `generation` + 1, `updated_at` = ?"
                  " WHERE `uuid` = ? AND `generation` = ?",
                  {now, uuid, seen}) == 0) {
        throw ResourceProviderUpdateConflict(
            {{"uuid", uuid}, {"generation", seen}, {"error", "resource provider generation conflict"}});
    }
}

std::vector<objects::Allocation> LoadAllocations(Session& s, std::string_view where, const Params& params) {
    auto rows = s.Query(
        "SELECT a.`id`, a.`resource_class`, a.`used`, a.`created_at`, a.`updated_at`,"
        " p.`uuid` AS `rp_uuid`, p.`generation` AS `rp_generation`, p.`name` AS `rp_name`,"
        " a.`consumer_id`, c.`project_id`, c.`user_id`, c.`generation` AS `c_generation`"
        " FROM `allocations` a JOIN `resource_providers` p ON p.`id` = a.`resource_provider_id`"
        " LEFT JOIN `consumers` c ON c.`uuid` = a.`consumer_id` " + std::string(where) + " ORDER BY a.`id`",
        params);
    std::vector<objects::Allocation> out;
    for (const auto& row : rows) {
        objects::Allocation a;
        a.set_id(row.Int("id"));
        a.set_resource_class(row.String("resource_class"));
        a.set_used(row.Int("used"));
        auto* rp = a.mutable_resource_provider();
        rp->set_uuid(row.String("rp_uuid"));
        rp->set_generation(row.Int("rp_generation"));
        if (auto name = row.OptString("rp_name")) rp->set_name(*name);
        auto* c = a.mutable_consumer();
        c->set_uuid(row.String("consumer_id"));
        if (auto p = row.OptString("project_id")) c->set_project_id(*p);
        if (auto u = row.OptString("user_id")) c->set_user_id(*u);
        if (auto g = row.OptInt("c_generation")) c->set_generation(*g);
        objects::ResetChanges(a, true);
        out.push_back(std::move(a));
    }
    return out;
}

}  // namespace

void PlacementStore::CreateProvider(objects::ResourceProvider& provider) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        provider.set_generation(0);
        ObjectTable::Extra extra;
        std::optional<objects::ResourceProvider> parent;
        if (provider.has_parent_provider_uuid()) {
            parent = ProviderIn(s, provider.parent_provider_uuid(), false);
            auto ids = s.Query("SELECT `id`, `root_provider_id` FROM `resource_providers` WHERE `uuid` = ?",
                               {provider.parent_provider_uuid()});
            extra.emplace_back("parent_provider_id", ids.front().Int("id"));
            extra.emplace_back("root_provider_id", ids.front().Int("root_provider_id"));
        }
        provider.set_id(Providers().Insert(s, provider, now, extra));
        if (!parent) {
            s.Execute("UPDATE `resource_providers` SET `root_provider_id` = `id` WHERE `id` = ?", {provider.id()});
            provider.set_root_provider_uuid(provider.uuid());
            objects::SetNull(provider, "parent_provider_uuid");
        } else {
            provider.set_root_provider_uuid(parent->root_provider_uuid());
        }
    });
    objects::ResetChanges(provider);
}

objects::ResourceProvider PlacementStore::GetProvider(const std::string& uuid) {
    return pool_.Transaction([&](Session& s) { return ProviderIn(s, uuid, false); });
}

std::vector<objects::ResourceProvider> PlacementStore::GetProviders() {
    return LoadProviders(pool_.Query(ProviderSelect("ORDER BY p.`id`")));
}

void PlacementStore::DeleteProvider(const std::string& uuid) {
    pool_.Transaction([&](Session& s) {
        auto rp = ProviderIn(s, uuid, true);
        if (!s.Query("SELECT 1 AS x FROM `allocations` WHERE `resource_provider_id` = ? LIMIT 1", {rp.id()})
                 .empty()) {
            throw ResourceProviderInUse();
        }
        s.Execute("DELETE FROM `inventories` WHERE `resource_provider_id` = ?", {rp.id()});
        s.Execute("DELETE FROM `resource_providers` WHERE `id` = ?", {rp.id()});
    });
}

void PlacementStore::SetInventories(objects::ResourceProvider& provider,
                                    const std::vector<objects::Inventory>& inventories) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        auto current = ProviderIn(s, provider.uuid(), true);
        BumpProvider(s, provider.uuid(), provider.generation(), now);
        s.Execute("DELETE FROM `inventories` WHERE `resource_provider_id` = ?", {current.id()});
        for (auto inv : inventories) {
            Inventories().Insert(s, inv, now, {{"resource_provider_id", current.id()}});
        }
    });
    provider.set_generation(provider.generation() + 1);
    objects::ResetChanges(provider);
}

std::vector<objects::Inventory> PlacementStore::GetInventories(const std::string& provider_uuid) {
    return pool_.Transaction([&](Session& s) {
        auto rp = ProviderIn(s, provider_uuid, false);
        auto list = detail::LoadAll<objects::Inventory>(
            Inventories(), s.Query(Inventories().Select("WHERE `resource_provider_id` = ? ORDER BY `resource_class`"),
                                   {rp.id()}));
        for (auto& inv : list) {
            *inv.mutable_resource_provider() = rp;
            objects::ResetChanges(inv, true);
        }
        return list;
    });
}

void PlacementStore::ReplaceAllocations(const objects::Consumer& consumer,
                                        std::optional<std::int64_t> consumer_generation,
                                        const std::vector<objects::Allocation>& allocations) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        // The consumer: created at generation 0, or bumped if still at the generation seen.
        if (!consumer_generation) {
            try {
                s.Execute("INSERT INTO `consumers` (`uuid`, `project_id`, `user_id`, `generation`, `created_at`)"
                          " VALUES (?, ?, ?, 0, ?)",
                          {consumer.uuid(), consumer.project_id(), consumer.user_id(), now});
            } catch (const DBDuplicateEntry&) {
                throw ConcurrentUpdateDetected();
            }
        } else if (s.Execute("UPDATE `consumers` SET `generation` = `generation` + 1, `updated_at` = ?"
                             " WHERE `uuid` = ? AND `generation` = ?",
                             {now, consumer.uuid(), *consumer_generation}) == 0) {
            throw ConcurrentUpdateDetected();
        }
        // Every provider touched, old or new, moves to a new generation.
        std::map<std::string, std::int64_t> seen;
        for (const auto& a : allocations) seen[a.resource_provider().uuid()] = a.resource_provider().generation();
        for (const auto& row : s.Query("SELECT DISTINCT p.`uuid`, p.`generation` FROM `allocations` a"
                                       " JOIN `resource_providers` p ON p.`id` = a.`resource_provider_id`"
                                       " WHERE a.`consumer_id` = ?",
                                       {consumer.uuid()})) {
            seen.emplace(row.String("uuid"), row.Int("generation"));
        }
        for (const auto& [uuid, generation] : seen) BumpProvider(s, uuid, generation, now);
        s.Execute("DELETE FROM `allocations` WHERE `consumer_id` = ?", {consumer.uuid()});
        for (const auto& a : allocations) {
            auto rp = s.Query("SELECT `id` FROM `resource_providers` WHERE `uuid` = ?", {a.resource_provider().uuid()});
            s.Execute("INSERT INTO `allocations` (`resource_provider_id`, `consumer_id`, `resource_class`, `used`,"
                      " `created_at`) VALUES (?, ?, ?, ?, ?)",
                      {rp.front().Int("id"), consumer.uuid(), a.resource_class(), a.used(), now});
        }
    });
}

std::vector<objects::Allocation> PlacementStore::GetAllocationsForConsumer(const std::string& consumer_uuid) {
    return pool_.Transaction([&](Session& s) { return LoadAllocations(s, "WHERE a.`consumer_id` = ?", {consumer_uuid}); });
}

std::vector<objects::Allocation> PlacementStore::GetAllocationsForProvider(const std::string& provider_uuid) {
    return pool_.Transaction([&](Session& s) { return LoadAllocations(s, "WHERE p.`uuid` = ?", {provider_uuid}); });
}

std::map<std::string, std::int64_t> PlacementStore::GetUsages(const std::string& provider_uuid) {
    std::map<std::string, std::int64_t> out;
    for (const auto& row : pool_.Query("SELECT a.`resource_class`, SUM(a.`used`) AS used FROM `allocations` a"
                                       " JOIN `resource_providers` p ON p.`id` = a.`resource_provider_id`"
                                       " WHERE p.`uuid` = ? GROUP BY a.`resource_class`",
                                       {provider_uuid})) {
        out[row.String("resource_class")] = row.Int("used");
    }
    return out;
}

void PlacementStore::DeleteAllocations(const std::string& consumer_uuid) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        s.Execute("UPDATE `resource_providers` SET `generation` = `generation` + 1, `updated_at` = ?"
                  " WHERE `id` IN (SELECT `resource_provider_id` FROM `allocations` WHERE `consumer_id` = ?)",
                  {now, consumer_uuid});
        s.Execute("DELETE FROM `allocations` WHERE `consumer_id` = ?", {consumer_uuid});
        s.Execute("DELETE FROM `consumers` WHERE `uuid` = ?", {consumer_uuid});
    });
}

}  // namespace nova::db
