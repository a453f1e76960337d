#include "nova/db/cell_mapping_store.hpp"

#include "nova/common/error.hpp"
#include "object_table.hpp"

namespace nova::db {

using detail::ObjectTable;

namespace {

const ObjectTable& Cells() {
    static const ObjectTable t("cell_mappings", *objects::CellMapping::descriptor(),
                               {"id", "uuid", "name", "transport_url", "database_connection",
                                "disabled", "created_at", "updated_at"});
    return t;
}
const ObjectTable& Hosts() {
    static const ObjectTable t("host_mappings", *objects::HostMapping::descriptor(),
                               {"id", "host", "created_at", "updated_at"});
    return t;
}
const ObjectTable& Instances() {
    static const ObjectTable t("instance_mappings", *objects::InstanceMapping::descriptor(),
                               {"id", "instance_uuid", "project_id", "user_id",
                                "queued_for_delete", "created_at", "updated_at"});
    return t;
}

// A mapping row joined with its cell: "m" is the mapping, "c_*" the cell's columns.
std::string CellColumns() {
    return "c.`id` AS `c_id`, c.`uuid` AS `c_uuid`, c.`name` AS `c_name`,"
           " c.`transport_url` AS `c_transport_url`,"
           " c.`database_connection` AS `c_database_connection`, c.`disabled` AS `c_disabled`,"
           " c.`created_at` AS `c_created_at`, c.`updated_at` AS `c_updated_at`";
}

objects::CellMapping CellFromPrefixed(const Row& row) {
    // Re-label the c_ columns as the cell's field names and load them the usual way.
    auto columns = std::make_shared<std::vector<std::string>>();
    std::vector<std::optional<std::string>> values;
    for (std::size_t i = 0; i < row.columns().size(); ++i) {
        const auto& name = row.columns()[i];
        if (name.rfind("c_", 0) == 0) {
            columns->push_back(name.substr(2));
            values.push_back(row.value(i));
        }
    }
    objects::CellMapping cell;
    Cells().Load(Row(columns, std::move(values)), cell);
    objects::ResetChanges(cell);
    return cell;
}

std::int64_t CellId(Session& s, const objects::CellMapping& cell) {
    if (cell.has_id()) return cell.id();
    auto rows = s.Query("SELECT `id` FROM `cell_mappings` WHERE `uuid` = ?", {cell.uuid()});
    if (rows.empty()) throw CellMappingNotFound({{"uuid", cell.uuid()}});
    return rows.front().Int("id");
}

template <class T>
std::vector<T> LoadMapped(const ObjectTable& table, const Rows& rows, bool cell_may_be_null) {
    std::vector<T> out;
    for (const auto& row : rows) {
        T m;
        table.Load(row, m);
        if (!row.IsNull("c_id")) {
            *m.mutable_cell_mapping() = CellFromPrefixed(row);
        } else if (cell_may_be_null) {
            objects::SetNull(m, "cell_mapping");
        }
        objects::ResetChanges(m, true);
        out.push_back(std::move(m));
    }
    return out;
}

std::string MappingSelect(const ObjectTable& table, std::string_view rest) {
    return "SELECT " + table.SelectList("m") + ", " + CellColumns() + " FROM `" + table.table() +
           "` m LEFT JOIN `cell_mappings` c ON c.`id` = m.`cell_id` " + std::string(rest);
}

}  // namespace

// --- cells ------------------------------------------------------------------------------------
void CellMappingStore::Create(objects::CellMapping& cell) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) { cell.set_id(Cells().Insert(s, cell, now)); });
    objects::ResetChanges(cell);
}

objects::CellMapping CellMappingStore::GetByUuid(const std::string& uuid) {
    auto rows = pool_.Query(Cells().Select("WHERE `uuid` = ?"), {uuid});
    if (rows.empty()) throw CellMappingNotFound({{"uuid", uuid}});
    return detail::LoadAll<objects::CellMapping>(Cells(), rows).front();
}

std::vector<objects::CellMapping> CellMappingStore::GetAll() {
    return detail::LoadAll<objects::CellMapping>(Cells(), pool_.Query(Cells().Select("ORDER BY `id`")));
}

void CellMappingStore::Save(objects::CellMapping& cell) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        if (Cells().Update(s, cell, objects::WhatChanged(cell), now, "`uuid` = ?", {cell.uuid()}) == 0) {
            throw CellMappingNotFound({{"uuid", cell.uuid()}});
        }
    });
    objects::ResetChanges(cell);
}

void CellMappingStore::Destroy(const std::string& uuid) {
    pool_.Transaction([&](Session& s) {
        if (s.Execute("DELETE FROM `cell_mappings` WHERE `uuid` = ?", {uuid}) == 0) {
            throw CellMappingNotFound({{"uuid", uuid}});
        }
    });
}

// --- hosts ----------------------------------------------------------------------------------------
void HostMappingStore::Create(objects::HostMapping& mapping) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        try {
            mapping.set_id(Hosts().Insert(s, mapping, now,
                                          {{"cell_id", CellId(s, mapping.cell_mapping())}}));
        } catch (const DBDuplicateEntry&) {
            throw HostMappingExists({{"name", mapping.host()}});
        }
    });
    objects::ResetChanges(mapping, true);
}

objects::HostMapping HostMappingStore::GetByHost(const std::string& host) {
    auto rows = pool_.Query(MappingSelect(Hosts(), "WHERE m.`host` = ?"), {host});
    if (rows.empty()) throw HostMappingNotFound({{"name", host}});
    return LoadMapped<objects::HostMapping>(Hosts(), rows, false).front();
}

