#pragma once
// Where the compute API's resource handlers plug in: one file per resource in this
// directory (flavors.cpp, keypairs.cpp, ...), each with a Register<Resource>(RouteTable&,
// HandlerDeps&) that declares its routes, and one line per resource in RegisterHandlers().
// docs/api.md explains how a route is declared (path, microversion range, policy rule,
// schemas) and how a handler builds its view.
#include <chrono>
#include <map>
#include <string>

#include "nova/api/image/image_service.hpp"
#include "nova/api/router.hpp"
#include "nova/common/clock.hpp"

namespace nova::db {
class Pool;
}
namespace nova::conductor {
class ComputeTaskRpcApi;
}
namespace nova::compute {
class ComputeRpcApi;
}
namespace nova::rpc {
class Notifier;
}

namespace nova::api::handlers {

class CellDatabases;

// Options the handlers read (from nova.conf; see main.cpp).
struct HandlerOptions {
    int max_limit = 1000;                                 // [api] max_limit
    std::chrono::seconds service_down_time{60};           // [DEFAULT] service_down_time
    std::string default_availability_zone = "nova";       // [DEFAULT] default_availability_zone
    std::string internal_service_availability_zone = "internal";
    // Quota defaults by Nova's resource name (nova/quota.py QUOTAS): [quota] options, and
    // -1 for the nova-network resources Nova keeps for its API answers.
    std::map<std::string, std::int64_t> quota_defaults = {
        {"instances", 10}, {"cores", 20}, {"ram", 51200}, {"metadata_items", 128},
        {"injected_files", 5}, {"injected_file_content_bytes", 10240},
        {"injected_file_path_bytes", 255}, {"key_pairs", 100}, {"server_groups", 10},
        {"server_group_members", 10}, {"fixed_ips", -1}, {"floating_ips", -1},
        {"security_groups", -1}, {"security_group_rules", -1}};
};

// What handlers may use. The RPC clients join this as their issues land; a handler
// receives only what it reads. `api_db` and `cells` are null when nova-api runs without
// an [api_database] connection: the resources that need them are then not served.
struct HandlerDeps {
    const image::ImageService& images;
    const Clock& clock;
    db::Pool* api_db = nullptr;
    CellDatabases* cells = nullptr;
    HandlerOptions options{};
    // The RPC clients (null when nova-api runs without [DEFAULT] transport_url: the servers
    // API then answers what needs a service with 503).
    const conductor::ComputeTaskRpcApi* compute_task = nullptr;
    const compute::ComputeRpcApi* compute_rpc = nullptr;
    // Versioned notifications nova-api sends itself ("nova-api:<host>"): null without a
    // transport; a no-op unless [oslo_messaging_notifications] driver enables them.
    const rpc::Notifier* notifier = nullptr;
};

void RegisterHandlers(RouteTable& routes, HandlerDeps& deps);

// The version documents inside the API (/v2.1/{project_id}/ and /v2.1/versions/{id}).
void RegisterVersions(RouteTable& routes);

// Resources whose backend is the databases only.
void RegisterFlavors(RouteTable& routes, HandlerDeps& deps);
void RegisterKeypairs(RouteTable& routes, HandlerDeps& deps);
void RegisterServices(RouteTable& routes, HandlerDeps& deps);
void RegisterAvailabilityZones(RouteTable& routes, HandlerDeps& deps);
void RegisterHypervisors(RouteTable& routes, HandlerDeps& deps);
void RegisterAggregates(RouteTable& routes, HandlerDeps& deps);
void RegisterServerGroups(RouteTable& routes, HandlerDeps& deps);
// /os-quota-sets and /limits.
void RegisterQuotaSets(RouteTable& routes, HandlerDeps& deps);
// /os-migrations and /servers/{id}/os-instance-actions.
void RegisterMigrations(RouteTable& routes, HandlerDeps& deps);
// /servers, /servers/detail, /servers/{id}, its actions, metadata (servers.cpp,
// server_actions.cpp, on the ComputeApi facade of ../compute_api.hpp).
void RegisterServers(RouteTable& routes, HandlerDeps& deps);

}  // namespace nova::api::handlers
