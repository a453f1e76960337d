// The AMQP transport against the RabbitMQ of scripts/services. Each test uses its own control
// exchange and topic names, so tests never see each other's messages.
#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"
#include "nova/rpc/client.hpp"
#include "nova/rpc/notifier.hpp"
#include "nova/rpc/server.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/rpc/wire.hpp"
#include "nova/test/services.hpp"

namespace nova::rpc {
namespace {

using namespace std::chrono_literals;

struct Names {
    std::string id = GenerateUuidHex().substr(0, 10);
    std::string exchange = "itest_" + id;
    std::string topic = "t_" + id;
};

TransportOptions Options(const Names& names) {
    TransportOptions options;
    options.control_exchange = names.exchange;
    options.rpc_response_timeout = 10s;
    options.executor_thread_pool_size = 8;
    options.rabbit.rabbit_transient_queues_ttl = 1800;
    options.rabbit.kombu_reconnect_delay = 0.2;
    options.rabbit.rabbit_retry_interval = 0.2;
    options.rabbit.rabbit_retry_backoff = 0.2;
    options.rabbit.rabbit_interval_max = 1;
    options.rabbit.heartbeat_timeout_threshold = 60;
    options.rabbit.kombu_missing_consumer_retry_timeout = 5;
    return options;
}

std::shared_ptr<Transport> Connect(const Names& names) {
    return MakeTransport(test::Services::Get().TransportUrl(), Options(names));
}

// Output of a rabbitmqctl command on the test broker.
std::string Ctl(const std::string& args) {
    std::string command = test::Services::Get().Value("NOVA_RABBITMQCTL") + " -q " + args + " 2>&1";
    std::string out;
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::array<char, 4096> buffer{};
    while (std::fgets(buffer.data(), buffer.size(), pipe)) out += buffer.data();
    ::pclose(pipe);
    return out;
}

std::string LineWith(const std::string& text, const std::string& needle) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(pos, end - pos);
        if (line.find(needle) != std::string::npos) return line;
        pos = end + 1;
    }
    return {};
}

template <class P>
bool Eventually(P predicate, std::chrono::milliseconds limit = 10000ms) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (predicate()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return predicate();
}

RequestContext Ctx() {
    RequestContext ctx;
    ctx.user_id = "u1";
    ctx.project_id = "p1";
    ctx.global_request_id = "req-00000000-0000-0000-0000-0000000000bb";
    return ctx;
}

struct Seen {
    std::mutex mutex;
    std::vector<std::string> hosts;
    void Add(const std::string& host) {
        std::lock_guard lock(mutex);
        hosts.push_back(host);
    }
    std::size_t size() {
        std::lock_guard lock(mutex);
        return hosts.size();
    }
};

Endpoint TestEndpoint(const std::string& host, Seen& seen) {
    Endpoint endpoint(std::nullopt, "6.2");
    endpoint.Add("echo", [host](const RequestContext& ctx, const Json& args) -> Json {
        return Json{{"host", host}, {"args", args}, {"global_request_id", ctx.global_request_id.value_or("")}};
    });
    endpoint.AddCast("note", [host, &seen](const RequestContext&, const Json&) { seen.Add(host); });
    endpoint.Add("fail", [](const RequestContext&, const Json&) -> Json {
        throw InstanceNotFound({{"instance_id", "i-1"}});
    });
    endpoint.Add("slow", [](const RequestContext&, const Json& args) -> Json {
        std::this_thread::sleep_for(std::chrono::milliseconds(args.value("ms", 0)));
        return "done";
    });
    return endpoint;
}

