// Client, Server, Endpoint, Notifier on the in-memory transport.
#include <doctest/doctest.h>

#include <utility>  // before boost/asio/awaitable.hpp

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "memory/memory_transport.hpp"
#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"
#include "nova/conf/schema.hpp"
#include "nova/conf/source.hpp"
#include "nova/rpc/client.hpp"
#include "nova/rpc/notifier.hpp"
#include "nova/rpc/server.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/rpc/wire.hpp"

namespace nova::rpc {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<Transport> NewTransport(std::string vhost = "") {
    if (vhost.empty()) vhost = GenerateUuidHex();  // a private broker per test
    TransportOptions options;
    options.rpc_response_timeout = 5s;
    options.executor_thread_pool_size = 4;
    return MakeTransport("fake:///" + vhost, options);
}

// Waits (bounded) until `predicate` holds.
template <class P>
bool Eventually(P predicate, std::chrono::milliseconds limit = 5000ms) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (predicate()) return true;
        std::this_thread::sleep_for(2ms);
    }
    return predicate();
}

struct Recorder {
    std::mutex mutex;
    std::vector<std::pair<std::string, Json>> calls;
    void Add(std::string who, Json args) {
        std::lock_guard lock(mutex);
        calls.emplace_back(std::move(who), std::move(args));
    }
    std::size_t size() {
        std::lock_guard lock(mutex);
        return calls.size();
    }
};

Endpoint ComputeEndpoint(const std::string& host, Recorder& recorder) {
    Endpoint endpoint(std::nullopt, "6.2");
    endpoint.Add("echo", [host](const RequestContext&, const Json& args) -> Json {
        return Json{{"host", host}, {"args", args}};
    });
    endpoint.AddCast("refresh", [host, &recorder](const RequestContext&, const Json& args) {
        recorder.Add(host, args);
    });
    endpoint.Add("fail_nova", [](const RequestContext&, const Json& args) -> Json {
        throw InstanceNotFound({{"instance_id", args.value("uuid", "")}});
    });
    endpoint.Add("fail_std", [](const RequestContext&, const Json&) -> Json {
        throw std::runtime_error("plain C++ failure");
    });
    endpoint.Add("context", [](const RequestContext& ctx, const Json&) -> Json {
        return Json{{"request_id", ctx.request_id},
                    {"global_request_id", ctx.global_request_id.value_or("")},
                    {"user_id", ctx.user_id}};
    });
    endpoint.Add("_private", [](const RequestContext&, const Json&) -> Json { return 1; });
    return endpoint;
}

RequestContext UserContext() {
    RequestContext ctx;
    ctx.user_id = "user1";
    ctx.project_id = "proj1";
    ctx.global_request_id = "req-00000000-0000-0000-0000-0000000000aa";
    return ctx;
}

TEST_CASE("call to a server returns its result and the context travels") {
    auto transport = NewTransport();
    Recorder recorder;
    Server server(transport, {"compute", "host1"},
                  {ComputeEndpoint("host1", recorder), BaseApiEndpoint("nova-compute")});
    server.Start();
    Client client(transport, {.topic = "compute", .version = "6.0"});
    auto ctx = UserContext();
    Json result = client.Prepare({.server = "host1"}).Call(ctx, "echo", {{"x", 1}});
    CHECK(result == Json{{"host", "host1"}, {"args", {{"x", 1}}}});
    Json seen = client.Prepare({.server = "host1"}).Call(ctx, "context", Json::object());
    CHECK(seen["request_id"] == ctx.request_id);
    CHECK(seen["global_request_id"] == *ctx.global_request_id);
    CHECK(seen["user_id"] == "user1");
    // The shared topic queue works too.
    CHECK(client.Call(ctx, "echo", Json::object())["host"] == "host1");
}

TEST_CASE("baseapi ping answers with the binary name") {
    auto transport = NewTransport();
    Recorder recorder;
    Server server(transport, {"conductor", "ctl"},
                  {ComputeEndpoint("ctl", recorder), BaseApiEndpoint("nova-conductor")});
    server.Start();
    Client client(transport, {.topic = "conductor", .namespace_ = "baseapi", .version = "1.1"});
    Json pong = client.Call(UserContext(), "ping", {{"arg", "hello"}});
    CHECK(pong == Json{{"service", "nova-conductor"}, {"arg", "hello"}});
    // baseapi 1.0 is compatible with 1.1; 1.2 is not.
    CHECK(client.Prepare({.version = "1.0"}).Call(UserContext(), "ping", {{"arg", 1}})["arg"] == 1);
    CHECK_THROWS_AS(client.Prepare({.version = "1.2"}).Call(UserContext(), "ping", {{"arg", 1}}),
                    UnsupportedVersion);
}

