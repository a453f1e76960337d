#include "nova/db/instance_store.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "nova/common/error.hpp"
#include "nova/db/tag_store.hpp"
#include "nova/objects/instance_fault.pb.h"
#include "nova/objects/instance_info_cache.pb.h"
#include "nova/objects/options.pb.h"
#include "object_table.hpp"

namespace nova::db {

using detail::ObjectTable;
using detail::Placeholders;

namespace {

const std::vector<std::string> kInstanceColumns = {
    "id", "user_id", "project_id", "image_ref", "kernel_id", "ramdisk_id", "hostname",
    "launch_index", "key_name", "key_data", "power_state", "vm_state", "task_state", "memory_mb",
    "vcpus", "root_gb", "ephemeral_gb", "ephemeral_key_uuid", "host", "node", "instance_type_id",
    "user_data", "reservation_id", "launched_at", "terminated_at", "availability_zone",
    "display_name", "display_description", "launched_on", "locked", "locked_by", "os_type",
    "architecture", "vm_mode", "uuid", "root_device_name", "default_ephemeral_device",
    "default_swap_device", "config_drive", "access_ip_v4", "access_ip_v6", "auto_disk_config",
    "progress", "shutdown_terminate", "disable_terminate", "cell_name", "cleaned", "hidden",
    "created_at", "updated_at", "deleted_at", "deleted"};

// Child objects kept as JSON in instance_extra (the flavors are handled apart).
const std::vector<std::string> kExtraColumns = {
    "numa_topology", "pci_requests", "vcpu_model", "migration_context", "keypairs",
    "device_metadata", "trusted_certs", "resources"};

const std::vector<std::string> kInfoCacheColumns = {"instance_uuid", "network_info", "created_at",
                                                    "updated_at", "deleted_at", "deleted"};

const std::vector<std::string> kFaultColumns = {"id", "instance_uuid", "code", "message",
                                                "details", "host", "created_at", "updated_at",
                                                "deleted_at", "deleted"};

// GetByUuid(uuid, read_deleted=true): the live row, else the latest deleted one.
constexpr const char* kByUuidReadDeleted = "`i`.`uuid` = ? ORDER BY `i`.`deleted` LIMIT 1";

Json Text(const std::optional<std::string>& v) {
    return v ? Json(*v) : Json(nullptr);
}


}  // namespace

class InstanceStore::Impl {
public:
    Pool& pool() { return pool_; }

    // The table mappings are built once (a store is made per request).
    struct Tables {
        ObjectTable instances{"instances", *objects::Instance::descriptor(), kInstanceColumns};
        ObjectTable extra{"instance_extra", *objects::Instance::descriptor(), kExtraColumns};
        ObjectTable faults{"instance_faults", *objects::InstanceFault::descriptor(), kFaultColumns};
        ObjectTable caches{"instance_info_caches", *objects::InstanceInfoCache::descriptor(), kInfoCacheColumns};
    };
    static const Tables& SharedTables() {
        static const Tables tables;
        return tables;
    }

    Impl(Pool& pool, const Clock& clock)
        : pool_(pool),
          clock_(clock),
          instances_(SharedTables().instances),
          extra_(SharedTables().extra),
          faults_(SharedTables().faults),
          caches_(SharedTables().caches) {}

    void Create(objects::Instance& inst) {
        if (inst.has_id()) {
            throw ObjectActionError({{"action", "create"}, {"reason", "already created"}});
        }
        if (!inst.has_uuid()) {
            throw ObjectActionError({{"action", "create"}, {"reason", "uuid is required"}});
        }
        auto now = detail::FloorNow(clock_);
        pool_.Transaction([&](Session& s) {
            std::int64_t id;
            try {
                id = instances_.Insert(s, inst, now, {{"deleted", std::int64_t{0}}});
            } catch (const DBDuplicateEntry&) {
                throw InstanceExists({{"name", inst.uuid()}});
            }
            inst.set_id(id);
            detail::ObjectTable::Extra extra{{"instance_uuid", inst.uuid()},
                                             {"flavor", FlavorsJson(inst)},
                                             {"deleted", std::int64_t{0}}};
            extra_.InsertNoId(s, inst, now, extra);
            objects::InstanceInfoCache cache;
            if (inst.has_info_cache()) cache = inst.info_cache();
            cache.set_instance_uuid(inst.uuid());
            caches_.InsertNoId(s, cache, now, {{"deleted", std::int64_t{0}}});
            InsertDict(s, "instance_metadata", inst.uuid(), MetadataOf(inst, "metadata"), now);
            InsertDict(s, "instance_system_metadata", inst.uuid(), MetadataOf(inst, "system_metadata"), now);
        });
        inst.set_deleted(false);
        objects::ResetChanges(inst, true);
    }