std::vector<objects::HostMapping> HostMappingStore::GetAll() {
    return LoadMapped<objects::HostMapping>(Hosts(), pool_.Query(MappingSelect(Hosts(), "ORDER BY m.`id`")),
                                            false);
}

std::vector<objects::HostMapping> HostMappingStore::GetByCell(const std::string& cell_uuid) {
    return LoadMapped<objects::HostMapping>(
        Hosts(), pool_.Query(MappingSelect(Hosts(), "WHERE c.`uuid` = ? ORDER BY m.`id`"), {cell_uuid}),
        false);
}

void HostMappingStore::Save(objects::HostMapping& mapping) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        auto changed = objects::WhatChanged(mapping);
        ObjectTable::Extra extra;
        if (changed.contains("cell_mapping")) extra.emplace_back("cell_id", CellId(s, mapping.cell_mapping()));
        if (Hosts().Update(s, mapping, changed, now, "`host` = ?", {mapping.host()}, extra) == 0) {
            throw HostMappingNotFound({{"name", mapping.host()}});
        }
    });
    objects::ResetChanges(mapping, true);
}

void HostMappingStore::Destroy(const std::string& host) {
    pool_.Transaction([&](Session& s) {
        if (s.Execute("DELETE FROM `host_mappings` WHERE `host` = ?", {host}) == 0) {
            throw HostMappingNotFound({{"name", host}});
        }
    });
}

// --- instances ----------------------------------------------------------------------------------
void InstanceMappingStore::Create(objects::InstanceMapping& mapping) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) { Create(s, mapping, now); });
}

void InstanceMappingStore::Create(Session& s, objects::InstanceMapping& mapping, WallTime now) {
    ObjectTable::Extra extra;
    if (mapping.has_cell_mapping()) extra.emplace_back("cell_id", CellId(s, mapping.cell_mapping()));
    mapping.set_id(Instances().Insert(s, mapping, now, extra));
    if (!mapping.has_cell_mapping()) objects::SetNull(mapping, "cell_mapping");
    objects::ResetChanges(mapping, true);
}

void InstanceMappingStore::CreateMany(Session& s, const std::vector<objects::InstanceMapping*>& mappings,
                                      WallTime now) {
    std::vector<objects::Message*> unplaced;
    for (auto* mapping : mappings) {
        if (mapping->has_cell_mapping()) {
            Create(s, *mapping, now);
        } else {
            unplaced.push_back(mapping);
        }
    }
    if (unplaced.empty()) return;
    Instances().InsertMany(s, unplaced, now);
    for (auto* mapping : unplaced) {
        objects::SetNull(*mapping, "cell_mapping");
        objects::ResetChanges(*mapping, true);
    }
}

objects::InstanceMapping InstanceMappingStore::GetByInstanceUuid(const std::string& uuid) {
    auto rows = pool_.Query(MappingSelect(Instances(), "WHERE m.`instance_uuid` = ?"), {uuid});
    if (rows.empty()) throw InstanceMappingNotFound({{"uuid", uuid}});
    return LoadMapped<objects::InstanceMapping>(Instances(), rows, true).front();
}

std::vector<objects::InstanceMapping> InstanceMappingStore::GetByProject(const std::string& project_id) {
    return LoadMapped<objects::InstanceMapping>(
        Instances(), pool_.Query(MappingSelect(Instances(), "WHERE m.`project_id` = ? ORDER BY m.`id`"),
                                 {project_id}),
        true);
}

std::vector<objects::InstanceMapping> InstanceMappingStore::GetByCell(const std::string& cell_uuid) {
    return LoadMapped<objects::InstanceMapping>(
        Instances(), pool_.Query(MappingSelect(Instances(), "WHERE c.`uuid` = ? ORDER BY m.`id`"), {cell_uuid}),
        true);
}

void InstanceMappingStore::Save(objects::InstanceMapping& mapping) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        auto changed = objects::WhatChanged(mapping);
        ObjectTable::Extra extra;
        if (changed.contains("cell_mapping")) {
            extra.emplace_back("cell_id", mapping.has_cell_mapping()
                                              ? Param(CellId(s, mapping.cell_mapping()))
                                              : Param(nullptr));
        }
        if (Instances().Update(s, mapping, changed, now, "`instance_uuid` = ?",
                               {mapping.instance_uuid()}, extra) == 0) {
            throw InstanceMappingNotFound({{"uuid", mapping.instance_uuid()}});
        }
    });
    objects::ResetChanges(mapping, true);
}

void InstanceMappingStore::SetCell(const std::string& instance_uuid, const objects::CellMapping& cell) {
    auto now = detail::FloorNow(clock_);
    // One statement in autocommit (the cell read from the database carries its id).
    pool_.AutoCommit([&](Session& s) {
        if (s.Execute("UPDATE `instance_mappings` SET `cell_id` = ?, `updated_at` = ? WHERE `instance_uuid` = ?",
                      {CellId(s, cell), now, instance_uuid}) == 0) {
            throw InstanceMappingNotFound({{"uuid", instance_uuid}});
        }
    });
}

void InstanceMappingStore::Destroy(const std::string& instance_uuid) {
    pool_.Transaction([&](Session& s) {
        if (s.Execute("DELETE FROM `instance_mappings` WHERE `instance_uuid` = ?", {instance_uuid}) == 0) {
            throw InstanceMappingNotFound({{"uuid", instance_uuid}});
        }
    });
}

}  // namespace nova::db
