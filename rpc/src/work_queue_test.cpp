#include "work_queue.hpp"

#include "delivery_burst.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <deque>
#include <functional>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

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


TEST_CASE("work queue: runs every task, and Join finishes what was queued") {
    std::atomic<int> ran{0};
    WorkQueue queue(4, 10s);
    for (int i = 0; i < 10000; ++i) queue.Post([&] { ++ran; });
    queue.Join();
    CHECK(ran == 10000);
    queue.Post([&] { ++ran; });  // after Join: dropped
    CHECK(ran == 10000);
}

TEST_CASE("work queue: a burst costs one wake-up per worker, not one per task") {
    WorkQueue queue(8, 10s);
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
    WorkQueue queue(4, 10s);
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
    WorkQueue queue(3, 10s);
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

TEST_CASE("work queue: starts no thread before there is work") {
    WorkQueue pool(8, 10s);
    CHECK(pool.threads() == 0);
    CHECK(pool.peak_threads() == 0);
}

TEST_CASE("work queue: runs concurrent work on at most max_threads threads") {
    WorkQueue pool(3, 10s);
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

TEST_CASE("work queue: reuses an idle thread for sequential work") {
    WorkQueue pool(8, 10s);
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

TEST_CASE("work queue: stops threads that stay idle and starts them again on new work") {
    WorkQueue pool(4, 50ms);
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

TEST_CASE("work queue: keeps going after a task throws") {
    WorkQueue pool(1, 10s);
    std::atomic<bool> ran{false};
    pool.Post([] { throw std::runtime_error("handler bug"); });
    pool.Post([&] { ran = true; });
    CHECK(Eventually([&] { return ran.load(); }));
}

TEST_CASE("work queue: Join runs what is queued, then leaves no thread") {
    std::atomic<int> done{0};
    WorkQueue pool(2, 10s);
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

namespace nova::rpc {
namespace {

using namespace std::chrono_literals;

// A stand-in for Transport::Lead: the leading thread waits for frames on the "bus"; each frame is
// a task that the reader posts to the queue, as the server's consumer handler does. While nobody
// leads, the bus's own "I/O thread" reads them.
class FakeBus {
public:
    explicit FakeBus(WorkQueue& queue) : queue_(queue), io_([this] { Io(); }) {}
    ~FakeBus() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        io_.join();
    }

    bool Lead(const std::function<bool()>& done, MonoTime until) {
        {
            std::lock_guard lock(mutex_);
            if (leading_ || refuse_) return false;
            leading_ = true;
            leader_ = std::this_thread::get_id();
            ++leads_;
        }
        while (!done() && MonoClock::now() < until) {
            std::function<void()> frame;
            {
                std::unique_lock lock(mutex_);
                changed_.wait_for(lock, 1ms, [this] { return !frames_.empty() || woken_; });
                woken_ = false;
                if (!frames_.empty()) {
                    frame = std::move(frames_.front());
                    frames_.pop_front();
                }
            }
            if (frame) queue_.Post(std::move(frame));  // read by the leader itself
        }
        std::lock_guard lock(mutex_);
        leading_ = false;
        return true;
    }
    void Wake() {
        std::lock_guard lock(mutex_);
        woken_ = true;
        ++wakes_;
        changed_.notify_all();
    }
    void Send(std::function<void()> frame) {
        std::lock_guard lock(mutex_);
        frames_.push_back(std::move(frame));
        changed_.notify_all();
    }
    void Refuse(bool refuse) {
        std::lock_guard lock(mutex_);
        refuse_ = refuse;
    }
    bool leading() {
        std::lock_guard lock(mutex_);
        return leading_;
    }
    std::thread::id leader() {
        std::lock_guard lock(mutex_);
        return leader_;
    }
    int wakes() {
        std::lock_guard lock(mutex_);
        return wakes_;
    }

private:
    void Io() {
        while (true) {
            std::function<void()> frame;
            {
                std::unique_lock lock(mutex_);
                if (stop_) return;
                changed_.wait_for(lock, 1ms);
                if (!leading_ && !frames_.empty()) {
                    frame = std::move(frames_.front());
                    frames_.pop_front();
                }
            }
            if (frame) queue_.Post(std::move(frame));
        }
    }

    WorkQueue& queue_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::function<void()>> frames_;
    bool leading_ = false;
    bool refuse_ = false;
    bool woken_ = false;
    std::thread::id leader_;
    int leads_ = 0;
    int wakes_ = 0;
    bool stop_ = false;
    std::thread io_;  // last: starts once the rest is initialized
};

void UseBus(WorkQueue& queue, FakeBus& bus) {
    queue.SetLeader([&bus](const std::function<bool()>& done, MonoTime until) { return bus.Lead(done, until); },
                    [&bus] { bus.Wake(); });
}

TEST_CASE("work queue leader: an idle worker reads the next request and runs it itself") {
    WorkQueue queue(4, 10s);
    FakeBus bus(queue);
    UseBus(queue, bus);
    std::atomic<int> ran{0};
    queue.Post([&] { ++ran; });  // starts the first worker
    REQUIRE(Eventually([&] { return ran == 1 && bus.leading(); }));
    const auto wakeups = queue.wakeups();
    const auto leader = bus.leader();
    for (int i = 0; i < 20; ++i) {
        std::atomic<bool> done{false};
        std::thread::id ran_on;
        bus.Send([&] {
            ran_on = std::this_thread::get_id();
            done = true;
        });
        REQUIRE(Eventually([&] { return done.load(); }));
        CHECK(ran_on == leader);  // no hand-off: the reader ran it
        REQUIRE(Eventually([&] { return bus.leading(); }));
    }
    CHECK(queue.wakeups() == wakeups);  // nobody was woken for them
    CHECK(queue.threads() == 1);
    CHECK(queue.leads() >= 21);
    // Join wakes the leader and returns.
    const auto start = std::chrono::steady_clock::now();
    queue.Join();
    CHECK(std::chrono::steady_clock::now() - start < 2s);
    CHECK(bus.wakes() >= 1);
    CHECK(queue.threads() == 0);
}

TEST_CASE("work queue leader: a burst read by the leader wakes one more worker, blocked ones do not stall it") {
    WorkQueue queue(4, 10s);
    FakeBus bus(queue);
    UseBus(queue, bus);
    Gate gate;
    std::atomic<int> ran{0};
    queue.Post([&] { ++ran; });
    REQUIRE(Eventually([&] { return bus.leading(); }));
    // Two blocking requests: the leader runs one, and the second needs another worker.
    bus.Send([&] { gate.Wait(); ++ran; });
    bus.Send([&] { gate.Wait(); ++ran; });
    REQUIRE(Eventually([&] { return gate.waiting() == 2; }));
    // With both blocked, the next request still runs (read by the bus, on a third worker), which
    // then leads.
    std::atomic<bool> third{false};
    bus.Send([&] { third = true; });
    CHECK(Eventually([&] { return third.load(); }));
    CHECK(Eventually([&] { return bus.leading(); }));
    CHECK(queue.peak_threads() == 3);
    gate.Open();
    CHECK(Eventually([&] { return ran == 3; }));
    queue.Join();
}

TEST_CASE("work queue leader: when the bus refuses a leader, workers sleep and wake as before") {
    WorkQueue queue(2, 10s);
    FakeBus bus(queue);
    bus.Refuse(true);
    UseBus(queue, bus);
    std::atomic<int> ran{0};
    for (int i = 0; i < 100; ++i) {
        queue.Post([&] { ++ran; });
        if (i % 10 == 0) std::this_thread::sleep_for(1ms);
    }
    CHECK(Eventually([&] { return ran == 100; }));
    CHECK(queue.leads() == 0);
    queue.Join();
    CHECK(ran == 100);
}

}  // namespace
}  // namespace nova::rpc
