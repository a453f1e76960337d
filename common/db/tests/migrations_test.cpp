#include <doctest/doctest.h>

#include <set>

#include "nova/common/error.hpp"
#include "nova/db/migrations.hpp"
#include "scratch_database.hpp"

using namespace nova;
using namespace nova::db;
using testing::ScratchDatabase;

namespace {

std::set<std::string> Tables(Pool& pool) {
    std::set<std::string> out;
    for (const auto& row : pool.Query("SELECT table_name AS t FROM information_schema.tables"
                                      " WHERE table_schema = DATABASE()")) {
        out.insert(row.String("t"));
    }
    return out;
}

std::set<std::string> Indexes(Pool& pool, const std::string& table) {
    std::set<std::string> out;
    for (const auto& row : pool.Query("SELECT DISTINCT index_name AS i FROM information_schema.statistics"
                                      " WHERE table_schema = DATABASE() AND table_name = ?",
                                      {table})) {
        out.insert(row.String("i"));
    }
    return out;
}

}  // namespace

TEST_CASE("the API database migrates from empty, and again as a no-op") {
    ScratchDatabase db;
    CHECK(CurrentVersion(db.pool()) == 0);
    CHECK(Sync(db.pool(), Database::kApi) == HeadVersion(Database::kApi));
    CHECK(CurrentVersion(db.pool()) == HeadVersion(Database::kApi));
    auto tables = Tables(db.pool());
    for (const char* t : {"cell_mappings", "host_mappings", "instance_mappings", "request_specs",
                          "build_requests", "flavors", "flavor_extra_specs", "flavor_projects",
                          "key_pairs", "instance_groups", "instance_group_member",
                          "instance_group_policy", "aggregates", "aggregate_hosts",
                          "aggregate_metadata", "quotas", "project_user_quotas", "quota_classes",
                          "quota_usages", "resource_providers", "inventories", "allocations",
                          "consumers"}) {
        CHECK_MESSAGE(tables.contains(t), t);
    }
    db.pool().Execute("INSERT INTO key_pairs (name, user_id, type) VALUES ('k', 'u', 'ssh')");
    CHECK(Sync(db.pool(), Database::kApi) == HeadVersion(Database::kApi));
    CHECK(Tables(db.pool()) == tables);
    CHECK(db.pool().Query("SELECT COUNT(*) AS n FROM key_pairs").front().Int("n") == 1);
}

TEST_CASE("the cell database migrates step by step, with Nova's indexes") {
    ScratchDatabase db;
    CHECK(Sync(db.pool(), Database::kMain, 2) == 2);
    CHECK(CurrentVersion(db.pool()) == 2);
    CHECK(Tables(db.pool()).contains("instance_actions_events"));
    CHECK_FALSE(Tables(db.pool()).contains("services"));
    CHECK(Sync(db.pool(), Database::kMain) == HeadVersion(Database::kMain));
    auto idx = Indexes(db.pool(), "instances");
    for (const char* i : {"uniq_instances0uuid", "instances_project_id_deleted_idx",
                          "instances_host_node_deleted_idx", "instances_uuid_deleted_idx",
                          "instances_updated_at_project_id_idx", "instances_task_state_updated_at_idx"}) {
        CHECK_MESSAGE(idx.contains(i), i);
    }
    CHECK(Indexes(db.pool(), "migrations").contains("migrations_by_host_nodes_and_status_idx"));
    CHECK_THROWS_AS(Sync(db.pool(), Database::kMain, 1), InvalidInput);  // no downgrades
    CHECK_THROWS_AS(Sync(db.pool(), Database::kMain, 99), InvalidInput);
}

TEST_CASE("a sync interrupted after its DDL is finished by the next one") {
    ScratchDatabase db;
    Sync(db.pool(), Database::kMain);
    // As if the process died after the tables of migration 3+ were made but before the
    // version was recorded: the statements run again, idempotently.
    db.pool().Execute("UPDATE nova_cpp_migrate_version SET version = 2");
    CHECK(Sync(db.pool(), Database::kMain) == HeadVersion(Database::kMain));
}

TEST_CASE("db sync adds the tags table to a cell database made before it (version 5)") {
    ScratchDatabase db;
    CHECK(Sync(db.pool(), Database::kMain, 5) == 5);
    CHECK_FALSE(Tables(db.pool()).contains("tags"));
    db.pool().Execute("INSERT INTO instances (uuid, deleted) VALUES ('11111111-2222-3333-4444-555555555555', 0)");
    CHECK(Sync(db.pool(), Database::kMain) == HeadVersion(Database::kMain));
    CHECK(HeadVersion(Database::kMain) >= 6);
    CHECK(Tables(db.pool()).contains("tags"));
    CHECK(Indexes(db.pool(), "tags") == std::set<std::string>{"PRIMARY", "tags_tag_idx"});
    // Nova's columns: resource_id varchar(36), tag varchar(80), both the primary key.
    auto columns = db.pool().Query(
        "SELECT column_name AS c, data_type AS t, character_maximum_length AS n, is_nullable AS nl"
        " FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'tags'"
        " ORDER BY ordinal_position");
    REQUIRE(columns.size() == 2);
    CHECK(columns.rows[0].String("c") == "resource_id");
    CHECK(columns.rows[0].Int("n") == 36);
    CHECK(columns.rows[1].String("c") == "tag");
    CHECK(columns.rows[1].String("t") == "varchar");
    CHECK(columns.rows[1].Int("n") == 80);
    CHECK(columns.rows[1].String("nl") == "NO");
    CHECK(db.pool().Query("SELECT COUNT(*) AS n FROM instances").front().Int("n") == 1);
}