TEST_CASE("version errors: UnsupportedVersion vs NoSuchMethod") {
    auto transport = NewTransport();
    Recorder recorder;
    Server server(transport, {"compute", "host1"}, {ComputeEndpoint("host1", recorder)});
    server.Start();
    Client client(transport, {.topic = "compute", .server = "host1", .version = "6.0"});
    auto ctx = UserContext();
    CHECK_NOTHROW(client.Prepare({.version = "6.2"}).Call(ctx, "echo", Json::object()));
    CHECK_THROWS_AS(client.Prepare({.version = "6.3"}).Call(ctx, "echo", Json::object()),
                    UnsupportedVersion);
    CHECK_THROWS_AS(client.Prepare({.version = "5.0"}).Call(ctx, "echo", Json::object()),
                    UnsupportedVersion);
    CHECK_THROWS_AS(client.Call(ctx, "no_such_method", Json::object()), NoSuchMethod);
    CHECK_THROWS_AS(client.Call(ctx, "_private", Json::object()), NoSuchMethod);
    // A namespace nobody serves.
    CHECK_THROWS_AS(client.Prepare({.namespace_ = "nobody"}).Call(ctx, "echo", Json::object()),
                    UnsupportedVersion);
}

TEST_CASE("remote failures: our errors keep their type, others are RemoteError") {
    auto transport = NewTransport();
    Recorder recorder;
    Server server(transport, {"compute", "host1"}, {ComputeEndpoint("host1", recorder)});
    server.Start();
    Client client(transport, {.topic = "compute", .server = "host1", .version = "6.0"});
    try {
        client.Call(UserContext(), "fail_nova", {{"uuid", "abc"}});
        FAIL("no exception");
    } catch (const InstanceNotFound& e) {
        CHECK(e.kwargs()["instance_id"] == "abc");
        CHECK(e.message() == "Instance abc could not be found.");
    }
    try {
        client.Call(UserContext(), "fail_std", Json::object());
        FAIL("no exception");
    } catch (const RemoteError& e) {
        CHECK(e.kwargs()["exc_type"] == "RuntimeError");
        CHECK(e.kwargs()["value"] == "plain C++ failure");
    }
    // The server keeps serving after failures.
    CHECK(client.Call(UserContext(), "echo", Json::object())["host"] == "host1");
}

TEST_CASE("a call nobody answers times out with MessagingTimeout") {
    auto transport = NewTransport();
    Client client(transport, {.topic = "compute", .server = "nobody", .version = "6.0"});
    auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(client.Prepare({.timeout = 200ms}).Call(UserContext(), "echo", Json::object()),
                    MessagingTimeout);
    auto took = std::chrono::steady_clock::now() - start;
    CHECK(took >= 190ms);
    CHECK(took < 3s);
    CHECK(transport->Replies().outstanding() == 0);
}

TEST_CASE("casts: server-directed, shared topic round-robin, fanout to all") {
    auto transport = NewTransport();
    Recorder recorder;
    Server a(transport, {"compute", "hostA"}, {ComputeEndpoint("hostA", recorder)});
    Server b(transport, {"compute", "hostB"}, {ComputeEndpoint("hostB", recorder)});
    a.Start();
    b.Start();
    Client client(transport, {.topic = "compute", .version = "6.0"});
    auto ctx = UserContext();

    client.Prepare({.server = "hostB"}).Cast(ctx, "refresh", {{"n", 0}});
    REQUIRE(Eventually([&] { return recorder.size() == 1; }));
    CHECK(recorder.calls[0].first == "hostB");

    for (int i = 0; i < 10; ++i) client.Cast(ctx, "refresh", {{"n", i}});
    REQUIRE(Eventually([&] { return recorder.size() == 11; }));
    int on_a = 0;
    for (std::size_t i = 1; i < recorder.calls.size(); ++i) on_a += recorder.calls[i].first == "hostA";
    CHECK(on_a == 5);  // round-robin between the two consumers of the shared queue

    client.Prepare({.fanout = true}).Cast(ctx, "refresh", {{"n", 99}});
    REQUIRE(Eventually([&] { return recorder.size() == 13; }));
    std::set<std::string> hosts = {recorder.calls[11].first, recorder.calls[12].first};
    CHECK(hosts == std::set<std::string>{"hostA", "hostB"});
    CHECK_THROWS_AS(client.Prepare({.fanout = true}).Call(ctx, "echo", Json::object()),
                    InvalidTarget);
}

