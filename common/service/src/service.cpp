#include "nova/service/service.hpp"

#include <random>

#include "nova/common/log.hpp"
#include "nova/conf/cli.hpp"
#include "nova/rpc/server.hpp"
#include "nova/rpc/transport.hpp"

namespace nova::service {

namespace {
spdlog::logger& Log() { return log::Get("nova.service"); }

// Nova's servicegroup INITIAL_REPORTING_DELAY: the first report a few seconds after start
// (the record was just written, it is fresh).
constexpr std::chrono::seconds kInitialReportingDelay{5};

std::chrono::milliseconds FuzzyDelay(std::chrono::seconds max) {
    if (max <= std::chrono::seconds::zero()) return std::chrono::milliseconds::zero();
    std::random_device seed;
    std::mt19937 gen(seed());
    std::uniform_int_distribution<std::int64_t> dist(0, std::chrono::milliseconds(max).count());
    return std::chrono::milliseconds(dist(gen));
}
}  // namespace

Service::Service(ServiceOptions options, std::shared_ptr<rpc::Transport> transport,
                 Manager& manager, ServiceRecords& records, const Clock& clock)
    : options_(std::move(options)),
      transport_(std::move(transport)),
      manager_(manager),
      records_(records),
      clock_(clock),
      heartbeat_tasks_(clock),
      manager_tasks_(clock) {}

Service::~Service() { Stop(); }

void Service::Start() {
    NOVA_LOG_INFO(Log(), log::kNoContext, "Starting {} node (version {})", options_.topic,
                  conf::Version());
    manager_.InitHost();
    record_ = RegisterService(records_, options_.host, options_.binary, options_.topic);
    manager_.PreStartHook();

    auto endpoints = manager_.Endpoints();
    endpoints.push_back(rpc::BaseApiEndpoint(manager_.ServiceName()));
    NOVA_LOG_DEBUG(Log(), log::kNoContext, "Creating RPC server for service {}", options_.topic);
    rpc_server_ = std::make_unique<rpc::Server>(
        transport_, rpc::ServerTarget{.topic = options_.topic, .server = options_.host},
        std::move(endpoints), options_.workers);
    rpc_server_->Start();
    started_ = true;
    manager_.PostStartHook();

    heartbeat_ = std::make_unique<Heartbeat>(records_, record_);
    heartbeat_tasks_.Add("report_state", options_.report_interval, [this] { heartbeat_->Beat(); },
                         /*run_immediately=*/true);
    heartbeat_runner_ = std::make_unique<PeriodicRunner>(
        heartbeat_tasks_,
        std::min<std::chrono::milliseconds>(kInitialReportingDelay, options_.report_interval));

    if (options_.periodic_enable) {
        manager_.AddPeriodicTasks(manager_tasks_);
        if (manager_tasks_.size() > 0) {
            periodic_runner_ = std::make_unique<PeriodicRunner>(
                manager_tasks_, FuzzyDelay(options_.periodic_fuzzy_delay));
        }
    }
    NOVA_LOG_INFO(Log(), log::kNoContext, "{} on {} serving topic {} (service record {})",
                  options_.binary, options_.host, options_.topic, record_.id());
}

void Service::Stop() {
    if (!started_ || stopped_) return;
    stopped_ = true;
    NOVA_LOG_INFO(Log(), log::kNoContext, "Stopping {}: finishing requests in flight",
                  options_.binary);
    rpc_server_->Stop();
    if (periodic_runner_) periodic_runner_->Stop();
    heartbeat_runner_->Stop();
    try {
        manager_.CleanupHost();
    } catch (const std::exception& e) {
        NOVA_LOG_ERROR(Log(), log::kNoContext, "Service error occurred during cleanup_host: {}",
                       e.what());
    }
    NOVA_LOG_INFO(Log(), log::kNoContext, "{} stopped", options_.binary);
}

void Service::Reset() { manager_.Reset(); }

}  // namespace nova::service
