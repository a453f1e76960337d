#pragma once
// The compute API facade on the API's side (Nova's nova/compute/api.py API): finds servers
// where they live (a BuildRequest in the API database until the conductor has placed them,
// then the instance in its cell through the InstanceMapping), creates them (quota, the API
// database records, the conductor's schedule_and_build_instances), deletes them, and runs the
// state-checked operations that end in a cast to the instance's compute. The REST handlers
// (handlers/servers.cpp, handlers/server_actions.cpp) validate, authorize and build views;
// this class holds the logic and is the only place that writes server state in nova-api.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "flavor_cache.hpp"
#include "image_cache.hpp"
#include "handlers/handlers.hpp"
#include "instance_cells.hpp"
#include "nova/api/instance_state.hpp"
#include "nova/common/context.hpp"
#include "nova/common/json.hpp"
#include "nova/db/session.hpp"
#include "nova/objects/cell_mapping.pb.h"
#include "nova/objects/flavor.pb.h"
#include "nova/objects/instance.pb.h"
#include "nova/objects/migration.pb.h"

namespace nova::api {

// A server as the API finds it.
struct Server {
    objects::Instance instance;
    // The cell holding the instance; nullopt while it is still a BuildRequest.
    std::optional<objects::CellMapping> cell;
    db::Pool* pool = nullptr;  // the cell's database, when in a cell
    std::vector<std::string> tags;  // a BuildRequest's tags
    bool building() const { return !cell.has_value(); }
};

// What POST /servers asks for, after the handler's validation.
struct CreateRequest {
    std::string name;
    std::optional<std::string> description;  // nullopt: null
    std::string image_id;                    // "" only with a block device mapping
    std::string flavor_id;
    std::optional<std::string> key_name;
    std::map<std::string, std::string> metadata;
    std::optional<std::string> availability_zone;
    std::optional<std::string> forced_host;  // from "az:host:node" or 2.74 host
    std::optional<std::string> forced_node;  // from "az:host:node" or 2.74 hypervisor_hostname
    bool requested_destination = false;      // 2.74 host/hypervisor_hostname (not forced)
    std::int64_t min_count = 1;
    std::int64_t max_count = 1;
    std::optional<std::string> user_data;
    std::string admin_password;
    bool config_drive = false;
    std::optional<std::string> access_ip_v4;
    std::optional<std::string> access_ip_v6;
    bool auto_disk_config = false;
    std::vector<std::string> tags;
    Json scheduler_hints = Json::object();
    Json requested_networks;  // "auto", "none", a list, or null
    std::vector<std::string> security_groups;
};

struct CreateResult {
    std::vector<objects::Instance> instances;
    std::string reservation_id;
};

class ComputeApi {
public:
    explicit ComputeApi(handlers::HandlerDeps& deps);
    ~ComputeApi();
    ComputeApi(const ComputeApi&) = delete;
    ComputeApi& operator=(const ComputeApi&) = delete;

    // Throws InstanceNotFound, also for another project's server when `context` is a user
    // context (IsUserContext). `read_deleted`: deleted cell instances are found too.
    Server Get(const RequestContext& context, const std::string& uuid, bool read_deleted = false) const;
    // Get for GET /servers/{id}: the instance as the server view shows it
    // (InstanceStore::GetForView: one statement, not for Save()).
    Server GetForView(const RequestContext& context, const std::string& uuid) const;
    // Throws FlavorNotFound, ImageNotFound, ImageNotActive, FlavorMemoryTooSmall,
    // FlavorDiskTooSmall, KeypairNotFound, TooManyInstances, MetadataLimitExceeded,
    // HttpFault (400) for what Nova rejects with its own text.
    CreateResult Create(const RequestContext& context, const CreateRequest& request) const;

    // Nova's API.delete: a BuildRequest is deleted where it is (the conductor then does not
    // build it); a placed instance gets task_state deleting and a terminate cast, or is
    // deleted here when it has no host or its compute service is down.
    void Delete(const RequestContext& context, Server& server) const;

    // Name, description, access IPs, disk config of PUT /servers/{id}.
    void Update(const RequestContext& context, Server& server, const Json& changes) const;

