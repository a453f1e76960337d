#include "server_list.hpp"

#include <google/protobuf/timestamp.pb.h>

#include <algorithm>
#include <map>

#include "handlers/cells.hpp"
#include "nova/api/fault.hpp"
#include "nova/api/server_status.hpp"
#include "nova/common/error.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/db/scheduling_store.hpp"
#include "nova/db/tag_store.hpp"
#include "nova/objects/object.hpp"
#include "nova/objects/options.pb.h"

namespace nova::api {

namespace {

using handlers::SortKey;

// The columns of `instances` in the cell schema (common/db/migrations/main.cpp).
const std::set<std::string, std::less<>>& InstanceColumns() {
    static const std::set<std::string, std::less<>> columns = {
        "created_at", "updated_at", "deleted_at", "deleted", "id", "internal_id", "user_id", "project_id",
        "image_ref", "kernel_id", "ramdisk_id", "launch_index", "key_name", "key_data", "power_state", "vm_state",
        "memory_mb", "vcpus", "hostname", "host", "user_data", "reservation_id", "launched_at", "terminated_at",
        "display_name", "display_description", "availability_zone", "locked", "os_type", "launched_on",
        "instance_type_id", "vm_mode", "uuid", "architecture", "root_device_name", "access_ip_v4", "access_ip_v6",
        "config_drive", "task_state", "default_ephemeral_device", "default_swap_device", "progress",
        "auto_disk_config", "shutdown_terminate", "disable_terminate", "root_gb", "ephemeral_gb", "cell_name", "node",
        "ephemeral_key_uuid", "locked_by", "cleaned", "hidden"};
    return columns;
}

std::string Column(std::string_view name) {
    if (!IsInstanceColumn(name)) {
        throw InvalidInput({{"reason", "not a column of instances: " + std::string(name)}});
    }
    return "`" + std::string(name) + "`";
}

// The Instance field of each column of a result (nullptr: not a scalar or time field).
std::vector<const google::protobuf::FieldDescriptor*> FieldsOf(const db::Row& row) {
    std::vector<const google::protobuf::FieldDescriptor*> out;
    const auto* desc = objects::Instance::descriptor();
    for (const auto& column : row.columns()) {
        const auto* field = desc->FindFieldByName(column);
        if (field != nullptr && (field->is_repeated() || field->is_map())) field = nullptr;
        out.push_back(field);
    }
    return out;
}

// An Instance with the columns of its `instances` row only (by protobuf reflection: each
// column that is a scalar or time field of Instance; `fields` from FieldsOf).
objects::Instance InstanceFromRow(const db::Row& row, const std::vector<const google::protobuf::FieldDescriptor*>& fields) {
    objects::Instance inst;
    const auto* refl = objects::Instance::GetReflection();
    for (std::size_t i = 0; i < fields.size(); ++i) {
        const auto* field = fields[i];
        if (field == nullptr) continue;
        const auto& value = row.value(i);
        if (!value) {
            if (field->options().GetExtension(objects::nullable)) objects::SetNull(inst, field->name());
            continue;
        }
        const auto& column = row.columns()[i];
        switch (field->cpp_type()) {
            case google::protobuf::FieldDescriptor::CPPTYPE_STRING:
                refl->SetString(&inst, field, *value);
                break;
            case google::protobuf::FieldDescriptor::CPPTYPE_INT64:
                refl->SetInt64(&inst, field, row.Int(column));
                break;
            case google::protobuf::FieldDescriptor::CPPTYPE_BOOL:
                refl->SetBool(&inst, field, row.Int(column) != 0);
                break;
            case google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE:
                if (field->message_type() == google::protobuf::Timestamp::descriptor()) {
                    auto since = row.Time(column).time_since_epoch();
                    auto secs = std::chrono::duration_cast<std::chrono::seconds>(since);
                    auto* ts = static_cast<google::protobuf::Timestamp*>(refl->MutableMessage(&inst, field));
                    ts->set_seconds(secs.count());
                    ts->set_nanos(static_cast<int>(
                        std::chrono::duration_cast<std::chrono::nanoseconds>(since - secs).count()));
                }
                break;
            default:
                break;
        }
    }
    return inst;
}

Server FromBuildRequest(objects::BuildRequest& br) {
    Server s;
    s.instance = std::move(*br.mutable_instance());
    // The build request's created_at is the instance's (Nova's BuildRequest._load_instance);
    // the list orders by it.
    if (br.has_created_at()) {
        *s.instance.mutable_created_at() = br.created_at();
    } else {
        s.instance.clear_created_at();
    }
    for (const auto& t : br.tags().objects()) s.tags.push_back(t.tag());
    return s;
}

std::string Placeholders(std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += i ? ", ?" : "?";
    return out;
}

// A listed build request and its row's id, which the `id` sort key means for it.
struct Building {
    Server server;
    std::int64_t id = 0;
};

// <0, 0, >0 as CompareInstances, but `id` is the build request's (Nova's
// _sort_build_requests); `one` holds each key of `keys` alone.
int CompareBuilding(const Building& a, const Building& b, const std::vector<SortKey>& keys,
                    const std::vector<std::vector<SortKey>>& one) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
        int c = 0;
        if (keys[i].key == "id") {
            c = a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
            if (keys[i].descending) c = -c;
        } else {
            c = CompareInstances(a.server.instance, b.server.instance, one[i]);
        }
        if (c != 0) return c;
    }
    return 0;
}

