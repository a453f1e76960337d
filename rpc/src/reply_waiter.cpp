#include "reply_waiter.hpp"

#include <boost/asio/post.hpp>

#include <vector>

#include "nova/common/error.hpp"
#include "nova/common/log.hpp"
#include "nova/rpc/wire.hpp"

namespace nova::rpc {
namespace {

spdlog::logger& Log() { return log::Get("nova.rpc.client"); }

}  // namespace

PendingCall::PendingCall(ReplyWaiter& waiter, std::string msg_id,
                         std::shared_ptr<CallTimeouts> timeouts, std::chrono::milliseconds timeout,
                         std::optional<std::chrono::seconds> monitor)
    : waiter_(waiter),
      msg_id_(std::move(msg_id)),
      timeouts_(std::move(timeouts)),
      deadline_(MonoClock::now() + timeout),
      monitor_(monitor),
      last_activity_(MonoClock::now().time_since_epoch().count()) {}

bool PendingCall::done() const {
    std::lock_guard lock(mutex_);
    return done_;
}

void PendingCall::OnDone(Callback callback) {
    std::unique_lock lock(mutex_);
    if (!done_) {
        callback_ = std::move(callback);
        return;
    }
    auto error = error_;
    auto result = result_;
    lock.unlock();
    callback(error, std::move(result));
}

bool PendingCall::Complete(std::exception_ptr error, Json result) {
    Callback callback;
    {
        std::lock_guard lock(mutex_);
        if (done_) return false;
        done_ = true;
        error_ = error;
        result_ = result;
        callback = std::move(callback_);
    }
    waiter_.Forget(msg_id_);
    timeouts_->Unschedule(*this);  // the timer itself is left alone: no wake-up of its thread
    if (callback) callback(error, std::move(result));
    return true;
}

MonoTime PendingCall::NextExpiry() const {
    MonoTime expiry = deadline_;
    if (monitor_) {
        MonoTime last{MonoClock::duration(last_activity_.load())};
        expiry = std::min(expiry, last + *monitor_);
    }
    return expiry;
}

// --- CallTimeouts --------------------------------------------------------------------------

void CallTimeouts::Schedule(const std::shared_ptr<CallTimeouts>& self,
                            const std::shared_ptr<PendingCall>& call, MonoTime at) {
    bool arm = false;
    {
        std::lock_guard lock(self->mutex);
        if (self->stopped || call->scheduled_) return;
        call->expiry_ = self->expiries.emplace(at, call);
        call->scheduled_ = true;
        if (at < self->armed) {
            self->armed = at;
            arm = true;
        }
    }
    if (arm) boost::asio::post(self->strand, [self] { Arm(self); });
}

void CallTimeouts::Unschedule(PendingCall& call) {
    std::lock_guard lock(mutex);
    if (!call.scheduled_) return;
    expiries.erase(call.expiry_);
    call.scheduled_ = false;
}

void CallTimeouts::Arm(const std::shared_ptr<CallTimeouts>& self) {
    MonoTime at;
    {
        std::lock_guard lock(self->mutex);
        if (self->stopped || self->expiries.empty()) {
            self->armed = MonoTime::max();
            return;
        }
        at = self->expiries.begin()->first;
        self->armed = at;
    }
    self->timer.expires_at(at);  // cancels a wait armed before (it returns on operation_aborted)
    self->timer.async_wait([self](const boost::system::error_code& ec) {
        if (!ec) Fire(self);
    });
}

void CallTimeouts::Fire(const std::shared_ptr<CallTimeouts>& self) {
    std::vector<std::shared_ptr<PendingCall>> due;
    const MonoTime now = MonoClock::now();
    {
        std::lock_guard lock(self->mutex);
        if (self->stopped) return;
        auto end = self->expiries.upper_bound(now);
        for (auto it = self->expiries.begin(); it != end; ++it) {
            if (auto call = it->second.lock()) {
                call->scheduled_ = false;
                due.push_back(std::move(call));
            }
        }
        self->expiries.erase(self->expiries.begin(), end);
        self->armed = MonoTime::max();  // re-armed below; a Schedule meanwhile arms too
    }
    for (auto& call : due) {
        if (call->done()) continue;
        const MonoTime expiry = call->NextExpiry();
        if (now >= expiry) {
            call->Complete(std::make_exception_ptr(MessagingTimeout(
                               {{"reason", "Timed out waiting for a reply to message ID " +
                                               call->msg_id()}})),
                           nullptr);
        } else {
            Schedule(self, call, expiry);  // a heartbeat moved the call-monitor expiry
        }
    }
    Arm(self);
}

ReplyWaiter::ReplyWaiter(boost::asio::any_io_executor executor)
    : timeouts_(std::make_shared<CallTimeouts>(executor)) {}

ReplyWaiter::~ReplyWaiter() {
    FailAll(std::make_exception_ptr(
        MessageDeliveryFailure({{"reason", "the transport was shut down"}})));
    {
        std::lock_guard lock(timeouts_->mutex);
        timeouts_->stopped = true;
    }
    // Ends a pending wait soon, releasing what it holds (the handler keeps `timeouts_` alive).
    auto timeouts = timeouts_;
    boost::asio::post(timeouts->strand, [timeouts] { timeouts->timer.cancel(); });
}

std::shared_ptr<PendingCall> ReplyWaiter::Register(const std::string& msg_id,
                                                   std::chrono::milliseconds timeout,
                                                   std::optional<std::chrono::seconds> monitor) {
    auto call = std::make_shared<PendingCall>(*this, msg_id, timeouts_, timeout, monitor);
    {
        std::lock_guard lock(mutex_);
        calls_[msg_id] = call;
    }
    // Only the first of a run of calls with the same timeout arms the timer (posted to its
    // strand); the others expire later than what it is armed for.
    CallTimeouts::Schedule(timeouts_, call, call->NextExpiry());
    return call;
}

void ReplyWaiter::Forget(const std::string& msg_id) {
    std::lock_guard lock(mutex_);
    calls_.erase(msg_id);
}

std::size_t ReplyWaiter::outstanding() const {
    std::lock_guard lock(mutex_);
    return calls_.size();
}

void ReplyWaiter::FailAll(std::exception_ptr error) {
    std::vector<std::shared_ptr<PendingCall>> calls;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, weak] : calls_) {
            if (auto call = weak.lock()) calls.push_back(call);
        }
    }
    for (auto& call : calls) call->Complete(error, nullptr);
}

