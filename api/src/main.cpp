// nova-api: OpenStack Compute API (REST v2.1 with microversions), and - when no Glance is
// configured - the read-only Glance v2 API of the local image catalog.
#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <csignal>
#include <filesystem>
#include <optional>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "handlers/cells.hpp"
#include "handlers/handlers.hpp"
#include "nova/api/auth.hpp"
#include "nova/api/compute_app.hpp"
#include "nova/api/http_server.hpp"
#include "nova/api/image/glance_app.hpp"
#include "nova/api/image/glance_image_service.hpp"
#include "nova/api/image/local_catalog.hpp"
#include "nova/api/keystone.hpp"
#include "nova/api/policy.hpp"
#include "nova/common/log.hpp"
#include "nova/conf/api.hpp"
#include "nova/conf/bootstrap.hpp"
#include "nova/conf/default.hpp"
#include "nova/conf/database.hpp"
#include "nova/conf/quota.hpp"
#include "nova/db/pool.hpp"
#include "nova/db/warm_pool.hpp"
#include "nova/conf/glance.hpp"
#include "nova/conf/messaging.hpp"
#include "nova/conf/upgrade_levels.hpp"
#include "nova/compute/rpcapi.hpp"
#include "nova/conductor/rpcapi.hpp"
#include "nova/db/service_store.hpp"
#include "nova/rpc/notifier.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/conf/keystone_authtoken.hpp"

namespace asio = boost::asio;
using namespace nova;

namespace {

// [oslo_policy] policy_file: an absolute path, or a name looked up beside the configuration
// files and in /etc/nova (oslo.config's search). nullopt when a relative name is nowhere.
std::optional<std::string> FindPolicyFile(const std::string& name, const std::vector<std::string>& config_files) {
    namespace fs = std::filesystem;
    fs::path path(name);
    if (path.is_absolute()) {
        if (!fs::exists(path)) {
            throw InvalidConfiguration::WithMessage("[oslo_policy] policy_file " + name + " does not exist");
        }
        return name;
    }
    std::vector<fs::path> dirs;
    for (const auto& file : config_files) dirs.push_back(fs::path(file).parent_path());
    dirs.emplace_back("/etc/nova");
    for (const auto& dir : dirs) {
        if (fs::exists(dir / path)) return (dir / path).string();
    }
    return std::nullopt;
}

// Stops when every server is drained, or when the grace period is over.
void DrainThenStop(asio::io_context& io, std::vector<api::HttpServer*> servers,
                   std::chrono::steady_clock::time_point deadline,
                   std::shared_ptr<asio::steady_timer> timer) {
    bool idle = true;
    for (auto* s : servers) idle = idle && s->requests_in_flight() == 0 && s->open_connections() == 0;
    auto& log = log::Get("nova.api.service");
    if (idle || std::chrono::steady_clock::now() >= deadline) {
        if (!idle) {
            NOVA_LOG_WARN(log, log::kNoContext,
                          "graceful_shutdown_timeout reached with requests in flight; exiting");
        }
        io.stop();
        return;
    }
    timer->expires_after(std::chrono::milliseconds(50));
    timer->async_wait([&io, servers, deadline, timer](auto) { DrainThenStop(io, servers, deadline, timer); });
}

}  // namespace