TEST_CASE("call, cast, fanout, server-directed and ping on RabbitMQ") {
    Names names;
    auto server_transport = Connect(names);
    auto client_transport = Connect(names);
    Seen seen;
    Server a(server_transport, {names.topic, "hostA"},
             {TestEndpoint("hostA", seen), BaseApiEndpoint("nova-test")});
    Server b(server_transport, {names.topic, "hostB"}, {TestEndpoint("hostB", seen)});
    a.Start();
    b.Start();
    Client client(client_transport, {.topic = names.topic, .version = "6.0"});
    auto ctx = Ctx();

    Json result = client.Prepare({.server = "hostB"}).Call(ctx, "echo", {{"x", 1}});
    CHECK(result["host"] == "hostB");
    CHECK(result["args"] == Json{{"x", 1}});
    CHECK(result["global_request_id"] == *ctx.global_request_id);
    CHECK(client.Call(ctx, "echo", Json::object())["host"].is_string());

    Client ping(client_transport, {.topic = names.topic, .server = "hostA", .namespace_ = "baseapi", .version = "1.1"});
    CHECK(ping.Call(ctx, "ping", {{"arg", "hi"}}) == Json{{"service", "nova-test"}, {"arg", "hi"}});

    for (int i = 0; i < 10; ++i) client.Cast(ctx, "note", Json::object());
    REQUIRE(Eventually([&] { return seen.size() == 10; }));
    {
        std::lock_guard lock(seen.mutex);
        std::set<std::string> hosts(seen.hosts.begin(), seen.hosts.end());
        CHECK(hosts.size() == 2);  // the shared topic queue spreads over both servers
    }
    client.Prepare({.server = "hostA"}).Cast(ctx, "note", Json::object());
    REQUIRE(Eventually([&] { return seen.size() == 11; }));
    CHECK(seen.hosts.back() == "hostA");
    client.Prepare({.fanout = true}).Cast(ctx, "note", Json::object());
    REQUIRE(Eventually([&] { return seen.size() == 13; }));

    CHECK_THROWS_AS(client.Prepare({.server = "hostA"}).Call(ctx, "fail", Json::object()),
                    InstanceNotFound);
    CHECK_THROWS_AS(client.Prepare({.server = "hostA", .version = "6.3"}).Call(ctx, "echo", Json::object()),
                    UnsupportedVersion);
    CHECK_THROWS_AS(client.Prepare({.server = "hostA"}).Call(ctx, "nothing", Json::object()),
                    NoSuchMethod);
    auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(client.Prepare({.server = "nobody", .timeout = 500ms}).Call(ctx, "echo", Json::object()),
                    MessagingTimeout);
    CHECK(std::chrono::steady_clock::now() - start < 3s);
}

TEST_CASE("topology is oslo's: names, flags, x-expires, fanout queue deleted on stop") {
    Names names;
    auto transport = Connect(names);
    Seen seen;
    auto server = std::make_unique<Server>(transport, ServerTarget{names.topic, "h1"},
                                           std::vector<Endpoint>{TestEndpoint("h1", seen)});
    server->Start();
    Client client(transport, {.topic = names.topic, .server = "h1", .version = "6.0"});
    client.Call(Ctx(), "echo", Json::object());  // makes the reply queue
    const std::string vhost = test::Services::Get().Value("NOVA_RABBIT_VHOST");
    std::string exchanges = Ctl("list_exchanges -p " + vhost + " name type durable auto_delete arguments");
    CHECK(LineWith(exchanges, names.exchange + "\t").find("topic\tfalse\tfalse") != std::string::npos);
    CHECK(LineWith(exchanges, names.topic + "_fanout").find("fanout\tfalse\ttrue") != std::string::npos);
    std::string queues = Ctl("list_queues -p " + vhost + " name durable auto_delete exclusive arguments");
    std::string shared = LineWith(queues, names.topic + "\tfalse");
    CHECK(shared.find("false\tfalse\tfalse\t[]") != std::string::npos);
    CHECK(LineWith(queues, names.topic + ".h1\t").find("false\tfalse\tfalse\t[]") != std::string::npos);
    std::string fanout = LineWith(queues, names.topic + "_fanout_");
    CHECK(fanout.find("x-expires") != std::string::npos);
    CHECK(fanout.find("1800000") != std::string::npos);
    std::string reply = LineWith(queues, transport->ReplyQueue());
    CHECK(reply.find("x-expires") != std::string::npos);
    CHECK(transport->ReplyQueue().size() == 6 + 32);

    server->Stop();
    queues = Ctl("list_queues -p " + vhost + " name");
    CHECK(LineWith(queues, names.topic + "_fanout_").empty());   // deleted on a clean stop
    CHECK_FALSE(LineWith(queues, names.topic + ".h1").empty());  // the others stay
}

