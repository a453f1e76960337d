#pragma once
// Time as a dependency (Envoy's TimeSource): wall-clock time for records and timestamps,
// monotonic time for timeouts and periodic tasks. Services get a SystemClock from main.cpp;
// tests drive a ManualClock.
#include <atomic>
#include <chrono>

namespace nova {

using WallClock = std::chrono::system_clock;
using WallTime = WallClock::time_point;
using MonoClock = std::chrono::steady_clock;
using MonoTime = MonoClock::time_point;

class Clock {
public:
    Clock() = default;
    Clock(const Clock&) = delete;
    Clock& operator=(const Clock&) = delete;
    virtual ~Clock() = default;

    virtual WallTime Now() const = 0;
    virtual MonoTime Monotonic() const = 0;
};

class SystemClock final : public Clock {
public:
    WallTime Now() const override { return WallClock::now(); }
    MonoTime Monotonic() const override { return MonoClock::now(); }
};

// A clock that only moves when told to. Thread-safe.
class ManualClock final : public Clock {
public:
    explicit ManualClock(WallTime start = WallTime(std::chrono::seconds(1700000000)))
        : wall_(start.time_since_epoch().count()) {}

    WallTime Now() const override { return WallTime(WallTime::duration(wall_.load())); }
    MonoTime Monotonic() const override { return MonoTime(MonoTime::duration(mono_.load())); }

    template <class Rep, class Period>
    void Advance(std::chrono::duration<Rep, Period> d) {
        wall_ += std::chrono::duration_cast<WallTime::duration>(d).count();
        mono_ += std::chrono::duration_cast<MonoTime::duration>(d).count();
    }
    void SetNow(WallTime t) { wall_ = t.time_since_epoch().count(); }

private:
    std::atomic<WallTime::duration::rep> wall_;
    std::atomic<MonoTime::duration::rep> mono_{0};
};

// The point in monotonic time by which an operation must finish. Every RPC, DB and virt call
// takes one (userver's engine::Deadline); it travels in CallOptions.
class Deadline {
public:
    static Deadline After(MonoClock::duration d) { return Deadline(MonoClock::now() + d); }
    static Deadline At(MonoTime t) { return Deadline(t); }
    static Deadline Never() { return Deadline(MonoTime::max()); }

    bool IsNever() const { return at_ == MonoTime::max(); }
    bool Expired() const { return !IsNever() && MonoClock::now() >= at_; }
    // Time left, never negative.
    MonoClock::duration Remaining() const {
        if (IsNever()) return MonoClock::duration::max();
        auto left = at_ - MonoClock::now();
        return left > MonoClock::duration::zero() ? left : MonoClock::duration::zero();
    }
    MonoTime time_point() const { return at_; }

private:
    explicit Deadline(MonoTime at) : at_(at) {}
    MonoTime at_;
};

}  // namespace nova
