#include "nova/db/scheduling_store.hpp"

#include <algorithm>
#include <variant>

#include "nova/common/error.hpp"
#include "object_table.hpp"

namespace nova::db {

using detail::ObjectTable;

namespace {

const ObjectTable& Builds() {
    static const ObjectTable t("build_requests", *objects::BuildRequest::descriptor(),
                               {"id", "instance_uuid", "project_id", "instance",
                                "block_device_mappings", "tags", "created_at", "updated_at"});
    return t;
}

objects::RequestSpec SpecFromRow(const Row& row) {
    auto json = Json::parse(row.String("spec"), nullptr, false);
    if (json.is_discarded()) throw DBError({{"reason", "request_specs.spec holds malformed JSON"}});
    auto spec = objects::FromPrimitiveAs<objects::RequestSpec>(json);
    spec.set_id(row.Int("id"));
    objects::ResetChanges(spec, true);
    return spec;
}

std::string SpecJson(const objects::RequestSpec& spec) {
    objects::RequestSpec copy = spec;
    objects::Unset(copy, "id");  // the row's id, not part of the stored spec
    objects::ResetChanges(copy, true);
    return objects::ToPrimitive(copy).dump();
}

// Where a keyset read continues: the created_at (nullptr for NULL) and id of the row before.
struct Cursor {
    Param created_at;
    std::int64_t id = 0;
};

// "(...)": the rows strictly after `at` in the order of `keys` (MySQL's: a NULL created_at is
// the smallest value), appending the bound values to `params`.
std::string AfterClause(const std::vector<BuildRequestStore::OrderKey>& keys, const Cursor& at, Params& params) {
    using Column = BuildRequestStore::OrderKey::Column;
    std::string after;
    std::string equal_before;
    Params equal_params;
    for (const auto& k : keys) {
        const bool is_id = k.column == Column::kId;
        const std::string col = is_id ? "`id`" : "`created_at`";
        const Param value = is_id ? Param(at.id) : at.created_at;
        const bool null = std::holds_alternative<std::nullptr_t>(value);
        std::string later;
        if (null) {
            later = k.descending ? "" : col + " IS NOT NULL";
        } else if (k.descending) {
            later = is_id ? col + " < ?" : "(" + col + " < ? OR " + col + " IS NULL)";
        } else {
            later = col + " > ?";
        }
        if (!later.empty()) {
            after += (after.empty() ? "(" : " OR (") + equal_before + (equal_before.empty() ? "" : " AND ") + later + ")";
            params.insert(params.end(), equal_params.begin(), equal_params.end());
            if (!null) params.push_back(value);
        }
        equal_before += (equal_before.empty() ? "" : " AND ") + (null ? col + " IS NULL" : col + " = ?");
        if (!null) equal_params.push_back(value);
    }
    return after.empty() ? "1 = 0" : "(" + after + ")";
}

}  // namespace

void RequestSpecStore::Create(objects::RequestSpec& spec) {
    if (!spec.has_instance_uuid()) {
        throw ObjectActionError({{"action", "create"}, {"reason", "instance_uuid is required"}});
    }
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) { Create(s, spec, now); });
}

void RequestSpecStore::Create(Session& s, objects::RequestSpec& spec, WallTime now) {
    if (!spec.has_instance_uuid()) {
        throw ObjectActionError({{"action", "create"}, {"reason", "instance_uuid is required"}});
    }
    s.Execute("INSERT INTO `request_specs` (`instance_uuid`, `spec`, `created_at`) VALUES (?, ?, ?)",
              {spec.instance_uuid(), SpecJson(spec), now});
    spec.set_id(s.LastInsertId());
    objects::ResetChanges(spec, true);
}

void RequestSpecStore::CreateMany(Session& s, const std::vector<objects::RequestSpec*>& specs, WallTime now) {
    if (specs.empty()) return;
    std::string sql = "INSERT INTO `request_specs` (`instance_uuid`, `spec`, `created_at`) VALUES ";
    Params values;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        if (!specs[i]->has_instance_uuid()) {
            throw ObjectActionError({{"action", "create"}, {"reason", "instance_uuid is required"}});
        }
        sql += i ? ", (?, ?, ?)" : "(?, ?, ?)";
        values.insert(values.end(), {specs[i]->instance_uuid(), SpecJson(*specs[i]), now});
    }
    s.Execute(sql, values);
    for (auto* spec : specs) objects::ResetChanges(*spec, true);
}

