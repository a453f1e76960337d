#pragma once
// Correlates replies with calls by `_msg_id` (oslo's ReplyWaiter), and times calls out.
// Private to nova::rpc: transports feed it, the Client registers calls in it.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "nova/common/clock.hpp"
#include "nova/common/json.hpp"

namespace nova::rpc {

class ReplyWaiter;
class PendingCall;

// The call timeouts of one ReplyWaiter: one timer for all calls, armed for the earliest expiry.
// A call that completes leaves the map without touching the timer, so a reply wakes no timer
// thread (a timer per call had to be cancelled on the I/O thread: one wake-up per call). Shared
// with the timer's handler, so a handler that runs after the waiter is gone finds it stopped.
struct CallTimeouts {
    explicit CallTimeouts(boost::asio::any_io_executor executor)
        : strand(boost::asio::make_strand(executor)), timer(strand) {}
    using Map = std::multimap<MonoTime, std::weak_ptr<PendingCall>>;

    // Adds `call` to expire at `at`; arms the timer (through the strand) only when `at` is
    // earlier than what it is armed for.
    static void Schedule(const std::shared_ptr<CallTimeouts>& self,
                         const std::shared_ptr<PendingCall>& call, MonoTime at);
    // Takes `call` out (it completed).
    void Unschedule(PendingCall& call);
    // Strand: arms the timer for the earliest expiry.
    static void Arm(const std::shared_ptr<CallTimeouts>& self);
    // Strand: the timer fired; times out what expired, re-schedules what a heartbeat moved.
    static void Fire(const std::shared_ptr<CallTimeouts>& self);

    boost::asio::strand<boost::asio::any_io_executor> strand;
    boost::asio::steady_timer timer;  // on the strand only
    std::mutex mutex;
    Map expiries;                       // under mutex
    MonoTime armed = MonoTime::max();   // under mutex: when the timer fires next
    bool stopped = false;               // under mutex
};

// One outstanding call. Completes exactly once: with the reply's result, the remote failure,
// a delivery error or MessagingTimeout.
class PendingCall : public std::enable_shared_from_this<PendingCall> {
public:
    using Callback = std::function<void(std::exception_ptr, Json)>;

    PendingCall(ReplyWaiter& waiter, std::string msg_id, std::shared_ptr<CallTimeouts> timeouts,
                std::chrono::milliseconds timeout, std::optional<std::chrono::seconds> monitor);

    const std::string& msg_id() const { return msg_id_; }
    // Runs `callback` once the call completes (at once if it already has). Set it once.
    void OnDone(Callback callback);
    // First completion wins; later ones return false.
    bool Complete(std::exception_ptr error, Json result);
    // A message for this call arrived (a heartbeat restarts the call-monitor timer).
    void Touch() { last_activity_ = MonoClock::now().time_since_epoch().count(); }
    bool done() const;

private:
    friend class ReplyWaiter;
    friend struct CallTimeouts;
    MonoTime NextExpiry() const;

    ReplyWaiter& waiter_;
    std::string msg_id_;
    std::shared_ptr<CallTimeouts> timeouts_;
    // Under timeouts_->mutex: this call's entry in timeouts_->expiries, when scheduled.
    CallTimeouts::Map::iterator expiry_;
    bool scheduled_ = false;
    MonoTime deadline_;
    std::optional<std::chrono::seconds> monitor_;
    std::atomic<MonoClock::duration::rep> last_activity_;
    mutable std::mutex mutex_;
    bool done_ = false;
    std::exception_ptr error_;
    Json result_;
    Callback callback_;
    // What the reply loop has seen so far (the old two-message form sends the result first).
    Json candidate_;
    std::exception_ptr candidate_error_;
};

class ReplyWaiter {
public:
    // Timers run on `executor` (through a strand).
    explicit ReplyWaiter(boost::asio::any_io_executor executor);
    ~ReplyWaiter();
    ReplyWaiter(const ReplyWaiter&) = delete;
    ReplyWaiter& operator=(const ReplyWaiter&) = delete;

    // Registers a call before its request is published; the timeout clock starts now.
    std::shared_ptr<PendingCall> Register(const std::string& msg_id,
                                          std::chrono::milliseconds timeout,
                                          std::optional<std::chrono::seconds> monitor);
    // A body consumed from the reply queue. Returns false when it is not a reply at all.
    bool Deliver(std::string body);
    // Fails every outstanding call (the transport is going away).
    void FailAll(std::exception_ptr error);
    std::size_t outstanding() const;

private:
    friend class PendingCall;
    void Forget(const std::string& msg_id);

    std::shared_ptr<CallTimeouts> timeouts_;
    mutable std::mutex mutex_;
    std::map<std::string, std::weak_ptr<PendingCall>, std::less<>> calls_;
};

}  // namespace nova::rpc