    // The state-checked operations ("stop", "_soft_reboot", ... as in instance_state.hpp).
    // Throw InstanceIsLocked / InstanceInvalidState (the handler turns them into 409s).
    void Reboot(const RequestContext& context, Server& server, bool hard) const;
    void Stop(const RequestContext& context, Server& server) const;
    void Start(const RequestContext& context, Server& server) const;
    void Pause(const RequestContext& context, Server& server) const;
    void Unpause(const RequestContext& context, Server& server) const;
    void Suspend(const RequestContext& context, Server& server) const;
    void Resume(const RequestContext& context, Server& server) const;
    void Lock(const RequestContext& context, Server& server, std::optional<std::string> reason) const;
    void Unlock(const RequestContext& context, Server& server) const;
    // Resize to `flavor_id` (400 for the same flavor) or, without one, cold-migrate
    // (optionally to `host`). Waits for the conductor to have picked a destination.
    void Resize(const RequestContext& context, Server& server, const std::optional<std::string>& flavor_id,
                const std::optional<std::string>& host) const;
    void ConfirmResize(const RequestContext& context, Server& server) const;
    void RevertResize(const RequestContext& context, Server& server) const;
    std::string GetConsoleOutput(const RequestContext& context, Server& server, std::optional<int> length) const;
    void ResetState(const RequestContext& context, Server& server, const std::string& state) const;
    // Metadata: replace all (`replace`) or merge; delete one key.
    void UpdateMetadata(const RequestContext& context, Server& server,
                        const std::map<std::string, std::string>& metadata, bool replace) const;
    void DeleteMetadataKey(const RequestContext& context, Server& server, const std::string& key) const;

    // The compute service state behind host_status (2.16): UP, DOWN, MAINTENANCE, UNKNOWN,
    // or "" for an instance without a host.
    std::string HostStatus(const Server& server) const;

    handlers::HandlerDeps& deps() const { return deps_; }

private:
    // The rule check, task_state set (compare-and-set), instance action recorded.
    void Begin(const RequestContext& context, Server& server, std::string_view method,
               std::optional<std::string_view> action = std::nullopt) const;
    void RecordAction(const RequestContext& context, const Server& server, std::string_view action) const;
    void LocalDelete(const RequestContext& context, Server& server) const;
    // The instances/cores/ram limits that apply to the caller, and whether usage is counted
    // for the caller's user only (when it has limits of its own), as Nova decides.
    struct QuotaScope {
        std::map<std::string, std::int64_t> limits;
        std::optional<std::string> user;
    };
    QuotaScope InstanceQuota(const RequestContext& context) const;
    // Instances, cores and ram of the project (or user): its BuildRequests, read in the
    // caller's transaction on the API database, and its instances in the cells, each
    // instance counted once.
    std::map<std::string, std::int64_t> InstanceUsage(db::Session& api, const std::string& project_id,
                                                      const std::optional<std::string>& user) const;
    // A create waiting to be counted and written under its project's quota lock, and the
    // queue that writes the waiting creates of a project in one transaction (compute_api.cpp).
    struct Reservation;
    class ReservationQueue;
    // Counts, checks and writes a batch of one project's reservations in one transaction
    // that holds the project's quota lock; without `counted` (every limit of the batch
    // unlimited) only writes them.
    void WriteReservations(const std::string& project_id, const std::vector<Reservation*>& batch,
                           bool counted = true) const;
    // Get's lookup (cell cache, mapping, BuildRequest) with `load` reading the instance from
    // its cell's database.
    Server Find(const RequestContext& context, const std::string& uuid,
                const std::function<objects::Instance(db::Pool&)>& load) const;
    const conductor::ComputeTaskRpcApi& ComputeTask() const;
    const compute::ComputeRpcApi& ComputeRpc() const;

    handlers::HandlerDeps& deps_;
    mutable InstanceCellCache cell_cache_;  // Get: the instance mappings' cells
    mutable FlavorCache flavors_;           // Create, Resize: flavors by flavorid
    mutable ImageCache images_;             // Create: active images, for a short TTL
    std::unique_ptr<ReservationQueue> reservations_;
    // What the project's BuildRequests hold (by project, then instance uuid): they do not
    // change, so each is read from its JSON once (those written here never).
    struct PendingInfo {
        std::string user_id;
        std::int64_t vcpus = 0;
        std::int64_t memory_mb = 0;
    };
    mutable std::mutex pending_mutex_;
    mutable std::map<std::string, std::map<std::string, PendingInfo>> pending_;
};

// Nova's utils.sanitize_hostname.
std::string SanitizeHostname(const std::string& name);
// Nova's utils.generate_password: 12 characters without look-alikes.
std::string GeneratePassword(std::size_t length = 12);
// "r-" and 8 characters of [a-z0-9] (Nova's _new_reservation_id).
std::string NewReservationId();

// Nova's check_num_instances_quota on given limits and usage: the number of instances to
// build (max_count, or fewer down to min_count), else TooManyInstances with Nova's text.
std::int64_t InstancesWithinQuota(const std::map<std::string, std::int64_t>& limits,
                                  const std::map<std::string, std::int64_t>& used, std::int64_t vcpus,
                                  std::int64_t memory_mb, std::int64_t min_count, std::int64_t max_count);

}  // namespace nova::api
