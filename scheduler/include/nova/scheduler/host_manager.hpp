#pragma once
// Where host states come from (Nova's HostManager): compute nodes and their nova-compute
// services from every cell database, aggregates from the API database, and the instances of
// each node. Reading all of that for every request does not scale to thousands of hosts, so
// one snapshot is kept for [scheduler] host_state_cache_seconds and shared by concurrent
// requests; each request gets its own copies to consume from. When it expires, a background
// thread reads the next one while requests keep using the expired one (so no request waits
// for a refresh, except the very first); a snapshot is thus at most the TTL plus one read old.
// A stale snapshot can only make a choice worse, never overbook a host: claims are checked
// in the placement tables.
//
// Refreshes are incremental: only the services, compute nodes and instances created, updated
// or deleted since the previous read (by their timestamps, with kRefreshOverlap of slack for
// writes that committed late) are read again, and only the host states they touch are
// rebuilt; the others are shared between snapshots. Aggregates (few rows) are read whole.
// The first read, a soft-deleted service, and every kFullRefreshInterval read everything.
//
// Instances of a request's server group are always looked up fresh (their allocations), so
// that the affinity filters see members placed a moment ago by another scheduler.
//
// What this process's requests placed on a node (Consume) is subtracted from the copies of
// its state until its compute reports after it (Nova consumes from the HostState shared by
// its requests, and skips compute node records older than that). Without it every request
// served from one snapshot (and every one of a burst of concurrent requests) weighed the
// same best host first: a boot storm of 1,000 servers on 100 hosts put 85 % of them on two
// hosts, its claims queued on those two providers' row locks, and each claim's usage sum
// grew with the pile.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
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

    // Expires the snapshot: the next request refreshes it (incrementally) before choosing.
    void Invalidate();

    // `spec`'s flavor is being placed on the node `node_uuid` (Nova's consume_from_request on
    // the shared HostState): the host states GetHostStates copies from now on have it
    // subtracted, until the node's record says its compute reported after it. Unconsume takes
    // it back (a claim that failed).
    void Consume(const std::string& node_uuid, const objects::RequestSpec& spec);
    void Unconsume(const std::string& node_uuid, const objects::RequestSpec& spec);

    // How far back an incremental read looks before the start of the previous one.
    static constexpr std::chrono::seconds kRefreshOverlap{5};
    // Every this long a refresh reads everything (rows removed outright, clock oddities).
    static constexpr std::chrono::seconds kFullRefreshInterval{300};
    // A placement (Consume) not reported by its node's compute after this long never reached
    // it (the build was deleted or failed before the compute claimed it, and a compute writes
    // its record only when something changed): it is forgotten.
    static constexpr std::chrono::seconds kConsumedTtl{60};

    // Reads done so far, full and incremental (for tests and the benchmark).
    struct ReadCounts {
        std::uint64_t full = 0;
        std::uint64_t incremental = 0;
    };
    ReadCounts read_counts() const;

private:
    struct Snapshot {
        std::vector<std::shared_ptr<const HostState>> hosts;
        std::unordered_map<std::string_view, std::size_t> by_uuid;  // index in hosts
        MonoTime read_at;
        std::uint64_t epoch = 0;  // epoch_ when its read started
    };
    // What the reads have seen of one cell; guarded by refresh_mu_.
    struct CellIndex {
        std::map<std::string, objects::Service> services;        // nova-compute by host
        std::map<std::int64_t, objects::ComputeNode> orphans;    // nodes without a service yet
        std::map<std::int64_t, std::shared_ptr<const HostState>> states;  // by node id
        std::map<std::string, std::pair<std::string, std::string>> instance_at;  // uuid -> (host, node)
        std::map<std::pair<std::string, std::string>, std::set<std::string>> instances;
    };
    std::shared_ptr<const Snapshot> Current();
    std::shared_ptr<const Snapshot> Read();
    // Applies what changed in one cell since `since` (everything when nullopt) to `index`.
    void RefreshCell(const CellDatabase& cell, CellIndex& index, std::optional<WallTime> since,
                     bool aggregates_changed, bool& need_full);

    db::Pool& api_;
    std::vector<CellDatabase> cells_;
    const Clock& clock_;
    std::chrono::seconds ttl_;
    mutable std::mutex mu_;      // guards snapshot_, refreshing_, refresher_, counts_
    std::mutex refresh_mu_;      // one reader of the databases at a time; guards the index
    std::shared_ptr<const Snapshot> snapshot_;
    bool refreshing_ = false;
    std::uint64_t epoch_ = 0;  // bumped by Invalidate: older snapshots are refreshed before use
    std::thread refresher_;
    ReadCounts counts_;

    // Placed by this process's requests and not yet reported by the node's compute.
    struct Consumed {
        WallTime at;  // the latest Consume
        std::int64_t ram_mb = 0;
        std::int64_t disk_mb = 0;
        std::int64_t vcpus = 0;
        std::int64_t instances = 0;
    };
    void AddConsumed(const std::string& node_uuid, const objects::RequestSpec& spec, std::int64_t sign);
    std::mutex consumed_mu_;
    std::unordered_map<std::string, Consumed> consumed_;  // by node uuid

    // The incremental reader's state (refresh_mu_).
    std::vector<CellIndex> index_;
    std::map<std::string, std::vector<std::shared_ptr<const objects::Aggregate>>> aggregates_by_host_;
    std::string aggregates_seen_;  // the aggregates as last read, serialized
    std::optional<WallTime> last_read_started_;
    std::optional<WallTime> last_full_read_;
    bool need_full_ = true;
};

}  // namespace nova::scheduler