TEST_CASE("a 406 on declare fails that subscription only, the transport keeps working") {
    Names names;
    // Somebody declared the exchange durable (amqp_durable_queues = true elsewhere).
    auto durable_options = Options(names);
    durable_options.rabbit.amqp_durable_queues = true;
    auto durable = MakeTransport(test::Services::Get().TransportUrl(), durable_options);
    Seen seen;
    {
        Server first(durable, {names.topic, "h1"}, {TestEndpoint("h1", seen)});
        first.Start();
    }
    auto transport = Connect(names);
    Server mismatched(transport, {names.topic, "h2"}, {TestEndpoint("h2", seen)});
    CHECK_THROWS_AS(mismatched.Start(), MessageDeliveryFailure);
    // A cast to the same (durable) exchange fails to its caller, never silently.
    Client client(transport, {.topic = names.topic, .version = "6.0"});
    CHECK_THROWS_AS(client.Cast(Ctx(), "note", Json::object()), MessageDeliveryFailure);
    // Other topics on the same transport still work.
    Names other;
    other.exchange = names.exchange + "_b";
    auto options = Options(other);
    auto fine = MakeTransport(test::Services::Get().TransportUrl(), options);
    Server ok(fine, {other.topic, "h3"}, {TestEndpoint("h3", seen)});
    ok.Start();
    Client good(fine, {.topic = other.topic, .version = "6.0"});
    CHECK(good.Call(Ctx(), "echo", Json::object())["host"] == "h3");
    Ctl("delete_queue -p " + test::Services::Get().Value("NOVA_RABBIT_VHOST") + " " + names.topic);
}

TEST_CASE("bad messages are rejected and the consumer lives on") {
    Names names;
    auto transport = Connect(names);
    Seen seen;
    Server server(transport, {names.topic, "h1"}, {TestEndpoint("h1", seen)});
    server.Start();
    auto dest = Destination::Topic(names.exchange, names.topic + ".h1");
    PublishAndWait(*transport, dest, "this is not json", {});
    PublishAndWait(*transport, dest, EncodeEnvelope(Json{{"no", "method"}}), {});
    PublishAndWait(*transport, dest, std::string(1 << 20, '{'), {});  // 1 MiB of garbage
    Client client(transport, {.topic = names.topic, .server = "h1", .version = "6.0"});
    CHECK(client.Call(Ctx(), "echo", Json::object())["host"] == "h1");
    std::string queues = Ctl("list_queues -p " + test::Services::Get().Value("NOVA_RABBIT_VHOST") +
                             " name messages");
    CHECK(LineWith(queues, names.topic + ".h1\t").find("\t0") != std::string::npos);
}

TEST_CASE("call-monitor heartbeats keep a long call alive") {
    Names names;
    auto transport = Connect(names);
    Seen seen;
    Server server(transport, {names.topic, "h1"}, {TestEndpoint("h1", seen)});
    server.Start();
    Client client(transport, {.topic = names.topic, .server = "h1", .version = "6.0"});
    // The method takes 2.5 s; without a heartbeat the 2 s monitor would end the call.
    Json result = client.Prepare({.timeout = 20s, .call_monitor_timeout = std::chrono::seconds(2)})
                      .Call(Ctx(), "slow", {{"ms", 2500}});
    CHECK(result == "done");
}

TEST_CASE("pipelined casts are all confirmed") {
    Names names;
    auto transport = Connect(names);
    Seen seen;
    Server server(transport, {names.topic, "h1"}, {TestEndpoint("h1", seen)});
    server.Start();
    Client client(transport, {.topic = names.topic, .server = "h1", .version = "6.0"});
    constexpr int kCasts = 2000;
    std::atomic<int> confirmed{0};
    std::atomic<int> failed{0};
    for (int i = 0; i < kCasts; ++i) {
        client.CastAsync(Ctx(), "note", {{"i", i}}, [&](std::exception_ptr error) {
            (error ? failed : confirmed)++;
        });
    }
    REQUIRE(Eventually([&] { return confirmed + failed == kCasts; }));
    CHECK(failed == 0);
    REQUIRE(Eventually([&] { return seen.size() == kCasts; }));
}

