#pragma once
// Migrations (resize, cold and live migration, evacuation) in a cell database.
#include <optional>
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/db/pool.hpp"
#include "nova/objects/migration.pb.h"

namespace nova::db {

struct MigrationFilters {
    std::optional<std::string> instance_uuid;
    std::optional<std::string> host;  // source or destination compute
    std::optional<std::string> node;  // with host: source or destination node
    std::vector<std::string> statuses;
    std::optional<std::string> migration_type;
    std::optional<std::string> source_compute;
    std::optional<bool> hidden;
};

class MigrationStore {
public:
    MigrationStore(Pool& cell, const Clock& clock) : pool_(cell), clock_(clock) {}
    void Create(objects::Migration& migration);
    objects::Migration GetById(std::int64_t id);             // MigrationNotFound
    objects::Migration GetByUuid(const std::string& uuid);   // MigrationNotFound
    // The newest migration of the instance in `status` (MigrationNotFoundByStatus).
    objects::Migration GetByInstanceAndStatus(const std::string& instance_uuid, const std::string& status);
    std::vector<objects::Migration> GetByFilters(const MigrationFilters& filters);
    // What the resource tracker asks for: not finished, to or from host/node.
    std::vector<objects::Migration> GetInProgressByHostAndNode(const std::string& host, const std::string& node);
    void Save(objects::Migration& migration);

private:
    Pool& pool_;
    const Clock& clock_;
};

}  // namespace nova::db