    // One instance with everything LoadRelated fills, in two statements: the instance row
    // joined with its extra, info cache and latest fault, then its metadata and system
    // metadata together (correlated aggregates cost MariaDB far more than a UNION). `where`
    // names the instance columns as `i`.`column`.
    //
    // With `uuid` (the instance's uuid, when the caller knows it) it is one statement and one
    // round trip, without a transaction: the row and the metadata rows UNION ALL'd (`part` 0
    // is the instance, 1 and 2 its metadata and system metadata items, their other columns
    // NULL). `where` then names one row (LIMIT 1 at most).
    objects::Instance GetOne(std::string_view where, const Params& params,
                             const std::optional<std::string>& uuid = std::nullopt) {
        if (!uuid) return pool_.Transaction([&](Session& s) { return GetOneIn(s, where, params); });
        // The metadata parts: as many NULLs as the instance part has columns.
        static const std::string nulls = [this] {
            std::string out;
            for (std::size_t i = 0, n = ColumnCount(Columns()); i < n; ++i) out += "NULL, ";
            return out;
        }();
        const std::string sql = "(SELECT 0 AS `part`, " + Columns() + ", NULL AS `d_key`, NULL AS `d_value`" +
                                From() + std::string(where) +
                                ") UNION ALL (SELECT 1, " + nulls + "`key`, `value` FROM `instance_metadata`"
                                " WHERE `instance_uuid` = ? AND `deleted` = 0)"
                                " UNION ALL (SELECT 2, " + nulls + "`key`, `value` FROM"
                                " `instance_system_metadata` WHERE `instance_uuid` = ? AND `deleted` = 0)";
        Params all = params;
        all.emplace_back(*uuid);
        all.emplace_back(*uuid);
        auto rows = pool_.Read([&](Session& s) { return s.Query(sql, all); });
        const Row* row = nullptr;
        for (const auto& r : rows) {
            if (r.String("part") == "0") row = &r;
        }
        if (row == nullptr) throw InstanceNotFound({{"instance_id", Describe(params)}});
        auto inst = FromJoinedRow(*row);
        for (const auto& r : rows) {
            const auto& part = r.String("part");
            if (part == "0") continue;
            auto value = r.OptString("d_value");
            SetDictItem(inst, part == "1" ? "metadata" : "system_metadata", r.String("d_key"),
                        value ? Json(*value) : Json());
        }
        objects::ResetChanges(inst, true);
        return inst;
    }

    // GetOne's two statements inside the caller's transaction.
    objects::Instance GetOneIn(Session& s, std::string_view where, const Params& params) {
        auto rows = s.Query("SELECT " + Columns() + From() + std::string(where), params);
        if (rows.empty()) throw InstanceNotFound({{"instance_id", Describe(params)}});
        auto inst = FromJoinedRow(rows.front());
        for (const auto& item : s.Query(Dicts(), {inst.uuid(), inst.uuid()})) {
            auto value = item.OptString("value");
            SetDictItem(inst, item.String("field") == "metadata" ? "metadata" : "system_metadata",
                        item.String("key"), value ? Json(*value) : Json());
        }
        objects::ResetChanges(inst, true);
        return inst;
    }

    // The joined row's columns: the instance, its extra, info cache and latest fault.
    const std::string& Columns() const {
        static const std::string columns =
            instances_.SelectList("`i`") + ", " + extra_.SelectList("`x`", "x__") +
            ", `x`.`id` AS `x_row`, `x`.`flavor` AS `x_flavor`, " + caches_.SelectList("`c`", "c__") + ", " +
            faults_.SelectList("`f`", "f__");
        return columns;
    }
    static const std::string& From() {
        static const std::string from =
            " FROM `instances` `i`"
            // instance_extra and instance_info_caches hold one row per instance uuid.
            " LEFT JOIN `instance_extra` `x` ON `x`.`instance_uuid` = `i`.`uuid`"
            " LEFT JOIN `instance_info_caches` `c` ON `c`.`instance_uuid` = `i`.`uuid` AND `c`.`deleted` = 0"
            " LEFT JOIN `instance_faults` `f` ON `f`.`id` ="
            " (SELECT `ff`.`id` FROM `instance_faults` `ff` WHERE `ff`.`instance_uuid` = `i`.`uuid`"
            " AND `ff`.`deleted` = 0 ORDER BY `ff`.`created_at` DESC, `ff`.`id` DESC LIMIT 1)"
            " WHERE ";
        return from;
    }
    static const std::string& Dicts() {
        static const std::string dicts =
            "SELECT 'metadata' AS `field`, `key`, `value` FROM `instance_metadata`"
            " WHERE `instance_uuid` = ? AND `deleted` = 0"
            " UNION ALL SELECT 'system_metadata', `key`, `value` FROM `instance_system_metadata`"
            " WHERE `instance_uuid` = ? AND `deleted` = 0";
        return dicts;
    }

