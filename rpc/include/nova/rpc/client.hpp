#pragma once
// RPC client, oslo.messaging's RPCClient: cast, call (blocking or awaitable), prepare, version cap.
//
//   rpc::Client compute(transport, {.topic = "compute", .version = "6.0"}, "6.0");
//   compute.Prepare({.server = host, .version = "6.0"}).Cast(ctx, "reboot_instance", args);
//   Json up = compute.Prepare({.server = host}).Call(ctx, "get_host_uptime", {});
//
// Errors: MessagingTimeout when no reply arrives in time; RPCVersionCapError before anything is
// sent when the version is above the cap; InvalidTarget for a fanout call; the remote failure,
// re-raised as our own NovaError class when it names one we know, else RemoteError;
// MessageDeliveryFailure when the broker did not take the message.
#include <utility>  // before boost/asio/awaitable.hpp

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "nova/common/context.hpp"
#include "nova/common/json.hpp"

namespace nova::rpc {

class Transport;
class PendingCall;

struct Target {
    std::string topic = {};
    std::optional<std::string> server = std::nullopt;      // topic.server instead of the shared topic queue
    std::optional<std::string> namespace_ = std::nullopt;  // e.g. "baseapi"
    std::optional<std::string> version = std::nullopt;     // "X.Y"
    bool fanout = false;
    std::optional<std::string> exchange = std::nullopt;    // default: control_exchange
};

struct PrepareOptions {
    std::optional<std::string> server = std::nullopt;
    std::optional<std::string> version = std::nullopt;
    std::optional<bool> fanout = std::nullopt;
    std::optional<std::chrono::milliseconds> timeout = std::nullopt;
    // oslo's call_monitor_timeout: the server sends heartbeats; the call fails when none
    // arrives for this long (the overall timeout still applies).
    std::optional<std::chrono::seconds> call_monitor_timeout = std::nullopt;
    std::optional<std::string> namespace_ = std::nullopt;
};

class Client {
public:
    // `timeout` defaults to the transport's rpc_response_timeout.
    Client(std::shared_ptr<Transport> transport, Target target,
           std::optional<std::string> version_cap = std::nullopt,
           std::optional<std::chrono::milliseconds> timeout = std::nullopt);

    // A view of this client with some of its settings replaced.
    Client Prepare(const PrepareOptions& options) const;

    // Returns once the broker confirmed the message.
    void Cast(const RequestContext& context, std::string_view method, Json args) const;
    // Pipelined cast: `done` runs on the transport's I/O thread with null or the error. The
    // transport may write a burst of these in one go; their order is kept.
    void CastAsync(const RequestContext& context, std::string_view method, Json args,
                   std::function<void(std::exception_ptr)> done) const;
    // Blocks until the reply (returns its result) or the timeout.
    Json Call(const RequestContext& context, std::string_view method, Json args) const;
    // The same for coroutines; never blocks a thread.
    boost::asio::awaitable<Json> AsyncCall(const RequestContext& context, std::string method,
                                           Json args) const;

    // oslo's can_send_version: true when there is no cap or `version` is compatible with it.
    bool CanSendVersion(std::string_view version) const;

    const Target& target() const { return target_; }
    std::chrono::milliseconds timeout() const { return timeout_; }

private:
    void CheckVersionCap() const;
    // Cast and CastAsync; `pipelined` lets the transport write it together with others.
    void SendCast(const RequestContext& context, std::string_view method, const Json& args,
                  std::function<void(std::exception_ptr)> done, bool pipelined) const;
    std::shared_ptr<PendingCall> StartCall(const RequestContext& context, std::string_view method,
                                         Json args) const;

    std::shared_ptr<Transport> transport_;
    Target target_;
    std::optional<std::string> version_cap_;
    std::chrono::milliseconds timeout_;
    std::optional<std::chrono::seconds> call_monitor_timeout_;
};

}  // namespace nova::rpc
