// nova-rpc-bench: the C++ side of bench/rpc/run.
//
//   nova-rpc-bench server --url U [--exchange E] [--topic T] [--server S] [--expect N] [--workers W]
//       an RPC server (methods echo and count); prints READY, and "DONE n t_first t_last" (wall
//       seconds) once N casts of count were handled; SIGTERM/SIGINT stop it gracefully.
//   nova-rpc-bench cast --url U [--n N] ...     N pipelined casts of ~200 B args to server S;
//       prints "SENT n t_first_send t_last_confirm failed".
//   nova-rpc-bench call --url U [--n N] [--concurrency C] [--warmup W] ...
//       calls of echo (C callers at once); prints rate, p50 and p99.
//   nova-rpc-bench size    the body sizes of one cast and one call of the bench.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "nova/common/context.hpp"
#include "nova/rpc/client.hpp"
#include "nova/rpc/server.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/rpc/wire.hpp"

using namespace nova;
using namespace nova::rpc;

namespace {

double WallSeconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Args {
    std::map<std::string, std::string> values;
    std::string Get(const std::string& key, const std::string& fallback) const {
        auto it = values.find(key);
        return it == values.end() ? fallback : it->second;
    }
    long Int(const std::string& key, long fallback) const {
        auto it = values.find(key);
        return it == values.end() ? fallback : std::atol(it->second.c_str());
    }
};

Json SmallArgs() {
    return Json{{"instance_uuid", "4d2f0c3e-7b1a-4c55-9e8f-0a1b2c3d4e5f"},
                {"host", "host1"},
                {"node", "host1.example.org"},
                {"flavor_id", 42},
                {"data", std::string(60, 'x')}};
}

RequestContext BenchContext() {
    RequestContext ctx;
    ctx.user_id = "0f4b1c8e2d9a4e6b8c7d5e3f1a2b3c4d";
    ctx.project_id = "9a8b7c6d5e4f40312a1b2c3d4e5f6a7b";
    ctx.roles = {"reader", "member"};
    ctx.user_name = "demo";
    ctx.project_name = "demo";
    // The rest of what the oslo peer's nova_context() sends (../shared/peers/oslo-messaging/
    // common.py), so both sides carry the same request: same keys, same values, same size.
    ctx.request_id = "req-00000000-0000-0000-0000-000000000001";
    ctx.global_request_id = "req-00000000-0000-0000-0000-000000000002";
    ctx.remote_address = "192.0.2.10";
    return ctx;
}

std::shared_ptr<Transport> MakeBenchTransport(const Args& args) {
    TransportOptions options;
    options.control_exchange = args.Get("--exchange", "nova");
    options.rpc_response_timeout = std::chrono::seconds(60);
    options.executor_thread_pool_size = static_cast<int>(args.Int("--workers", 64));
    return MakeTransport(args.Get("--url", "rabbit://guest:guest@127.0.0.1:5672/"), options);
}

std::atomic<bool> g_stop{false};

int RunServer(const Args& args) {
    auto transport = MakeBenchTransport(args);
    const long expect = args.Int("--expect", 0);
    std::atomic<long> count{0};
    std::atomic<double> t_first{0};
    Endpoint endpoint(std::nullopt, "6.2");
    endpoint.Add("echo", [](const RequestContext&, const Json& a) -> Json {
        return Json{{"instance_uuid", a.value("instance_uuid", "")}, {"power_state", 1},
                    {"host", a.value("host", "")}};
    });
    endpoint.AddCast("count", [&](const RequestContext&, const Json&) {
        double now = WallSeconds();
        long n = ++count;
        if (n == 1) t_first = now;
        if (n == expect) std::printf("DONE %ld %.6f %.6f\n", n, t_first.load(), now), std::fflush(stdout);
    });
    Server server(transport,
                  {args.Get("--topic", "compute"), args.Get("--server", "host1"), std::nullopt},
                  {endpoint, BaseApiEndpoint("nova-rpc-bench")},
                  static_cast<int>(args.Int("--workers", 0)));
    server.Start();
    std::printf("READY %d\n", static_cast<int>(::getpid()));
    std::fflush(stdout);
    while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    server.Stop();
    return 0;
}

int RunCast(const Args& args) {
    auto transport = MakeBenchTransport(args);
    const long n = args.Int("--n", 20000);
    const long window = args.Int("--window", 2000);
    Client client(transport, {.topic = args.Get("--topic", "compute"),
                              .server = args.Get("--server", "host1"), .version = "6.0"});
    auto ctx = BenchContext();
    std::mutex mutex;
    std::condition_variable cv;
    long outstanding = 0;
    long failed = 0;
    long done = 0;
    const Json payload = SmallArgs();
    double t_first = WallSeconds();
    for (long i = 0; i < n; ++i) {
        {
            std::unique_lock lock(mutex);
            cv.wait(lock, [&] { return outstanding < window; });
            ++outstanding;
        }
        client.CastAsync(ctx, "count", payload, [&](std::exception_ptr error) {
            std::lock_guard lock(mutex);
            --outstanding;
            ++done;
            if (error) ++failed;
            cv.notify_all();
        });
    }
    {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return done == n; });
    }
    double t_last = WallSeconds();
    std::printf("SENT %ld %.6f %.6f %ld\n", n, t_first, t_last, failed);
    return failed == 0 ? 0 : 1;
}

