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
    // The same inside the caller's transaction.
    void Create(Session& s, objects::RequestSpec& spec, WallTime now);
    // Several in one INSERT inside the caller's transaction; their ids are not read back.
    void CreateMany(Session& s, const std::vector<objects::RequestSpec*>& specs, WallTime now);
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
    // The same inside the caller's transaction.
    void Create(Session& s, objects::BuildRequest& request, WallTime now);
    // Several in one INSERT inside the caller's transaction; their ids are not read back.
    void CreateMany(Session& s, const std::vector<objects::BuildRequest*>& requests, WallTime now);

    // What the quota check counts of a project's BuildRequests (servers accepted by the API
    // and not yet in a cell; the conductor deletes the BuildRequest after creating the
    // instance in its cell): the instance's uuid, user, vcpus and memory_mb, read in SQL from
    // the stored instance without loading it. Inside the caller's transaction.
    struct Pending {
        std::string instance_uuid;
        std::string user_id;
        std::int64_t vcpus = 0;
        std::int64_t memory_mb = 0;
    };
    static std::vector<Pending> GetPending(Session& s, const std::string& project_id);
    // Only the uuids of those (no JSON read), and GetPending for some of them.
    static std::vector<std::string> GetPendingUuids(Session& s, const std::string& project_id);
    static std::vector<Pending> GetPending(Session& s, const std::string& project_id,
                                           const std::vector<std::string>& uuids);
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
