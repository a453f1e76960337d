// nova-scheduler: Chooses hosts for instances (select_destinations).
#include <chrono>
#include <memory>

#include "manager.hpp"
#include "nova/common/clock.hpp"
#include "nova/common/log.hpp"
#include "nova/conf/bootstrap.hpp"
#include "nova/conf/database.hpp"
#include "nova/conf/default.hpp"
#include "nova/conf/messaging.hpp"
#include "nova/conf/scheduler.hpp"
#include "nova/db/pool.hpp"
#include "nova/db/service_store.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/scheduler/service.hpp"
#include "nova/service/launcher.hpp"
#include "nova/service/service.hpp"
#include "nova/service/db_service_records.hpp"

int main(int argc, char** argv) {
    nova::service::BlockServiceSignals();  // before any thread exists
    auto program = nova::conf::StartProgram(
        argc, argv, {"nova-scheduler", "Chooses hosts for instances (select_destinations).", false, ""});
    auto& logger = nova::log::Get("nova.cmd.scheduler");
    nova::scheduler::SchedulerConfig config;
    config.scheduler = nova::conf::LoadOrExit<nova::conf::SchedulerOptions>(program);
    config.filter_scheduler = nova::conf::LoadOrExit<nova::conf::FilterSchedulerOptions>(program);
    config.default_availability_zone =
        nova::conf::LoadOrExit<nova::conf::AvailabilityZoneOptions>(program).default_availability_zone;
    auto defaults = nova::conf::LoadOrExit<nova::conf::DefaultOptions>(program);
    config.service_down_time = std::chrono::seconds(defaults.service_down_time);
    auto messaging = nova::conf::LoadOrExit<nova::conf::MessagingOptions>(program);
    auto rabbit = nova::conf::LoadOrExit<nova::conf::RabbitOptions>(program);
    auto api_database = nova::conf::LoadOrExit<nova::conf::DatabaseOptions>(program, "api_database");
    auto cell_database = nova::conf::LoadOrExit<nova::conf::DatabaseOptions>(program);
    // [scheduler] workers: Nova forks that many processes; here they are RPC handler threads
    // of one process (run more processes on the same queue to spread over machines).
    int workers = config.scheduler.workers.value_or(0);
    // A worker holds a connection while it claims or reads host states.
    const int threads = workers > 0 ? workers : messaging.executor_thread_pool_size;
    for (auto* options : {&api_database, &cell_database}) {
        nova::db::KeepConnectionPerThread(*options, threads, workers > 0 ? "[scheduler] workers" : "executor_thread_pool_size");
    }

    nova::SystemClock clock;
    std::unique_ptr<nova::scheduler::SchedulerService> core;
    std::unique_ptr<nova::db::Pool> records_pool;
    std::shared_ptr<nova::rpc::Transport> transport;
    try {
        if (!messaging.transport_url) {
            throw std::runtime_error("[DEFAULT] transport_url is not set");
        }
        core = std::make_unique<nova::scheduler::SchedulerService>(api_database, cell_database,
                                                                   config, clock);
        records_pool = nova::db::Pool::Create(cell_database);
        transport = nova::rpc::MakeTransport(*messaging.transport_url,
                                             nova::rpc::MakeTransportOptions(messaging, rabbit));
    } catch (const std::exception& e) {
        // Unknown filters or weighers, bad database or transport URLs, an unreachable API
        // database: no half-working startup.
        NOVA_LOG_ERROR(logger, nova::log::kNoContext, "nova-scheduler cannot start: {}", e.what());
        return 1;
    }
    nova::scheduler::SchedulerManager manager(core->scheduler(), core->host_manager());
    nova::db::ServiceStore store(*records_pool, clock);
    nova::service::DbServiceRecords records(store);
    nova::service::Service service(
        nova::service::ServiceOptions{
            .host = defaults.host,
            .binary = "nova-scheduler",
            .topic = "scheduler",
            .report_interval = std::chrono::seconds(defaults.report_interval),
            .periodic_enable = defaults.periodic_enable,
            .periodic_fuzzy_delay = std::chrono::seconds(defaults.periodic_fuzzy_delay),
            .workers = workers},
        transport, manager, records, clock);
    NOVA_LOG_INFO(logger, nova::log::kNoContext,
                  "nova-scheduler {} on {}: {} cell(s), filters and weighers ready",
                  nova::conf::Version(), defaults.host, core->cell_count());
    return nova::service::RunUntilSignalled(
        program, service, std::chrono::seconds(defaults.graceful_shutdown_timeout));
}
