#pragma once
// Server groups (API database): instance_groups with their policy and members.
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/db/pool.hpp"
#include "nova/objects/instance_group.pb.h"

namespace nova::db {

class InstanceGroupStore {
public:
    InstanceGroupStore(Pool& api, const Clock& clock) : pool_(api), clock_(clock) {}
    // Stores the group, its policy (and _rules) and members. InstanceGroupIdExists on a
    // duplicate uuid.
    void Create(objects::InstanceGroup& group);
    objects::InstanceGroup GetByUuid(const std::string& uuid);  // InstanceGroupNotFound
    objects::InstanceGroup GetByName(const std::string& project_id, const std::string& name);
    // The group `instance_uuid` is a member of (InstanceGroupNotFound).
    objects::InstanceGroup GetByInstanceUuid(const std::string& instance_uuid);
    std::vector<objects::InstanceGroup> GetByProject(const std::string& project_id);
    // Every project's groups, by id (the API's all_projects).
    std::vector<objects::InstanceGroup> GetAll();
    // Adds members (those already in are kept once); returns the members added.
    std::vector<std::string> AddMembers(const std::string& uuid, const std::vector<std::string>& instance_uuids);
    void Destroy(const std::string& uuid);

private:
    Pool& pool_;
    const Clock& clock_;
};

}  // namespace nova::db