// The keys as build_requests columns when SQL orders the build requests as CompareBuilding
// does: every key up to the first `id` is created_at (the row's, which FromBuildRequest
// puts on the instance; DATETIME, NULL smallest in both) or id (unique, so the keys after
// it never decide). nullopt otherwise (display_name, host, ... are inside the instance's
// JSON).
std::optional<std::vector<db::BuildRequestStore::OrderKey>> SqlOrder(const std::vector<SortKey>& keys) {
    using Column = db::BuildRequestStore::OrderKey::Column;
    std::vector<db::BuildRequestStore::OrderKey> out;
    for (const auto& k : keys) {
        if (k.key == "created_at") {
            out.push_back({Column::kCreatedAt, k.descending});
        } else if (k.key == "id") {
            out.push_back({Column::kId, k.descending});
            return out;
        } else {
            return std::nullopt;
        }
    }
    return std::nullopt;  // no id: the order is not total in SQL's terms
}

struct CellPage {
    handlers::CellDatabases::Cell cell;
    std::vector<Server> servers;  // in the cell's SQL order
};

}  // namespace

bool IsInstanceColumn(std::string_view name) { return InstanceColumns().contains(name); }

std::vector<SortKey> CellSortKeys(const std::vector<SortKey>& keys) {
    auto out = keys;
    if (std::none_of(out.begin(), out.end(), [](const SortKey& k) { return k.key == "uuid"; })) {
        out.push_back({"uuid", false});
    }
    return out;
}

