// The real nova-compute binary (fake driver, [fake] hosts = 2) against the test RabbitMQ,
// with a minimal conductor in this process: each host registers its service record and
// compute node through the conductor, consumes compute.<host> and answers baseapi ping;
// SIGTERM stops it cleanly.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "compute_child.hpp"
#include "mini_conductor.hpp"
#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"
#include "nova/objects/compute_node.pb.h"
#include "nova/objects/instance.pb.h"
#include "nova/objects/object.hpp"
#include "nova/objects/service.pb.h"
#include "nova/rpc/client.hpp"
#include "nova/rpc/server.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/test/services.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace nova::compute {
namespace {

TEST_CASE("nova-compute registers its fake hosts, consumes compute.<host> and answers ping") {
    const std::string url = test::Services::Get().TransportUrl();
    const std::string exchange = "itest-compute-" + std::to_string(::getpid());
    rpc::TransportOptions options;
    options.control_exchange = exchange;
    auto transport = rpc::MakeTransport(url, options);
    MiniConductor conductor(transport);

    const fs::path dir = fs::temp_directory_path() / ("nova-compute-itest-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "nova.conf")
        << "[DEFAULT]\nhost = itest\ntransport_url = " << url << "\ncontrol_exchange = "
        << exchange << "\ncompute_driver = fake.FakeDriver\nreport_interval = 1\n"
        << "periodic_fuzzy_delay = 0\n"
        << "[fake]\nhosts = 2\nhost_prefix = itest-fake-\n";
    const std::string log = (dir / "nova-compute.log").string();
    const pid_t pid = SpawnNovaCompute(NOVA_COMPUTE_BINARY, dir / "nova.conf", log);
    REQUIRE(pid > 0);

    const auto ctx = RequestContext::Admin();
    for (const std::string host : {"itest-fake-0", "itest-fake-1"}) {
        rpc::Client ping(transport, {.topic = "compute", .server = host, .namespace_ = "baseapi",
                                     .version = "1.1"},
                         std::nullopt, 2000ms);
        Json pong;
        for (int attempt = 0; attempt < 30 && pong.is_null(); ++attempt) {
            try {
                pong = ping.Call(ctx, "ping", {{"arg", host}});
            } catch (const std::exception&) {
                std::this_thread::sleep_for(500ms);
            }
        }
        INFO("nova-compute log: " << log);
        REQUIRE_FALSE(pong.is_null());
        // Nova's baseapi answers the manager's service_name ("compute"), not the binary name.
        CHECK(pong.at("service") == "compute");
        CHECK(pong.at("arg") == host);
    }
    CHECK(conductor.Hosts() == std::set<std::string>{"itest-fake-0", "itest-fake-1"});
    const auto calls = conductor.Calls();
    CHECK(calls.contains("ComputeNode.create"));
    CHECK(calls.contains("report_inventory"));
    CHECK(calls.contains("InstanceList.get_by_host"));
    // The heartbeat reports through the conductor every report_interval.
    for (int i = 0; i < 40 && !conductor.Calls().contains("Service.save"); ++i) {
        std::this_thread::sleep_for(100ms);
    }
    CHECK(conductor.Calls().contains("Service.save"));

    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace nova::compute
