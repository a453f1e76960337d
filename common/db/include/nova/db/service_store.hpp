#pragma once
// Services and compute nodes in a cell database (soft-deleted as Nova does).
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/db/pool.hpp"
#include "nova/objects/compute_node.pb.h"
#include "nova/objects/service.pb.h"

namespace nova::db {

class ServiceStore {
public:
    ServiceStore(Pool& cell, const Clock& clock) : pool_(cell), clock_(clock) {}
    // Throws ServiceBinaryExists / ServiceTopicExists for a duplicate (host, binary|topic).
    void Create(objects::Service& service);
    objects::Service GetById(std::int64_t id);  // ServiceNotFound
    objects::Service GetByHostAndBinary(const std::string& host, const std::string& binary);
    // The nova-compute service of `host` (ComputeHostNotFound).
    objects::Service GetByComputeHost(const std::string& host);
    std::vector<objects::Service> GetAll(bool include_disabled = true);
    std::vector<objects::Service> GetByBinary(const std::string& binary, bool include_disabled = true);
    std::vector<objects::Service> GetByHost(const std::string& host);
    // Services of `binary` created, updated or deleted at or after `since`, soft-deleted ones
    // included (deleted() true): what an incremental reader of the table needs.
    std::vector<objects::Service> GetByBinaryChangedSince(const std::string& binary, WallTime since);
    // The lowest `version` among live services of `binary` (0 when there are none).
    std::int64_t GetMinimumVersion(const std::string& binary);
    void Save(objects::Service& service);
    void Destroy(objects::Service& service);

private:
    Pool& pool_;
    const Clock& clock_;
};

class ComputeNodeStore {
public:
    ComputeNodeStore(Pool& cell, const Clock& clock) : pool_(cell), clock_(clock) {}
    void Create(objects::ComputeNode& node);
    objects::ComputeNode GetById(std::int64_t id);        // ComputeHostNotFound
    objects::ComputeNode GetByUuid(const std::string& uuid);  // ComputeHostNotFound
    objects::ComputeNode GetByHostAndNodename(const std::string& host, const std::string& node);
    std::vector<objects::ComputeNode> GetAllByHost(const std::string& host);  // may be empty
    std::vector<objects::ComputeNode> GetAll();
    // Nodes created, updated or deleted at or after `since`, soft-deleted ones included.
    std::vector<objects::ComputeNode> GetChangedSince(WallTime since);
    // Nodes whose `mapped` is below `mapped_less_than` (discover_hosts).
    std::vector<objects::ComputeNode> GetAllByNotMapped(std::int64_t mapped_less_than);
    void Save(objects::ComputeNode& node);
    void Destroy(objects::ComputeNode& node);

private:
    Pool& pool_;
    const Clock& clock_;
};

}  // namespace nova::db