    // The instance of GetOne's joined row, its metadata and system metadata empty.
    objects::Instance FromJoinedRow(const Row& row) const {
        objects::Instance inst;
        instances_.Load(row, inst);
        if (!row.IsNull("x_row")) {
            extra_.Load(detail::SubRow(row, "x__"), inst);
            if (auto text = row.OptString("x_flavor")) LoadFlavors(*text, inst);
        }
        objects::SetEmpty(inst, "metadata");
        objects::SetEmpty(inst, "system_metadata");
        objects::SetNull(inst, "info_cache");
        if (!row.IsNull("c__instance_uuid")) {
            objects::InstanceInfoCache cache;
            caches_.Load(detail::SubRow(row, "c__"), cache);
            *inst.mutable_info_cache() = std::move(cache);
        }
        objects::SetNull(inst, "fault");
        if (!row.IsNull("f__id")) {
            objects::InstanceFault fault;
            faults_.Load(detail::SubRow(row, "f__"), fault);
            *inst.mutable_fault() = std::move(fault);
        }
        return inst;
    }

    std::vector<objects::Instance> GetMany(const std::string& where, const Params& params, bool track_changes = true) {
        return pool_.Transaction([&](Session& s) {
            auto rows = s.Query(instances_.Select(where), params);
            std::vector<objects::Instance> list(rows.size());
            for (std::size_t i = 0; i < rows.size(); ++i) instances_.Load(rows.rows[i], list[i]);
            LoadRelated(s, list, track_changes);
            return list;
        });
    }

    // `reread`: the instance as saved, read back in the same transaction (read_deleted).
    void Save(objects::Instance& inst, const InstanceExpectations& expected, objects::Instance* reread = nullptr) {
        if (!inst.has_uuid()) {
            throw ObjectActionError({{"action", "save"}, {"reason", "no uuid"}});
        }
        const auto changed = objects::WhatChanged(inst);
        const bool expects = expected.task_state || expected.vm_state;
        auto now = detail::FloorNow(clock_);
        std::set<std::string> column_changes;
        for (const auto& f : changed) {
            if (instances_.Maps(f) && f != "uuid" && f != "id") column_changes.insert(f);
        }
        std::set<std::string> extra_changes;
        for (const auto& f : changed) {
            if (extra_.Maps(f)) extra_changes.insert(f);
        }
        const bool flavor_changes =
            changed.contains("flavor") || changed.contains("old_flavor") || changed.contains("new_flavor");
        const bool cache_changes = changed.contains("info_cache") && inst.has_info_cache();
        const bool dict_changes = changed.contains("metadata") || changed.contains("system_metadata");
        auto update_instance = [&](Session& s) {
            if (column_changes.empty() && !expects) return;
            std::string where = "`uuid` = ? AND `deleted` = 0";
            Params params{inst.uuid()};
            AddExpectation(where, params, "task_state", expected.task_state);
            AddExpectation(where, params, "vm_state", expected.vm_state);
            auto matched = instances_.Update(s, inst, column_changes, now, where, params);
            if (matched == 0) RaiseConflict(s, inst.uuid(), expected);
        };
        if (extra_changes.empty() && !flavor_changes && !cache_changes && !dict_changes) {
            // Only the instances row changes (every state change of a build, a reboot, a
            // stop...): its UPDATE commits on its own, and the instance is read back after it
            // in one statement. Two round trips where a transaction took four (UPDATE, the
            // instance, its metadata, COMMIT). The read may show a write made after this one,
            // as a refresh() right after a save would.
            pool_.AutoCommit(update_instance);
            objects::ResetChanges(inst, true);
            if (reread) *reread = GetOne(kByUuidReadDeleted, {inst.uuid()}, inst.uuid());
            return;
        }
        pool_.Transaction([&](Session& s) {
            update_instance(s);
            detail::ObjectTable::Extra flavors;
            if (flavor_changes) flavors.emplace_back("flavor", FlavorsJson(inst));
            if (!extra_changes.empty() || !flavors.empty()) {
                extra_.Update(s, inst, extra_changes, now, "`instance_uuid` = ? AND `deleted` = 0",
                              {inst.uuid()}, flavors);
            }
            if (cache_changes) {
                auto cache = inst.info_cache();
                cache.set_instance_uuid(inst.uuid());
                if (caches_.Update(s, cache, {"network_info"}, now, "`instance_uuid` = ? AND `deleted` = 0",
                                   {inst.uuid()}) == 0) {
                    caches_.Insert(s, cache, now, {{"deleted", std::int64_t{0}}});
                }
            }
            for (const char* dict : {"metadata", "system_metadata"}) {
                if (!changed.contains(dict)) continue;
                const char* table = std::string_view(dict) == "metadata" ? "instance_metadata"
                                                                         : "instance_system_metadata";
                WriteDict(s, table, inst.uuid(), MetadataOf(inst, dict), ReadDict(s, table, inst.uuid()),
                          now);
            }
            if (reread) *reread = GetOneIn(s, kByUuidReadDeleted, {inst.uuid()});
        });
        objects::ResetChanges(inst, true);
    }

