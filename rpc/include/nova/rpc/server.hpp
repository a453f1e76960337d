#pragma once
// RPC server, oslo.messaging's RPCServer + RPCDispatcher.
//
//   rpc::Endpoint manager(std::nullopt, "6.0");
//   manager.Add("get_host_uptime", [&](const RequestContext& ctx, const Json& args) { ... });
//   manager.AddCast("reboot_instance", [&](const RequestContext& ctx, const Json& args) { ... });
//   rpc::Server server(transport, {.topic = "compute", .server = host},
//                      {manager, rpc::BaseApiEndpoint("nova-compute")}, workers);
//   server.Start();  ...  server.Stop();
//
// Handlers run on up to `workers` threads (they may block on the DB), never on the
// transport's I/O thread. The threads start when requests arrive and stop after a minute
// without work, so an idle server holds none. A handler that throws sends the failure back to a caller; a NovaError
// keeps its class, module and kwargs on the wire.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nova/common/context.hpp"
#include "nova/common/json.hpp"

namespace nova::rpc {

class Transport;

class Endpoint {
public:
    using Handler = std::function<Json(const RequestContext&, const Json& args)>;
    using VoidHandler = std::function<void(const RequestContext&, const Json& args)>;

    // `namespace_` null for the service's manager; `version` the API version it implements.
    explicit Endpoint(std::optional<std::string> namespace_ = std::nullopt,
                      std::string version = "1.0");

    Endpoint& Add(std::string method, Handler handler);
    // A method with no result (a cast, or a call answered with null).
    Endpoint& AddCast(std::string method, VoidHandler handler);

    const std::optional<std::string>& name_space() const { return namespace_; }
    const std::string& version() const { return version_; }
    const Handler* Find(const std::string& method) const;

private:
    std::optional<std::string> namespace_;
    std::string version_;
    std::map<std::string, Handler> handlers_;
};

// Nova's BaseRPCAPI endpoint, which every service serves: namespace "baseapi", version 1.1,
// ping(arg) -> {"service": <binary>, "arg": arg}, and get_backdoor_port() -> null.
Endpoint BaseApiEndpoint(std::string binary);

// Picks the handler by namespace, version and method name (oslo's rule). Throws
// UnsupportedVersion when no endpoint is compatible with the namespace and version, and
// NoSuchMethod when a compatible one lacks the method (or the name starts with '_').
class Dispatcher {
public:
    explicit Dispatcher(std::vector<Endpoint> endpoints) : endpoints_(std::move(endpoints)) {}
    Json Dispatch(const RequestContext& context, const std::string& method, const Json& args,
                  const std::optional<std::string>& namespace_, const std::string& version) const;

private:
    std::vector<Endpoint> endpoints_;
};

struct ServerTarget {
    std::string topic = {};
    std::string server = {};                             // usually [DEFAULT] host
    std::optional<std::string> exchange = std::nullopt;  // default: control_exchange
};

class Server {
public:
    // `workers` 0 takes executor_thread_pool_size.
    Server(std::shared_ptr<Transport> transport, ServerTarget target,
           std::vector<Endpoint> endpoints, int workers = 0);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Declares the queues and starts consuming.
    void Start();
    // Stops consuming, lets in-flight requests finish (and their replies go out), then
    // returns. Idempotent; the destructor calls it.
    void Stop();

    // Requests handled so far (for health and tests).
    std::uint64_t handled() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace nova::rpc