objects::RequestSpec RequestSpecStore::GetByInstanceUuid(const std::string& uuid) {
    auto rows = pool_.Query("SELECT `id`, `spec` FROM `request_specs` WHERE `instance_uuid` = ?", {uuid});
    if (rows.empty()) throw RequestSpecNotFound({{"instance_uuid", uuid}});
    return SpecFromRow(rows.front());
}

void RequestSpecStore::Save(objects::RequestSpec& spec) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        if (s.Execute("UPDATE `request_specs` SET `spec` = ?, `updated_at` = ? WHERE `instance_uuid` = ?",
                      {SpecJson(spec), now, spec.instance_uuid()}) == 0) {
            throw RequestSpecNotFound({{"instance_uuid", spec.instance_uuid()}});
        }
    });
    objects::ResetChanges(spec, true);
}

void RequestSpecStore::Destroy(const std::string& instance_uuid) {
    pool_.Transaction([&](Session& s) {
        if (s.Execute("DELETE FROM `request_specs` WHERE `instance_uuid` = ?", {instance_uuid}) == 0) {
            throw RequestSpecNotFound({{"instance_uuid", instance_uuid}});
        }
    });
}

void BuildRequestStore::Create(objects::BuildRequest& request) {
    if (!request.has_instance_uuid() && request.has_instance()) {
        request.set_instance_uuid(request.instance().uuid());
    }
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) { Create(s, request, now); });
}

void BuildRequestStore::Create(Session& s, objects::BuildRequest& request, WallTime now) {
    if (!request.has_instance_uuid() && request.has_instance()) {
        request.set_instance_uuid(request.instance().uuid());
    }
    request.set_id(Builds().Insert(s, request, now));
    objects::ResetChanges(request, true);
}

void BuildRequestStore::CreateMany(Session& s, const std::vector<objects::BuildRequest*>& requests, WallTime now) {
    if (requests.empty()) return;
    std::vector<objects::Message*> rows;
    for (auto* request : requests) {
        if (!request->has_instance_uuid() && request->has_instance()) {
            request->set_instance_uuid(request->instance().uuid());
        }
        rows.push_back(request);
    }
    Builds().InsertMany(s, rows, now);
    for (auto* request : requests) objects::ResetChanges(*request, true);
}

std::vector<BuildRequestStore::Pending> BuildRequestStore::GetPending(Session& s, const std::string& project_id) {
    return GetPending(s, project_id, {"*"});
}

std::vector<std::string> BuildRequestStore::GetPendingUuids(Session& s, const std::string& project_id) {
    std::vector<std::string> out;
    for (const auto& row : s.Query("SELECT `instance_uuid` FROM `build_requests` WHERE `project_id` = ? AND "
                                   "`instance_uuid` IS NOT NULL",
                                   {project_id})) {
        out.push_back(row.String("instance_uuid"));
    }
    return out;
}

std::vector<BuildRequestStore::Pending> BuildRequestStore::GetPending(Session& s, const std::string& project_id,
                                                                      const std::vector<std::string>& uuids) {
    if (uuids.empty()) return {};
    // `instance` holds the Instance primitive; JSON_VALUE reads its fields on the server.
    std::string sql =
        "SELECT `instance_uuid`, JSON_VALUE(`instance`, '$.\"nova_object.data\".user_id') AS user_id, "
        "CAST(COALESCE(JSON_VALUE(`instance`, '$.\"nova_object.data\".vcpus'), 0) AS SIGNED) AS vcpus, "
        "CAST(COALESCE(JSON_VALUE(`instance`, '$.\"nova_object.data\".memory_mb'), 0) AS SIGNED) AS memory_mb "
        "FROM `build_requests` WHERE `project_id` = ? AND `instance_uuid` IS NOT NULL";
    Params params{project_id};
    if (!(uuids.size() == 1 && uuids.front() == "*")) {
        sql += " AND `instance_uuid` IN (" + detail::Placeholders(uuids.size()) + ")";
        params.insert(params.end(), uuids.begin(), uuids.end());
    }
    auto rows = s.Query(sql, params);
    std::vector<Pending> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
        out.push_back({row.String("instance_uuid"), row.OptString("user_id").value_or(""), row.Int("vcpus"),
                       row.Int("memory_mb")});
    }
    return out;
}

