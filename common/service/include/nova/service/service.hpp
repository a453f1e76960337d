#pragma once
// An RPC service (Nova's nova.service.Service): one manager served on `topic` (shared queue),
// `topic.host` and the topic's fanout, plus the baseapi namespace; its service record and
// heartbeat; its periodic tasks. The order of Start() and Stop() is Nova's.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "nova/common/clock.hpp"
#include "nova/objects/service.pb.h"
#include "nova/service/manager.hpp"
#include "nova/service/periodic.hpp"
#include "nova/service/service_record.hpp"

namespace nova::rpc {
class Transport;
class Server;
}  // namespace nova::rpc

namespace nova::service {

struct ServiceOptions {
    std::string host;
    std::string binary;  // "nova-conductor"
    std::string topic;   // "conductor"
    std::chrono::seconds report_interval{10};
    bool periodic_enable = true;
    // The first manager periodic run waits a random time up to this.
    std::chrono::seconds periodic_fuzzy_delay{60};
    // RPC handler threads; 0 takes executor_thread_pool_size.
    int workers = 0;
};

class Service {
public:
    Service(ServiceOptions options, std::shared_ptr<rpc::Transport> transport, Manager& manager,
            ServiceRecords& records, const Clock& clock);
    ~Service();
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    // init_host, service record, pre_start_hook, RPC server, post_start_hook, heartbeat,
    // periodic tasks. Throws if any step fails (the process should exit non-zero).
    void Start();
    // Stops consuming, finishes the requests in flight and sends their replies, stops the
    // heartbeat and periodic tasks, then cleanup_host. Idempotent.
    void Stop();
    // SIGHUP.
    void Reset();

    // The record as registered at Start() (its id, version).
    const objects::Service& record() const { return record_; }
    const ServiceOptions& options() const { return options_; }

private:
    ServiceOptions options_;
    std::shared_ptr<rpc::Transport> transport_;
    Manager& manager_;
    ServiceRecords& records_;
    const Clock& clock_;

    objects::Service record_;
    std::unique_ptr<Heartbeat> heartbeat_;
    PeriodicTasks heartbeat_tasks_;
    PeriodicTasks manager_tasks_;
    std::unique_ptr<rpc::Server> rpc_server_;
    std::unique_ptr<PeriodicRunner> heartbeat_runner_;
    std::unique_ptr<PeriodicRunner> periodic_runner_;
    bool started_ = false;
    bool stopped_ = false;
};

}  // namespace nova::service