    void Destroy(objects::Instance& inst) {
        if (!inst.has_id()) {
            throw ObjectActionError({{"action", "destroy"}, {"reason", "already destroyed"}});
        }
        auto now = detail::FloorNow(clock_);
        pool_.Transaction([&](Session& s) {
            std::string where = "`uuid` = ? AND `deleted` = 0";
            Params params{inst.uuid()};
            if (objects::IsSet(inst, "host") || objects::IsNull(inst, "host")) {
                // Nova's constraint: the host must be what this object last saw.
                where += " AND `host` <=> ?";
                params.push_back(inst.has_host() ? Param(inst.host()) : Param(nullptr));
            }
            Params values{now, now};
            values.insert(values.end(), params.begin(), params.end());
            auto matched = s.Execute(
                "UPDATE `instances` SET `deleted` = `id`, `deleted_at` = ?, `updated_at` = ? WHERE " +
                    where,
                values);
            if (matched == 0) {
                auto rows = s.Query("SELECT `host` FROM `instances` WHERE `uuid` = ? AND `deleted` = 0",
                                    {inst.uuid()});
                if (rows.empty()) throw InstanceNotFound({{"instance_id", inst.uuid()}});
                throw ObjectActionError({{"action", "destroy"}, {"reason", "host changed"}});
            }
            for (const char* table : {"instance_extra", "instance_metadata", "instance_system_metadata",
                                      "instance_faults", "instance_info_caches"}) {
                s.Execute(std::string("UPDATE `") + table +
                              "` SET `deleted` = `id`, `deleted_at` = ? WHERE `instance_uuid` = ?"
                              " AND `deleted` = 0",
                          {now, inst.uuid()});
            }
            // Tags have no soft delete: Nova's instance_destroy removes them.
            TagStore::Remove(s, inst.uuid());
        });
        inst.set_deleted(true);
        inst.mutable_deleted_at()->set_seconds(
            std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
        objects::ResetChanges(inst, true);
    }

    static std::string WhereFor(const InstanceFilters& f, Params& params) {
        std::string where = "WHERE 1 = 1";
        auto eq = [&](const char* column, const std::optional<std::string>& v) {
            if (!v) return;
            where += std::string(" AND `") + column + "` = ?";
            params.emplace_back(*v);
        };
        auto in = [&](const char* column, const std::vector<std::string>& values) {
            if (values.empty()) return;
            where += std::string(" AND `") + column + "` IN (" + Placeholders(values.size()) + ")";
            for (const auto& v : values) params.emplace_back(v);
        };
        eq("project_id", f.project_id);
        eq("user_id", f.user_id);
        eq("host", f.host);
        eq("node", f.node);
        eq("display_name", f.display_name);
        in("uuid", f.uuids);
        in("vm_state", f.vm_states);
        in("task_state", f.task_states);
        if (!f.include_deleted) {
            where += f.deleted.value_or(false) ? " AND `deleted` != 0" : " AND `deleted` = 0";
        }
        if (f.changes_since) {
            where += " AND `updated_at` >= ?";
            params.emplace_back(*f.changes_since);
        }
        where += " ORDER BY `created_at` DESC, `id` DESC";
        if (f.limit) where += " LIMIT " + std::to_string(std::max(0, *f.limit));
        return where;
    }

private:
    // The number of columns of a select list (its top-level commas; the lists here have no
    // commas inside parentheses).
    static std::size_t ColumnCount(const std::string& list) {
        return static_cast<std::size_t>(std::count(list.begin(), list.end(), ',')) + 1;
    }

    static std::string Describe(const Params& params) {
        if (params.empty()) return "";
        if (const auto* s = std::get_if<std::string>(&params.front())) return *s;
        if (const auto* i = std::get_if<std::int64_t>(&params.front())) return std::to_string(*i);
        return "";
    }

    static void AddExpectation(std::string& where, Params& params, const char* column,
                               const std::optional<std::vector<std::optional<std::string>>>& values) {
        if (!values) return;
        std::string any;
        for (const auto& v : *values) {
            if (!any.empty()) any += " OR ";
            if (v) {
                any += std::string("`") + column + "` = ?";
                params.emplace_back(*v);
            } else {
                any += std::string("`") + column + "` IS NULL";
            }
        }
        where += " AND (" + (any.empty() ? std::string("1 = 0") : any) + ")";
    }

    // After a compare-and-set matched nothing: say why, as Nova's _instance_update does.
    [[noreturn]] static void RaiseConflict(Session& s, const std::string& uuid,
                                           const InstanceExpectations& expected) {
        auto rows = s.Query("SELECT `task_state`, `vm_state` FROM `instances`"
                            " WHERE `uuid` = ? AND `deleted` = 0",
                            {uuid});
        if (rows.empty()) throw InstanceNotFound({{"instance_id", uuid}});
        const auto& row = rows.front();
        Json want = Json::object();
        Json actual = Json::object();
        auto check = [&](const char* column, const auto& values) {
            if (!values) return;
            auto now = row.OptString(column);
            for (const auto& v : *values) {
                if (v == now) return;
            }
            Json list = Json::array();
            for (const auto& v : *values) list.push_back(Text(v));
            want[column] = list;
            actual[column] = Text(now);
        };
        check("task_state", expected.task_state);
        check("vm_state", expected.vm_state);
        Kwargs kwargs({{"instance_uuid", uuid}, {"expected", want}, {"actual", actual}});
        if (actual.empty()) throw UnknownInstanceUpdateConflict(kwargs);
        if (actual.contains("task_state")) {
            if (actual["task_state"] == "deleting") throw UnexpectedDeletingTaskStateError(kwargs);
            throw UnexpectedTaskStateError(kwargs);
        }
        throw InstanceUpdateConflict(kwargs);
    }

    static std::string FlavorsJson(const objects::Instance& inst) {
        auto one = [&](const char* field, bool has) -> Json {
            return has ? objects::FieldToPrimitive(inst, field) : Json(nullptr);
        };
        return Json{{"cur", one("flavor", inst.has_flavor())},
                    {"old", one("old_flavor", inst.has_old_flavor())},
                    {"new", one("new_flavor", inst.has_new_flavor())}}
            .dump();
    }

    static std::map<std::string, std::optional<std::string>> MetadataOf(const objects::Instance& inst,
                                                                       const char* field) {
        std::map<std::string, std::optional<std::string>> out;
        const auto& dict = std::string_view(field) == "metadata" ? inst.metadata() : inst.system_metadata();
        for (const auto& [k, v] : dict) {
            if (objects::IsNullKey(inst, field, k) && v.empty()) {
                out[k] = std::nullopt;
            } else {
                out[k] = v;
            }
        }
        return out;
    }

    static std::map<std::string, std::optional<std::string>> ReadDict(Session& s, const char* table,
                                                                    const std::string& uuid) {
        std::map<std::string, std::optional<std::string>> out;
        for (const auto& row : s.Query(std::string("SELECT `key`, `value` FROM `") + table +
                                           "` WHERE `instance_uuid` = ? AND `deleted` = 0",
                                       {uuid})) {
            out[row.String("key")] = row.OptString("value");
        }
        return out;
    }

    // Brings the key/value rows of `table` from `old` to `now` (soft-deleting removed keys).
    // A new instance's items, in one INSERT (a create's system metadata has about ten).
    static void InsertDict(Session& s, const char* table, const std::string& uuid,
                           const std::map<std::string, std::optional<std::string>>& items, WallTime at) {
        if (items.empty()) return;
        std::string sql = std::string("INSERT INTO `") + table +
                          "` (`instance_uuid`, `key`, `value`, `created_at`, `deleted`) VALUES ";
        Params params;
        params.reserve(items.size() * 4);
        bool first = true;
        for (const auto& [k, v] : items) {
            sql += first ? "(?, ?, ?, ?, 0)" : ", (?, ?, ?, ?, 0)";
            first = false;
            params.emplace_back(uuid);
            params.emplace_back(k);
            params.push_back(v ? Param(*v) : Param(nullptr));
            params.emplace_back(at);
        }
        s.Execute(sql, params);
    }

    static void WriteDict(Session& s, const char* table, const std::string& uuid,
                          const std::map<std::string, std::optional<std::string>>& now,
                          const std::map<std::string, std::optional<std::string>>& old, WallTime at) {
        const std::string t = std::string("`") + table + "`";
        for (const auto& [k, v] : old) {
            if (now.contains(k)) continue;
            s.Execute("UPDATE " + t + " SET `deleted` = `id`, `deleted_at` = ?"
                      " WHERE `instance_uuid` = ? AND `key` = ? AND `deleted` = 0",
                      {at, uuid, k});
        }
        for (const auto& [k, v] : now) {
            auto it = old.find(k);
            Param value = v ? Param(*v) : Param(nullptr);
            if (it == old.end()) {
                s.Execute("INSERT INTO " + t + " (`instance_uuid`, `key`, `value`, `created_at`, `deleted`)"
                          " VALUES (?, ?, ?, ?, 0)",
                          {uuid, k, value, at});
            } else if (it->second != v) {
                s.Execute("UPDATE " + t + " SET `value` = ?, `updated_at` = ?"
                          " WHERE `instance_uuid` = ? AND `key` = ? AND `deleted` = 0",
                          {value, at, uuid, k});
            }
        }
    }

    // instance_extra.flavor: {"cur", "old", "new"} flavors as primitives.
    // `current_only`: the current flavor alone (what the views show).
    static void LoadFlavors(const std::string& text, objects::Instance& inst, bool current_only = false) {
        auto flavors = Json::parse(text, nullptr, false);
        if (flavors.is_discarded()) {
            throw DBError({{"reason", "instance_extra.flavor holds malformed JSON"}});
        }
        for (auto [key, field] : {std::pair{"cur", "flavor"}, std::pair{"old", "old_flavor"},
                                  std::pair{"new", "new_flavor"}}) {
            if (!flavors.contains(key) || (current_only && std::string_view(key) != "cur")) continue;
            if (!flavors[key].is_null()) {
                objects::FieldFromPrimitive(inst, field, flavors[key]);
            } else if (inst.GetDescriptor()->FindFieldByName(field)->options().GetExtension(objects::nullable)) {
                objects::SetNull(inst, field);
            }
        }
    }

    // One metadata or system_metadata item (a NULL value is kept as None).
    static void SetDictItem(objects::Instance& inst, const char* field, const std::string& key, const Json& value) {
        auto& dict = std::string_view(field) == "metadata" ? *inst.mutable_metadata() : *inst.mutable_system_metadata();
        dict[key] = value.is_string() ? value.get<std::string>() : "";
        if (value.is_null()) objects::SetNullKey(inst, field, key);
    }

public:
    objects::Instance GetForView(const std::string& uuid, const std::vector<std::string>& columns, bool read_deleted) {
        std::string list;
        for (const auto& c : columns) {
            if (!instances_.Maps(c)) throw InvalidInput({{"reason", "not a column of instances: " + c}});
            list += "`i`.`" + c + "`, ";
        }
        // One row: the metadata and the locked_reason item come as JSON objects built by
        // scalar subqueries. (A UNION ALL of the three reads cost MariaDB a temporary table
        // per show, and the fault's subquery ran for every server: about twice the CPU.)
        const std::string sql =
            "SELECT " + list + "`x`.`flavor` AS `x_flavor`,"
            " (SELECT JSON_OBJECTAGG(`m`.`key`, `m`.`value`) FROM `instance_metadata` `m`"
            " WHERE `m`.`instance_uuid` = `i`.`uuid` AND `m`.`deleted` = 0) AS `x_metadata`,"
            " (SELECT JSON_OBJECTAGG(`s`.`key`, `s`.`value`) FROM `instance_system_metadata` `s`"
            " WHERE `s`.`instance_uuid` = `i`.`uuid` AND `s`.`deleted` = 0 AND `s`.`key` = 'locked_reason')"
            " AS `x_system_metadata`"
            " FROM `instances` `i` LEFT JOIN `instance_extra` `x` ON `x`.`instance_uuid` = `i`.`uuid`" +
            (read_deleted ? " WHERE `i`.`uuid` = ? ORDER BY `i`.`deleted` LIMIT 1" : " WHERE `i`.`uuid` = ? AND `i`.`deleted` = 0");
        auto rows = pool_.Read([&](Session& s) { return s.Query(sql, {uuid}); });
        if (rows.empty()) throw InstanceNotFound({{"instance_id", uuid}});
        const Row& row = rows.front();
        objects::Instance inst;
        instances_.Load(row, inst);
        if (auto text = row.OptString("x_flavor")) LoadFlavors(*text, inst, true);
        objects::SetEmpty(inst, "metadata");
        objects::SetEmpty(inst, "system_metadata");
        for (auto [column, field] : {std::pair{"x_metadata", "metadata"}, std::pair{"x_system_metadata", "system_metadata"}}) {
            auto text = row.OptString(column);
            if (!text) continue;
            auto items = Json::parse(*text, nullptr, false);
            if (!items.is_object()) throw DBError({{"reason", std::string("unreadable ") + field + " of instance " + uuid}});
            for (const auto& [key, value] : items.items()) SetDictItem(inst, field, key, value);
        }
        // The latest fault, only where the view shows it (ERROR and DELETED servers).
        objects::SetNull(inst, "fault");
        if (inst.vm_state() == "error" || inst.vm_state() == "deleted") {
            static const std::string fault_sql = "SELECT " + faults_.SelectList("`f`") +
                                                 " FROM `instance_faults` `f` WHERE `f`.`instance_uuid` = ? AND `f`.`deleted` = 0"
                                                 " ORDER BY `f`.`created_at` DESC, `f`.`id` DESC LIMIT 1";
            auto faults = pool_.Read([&](Session& s) { return s.Query(fault_sql, {uuid}); });
            if (!faults.empty()) {
                objects::InstanceFault fault;
                faults_.Load(faults.front(), fault);
                *inst.mutable_fault() = std::move(fault);
            }
        }
        return inst;
    }

public:
    void LoadViewRelated(const std::vector<objects::Instance*>& list, const std::set<std::string>& with_fault) {
        if (list.empty()) return;
        std::map<std::string_view, objects::Instance*> by_uuid;
        Params uuids;
        uuids.reserve(list.size());
        for (auto* inst : list) {
            by_uuid[inst->uuid()] = inst;
            uuids.emplace_back(inst->uuid());
            objects::SetEmpty(*inst, "metadata");
            objects::SetEmpty(*inst, "system_metadata");
        }
        const std::string in = " IN (" + Placeholders(uuids.size()) + ")";
        // `part` f: instance_extra's flavors (every row of the uuid, deleted ones too, the
        // newest id wins: the list may show deleted servers); m: metadata; s: locked_reason.
        const std::string sql =
            "SELECT 'f' AS `part`, `instance_uuid`, `id`, NULL AS `k`, `flavor` AS `v` FROM `instance_extra`"
            " WHERE `instance_uuid`" + in +
            " UNION ALL SELECT 'm', `instance_uuid`, `id`, `key`, `value` FROM `instance_metadata`"
            " WHERE `deleted` = 0 AND `instance_uuid`" + in +
            " UNION ALL SELECT 's', `instance_uuid`, `id`, `key`, `value` FROM `instance_system_metadata`"
            " WHERE `deleted` = 0 AND `key` = 'locked_reason' AND `instance_uuid`" + in;
        Params params;
        params.reserve(uuids.size() * 3);
        for (int i = 0; i < 3; ++i) params.insert(params.end(), uuids.begin(), uuids.end());
        auto rows = pool_.Read([&](Session& s) { return s.Query(sql, params); });
        std::map<std::string_view, std::pair<std::int64_t, const std::string*>> flavors;  // uuid -> newest row
        for (const auto& row : rows) {
            // Columns by position: part, instance_uuid, id, k, v.
            const auto& part = *row.value(0);
            auto it = by_uuid.find(*row.value(1));
            if (it == by_uuid.end()) continue;
            const auto& value = row.value(4);
            if (part == "f") {
                auto id = std::strtoll(row.value(2)->c_str(), nullptr, 10);
                auto& newest = flavors[it->first];
                if (value && (newest.second == nullptr || id > newest.first)) newest = {id, &*value};
            } else {
                SetDictItem(*it->second, part == "m" ? "metadata" : "system_metadata", *row.value(3),
                            value ? Json(*value) : Json());
            }
        }
        for (const auto& [uuid, newest] : flavors) {
            auto parsed = Json::parse(*newest.second, nullptr, false);
            if (parsed.is_discarded()) throw DBError({{"reason", "instance_extra.flavor holds malformed JSON"}});
            auto cur = parsed.find("cur");
            if (cur != parsed.end() && !cur->is_null()) objects::FieldFromPrimitive(*by_uuid.at(uuid), "flavor", *cur);
        }
        for (auto* inst : list) objects::SetNull(*inst, "fault");
        if (with_fault.empty()) return;
        Params fault_uuids(with_fault.begin(), with_fault.end());
        auto faults = pool_.Read([&](Session& s) {
            return s.Query(faults_.Select("WHERE `deleted` = 0 AND `instance_uuid` IN (" +
                                          Placeholders(fault_uuids.size()) + ") ORDER BY `created_at`, `id`"),
                           fault_uuids);
        });
        for (auto& fault : detail::LoadAll<objects::InstanceFault>(faults_, faults)) {
            if (auto it = by_uuid.find(fault.instance_uuid()); it != by_uuid.end()) {
                *it->second->mutable_fault() = std::move(fault);  // newest wins
            }
        }
    }

private:
    // Extra, metadata, system metadata and the latest fault of each instance, a query each.
    void LoadRelated(Session& s, std::vector<objects::Instance>& list, bool track_changes = true) {
        if (list.empty()) return;
        std::map<std::string, objects::Instance*> by_uuid;
        Params uuids;
        for (auto& inst : list) {
            by_uuid[inst.uuid()] = &inst;
            uuids.emplace_back(inst.uuid());
        }
        const std::string in = " IN (" + Placeholders(uuids.size()) + ")";
        auto extra_rows = s.Query("SELECT " + extra_.SelectList("`instance_extra`") +
                                      ", `instance_extra`.`instance_uuid` AS `x_uuid`,"
                                      " `instance_extra`.`flavor` AS `x_flavor`"
                                      " FROM `instance_extra` WHERE `instance_uuid`" + in +
                                      " ORDER BY `id`",
                                  uuids);
        for (const auto& row : extra_rows) {
            auto* inst = by_uuid.at(row.String("x_uuid"));
            extra_.Load(row, *inst);
            if (auto text = row.OptString("x_flavor")) LoadFlavors(*text, *inst);
        }
        for (auto [table, field] : {std::pair{"instance_metadata", "metadata"},
                                    std::pair{"instance_system_metadata", "system_metadata"}}) {
            for (auto& inst : list) objects::SetEmpty(inst, field);
            auto rows = s.Query(std::string("SELECT `instance_uuid`, `key`, `value` FROM `") + table +
                                    "` WHERE `deleted` = 0 AND `instance_uuid`" + in,
                                uuids);
            for (const auto& row : rows) {
                auto* inst = by_uuid.at(row.String("instance_uuid"));
                auto value = row.OptString("value");
                SetDictItem(*inst, field, row.String("key"), value ? Json(*value) : Json());
            }
        }
        for (auto& inst : list) objects::SetNull(inst, "info_cache");
        auto caches = s.Query(caches_.Select("WHERE `deleted` = 0 AND `instance_uuid`" + in), uuids);
        for (auto& cache : detail::LoadAll<objects::InstanceInfoCache>(caches_, caches)) {
            *by_uuid.at(cache.instance_uuid())->mutable_info_cache() = std::move(cache);
        }
        for (auto& inst : list) objects::SetNull(inst, "fault");
        auto faults = s.Query(faults_.Select("WHERE `deleted` = 0 AND `instance_uuid`" + in +
                                             " ORDER BY `created_at`, `id`"),
                              uuids);
        for (auto& fault : detail::LoadAll<objects::InstanceFault>(faults_, faults)) {
            *by_uuid.at(fault.instance_uuid())->mutable_fault() = std::move(fault);  // newest wins
        }
        if (track_changes) {
            for (auto& inst : list) objects::ResetChanges(inst, true);
        }
    }

    Pool& pool_;
    const Clock& clock_;
    const ObjectTable& instances_;
    const ObjectTable& extra_;
    const ObjectTable& faults_;
    const ObjectTable& caches_;
};

InstanceStore::InstanceStore(Pool& cell, const Clock& clock)
    : impl_(std::make_unique<Impl>(cell, clock)) {}
InstanceStore::~InstanceStore() = default;

void InstanceStore::Create(objects::Instance& instance) { impl_->Create(instance); }

objects::Instance InstanceStore::GetByUuid(const std::string& uuid, bool read_deleted) {
    return impl_->GetOne(read_deleted ? kByUuidReadDeleted
                                      : "`i`.`uuid` = ? AND `i`.`deleted` = 0",
                         {uuid}, uuid);
}

objects::Instance InstanceStore::GetById(std::int64_t id) {
    return impl_->GetOne("`i`.`id` = ? AND `i`.`deleted` = 0", {id});
}

void InstanceStore::Save(objects::Instance& instance, const InstanceExpectations& expected) {
    impl_->Save(instance, expected);
}

objects::Instance InstanceStore::SaveAndGet(objects::Instance& instance, const InstanceExpectations& expected) {
    objects::Instance saved;
    impl_->Save(instance, expected, &saved);
    return saved;
}

void InstanceStore::Destroy(objects::Instance& instance) { impl_->Destroy(instance); }

std::vector<objects::Instance> InstanceStore::GetByHost(const std::string& host) {
    InstanceFilters f;
    f.host = host;
    return GetByFilters(f);
}

std::vector<objects::Instance> InstanceStore::GetByHostAndNode(const std::string& host,
                                                               const std::string& node) {
    InstanceFilters f;
    f.host = host;
    f.node = node;
    return GetByFilters(f);
}

std::vector<objects::Instance> InstanceStore::GetByFilters(const InstanceFilters& filters) {
    Params params;
    auto where = Impl::WhereFor(filters, params);
    return impl_->GetMany(where, params, filters.track_changes);
}

objects::Instance InstanceStore::GetForView(const std::string& uuid, const std::vector<std::string>& columns,
                                           bool read_deleted) {
    return impl_->GetForView(uuid, columns, read_deleted);
}

void InstanceStore::LoadViewRelated(const std::vector<objects::Instance*>& instances,
                                    const std::set<std::string>& with_fault) {
    impl_->LoadViewRelated(instances, with_fault);
}

InstanceStore::Usage InstanceStore::CountUsage(const std::string& project_id,
                                               const std::optional<std::string>& user_id,
                                               const std::vector<std::string>& excluding) {
    std::string sql =
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(`vcpus`), 0) AS SIGNED) AS cores, "
        "CAST(COALESCE(SUM(`memory_mb`), 0) AS SIGNED) AS ram FROM `instances` "
        "WHERE `deleted` = 0 AND `project_id` = ? "
        "AND (`vm_state` IS NULL OR `vm_state` != 'soft-delete')";
    Params params{project_id};
    if (user_id) {
        sql += " AND `user_id` = ?";
        params.push_back(*user_id);
    }
    if (!excluding.empty()) {
        sql += " AND `uuid` NOT IN (" + detail::Placeholders(excluding.size()) + ")";
        params.insert(params.end(), excluding.begin(), excluding.end());
    }
    auto rows = impl_->pool().Query(sql, params);
    Usage usage;
    if (!rows.empty()) {
        usage.instances = rows.front().Int("n");
        usage.cores = rows.front().Int("cores");
        usage.ram = rows.front().Int("ram");
    }
    return usage;
}

}  // namespace nova::db
