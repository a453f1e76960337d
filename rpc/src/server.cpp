#include "nova/rpc/server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "nova/common/assert.hpp"
#include "nova/common/error.hpp"
#include "nova/common/log.hpp"
#include "nova/common/uuid.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/rpc/wire.hpp"
#include "work_queue.hpp"

namespace nova::rpc {
namespace {

spdlog::logger& Log() { return log::Get("nova.rpc.server"); }

// A handler thread idle this long stops; the next request starts one again (work_queue.hpp).
constexpr std::chrono::seconds kWorkerIdleTimeout{60};

}  // namespace

// --- Endpoint ------------------------------------------------------------------------------

Endpoint::Endpoint(std::optional<std::string> ns, std::string version)
    : namespace_(std::move(ns)), version_(std::move(version)) {
    NOVA_CHECK(IsValidVersion(version_), "bad endpoint version " + version_);
}

Endpoint& Endpoint::Add(std::string method, Handler handler) {
    handlers_[std::move(method)] = std::move(handler);
    return *this;
}

Endpoint& Endpoint::AddCast(std::string method, VoidHandler handler) {
    handlers_[std::move(method)] = [handler = std::move(handler)](const RequestContext& context,
                                                                  const Json& args) -> Json {
        handler(context, args);
        return nullptr;
    };
    return *this;
}

const Endpoint::Handler* Endpoint::Find(const std::string& method) const {
    auto it = handlers_.find(method);
    return it == handlers_.end() ? nullptr : &it->second;
}

Endpoint BaseApiEndpoint(std::string binary) {
    Endpoint endpoint("baseapi", "1.1");
    endpoint.Add("ping", [binary](const RequestContext&, const Json& args) -> Json {
        Json arg = args.is_object() && args.contains("arg") ? args.at("arg") : Json(nullptr);
        return Json{{"service", binary}, {"arg", arg}};
    });
    endpoint.Add("get_backdoor_port",
                 [](const RequestContext&, const Json&) -> Json { return nullptr; });
    return endpoint;
}

// --- Dispatcher ----------------------------------------------------------------------------

Json Dispatcher::Dispatch(const RequestContext& context, const std::string& method,
                          const Json& args, const std::optional<std::string>& ns,
                          const std::string& version) const {
    bool compatible_seen = false;
    for (const auto& endpoint : endpoints_) {
        if (endpoint.name_space() != ns) continue;
        if (!VersionIsCompatible(endpoint.version(), version)) continue;
        compatible_seen = true;
        if (method.empty() || method.front() == '_') continue;
        if (const auto* handler = endpoint.Find(method)) return (*handler)(context, args);
    }
    if (compatible_seen) throw NoSuchMethod({{"method", method}});
    throw UnsupportedVersion({{"version", version}, {"method", method}});
}

// --- Server --------------------------------------------------------------------------------

struct Server::Impl {
    std::shared_ptr<Transport> transport;
    ServerTarget target;
    Dispatcher dispatcher;
    int workers;
    std::unique_ptr<WorkQueue> pool;  // one wake-up per burst, not per message
    // Call-monitor heartbeats run here, so a blocked handler still gets them out.
    boost::asio::io_context timers;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> timers_work;
    std::thread timers_thread;
    std::unique_ptr<Subscription> subscription;
    DuplicateFilter duplicates{256};
    std::mutex mutex;
    std::condition_variable idle;
    std::size_t in_flight = 0;       // accepted requests not yet finished (reply confirmed)
    std::atomic<std::uint64_t> handled{0};
    bool started = false;
    bool stopped = false;

    Impl(std::shared_ptr<Transport> t, ServerTarget tgt, std::vector<Endpoint> endpoints, int w)
        : transport(std::move(t)), target(std::move(tgt)), dispatcher(std::move(endpoints)),
          workers(w > 0 ? w : transport->options().executor_thread_pool_size) {}