TEST_CASE("version cap: CanSendVersion and a local RPCVersionCapError") {
    auto transport = NewTransport();
    Client capped(transport, {.topic = "compute", .version = "6.0"}, "6.2");
    CHECK(capped.CanSendVersion("6.1"));
    CHECK(capped.CanSendVersion("6.2"));
    CHECK_FALSE(capped.CanSendVersion("6.3"));
    CHECK_FALSE(capped.CanSendVersion("7.0"));
    CHECK_FALSE(capped.CanSendVersion("5.0"));
    CHECK_THROWS_AS(capped.Prepare({.version = "6.3"}).Cast(UserContext(), "refresh", Json::object()),
                    RPCVersionCapError);
    Client uncapped(transport, {.topic = "compute"});
    CHECK(uncapped.CanSendVersion("99.0"));
    Client no_version(transport, {.topic = "compute"}, "6.2");
    CHECK_THROWS_AS(no_version.Cast(UserContext(), "refresh", Json::object()), RPCVersionCapError);
}

TEST_CASE("bad messages are rejected without stopping the server and duplicates are skipped") {
    auto transport = NewTransport();
    Recorder recorder;
    Server server(transport, {"compute", "host1"}, {ComputeEndpoint("host1", recorder)});
    server.Start();
    const auto dest = Destination::Topic("nova", "compute.host1");
    for (std::string bad : {std::string("not json"), std::string("[1,2]"),
                            EncodeEnvelope(Json{{"args", Json::object()}}),
                            EncodeEnvelope(Json{{"method", 42}}),
                            EncodeEnvelope(Json{{"method", "refresh"}, {"args", "notanobject"}}),
                            std::string(R"({"oslo.version": "9.0", "oslo.message": "{}"})")}) {
        PublishAndWait(*transport, dest, bad, {});
    }
    Json cast = {{"method", "refresh"}, {"args", {{"n", 1}}}, {"version", "6.0"},
                 {"_unique_id", "0123456789abcdef0123456789abcdef"}};
    PublishAndWait(*transport, dest, EncodeEnvelope(cast), {});
    PublishAndWait(*transport, dest, EncodeEnvelope(cast), {});  // the same _unique_id again
    Client client(transport, {.topic = "compute", .server = "host1", .version = "6.0"});
    CHECK(client.Call(UserContext(), "echo", Json::object())["host"] == "host1");
    CHECK(recorder.size() == 1);
    CHECK(server.handled() == 2);
}

TEST_CASE("Stop finishes in-flight work, then no more requests are taken") {
    auto transport = NewTransport();
    std::atomic<int> finished{0};
    std::promise<void> started;
    auto started_future = started.get_future();
    std::atomic<bool> first{true};
    Endpoint endpoint(std::nullopt, "1.0");
    endpoint.AddCast("slow", [&](const RequestContext&, const Json&) {
        if (first.exchange(false)) started.set_value();
        std::this_thread::sleep_for(300ms);
        ++finished;
    });
    auto server = std::make_unique<Server>(transport, ServerTarget{"svc", "h"},
                                           std::vector<Endpoint>{endpoint}, 2);
    server->Start();
    Client client(transport, {.topic = "svc", .version = "1.0"});
    client.Cast(UserContext(), "slow", Json::object());
    REQUIRE(started_future.wait_for(5s) == std::future_status::ready);
    server->Stop();
    CHECK(finished == 1);
    client.Cast(UserContext(), "slow", Json::object());  // waits in the queue, nobody consumes
    std::this_thread::sleep_for(50ms);
    CHECK(finished == 1);
    auto& broker = static_cast<MemoryTransport&>(*transport).broker();
    CHECK(broker.Depth("svc") == 1);
}