objects::BuildRequest BuildRequestStore::GetByInstanceUuid(const std::string& uuid) {
    auto rows = pool_.Query(Builds().Select("WHERE `instance_uuid` = ?"), {uuid});
    if (rows.empty()) throw BuildRequestNotFound({{"uuid", uuid}});
    return detail::LoadAll<objects::BuildRequest>(Builds(), rows).front();
}

std::vector<objects::BuildRequest> BuildRequestStore::GetByProject(const std::string& project_id) {
    return detail::LoadAll<objects::BuildRequest>(
        Builds(), pool_.Query(Builds().Select("WHERE `project_id` = ? ORDER BY `id`"), {project_id}));
}

std::vector<objects::BuildRequest> BuildRequestStore::GetAll() {
    return detail::LoadAll<objects::BuildRequest>(Builds(), pool_.Query(Builds().Select("ORDER BY `id`")));
}

std::size_t BuildRequestStore::ForEachInOrder(const std::optional<std::string>& project_id,
                                              const std::vector<OrderKey>& order, const objects::BuildRequest* after,
                                              std::size_t first_chunk,
                                              const std::function<bool(objects::BuildRequest&)>& fn) {
    // Ids are unique: the keys after the first id never decide, and one is needed last.
    std::vector<OrderKey> keys;
    for (const auto& k : order) {
        keys.push_back(k);
        if (k.column == OrderKey::Column::kId) break;
    }
    if (keys.empty() || keys.back().column != OrderKey::Column::kId) keys.push_back({OrderKey::Column::kId, false});
    std::string order_by;
    for (const auto& k : keys) {
        order_by += std::string(order_by.empty() ? " ORDER BY " : ", ") +
                    (k.column == OrderKey::Column::kId ? "`id`" : "`created_at`") + (k.descending ? " DESC" : " ASC");
    }
    std::optional<Cursor> cursor;
    if (after != nullptr) {
        cursor = Cursor{Builds().ValueOf(*after, *objects::BuildRequest::descriptor()->FindFieldByName("created_at")),
                        after->id()};
    }
    std::size_t chunk = std::clamp<std::size_t>(first_chunk, 1, kMaxChunk);
    std::size_t read = 0;
    for (;;) {
        Params params;
        std::string where;
        if (project_id) {
            where = "WHERE `project_id` = ?";
            params.emplace_back(*project_id);
        }
        if (cursor) where += (where.empty() ? "WHERE " : " AND ") + AfterClause(keys, *cursor, params);
        auto rows = pool_.Query(Builds().Select(where + order_by + " LIMIT " + std::to_string(chunk)), params);
        read += rows.size();
        for (const auto& row : rows) {
            objects::BuildRequest request;
            Builds().Load(row, request);
            objects::ResetChanges(request, true);
            if (!fn(request)) return read;
        }
        if (rows.size() < chunk) return read;
        const auto& last = rows.rows.back();
        auto created_at = last.OptTime("created_at");
        cursor = Cursor{created_at ? Param(*created_at) : Param(nullptr), last.Int("id")};
        chunk = std::min(chunk * 2, kMaxChunk);
    }
}

void BuildRequestStore::Save(objects::BuildRequest& request) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        if (Builds().Update(s, request, {"instance", "tags"}, now, "`instance_uuid` = ?", {request.instance_uuid()}) == 0) {
            throw BuildRequestNotFound({{"uuid", request.instance_uuid()}});
        }
    });
    objects::ResetChanges(request, true);
}

void BuildRequestStore::Destroy(const std::string& instance_uuid) {
    pool_.AutoCommit([&](Session& s) {  // one statement: no COMMIT round trip
        if (s.Execute("DELETE FROM `build_requests` WHERE `instance_uuid` = ?", {instance_uuid}) == 0) {
            throw BuildRequestNotFound({{"uuid", instance_uuid}});
        }
    });
}

}  // namespace nova::db
