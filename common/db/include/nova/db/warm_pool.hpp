#pragma once
// Opens connections of a pool before a service takes work. A pool connects lazily, so a
// service that starts on a backlog (a boot storm queued for a conductor, the scheduler calls
// that follow) opens its connections all at once in its first second: each a handshake,
// session variables, and a MariaDB thread, taken from the same two cores as the requests.
// WarmPool opens `n` of them now: n threads each check one out and hold it until all n are
// held (or `timeout` passes), then give it back; the pool keeps them idle as far as its
// max_pool_size allows. Failures are the caller's to log (the pool still connects lazily).
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "nova/db/pool.hpp"

namespace nova::db {

// Returns how many connections were held at once (n when all opened).
inline int WarmPool(Pool& pool, int n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    if (n <= 0) return 0;
    std::mutex mu;
    std::condition_variable cv;
    int held = 0;
    int most = 0;
    const auto until = std::chrono::steady_clock::now() + timeout;
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        threads.emplace_back([&] {
            try {
                pool.Read([&](Session& s) {
                    s.Query("SELECT 1");
                    std::unique_lock lock(mu);
                    ++held;
                    most = std::max(most, held);
                    cv.notify_all();
                    cv.wait_until(lock, until, [&] { return most >= n; });
                    --held;
                });
            } catch (const std::exception&) {
                // The database is not reachable yet: the pool connects on first use instead.
            }
        });
    }
    for (auto& t : threads) t.join();
    return most;
}

}  // namespace nova::db