// A transport whose first `fail` reply publishes fail as a lost connection would fail them.
class ReplyLosingTransport final : public Transport {
public:
    ReplyLosingTransport(std::shared_ptr<Transport> inner, int fail) : inner_(std::move(inner)), fail_(fail) {}
    void Publish(const Destination& destination, std::string body, const PublishOptions& options,
                 PublishDone done) override {
        if (destination.kind == Destination::Kind::kReply) {
            ++replies;
            if (fail_ > 0) {
                --fail_;
                done(std::make_exception_ptr(MessageDeliveryFailure(
                    {{"reason", "the connection to the broker was lost before it confirmed the message"}})));
                return;
            }
        }
        inner_->Publish(destination, std::move(body), options, std::move(done));
    }
    std::unique_ptr<Subscription> SubscribeRpc(const std::string& exchange, const std::string& topic,
                                               const std::string& server, DeliveryHandler handler) override {
        return inner_->SubscribeRpc(exchange, topic, server, std::move(handler));
    }
    std::unique_ptr<Subscription> SubscribeNotifications(const std::string& exchange, const std::string& queue,
                                                         DeliveryHandler handler) override {
        return inner_->SubscribeNotifications(exchange, queue, std::move(handler));
    }
    std::string ReplyQueue() override { return inner_->ReplyQueue(); }
    ReplyWaiter& Replies() override { return inner_->Replies(); }
    const TransportOptions& options() const override { return inner_->options(); }

    std::atomic<int> replies{0};

private:
    std::shared_ptr<Transport> inner_;
    std::atomic<int> fail_;
};

TEST_CASE("a reply the broker did not confirm goes out once more, and a second failure ends the request") {
    auto transport = NewTransport();
    Recorder recorder;
    auto once = std::make_shared<ReplyLosingTransport>(transport, 1);
    {
        Server server(once, {"compute", "host1"}, {ComputeEndpoint("host1", recorder)});
        server.Start();
        Client client(transport, {.topic = "compute", .version = "6.0"});
        CHECK(client.Call(UserContext(), "echo", {{"x", 1}})["args"]["x"] == 1);
        CHECK(once->replies == 2);
    }
    auto always = std::make_shared<ReplyLosingTransport>(transport, 1000);
    Server server(always, {"compute", "host1"}, {ComputeEndpoint("host1", recorder)});
    server.Start();
    Client client(transport, {.topic = "compute", .version = "6.0"});
    CHECK_THROWS_AS(client.Prepare({.timeout = 300ms}).Call(UserContext(), "echo", Json::object()),
                    MessagingTimeout);
    CHECK(always->replies == 2);  // sent, sent again, then given up
    server.Stop();  // the request counts as finished: Stop does not wait for it forever
}

TEST_CASE("handlers run on the worker pool, concurrently") {
    auto transport = NewTransport();
    std::atomic<int> running{0};
    std::atomic<int> peak{0};
    Endpoint endpoint(std::nullopt, "1.0");
    endpoint.Add("block", [&](const RequestContext&, const Json&) -> Json {
        int now = ++running;
        int old = peak.load();
        while (now > old && !peak.compare_exchange_weak(old, now)) {}
        std::this_thread::sleep_for(100ms);
        --running;
        return nullptr;
    });
    Server server(transport, {"svc", "h"}, {endpoint}, 4);
    server.Start();
    Client client(transport, {.topic = "svc", .version = "1.0"});
    std::vector<std::future<Json>> calls;
    for (int i = 0; i < 4; ++i) {
        calls.push_back(std::async(std::launch::async,
                                   [&] { return client.Call(UserContext(), "block", Json::object()); }));
    }
    for (auto& call : calls) CHECK(call.get().is_null());
    CHECK(peak.load() >= 2);
}

TEST_CASE("awaitable call from a coroutine") {
    auto transport = NewTransport();
    Recorder recorder;
    Server server(transport, {"compute", "host1"}, {ComputeEndpoint("host1", recorder)});
    server.Start();
    Client client(transport, {.topic = "compute", .server = "host1", .version = "6.0"});
    boost::asio::io_context io;
    auto ctx = UserContext();
    auto future = boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<Json> {
            // (Arguments are named variables: g++ 12 mishandles string literals inside
            // co_await expressions.)
            const std::string echo = "echo";
            const std::string fail = "fail_nova";
            Json args = {{"i", 1}};
            Json fail_args = {{"uuid", "u"}};
            Client lost = client.Prepare({.server = "nobody", .timeout = 100ms});
            Json first = co_await client.AsyncCall(ctx, echo, args);
            try {
                co_await client.AsyncCall(ctx, fail, fail_args);
            } catch (const InstanceNotFound&) {
                first["caught"] = true;
            }
            try {
                co_await lost.AsyncCall(ctx, echo, Json::object());
            } catch (const MessagingTimeout&) {
                first["timed_out"] = true;
            }
            co_return first;
        },
        boost::asio::use_future);
    io.run();
    Json result = future.get();
    CHECK(result["args"] == Json{{"i", 1}});
    CHECK(result["caught"] == true);
    CHECK(result["timed_out"] == true);
}

