// select_destinations over real RPC (issue 5): real nova-scheduler processes on the test
// RabbitMQ and MariaDB, driven through SchedulerRpcApi, for 100, 1,000 and 10,000 hosts and
// one or several scheduler processes / handler threads. Prints, per configuration:
//   seq  p50/p99: one caller, one request at a time (end-to-end latency of a decision);
//   conc p50/p99 and decisions/s: `--callers` requests in flight at once;
//   RSS of each scheduler process (max) after the run.
//   scripts/services start --profile test
//   NOVA_SERVICES_ENV=$PWD/.state/test/env build/release/bin/scheduler-rpc-bench [--hosts 100,1000,10000]
//       [--configs 1x1,1x4,4x1] [--requests 300] [--callers 16]
// A configuration PxW is P processes with [scheduler] workers = W each. Hosts have 64 vCPUs
// (ratio 4), 256 GB and 4 TB; requests are 1 vCPU / 512 MB / 1 GB, so nothing fills up.
#include <utility>  // before boost/asio/awaitable.hpp

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "cloud.hpp"
#include "nova/common/error.hpp"
#include "nova/common/log.hpp"
#include "nova/db/service_store.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/scheduler/rpcapi.hpp"
#include "nova/test/services.hpp"
#include "scheduler_processes.hpp"

using namespace nova;
using namespace nova::scheduler;
using nova::scheduler::testing::Cloud;
using Steady = std::chrono::steady_clock;

namespace {

struct Config {
    int processes;
    int workers;
};

std::vector<std::string> Split(const std::string& text, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        auto end = text.find(sep, start);
        out.push_back(text.substr(start, end - start));
        if (end == std::string::npos) return out;
        start = end + 1;
    }
}

double Ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double At(std::vector<double>& v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

struct Phase {
    std::vector<double> latencies;
    double seconds = 0;
    int refused = 0;
    int failed = 0;
};

// `total` requests, `callers` at a time.
Phase Drive(const SchedulerRpcApi& api, const RequestContext& ctx, int total, int callers) {
    Phase phase;
    int sent = 0;
    boost::asio::io_context io;
    const auto start = Steady::now();
    for (int c = 0; c < callers; ++c) {
        boost::asio::co_spawn(
            io,
            [&]() -> boost::asio::awaitable<void> {
                while (sent < total) {
                    ++sent;
                    const auto t0 = Steady::now();
                    try {
                        std::vector<std::string> uuids{GenerateUuid()};  // not braced in co_await (g++ 12)
                        co_await api.AsyncSelectDestinations(ctx, Cloud::Spec(1, 512, 1), uuids, true);
                    } catch (const NoValidHost&) {
                        ++phase.refused;
                    } catch (const std::exception& e) {
                        if (++phase.failed == 1) std::fprintf(stderr, "request failed: %s\n", e.what());
                    }
                    phase.latencies.push_back(Ms(Steady::now() - t0));
                }
            },
            boost::asio::detached);
    }
    io.run();
    phase.seconds = std::chrono::duration<double>(Steady::now() - start).count();
    return phase;
}

}  // namespace

int main(int argc, char** argv) {
    spdlog::set_level(spdlog::level::warn);
    std::vector<int> sizes{100, 1000, 10000};
    std::vector<Config> configs{{1, 1}, {1, 4}, {4, 1}};
    int requests = 300;
    int callers = 16;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i], value = argv[i + 1];
        if (flag == "--hosts") {
            sizes.clear();
            for (const auto& s : Split(value, ',')) sizes.push_back(std::stoi(s));
        } else if (flag == "--configs") {
            configs.clear();
            for (const auto& s : Split(value, ',')) {
                auto pw = Split(s, 'x');
                configs.push_back({std::stoi(pw.at(0)), std::stoi(pw.at(1))});
            }
        } else if (flag == "--requests") {
            requests = std::stoi(value);
        } else if (flag == "--callers") {
            callers = std::stoi(value);
        } else {
            std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
            return 2;
        }
    }
    const auto dir = std::filesystem::temp_directory_path() / ("scheduler-rpc-bench-" + GenerateUuidHex().substr(0, 8));
    std::printf("%7s %5s %8s %8s %9s %9s %9s %11s %7s %7s\n", "hosts", "PxW", "seq_p50", "seq_p99",
                "conc_p50", "conc_p99", "decis/s", "cold_ms", "rss_mb", "refused");
    for (int n : sizes) {
        Cloud cloud;
        cloud.MapCell();
        const auto t0 = Steady::now();
        for (int i = 0; i < n; ++i) {
            cloud.AddHost("bench-" + std::to_string(i),
                          {.vcpus = 64, .memory_mb = 262144, .disk_gb = 4000, .cpu_ratio = 4.0});
        }
        std::fprintf(stderr, "%d hosts created in %.1f s\n", n, std::chrono::duration<double>(Steady::now() - t0).count());
        for (const auto& config : configs) {
            const std::string exchange = "sched-bench-" + GenerateUuidHex().substr(0, 8);
            rpc::TransportOptions options;
            options.control_exchange = exchange;
            auto transport = rpc::MakeTransport(test::Services::Get().TransportUrl(), options);
            nova::scheduler::testing::SchedulerProcessConfig pc{
                .binary = NOVA_SCHEDULER_BINARY,
                .transport_url = test::Services::Get().TransportUrl(),
                .control_exchange = exchange,
                .api_database_url = cloud.api_url(),
                .cell_database_url = cloud.cell_url(),
                .workers = config.workers,
                .extra_conf = "[filter_scheduler]\nhost_subset_size = 4\n"};
            auto schedulers = nova::scheduler::testing::StartSchedulers(pc, transport, "bench", config.processes, dir,
                                                                       std::chrono::seconds(60));
            conf::UpgradeLevelsOptions levels{};
            conf::MessagingOptions messaging{};
            messaging.rpc_response_timeout = 60;
            messaging.long_rpc_timeout = 300;
            SchedulerRpcApi api(transport, levels, messaging);
            auto ctx = RequestContext::Admin();
            ctx.project_id = "project";
            ctx.user_id = "user";
            // Cold start: the first request of each process reads every provider summary and
            // host state; sent to each process's own queue is not possible for
            // select_destinations (it goes to the shared topic), so warm with enough
            // concurrent requests that each process gets some.
            const auto c0 = Steady::now();
            auto warm = Drive(api, ctx, 4 * config.processes, 4 * config.processes);
            const double cold_ms = Ms(Steady::now() - c0);
            auto seq = Drive(api, ctx, requests, 1);
            auto conc = Drive(api, ctx, requests, callers);
            long rss = 0;
            for (const auto& s : schedulers) rss = std::max(rss, s->RssKb());
            std::printf("%7d %3dx%-1d %8.2f %8.2f %9.2f %9.2f %9.1f %11.1f %7.1f %7d\n", n, config.processes,
                        config.workers, At(seq.latencies, 0.5), At(seq.latencies, 0.99), At(conc.latencies, 0.5),
                        At(conc.latencies, 0.99), static_cast<double>(conc.latencies.size()) / conc.seconds, cold_ms,
                        static_cast<double>(rss) / 1024.0, seq.refused + conc.refused + warm.refused);
            std::fflush(stdout);
            if (seq.failed + conc.failed + warm.failed > 0) {
                std::fprintf(stderr, "%d requests failed\n", seq.failed + conc.failed + warm.failed);
            }
            for (auto& s : schedulers) s->Terminate();
            for (auto& s : schedulers) s->Wait();
        }
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    return 0;
}