// The bytes of one cast and one call body as this bench sends them (the oslo peer's cast of the
// same request is 1,501 B with Python's ", "/": " separators).
int RunSize(const Args& args) {
    auto ctx = BenchContext();
    const Json payload = SmallArgs();
    std::string cast = EncodeRequest(ctx, "count", payload, std::nullopt, std::string("6.0"), nullptr,
                                     std::string(32, 'a'));
    CallFields fields{std::string(32, 'b'), "reply_" + std::string(32, 'c'), std::nullopt};
    std::string call = EncodeRequest(ctx, "echo", payload, std::nullopt, std::string("6.0"), &fields,
                                     std::string(32, 'a'));
    (void)args;
    std::printf("cpp_request_bytes cast=%zu call=%zu args=%zu\n", cast.size(), call.size(),
                payload.dump().size());
    return 0;
}

int RunCall(const Args& args) {
    auto transport = MakeBenchTransport(args);
    const long n = args.Int("--n", 3000);
    const long warmup = args.Int("--warmup", 200);
    const long concurrency = std::max(1L, args.Int("--concurrency", 1));
    Client client(transport, {.topic = args.Get("--topic", "compute"),
                              .server = args.Get("--server", "host1"), .version = "6.0"});
    auto ctx = BenchContext();
    const Json payload = SmallArgs();
    for (long i = 0; i < warmup; ++i) client.Call(ctx, "echo", payload);
    std::vector<std::vector<double>> latencies(concurrency);
    std::atomic<long> next{0};
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> callers;
    for (long c = 0; c < concurrency; ++c) {
        callers.emplace_back([&, c] {
            while (next++ < n) {
                auto start = std::chrono::steady_clock::now();
                client.Call(ctx, "echo", payload);
                latencies[c].push_back(
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
            }
        });
    }
    for (auto& t : callers) t.join();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::vector<double> all;
    for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) { return all[static_cast<std::size_t>(p * (all.size() - 1))]; };
    std::printf("cpp_call concurrency=%ld n=%zu rate=%.0f calls/s p50=%.3f ms p99=%.3f ms\n",
                concurrency, all.size(), all.size() / seconds, pct(0.50), pct(0.99));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: nova-rpc-bench server|cast|call [--key value ...]\n");
        return 2;
    }
    Args args;
    for (int i = 2; i + 1 < argc; i += 2) args.values[argv[i]] = argv[i + 1];
    struct sigaction action {};
    action.sa_handler = [](int) { g_stop = true; };
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    std::string mode = argv[1];
    try {
        if (mode == "server") return RunServer(args);
        if (mode == "cast") return RunCast(args);
        if (mode == "call") return RunCall(args);
        if (mode == "size") return RunSize(args);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "nova-rpc-bench: %s\n", e.what());
        return 1;
    }
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
}
