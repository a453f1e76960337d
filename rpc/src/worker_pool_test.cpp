// WorkerPool: threads on demand up to the limit, stopped when idle, queued work run by Join.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "worker_pool.hpp"

namespace nova::rpc {
namespace {

using namespace std::chrono_literals;

template <class P>
bool Eventually(P predicate, std::chrono::milliseconds limit = 5000ms) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (predicate()) return true;
        std::this_thread::sleep_for(2ms);
    }
    return predicate();
}

// Holds the tasks that wait on it until Open().
class Gate {
public:
    void Wait() {
        std::unique_lock lock(mutex_);
        ++waiting_;
        changed_.notify_all();
        changed_.wait(lock, [this] { return open_; });
        --waiting_;
    }
    void Open() {
        std::lock_guard lock(mutex_);
        open_ = true;
        changed_.notify_all();
    }
    int waiting() {
        std::lock_guard lock(mutex_);
        return waiting_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int waiting_ = 0;
    bool open_ = false;
};

TEST_CASE("WorkerPool starts no thread before there is work") {
    WorkerPool pool(8, 10s);
    CHECK(pool.threads() == 0);
    CHECK(pool.peak_threads() == 0);
}

TEST_CASE("WorkerPool runs concurrent work on at most max_threads threads") {
    WorkerPool pool(3, 10s);
    Gate gate;
    std::atomic<int> done{0};
    for (int i = 0; i < 10; ++i) {
        pool.Post([&] {
            gate.Wait();
            ++done;
        });
    }
    REQUIRE(Eventually([&] { return gate.waiting() == 3; }));
    std::this_thread::sleep_for(20ms);
    CHECK(gate.waiting() == 3);  // the other seven wait in the queue
    CHECK(pool.threads() == 3);
    gate.Open();
    REQUIRE(Eventually([&] { return done.load() == 10; }));
    CHECK(pool.peak_threads() == 3);
}

TEST_CASE("WorkerPool reuses an idle thread for sequential work") {
    WorkerPool pool(8, 10s);
    for (int i = 0; i < 20; ++i) {
        std::atomic<bool> ran{false};
        pool.Post([&] { ran = true; });
        REQUIRE(Eventually([&] { return ran.load(); }));
        // Let the thread get back to waiting before the next post.
        REQUIRE(Eventually([&] { return pool.threads() == 1; }));
        std::this_thread::sleep_for(1ms);
    }
    CHECK(pool.peak_threads() == 1);
}

TEST_CASE("WorkerPool stops threads that stay idle and starts them again on new work") {
    WorkerPool pool(4, 50ms);
    Gate gate;
    for (int i = 0; i < 4; ++i) pool.Post([&] { gate.Wait(); });
    REQUIRE(Eventually([&] { return gate.waiting() == 4; }));
    CHECK(pool.threads() == 4);
    gate.Open();
    REQUIRE(Eventually([&] { return pool.threads() == 0; }));
    std::atomic<bool> ran{false};
    pool.Post([&] { ran = true; });
    CHECK(Eventually([&] { return ran.load(); }));
    CHECK(Eventually([&] { return pool.threads() == 0; }));
}

TEST_CASE("WorkerPool keeps going after a task throws") {
    WorkerPool pool(1, 10s);
    std::atomic<bool> ran{false};
    pool.Post([] { throw std::runtime_error("handler bug"); });
    pool.Post([&] { ran = true; });
    CHECK(Eventually([&] { return ran.load(); }));
}

TEST_CASE("WorkerPool::Join runs what is queued, then leaves no thread") {
    std::atomic<int> done{0};
    WorkerPool pool(2, 10s);
    for (int i = 0; i < 50; ++i) {
        pool.Post([&] {
            std::this_thread::sleep_for(1ms);
            ++done;
        });
    }
    pool.Join();
    CHECK(done.load() == 50);
    CHECK(pool.threads() == 0);
    pool.Join();  // idempotent
}

}  // namespace
}  // namespace nova::rpc
