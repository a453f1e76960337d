// nova-conductor: Orchestrates builds and migrations; does database work for computes.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>

#include "nova/common/clock.hpp"
#include "nova/common/log.hpp"
#include "nova/conductor/manager.hpp"
#include "nova/conf/bootstrap.hpp"
#include "nova/conf/compute.hpp"
#include "nova/conf/database.hpp"
#include "nova/conf/default.hpp"
#include "nova/conf/messaging.hpp"
#include "nova/conf/quota.hpp"
#include "nova/conf/scheduler.hpp"
#include "nova/conf/upgrade_levels.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/pool.hpp"
#include "nova/db/warm_pool.hpp"
#include "nova/db/service_store.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/service/launcher.hpp"
#include "nova/service/service.hpp"
#include "nova/service/db_service_records.hpp"

int main(int argc, char** argv) {
    // glibc gives each thread that meets contention in malloc an arena of its own (up to 8
    // per core) and keeps every arena at its peak size: the 64 RPC workers of a boot storm
    // (JSON and protobuf copies of every build) left the conductor at 70-85 MiB, 55-60 with
    // one arena per core, with no more CPU seconds in that run. MALLOC_ARENA_MAX in the environment
    // (glibc reads it itself) sets another number.
    if (std::getenv("MALLOC_ARENA_MAX") == nullptr) {
        nova::service::LimitMallocArenas(static_cast<int>(std::max(2U, std::thread::hardware_concurrency())));
    }
    using namespace nova;
    service::BlockServiceSignals();
    auto program = conf::StartProgram(
        argc, argv, {"nova-conductor", "Orchestrates builds and migrations; does database work for computes.", false, ""});
    auto& logger = log::Get("nova.cmd.conductor");
    auto defaults = conf::LoadOrExit<conf::DefaultOptions>(program);
    auto messaging = conf::LoadOrExit<conf::MessagingOptions>(program);
    auto rabbit = conf::LoadOrExit<conf::RabbitOptions>(program);
    auto api_database = conf::LoadOrExit<conf::DatabaseOptions>(program, "api_database");
    auto cell_database = conf::LoadOrExit<conf::DatabaseOptions>(program);
    auto upgrade_levels = conf::LoadOrExit<conf::UpgradeLevelsOptions>(program);
    auto scheduler_options = conf::LoadOrExit<conf::SchedulerOptions>(program);
    auto quota = conf::LoadOrExit<conf::QuotaOptions>(program);
    const auto compute_defaults = conf::LoadOrExit<conf::ComputeDefaultOptions>(program);
    if (!messaging.transport_url || !api_database.connection || !cell_database.connection) {
        NOVA_LOG_ERROR(logger, log::kNoContext,
                       "nova-conductor needs [DEFAULT] transport_url, [api_database] connection and "
                       "[database] connection");
        return 1;
    }
    // Each RPC worker thread may hold a connection of each pool at once.
    for (auto* options : {&api_database, &cell_database}) {
        db::KeepConnectionPerThread(*options, messaging.executor_thread_pool_size, "executor_thread_pool_size");
    }
    try {
        SystemClock clock;
        auto api_pool = db::Pool::Create(api_database);
        auto cell_pool = db::Pool::Create(cell_database);
        auto transport = rpc::MakeTransport(*messaging.transport_url, rpc::MakeTransportOptions(messaging, rabbit));
        db::ServiceStore services(*cell_pool, clock);
        scheduler::SchedulerRpcApi scheduler_api(transport, upgrade_levels, messaging);
        compute::ComputeRpcApi compute_api(transport, upgrade_levels, messaging,
                                           [&services] { return services.GetMinimumVersion("nova-compute"); });
        conductor::CellDatabases cells(*api_pool, cell_database, clock);
        conductor::ComputeTaskManager compute_task(
            *api_pool, cells, clock, scheduler_api, compute_api,
            {.host = defaults.host,
             .max_attempts = scheduler_options.max_attempts,
             .quota_defaults = quota.Limits(),
             .orphaned_build_timeout = std::chrono::seconds(
                 compute_defaults.instance_build_timeout > 0 ? compute_defaults.instance_build_timeout : 1800),
             // One per core (at least 2). A build spends most of its time on the CPU (its
             // objects, the scheduler's answer, its rows), so more at once do not finish a
             // backlog sooner; they only queue in MariaDB and on the cores in front of the
             // API's requests (2 cores, 1,000-server storm: 2 at once boot as many servers/s
             // as 4, with a POST p99 of 41-54 ms instead of 64-74).
             .max_concurrent_builds = static_cast<int>(std::max(2U, std::thread::hardware_concurrency()))});
        conductor::ConductorManager manager(*api_pool, *cell_pool, clock, &compute_task);
        // Every pool a build uses opened before the first request (db/warm_pool.hpp): they keep
        // that many connections anyway after the first busy minute, and a conductor starting
        // on a backlog otherwise opens them all in its first second, next to the API's POSTs.
        {
            const auto started = MonoClock::now();
            const int n = messaging.executor_thread_pool_size;
            int opened = db::WarmPool(*api_pool, n) + db::WarmPool(*cell_pool, n);
            try {
                for (const auto& cell : db::CellMappingStore(*api_pool, clock).GetAll()) {
                    if (cell.uuid() != db::kCell0Uuid) opened += db::WarmPool(cells.Get(cell), n);
                }
            } catch (const std::exception& e) {
                NOVA_LOG_WARN(logger, log::kNoContext, "cell databases not opened at start: {}", e.what());
            }
            NOVA_LOG_INFO(logger, log::kNoContext, "database pools: {} connections opened in {} ms", opened,
                          std::chrono::duration_cast<std::chrono::milliseconds>(MonoClock::now() - started).count());
        }
        service::DbServiceRecords records(services);
        service::Service svc({.host = defaults.host,
                              .binary = "nova-conductor",
                              .topic = "conductor",
                              .report_interval = std::chrono::seconds(defaults.report_interval),
                              .periodic_enable = defaults.periodic_enable,
                              .periodic_fuzzy_delay = std::chrono::seconds(defaults.periodic_fuzzy_delay)},
                             transport, manager, records, clock);
        return service::RunUntilSignalled(program, svc, std::chrono::seconds(defaults.graceful_shutdown_timeout));
    } catch (const std::exception& e) {
        NOVA_LOG_ERROR(logger, log::kNoContext, "nova-conductor failed to start: {}", e.what());
        return 1;
    }
}
