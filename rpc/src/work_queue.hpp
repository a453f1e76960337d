#pragma once
// The RPC server's handler threads: up to `max_threads` threads running posted tasks in order
// of arrival, with as few wake-ups as possible, started only when there is work for them.
//
// Wake-ups: posting wakes a sleeping worker only when no worker is awake and free to take the
// task; a worker that takes a task while more are queued and nobody else is free wakes the next
// one before it runs its own (so a handler that blocks on the DB never holds up the queue while
// workers sleep). Under a burst the poster (the transport's I/O thread) pays one wake-up, not
// one per message as with a plain thread pool.
//
// Threads on demand: when a worker is needed and none sleeps, a new thread starts (up to the
// limit), as oslo.messaging's executors start their workers (futurist's ThreadPoolExecutor, or
// a green thread per message). A thread that finds no work for `idle_timeout` stops, so an idle
// server holds no handler threads: each would keep its touched stack and, once it allocated,
// its malloc arena resident. Private to nova::rpc.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

#include "nova/common/clock.hpp"

namespace nova::rpc {

class WorkQueue {
public:
    WorkQueue(std::size_t max_threads, std::chrono::milliseconds idle_timeout);
    ~WorkQueue();  // Join()
    WorkQueue(const WorkQueue&) = delete;
    WorkQueue& operator=(const WorkQueue&) = delete;

    // Leader/follower (optional; set before the first Post): a worker with nothing to do first
    // tries `lead(done, until)` (Transport::Lead) so that it reads the next request itself and runs
    // it without a hand-off; only when it cannot lead, or the lead ends with no work, does it
    // sleep. A leading worker counts as free, so requests it reads wake no one else. `wake`
    // makes the leader look at the queue again (Join; requests another thread read).
    using LeadFn = std::function<bool(const std::function<bool()>& done, MonoTime until)>;
    void SetLeader(LeadFn lead, std::function<void()> wake);

    // Queues `task`. A task that throws is logged and its thread goes on. Posts after Join()
    // began are dropped with a warning (the server stops consuming before it joins).
    void Post(std::function<void()> task);
    // Runs every task posted so far, then stops and joins the threads. Idempotent.
    void Join();

    // For tests: how often a worker was woken or started; threads alive now; most at once.
    std::size_t wakeups() const;
    std::size_t leads() const;  // times a worker led
    std::size_t threads() const;
    std::size_t peak_threads() const;

private:
    using Threads = std::list<std::thread>;
    void Run(Threads::iterator self);
    // Locked: when work is queued that no free worker will take, wakes a sleeping worker or
    // starts a new one.
    void MaybeWake();
    void StartThread();  // locked

    const std::size_t max_threads_;
    const std::chrono::milliseconds idle_timeout_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable exited_;  // a thread left Run()
    std::deque<std::function<void()>> tasks_;
    Threads running_;
    Threads finished_;          // left Run(), not joined yet
    std::size_t sleeping_ = 0;  // waiting on wake_
    std::size_t tokens_ = 0;    // wake-ups sent and not yet taken by a sleeper
    std::size_t free_ = 0;      // awake at the queue, about to take a task or sleep
    std::size_t wakeups_ = 0;
    std::size_t peak_ = 0;
    bool stopping_ = false;
    bool wake_deferred_ = false;
    LeadFn lead_;
    std::function<void()> wake_leader_;
    bool leader_present_ = false;  // a worker is in lead_ (and counts in free_)
    std::size_t leads_ = 0;  // a DeliveryBurst will call MaybeWake when it ends
    std::shared_ptr<WorkQueue*> self_ = std::make_shared<WorkQueue*>(this);  // for deferred wakes
};

}  // namespace nova::rpc
