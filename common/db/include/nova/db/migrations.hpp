#pragma once
// Ordered, idempotent schema migrations for the API database (nova_api) and the cell
// databases (nova_cell0, nova, ...): `nova-manage api_db sync` and `nova-manage db sync`.
//
// Each migration is a list of statements that are safe to run again (CREATE ... IF NOT
// EXISTS, ADD COLUMN IF NOT EXISTS): MySQL commits DDL statement by statement, so a sync that
// dies half-way is finished by the next one. The version reached is recorded in
// `nova_cpp_migrate_version` after each migration; a named lock keeps two syncs apart.
#include <optional>
#include <string>
#include <vector>

#include "nova/db/pool.hpp"

namespace nova::db {

struct Migration {
    int version;
    std::string description;
    std::vector<std::string> statements;
};

enum class Database { kApi, kMain };

// The migrations of a database, in order (versions 1, 2, ...).
const std::vector<Migration>& Migrations(Database which);
// The newest version this build knows.
int HeadVersion(Database which);

// The version the database is at, or 0 when it was never synced.
int CurrentVersion(Pool& pool);
// Brings the database to `target` (the head when unset). Returns the version reached.
// Throws InvalidInput when `target` is unknown or older than the database (downgrades are
// not supported, as in Nova).
int Sync(Pool& pool, Database which, std::optional<int> target = std::nullopt);

}  // namespace nova::db
