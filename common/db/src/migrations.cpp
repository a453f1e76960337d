#include "nova/db/migrations.hpp"

#include "nova/common/error.hpp"
#include "nova/common/log.hpp"

namespace nova::db {

namespace detail {
std::vector<Migration> ApiMigrations();
std::vector<Migration> MainMigrations();
}  // namespace detail

namespace {

constexpr std::string_view kVersionTable =
    "CREATE TABLE IF NOT EXISTS nova_cpp_migrate_version ("
    " id INT NOT NULL PRIMARY KEY,"
    " version INT NOT NULL,"
    " updated_at DATETIME NULL"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

spdlog::logger& Log() { return log::Get("nova.db.migration"); }

}  // namespace

const std::vector<Migration>& Migrations(Database which) {
    static const std::vector<Migration> api = detail::ApiMigrations();
    static const std::vector<Migration> main = detail::MainMigrations();
    return which == Database::kApi ? api : main;
}

int HeadVersion(Database which) { return Migrations(which).back().version; }

int CurrentVersion(Pool& pool) {
    return pool.Transaction([](Session& s) {
        auto exists = s.Query(
            "SELECT COUNT(*) AS n FROM information_schema.tables"
            " WHERE table_schema = DATABASE() AND table_name = 'nova_cpp_migrate_version'");
        if (exists.front().Int("n") == 0) return 0;
        auto rows = s.Query("SELECT version FROM nova_cpp_migrate_version WHERE id = 1");
        return rows.empty() ? 0 : static_cast<int>(rows.front().Int("version"));
    });
}

int Sync(Pool& pool, Database which, std::optional<int> target) {
    const auto& migrations = Migrations(which);
    const int head = HeadVersion(which);
    const int want = target.value_or(head);
    if (want < 0 || want > head) {
        throw InvalidInput({{"reason", "unknown database version " + std::to_string(want) +
                                           " (this release knows 0 to " +
                                           std::to_string(head) + ")"}});
    }
    // One sync at a time per database: a named lock held on one connection for the whole run.
    return pool.Transaction([&](Session& s) {
        auto locked = s.Query("SELECT GET_LOCK(CONCAT('nova_cpp_sync.', DATABASE()), 300) AS ok");
        if (locked.front().IsNull("ok") || locked.front().Int("ok") != 1) {
            throw DBError({{"reason", "timed out waiting for another database sync"}});
        }
        struct Unlock {
            Session& s;
            ~Unlock() {
                try {
                    s.Query("SELECT RELEASE_LOCK(CONCAT('nova_cpp_sync.', DATABASE())) AS ok");
                } catch (const std::exception&) {
                    // The lock goes with the connection anyway.
                }
            }
        } unlock{s};
        s.Execute(kVersionTable);
        auto rows = s.Query("SELECT version FROM nova_cpp_migrate_version WHERE id = 1");
        int current = rows.empty() ? 0 : static_cast<int>(rows.front().Int("version"));
        if (want < current) {
            throw InvalidInput({{"reason", "database is at version " + std::to_string(current) +
                                               "; downgrading to " + std::to_string(want) +
                                               " is not supported"}});
        }
        for (const auto& m : migrations) {
            if (m.version <= current || m.version > want) continue;
            NOVA_LOG_INFO(Log(), log::kNoContext, "Running upgrade {} -> {}, {}", current,
                          m.version, m.description);
            for (const auto& statement : m.statements) s.Execute(statement);
            s.Execute(
                "INSERT INTO nova_cpp_migrate_version (id, version, updated_at)"
                " VALUES (1, ?, UTC_TIMESTAMP())"
                " ON DUPLICATE KEY UPDATE version = VALUES(version), updated_at = UTC_TIMESTAMP()",
                {static_cast<std::int64_t>(m.version)});
            current = m.version;
        }
        return current;
    });
}

}  // namespace nova::db