TEST_CASE("old two-message replies and heartbeats are understood by the reply waiter") {
    auto transport = NewTransport();
    auto& waiter = transport->Replies();
    auto call = waiter.Register("m1", 2s, std::nullopt);
    std::promise<Json> got;
    call->OnDone([&](std::exception_ptr e, Json r) {
        if (e) {
            got.set_exception(e);
        } else {
            got.set_value(r);
        }
    });
    // heartbeat, then {result, failure} without ending, then the closing message.
    CHECK(waiter.Deliver(EncodeEnvelope(MakeReply("m1", nullptr, std::nullopt, false))));
    CHECK_FALSE(call->done());
    Json legacy = {{"result", 42}, {"failure", nullptr}, {"_msg_id", "m1"}};
    CHECK(waiter.Deliver(EncodeEnvelope(legacy)));
    CHECK_FALSE(call->done());
    Json closing = {{"result", nullptr}, {"failure", nullptr}, {"ending", true}, {"_msg_id", "m1"}};
    CHECK(waiter.Deliver(EncodeEnvelope(closing)));
    CHECK(got.get_future().get() == 42);
    // A late reply for an id nobody waits for is dropped quietly.
    CHECK(waiter.Deliver(EncodeEnvelope(closing)));
    CHECK_FALSE(waiter.Deliver("garbage"));
}

TEST_CASE("call-monitor: no heartbeat within the monitor timeout ends the call") {
    auto transport = NewTransport();
    auto call = transport->Replies().Register("m2", 5s, std::chrono::seconds(1));
    std::promise<void> timed_out;
    call->OnDone([&](std::exception_ptr e, Json) {
        try {
            std::rethrow_exception(e);
        } catch (const MessagingTimeout&) {
            timed_out.set_value();
        } catch (...) {
        }
    });
    CHECK(timed_out.get_future().wait_for(3s) == std::future_status::ready);
}

TEST_CASE("transport_url parsing") {
    auto url = TransportUrl::Parse("rabbit://u1:p%40ss@h1:5673,u2:p2@[::1]:5674,h3/vh%2F1?heartbeat_timeout_threshold=30");
    CHECK(url.scheme == "rabbit");
    REQUIRE(url.hosts.size() == 3);
    CHECK(url.hosts[0].user == "u1");
    CHECK(url.hosts[0].password == "p@ss");
    CHECK(url.hosts[0].host == "h1");
    CHECK(url.hosts[0].port == 5673);
    CHECK(url.hosts[1].host == "::1");
    CHECK(url.hosts[1].port == 5674);
    CHECK(url.hosts[2].host == "h3");
    CHECK(url.hosts[2].port == 5672);
    CHECK(url.virtual_host == "vh/1");
    REQUIRE(url.query.size() == 1);
    CHECK(url.query[0].second == "30");
    CHECK(TransportUrl::Parse("rabbit://").hosts[0].host == "localhost");
    CHECK(TransportUrl::Parse("rabbit://h/").virtual_host == "/");
    CHECK(TransportUrl::Parse("fake://").scheme == "fake");
    CHECK_THROWS_AS(TransportUrl::Parse("nonsense"), InvalidInput);
    CHECK_THROWS_AS(TransportUrl::Parse("rabbit://h:notaport/"), InvalidInput);
    CHECK_THROWS_AS(MakeTransport("kafka://h/", {}), InvalidInput);
    CHECK_THROWS_AS(MakeTransport("rabbit://h/?no_such_option=1", {}), InvalidInput);
    CHECK_THROWS_AS(MakeTransport("rabbit://h/?rabbit_quorum_queue=true&rabbit_ha_queues=true", {}),
                    InvalidInput);
}

