#pragma once
// Periodic tasks, oslo.service's PeriodicTasks: each task has a spacing and runs again that
// long after its previous run started; a task that throws is logged and runs again at its
// next time (one failing task never stops the others).
//
// RunDue() is the whole scheduling logic, driven by a Clock so that tests step a ManualClock;
// PeriodicRunner is the thread that calls it in a service.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "nova/common/clock.hpp"

namespace nova::service {

class PeriodicTasks {
public:
    using Task = std::function<void()>;

    explicit PeriodicTasks(const Clock& clock) : clock_(clock) {}

    // `spacing` zero or negative: the task is disabled (Nova's spacing <= 0 convention).
    // `run_immediately`: first run at the first RunDue(); otherwise one spacing later.
    void Add(std::string name, std::chrono::milliseconds spacing, Task task,
             bool run_immediately = false);

    // Runs every task that is due and returns how long until the next one is (nullopt when
    // there is no enabled task).
    std::optional<std::chrono::milliseconds> RunDue();

    std::size_t size() const { return tasks_.size(); }

private:
    struct Entry {
        std::string name;
        std::chrono::milliseconds spacing;
        Task task;
        std::optional<MonoTime> next;  // nullopt: not yet scheduled
        bool run_immediately;
    };
    const Clock& clock_;
    std::vector<Entry> tasks_;
};

// Runs PeriodicTasks on its own thread after `initial_delay` (periodic_fuzzy_delay) until
// Stop(). Stop() waits for a task in progress to finish.
class PeriodicRunner {
public:
    PeriodicRunner(PeriodicTasks& tasks, std::chrono::milliseconds initial_delay);
    ~PeriodicRunner();
    PeriodicRunner(const PeriodicRunner&) = delete;
    PeriodicRunner& operator=(const PeriodicRunner&) = delete;

    void Stop();

private:
    void Loop(std::chrono::milliseconds initial_delay);

    PeriodicTasks& tasks_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace nova::service