    void Finish() {
        std::lock_guard lock(mutex);
        --in_flight;
        if (in_flight == 0) idle.notify_all();
    }

    bool OnMessage(std::string body) {
        Request request;
        const std::size_t size = body.size();
        try {
            request = ParseRequestBody(body);
        } catch (const std::exception& e) {
            NOVA_LOG_ERROR(Log(), log::kNoContext,
                           "Rejecting a message on {} that is not a valid RPC request ({}; {} "
                           "bytes)",
                           target.topic, e.what(), size);
            return false;
        }
        if (request.unique_id && !duplicates.CheckAndRecord(*request.unique_id)) {
            NOVA_LOG_WARN(Log(), request.context, "Ignoring duplicate message {}",
                          *request.unique_id);
            return true;
        }
        {
            std::lock_guard lock(mutex);
            ++in_flight;
        }
        pool->Post([this, request = std::move(request)]() mutable { Process(std::move(request)); });
        return true;
    }

    void SendReply(const Request& request, Json result, const std::optional<Failure>& failure,
                   bool ending, bool finish) {
        auto reply = std::make_shared<Reply>();
        reply->body = EncodeReply(*request.msg_id, result, failure, ending, GenerateUuidHex());
        reply->destination = Destination::Reply(*request.reply_q);
        reply->options.deadline = Deadline::After(std::chrono::seconds(
            std::max(1, transport->options().rabbit.kombu_missing_consumer_retry_timeout)));
        reply->context = request.context;
        reply->method = request.method;
        reply->finish = finish;
        PublishReply(std::move(reply));
    }

    // A reply on its way; kept until the broker confirmed it, so that it can go out again.
    struct Reply {
        Destination destination;
        std::string body;
        PublishOptions options;
        RequestContext context;
        std::string method;
        bool finish = false;  // the request is done once this reply is
        bool resent = false;
    };

    // Like oslo (kombu retries a reply's publish across a reconnect), a reply the broker did not
    // confirm, e.g. the connection was lost first, goes out once more within its deadline; the
    // caller ignores a second copy of a reply it already has.
    void PublishReply(std::shared_ptr<Reply> reply) {
        std::string body = reply->resent ? std::move(reply->body) : reply->body;
        transport->Publish(reply->destination, std::move(body), reply->options,
                           [this, reply](std::exception_ptr error) {
                               if (error) {
                                   std::string why = "unknown error";
                                   try {
                                       std::rethrow_exception(error);
                                   } catch (const std::exception& e) {
                                       why = e.what();
                                   } catch (...) {
                                   }
                                   if (!reply->resent && !reply->options.deadline.Expired()) {
                                       NOVA_LOG_INFO(Log(), reply->context,
                                                     "Sending the reply to {} again: {}",
                                                     reply->method, why);
                                       reply->resent = true;
                                       PublishReply(reply);
                                       return;
                                   }
                                   NOVA_LOG_WARN(Log(), reply->context,
                                                 "Could not send the reply to {}: {}",
                                                 reply->method, why);
                               }
                               if (reply->finish) Finish();
                           });
    }

