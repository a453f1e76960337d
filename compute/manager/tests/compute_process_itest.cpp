// The real nova-compute binary (fake driver, [fake] hosts = 2) against the test RabbitMQ,
// with a minimal conductor in this process: each host registers its service record and
// compute node through the conductor, consumes compute.<host> and answers baseapi ping;
// SIGTERM stops it cleanly.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

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

// What nova-compute needs from a conductor to start: no instances, no records yet.
class MiniConductor {
public:
    explicit MiniConductor(std::shared_ptr<rpc::Transport> transport) {
        rpc::Endpoint conductor(std::nullopt, "3.0");
        conductor.Add("object_class_action_versions", [this](const RequestContext&,
                                                             const Json& args) -> Json {
            const std::string name = args.at("objname").get<std::string>() + "." +
                                     args.at("objmethod").get<std::string>();
            std::lock_guard lock(mutex_);
            calls.insert(name);
            if (name == "InstanceList.get_by_host") {
                objects::InstanceList list;
                objects::SetEmpty(list, "objects");
                return objects::ToPrimitive(list);
            }
            if (name == "ComputeNode.get_by_host_and_nodename") {
                throw ComputeHostNotFound({{"host", args.at("args")[0].get<std::string>()}});
            }
            return Json();  // Service.get_by_host_and_binary: none yet
        });
        conductor.Add("object_action", [this](const RequestContext&, const Json& args) -> Json {
            const std::string name = args.at("objinst").at("nova_object.name").get<std::string>() +
                                     "." + args.at("objmethod").get<std::string>();
            std::lock_guard lock(mutex_);
            calls.insert(name);
            if (name == "Service.create") {
                hosts.insert(args.at("objinst").at("nova_object.data").at("host").get<std::string>());
                return Json::array({Json{{"id", static_cast<int>(hosts.size())}}, nullptr});
            }
            if (name == "ComputeNode.create") {
                return Json::array({Json{{"id", 1}, {"uuid", GenerateUuid()}}, nullptr});
            }
            return Json::array({Json::object(), nullptr});
        });
        rpc::Endpoint placement("nova_cpp_placement", "1.0");
        placement.Add("report_inventory", [this](const RequestContext&, const Json&) {
            std::lock_guard lock(mutex_);
            calls.insert("report_inventory");
            return Json(1);
        });
        server_ = std::make_unique<rpc::Server>(transport, rpc::ServerTarget{.topic = "conductor"},
                                                std::vector<rpc::Endpoint>{conductor, placement},
                                                4);
        server_->Start();
    }
    std::set<std::string> Calls() {
        std::lock_guard lock(mutex_);
        return calls;
    }
    std::set<std::string> Hosts() {
        std::lock_guard lock(mutex_);
        return hosts;
    }

private:
    std::mutex mutex_;
    std::set<std::string> calls;
    std::set<std::string> hosts;
    std::unique_ptr<rpc::Server> server_;
};

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
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        const std::string conf = (dir / "nova.conf").string();
        ::execl(NOVA_COMPUTE_BINARY, "nova-compute", "--config-file", conf.c_str(), nullptr);
        ::_exit(127);
    }
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
