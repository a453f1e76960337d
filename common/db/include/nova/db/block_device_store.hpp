#pragma once
// Block device mappings and network info caches (cell database): what nova-compute reads and
// saves through the conductor while it builds and deletes servers.
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/db/pool.hpp"
#include "nova/objects/block_device.pb.h"
#include "nova/objects/instance_info_cache.pb.h"

namespace nova::db {

class BlockDeviceMappingStore {
public:
    BlockDeviceMappingStore(Pool& cell, const Clock& clock) : pool_(cell), clock_(clock) {}
    // The `instance` field is not stored (it is the instance the mapping belongs to).
    void Create(objects::BlockDeviceMapping& bdm);
    objects::BlockDeviceMapping GetById(std::int64_t id);  // NotFound
    // Ordered by id, as Nova lists them.
    std::vector<objects::BlockDeviceMapping> GetByInstanceUuid(const std::string& instance_uuid);
    std::vector<objects::BlockDeviceMapping> GetByVolume(const std::string& volume_id);
    void Save(objects::BlockDeviceMapping& bdm);
    void Destroy(objects::BlockDeviceMapping& bdm);  // soft delete

private:
    Pool& pool_;
    const Clock& clock_;
};

class InstanceInfoCacheStore {
public:
    InstanceInfoCacheStore(Pool& cell, const Clock& clock) : pool_(cell), clock_(clock) {}
    // InstanceInfoCacheNotFound when the instance has none.
    objects::InstanceInfoCache GetByInstanceUuid(const std::string& instance_uuid);
    // Writes network_info, creating the row if the instance has none yet (Nova's
    // instance_info_cache_update).
    void Save(objects::InstanceInfoCache& cache);

private:
    Pool& pool_;
    const Clock& clock_;
};

}  // namespace nova::db