TEST_CASE("versioned notifications in Nova's shape") {
    auto transport = NewTransport();
    ManualClock clock;
    conf::NotificationOptions oslo;
    oslo.driver = {"messagingv2"};
    oslo.retry = -1;
    conf::NovaNotificationOptions nova;
    nova.notification_format = "versioned";
    nova.versioned_notifications_topics = {"versioned_notifications"};
    Notifier notifier(transport, "nova-compute:host1", oslo, nova, clock);
    REQUIRE(notifier.enabled());
    std::promise<std::string> got;
    auto subscription = transport->SubscribeNotifications(
        "nova", "versioned_notifications.info", [&](std::string body) {
            got.set_value(body);
            return true;
        });
    Json payload = {{"nova_object.name", "ServiceStatusPayload"},
                    {"nova_object.namespace", "nova"},
                    {"nova_object.version", "1.1"},
                    {"nova_object.data", {{"host", "host1"}}}};
    auto ctx = UserContext();
    ctx.auth_token = "secret";
    notifier.Notify(ctx, "info", "service.update", payload);
    auto future = got.get_future();
    REQUIRE(future.wait_for(5s) == std::future_status::ready);
    Json outer = Json::parse(future.get());
    CHECK(outer["oslo.version"] == "2.0");
    Json message = DecodeEnvelope(outer.dump());
    CHECK(message["event_type"] == "service.update");
    CHECK(message["priority"] == "INFO");
    CHECK(message["publisher_id"] == "nova-compute:host1");
    CHECK(message["payload"] == payload);
    CHECK(IsUuidLike(message["message_id"].get<std::string>()));
    CHECK(message["timestamp"] == "2023-11-14 22:13:20.000000");
    CHECK(message["_context_request_id"] == ctx.request_id);
    CHECK(message["_context_auth_token"].is_null());
    CHECK_THROWS_AS(notifier.Notify(ctx, "loud", "x", payload), InvalidInput);

    nova.notification_format = "unversioned";
    Notifier off(transport, "p", oslo, nova, clock);
    CHECK_FALSE(off.enabled());
    oslo.driver = {"noop"};
    nova.notification_format = "both";
    CHECK_FALSE(Notifier(transport, "p", oslo, nova, clock).enabled());
}

}  // namespace
}  // namespace nova::rpc

namespace nova::rpc {
namespace {

using namespace std::chrono_literals;

TEST_CASE("call timeouts share one timer: each call ends by its own timeout, answered ones leave") {
    auto transport = NewTransport();
    auto& waiter = transport->Replies();
    // Registered with the longest first, so each later one arms the timer earlier; every other
    // one is answered at once and must not time out later.
    struct Outcome {
        std::promise<bool> timed_out;  // false: answered
        std::chrono::steady_clock::time_point ended;
    };
    constexpr int kCalls = 20;
    std::vector<Outcome> outcomes(kCalls);
    std::vector<std::shared_ptr<PendingCall>> calls;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kCalls; ++i) {
        const std::string id = "t" + std::to_string(i);
        auto call = waiter.Register(id, std::chrono::milliseconds(100 + 20 * (kCalls - i)), std::nullopt);
        call->OnDone([&outcome = outcomes[i]](std::exception_ptr e, Json) {
            outcome.ended = std::chrono::steady_clock::now();
            bool timed_out = false;
            try {
                if (e) std::rethrow_exception(e);
            } catch (const MessagingTimeout&) {
                timed_out = true;
            } catch (...) {
            }
            outcome.timed_out.set_value(timed_out);
        });
        calls.push_back(call);
        if (i % 2 == 0) {
            Json reply = {{"result", i}, {"failure", nullptr}, {"ending", true}, {"_msg_id", id}};
            CHECK(waiter.Deliver(EncodeEnvelope(reply)));
        }
    }
    for (int i = 0; i < kCalls; ++i) {
        auto future = outcomes[i].timed_out.get_future();
        REQUIRE(future.wait_for(5s) == std::future_status::ready);
        CHECK(future.get() == (i % 2 == 1));
        if (i % 2 == 1) {
            const auto took = outcomes[i].ended - start;
            CHECK(took >= std::chrono::milliseconds(100 + 20 * (kCalls - i)));
            CHECK(took < std::chrono::milliseconds(100 + 20 * (kCalls - i)) + 2s);
        }
    }
    CHECK(waiter.outstanding() == 0);
    // Later calls arm the timer again.
    auto late = waiter.Register("late", 50ms, std::nullopt);
    std::promise<void> ended;
    late->OnDone([&](std::exception_ptr, Json) { ended.set_value(); });
    CHECK(ended.get_future().wait_for(3s) == std::future_status::ready);
}

}  // namespace
}  // namespace nova::rpc
