#include "nova/service/service.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <thread>

#include "fake_service_records.hpp"
#include "nova/common/uuid.hpp"
#include "nova/rpc/client.hpp"
#include "nova/rpc/transport.hpp"

using namespace std::chrono_literals;

namespace nova::service {
namespace {

using testing::FakeServiceRecords;

// A manager that records the order of its hooks and can hold a request in flight.
class RecordingManager final : public Manager {
public:
    std::string ServiceName() const override { return "widget"; }
    std::vector<rpc::Endpoint> Endpoints() override {
        rpc::Endpoint endpoint(std::nullopt, "1.3");
        endpoint.Add("echo", [](const RequestContext&, const Json& args) { return args.at("value"); });
        endpoint.Add("slow", [this](const RequestContext&, const Json&) {
            entered.set_value();
            release.get_future().wait();
            return Json("finished");
        });
        return {endpoint};
    }
    void InitHost() override { hooks.push_back("init_host"); }
    void PreStartHook() override { hooks.push_back("pre_start_hook"); }
    void PostStartHook() override { hooks.push_back("post_start_hook"); }
    void AddPeriodicTasks(PeriodicTasks& tasks) override {
        tasks.Add("update", 1s, [] {});
        hooks.push_back("periodic_tasks");
    }
    void Reset() override { hooks.push_back("reset"); }
    void CleanupHost() override { hooks.push_back("cleanup_host"); }

    std::vector<std::string> hooks;
    std::promise<void> entered;
    std::promise<void> release;
};

struct Fixture {
    SystemClock clock;
    FakeServiceRecords records;
    RecordingManager manager;
    std::shared_ptr<rpc::Transport> transport =
        rpc::MakeTransport("fake:///" + GenerateUuid(), rpc::TransportOptions{});
    ServiceOptions options{.host = "node1", .binary = "nova-widget", .topic = "widget",
                           .report_interval = 10s, .periodic_enable = true,
                           .periodic_fuzzy_delay = 0s, .workers = 4};
    Service service{options, transport, manager, records, clock};

    rpc::Client Client(std::optional<std::string> namespace_ = std::nullopt,
                       std::string version = "1.0") {
        return rpc::Client(transport, {.topic = "widget", .namespace_ = namespace_, .version = version},
                           std::nullopt, 5000ms);
    }
};

TEST_CASE("a started service registered itself and serves its manager and baseapi ping") {
    Fixture f;
    f.service.Start();
    CHECK(f.service.record().id() == 1);
    CHECK(f.records.Stored("node1", "nova-widget").version() == kServiceVersion);
    CHECK(f.manager.hooks == std::vector<std::string>{"init_host", "pre_start_hook",
                                                      "post_start_hook", "periodic_tasks"});

    auto ctx = RequestContext::Admin();
    CHECK(f.Client().Call(ctx, "echo", {{"value", 42}}) == 42);
    // Directed at this host's queue too, as computes are called.
    CHECK(f.Client().Prepare({.server = "node1"}).Call(ctx, "echo", {{"value", "x"}}) == "x");
    auto pong = f.Client("baseapi", "1.1").Call(ctx, "ping", {{"arg", {{"k", "v"}}}});
    CHECK(pong == Json{{"service", "widget"}, {"arg", {{"k", "v"}}}});
    f.service.Stop();
    CHECK(f.manager.hooks.back() == "cleanup_host");
}

TEST_CASE("stopping a service finishes the request in flight and still replies") {
    Fixture f;
    f.service.Start();
    auto ctx = RequestContext::Admin();
    auto reply = std::async(std::launch::async, [&] { return f.Client().Call(ctx, "slow", Json::object()); });
    f.manager.entered.get_future().wait();

    auto stopped = std::async(std::launch::async, [&] { f.service.Stop(); });
    CHECK(stopped.wait_for(200ms) == std::future_status::timeout);  // waits for "slow"
    f.manager.release.set_value();
    stopped.get();
    CHECK(reply.get() == "finished");
    CHECK(f.manager.hooks.back() == "cleanup_host");
}

TEST_CASE("periodic tasks are left out when periodic_enable is off, Reset reaches the manager") {
    Fixture f;
    f.options.periodic_enable = false;
    Service service(f.options, f.transport, f.manager, f.records, f.clock);
    service.Start();
    service.Reset();
    service.Stop();
    CHECK(f.manager.hooks == std::vector<std::string>{"init_host", "pre_start_hook",
                                                      "post_start_hook", "reset", "cleanup_host"});
}

}  // namespace
}  // namespace nova::service
