#include "nova/rpc/client.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <future>

#include "nova/common/error.hpp"
#include "nova/common/log.hpp"
#include "nova/common/uuid.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/rpc/wire.hpp"
#include "reply_waiter.hpp"

namespace nova::rpc {
namespace {

spdlog::logger& Log() { return log::Get("nova.rpc.client"); }

}  // namespace

Client::Client(std::shared_ptr<Transport> transport, Target target,
               std::optional<std::string> version_cap,
               std::optional<std::chrono::milliseconds> timeout)
    : transport_(std::move(transport)),
      target_(std::move(target)),
      version_cap_(std::move(version_cap)),
      timeout_(timeout ? *timeout : transport_->options().rpc_response_timeout) {
    if (version_cap_ && version_cap_->empty()) version_cap_.reset();
}

Client Client::Prepare(const PrepareOptions& options) const {
    Client copy = *this;
    if (options.server) copy.target_.server = *options.server;
    if (options.version) copy.target_.version = *options.version;
    if (options.fanout) copy.target_.fanout = *options.fanout;
    if (options.timeout) copy.timeout_ = *options.timeout;
    if (options.call_monitor_timeout) copy.call_monitor_timeout_ = *options.call_monitor_timeout;
    if (options.namespace_) copy.target_.namespace_ = *options.namespace_;
    return copy;
}

bool Client::CanSendVersion(std::string_view version) const {
    return !version_cap_ || VersionIsCompatible(*version_cap_, version);
}

void Client::CheckVersionCap() const {
    if (!version_cap_) return;
    std::string version = target_.version.value_or("");
    if (target_.version && VersionIsCompatible(*version_cap_, version)) return;
    throw RPCVersionCapError({{"version", version}, {"version_cap", *version_cap_}});
}

void Client::CastAsync(const RequestContext& context, std::string_view method, Json args,
                       std::function<void(std::exception_ptr)> done) const {
    SendCast(context, method, args, std::move(done), /*pipelined=*/true);
}

void Client::SendCast(const RequestContext& context, std::string_view method, const Json& args,
                      std::function<void(std::exception_ptr)> done, bool pipelined) const {
    CheckVersionCap();
    std::string body = EncodeRequest(context, method, args, target_.namespace_, target_.version,
                                     nullptr, GenerateUuidHex());
    const std::string exchange = target_.exchange.value_or(transport_->options().control_exchange);
    Destination destination =
        target_.fanout ? Destination::Fanout(target_.topic)
                       : Destination::Topic(exchange, target_.server
                                                          ? target_.topic + "." + *target_.server
                                                          : target_.topic);
    NOVA_LOG_DEBUG(Log(), context, "CAST {} to {}{}", method, destination.routing_key,
                   target_.fanout ? " (fanout)" : "");
    PublishOptions options;
    options.deadline = Deadline::After(timeout_);
    options.coalesce = pipelined;
    transport_->Publish(destination, std::move(body), options, std::move(done));
}

void Client::Cast(const RequestContext& context, std::string_view method, Json args) const {
    auto promise = std::make_shared<std::promise<void>>();
    auto future = promise->get_future();
    SendCast(context, method, args, [promise](std::exception_ptr error) {
        if (error) {
            promise->set_exception(error);
        } else {
            promise->set_value();
        }
    }, /*pipelined=*/false);
    // Leader/follower, as in Call: the confirm wakes this thread directly.
    transport_->Lead([&future] { return future.wait_for(std::chrono::seconds(0)) == std::future_status::ready; },
                     MonoClock::now() + timeout_);
    future.get();
}

std::shared_ptr<PendingCall> Client::StartCall(const RequestContext& context,
                                               std::string_view method, Json args) const {
    if (target_.fanout) {
        throw InvalidTarget::WithMessage("A call cannot be sent to a fanout target",
                                         {{"target", target_.topic}});
    }
    CheckVersionCap();
    const std::string msg_id = GenerateUuidHex();
    const std::string reply_q = transport_->ReplyQueue();
    CallFields fields{msg_id, reply_q, std::nullopt};
    if (call_monitor_timeout_) fields.timeout = static_cast<long>(call_monitor_timeout_->count());
    std::string body = EncodeRequest(context, method, args, target_.namespace_, target_.version,
                                     &fields, GenerateUuidHex());

    auto call = transport_->Replies().Register(msg_id, timeout_, call_monitor_timeout_);
    const std::string exchange = target_.exchange.value_or(transport_->options().control_exchange);
    std::string key = target_.server ? target_.topic + "." + *target_.server : target_.topic;
    NOVA_LOG_DEBUG(Log(), context, "CALL {} to {} msg_id {}", method, key, msg_id);
    PublishOptions options;
    options.expiration = timeout_;
    options.deadline = Deadline::After(timeout_);
    transport_->Publish(Destination::Topic(exchange, key), std::move(body), options,
                        [call](std::exception_ptr error) {
                            if (error) call->Complete(error, nullptr);
                        });
    return call;
}

Json Client::Call(const RequestContext& context, std::string_view method, Json args) const {
    auto call = StartCall(context, method, std::move(args));
    auto promise = std::make_shared<std::promise<Json>>();
    auto future = promise->get_future();
    call->OnDone([promise](std::exception_ptr error, Json result) {
        if (error) {
            promise->set_exception(error);
        } else {
            promise->set_value(std::move(result));
        }
    });
    // Leader/follower: while no other thread reads the connection, this one does, so its reply
    // wakes it directly (not the I/O thread, which would then have to wake it).
    transport_->Lead([&call] { return call->done(); }, MonoClock::now() + timeout_);
    // The waiter's timer ends the call; this bound only guards against a stalled timer thread.
    if (future.wait_for(timeout_ + std::chrono::seconds(5)) != std::future_status::ready) {
        call->Complete(std::make_exception_ptr(MessagingTimeout(
                           {{"reason", "Timed out waiting for a reply to message ID " +
                                           call->msg_id()}})),
                       nullptr);
    }
    return future.get();
}

// Not a coroutine itself: the returned awaitable is the async operation, so no coroutine frame
// of ours holds locals across the suspension (g++ 12 destroys such locals twice when the
// awaited operation throws).
boost::asio::awaitable<Json> Client::AsyncCall(const RequestContext& context, std::string method,
                                               Json args) const {
    auto call = StartCall(context, method, std::move(args));
    return boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                       void(std::exception_ptr, Json)>(
        [call](auto handler) {
            auto executor = boost::asio::get_associated_executor(handler);
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            call->OnDone([shared, executor](std::exception_ptr e, Json value) {
                boost::asio::post(executor, [shared, e, value = std::move(value)]() mutable {
                    (*shared)(e, std::move(value));
                });
            });
        },
        boost::asio::use_awaitable);
}

}  // namespace nova::rpc
