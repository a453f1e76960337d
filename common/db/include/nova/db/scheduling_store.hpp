#pragma once
// What the API writes before a server is scheduled (API database): the RequestSpec and the
// BuildRequest, each kept as the JSON primitive of its object as Nova keeps them.
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/db/pool.hpp"
#include "nova/objects/build_request.pb.h"
#include "nova/objects/request_spec.pb.h"

namespace nova::db {

class RequestSpecStore {
public:
    RequestSpecStore(Pool& api, const Clock& clock) : pool_(api), clock_(clock) {}
    void Create(objects::RequestSpec& spec);  // needs instance_uuid
    objects::RequestSpec GetByInstanceUuid(const std::string& uuid);  // RequestSpecNotFound
    void Save(objects::RequestSpec& spec);
    void Destroy(const std::string& instance_uuid);

private:
    Pool& pool_;
    const Clock& clock_;
};

class BuildRequestStore {
public:
    BuildRequestStore(Pool& api, const Clock& clock) : pool_(api), clock_(clock) {}
    void Create(objects::BuildRequest& request);
    objects::BuildRequest GetByInstanceUuid(const std::string& uuid);  // BuildRequestNotFound
    std::vector<objects::BuildRequest> GetByProject(const std::string& project_id);
    std::vector<objects::BuildRequest> GetAll();
    // Writes the instance and tags (Nova's BuildRequest.save, for an update before the server
    // reaches a cell); BuildRequestNotFound when the conductor or a delete removed it.
    void Save(objects::BuildRequest& request);
    // BuildRequestNotFound when it is gone (the conductor and a delete raced).
    void Destroy(const std::string& instance_uuid);

private:
    Pool& pool_;
    const Clock& clock_;
};

}  // namespace nova::db
