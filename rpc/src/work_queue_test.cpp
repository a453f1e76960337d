#include "work_queue.hpp"

#include "delivery_burst.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace nova::rpc {
namespace {

using namespace std::chrono_literals;

TEST_CASE("work queue: runs every task, and Join finishes what was queued") {
    std::atomic<int> ran{0};
    WorkQueue queue(4);
    for (int i = 0; i < 10000; ++i) queue.Post([&] { ++ran; });
    queue.Join();
    CHECK(ran == 10000);
    queue.Post([&] { ++ran; });  // after Join: dropped
    CHECK(ran == 10000);
}

TEST_CASE("work queue: a burst costs one wake-up per worker, not one per task") {
    WorkQueue queue(8);
    std::atomic<int> ran{0};
    std::mutex mutex;
    std::condition_variable cv;
    bool open = false;
    // Eight tasks hold every worker until the burst is queued behind them; a worker sleeps
    // again only once the queue is empty.
    for (int i = 0; i < 8; ++i) {
        queue.Post([&] {
            std::unique_lock lock(mutex);
            cv.wait(lock, [&] { return open; });
            ++ran;
        });
    }
    for (int i = 0; i < 1000; ++i) queue.Post([&] { ++ran; });
    {
        std::lock_guard lock(mutex);
        open = true;
    }
    cv.notify_all();
    queue.Join();
    CHECK(ran == 1008);
    CHECK(queue.wakeups() <= 8);
}

TEST_CASE("work queue: posts inside a delivery burst wake a worker once, when the burst ends") {
    WorkQueue queue(4);
    std::this_thread::sleep_for(20ms);  // let the workers go to sleep
    std::atomic<int> ran{0};
    {
        DeliveryBurst burst;
        CHECK(DeliveryBurst::Active());
        for (int i = 0; i < 100; ++i) queue.Post([&] { ++ran; });
        CHECK(queue.wakeups() == 0);
        {
            DeliveryBurst inner;  // joins the open burst
        }
        CHECK(queue.wakeups() == 0);
    }
    CHECK(!DeliveryBurst::Active());
    CHECK(queue.wakeups() >= 1);
    queue.Join();
    CHECK(ran == 100);
    CHECK(queue.wakeups() <= 4);
}

TEST_CASE("work queue: blocked tasks do not hold up the others while workers sleep") {
    // Three tasks block until all three run at once: needs three workers awake together.
    WorkQueue queue(3);
    std::mutex mutex;
    std::condition_variable cv;
    int arrived = 0;
    int together = 0;  // tasks that saw all three running
    for (int i = 0; i < 3; ++i) {
        queue.Post([&] {
            std::unique_lock lock(mutex);
            if (++arrived == 3) cv.notify_all();
            if (cv.wait_for(lock, 5s, [&] { return arrived == 3; })) ++together;
        });
    }
    {
        std::unique_lock lock(mutex);
        CHECK(cv.wait_for(lock, 5s, [&] { return arrived == 3; }));
    }
    queue.Join();
    CHECK(together == 3);
}

}  // namespace
}  // namespace nova::rpc
