// select_destinations benchmark (issue #5): latency (p50/p99) and decisions per second of
// Scheduler::SelectDestinations against 100, 1,000 and 10,000 hosts, with one and several
// workers (threads with their own pools and Scheduler, as separate processes would be),
// on the test MariaDB (scripts/services start --profile test). Library level: no RPC hop.
//   NOVA_SERVICES_ENV=.state/test/env build/release/bin/scheduler-bench [hosts...]
#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cloud.hpp"
#include "nova/common/error.hpp"
#include "nova/common/log.hpp"

using namespace nova;
using namespace nova::scheduler;
using nova::scheduler::testing::Cloud;

namespace {

long RssKb() {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
    }
    return 0;
}

struct Result {
    double p50_ms, p99_ms, per_second;
    int refused;
    double cold_ms;
};

Result Run(Cloud& cloud, int workers, int requests_per_worker) {
    std::vector<double> latencies;
    std::mutex mu;
    std::atomic<int> refused{0};
    double cold_ms = 0;
    std::barrier ready(workers + 1);
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) {
        threads.emplace_back([&, w] {
            auto api = db::Pool::Create(db::testing::ScratchDatabase::Options(), cloud.api_url());
            auto cell = db::Pool::Create(db::testing::ScratchDatabase::Options(), cloud.cell_url());
            Placement placement(*api, cloud.clock());
            auto hosts = cloud.MakeHostManager(*api, *cell, 2);
            auto config = DefaultSchedulerConfig();
            config.filter_scheduler.host_subset_size = 4;
            Scheduler scheduler(config, placement, *hosts, cloud.clock(), 100 + w);
            RequestContext ctx;
            // One untimed request first: it fills this worker's caches (provider summaries,
            // host states), which a long-running scheduler has warm. Its time is reported
            // apart as the cold start.
            const auto c0 = std::chrono::steady_clock::now();
            scheduler.SelectDestinations(ctx, Cloud::Spec(1, 512, 1), {GenerateUuid()}, true, true);
            const double cold = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - c0).count();
            {
                std::lock_guard lock(mu);
                cold_ms = std::max(cold_ms, cold);
            }
            ready.arrive_and_wait();
            std::vector<double> mine;
            for (int r = 0; r < requests_per_worker; ++r) {
                const auto t0 = std::chrono::steady_clock::now();
                try {
                    scheduler.SelectDestinations(ctx, Cloud::Spec(1, 512, 1), {GenerateUuid()}, true, true);
                } catch (const NoValidHost&) {
                    ++refused;
                }
                mine.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
            }
            std::lock_guard lock(mu);
            latencies.insert(latencies.end(), mine.begin(), mine.end());
        });
    }
    ready.arrive_and_wait();
    const auto start = std::chrono::steady_clock::now();
    for (auto& t : threads) t.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::sort(latencies.begin(), latencies.end());
    auto at = [&](double q) { return latencies[static_cast<std::size_t>(q * (latencies.size() - 1))]; };
    return {at(0.5), at(0.99), static_cast<double>(latencies.size()) / seconds, refused, cold_ms};
}

}  // namespace

int main(int argc, char** argv) {
    spdlog::set_level(spdlog::level::warn);
    std::vector<int> sizes{100, 1000, 10000};
    if (argc > 1) {
        sizes.clear();
        for (int i = 1; i < argc; ++i) sizes.push_back(std::stoi(argv[i]));
    }
    std::printf("%8s %8s %10s %10s %12s %8s %10s %10s\n", "hosts", "workers", "p50_ms", "p99_ms",
                "decisions/s", "refused", "cold_ms", "rss_mb");
    for (int n : sizes) {
        Cloud cloud;
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < n; ++i) {
            cloud.AddHost("bench-" + std::to_string(i),
                          {.vcpus = 64, .memory_mb = 262144, .disk_gb = 4000, .cpu_ratio = 4.0});
        }
        std::fprintf(stderr, "%d hosts created in %.1f s\n", n,
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        const int per_worker = n >= 10000 ? 60 : 150;
        for (int workers : {1, 4}) {
            auto r = Run(cloud, workers, per_worker);
            std::printf("%8d %8d %10.2f %10.2f %12.1f %8d %10.1f %10.1f\n", n, workers, r.p50_ms,
                        r.p99_ms, r.per_second, r.refused, r.cold_ms,
                        static_cast<double>(RssKb()) / 1024.0);
            std::fflush(stdout);
        }
    }
    return 0;
}
