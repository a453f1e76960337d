#pragma once
// The seam between RPC semantics (Client, Server, Notifier) and a message bus.
//
// A Transport moves opaque bodies (the oslo 2.0 envelope as text) between oslo's topology:
// the control exchange with `topic` and `topic.server` queues, the `<topic>_fanout` exchange
// with one queue per server, one reply queue per transport, and notification queues. Two
// implementations: AMQP (rabbit://, rabbitmq-c on Boost.Asio) and in-memory (fake://, memory://)
// with the same semantics for tests. MakeTransport picks one from a transport_url.
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/conf/messaging.hpp"

namespace nova::rpc {

class ReplyWaiter;

// Where a message is published.
struct Destination {
    enum class Kind {
        kTopic,         // exchange `exchange` (topic type), key `routing_key`
        kFanout,        // exchange `<routing_key>_fanout`, empty key
        kReply,         // default exchange, key = queue name, mandatory
        kNotification,  // like kTopic, and the publisher declares queue `routing_key` too
    };
    Kind kind = Kind::kTopic;
    std::string exchange;
    std::string routing_key;

    static Destination Topic(std::string exchange, std::string key) {
        return {Kind::kTopic, std::move(exchange), std::move(key)};
    }
    static Destination Fanout(std::string topic) { return {Kind::kFanout, {}, std::move(topic)}; }
    static Destination Reply(std::string queue) { return {Kind::kReply, {}, std::move(queue)}; }
    static Destination Notification(std::string exchange, std::string key) {
        return {Kind::kNotification, std::move(exchange), std::move(key)};
    }
};

struct PublishOptions {
    // Calls: the broker drops the request if it waits longer than this in a queue.
    std::optional<std::chrono::milliseconds> expiration;
    // If the broker has not confirmed the publish by then, it fails with MessageDeliveryFailure
    // (a disconnected transport holds publishes until it reconnects or this passes).
    Deadline deadline = Deadline::Never();
    // Pipelined publishes (CastAsync): the transport may hold the message a moment to write it
    // together with others (one write for many). Order among a thread's publishes is kept.
    bool coalesce = false;
};

// Called once per publish: null when the broker confirmed it, else the error.
using PublishDone = std::function<void(std::exception_ptr)>;

// Called for each consumed body on the transport's I/O thread; must not block. Return false
// to reject the message (it is dropped, never redelivered); true acknowledges it.
using DeliveryHandler = std::function<bool(std::string body)>;

// Consuming lasts as long as the subscription. Destroying it stops consuming and returns only
// once no call of its handler is running.
class Subscription {
public:
    Subscription() = default;
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    virtual ~Subscription() = default;
};

// [oslo_messaging_rabbit] with every option at its default.
conf::RabbitOptions DefaultRabbitOptions();

// The transport-level options, taken from [DEFAULT] and [oslo_messaging_rabbit].
struct TransportOptions {
    std::string control_exchange = "nova";
    std::chrono::milliseconds rpc_response_timeout{60000};
    int executor_thread_pool_size = 64;
    conf::RabbitOptions rabbit = DefaultRabbitOptions();
};
TransportOptions MakeTransportOptions(const conf::MessagingOptions& messaging,
                                      const conf::RabbitOptions& rabbit);

class Transport {
public:
    Transport() = default;
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;
    virtual ~Transport() = default;

    // Publishes without blocking; `done` runs (on the I/O thread) when the broker has
    // confirmed the message or it failed.
    virtual void Publish(const Destination& destination, std::string body,
                         const PublishOptions& options, PublishDone done) = 0;

    // Consumes an RPC server's queues: `topic` and `topic.server` bound to `exchange`, and a
    // fresh `<topic>_fanout_<uuid>` queue on `<topic>_fanout` (deleted when unsubscribed).
    virtual std::unique_ptr<Subscription> SubscribeRpc(const std::string& exchange,
                                                       const std::string& topic,
                                                       const std::string& server,
                                                       DeliveryHandler handler) = 0;
    // Consumes queue `queue` bound to `exchange` with key `queue` (a notification listener).
    virtual std::unique_ptr<Subscription> SubscribeNotifications(const std::string& exchange,
                                                                 const std::string& queue,
                                                                 DeliveryHandler handler) = 0;

    // This transport's reply queue (`reply_<32 hex>`), declared and consumed on first use;
    // replies that arrive there go to Replies().
    virtual std::string ReplyQueue() = 0;
    virtual ReplyWaiter& Replies() = 0;

    virtual const TransportOptions& options() const = 0;

    // Leader/follower reading (optional). A thread about to wait for something the connection
    // will bring (a caller for its reply, an idle server worker for the next request) may read
    // the connection itself until `done()` holds or `until` passes, so that message wakes it
    // directly instead of the I/O thread, which would then have to wake it. Meanwhile the I/O
    // thread stops watching the socket, and everything read (other consumers' deliveries,
    // confirms) is handled on this thread exactly as the I/O thread would (acked before the
    // handlers' work is dispatched, handlers must not block). One leader at a time. Returns false
    // at once when the thread cannot lead (another thread leads, not connected, TLS, in-memory
    // transport): it then waits as usual. Returns true when the lead ended: done() held, `until`
    // passed, or the connection went away.
    virtual bool Lead(const std::function<bool()>& done, MonoTime until) {
        (void)done;
        (void)until;
        return false;
    }
    // Makes the thread in Lead() check done() again (something else may have made it true).
    virtual void WakeLeader() {}
};

// Blocks until `Publish` completes; rethrows its error.
void PublishAndWait(Transport& transport, const Destination& destination, std::string body,
                    const PublishOptions& options);

// A parsed transport_url.
struct TransportUrl {
    struct Host {
        std::string host;
        int port = 5672;
        std::string user = "guest";
        std::string password = "guest";
    };
    std::string scheme;  // "rabbit", "fake", "memory"
    std::vector<Host> hosts;
    std::string virtual_host = "/";
    std::vector<std::pair<std::string, std::string>> query;

    // rabbit://u:p@h1:5672,u:p@h2:5672/vhost?opt=value. Throws InvalidTransportURL-like
    // nova::InvalidInput on a malformed URL.
    static TransportUrl Parse(std::string_view url);
};

// rabbit:// -> AMQP; fake:// or memory:// -> in-memory (one broker per vhost name in the
// process, so services in one process reach each other). Query parameters override
// [oslo_messaging_rabbit] options of the same name.
std::shared_ptr<Transport> MakeTransport(std::string_view transport_url, TransportOptions options);

}  // namespace nova::rpc