std::string CellListSql(const ServerListQuery& query, const std::set<std::string>& columns,
                        const std::optional<MarkerValues>& marker, db::Params& params) {
    const auto& f = query.filters;
    if (f.match_nothing) return "";
    std::string select;
    for (const auto& c : columns) select += (select.empty() ? "" : ", ") + Column(c);
    std::string where = query.deleted_only ? "`deleted` != 0" : query.include_deleted ? "1 = 1" : "`deleted` = 0";
    // Nova hides the source instance of a cross-cell move (hidden = NULL on old rows).
    where += " AND (`hidden` = 0 OR `hidden` IS NULL)";
    if (query.project_id) {
        where += " AND `project_id` = ?";
        params.emplace_back(*query.project_id);
    }
    for (const auto& [column, values] : f.exact) {
        if (values.empty()) return "";
        std::string any;
        std::size_t n = 0;
        bool null = false;
        for (const auto& v : values) {
            if (v == "None" || v.empty()) null = true;
            if (v == "None") continue;
            ++n;
            params.emplace_back(v);
        }
        if (n > 0) any = Column(column) + " IN (" + Placeholders(n) + ")";
        if (null) any += (any.empty() ? "" : " OR ") + Column(column) + " IS NULL";
        where += " AND (" + any + ")";
    }
    for (const auto& [column, pattern] : f.regex) {
        // Nova's _regex_instance_filter: column REGEXP value (case-insensitive under the
        // tables' utf8mb4 collation; numbers and datetimes as their text).
        where += " AND CAST(" + Column(column) + " AS CHAR) REGEXP ?";
        params.emplace_back(pattern);
    }
    if (f.changes_since) {
        where += " AND `updated_at` >= ?";
        params.emplace_back(*f.changes_since);
    }
    if (f.changes_before) {
        where += " AND `updated_at` <= ?";
        params.emplace_back(*f.changes_before);
    }
    if (f.locked) {
        where += " AND COALESCE(`locked`, 0) = ?";
        params.emplace_back(std::int64_t{*f.locked ? 1 : 0});
    }
    // Tags (Nova's instance_get_all_by_filters_sort): tags = every one of them, tags-any = at
    // least one, not-tags = not every one, not-tags-any = none of them.
    auto tagged = [&](const std::vector<std::string>& tags) {
        for (const auto& t : tags) params.emplace_back(t);
        return std::string("`uuid` IN (SELECT `resource_id` FROM `tags` WHERE `tag` IN (") + Placeholders(tags.size()) +
               "))";
    };
    auto all_of = [&](const std::vector<std::string>& tags) {
        std::string out;
        for (const auto& t : tags) out += (out.empty() ? "" : " AND ") + tagged({t});
        return "(" + out + ")";
    };
    if (!f.tags.empty()) where += " AND " + all_of(f.tags);
    if (!f.tags_any.empty()) where += " AND " + tagged(f.tags_any);
    if (!f.not_tags.empty()) where += " AND NOT " + all_of(f.not_tags);
    if (!f.not_tags_any.empty()) where += " AND NOT " + tagged(f.not_tags_any);
    const auto keys = CellSortKeys(query.keys);
    if (marker) {
        // Rows strictly after the marker in the sort order, MySQL's NULLs being the smallest
        // values (first ascending, last descending).
        if (marker->values.size() != keys.size()) throw InvalidInput({{"reason", "marker values do not match the keys"}});
        std::string after;
        std::string equal_before;
        db::Params equal_params;
        for (std::size_t i = 0; i < keys.size(); ++i) {
            const auto col = Column(keys[i].key);
            const auto& v = marker->values[i];
            std::string later;
            db::Params later_params;
            if (!v) {
                later = keys[i].descending ? "" : col + " IS NOT NULL";
            } else if (keys[i].descending) {
                later = "(" + col + " < ? OR " + col + " IS NULL)";
                later_params.emplace_back(*v);
            } else {
                later = col + " > ?";
                later_params.emplace_back(*v);
            }
            if (!later.empty()) {
                after += (after.empty() ? "(" : " OR (") + equal_before + (equal_before.empty() ? "" : " AND ") + later + ")";
                params.insert(params.end(), equal_params.begin(), equal_params.end());
                params.insert(params.end(), later_params.begin(), later_params.end());
            }
            equal_before += (equal_before.empty() ? "" : " AND ") + (v ? col + " = ?" : col + " IS NULL");
            if (v) equal_params.emplace_back(*v);
        }
        where += " AND (" + (after.empty() ? std::string("1 = 0") : after) + ")";
    }
    std::string order;
    for (const auto& k : keys) order += (order.empty() ? "" : ", ") + Column(k.key) + (k.descending ? " DESC" : " ASC");
    return "SELECT " + select + " FROM `instances` WHERE " + where + " ORDER BY " + order + " LIMIT " +
           std::to_string(query.limit);
}

