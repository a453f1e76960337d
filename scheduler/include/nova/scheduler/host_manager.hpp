#pragma once
// Where host states come from (Nova's HostManager): compute nodes and their nova-compute
// services from every cell database, aggregates from the API database, and the instances of
// each node. Reading all of that for every request does not scale to thousands of hosts, so
// one snapshot is kept for [scheduler] host_state_cache_seconds and shared by concurrent
// requests; each request gets its own copies to consume from. When it expires, a background
// thread reads the next one while requests keep using the expired one (so no request waits
// for a refresh, except the very first); a snapshot is thus at most the TTL plus one read old. A stale snapshot can only make
// a choice worse, never overbook a host: claims are checked in the placement tables.
// Instances of a request's server group are always looked up fresh (their allocations), so
// that the affinity filters see members placed a moment ago by another scheduler.
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/db/pool.hpp"
#include "nova/objects/request_spec.pb.h"
#include "nova/scheduler/host_state.hpp"

namespace nova::scheduler {

struct CellDatabase {
    std::string cell_uuid;
    db::Pool* pool = nullptr;
};

class HostManager {
public:
    HostManager(db::Pool& api, std::vector<CellDatabase> cells, const Clock& clock,
                std::chrono::seconds cache_ttl);
    ~HostManager();
    HostManager(const HostManager&) = delete;
    HostManager& operator=(const HostManager&) = delete;

    // Copies of the host states whose compute node uuid is in `node_uuids` (all when
    // nullptr), with the members of `spec`'s server group that hold allocations added to the
    // instances of their node.
    std::vector<HostState> GetHostStates(const std::set<std::string>* node_uuids,
                                         const objects::RequestSpec& spec);

    // Drops the snapshot: the next request reads everything again.
    void Invalidate();

private:
    struct Snapshot {
        std::vector<HostState> hosts;
        MonoTime read_at;
    };
    std::shared_ptr<const Snapshot> Current();
    std::shared_ptr<const Snapshot> Read();

    db::Pool& api_;
    std::vector<CellDatabase> cells_;
    const Clock& clock_;
    std::chrono::seconds ttl_;
    std::mutex mu_;              // guards snapshot_, refreshing_, refresher_
    std::mutex refresh_mu_;      // one reader of the databases at a time
    std::shared_ptr<const Snapshot> snapshot_;
    bool refreshing_ = false;
    std::uint64_t epoch_ = 0;  // bumped by Invalidate
    std::thread refresher_;
};

}  // namespace nova::scheduler
