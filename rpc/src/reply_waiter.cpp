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
                         boost::asio::strand<boost::asio::any_io_executor> strand,
                         std::chrono::milliseconds timeout,
                         std::optional<std::chrono::seconds> monitor)
    : waiter_(waiter),
      msg_id_(std::move(msg_id)),
      strand_(strand),
      timer_(strand),
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
    boost::asio::post(strand_, [self = shared_from_this()] { self->timer_.cancel(); });
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

// Runs on the strand, or once from Register before anything else can reach the call.
void PendingCall::Arm() {
    if (done()) return;
    timer_.expires_at(NextExpiry());
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec || self->done()) return;
        if (MonoClock::now() >= self->NextExpiry()) {
            self->Complete(std::make_exception_ptr(MessagingTimeout(
                               {{"reason", "Timed out waiting for a reply to message ID " +
                                               self->msg_id_}})),
                           nullptr);
        } else {
            self->Arm();  // a heartbeat moved the call-monitor expiry
        }
    });
}

ReplyWaiter::ReplyWaiter(boost::asio::any_io_executor executor)
    : strand_(boost::asio::make_strand(executor)) {}

ReplyWaiter::~ReplyWaiter() {
    FailAll(std::make_exception_ptr(
        MessageDeliveryFailure({{"reason", "the transport was shut down"}})));
}

std::shared_ptr<PendingCall> ReplyWaiter::Register(const std::string& msg_id,
                                                   std::chrono::milliseconds timeout,
                                                   std::optional<std::chrono::seconds> monitor) {
    auto call = std::make_shared<PendingCall>(*this, msg_id, strand_, timeout, monitor);
    {
        std::lock_guard lock(mutex_);
        calls_[msg_id] = call;
    }
    // Armed from this thread: nothing else can touch the fresh call's timer yet, and the
    // handler runs on the strand. (Posting the arm would wake the I/O thread once per call.)
    call->Arm();
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
