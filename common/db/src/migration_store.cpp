#include "nova/db/migration_store.hpp"

#include "nova/common/error.hpp"
#include "object_table.hpp"

namespace nova::db {

using detail::Placeholders;

namespace {

const detail::ObjectTable& Migrations() {
    static const detail::ObjectTable t(
        "migrations", *objects::Migration::descriptor(),
        {"id", "uuid", "source_compute", "dest_compute", "source_node", "dest_node", "dest_host",
         "old_instance_type_id", "new_instance_type_id", "instance_uuid", "status", "migration_type",
         "hidden", "memory_total", "memory_processed", "memory_remaining", "disk_total",
         "disk_processed", "disk_remaining", "cross_cell_move", "user_id", "project_id",
         "created_at", "updated_at", "deleted_at", "deleted"});
    return t;
}

// Nova's migration states that count as finished (nova/db/main/api.py).
constexpr const char* kFinished =
    "('accepted', 'confirmed', 'reverted', 'error', 'failed', 'completed', 'cancelled', 'done')";

}  // namespace

void MigrationStore::Create(objects::Migration& migration) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        migration.set_id(Migrations().Insert(s, migration, now, {{"deleted", std::int64_t{0}}}));
    });
    migration.set_deleted(false);
    objects::ResetChanges(migration);
}

objects::Migration MigrationStore::GetById(std::int64_t id) {
    auto rows = pool_.Query(Migrations().Select("WHERE `id` = ? AND `deleted` = 0"), {id});
    if (rows.empty()) throw MigrationNotFound({{"migration_id", id}});
    return detail::LoadAll<objects::Migration>(Migrations(), rows).front();
}

objects::Migration MigrationStore::GetByUuid(const std::string& uuid) {
    auto rows = pool_.Query(Migrations().Select("WHERE `uuid` = ? AND `deleted` = 0"), {uuid});
    if (rows.empty()) throw MigrationNotFound({{"migration_id", uuid}});
    return detail::LoadAll<objects::Migration>(Migrations(), rows).front();
}

objects::Migration MigrationStore::GetByInstanceAndStatus(const std::string& instance_uuid,
                                                          const std::string& status) {
    auto rows = pool_.Query(Migrations().Select("WHERE `instance_uuid` = ? AND `status` = ? AND `deleted` = 0"
                                                " ORDER BY `created_at` DESC, `id` DESC LIMIT 1"),
                            {instance_uuid, status});
    if (rows.empty()) throw MigrationNotFoundByStatus({{"instance_id", instance_uuid}, {"status", status}});
    return detail::LoadAll<objects::Migration>(Migrations(), rows).front();
}

std::vector<objects::Migration> MigrationStore::GetByFilters(const MigrationFilters& f) {
    std::string where = "WHERE `deleted` = 0";
    Params params;
    auto eq = [&](const char* column, const std::optional<std::string>& v) {
        if (!v) return;
        where += std::string(" AND `") + column + "` = ?";
        params.emplace_back(*v);
    };
    eq("instance_uuid", f.instance_uuid);
    eq("migration_type", f.migration_type);
    eq("source_compute", f.source_compute);
    if (f.host && f.node) {
        where += " AND ((`source_compute` = ? AND `source_node` = ?) OR (`dest_compute` = ? AND `dest_node` = ?))";
        params.insert(params.end(), {*f.host, *f.node, *f.host, *f.node});
    } else if (f.host) {
        where += " AND (`source_compute` = ? OR `dest_compute` = ?)";
        params.insert(params.end(), {*f.host, *f.host});
    }
    if (!f.statuses.empty()) {
        where += " AND `status` IN (" + Placeholders(f.statuses.size()) + ")";
        for (const auto& st : f.statuses) params.emplace_back(st);
    }
    if (f.hidden) {
        where += " AND `hidden` = ?";
        params.emplace_back(*f.hidden);
    }
    return detail::LoadAll<objects::Migration>(
        Migrations(), pool_.Query(Migrations().Select(where + " ORDER BY `created_at` DESC, `id` DESC"), params));
}

std::vector<objects::Migration> MigrationStore::GetInProgressByHostAndNode(const std::string& host,
                                                                           const std::string& node) {
    return detail::LoadAll<objects::Migration>(
        Migrations(),
        pool_.Query(Migrations().Select(std::string("WHERE `deleted` = 0 AND `status` NOT IN ") + kFinished +
                                        " AND ((`source_compute` = ? AND `source_node` = ?)"
                                        " OR (`dest_compute` = ? AND `dest_node` = ?)) ORDER BY `id`"),
                    {host, node, host, node}));
}

void MigrationStore::Save(objects::Migration& migration) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        if (Migrations().Update(s, migration, objects::WhatChanged(migration), now, "`id` = ? AND `deleted` = 0",
                                {migration.id()}) == 0) {
            throw MigrationNotFound({{"migration_id", migration.id()}});
        }
    });
    objects::ResetChanges(migration);
}

}  // namespace nova::db
