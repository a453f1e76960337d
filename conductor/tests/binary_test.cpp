// The real nova-conductor binary against the test RabbitMQ and MariaDB: it registers its
// service record, answers baseapi ping and object actions through ConductorRpcApi over AMQP,
// and stops cleanly on SIGTERM.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"
#include "nova/conductor/rpcapi.hpp"
#include "nova/rpc/client.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/test/services.hpp"
#include "scratch_database.hpp"

using namespace nova;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using nova::db::testing::ScratchDatabase;

TEST_CASE("nova-conductor serves ping and object actions over AMQP") {
    ScratchDatabase api(ScratchDatabase::Schema::kApi);
    ScratchDatabase cell(ScratchDatabase::Schema::kMain);
    const std::string host = "cond-" + GenerateUuidHex().substr(0, 8);
    fs::path dir = fs::temp_directory_path() / ("nova-conductor-test-" + host);
    fs::create_directories(dir);
    std::ofstream(dir / "nova.conf") << "[DEFAULT]\nhost = " << host
                                     << "\ntransport_url = " << test::Services::Get().TransportUrl()
                                     << "\nreport_interval = 1\n"
                                     << "[api_database]\nconnection = " << api.url() << "\n"
                                     << "[database]\nconnection = " << cell.url() << "\n";
    std::string log = (dir / "nova-conductor.log").string();
    std::string conf = (dir / "nova.conf").string();
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
        int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::execl(NOVA_CONDUCTOR_BINARY, "nova-conductor", "--config-file", conf.c_str(), nullptr);
        ::_exit(127);
    }
    REQUIRE(pid > 0);
    auto log_text = [&] {
        std::ifstream in(log);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    };

    auto transport = rpc::MakeTransport(test::Services::Get().TransportUrl(), rpc::TransportOptions{});
    auto ctx = RequestContext::Admin();
    rpc::Client baseapi(transport, rpc::Target{.topic = "conductor", .namespace_ = "baseapi", .version = "1.1"});
    Json pong;
    for (int i = 0; i < 60 && pong.is_null(); ++i) {
        try {
            pong = baseapi.Prepare({.timeout = 1000ms}).Call(ctx, "ping", {{"arg", "hello"}});
        } catch (const std::exception&) {
            int status = 0;
            REQUIRE_MESSAGE(::waitpid(pid, &status, WNOHANG) == 0, log_text());
        }
    }
    REQUIRE_MESSAGE(!pong.is_null(), log_text());
    CHECK(pong == Json{{"service", "conductor"}, {"arg", "hello"}});

    // Its own service record, read back as a compute would through the object API.
    conf::UpgradeLevelsOptions levels{};
    conductor::ConductorRpcApi api_client(transport, levels);
    Json service = api_client.ObjectClassActionVersions(ctx, "Service", "get_by_host_and_binary",
                                                        {{"Service", "1.22"}}, Json::array({host, "nova-conductor"}),
                                                        Json::object());
    REQUIRE_MESSAGE(service.is_object(), log_text());
    CHECK(service["nova_object.data"]["host"] == host);
    CHECK(service["nova_object.data"]["binary"] == "nova-conductor");
    // An unknown object comes back as Nova's error.
    try {
        api_client.ObjectClassActionVersions(ctx, "NoSuchThing", "get", {{"NoSuchThing", "1.0"}}, Json::array(),
                                             Json::object());
        FAIL("no error");
    } catch (const NovaError& e) {
        CHECK(std::string(e.class_name()) == "UnsupportedObjectError");
    }

    ::kill(pid, SIGTERM);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK_MESSAGE(WIFEXITED(status), log_text());
    CHECK_MESSAGE(WEXITSTATUS(status) == 0, log_text());
    fs::remove_all(dir);
}
