#pragma once
// What the API writes before a server is scheduled (API database): the RequestSpec and the
// BuildRequest, each kept as the JSON primitive of its object as Nova keeps them.
#include <cstddef>
#include <functional>
#include <optional>
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

    // A column the build requests can be read in the order of, with the meaning a server list
    // gives it (Nova's BuildRequestList.get_by_filters): the row's created_at (which the
    // listed instance shows) and its id (the instance in a build request has none yet).
    struct OrderKey {
        enum class Column { kCreatedAt, kId };
        Column column = Column::kId;
        bool descending = false;
    };
    // Calls fn with each build request (of `project_id`; of every project when nullopt) in the
    // order of `keys` as MySQL orders them (a NULL created_at first ascending, last
    // descending; `id` ascending appended when absent, so the order is total), from the one
    // after `after` (by its created_at and id) when given, until fn returns false or none is
    // left. Reads them `first_chunk` rows at a time (at least 1), twice as many each next
    // time up to kMaxChunk, each chunk continuing after the last row of the one before
    // (keyset): a caller that stops early reads and parses only what it used, and rows that
    // the conductor deletes meanwhile are not skipped over. Returns the rows read.
    static constexpr std::size_t kMaxChunk = 256;
    std::size_t ForEachInOrder(const std::optional<std::string>& project_id, const std::vector<OrderKey>& keys,
                               const objects::BuildRequest* after, std::size_t first_chunk,
                               const std::function<bool(objects::BuildRequest&)>& fn);
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
