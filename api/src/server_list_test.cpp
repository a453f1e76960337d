#include "server_list.hpp"

#include <doctest/doctest.h>

#include "nova/common/error.hpp"

namespace nova::api {

TEST_CASE("server list: one cell's SQL pushes scope, filters, sort, marker and limit") {
    ServerListQuery q;
    q.project_id = "demo";
    q.filters.exact["vm_state"] = {"active", "stopped"};
    q.filters.exact["task_state"] = {"None"};
    q.filters.regex["display_name"] = "^web";
    q.filters.locked = false;
    q.keys = handlers::SortKeys({"display_name"}, {"asc"});
    q.limit = 50;
    db::Params params;
    auto sql = CellListSql(q, {"id", "uuid", "display_name"}, std::nullopt, params);
    CHECK(sql ==
          "SELECT `display_name`, `id`, `uuid` FROM `instances` WHERE `deleted` = 0 AND (`hidden` = 0 OR `hidden` IS NULL)"
          " AND `project_id` = ? AND (`task_state` IS NULL) AND (`vm_state` IN (?, ?))"
          " AND CAST(`display_name` AS CHAR) REGEXP ? AND COALESCE(`locked`, 0) = ?"
          " ORDER BY `display_name` ASC, `created_at` ASC, `id` ASC, `uuid` ASC LIMIT 50");
    CHECK(params.size() == 5);

    // The marker: rows strictly after its values (NULLs first ascending, last descending).
    ServerListQuery m;
    m.keys = handlers::SortKeys({"host"}, {"desc"});
    m.limit = 2;
    MarkerValues after{{std::nullopt, std::string("2026-01-01 00:00:00"), std::string("7"), std::string("u")}};
    db::Params mp;
    auto keyset = CellListSql(m, {"uuid"}, after, mp);
    CHECK(keyset ==
          "SELECT `uuid` FROM `instances` WHERE `deleted` = 0 AND (`hidden` = 0 OR `hidden` IS NULL) AND ("
          "(`host` IS NULL AND (`created_at` < ? OR `created_at` IS NULL))"
          " OR (`host` IS NULL AND `created_at` = ? AND (`id` < ? OR `id` IS NULL))"
          " OR (`host` IS NULL AND `created_at` = ? AND `id` = ? AND `uuid` > ?))"
          " ORDER BY `host` DESC, `created_at` DESC, `id` DESC, `uuid` ASC LIMIT 2");
    CHECK(mp.size() == 6);

    // Nothing can match: no query at all; names never reach SQL unchecked.
    ServerListQuery none;
    none.filters.match_nothing = true;
    db::Params np;
    CHECK(CellListSql(none, {"uuid"}, std::nullopt, np).empty());
    ServerListQuery bad;
    bad.keys = {{"uuid`; DROP TABLE instances; --", false}};
    CHECK_THROWS_AS(CellListSql(bad, {"uuid"}, std::nullopt, np), InvalidInput);
    CHECK_THROWS_AS(CellListSql(ServerListQuery{}, {"no_such_column"}, std::nullopt, np), InvalidInput);
}

TEST_CASE("server list: tag filters in each cell's SQL, with Nova's meanings") {
    ServerListQuery q;
    q.limit = 10;
    q.keys = handlers::SortKeys({}, {});
    q.filters.tags = {"a", "b"};           // both
    q.filters.tags_any = {"c", "d"};       // at least one
    q.filters.not_tags = {"e", "f"};       // not both
    q.filters.not_tags_any = {"g", "h"};   // neither
    db::Params params;
    auto sql = CellListSql(q, {"uuid"}, std::nullopt, params);
    const std::string in = "`uuid` IN (SELECT `resource_id` FROM `tags` WHERE `tag` IN (";
    CHECK(sql ==
          "SELECT `uuid` FROM `instances` WHERE `deleted` = 0 AND (`hidden` = 0 OR `hidden` IS NULL)"
          " AND (" + in + "?)) AND " + in + "?)))"
          " AND " + in + "?, ?))"
          " AND NOT (" + in + "?)) AND " + in + "?)))"
          " AND NOT " + in + "?, ?))"
          " ORDER BY `created_at` DESC, `id` DESC, `uuid` ASC LIMIT 10");
    std::vector<std::string> bound;
    for (const auto& p : params) bound.push_back(std::get<std::string>(p));
    CHECK(bound == std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g", "h"});

    // One filter alone, and match_nothing still short-circuits.
    ServerListQuery one;
    one.limit = 1;
    one.filters.not_tags_any = {"x"};
    db::Params p1;
    CHECK(CellListSql(one, {"uuid"}, std::nullopt, p1).find("AND NOT " + in + "?))") != std::string::npos);
    one.filters.match_nothing = true;
    db::Params p2;
    CHECK(CellListSql(one, {"uuid"}, std::nullopt, p2).empty());
}

}  // namespace nova::api
