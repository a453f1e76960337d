// Interop with Debian's python3-oslo.messaging 14 (run with /usr/bin/python3), both ways, on
// the RabbitMQ of scripts/services. The Python side is rpc/tests/pypeer/oslo_peer.py.
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"
#include "nova/rpc/client.hpp"
#include "nova/rpc/notifier.hpp"
#include "nova/rpc/server.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/test/services.hpp"

namespace nova::rpc {
namespace {

using namespace std::chrono_literals;

const std::string kPeer = std::string(NOVA_SOURCE_DIR) + "/rpc/tests/pypeer/oslo_peer.py";

// A child process whose stdout we read line by line (popen; ended by its own protocol).
class Child {
public:
    explicit Child(const std::string& args) {
        std::string command = "/usr/bin/python3 " + kPeer + " " + args;
        pipe_ = ::popen(command.c_str(), "r");
        REQUIRE(pipe_ != nullptr);
    }
    ~Child() { Close(); }
    // The next line, without its newline; empty at end of output.
    std::string Line() {
        std::array<char, 65536> buffer{};
        if (!std::fgets(buffer.data(), buffer.size(), pipe_)) return {};
        std::string line = buffer.data();
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
        return line;
    }
    int Close() {
        if (!pipe_) return 0;
        int status = ::pclose(pipe_);
        pipe_ = nullptr;
        return status;
    }

private:
    FILE* pipe_ = nullptr;
};

struct Names {
    std::string id = GenerateUuidHex().substr(0, 10);
    std::string exchange = "interop_" + id;
    std::string topic = "t_" + id;
};

std::shared_ptr<Transport> Connect(const Names& names) {
    TransportOptions options;
    options.control_exchange = names.exchange;
    options.rpc_response_timeout = 10s;
    options.executor_thread_pool_size = 4;
    return MakeTransport(test::Services::Get().TransportUrl(), options);
}

RequestContext Ctx() {
    RequestContext ctx;
    ctx.user_id = "cpp-user";
    ctx.project_id = "cpp-project";
    ctx.global_request_id = "req-00000000-0000-0000-0000-0000000000d2";
    return ctx;
}

TEST_CASE("oslo.messaging client -> nova-cpp server") {
    Names names;
    auto transport = Connect(names);
    std::mutex mutex;
    std::vector<Json> casts;
    std::vector<RequestContext> contexts;
    Endpoint manager(std::nullopt, "6.2");
    manager.Add("echo", [&](const RequestContext& ctx, const Json& args) -> Json {
        std::lock_guard lock(mutex);
        contexts.push_back(ctx);
        return Json{{"host", "cpp"}, {"args", args}};
    });
    manager.AddCast("note", [&](const RequestContext&, const Json& args) {
        std::lock_guard lock(mutex);
        casts.push_back(args);
    });
    manager.Add("fail", [](const RequestContext&, const Json&) -> Json {
        throw InstanceNotFound({{"instance_id", "i-cpp"}});
    });
    manager.Add("fail_std", [](const RequestContext&, const Json&) -> Json {
        throw std::runtime_error("C++ trouble");
    });
    manager.Add("casts_seen", [&](const RequestContext&, const Json&) -> Json {
        std::lock_guard lock(mutex);
        return casts;
    });
    Server server(transport, {names.topic, "cpp1"}, {manager, BaseApiEndpoint("nova-cpp-test")});
    server.Start();

    Child client("client " + test::Services::Get().TransportUrl() + " " + names.exchange + " " +
                 names.topic + " cpp1");
    std::string line = client.Line();
    CHECK(client.Close() == 0);
    REQUIRE_MESSAGE(!line.empty(), "the Python client printed nothing");
    Json r = Json::parse(line);
    INFO(r.dump(2));
    CHECK(r["call"]["ok"] == Json{{"host", "cpp"}, {"args", {{"x", 1}, {"s", "ü"}}}});
    CHECK(r["call_topic"]["ok"]["args"] == Json{{"y", 2}});
    CHECK(r["cast"].contains("ok"));
    CHECK(r["fanout"].contains("ok"));
    CHECK(r["ping"]["ok"] == Json{{"service", "nova-cpp-test"}, {"arg", "hi"}});
    CHECK(r["too_new"]["error"] == "RemoteError");
    CHECK(r["too_new"]["exc_type"] == "UnsupportedVersion");
    CHECK(r["major"]["exc_type"] == "UnsupportedVersion");
    CHECK(r["unknown"]["exc_type"] == "NoSuchMethod");
    // nova.exception is importable on the Python side: it rebuilds the same class.
    CHECK(r["remote_nova"]["error"] == "InstanceNotFound_Remote");
    CHECK(r["remote_nova"]["str"] == "Instance i-cpp could not be found.");
    CHECK(r["remote_other"]["error"] == "RuntimeError");
    CHECK(r["timeout"]["error"] == "MessagingTimeout");
    CHECK(r["casts_seen"]["ok"].size() == 2);  // the direct cast and the fanout
    std::lock_guard lock(mutex);
    REQUIRE_FALSE(contexts.empty());
    CHECK(contexts.front().user_id == "py-user");
    CHECK(contexts.front().request_id == "req-00000000-0000-0000-0000-0000000000c1");
    CHECK(contexts.front().global_request_id == "req-00000000-0000-0000-0000-0000000000c2");
}

TEST_CASE("nova-cpp client -> oslo.messaging server") {
    Names names;
    auto transport = Connect(names);
    Child server("server " + test::Services::Get().TransportUrl() + " " + names.exchange + " " +
                 names.topic + " py1");
    REQUIRE(server.Line() == "READY");
    auto ctx = Ctx();
    Client client(transport, {.topic = names.topic, .version = "6.0"});
    Client direct = client.Prepare({.server = "py1"});

    Json echo = direct.Call(ctx, "echo", {{"x", 1}, {"s", "ü"}});
    CHECK(echo["host"] == "py1");
    CHECK(echo["args"] == Json{{"x", 1}, {"s", "ü"}});
    CHECK(echo["global_request_id"] == *ctx.global_request_id);
    CHECK(client.Call(ctx, "echo", Json::object())["host"] == "py1");
    direct.Cast(ctx, "note", {{"n", 1}});
    client.Prepare({.fanout = true}).Cast(ctx, "note", {{"n", 2}});
    Client ping = client.Prepare({.server = "py1", .version = "1.1", .namespace_ = "baseapi"});
    CHECK(ping.Call(ctx, "ping", {{"arg", "hi"}}) == Json{{"service", "python-peer"}, {"arg", "hi"}});
    CHECK_THROWS_AS(direct.Prepare({.version = "6.3"}).Call(ctx, "echo", Json::object()),
                    UnsupportedVersion);
    CHECK_THROWS_AS(direct.Prepare({.version = "5.0"}).Call(ctx, "echo", Json::object()),
                    UnsupportedVersion);
    CHECK_THROWS_AS(direct.Call(ctx, "no_such_method", Json::object()), NoSuchMethod);
    try {
        direct.Call(ctx, "fail_nova", Json::object());
        FAIL("no exception");
    } catch (const InstanceNotFound& e) {
        CHECK(e.kwargs()["instance_id"] == "i-py");
        CHECK(e.message() == "Instance i-py could not be found.");
    }
    try {
        direct.Call(ctx, "fail_builtin", Json::object());
        FAIL("no exception");
    } catch (const RemoteError& e) {
        CHECK(e.kwargs()["exc_type"] == "ValueError");
        CHECK(e.kwargs()["value"] == "bad value from python");
    }
    std::this_thread::sleep_for(300ms);
    Json seen = direct.Call(ctx, "casts_seen", Json::object());
    CHECK(seen.size() == 2);
    direct.Cast(ctx, "shutdown", Json::object());
    CHECK(server.Line() == "STOPPED");
    CHECK(server.Close() == 0);
}

TEST_CASE("a Python notification listener reads our versioned notifications") {
    Names names;
    auto transport = Connect(names);
    const std::string topic = "vn_" + names.id;
    Child listener("listen " + test::Services::Get().TransportUrl() + " " + names.exchange + " " +
                   topic);
    REQUIRE(listener.Line() == "READY");
    conf::NotificationOptions oslo;
    oslo.driver = {"messagingv2"};
    oslo.retry = -1;
    conf::NovaNotificationOptions nova;
    nova.notification_format = "versioned";
    nova.versioned_notifications_topics = {topic};
    SystemClock clock;
    Notifier notifier(transport, "nova-compute:cpp1", oslo, nova, clock);
    Json payload = {{"nova_object.name", "ServiceStatusPayload"},
                    {"nova_object.namespace", "nova"},
                    {"nova_object.version", "1.1"},
                    {"nova_object.data", {{"host", "cpp1"}, {"disabled", false}}}};
    auto ctx = Ctx();
    notifier.Notify(ctx, "info", "service.update", payload);
    std::string line = listener.Line();
    listener.Close();
    REQUIRE_FALSE(line.empty());
    Json got = Json::parse(line);
    CHECK(got["priority"] == "INFO");
    CHECK(got["publisher_id"] == "nova-compute:cpp1");
    CHECK(got["event_type"] == "service.update");
    CHECK(got["payload"] == payload);
    CHECK(got["request_id"] == ctx.request_id);
}

}  // namespace
}  // namespace nova::rpc
