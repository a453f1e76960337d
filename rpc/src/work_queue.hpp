#pragma once
// The RPC server's worker pool: a fixed number of threads running posted tasks in order of
// arrival, with as few wake-ups as possible. Posting wakes a sleeping worker only when no
// worker is awake and free to take the task; a worker that takes a task while more are queued
// and nobody else is free wakes the next one before it runs its own (so a handler that blocks on
// the DB never holds up the queue while workers sleep). Under a burst the poster (the
// transport's I/O thread) pays one wake-up, not one per message as with a plain thread pool.
// Private to nova::rpc.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace nova::rpc {

class WorkQueue {
public:
    explicit WorkQueue(std::size_t threads);
    ~WorkQueue();  // Join()
    WorkQueue(const WorkQueue&) = delete;
    WorkQueue& operator=(const WorkQueue&) = delete;

    void Post(std::function<void()> task);
    // Runs every task posted so far, then stops the threads. Later posts are dropped.
    void Join();

    // For tests: how often a sleeping worker was woken.
    std::size_t wakeups() const;

private:
    void Run();
    // Locked: wakes one sleeping worker when work is queued that no free worker will take.
    void MaybeWake();

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> tasks_;
    std::size_t sleeping_ = 0;  // waiting on wake_
    std::size_t tokens_ = 0;    // wake-ups sent and not yet taken by a sleeper
    std::size_t free_ = 0;      // awake at the queue, about to take a task or sleep
    std::size_t wakeups_ = 0;
    bool stopping_ = false;
    bool wake_deferred_ = false;  // a DeliveryBurst will call MaybeWake when it ends
    std::shared_ptr<WorkQueue*> self_ = std::make_shared<WorkQueue*>(this);  // for deferred wakes
    std::vector<std::thread> threads_;
};

}  // namespace nova::rpc
