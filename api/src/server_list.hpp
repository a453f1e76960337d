#pragma once
// GET /servers and /servers/detail across the cells, as Nova's compute API get_all and
// compute/multi_cell_list.py do it:
//   - build requests first (still in the API database; see ListBuildRequests); a marker
//     found among them pages through them and then starts the cells from the top;
//   - each cell (cell0 included) is asked for its instances filtered, sorted and limited in
//     SQL, after the marker's sort values when there is a marker (keyset pagination: the
//     marker is found through its instance mapping, deleted or not, as Nova's
//     get_marker_record);
//   - the cells' sorted answers are merged taking the first `limit` (each cell's SQL order is
//     kept, ties across cells broken by uuid as Nova's InstanceSortContext appends it);
//   - for the detail view only the page's rows are then loaded whole (instance_extra,
//     metadata, system metadata, info cache, fault, and tags from 2.26) in batched IN queries
//     per cell.
// So a page costs O(limit) rows per cell whatever the number of servers.
#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "compute_api.hpp"
#include "handlers/server_view.hpp"
#include "nova/common/clock.hpp"
#include "nova/db/pool.hpp"
#include "nova/db/session.hpp"

namespace nova::api {

struct ServerListQuery {
    std::optional<std::string> project_id;  // nullopt: every project (admin all_tenants)
    bool include_deleted = false;           // changes-since/-before
    bool deleted_only = false;              // admin deleted=true
    handlers::ServerFilters filters;        // columns already reduced to instance columns
    std::vector<handlers::SortKey> keys;    // SortKeys(...): created_at and id included
    std::size_t limit = 1000;
    std::optional<std::string> marker;
    bool detail = false;
    bool tags = false;  // a detail page from 2.26: the cell servers' tags loaded too
};

// Whether `name` is a column of the cell databases' `instances` table.
bool IsInstanceColumn(std::string_view name);

// The sort keys of a cell query: `keys` then uuid ascending unless present (Nova's
// InstanceSortContext).
std::vector<handlers::SortKey> CellSortKeys(const std::vector<handlers::SortKey>& keys);

// One cell's query: "SELECT <columns> FROM `instances` WHERE <scope, filters, after the
// marker> ORDER BY <keys> LIMIT <limit>", appending the bound values to `params`. `marker`
// holds the marker row's values of every sort key (nullopt: no marker). Columns and keys must
// be instance columns (InvalidInput otherwise: no name reaches SQL unchecked). Returns ""
// when the filters can match nothing in a cell.
struct MarkerValues {
    std::vector<std::optional<std::string>> values;  // one per CellSortKeys(keys) entry
};
std::string CellListSql(const ServerListQuery& query, const std::set<std::string>& columns,
                        const std::optional<MarkerValues>& marker, db::Params& params);

// The build requests of a page (Nova's BuildRequestList.get_by_filters: the instances of the
// servers accepted and not yet in a cell, in the project's scope, filtered, sorted with `id`
// meaning the build request's id and created_at its created_at), at most `limit` after the
// marker. When the sort keys up to `id` are created_at and id (the default: created_at desc,
// id desc) they are read in that order from SQL chunk by chunk until `limit` match, so a
// short page reads a few rows whatever their number; for any other key (or kLoadAll) every
// one is loaded, filtered and sorted in memory. Both give the same page.
struct BuildRequestPage {
    std::vector<Server> servers;
    bool marker_found = false;   // the marker is one of the build requests the list shows
    std::size_t rows_read = 0;   // build requests read from the database
};
enum class BuildRequestScan { kBest, kLoadAll };
BuildRequestPage ListBuildRequests(db::Pool& api_db, const Clock& clock, const ServerListQuery& query,
                                   BuildRequestScan scan = BuildRequestScan::kBest);

// The page, build requests first; the cell servers of a detail page have their full records.
// Throws HttpFault(400) "marker [X] not found".
std::vector<Server> ListServers(const ComputeApi& api, const ServerListQuery& query);

}  // namespace nova::api