TEST_CASE("no broker: casts fail by their deadline, calls time out, nothing hangs") {
    Names names;
    auto options = Options(names);
    auto transport = MakeTransport("rabbit://nobody:x@127.0.0.1:1/", options);
    Client client(transport, {.topic = names.topic, .version = "6.0"}, std::nullopt, 1500ms);
    auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(client.Cast(Ctx(), "note", Json::object()), MessageDeliveryFailure);
    CHECK_THROWS_AS(client.Call(Ctx(), "echo", Json::object()), MessagingTimeout);
    CHECK(std::chrono::steady_clock::now() - start < 8s);
}

TEST_CASE("versioned notifications reach a listener on the broker") {
    Names names;
    auto transport = Connect(names);
    conf::NotificationOptions oslo;
    oslo.driver = {"messagingv2"};
    oslo.retry = -1;
    conf::NovaNotificationOptions nova;
    nova.notification_format = "both";
    nova.versioned_notifications_topics = {"vn_" + names.id};
    SystemClock clock;
    Notifier notifier(transport, "nova-compute:h1", oslo, nova, clock);
    std::promise<std::string> got;
    auto sub = transport->SubscribeNotifications(names.exchange, "vn_" + names.id + ".error",
                                                 [&](std::string body) {
                                                     got.set_value(body);
                                                     return true;
                                                 });
    notifier.Notify(Ctx(), "ERROR", "compute.exception", Json{{"nova_object.name", "ExceptionPayload"}});
    auto future = got.get_future();
    REQUIRE(future.wait_for(10s) == std::future_status::ready);
    Json message = DecodeEnvelope(future.get());
    CHECK(message["priority"] == "ERROR");
    CHECK(message["event_type"] == "compute.exception");
}

}  // namespace
}  // namespace nova::rpc