BuildRequestPage ListBuildRequests(db::Pool& api_db, const Clock& clock, const ServerListQuery& query,
                                   BuildRequestScan scan) {
    BuildRequestPage page;
    if (query.deleted_only) return page;  // build requests are never deleted rows
    const auto keys = CellSortKeys(query.keys);
    db::BuildRequestStore requests(api_db, clock);
    const auto order = scan == BuildRequestScan::kBest ? SqlOrder(keys) : std::nullopt;

    if (order) {
        // In SQL order, chunk by chunk, until `limit` match after the marker.
        std::optional<objects::BuildRequest> after;
        if (query.marker) {
            // The marker must be one of the build requests this list shows (project and
            // filters), as in the load-all path; else the build requests all come before it.
            try {
                after = requests.GetByInstanceUuid(*query.marker);
            } catch (const BuildRequestNotFound&) {
            }
            if (after && query.project_id && after->project_id() != *query.project_id) after.reset();
            if (after) {
                auto copy = *after;
                auto s = FromBuildRequest(copy);
                if (!handlers::MatchesFilters(s.instance, s.tags, query.filters)) after.reset();
            }
            if (!after) return page;
            page.marker_found = true;
        }
        if (query.limit == 0 || query.filters.match_nothing) return page;
        const std::size_t first_chunk = std::max<std::size_t>(query.limit, 4);
        page.rows_read = requests.ForEachInOrder(
            query.project_id, *order, after ? &*after : nullptr, first_chunk, [&](objects::BuildRequest& br) {
                auto s = FromBuildRequest(br);
                if (handlers::MatchesFilters(s.instance, s.tags, query.filters)) page.servers.push_back(std::move(s));
                return page.servers.size() < query.limit;
            });
        return page;
    }

    // Any other key: every build request loaded, filtered and sorted here (Nova's
    // BuildRequestList.get_by_filters).
    auto brs = query.project_id ? requests.GetByProject(*query.project_id) : requests.GetAll();
    page.rows_read = brs.size();
    std::vector<Building> building;
    for (auto& br : brs) {
        const auto id = br.id();
        auto s = FromBuildRequest(br);
        if (handlers::MatchesFilters(s.instance, s.tags, query.filters)) building.push_back({std::move(s), id});
    }
    std::vector<std::vector<SortKey>> one;
    for (const auto& k : keys) one.push_back({k});
    std::stable_sort(building.begin(), building.end(),
                     [&](const Building& a, const Building& b) { return CompareBuilding(a, b, keys, one) < 0; });
    std::size_t start = 0;
    if (query.marker) {
        auto it = std::find_if(building.begin(), building.end(),
                               [&](const Building& b) { return b.server.instance.uuid() == *query.marker; });
        if (it == building.end()) return page;  // the marker is in a cell: every build request came before it
        page.marker_found = true;
        start = static_cast<std::size_t>(it - building.begin()) + 1;
    }
    for (std::size_t i = start; i < building.size() && page.servers.size() < query.limit; ++i) {
        page.servers.push_back(std::move(building[i].server));
    }
    return page;
}

