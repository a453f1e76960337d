#include "work_queue.hpp"

#include <algorithm>

#include "delivery_burst.hpp"

namespace nova::rpc {

WorkQueue::WorkQueue(std::size_t threads) {
    std::lock_guard lock(mutex_);
    const std::size_t n = std::max<std::size_t>(1, threads);
    free_ = n;  // every thread starts at the queue
    threads_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) threads_.emplace_back([this] { Run(); });
}

WorkQueue::~WorkQueue() { Join(); }

void WorkQueue::Post(std::function<void()> task) {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    tasks_.push_back(std::move(task));
    if (!DeliveryBurst::Active()) {
        MaybeWake();
        return;
    }
    if (wake_deferred_) return;
    wake_deferred_ = true;
    DeliveryBurst::Defer([weak = std::weak_ptr<WorkQueue*>(self_)] {
        auto self = weak.lock();
        if (!self) return;  // the queue is gone
        WorkQueue& queue = **self;
        std::lock_guard queue_lock(queue.mutex_);
        queue.wake_deferred_ = false;
        queue.MaybeWake();
    });
}

void WorkQueue::MaybeWake() {
    if (tasks_.empty() || free_ + tokens_ > 0 || sleeping_ <= tokens_) return;
    ++tokens_;
    ++wakeups_;
    wake_.notify_one();
}

void WorkQueue::Run() {
    std::unique_lock lock(mutex_);
    while (true) {
        // Here this worker counts as free.
        if (tasks_.empty()) {
            --free_;
            if (stopping_) return;
            ++sleeping_;
            // Whoever wakes first takes a token; a spurious wake-up without one sleeps again.
            wake_.wait(lock, [this] { return tokens_ > 0 || stopping_; });
            --sleeping_;
            if (tokens_ > 0) --tokens_;
            ++free_;
            continue;
        }
        auto task = std::move(tasks_.front());
        tasks_.pop_front();
        --free_;
        MaybeWake();  // more queued and nobody free: the next worker, before this task runs
        lock.unlock();
        task();
        task = nullptr;  // destroy captures outside the lock
        lock.lock();
        ++free_;
    }
}

void WorkQueue::Join() {
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(mutex_);
        if (threads_.empty()) return;
        stopping_ = true;
        threads.swap(threads_);
    }
    wake_.notify_all();
    for (auto& t : threads) t.join();
}

std::size_t WorkQueue::wakeups() const {
    std::lock_guard lock(mutex_);
    return wakeups_;
}

}  // namespace nova::rpc
