#pragma once
// Cells v2 mappings in the API database: cell_mappings, host_mappings, instance_mappings.
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/db/pool.hpp"
#include "nova/objects/cell_mapping.pb.h"
#include "nova/objects/host_mapping.pb.h"
#include "nova/objects/instance_mapping.pb.h"

namespace nova::db {

// cell0's fixed uuid (Nova's CellMapping.CELL0_UUID).
inline constexpr const char* kCell0Uuid = "00000000-0000-0000-0000-000000000000";

class CellMappingStore {
public:
    CellMappingStore(Pool& api, const Clock& clock) : pool_(api), clock_(clock) {}
    void Create(objects::CellMapping& cell);
    objects::CellMapping GetByUuid(const std::string& uuid);  // CellMappingNotFound
    // Ordered by id, as nova-manage lists them.
    std::vector<objects::CellMapping> GetAll();
    void Save(objects::CellMapping& cell);
    // Throws CellMappingNotFound; a cell with hosts or instances mapped cannot go (DBError).
    void Destroy(const std::string& uuid);

private:
    Pool& pool_;
    const Clock& clock_;
};

class HostMappingStore {
public:
    HostMappingStore(Pool& api, const Clock& clock) : pool_(api), clock_(clock) {}
    // Throws HostMappingExists when the host is mapped already.
    void Create(objects::HostMapping& mapping);
    objects::HostMapping GetByHost(const std::string& host);  // HostMappingNotFound
    std::vector<objects::HostMapping> GetAll();
    std::vector<objects::HostMapping> GetByCell(const std::string& cell_uuid);
    void Save(objects::HostMapping& mapping);
    void Destroy(const std::string& host);

private:
    Pool& pool_;
    const Clock& clock_;
};

class InstanceMappingStore {
public:
    InstanceMappingStore(Pool& api, const Clock& clock) : pool_(api), clock_(clock) {}
    void Create(objects::InstanceMapping& mapping);
    // The same inside the caller's transaction.
    void Create(Session& s, objects::InstanceMapping& mapping, WallTime now);
    // Several in one INSERT inside the caller's transaction (those with a cell one by one);
    // their ids are not read back.
    void CreateMany(Session& s, const std::vector<objects::InstanceMapping*>& mappings, WallTime now);
    objects::InstanceMapping GetByInstanceUuid(const std::string& uuid);  // InstanceMappingNotFound
    std::vector<objects::InstanceMapping> GetByProject(const std::string& project_id);
    std::vector<objects::InstanceMapping> GetByCell(const std::string& cell_uuid);
    // Writes cell_mapping, queued_for_delete, user_id when changed.
    void Save(objects::InstanceMapping& mapping);
    // Points the instance's mapping at the cell in one statement (what GetByInstanceUuid,
    // setting cell_mapping and Save do in five round trips). InstanceMappingNotFound.
    void SetCell(const std::string& instance_uuid, const objects::CellMapping& cell);
    void Destroy(const std::string& instance_uuid);

private:
    Pool& pool_;
    const Clock& clock_;
};

}  // namespace nova::db