namespace nova::rpc {
namespace {

TEST_CASE("leader/follower: one thread reads the connection, the others' replies reach them") {
    Names names;
    auto server_transport = Connect(names);
    auto client_transport = Connect(names);
    Seen seen;
    Server server(server_transport, {names.topic, "hostA"}, {TestEndpoint("hostA", seen)});
    server.Start();
    Client client(client_transport, {.topic = names.topic, .version = "6.0"});
    auto ctx = Ctx();
    CHECK(client.Call(ctx, "echo", {{"i", 0}})["host"] == "hostA");  // connected, reply queue up

    // A thread leads the client's connection until told to stop.
    std::atomic<bool> stop{false};
    std::promise<bool> led;
    std::atomic<bool> leading{false};
    std::thread leader([&] {
        bool ok = false;
        while (!ok && !stop) {
            leading = true;
            ok = client_transport->Lead([&] { return stop.load(); },
                                        MonoClock::now() + std::chrono::seconds(30));
        }
        led.set_value(ok);
    });
    auto led_future = led.get_future();
    // Only one leader: another thread's Lead returns false at once once the first one leads (a
    // lead with a deadline already passed ends at once when it does get the lead).
    REQUIRE(Eventually([&] {
        return leading && !client_transport->Lead([] { return false; }, MonoClock::now());
    }));
    // The I/O thread does not watch the socket now: these replies are read by the leader.
    for (int i = 1; i <= 20; ++i) {
        CHECK(client.Call(ctx, "echo", {{"i", i}})["args"]["i"] == i);
    }
    for (int i = 0; i < 10; ++i) client.Cast(ctx, "note", Json::object());  // confirms too
    REQUIRE(Eventually([&] { return seen.size() == 10; }));
    CHECK(led_future.wait_for(0s) == std::future_status::timeout);  // still leading
    stop = true;
    client_transport->WakeLeader();
    REQUIRE(led_future.wait_for(5s) == std::future_status::ready);
    CHECK(led_future.get());
    leader.join();
    // Back to the I/O thread, and a caller leads again by itself.
    for (int i = 0; i < 20; ++i) CHECK(client.Call(ctx, "echo", {{"i", i}})["args"]["i"] == i);
    // A call that times out while its caller leads ends by its timeout.
    auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(client.Prepare({.server = "nobody", .timeout = 300ms}).Call(ctx, "echo", Json::object()),
                    MessagingTimeout);
    CHECK(std::chrono::steady_clock::now() - start < 2s);
    // A server whose idle workers lead still answers 16 callers at once.
    std::vector<std::thread> callers;
    std::atomic<int> ok{0};
    for (int c = 0; c < 16; ++c) {
        callers.emplace_back([&, c] {
            for (int i = 0; i < 20; ++i) {
                if (client.Call(ctx, "echo", {{"c", c}, {"i", i}})["args"]["i"] == i) ++ok;
            }
        });
    }
    for (auto& t : callers) t.join();
    CHECK(ok == 320);
}

// Stopping a server while it reads requests (its idle workers lead the connection): what it took
// is finished and answered, the rest goes back to the broker for the other server, and nothing
// is handled twice or left unanswered. Several rounds, each stopping a server mid-stream.
TEST_CASE("a server stopped while calls flow answers what it took, and the other server takes the rest") {
    Names names;
    auto client_transport = Connect(names);
    auto stayer_transport = Connect(names);
    std::mutex mutex;
    std::map<std::string, int> handled;  // request id -> times handled
    auto endpoint = [&](const std::string& host) {
        Endpoint e(std::nullopt, "6.2");
        e.Add("take", [&, host](const RequestContext&, const Json& args) -> Json {
            std::lock_guard lock(mutex);
            ++handled[args.at("id").get<std::string>()];
            return host;
        });
        return e;
    };
    Server stayer(stayer_transport, {names.topic, "stayer"}, {endpoint("stayer")});
    stayer.Start();
    Client client(client_transport, {.topic = names.topic, .version = "6.0"});
    auto ctx = Ctx();
    constexpr int kRounds = 8;
    constexpr int kCallers = 16;
    std::atomic<int> sent{0}, answered{0}, by_leaver{0};
    std::vector<std::string> errors;
    for (int round = 0; round < kRounds; ++round) {
        auto leaver_transport = Connect(names);
        auto leaver = std::make_unique<Server>(leaver_transport, ServerTarget{names.topic, "leaver"},
                                               std::vector<Endpoint>{endpoint("leaver")});
        leaver->Start();
        std::atomic<bool> stop_callers{false};
        std::vector<std::thread> callers;
        for (int c = 0; c < kCallers; ++c) {
            callers.emplace_back([&] {
                while (!stop_callers) {
                    const std::string id = GenerateUuidHex();
                    ++sent;
                    try {
                        if (client.Call(ctx, "take", {{"id", id}}) == "leaver") ++by_leaver;
                        ++answered;
                    } catch (const std::exception& e) {
                        std::lock_guard lock(mutex);
                        errors.push_back(e.what());
                    }
                }
            });
        }
        const int start = answered;
        REQUIRE(Eventually([&] { return answered >= start + 300; }));
        leaver->Stop();  // mid-stream
        const int stopped_at = answered;
        REQUIRE(Eventually([&] { return answered >= stopped_at + 200; }));
        stop_callers = true;
        for (auto& t : callers) t.join();
        leaver.reset();
    }
    CHECK_MESSAGE(errors.empty(), (errors.empty() ? "" : errors.front()));
    CHECK(answered == sent);
    CHECK(by_leaver > 0);
    std::lock_guard lock(mutex);
    CHECK(handled.size() == static_cast<std::size_t>(sent.load()));
    int twice = 0;
    for (const auto& [id, times] : handled) twice += times > 1;
    CHECK(twice == 0);
}

}  // namespace
}  // namespace nova::rpc