    void Process(Request request) {
        NOVA_LOG_DEBUG(Log(), request.context, "Dispatching {} (version {}{}{})", request.method,
                       request.version, request.namespace_ ? ", namespace " : "",
                       request.namespace_.value_or(""));
        const bool is_call = request.msg_id.has_value();
        // oslo: heartbeats every int(T)/2 seconds while the method runs, if that is >= 1 s.
        std::shared_ptr<boost::asio::steady_timer> heartbeat;
        if (is_call && request.call_monitor_timeout) {
            auto interval = std::chrono::seconds(static_cast<long>(*request.call_monitor_timeout) / 2);
            if (interval >= std::chrono::seconds(1)) {
                heartbeat = std::make_shared<boost::asio::steady_timer>(timers);
                StartHeartbeat(heartbeat, interval, request);
            } else {
                NOVA_LOG_WARN(Log(), request.context,
                              "Call-monitor timeout {} too short for heartbeats",
                              *request.call_monitor_timeout);
            }
        }
        Json result;
        std::optional<Failure> failure;
        try {
            result = dispatcher.Dispatch(request.context, request.method, request.args,
                                         request.namespace_, request.version);
        } catch (const NovaError& e) {
            failure = CurrentFailure();
            NOVA_LOG_DEBUG(Log(), request.context, "{} raised {}: {}", request.method,
                           e.class_name(), e.message());
        } catch (const std::exception& e) {
            failure = CurrentFailure();
            NOVA_LOG_ERROR(Log(), request.context, "Exception during message handling ({}): {}",
                           request.method, e.what());
        } catch (...) {
            failure = CurrentFailure();
            NOVA_LOG_ERROR(Log(), request.context, "Unknown exception handling {}",
                           request.method);
        }
        if (heartbeat) {
            boost::asio::post(timers, [heartbeat] { heartbeat->cancel(); });
        }
        handled.fetch_add(1, std::memory_order_relaxed);
        if (!is_call) {
            Finish();
            return;
        }
        SendReply(request, std::move(result), failure, true, true);
    }

    void StartHeartbeat(std::shared_ptr<boost::asio::steady_timer> timer,
                        std::chrono::seconds interval, const Request& request) {
        boost::asio::post(timers, [this, timer, interval, request]() {
            timer->expires_after(interval);
            timer->async_wait([this, timer, interval, request](const boost::system::error_code& ec) {
                if (ec) return;
                SendReply(request, nullptr, std::nullopt, false, false);
                StartHeartbeat(timer, interval, request);
            });
        });
    }
};

Server::Server(std::shared_ptr<Transport> transport, ServerTarget target,
               std::vector<Endpoint> endpoints, int workers)
    : impl_(std::make_unique<Impl>(std::move(transport), std::move(target), std::move(endpoints),
                                   workers)) {}

Server::~Server() { Stop(); }

void Server::Start() {
    auto& d = *impl_;
    std::lock_guard lock(d.mutex);
    if (d.started) return;
    d.started = true;
    d.pool = std::make_unique<WorkQueue>(static_cast<std::size_t>(d.workers), kWorkerIdleTimeout);
    // An idle worker reads the bus itself, so a request wakes the thread that runs it.
    Transport* transport = d.transport.get();
    d.pool->SetLeader(
        [transport](const std::function<bool()>& done, MonoTime until) {
            return transport->Lead(done, until);
        },
        [transport] { transport->WakeLeader(); });
    d.timers_work.emplace(d.timers.get_executor());
    d.timers_thread = std::thread([&d] { d.timers.run(); });
    const std::string exchange =
        d.target.exchange.value_or(d.transport->options().control_exchange);
    d.subscription = d.transport->SubscribeRpc(
        exchange, d.target.topic, d.target.server,
        [&d](std::string body) { return d.OnMessage(std::move(body)); });
    NOVA_LOG_INFO(Log(), log::kNoContext, "RPC server consuming {} and {}.{} on exchange {}",
                  d.target.topic, d.target.topic, d.target.server, exchange);
}

void Server::Stop() {
    auto& d = *impl_;
    {
        std::lock_guard lock(d.mutex);
        if (!d.started || d.stopped) return;
        d.stopped = true;
    }
    d.subscription.reset();  // no new requests after this returns
    {
        std::unique_lock lock(d.mutex);
        d.idle.wait(lock, [&d] { return d.in_flight == 0; });
    }
    d.pool->Join();
    d.timers_work.reset();
    d.timers.stop();
    if (d.timers_thread.joinable()) d.timers_thread.join();
    NOVA_LOG_INFO(Log(), log::kNoContext, "RPC server for {}.{} stopped", d.target.topic,
                  d.target.server);
}

std::uint64_t Server::handled() const { return impl_->handled.load(); }

}  // namespace nova::rpc