std::vector<Server> ListServers(const ComputeApi& api, const ServerListQuery& query) {
    auto& deps = api.deps();
    const auto keys = CellSortKeys(query.keys);

    // Build requests first (still in the API database), then the cells; a marker among the
    // build requests starts the cells from the top.
    auto build_page = ListBuildRequests(*deps.api_db, deps.clock, query);
    std::vector<Server> building = std::move(build_page.servers);
    std::optional<std::string> cell_marker = query.marker;
    if (build_page.marker_found) cell_marker.reset();
    const std::size_t cell_limit = query.limit - building.size();

    auto cells = deps.cells->All(true);
    std::optional<MarkerValues> marker;
    if (cell_marker) {
        // Nova's InstanceLister.get_marker_record: the mapping's cell, deleted rows included.
        std::optional<objects::InstanceMapping> mapping;
        try {
            mapping = db::InstanceMappingStore(*deps.api_db, deps.clock).GetByInstanceUuid(*cell_marker);
        } catch (const InstanceMappingNotFound&) {
        }
        if (mapping && objects::IsSet(*mapping, "cell_mapping") && !objects::IsNull(*mapping, "cell_mapping") &&
            !mapping->cell_mapping().uuid().empty()) {
            std::string select;
            for (const auto& k : keys) select += (select.empty() ? "" : ", ") + Column(k.key);
            auto rows = deps.cells->PoolFor(mapping->cell_mapping())
                            .Query("SELECT " + select + " FROM `instances` WHERE `uuid` = ? ORDER BY `deleted` LIMIT 1",
                                   {*cell_marker});
            if (!rows.empty()) {
                marker.emplace();
                for (std::size_t i = 0; i < keys.size(); ++i) marker->values.push_back(rows.front().value(i));
            }
        }
        if (!marker) throw HttpFault(400, "marker [" + *cell_marker + "] not found");
    }

    // Each cell: the first cell_limit rows after the marker, in SQL.
    std::set<std::string> columns =
        query.detail ? handlers::ServerViewColumns() : std::set<std::string>{"id", "uuid", "display_name"};
    for (const auto& k : keys) columns.insert(k.key);
    std::vector<CellPage> pages;
    if (cell_limit > 0) {
        auto cell_query = query;
        cell_query.limit = cell_limit;
        for (auto& cell : cells) {
            db::Params params;
            auto sql = CellListSql(cell_query, columns, marker, params);
            if (sql.empty()) continue;
            CellPage page{cell, {}};
            auto rows = cell.pool->Query(sql, params);
            if (!rows.empty()) {
                const auto fields = FieldsOf(rows.front());
                page.servers.reserve(rows.size());
                for (const auto& row : rows) {
                    Server s;
                    s.cell = cell.mapping;
                    s.pool = cell.pool;
                    s.instance = InstanceFromRow(row, fields);
                    page.servers.push_back(std::move(s));
                }
            }
            pages.push_back(std::move(page));
        }
    }

    // Merge: the smallest head among the cells until the page is full.
    std::vector<Server> out = std::move(building);
    std::set<std::string> seen;
    std::vector<std::size_t> next(pages.size(), 0);
    while (out.size() < query.limit) {
        std::optional<std::size_t> best;
        for (std::size_t c = 0; c < pages.size(); ++c) {
            if (next[c] >= pages[c].servers.size()) continue;
            if (!best || CompareInstances(pages[c].servers[next[c]].instance,
                                          pages[*best].servers[next[*best]].instance, keys) < 0) {
                best = c;
            }
        }
        if (!best) break;
        auto& s = pages[*best].servers[next[*best]++];
        if (seen.insert(s.instance.uuid()).second) out.push_back(std::move(s));
    }
    // A BuildRequest whose instance is already in a cell (the conductor is between its two
    // writes) is shown from the cell.
    std::erase_if(out, [&](const Server& s) { return s.building() && seen.contains(s.instance.uuid()); });

    if (query.detail) {
        // What the view shows beyond the rows' columns, per cell: flavor, metadata,
        // locked_reason and the faults of ERROR and DELETED servers in one or two statements.
        std::map<db::Pool*, std::vector<objects::Instance*>> by_cell;
        std::map<db::Pool*, std::set<std::string>> with_fault;
        for (auto& s : out) {
            if (s.building()) continue;
            by_cell[s.pool].push_back(&s.instance);
            auto task_state = s.instance.has_task_state() ? std::optional<std::string>(s.instance.task_state()) : std::nullopt;
            auto status = StatusFromState(s.instance.vm_state(), task_state);
            if (status == "ERROR" || status == "DELETED") with_fault[s.pool].insert(s.instance.uuid());
        }
        for (auto& [pool, list] : by_cell) {
            db::InstanceStore(*pool, deps.clock).LoadViewRelated(list, with_fault[pool]);
        }
        if (query.tags) {
            // The page's tags (2.26): one IN query per cell, as the related data above.
            std::map<db::Pool*, std::vector<std::string>> uuids;
            for (const auto& s : out) {
                if (!s.building()) uuids[s.pool].push_back(s.instance.uuid());
            }
            for (auto& [pool, ids] : uuids) {
                auto tags = db::TagStore(*pool).GetByInstances(ids);
                for (auto& s : out) {
                    if (s.building() || s.pool != pool) continue;
                    if (auto it = tags.find(s.instance.uuid()); it != tags.end()) s.tags = std::move(it->second);
                }
            }
        }
    }
    return out;
}

}  // namespace nova::api
