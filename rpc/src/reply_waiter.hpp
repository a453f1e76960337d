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

// One outstanding call. Completes exactly once: with the reply's result, the remote failure,
// a delivery error or MessagingTimeout.
class PendingCall : public std::enable_shared_from_this<PendingCall> {
public:
    using Callback = std::function<void(std::exception_ptr, Json)>;

    PendingCall(ReplyWaiter& waiter, std::string msg_id, boost::asio::strand<boost::asio::any_io_executor> strand,
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
    void Arm();
    MonoTime NextExpiry() const;

    ReplyWaiter& waiter_;
    std::string msg_id_;
    boost::asio::strand<boost::asio::any_io_executor> strand_;
    boost::asio::steady_timer timer_;
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

    boost::asio::strand<boost::asio::any_io_executor> strand_;
    mutable std::mutex mutex_;
    std::map<std::string, std::weak_ptr<PendingCall>, std::less<>> calls_;
};

}  // namespace nova::rpc
