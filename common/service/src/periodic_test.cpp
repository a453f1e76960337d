#include "nova/service/periodic.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

using namespace std::chrono_literals;

namespace nova::service {
namespace {

TEST_CASE("a periodic task runs once per spacing, counted from when its last run started") {
    ManualClock clock;
    PeriodicTasks tasks(clock);
    int runs = 0;
    tasks.Add("count", 10s, [&] { ++runs; });

    CHECK(tasks.RunDue() == 10s);  // first run one spacing after start
    CHECK(runs == 0);
    clock.Advance(9s);
    CHECK(tasks.RunDue() == 1s);
    CHECK(runs == 0);
    clock.Advance(1s);
    CHECK(tasks.RunDue() == 10s);
    CHECK(runs == 1);
    clock.Advance(25s);  // late: runs once, not three times to catch up
    tasks.RunDue();
    CHECK(runs == 2);
}

TEST_CASE("run_immediately runs at the first RunDue, spacing <= 0 disables a task") {
    ManualClock clock;
    PeriodicTasks tasks(clock);
    int now_runs = 0, disabled_runs = 0;
    tasks.Add("now", 5s, [&] { ++now_runs; }, /*run_immediately=*/true);
    tasks.Add("off", 0s, [&] { ++disabled_runs; }, true);
    CHECK(tasks.RunDue() == 5s);
    CHECK(now_runs == 1);
    clock.Advance(100s);
    tasks.RunDue();
    CHECK(disabled_runs == 0);
}

TEST_CASE("a task that throws does not stop the others or its own next run") {
    ManualClock clock;
    PeriodicTasks tasks(clock);
    int failing = 0, healthy = 0;
    tasks.Add("failing", 1s, [&] { ++failing; throw std::runtime_error("boom"); }, true);
    tasks.Add("healthy", 1s, [&] { ++healthy; }, true);
    tasks.RunDue();
    clock.Advance(1s);
    tasks.RunDue();
    CHECK(failing == 2);
    CHECK(healthy == 2);
}

TEST_CASE("the wait returned is until the earliest task") {
    ManualClock clock;
    PeriodicTasks tasks(clock);
    tasks.Add("slow", 60s, [] {});
    tasks.Add("fast", 7s, [] {});
    CHECK(tasks.RunDue() == 7s);
    PeriodicTasks none(clock);
    CHECK_FALSE(none.RunDue().has_value());
}

TEST_CASE("a runner stops promptly while waiting for its initial delay") {
    SystemClock clock;
    PeriodicTasks tasks(clock);
    bool ran = false;
    tasks.Add("never", 1s, [&] { ran = true; }, true);
    PeriodicRunner runner(tasks, std::chrono::hours(1));
    runner.Stop();  // would hang for an hour if Stop did not wake the wait
    CHECK_FALSE(ran);
}

}  // namespace
}  // namespace nova::service
