// nova-compute: Runs instances on this host through a virt driver.
//
// One process serves one compute host ([DEFAULT] host), or, with the fake driver and
// [fake] hosts = N, N independent fake hosts: each has its own driver, resource tracker,
// manager, service record, compute node and compute.<host> queue (the scale benchmark's
// way of running hundreds of hosts on one machine). They share the transport.
#include <chrono>
#include <memory>
#include <random>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/common/log.hpp"
#include "nova/compute/conductor_objects.hpp"
#include "nova/compute/manager.hpp"
#include "nova/compute/resource_tracker.hpp"
#include "nova/conductor/rpcapi.hpp"
#include "nova/conf/bootstrap.hpp"
#include "nova/conf/compute.hpp"
#include "nova/conf/default.hpp"
#include "nova/conf/fake.hpp"
#include "nova/conf/libvirt.hpp"
#include "nova/conf/messaging.hpp"
#include "nova/conf/upgrade_levels.hpp"
#include "nova/rpc/notifier.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/compute/rpcapi.hpp"
#include "nova/service/service_record.hpp"
#include "nova/scheduler/rpcapi.hpp"
#include "nova/service/launcher.hpp"
#include "nova/service/service.hpp"
#include "nova/virt/fake_driver.hpp"
#include "nova/virt/load.hpp"

namespace {

using namespace nova;

// Everything one compute host owns.
struct ComputeHost {
    std::unique_ptr<virt::ComputeDriver> driver;
    std::unique_ptr<rpc::Notifier> notifier;
    std::unique_ptr<compute::ResourceTracker> tracker;
    std::unique_ptr<compute::ComputeManager> manager;
    std::unique_ptr<service::Service> service;
};

}  // namespace

