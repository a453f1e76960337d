#pragma once
// The RPC server's handler threads (private to nova::rpc).
//
// Up to `max_threads` threads run posted tasks. A thread is started when a task is posted and
// no idle thread is free to take it, as the executors of oslo.messaging start their workers
// (futurist's ThreadPoolExecutor, or one green thread per message under eventlet). A thread
// that finds no work for `idle_timeout` stops. So a server that has been idle for a while
// holds no handler threads: each one would keep its touched stack pages resident and, once it
// has allocated, its malloc arena in use. A burst of N concurrent requests runs on
// min(N, max_threads) threads, and the others wait in the queue in arrival order.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>

namespace nova::rpc {

class WorkerPool {
public:
    WorkerPool(std::size_t max_threads, std::chrono::milliseconds idle_timeout);
    // Join().
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Queues `task`. A task that throws is logged and the thread goes on. Posting after
    // Join() is a bug.
    void Post(std::function<void()> task);
    // Runs every queued task, then stops and joins all threads. Idempotent.
    void Join();

    // Threads alive now, and the most ever alive at once (tests).
    std::size_t threads() const;
    std::size_t peak_threads() const;

private:
    using Threads = std::list<std::thread>;
    void Run(Threads::iterator self);
    // Joins threads that have left Run() (their std::thread objects are in finished_).
    void ReapFinished(std::unique_lock<std::mutex>& lock);

    const std::size_t max_threads_;
    const std::chrono::milliseconds idle_timeout_;
    mutable std::mutex mutex_;
    std::condition_variable work_;    // a task was queued, or Join() began
    std::condition_variable exited_;  // a thread left Run()
    std::deque<std::function<void()>> queue_;
    Threads running_;
    Threads finished_;
    std::size_t idle_ = 0;  // threads waiting for work
    std::size_t peak_ = 0;
    bool joining_ = false;
};

}  // namespace nova::rpc