bool ReplyWaiter::Deliver(std::string body) {
    ReplyFields reply;
    try {
        reply = ParseReplyBody(body);
    } catch (const std::exception& e) {
        NOVA_LOG_WARN(Log(), log::kNoContext, "Dropping a reply that cannot be decoded: {}",
                      e.what());
        return false;
    }
    if (!reply.msg_id) {
        NOVA_LOG_WARN(Log(), log::kNoContext, "Dropping a reply without _msg_id");
        return false;
    }
    std::shared_ptr<PendingCall> call;
    {
        std::lock_guard lock(mutex_);
        auto it = calls_.find(*reply.msg_id);
        if (it != calls_.end()) call = it->second.lock();
    }
    if (!call) {
        NOVA_LOG_INFO(Log(), log::kNoContext, "No calling threads waiting for msg_id : {}",
                      *reply.msg_id);
        return true;
    }
    call->Touch();
    {
        std::lock_guard lock(call->mutex_);
        if (reply.failure) {
            call->candidate_error_ = FailureToException(ParseFailure(*reply.failure));
        } else if (!reply.result.is_null()) {
            call->candidate_ = std::move(reply.result);
        }
    }
    if (reply.ending) {
        std::exception_ptr error;
        Json value;
        {
            std::lock_guard lock(call->mutex_);
            error = call->candidate_error_;
            value = call->candidate_;
        }
        call->Complete(error, std::move(value));
    }
    return true;
}

}  // namespace nova::rpc