int main(int argc, char** argv) {
    service::BlockServiceSignals();
    auto program = conf::StartProgram(
        argc, argv, {"nova-compute", "Runs instances on this host through a virt driver.", false, ""});
    auto& logger = log::Get("nova.cmd.compute");

    const auto defaults = conf::LoadOrExit<conf::DefaultOptions>(program);
    const auto messaging = conf::LoadOrExit<conf::MessagingOptions>(program);
    const auto rabbit = conf::LoadOrExit<conf::RabbitOptions>(program);
    const auto notifications = conf::LoadOrExit<conf::NotificationOptions>(program);
    const auto nova_notifications = conf::LoadOrExit<conf::NovaNotificationOptions>(program);
    const auto upgrade_levels = conf::LoadOrExit<conf::UpgradeLevelsOptions>(program);
    virt::DriverConfig driver_config{
        .defaults = defaults,
        .compute = conf::LoadOrExit<conf::ComputeDefaultOptions>(program),
        .libvirt = conf::LoadOrExit<conf::LibvirtOptions>(program),
        .fake = conf::LoadOrExit<conf::FakeOptions>(program)};
    const auto compute_options = conf::LoadOrExit<conf::ComputeOptions>(program);
    // Before the transport, the RPC executor pool and libvirt's event loop start threads
    // (see [DEFAULT] malloc_arena_max): idle threads must not each keep an arena resident.
    if (!service::LimitMallocArenas(driver_config.compute.malloc_arena_max)) {
        NOVA_LOG_WARN(logger, log::kNoContext, "glibc refused malloc_arena_max = {}",
                      driver_config.compute.malloc_arena_max);
    }

    if (!messaging.transport_url || messaging.transport_url->empty()) {
        NOVA_LOG_ERROR(logger, log::kNoContext,
                       "[DEFAULT] transport_url is not set; nova-compute needs the message bus");
        return 1;
    }

    SystemClock clock;
    try {
        auto transport = rpc::MakeTransport(*messaging.transport_url,
                                            rpc::MakeTransportOptions(messaging, rabbit));
        conductor::ConductorRpcApi conductor_api(transport, upgrade_levels);
        conductor::ComputeTaskRpcApi compute_task(transport, upgrade_levels, messaging);
        conductor::ResourceReportRpcApi placement(transport);
        scheduler::SchedulerRpcApi scheduler_api(transport, upgrade_levels, messaging);
        // [upgrade_levels] compute = auto: the oldest nova-compute, asked through the
        // conductor; a conductor not up yet leaves the cap at this service's own version.
        compute::ComputeRpcApi compute_api(
            transport, upgrade_levels, messaging, [&conductor_api, &logger]() -> std::int64_t {
                try {
                    const Json v = conductor_api.ObjectClassActionVersions(
                        RequestContext::Admin(), "Service", "get_minimum_version",
                        {{"Service", "1.22"}}, Json::array({"nova-compute"}), Json::object());
                    if (v.is_number_integer() && v.get<std::int64_t>() > 0) {
                        return v.get<std::int64_t>();
                    }
                } catch (const std::exception& e) {
                    NOVA_LOG_WARN(logger, log::kNoContext,
                                  "Could not read the minimum nova-compute version: {}", e.what());
                }
                return service::kServiceVersion;
            });
        compute::ConductorObjects objects(conductor_api);
        compute::ConductorResourceReporter reporter(objects, placement);
        compute::ConductorServiceRecords records(objects);

        const bool fake = driver_config.compute.compute_driver.value_or("") == "fake.FakeDriver";
        const std::vector<std::string> hosts =
            fake ? virt::FakeHostNames(driver_config.fake, defaults.host)
                 : std::vector<std::string>{defaults.host};

        std::vector<std::unique_ptr<ComputeHost>> computes;
        for (const auto& host : hosts) {
            auto c = std::make_unique<ComputeHost>();
            c->driver = virt::LoadComputeDriver(driver_config, clock);
            c->notifier = std::make_unique<rpc::Notifier>(
                transport, "nova-compute:" + host, notifications, nova_notifications, clock);
            c->tracker = std::make_unique<compute::ResourceTracker>(
                compute::ResourceTrackerOptions::From(defaults, driver_config.compute, host),
                *c->driver, reporter);
            compute::ComputeManagerOptions options{
                .host = host,
                .shutdown_timeout = std::chrono::seconds(driver_config.compute.shutdown_timeout),
                .shutdown_retry_interval =
                    std::chrono::seconds(compute_options.shutdown_retry_interval),
                .update_resources_interval =
                    std::chrono::seconds(driver_config.compute.update_resources_interval),
                .sync_power_state_interval =
                    std::chrono::seconds(driver_config.compute.sync_power_state_interval),
                .instance_build_timeout =
                    std::chrono::seconds(driver_config.compute.instance_build_timeout),
                .scheduler_instance_sync_interval = std::chrono::seconds(
                    driver_config.compute.scheduler_instance_sync_interval)};
            c->manager = std::make_unique<compute::ComputeManager>(
                options, compute::ComputeManagerDeps{.driver = *c->driver,
                                                     .objects = objects,
                                                     .tracker = *c->tracker,
                                                     .clock = clock,
                                                     .compute_task = &compute_task,
                                                     .placement = &placement,
                                                     .scheduler = &scheduler_api,
                                                     .notifier = c->notifier.get(),
                                                     .compute = &compute_api});
            // Many hosts in one process share the executor: a few workers each.
            const int workers = hosts.size() > 1 ? 2 : 0;
            c->service = std::make_unique<service::Service>(
                service::ServiceOptions{
                    .host = host,
                    .binary = "nova-compute",
                    .topic = "compute",
                    .report_interval = std::chrono::seconds(defaults.report_interval),
                    .periodic_enable = defaults.periodic_enable,
                    .periodic_fuzzy_delay = std::chrono::seconds(defaults.periodic_fuzzy_delay),
                    .workers = workers},
                transport, *c->manager, records, clock);
            computes.push_back(std::move(c));
        }

        NOVA_LOG_INFO(logger, log::kNoContext, "nova-compute {} starting {} host(s) with {}",
                      conf::Version(), computes.size(),
                      driver_config.compute.compute_driver.value_or("?"));
        // The extra fake hosts start first; the first host's service runs the signal loop,
        // and the others stop after it.
        for (std::size_t i = 1; i < computes.size(); ++i) computes[i]->service->Start();
        const int status = service::RunUntilSignalled(
            program, *computes.front()->service,
            std::chrono::seconds(defaults.graceful_shutdown_timeout));
        for (std::size_t i = 1; i < computes.size(); ++i) computes[i]->service->Stop();
        return status;
    } catch (const std::exception& e) {
        NOVA_LOG_ERROR(logger, log::kNoContext, "nova-compute failed to start: {}", e.what());
        return 1;
    }
}
