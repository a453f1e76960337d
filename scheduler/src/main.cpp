// nova-scheduler: Chooses hosts for instances (select_destinations).
#include <chrono>

#include "nova/common/log.hpp"
#include "nova/conf/bootstrap.hpp"
#include "nova/conf/database.hpp"
#include "nova/conf/default.hpp"
#include "nova/conf/scheduler.hpp"
#include "nova/scheduler/service.hpp"

int main(int argc, char** argv) {
    auto program = nova::conf::StartProgram(
        argc, argv, {"nova-scheduler", "Chooses hosts for instances (select_destinations).", false, ""});
    auto& logger = nova::log::Get("nova.cmd.scheduler");
    nova::scheduler::SchedulerConfig config;
    config.scheduler = nova::conf::LoadOrExit<nova::conf::SchedulerOptions>(program);
    config.filter_scheduler = nova::conf::LoadOrExit<nova::conf::FilterSchedulerOptions>(program);
    config.default_availability_zone =
        nova::conf::LoadOrExit<nova::conf::AvailabilityZoneOptions>(program).default_availability_zone;
    config.service_down_time =
        std::chrono::seconds(nova::conf::LoadOrExit<nova::conf::DefaultOptions>(program).service_down_time);
    auto api_database = nova::conf::LoadOrExit<nova::conf::DatabaseOptions>(program, "api_database");
    auto cell_database = nova::conf::LoadOrExit<nova::conf::DatabaseOptions>(program);
    nova::SystemClock clock;
    std::unique_ptr<nova::scheduler::SchedulerService> service;
    try {
        service = std::make_unique<nova::scheduler::SchedulerService>(api_database, cell_database,
                                                                      config, clock);
    } catch (const std::exception& e) {
        // Unknown filters or weighers, bad database URLs, an unreachable API database: no
        // half-working startup.
        NOVA_LOG_ERROR(logger, nova::log::kNoContext, "nova-scheduler cannot start: {}", e.what());
        return 1;
    }
    NOVA_LOG_INFO(logger, nova::log::kNoContext,
                  "nova-scheduler {}: {} cell(s), filters and weighers ready",
                  nova::conf::Version(), service->cell_count());
    // The RPC endpoint (topic "scheduler", select_destinations at 4.x) is wired once rpc/
    // lands (issue #5); until then the binary checks its configuration and databases and
    // says plainly that it serves nothing.
    NOVA_LOG_ERROR(logger, nova::log::kNoContext,
                   "nova-scheduler {}: the RPC endpoint is not built yet (issue #5); exiting",
                   nova::conf::Version());
    return 1;
}
