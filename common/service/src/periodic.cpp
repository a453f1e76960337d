#include "nova/service/periodic.hpp"

#include "nova/common/log.hpp"

namespace nova::service {

namespace {
spdlog::logger& Log() { return log::Get("nova.service.periodic_task"); }
// With nothing scheduled, the runner still wakes now and then (cheap) instead of forever.
constexpr std::chrono::milliseconds kIdleWait{60'000};
}  // namespace

void PeriodicTasks::Add(std::string name, std::chrono::milliseconds spacing, Task task,
                        bool run_immediately) {
    tasks_.push_back({std::move(name), spacing, std::move(task), std::nullopt, run_immediately});
}

std::optional<std::chrono::milliseconds> PeriodicTasks::RunDue() {
    std::optional<MonoTime> earliest;
    for (auto& entry : tasks_) {
        if (entry.spacing <= std::chrono::milliseconds::zero()) continue;
        auto now = clock_.Monotonic();
        if (!entry.next) entry.next = entry.run_immediately ? now : now + entry.spacing;
        if (*entry.next <= now) {
            // The next run is one spacing after this one started, as oslo.service does, so
            // a slow task does not drift the schedule of a fast one.
            entry.next = now + entry.spacing;
            NOVA_LOG_DEBUG(Log(), log::kNoContext, "Running periodic task {}", entry.name);
            try {
                entry.task();
            } catch (const std::exception& e) {
                NOVA_LOG_ERROR(Log(), log::kNoContext, "Error during {}: {}", entry.name, e.what());
            }
        }
        if (!earliest || *entry.next < *earliest) earliest = entry.next;
    }
    if (!earliest) return std::nullopt;
    auto wait = *earliest - clock_.Monotonic();
    return std::max(std::chrono::milliseconds::zero(),
                    std::chrono::duration_cast<std::chrono::milliseconds>(wait));
}

PeriodicRunner::PeriodicRunner(PeriodicTasks& tasks, std::chrono::milliseconds initial_delay)
    : tasks_(tasks), thread_([this, initial_delay] { Loop(initial_delay); }) {}

PeriodicRunner::~PeriodicRunner() { Stop(); }

void PeriodicRunner::Stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void PeriodicRunner::Loop(std::chrono::milliseconds initial_delay) {
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, initial_delay, [this] { return stopping_; })) return;
    while (!stopping_) {
        lock.unlock();
        auto wait = tasks_.RunDue().value_or(kIdleWait);
        lock.lock();
        wake_.wait_for(lock, wait, [this] { return stopping_; });
    }
}

}  // namespace nova::service