int main(int argc, char** argv) {
    // glibc gives each thread that meets contention in malloc an arena of its own (up to 8
    // per core) and keeps every arena at its peak size: 16 handler threads building pages of
    // 1000 servers held ~740 MiB that way. nova-api's threads spend their time waiting on the
    // database, so two arenas cost nothing measurable. MALLOC_ARENA_MAX in the environment
    // (glibc reads it itself) sets another number.
    if (std::getenv("MALLOC_ARENA_MAX") == nullptr) ::mallopt(M_ARENA_MAX, 2);
    auto program = conf::StartProgram(
        argc, argv, {"nova-api", "OpenStack Compute API (REST v2.1 with microversions).", false, ""});
    auto osapi = conf::LoadOrExit<conf::OsapiOptions>(program);
    auto defaults = conf::LoadOrExit<conf::DefaultOptions>(program);
    auto api_options = conf::LoadOrExit<conf::ApiOptions>(program);
    auto wsgi = conf::LoadOrExit<conf::WsgiOptions>(program);
    auto middleware = conf::LoadOrExit<conf::OsloMiddlewareOptions>(program);
    auto glance = conf::LoadOrExit<conf::GlanceOptions>(program);
    auto quota = conf::LoadOrExit<conf::QuotaOptions>(program);
    auto authtoken = conf::LoadOrExit<conf::KeystoneAuthtokenOptions>(program);
    auto oslo_policy = conf::LoadOrExit<conf::OsloPolicyOptions>(program);
    auto api_database = conf::LoadOrExit<conf::DatabaseOptions>(program, "api_database");
    auto cell_database = conf::LoadOrExit<conf::DatabaseOptions>(program);
    auto messaging = conf::LoadOrExit<conf::MessagingOptions>(program);
    auto rabbit = conf::LoadOrExit<conf::RabbitOptions>(program);
    auto upgrade_levels = conf::LoadOrExit<conf::UpgradeLevelsOptions>(program);
    const auto notifications = conf::LoadOrExit<conf::NotificationOptions>(program);
    const auto nova_notifications = conf::LoadOrExit<conf::NovaNotificationOptions>(program);
    auto& log = log::Get("nova.api.service");

    try {
        SystemClock clock;
        api::RulePolicy::Options policy_options;
        policy_options.enforce_new_defaults = oslo_policy.enforce_new_defaults;
        std::unique_ptr<api::Policy> policy_holder;
        if (auto file = FindPolicyFile(oslo_policy.policy_file, program.cli.config_files)) {
            // Read again whenever the file's mtime changes, as oslo.policy does.
            try {
                policy_holder = std::make_unique<api::FilePolicy>(api::ZedDefaultRules(), policy_options, *file);
            } catch (const std::invalid_argument& e) {
                throw InvalidConfiguration::WithMessage(e.what());
            }
            NOVA_LOG_INFO(log, log::kNoContext, "Policy file {}: its rules override the defaults (re-read when it "
                          "changes)", *file);
        } else {
            policy_holder = std::make_unique<api::RulePolicy>(api::ZedDefaultRules(), policy_options);
        }
        const api::Policy& policy = *policy_holder;

        std::unique_ptr<api::IdentityService> identity;
        std::unique_ptr<api::Authenticator> auth;
        if (api_options.auth_strategy == "keystone") {
            api::KeystoneIdentityService::Options ks;
            ks.auth_url = authtoken.auth_url.value_or("");
            ks.username = authtoken.username.value_or("");
            ks.password = authtoken.password.value_or("");
            ks.user_domain_name = authtoken.user_domain_name.value_or("");
            ks.user_domain_id = authtoken.user_domain_id.value_or("");
            ks.project_name = authtoken.project_name.value_or("");
            ks.project_domain_name = authtoken.project_domain_name.value_or("");
            ks.project_domain_id = authtoken.project_domain_id.value_or("");
            ks.timeout = std::chrono::seconds(authtoken.http_connect_timeout);
            ks.max_retries = authtoken.http_request_max_retries;
            ks.include_catalog = authtoken.include_service_catalog;
            ks.cafile = authtoken.cafile.value_or("");
            ks.certfile = authtoken.certfile.value_or("");
            ks.keyfile = authtoken.keyfile.value_or("");
            ks.insecure = authtoken.insecure;
            identity = std::make_unique<api::KeystoneIdentityService>(ks, clock);
            api::KeystoneAuth::Options auth_options;
            auth_options.www_authenticate_uri = authtoken.www_authenticate_uri.value_or(ks.auth_url);
            auth_options.token_cache_time = authtoken.token_cache_time;
            auth_options.token_cache_size = static_cast<std::size_t>(authtoken.token_cache_size);
            auth_options.use_forwarded_for = api_options.use_forwarded_for;
            // Half the handler threads at most wait on Keystone for new tokens.
            auth_options.max_pending_validations =
                std::max<std::size_t>(1, static_cast<std::size_t>(osapi.osapi_compute_handler_threads) / 2);
            auth = std::make_unique<api::KeystoneAuth>(auth_options, *identity, policy, clock);
        } else {
            auth = std::make_unique<api::NoAuth2>(api_options.use_forwarded_for);
        }

        std::unique_ptr<api::image::ImageService> images;
        api::image::LocalImageCatalog* catalog = nullptr;
        if (glance.api_servers && !glance.api_servers->empty()) {
            images = std::make_unique<api::image::GlanceImageService>(
                *glance.api_servers, glance.num_retries, std::chrono::seconds(glance.request_timeout));
        } else if (glance.local_catalog_file) {
            auto local = std::make_unique<api::image::LocalImageCatalog>(*glance.local_catalog_file);
            catalog = local.get();
            images = std::move(local);
        } else {
            throw InvalidConfiguration::WithMessage(
                "no image service: set [glance] api_servers, or [glance] local_catalog_file for a "
                "local image catalog");
        }

        api::RouteTable routes;
        api::handlers::HandlerDeps deps{*images, clock};
        deps.options.max_limit = api_options.max_limit;
        deps.options.service_down_time = std::chrono::seconds(defaults.service_down_time);
        deps.options.quota_defaults = quota.Limits();
        // The resources kept in the databases (flavors, key pairs, services, ...) need
        // [api_database] connection; the cells' databases come from its cell_mappings.
        std::unique_ptr<db::Pool> api_pool;
        std::unique_ptr<api::handlers::CellDatabases> cells;
        if (api_database.connection) {
            // A create holds its API database transaction while it counts in the cells.
            for (auto* options : {&api_database, &cell_database}) {
                db::KeepConnectionPerThread(*options, osapi.osapi_compute_handler_threads,
                                            "osapi_compute_handler_threads");
            }
            api_pool = db::Pool::Create(api_database);
            // Opened now, not by the first burst of requests (db/warm_pool.hpp).
            db::WarmPool(*api_pool, api_database.max_pool_size);
            cells = std::make_unique<api::handlers::CellDatabases>(*api_pool, cell_database, clock);
            deps.api_db = api_pool.get();
            deps.cells = cells.get();
        } else {
            NOVA_LOG_WARN(log, log::kNoContext,
                          "[api_database] connection is not set: only the version documents are served");
        }
        // The conductor and compute RPC clients the servers API casts through.
        std::shared_ptr<rpc::Transport> transport;
        std::unique_ptr<conductor::ComputeTaskRpcApi> compute_task;
        std::unique_ptr<compute::ComputeRpcApi> compute_rpc;
        std::unique_ptr<rpc::Notifier> notifier;
        if (messaging.transport_url && deps.cells != nullptr) {
            transport = rpc::MakeTransport(*messaging.transport_url, rpc::MakeTransportOptions(messaging, rabbit));
            compute_task = std::make_unique<conductor::ComputeTaskRpcApi>(transport, upgrade_levels, messaging);
            auto* cell_dbs = deps.cells;
            compute_rpc = std::make_unique<compute::ComputeRpcApi>(
                transport, upgrade_levels, messaging, [cell_dbs, &clock]() -> std::int64_t {
                    std::optional<std::int64_t> lowest;
                    for (auto& cell : cell_dbs->All()) {
                        auto v = db::ServiceStore(*cell.pool, clock).GetMinimumVersion("nova-compute");
                        if (v > 0 && (!lowest || v < *lowest)) lowest = v;
                    }
                    return lowest.value_or(0);
                });
            deps.compute_task = compute_task.get();
            deps.compute_rpc = compute_rpc.get();
            notifier = std::make_unique<rpc::Notifier>(transport, "nova-api:" + defaults.host, notifications,
                                                       nova_notifications, clock);
            deps.notifier = notifier.get();
        } else if (deps.cells != nullptr) {
            NOVA_LOG_WARN(log, log::kNoContext,
                          "[DEFAULT] transport_url is not set: server operations that need the "
                          "conductor or a compute answer 503");
        }
        api::handlers::RegisterHandlers(routes, deps);
        api::ComputeApp app({api_options.max_limit, api_options.compute_link_prefix,
                             static_cast<std::size_t>(middleware.max_request_body_size)},
                            *auth, policy, routes);

        asio::io_context io;
        api::HttpServerOptions server_options;
        server_options.listen_address = osapi.osapi_compute_listen;
        server_options.port = static_cast<unsigned short>(osapi.osapi_compute_listen_port);
        server_options.keep_alive = wsgi.keep_alive;
        server_options.idle_timeout = std::chrono::seconds(wsgi.client_socket_timeout);
        server_options.tcp_keepidle = wsgi.tcp_keepidle;
        server_options.max_request_body_size = static_cast<std::size_t>(middleware.max_request_body_size);
        server_options.use_forwarded_for = api_options.use_forwarded_for;
        api::HttpServer compute_server(io, app, server_options);
        compute_server.Start();
        std::vector<api::HttpServer*> servers{&compute_server};

        std::unique_ptr<api::image::GlanceApp> glance_app;
        std::unique_ptr<api::HttpServer> glance_server;
        if (catalog) {
            glance_app = std::make_unique<api::image::GlanceApp>(*images, *auth);
            api::HttpServerOptions glance_options = server_options;
            glance_options.name = "local Glance v2 (read-only image catalog)";
            glance_options.listen_address = glance.local_api_listen;
            glance_options.port = static_cast<unsigned short>(glance.local_api_listen_port);
            glance_server = std::make_unique<api::HttpServer>(io, *glance_app, glance_options);
            glance_server->Start();
            servers.push_back(glance_server.get());
        }

        asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
        std::function<void(const boost::system::error_code&, int)> on_signal;
        on_signal = [&](const boost::system::error_code& ec, int signal) {
            if (ec) return;
            if (signal == SIGHUP) {
                program.Reload();
                if (catalog) {
                    try {
                        catalog->Reload();
                        NOVA_LOG_INFO(log, log::kNoContext, "Reloaded image catalog {}", *glance.local_catalog_file);
                    } catch (const std::exception& e) {
                        NOVA_LOG_ERROR(log, log::kNoContext, "Image catalog reload failed, keeping the old one: {}",
                                       e.what());
                    }
                }
                signals.async_wait(on_signal);
                return;
            }
            NOVA_LOG_INFO(log, log::kNoContext, "Caught {}, stopping: finishing requests in flight",
                          signal == SIGTERM ? "SIGTERM" : "SIGINT");
            for (auto* s : servers) s->StopAccepting();
            auto deadline = defaults.graceful_shutdown_timeout > 0
                                ? std::chrono::steady_clock::now() + std::chrono::seconds(defaults.graceful_shutdown_timeout)
                                : std::chrono::steady_clock::time_point::max();
            DrainThenStop(io, servers, deadline, std::make_shared<asio::steady_timer>(io));
        };
        signals.async_wait(on_signal);

        // Each thread reads requests, runs their handlers (which may block) and writes the
        // answers; osapi_compute_workers, when larger, raises the count.
        unsigned threads_count = static_cast<unsigned>(osapi.osapi_compute_handler_threads);
        if (osapi.osapi_compute_workers) threads_count = std::max(threads_count, static_cast<unsigned>(*osapi.osapi_compute_workers));
        NOVA_LOG_INFO(log, log::kNoContext, "nova-api {} started: {} thread(s), auth_strategy {}", conf::Version(),
                      threads_count, api_options.auth_strategy);
        std::vector<std::thread> threads;
        for (unsigned i = 1; i < threads_count; ++i) threads.emplace_back([&io] { io.run(); });
        io.run();
        for (auto& t : threads) t.join();
        NOVA_LOG_INFO(log, log::kNoContext, "nova-api stopped");
        return 0;
    } catch (const std::exception& e) {
        NOVA_LOG_ERROR(log, log::kNoContext, "nova-api cannot start: {}", e.what());
        return 1;
    }
}
