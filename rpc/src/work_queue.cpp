#include "work_queue.hpp"

#include <algorithm>
#include <exception>
#include <system_error>

#include "delivery_burst.hpp"
#include "nova/common/log.hpp"

namespace nova::rpc {

namespace {
spdlog::logger& Log() { return log::Get("nova.rpc.server"); }

void JoinAll(std::list<std::thread>& threads) {
    for (auto& t : threads) t.join();
}
}  // namespace

WorkQueue::WorkQueue(std::size_t max_threads, std::chrono::milliseconds idle_timeout)
    : max_threads_(std::max<std::size_t>(1, max_threads)), idle_timeout_(idle_timeout) {}

WorkQueue::~WorkQueue() { Join(); }

void WorkQueue::SetLeader(LeadFn lead, std::function<void()> wake) {
    std::lock_guard lock(mutex_);
    lead_ = std::move(lead);
    wake_leader_ = std::move(wake);
}

void WorkQueue::Post(std::function<void()> task) {
    Threads done;  // joined outside the lock: they have only to return from Run()
    {
        std::lock_guard lock(mutex_);
        if (stopping_) {
            NOVA_LOG_WARN(Log(), log::kNoContext, "An RPC request arrived while the server stops; dropped");
            return;
        }
        done.splice(done.end(), finished_);
        tasks_.push_back(std::move(task));
        if (!DeliveryBurst::Active()) {
            MaybeWake();
        } else if (!wake_deferred_) {
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
    }
    JoinAll(done);
}

void WorkQueue::MaybeWake() {
    if (tasks_.empty() || free_ + tokens_ > 0) return;  // an awake worker will take it
    if (sleeping_ > tokens_) {
        ++tokens_;
        ++wakeups_;
        wake_.notify_one();
    } else if (running_.size() < max_threads_) {
        StartThread();
    }
}

void WorkQueue::StartThread() {
    running_.emplace_back();
    const auto self = std::prev(running_.end());
    try {
        // The new thread waits for mutex_ (held here) before it touches `self`.
        *self = std::thread([this, self] { Run(self); });
    } catch (const std::system_error& e) {
        running_.erase(self);
        // The task stays queued: a running thread takes it, or the next Post or Join does.
        NOVA_LOG_ERROR(Log(), log::kNoContext, "Could not start an RPC worker thread ({} running): {}",
                       running_.size(), e.what());
        return;
    }
    ++free_;  // a new thread starts at the queue
    ++wakeups_;
    peak_ = std::max(peak_, running_.size());
}

void WorkQueue::Run(Threads::iterator self) {
    std::unique_lock lock(mutex_);
    while (true) {
        // Here this worker counts as free.
        if (tasks_.empty() && lead_ && !leader_present_ && !stopping_) {
            // Read the next request ourselves (still free: what we read wakes nobody).
            leader_present_ = true;
            ++leads_;
            lock.unlock();
            bool led = false;
            try {
                led = lead_([this] {
                    std::lock_guard done_lock(mutex_);
                    return !tasks_.empty() || stopping_;
                }, MonoClock::now() + idle_timeout_);
            } catch (const std::exception& e) {
                NOVA_LOG_ERROR(Log(), log::kNoContext, "An RPC worker could not read the bus: {}", e.what());
            }
            lock.lock();
            leader_present_ = false;
            if (!led) --leads_;
            if (led && !tasks_.empty()) continue;
            // Could not lead, or the lead ended with nothing to do: sleep as usual.
        }
        if (tasks_.empty()) {
            --free_;
            if (stopping_) break;
            ++sleeping_;
            // Whoever wakes first takes a token; a spurious wake-up without one sleeps again.
            const bool woken =
                wake_.wait_for(lock, idle_timeout_, [this] { return tokens_ > 0 || stopping_; });
            --sleeping_;
            if (!woken) break;  // idle for idle_timeout: not needed now
            if (tokens_ > 0) --tokens_;
            ++free_;
            continue;
        }
        auto task = std::move(tasks_.front());
        tasks_.pop_front();
        --free_;
        MaybeWake();  // more queued and nobody free: the next worker, before this task runs
        lock.unlock();
        try {
            task();
        } catch (const std::exception& e) {
            NOVA_LOG_ERROR(Log(), log::kNoContext, "An RPC worker task failed: {}", e.what());
        } catch (...) {
            NOVA_LOG_ERROR(Log(), log::kNoContext, "An RPC worker task failed");
        }
        task = nullptr;  // destroy captures outside the lock
        lock.lock();
        ++free_;
    }
    finished_.splice(finished_.end(), running_, self);
    exited_.notify_all();
}

void WorkQueue::Join() {
    Threads done;
    std::deque<std::function<void()>> left;
    {
        std::unique_lock lock(mutex_);
        stopping_ = true;
        wake_.notify_all();
        if (leader_present_ && wake_leader_) wake_leader_();
        exited_.wait(lock, [this] { return running_.empty(); });
        done.splice(done.end(), finished_);
        left.swap(tasks_);  // only when no thread could be started for them
    }
    JoinAll(done);
    for (auto& task : left) {
        try {
            task();
        } catch (const std::exception& e) {
            NOVA_LOG_ERROR(Log(), log::kNoContext, "An RPC worker task failed: {}", e.what());
        }
    }
}

std::size_t WorkQueue::wakeups() const {
    std::lock_guard lock(mutex_);
    return wakeups_;
}

std::size_t WorkQueue::leads() const {
    std::lock_guard lock(mutex_);
    return leads_;
}

std::size_t WorkQueue::threads() const {
    std::lock_guard lock(mutex_);
    return running_.size();
}

std::size_t WorkQueue::peak_threads() const {
    std::lock_guard lock(mutex_);
    return peak_;
}

}  // namespace nova::rpc
