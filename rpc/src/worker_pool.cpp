#include "worker_pool.hpp"

#include <algorithm>
#include <exception>
#include <system_error>

#include "nova/common/assert.hpp"
#include "nova/common/log.hpp"

namespace nova::rpc {

namespace {
spdlog::logger& Log() { return log::Get("nova.rpc.server"); }
}  // namespace

WorkerPool::WorkerPool(std::size_t max_threads, std::chrono::milliseconds idle_timeout)
    : max_threads_(max_threads > 0 ? max_threads : 1), idle_timeout_(idle_timeout) {}

WorkerPool::~WorkerPool() { Join(); }

void WorkerPool::Post(std::function<void()> task) {
    std::unique_lock lock(mutex_);
    NOVA_CHECK(!joining_, "a task posted to a WorkerPool after Join()");
    ReapFinished(lock);
    queue_.push_back(std::move(task));
    // Every idle thread already has a queued task coming to it: start one more if allowed.
    if (queue_.size() > idle_ && running_.size() < max_threads_) {
        running_.emplace_back();
        const auto self = std::prev(running_.end());
        try {
            // The new thread waits for mutex_ before it touches `self`.
            *self = std::thread([this, self] { Run(self); });
        } catch (const std::system_error& e) {
            running_.erase(self);
            // The threads there are take the task in turn; with none, the caller learns.
            if (running_.empty()) {
                queue_.pop_back();
                throw;
            }
            NOVA_LOG_WARN(Log(), log::kNoContext, "Could not start an RPC worker thread: {}",
                          e.what());
            work_.notify_one();
            return;
        }
        peak_ = std::max(peak_, running_.size());
    } else {
        work_.notify_one();
    }
}

void WorkerPool::Run(Threads::iterator self) {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (!queue_.empty()) {
            auto task = std::move(queue_.front());
            queue_.pop_front();
            lock.unlock();
            try {
                task();
            } catch (const std::exception& e) {
                NOVA_LOG_ERROR(Log(), log::kNoContext, "An RPC worker task failed: {}", e.what());
            } catch (...) {
                NOVA_LOG_ERROR(Log(), log::kNoContext, "An RPC worker task failed");
            }
            task = nullptr;  // its captures go before the lock is taken again
            lock.lock();
            continue;
        }
        if (joining_) break;
        ++idle_;
        const bool woken = work_.wait_for(lock, idle_timeout_,
                                          [this] { return !queue_.empty() || joining_; });
        --idle_;
        if (!woken) break;  // idle for idle_timeout: this thread is not needed now
    }
    finished_.splice(finished_.end(), running_, self);
    exited_.notify_all();
}

void WorkerPool::ReapFinished(std::unique_lock<std::mutex>& lock) {
    if (finished_.empty()) return;
    Threads done;
    done.splice(done.end(), finished_);
    // A finished thread only has to return from Run(); it needs mutex_ for nothing more.
    lock.unlock();
    for (auto& t : done) t.join();
    lock.lock();
}

void WorkerPool::Join() {
    std::unique_lock lock(mutex_);
    joining_ = true;
    work_.notify_all();
    exited_.wait(lock, [this] { return running_.empty(); });
    ReapFinished(lock);
}

std::size_t WorkerPool::threads() const {
    std::lock_guard lock(mutex_);
    return running_.size();
}

std::size_t WorkerPool::peak_threads() const {
    std::lock_guard lock(mutex_);
    return peak_;
}

}  // namespace nova::rpc
