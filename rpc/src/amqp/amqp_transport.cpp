// The AMQP 0-9-1 transport, oslo.messaging's rabbit driver topology on rabbitmq-c.
//
// Threading: one connection per transport, guarded by one mutex (`mutex_`). An I/O thread runs an
// io_context: it watches the socket (async_wait, readiness), drains frames with
// amqp_simple_wait_frame_noblock, connects and reconnects, declares consumers, and runs a
// one-second tick (heartbeats, held publishes past their deadline). Publishes do not go through
// it: the publishing thread (a caller's Cast/Call, a server worker's reply) takes the mutex and
// writes the frames of its message in one send, so a call costs no thread hand-off on the way
// out. No user callback runs under the mutex: publish completions (confirms) and consumer
// handlers run on the I/O thread after it released the lock, then acks go out, one
// basic.ack(multiple) per channel per drained burst.
//
// Channels: 2 publishes in confirm mode (every publish gets a delivery tag, ConfirmTracker settles
// them on basic.ack / basic.nack, multiple or not, so confirms are pipelined); each consumer (RPC
// server, notification listener, reply queue) gets a channel of its own from 3 up, so that a
// 406 on one declare cannot cancel the others' consumers.
//
// Failures: a lost connection fails every unconfirmed publish (MessageDeliveryFailure: the
// caller decides, nothing is silently lost), holds new publishes until reconnect or their
// deadline, and reconnects with oslo's backoff (kombu_reconnect_delay, then
// rabbit_retry_interval + n * rabbit_retry_backoff up to rabbit_interval_max), rotating
// through the hosts of transport_url; then every consumer is declared and consumed again.
// A publishing thread that finds the socket broken only marks the connection broken (its
// message is held for the reconnect); the I/O thread tears the connection down.
#include "amqp_transport.hpp"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include "../delivery_burst.hpp"
#include "../reply_waiter.hpp"
#include "confirm_tracker.hpp"
#include "frames.hpp"
#include "nova/common/error.hpp"
#include "nova/common/log.hpp"
#include "nova/common/uuid.hpp"
#include "nova/rpc/wire.hpp"

namespace nova::rpc {
namespace {

spdlog::logger& Log() { return log::Get("nova.rpc.amqp"); }

constexpr amqp_channel_t kPublishChannel = 2;
constexpr amqp_channel_t kFirstConsumerChannel = 3;
const std::string kNoExchange;  // the default exchange

amqp_bytes_t Bytes(const std::string& s) {
    return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}

std::string ToString(amqp_bytes_t b) {
    return std::string(static_cast<const char*>(b.bytes), b.len);
}

std::string ReplyText(const amqp_rpc_reply_t& reply) {
    switch (reply.reply_type) {
        case AMQP_RESPONSE_NORMAL:
            return "ok";
        case AMQP_RESPONSE_NONE:
            return "no reply";
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            return amqp_error_string2(reply.library_error);
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
                auto* m = static_cast<amqp_channel_close_t*>(reply.reply.decoded);
                return std::to_string(m->reply_code) + " " + ToString(m->reply_text);
            }
            if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
                auto* m = static_cast<amqp_connection_close_t*>(reply.reply.decoded);
                return std::to_string(m->reply_code) + " " + ToString(m->reply_text);
            }
            return "server exception";
    }
    return "unknown";
}

// Thrown inside the I/O thread when the connection is unusable.
struct ConnectionLost : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// A channel-level failure (the broker closed the channel, e.g. 406 PRECONDITION_FAILED).
struct ChannelFailed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Builds an amqp_table_t whose storage lives as long as this object.
class Table {
public:
    void AddInt(const char* key, int32_t value) {
        amqp_table_entry_t e{};
        e.key = amqp_cstring_bytes(key);
        e.value.kind = AMQP_FIELD_KIND_I32;
        e.value.value.i32 = value;
        entries_.push_back(e);
    }
    void AddString(const char* key, const std::string& value) {
        strings_.push_back(std::make_unique<std::string>(value));
        amqp_table_entry_t e{};
        e.key = amqp_cstring_bytes(key);
        e.value.kind = AMQP_FIELD_KIND_UTF8;
        e.value.value.bytes = Bytes(*strings_.back());
        entries_.push_back(e);
    }
    void AddBool(const char* key, bool value) {
        amqp_table_entry_t e{};
        e.key = amqp_cstring_bytes(key);
        e.value.kind = AMQP_FIELD_KIND_BOOLEAN;
        e.value.value.boolean = value ? 1 : 0;
        entries_.push_back(e);
    }
    amqp_table_t get() {
        return amqp_table_t{static_cast<int>(entries_.size()),
                            entries_.empty() ? nullptr : entries_.data()};
    }

private:
    std::vector<amqp_table_entry_t> entries_;
    std::vector<std::unique_ptr<std::string>> strings_;
};

class AmqpTransport;

// One consumer registration; survives reconnects (re-declared and re-consumed each time).
struct Consumer {
    enum class Kind { kRpc, kNotification, kReply };
    Kind kind;
    std::string exchange;
    std::string topic;   // RPC topic, notification queue, or reply queue name
    std::string server;
    std::string fanout_queue;
    std::shared_ptr<DeliveryHandler> handler;
    // Per connection:
    amqp_channel_t channel = 0;
    std::vector<std::string> tags;
};

class AmqpSubscription final : public Subscription {
public:
    AmqpSubscription(std::shared_ptr<AmqpTransport> transport, std::uint64_t id)
        : transport_(std::move(transport)), id_(id) {}
    ~AmqpSubscription() override;

private:
    std::shared_ptr<AmqpTransport> transport_;
    std::uint64_t id_;
};

struct HeldPublish {
    Destination destination;
    std::string body;
    PublishOptions options;
    PublishDone done;
};

// A message read off the socket, handed to its consumer once the lock is released.
struct Delivery {
    amqp_channel_t channel = 0;
    uint64_t delivery_tag = 0;
    std::string consumer_tag;
    std::shared_ptr<DeliveryHandler> handler;  // null: no such consumer (any more)
    bool oversized = false;
    std::string body;
};

class AmqpTransport final : public Transport,
                            public std::enable_shared_from_this<AmqpTransport> {
public:
    AmqpTransport(TransportUrl url, TransportOptions options)
        : url_(std::move(url)),
          options_(std::move(options)),
          descriptor_(io_),
          tick_(io_),
          reconnect_timer_(io_),
          replies_(std::make_unique<ReplyWaiter>(io_.get_executor())) {
        // Like oslo: every connection shuffles the hosts, then fails over in order.
        std::random_device rd;
        std::mt19937 rng(rd());
        std::shuffle(url_.hosts.begin(), url_.hosts.end(), rng);
        connection_name_ = std::string(program_invocation_short_name) + ":" +
                           std::to_string(::getpid()) + ":" + GenerateUuid();
        // The I/O thread watches an epoll set of its own holding the socket, so that a leader
        // (Lead) can switch that watch off and on with one epoll_ctl from any thread.
        int epfd = ::epoll_create1(EPOLL_CLOEXEC);
        wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (epfd < 0 || wake_fd_ < 0) {
            if (epfd >= 0) ::close(epfd);
            if (wake_fd_ >= 0) ::close(wake_fd_);
            throw std::system_error(errno, std::generic_category(), "epoll_create1/eventfd");
        }
        descriptor_.assign(epfd);
        work_.emplace(io_.get_executor());
        thread_ = std::thread([this] { io_.run(); });
        RunOnIo([this] {
            Watch();
            if (!Connect()) ScheduleReconnect();
            StartTick();
        });
    }

    ~AmqpTransport() override {
        RunOnIo([this] {
            Locked lock(*this);
            stopping_ = true;
            tick_.cancel();
            reconnect_timer_.cancel();
            FlushOutbox();  // stopping: moves what is queued to held_
            for (auto& held : held_) Fail(held.done, "the transport was shut down");
            held_.clear();
            Disconnect("shutting down", /*clean=*/true);
        });
        replies_.reset();
        work_.reset();
        io_.stop();
        if (thread_.joinable()) thread_.join();
        ::close(wake_fd_);
    }

    // --- Transport ------------------------------------------------------------------------

    void Publish(const Destination& destination, std::string body, const PublishOptions& options,
                 PublishDone done) override {
        HeldPublish publish{destination, std::move(body), options, std::move(done)};
        if (options.coalesce) {
            // Pipelined: queued, and the I/O thread writes everything queued by then in one
            // send (a burst of casts costs the broker one read, not one per message).
            bool post = false;
            {
                std::lock_guard lock(outbox_mutex_);
                outbox_.push_back(std::move(publish));
                post = !flush_posted_;
                flush_posted_ = true;
            }
            if (post) {
                boost::asio::post(io_, [this] {
                    Locked lock(*this);
                    FlushOutbox();
                });
            }
            return;
        }
        // Sent from this thread under the connection lock: no hand-off to the I/O thread.
        Locked lock(*this);
        FlushOutbox();  // what this or another thread queued before goes first
        if (!connected_ || broken_ || stopping_) {
            held_.push_back(std::move(publish));  // goes out after the reconnect, or expires
            return;
        }
        DoPublish(std::move(publish));
        WriteUnsent();
    }

    std::unique_ptr<Subscription> SubscribeRpc(const std::string& exchange,
                                               const std::string& topic,
                                               const std::string& server,
                                               DeliveryHandler handler) override {
        auto consumer = std::make_shared<Consumer>();
        consumer->kind = Consumer::Kind::kRpc;
        consumer->exchange = exchange;
        consumer->topic = topic;
        consumer->server = server;
        consumer->fanout_queue = topic + "_fanout_" + GenerateUuidHex();
        consumer->handler = std::make_shared<DeliveryHandler>(std::move(handler));
        return std::make_unique<AmqpSubscription>(shared_from_this(), Add(std::move(consumer)));
    }

    std::unique_ptr<Subscription> SubscribeNotifications(const std::string& exchange,
                                                         const std::string& queue,
                                                         DeliveryHandler handler) override {
        auto consumer = std::make_shared<Consumer>();
        consumer->kind = Consumer::Kind::kNotification;
        consumer->exchange = exchange;
        consumer->topic = queue;
        consumer->handler = std::make_shared<DeliveryHandler>(std::move(handler));
        return std::make_unique<AmqpSubscription>(shared_from_this(), Add(std::move(consumer)));
    }

    std::string ReplyQueue() override {
        std::lock_guard lock(reply_mutex_);
        if (reply_queue_.empty()) {
            std::string name = "reply_" + GenerateUuidHex();
            auto consumer = std::make_shared<Consumer>();
            consumer->kind = Consumer::Kind::kReply;
            consumer->topic = name;
            ReplyWaiter* waiter = replies_.get();
            consumer->handler = std::make_shared<DeliveryHandler>(
                [waiter](std::string body) { return waiter->Deliver(std::move(body)); });
            Add(std::move(consumer));  // lives as long as the transport
            reply_queue_ = name;
        }
        return reply_queue_;
    }

    ReplyWaiter& Replies() override { return *replies_; }
    const TransportOptions& options() const override { return options_; }

    void Remove(std::uint64_t id) {
        // Held throughout: a leader's burst read before the cancel is dispatched and acked
        // first, and none is read while the channel closes. (A burst accepted after the close
        // would be handled here and requeued to another server; its acks would go to a closed
        // channel, which the broker answers by closing the connection, failing unconfirmed
        // replies.)
        DrainRole role(*this);
        RunOnIo([this, id] {
            Locked lock(*this);
            ++removals_;
            auto it = consumers_.find(id);
            if (it == consumers_.end()) return;
            auto consumer = it->second;
            consumers_.erase(it);
            for (const auto& tag : consumer->tags) by_tag_.erase(tag);
            if (!connected_ || broken_ || consumer->channel == 0) return;
            try {
                FlushAcks(consumer->channel);  // what was handled must not come back
                for (const auto& tag : consumer->tags) {
                    amqp_basic_cancel(conn_, consumer->channel, Bytes(tag));
                    Check(consumer->channel, "basic.cancel");
                }
                if (consumer->kind == Consumer::Kind::kRpc) {
                    // oslo deletes the fanout queue on a clean stop and leaves the others.
                    amqp_queue_delete(conn_, consumer->channel, Bytes(consumer->fanout_queue), 0, 0);
                    Check(consumer->channel, "queue.delete");
                }
                amqp_channel_close(conn_, consumer->channel, AMQP_REPLY_SUCCESS);
            } catch (const ChannelFailed& e) {
                NOVA_LOG_WARN(Log(), log::kNoContext, "While unsubscribing {}: {}", consumer->topic,
                              e.what());
            } catch (const ConnectionLost& e) {
                ConnectionFailed(e.what());
                return;
            }
            free_channels_.push_back(consumer->channel);
            DrainSoon();
        });
    }

private:
    // Holds the connection lock; on release runs the publish completions collected meanwhile
    // (so no user callback ever runs under the lock, and a callback may publish again).
    class Locked {
    public:
        explicit Locked(AmqpTransport& t) : t_(t), lock_(t.mutex_) {}
        ~Locked() {
            if (t_.completions_.empty()) return;
            std::vector<Completion> completions;
            completions.swap(t_.completions_);
            lock_.unlock();
            for (auto& completion : completions) completion();
        }
        Locked(const Locked&) = delete;
        Locked& operator=(const Locked&) = delete;

    private:
        AmqpTransport& t_;
        std::unique_lock<std::mutex> lock_;
    };

    // Runs `fn` on the I/O thread and waits; rethrows its exception.
    template <class Fn>
    void RunOnIo(Fn fn) {
        if (std::this_thread::get_id() == thread_.get_id()) {
            fn();
            return;
        }
        std::promise<void> done;
        boost::asio::post(io_, [&] {
            try {
                fn();
                done.set_value();
            } catch (...) {
                done.set_exception(std::current_exception());
            }
        });
        done.get_future().get();
    }

    std::uint64_t Add(std::shared_ptr<Consumer> consumer) {
        std::uint64_t id = 0;
        RunOnIo([&] {
            Locked lock(*this);
            id = next_consumer_id_++;
            consumers_[id] = consumer;
            if (!connected_ || broken_) return;  // consumed once the connection is back
            try {
                StartConsumer(*consumer);
            } catch (const ChannelFailed& e) {
                consumers_.erase(id);
                throw MessageDeliveryFailure(
                    {{"reason", "cannot consume " + consumer->topic + ": " + e.what()}});
            } catch (const ConnectionLost& e) {
                ConnectionFailed(e.what());
            }
            DrainSoon();
        });
        return id;
    }

    // --- connection (I/O thread) ----------------------------------------------------------

    // Opens and logs in without the lock (publishers meanwhile hold their messages), then
    // installs the connection, consumes again and sends what was held, under the lock.
    bool Connect() {
        const auto host = url_.hosts[host_index_ % url_.hosts.size()];
        const auto& rabbit = options_.rabbit;
        amqp_connection_state_t conn = amqp_new_connection();
        amqp_socket_t* socket = nullptr;
        if (rabbit.ssl) {
            socket = amqp_ssl_socket_new(conn);
            if (socket && rabbit.ssl_ca_file) amqp_ssl_socket_set_cacert(socket, rabbit.ssl_ca_file->c_str());
            if (socket && rabbit.ssl_cert_file && rabbit.ssl_key_file) {
                amqp_ssl_socket_set_key(socket, rabbit.ssl_cert_file->c_str(),
                                        rabbit.ssl_key_file->c_str());
            }
        } else {
            socket = amqp_tcp_socket_new(conn);
        }
        auto fail = [&](const std::string& why) {
            NOVA_LOG_ERROR(Log(), log::kNoContext,
                           "AMQP server on {}:{} is unreachable: {}. Trying again in {:.1f} "
                           "seconds.",
                           host.host, host.port, why, NextDelay());
            amqp_destroy_connection(conn);
            ++host_index_;  // fail over to the next host
            return false;
        };
        if (!socket) return fail("cannot create a socket");
        timeval connect_timeout{5, 0};
        int status = amqp_socket_open_noblock(socket, host.host.c_str(), host.port, &connect_timeout);
        if (status != AMQP_STATUS_OK) return fail(amqp_error_string2(status));
        timeval rpc_timeout{10, 0};
        amqp_set_handshake_timeout(conn, &rpc_timeout);
        amqp_set_rpc_timeout(conn, &rpc_timeout);
        Table properties;
        properties.AddString("connection_name", connection_name_);
        amqp_table_t props = properties.get();
        amqp_rpc_reply_t reply = amqp_login_with_properties(
            conn, url_.virtual_host.c_str(), 0, 131072, rabbit.heartbeat_timeout_threshold,
            &props, AMQP_SASL_METHOD_PLAIN, host.user.c_str(), host.password.c_str());
        if (reply.reply_type != AMQP_RESPONSE_NORMAL) return fail("login: " + ReplyText(reply));
        amqp_channel_open(conn, kPublishChannel);
        if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL) {
            return fail("channel.open: " + ReplyText(amqp_get_rpc_reply(conn)));
        }
        amqp_confirm_select(conn, kPublishChannel);
        if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL) {
            return fail("confirm.select: " + ReplyText(amqp_get_rpc_reply(conn)));
        }

        Locked lock(*this);
        if (stopping_) {
            amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
            amqp_destroy_connection(conn);
            return true;
        }
        conn_ = conn;
        ++generation_;
        next_channel_ = kFirstConsumerChannel;
        next_consumer_tag_ = 1;
        free_channels_.clear();
        declared_.clear();
        connected_ = true;
        broken_ = false;
        attempt_ = 0;
        heartbeat_ = amqp_get_heartbeat(conn_);
        frame_max_ = static_cast<std::size_t>(amqp_get_frame_max(conn_));
        raw_fd_ = rabbit.ssl ? -1 : amqp_get_sockfd(conn_);
        watched_fd_ = amqp_get_sockfd(conn_);
        watching_ = false;
        if (!leading_) SetWatch(true);
        NOVA_LOG_INFO(Log(), log::kNoContext, "Connected to AMQP server on {}:{} (vhost {})",
                      host.host, host.port, url_.virtual_host);
        if (reconnects_ > 0) {
            NOVA_LOG_INFO(Log(), log::kNoContext, "Reconnected; consuming {} queue sets again",
                          consumers_.size());
        }
        for (auto& [id, consumer] : consumers_) {
            try {
                StartConsumer(*consumer);
            } catch (const ChannelFailed& e) {
                NOVA_LOG_ERROR(Log(), log::kNoContext, "Cannot consume {} again: {}",
                               consumer->topic, e.what());
            } catch (const ConnectionLost& e) {
                ConnectionFailed(e.what());
                return true;  // ConnectionFailed scheduled the next attempt
            }
        }
        auto held = std::move(held_);
        held_.clear();
        for (auto& publish : held) {
            if (!connected_ || broken_) {
                held_.push_back(std::move(publish));
                continue;
            }
            DoPublish(std::move(publish));
        }
        if (connected_ && !broken_) WriteUnsent();
        if (connected_ && !broken_) FlushOutbox();
        if (!connected_) return true;  // lost again while re-declaring; reconnect scheduled
        DrainSoon();  // frames that arrived during the declares wait in rabbitmq-c's queue
        return true;
    }

    double NextDelay() const {
        const auto& r = options_.rabbit;
        if (attempt_ == 0) return r.kombu_reconnect_delay;
        return std::min(r.rabbit_interval_max,
                        r.rabbit_retry_interval + (attempt_ - 1) * r.rabbit_retry_backoff);
    }

    // I/O thread.
    void ScheduleReconnect() {
        if (stopping_) return;
        double delay = NextDelay();
        ++attempt_;
        reconnect_timer_.expires_after(std::chrono::milliseconds(static_cast<long>(delay * 1000)));
        reconnect_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (ec || stopping_ || connected_) return;
            ++reconnects_;
            if (!Connect()) ScheduleReconnect();
        });
    }

    // I/O thread, locked.
    void Disconnect(const std::string& reason, bool clean) {
        if (conn_ == nullptr) return;
        SetWatch(false);
        watched_fd_ = -1;
        WakeLeaderLocked();  // a leader polls the old socket: it must give up the lead
        if (clean && connected_ && !broken_) {
            // Delete fanout queues as oslo does on a clean stop.
            for (auto& [id, consumer] : consumers_) {
                if (consumer->kind == Consumer::Kind::kRpc && consumer->channel != 0) {
                    amqp_queue_delete(conn_, consumer->channel, Bytes(consumer->fanout_queue), 0, 0);
                }
            }
            amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
        }
        amqp_destroy_connection(conn_);
        conn_ = nullptr;
        raw_fd_ = -1;
        connected_ = false;
        broken_ = false;
        ++generation_;
        for (auto& [id, consumer] : consumers_) {
            consumer->channel = 0;
            consumer->tags.clear();
        }
        by_tag_.clear();
        assembly_.clear();
        pending_acks_.clear();
        for (auto it = unsent_.rbegin(); it != unsent_.rend(); ++it) held_.push_front(std::move(*it));
        unsent_.clear();
        send_buffer_.clear();
        confirms_.Reset("the connection to the broker was lost before it confirmed the message (" +
                            reason + ")",
                        completions_);
    }

    // I/O thread, locked.
    void ConnectionFailed(const std::string& reason) {
        if (conn_ == nullptr) return;
        NOVA_LOG_ERROR(Log(), log::kNoContext, "AMQP connection lost: {}", reason);
        Disconnect(reason, false);
        ScheduleReconnect();
    }

    // Any thread, locked: the connection cannot be used any more; the I/O thread tears it down.
    void MarkBroken(const std::string& reason) {
        if (std::this_thread::get_id() == thread_.get_id()) {
            ConnectionFailed(reason);
            return;
        }
        if (broken_) return;
        broken_ = true;
        const auto generation = generation_;
        boost::asio::post(io_, [this, reason, generation] {
            Locked lock(*this);
            if (generation_ == generation) ConnectionFailed(reason);
        });
    }

    // Locked: `done` fails once the lock is released.
    void Fail(PublishDone& done, const std::string& reason) {
        completions_.push_back(Completion{
            std::move(done), std::make_exception_ptr(MessageDeliveryFailure({{"reason", reason}}))});
    }

    // Throws ChannelFailed or ConnectionLost after a synchronous method on `channel`.
    void Check(amqp_channel_t channel, const char* what) {
        amqp_rpc_reply_t reply = amqp_get_rpc_reply(conn_);
        if (reply.reply_type == AMQP_RESPONSE_NORMAL) return;
        if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
            reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
            std::string text = ReplyText(reply);
            amqp_channel_close_ok_t ok{};
            amqp_send_method(conn_, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
            if (channel == kPublishChannel) RecoverPublishChannel(text);
            throw ChannelFailed(std::string(what) + ": " + text);
        }
        throw ConnectionLost(std::string(what) + ": " + ReplyText(reply));
    }

    void OpenChannel(amqp_channel_t channel) {
        amqp_channel_open(conn_, channel);
        Check(channel, "channel.open");
    }

    amqp_channel_t AllocateChannel() {
        if (!free_channels_.empty()) {
            auto channel = free_channels_.back();
            free_channels_.pop_back();
            return channel;
        }
        return next_channel_++;
    }

    // The broker closed the publishing channel: the unconfirmed messages are lost to us.
    void RecoverPublishChannel(const std::string& reason) {
        confirms_.Reset("the broker closed the channel: " + reason, completions_);
        declared_.clear();
        amqp_channel_open(conn_, kPublishChannel);
        if (amqp_get_rpc_reply(conn_).reply_type != AMQP_RESPONSE_NORMAL) {
            throw ConnectionLost("cannot reopen the publishing channel");
        }
        amqp_confirm_select(conn_, kPublishChannel);
        if (amqp_get_rpc_reply(conn_).reply_type != AMQP_RESPONSE_NORMAL) {
            throw ConnectionLost("cannot reopen the publishing channel");
        }
    }

    // --- topology (oslo 14's declares, rpc-wire.md §3) ------------------------------------

    bool TopicDurable() const {
        return options_.rabbit.amqp_durable_queues || options_.rabbit.rabbit_quorum_queue;
    }

    void DeclareExchange(amqp_channel_t channel, const std::string& name, const char* type,
                         bool durable, bool auto_delete) {
        amqp_exchange_declare(conn_, channel, Bytes(name), amqp_cstring_bytes(type), 0,
                              durable ? 1 : 0, auto_delete ? 1 : 0, 0, amqp_empty_table);
        Check(channel, "exchange.declare");
    }

    void DeclareTopicExchange(amqp_channel_t channel, const std::string& name) {
        DeclareExchange(channel, name, "topic", TopicDurable(), options_.rabbit.amqp_auto_delete);
    }

    // Topic and notification queues: durability flags, quorum and HA arguments.
    void DeclareTopicQueue(amqp_channel_t channel, const std::string& name) {
        const auto& r = options_.rabbit;
        Table args;
        if (r.rabbit_ha_queues) args.AddString("x-ha-policy", "all");
        if (r.rabbit_quorum_queue) {
            args.AddString("x-queue-type", "quorum");
            if (r.rabbit_quorum_delivery_limit) args.AddInt("x-delivery-limit", r.rabbit_quorum_delivery_limit);
            if (r.rabbit_quroum_max_memory_length) {
                args.AddInt("x-max-in-memory-length", r.rabbit_quroum_max_memory_length);
            }
            if (r.rabbit_quroum_max_memory_bytes) {
                args.AddInt("x-max-in-memory-bytes", r.rabbit_quroum_max_memory_bytes);
            }
        }
        amqp_queue_declare(conn_, channel, Bytes(name), 0, TopicDurable() ? 1 : 0, 0,
                           r.amqp_auto_delete ? 1 : 0, args.get());
        Check(channel, "queue.declare");
    }

    // Reply and fanout queues: transient, with x-expires.
    void DeclareTransientQueue(amqp_channel_t channel, const std::string& name) {
        Table args;
        args.AddInt("x-expires", options_.rabbit.rabbit_transient_queues_ttl * 1000);
        if (options_.rabbit.rabbit_ha_queues) args.AddString("x-ha-policy", "all");
        amqp_queue_declare(conn_, channel, Bytes(name), 0, 0, 0, 0, args.get());
        Check(channel, "queue.declare");
    }

    void Bind(amqp_channel_t channel, const std::string& queue, const std::string& exchange,
              const std::string& key) {
        amqp_queue_bind(conn_, channel, Bytes(queue), Bytes(exchange), Bytes(key), amqp_empty_table);
        Check(channel, "queue.bind");
    }

    void Consume(Consumer& consumer, const std::string& queue) {
        std::string tag = std::to_string(next_consumer_tag_++);
        Table args;
        if (options_.rabbit.enable_cancel_on_failover) args.AddBool("x-cancel-on-ha-failover", true);
        amqp_basic_consume(conn_, consumer.channel, Bytes(queue), Bytes(tag), 0, 0, 0, args.get());
        Check(consumer.channel, "basic.consume");
        consumer.tags.push_back(tag);
        by_tag_[tag] = consumer.handler;
    }

    void StartConsumer(Consumer& consumer) {
        consumer.channel = AllocateChannel();
        consumer.tags.clear();
        try {
            OpenChannel(consumer.channel);
        } catch (const ChannelFailed&) {
            consumer.channel = 0;
            throw;
        }
        try {
            if (options_.rabbit.rabbit_qos_prefetch_count > 0) {
                amqp_basic_qos(conn_, consumer.channel, 0,
                               static_cast<uint16_t>(options_.rabbit.rabbit_qos_prefetch_count), 0);
                Check(consumer.channel, "basic.qos");
            }
            switch (consumer.kind) {
                case Consumer::Kind::kRpc: {
                    const std::string server_queue = consumer.topic + "." + consumer.server;
                    const std::string fanout_exchange = consumer.topic + "_fanout";
                    DeclareTopicExchange(consumer.channel, consumer.exchange);
                    DeclareTopicQueue(consumer.channel, consumer.topic);
                    Bind(consumer.channel, consumer.topic, consumer.exchange, consumer.topic);
                    DeclareTopicQueue(consumer.channel, server_queue);
                    Bind(consumer.channel, server_queue, consumer.exchange, server_queue);
                    DeclareExchange(consumer.channel, fanout_exchange, "fanout", false, true);
                    DeclareTransientQueue(consumer.channel, consumer.fanout_queue);
                    Bind(consumer.channel, consumer.fanout_queue, fanout_exchange, consumer.topic);
                    Consume(consumer, consumer.topic);
                    Consume(consumer, server_queue);
                    Consume(consumer, consumer.fanout_queue);
                    break;
                }
                case Consumer::Kind::kNotification:
                    DeclareTopicExchange(consumer.channel, consumer.exchange);
                    DeclareTopicQueue(consumer.channel, consumer.topic);
                    Bind(consumer.channel, consumer.topic, consumer.exchange, consumer.topic);
                    Consume(consumer, consumer.topic);
                    break;
                case Consumer::Kind::kReply:
                    DeclareTransientQueue(consumer.channel, consumer.topic);
                    Consume(consumer, consumer.topic);
                    break;
            }
        } catch (const ChannelFailed&) {
            // The broker closed the channel; it can be opened again for the next consumer.
            for (const auto& tag : consumer.tags) by_tag_.erase(tag);
            consumer.tags.clear();
            free_channels_.push_back(consumer.channel);
            consumer.channel = 0;
            throw;
        }
    }

    // --- publishing (any thread, locked) ----------------------------------------------------

    // Encodes one publish after what is unsent (declaring its exchange first if this
    // connection has not yet); WriteUnsent sends them.
    void DoPublish(HeldPublish publish) {
        const Destination& d = publish.destination;
        bool declared = false;
        if (NeedsDeclare(d)) {
            // A declare is a synchronous round trip on the channel: the frames encoded so far go
            // out first, so a channel failure on the declare concerns only what was written.
            WriteUnsent();
            if (!connected_ || broken_) {
                held_.push_back(std::move(publish));
                return;
            }
        }
        try {
            const std::string* exchange = &kNoExchange;
            std::string fanout_exchange;
            switch (d.kind) {
                case Destination::Kind::kTopic:
                    exchange = &d.exchange;
                    if (declared_.find(DeclaredKey('x', d.exchange)) == declared_.end()) {
                        DeclareTopicExchange(kPublishChannel, d.exchange);
                        declared_.insert(DeclaredKey('x', d.exchange));
                        declared = true;
                    }
                    break;
                case Destination::Kind::kNotification:
                    exchange = &d.exchange;
                    if (declared_.find(DeclaredKey('x', d.exchange)) == declared_.end()) {
                        DeclareTopicExchange(kPublishChannel, d.exchange);
                        declared_.insert(DeclaredKey('x', d.exchange));
                        declared = true;
                    }
                    if (declared_.find(DeclaredKey('q', d.routing_key)) == declared_.end()) {
                        DeclareTopicQueue(kPublishChannel, d.routing_key);
                        Bind(kPublishChannel, d.routing_key, d.exchange, d.routing_key);
                        declared_.insert(DeclaredKey('q', d.routing_key));
                        declared = true;
                    }
                    break;
                case Destination::Kind::kFanout:
                    fanout_exchange = d.routing_key + "_fanout";
                    exchange = &fanout_exchange;
                    if (declared_.find(DeclaredKey('f', fanout_exchange)) == declared_.end()) {
                        DeclareExchange(kPublishChannel, fanout_exchange, "fanout", false, true);
                        declared_.insert(DeclaredKey('f', fanout_exchange));
                        declared = true;
                    }
                    break;
                case Destination::Kind::kReply:
                    break;  // the default exchange
            }
            std::string expiration;
            amqp_basic_properties_t props{};
            props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_CONTENT_ENCODING_FLAG |
                           AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_PRIORITY_FLAG |
                           AMQP_BASIC_HEADERS_FLAG;
            props.content_type = amqp_cstring_bytes("application/json");
            props.content_encoding = amqp_cstring_bytes("utf-8");
            props.delivery_mode = 2;
            props.priority = 0;
            props.headers = amqp_empty_table;
            if (publish.options.expiration) {
                expiration = std::to_string(publish.options.expiration->count());
                props._flags |= AMQP_BASIC_EXPIRATION_FLAG;
                props.expiration = Bytes(expiration);
            }
            amqp_basic_publish_t method{};
            method.exchange = Bytes(*exchange);
            method.routing_key = d.kind == Destination::Kind::kFanout ? amqp_empty_bytes
                                                                      : Bytes(d.routing_key);
            method.mandatory = d.kind == Destination::Kind::kReply ? 1 : 0;
            method.immediate = 0;
            if (raw_fd_ < 0) {
                // TLS: rabbitmq-c writes it; nothing is buffered on this path.
                int status = amqp_basic_publish(conn_, kPublishChannel, method.exchange,
                                                method.routing_key, method.mandatory,
                                                method.immediate, &props, Bytes(publish.body));
                if (status != AMQP_STATUS_OK) throw ConnectionLost(amqp_error_string2(status));
                confirms_.Add(std::move(publish.done));
            } else {
                AppendPublishFrames(send_buffer_, kPublishChannel, method, props, publish.body,
                                    frame_max_);
                unsent_.push_back(std::move(publish));
            }
        } catch (const ChannelFailed& e) {
            Fail(publish.done, e.what());
        } catch (const ConnectionLost& e) {
            held_.push_front(std::move(publish));  // goes out after the reconnect
            MarkBroken(e.what());
        } catch (const std::length_error& e) {
            Fail(publish.done, e.what());  // an exchange or key longer than AMQP allows
        }
        // A synchronous declare may have left other frames in rabbitmq-c's queue, where the
        // socket's readiness no longer shows them.
        if (declared) DrainSoon();
    }

    static std::string DeclaredKey(char kind, const std::string& name) {
        std::string key;
        key.reserve(name.size() + 1);
        key += kind;
        key += name;
        return key;
    }

    bool NeedsDeclare(const Destination& d) const {
        switch (d.kind) {
            case Destination::Kind::kTopic:
                return declared_.find(DeclaredKey('x', d.exchange)) == declared_.end();
            case Destination::Kind::kNotification:
                return declared_.find(DeclaredKey('x', d.exchange)) == declared_.end() ||
                       declared_.find(DeclaredKey('q', d.routing_key)) == declared_.end();
            case Destination::Kind::kFanout:
                return declared_.find(DeclaredKey('f', d.routing_key + "_fanout")) == declared_.end();
            case Destination::Kind::kReply:
                return false;
        }
        return false;
    }

    // Writes the frames encoded by DoPublish in one send; only then do their publishes get
    // delivery tags (in order). If the socket fails, they are held for the reconnect.
    void WriteUnsent() {
        if (unsent_.empty()) return;
        try {
            WriteAll(send_buffer_.data(), send_buffer_.size());
        } catch (const ConnectionLost& e) {
            for (auto it = unsent_.rbegin(); it != unsent_.rend(); ++it) held_.push_front(std::move(*it));
            unsent_.clear();
            send_buffer_.clear();
            MarkBroken(e.what());
            return;
        }
        for (auto& publish : unsent_) confirms_.Add(std::move(publish.done));
        unsent_.clear();
        send_buffer_.clear();
    }

    // Locked: sends what pipelined publishes queued, in one write.
    void FlushOutbox() {
        std::deque<HeldPublish> batch;
        {
            std::lock_guard lock(outbox_mutex_);
            if (outbox_.empty()) return;
            batch.swap(outbox_);
            flush_posted_ = false;
        }
        for (auto& publish : batch) {
            if (!connected_ || broken_ || stopping_) {
                held_.push_back(std::move(publish));
            } else {
                DoPublish(std::move(publish));
            }
        }
        if (connected_ && !broken_) WriteUnsent();
    }

    void WriteAll(const char* data, std::size_t size) {
        while (size > 0) {
            ssize_t n = ::send(raw_fd_, data, size, MSG_NOSIGNAL);
            if (n > 0) {
                data += n;
                size -= static_cast<std::size_t>(n);
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                pollfd p{raw_fd_, POLLOUT, 0};
                int ready = ::poll(&p, 1, 10000);  // the broker stopped reading for 10 s: give up
                if (ready > 0) continue;
                if (ready < 0 && errno == EINTR) continue;
                throw ConnectionLost("socket not writable for 10 s");
            }
            throw ConnectionLost(std::string("send: ") + std::strerror(n < 0 ? errno : EPIPE));
        }
    }

    // --- reading (I/O thread) --------------------------------------------------------------

    struct Assembly {
        bool is_return = false;
        std::string consumer_tag;
        uint64_t delivery_tag = 0;
        uint64_t size = 0;
        bool oversized = false;
        bool have_header = false;
        std::string body;
        std::string routing_key;
    };

    // Deliveries handed to consumers per lock hold, so publishers get the lock in between.
    static constexpr std::size_t kDeliveriesPerBurst = 256;

    // I/O thread: one wait is always queued on the epoll set (descriptor_), which reports the
    // socket unless a leader switched that off.
    void Watch() {
        descriptor_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                               [this](const boost::system::error_code& ec) {
                                   if (ec) return;  // shutting down
                                   Drain();
                                   Watch();
                                   // Frames that arrived after Drain's last read and before the
                                   // wait was queued raised no edge for it: look once more.
                                   if (WatchedSocketReadable()) DrainSoon();
                               });
    }

    // True when the I/O thread watches the socket (no leader) and it has bytes to read.
    bool WatchedSocketReadable() {
        int fd = -1;
        {
            std::lock_guard lock(mutex_);
            if (!connected_ || broken_ || leading_) return false;
            fd = watched_fd_;
        }
        pollfd p{fd, POLLIN, 0};
        return ::poll(&p, 1, 0) > 0 && (p.revents & POLLIN) != 0;
    }

    // Locked: the I/O thread's watch of the socket on or off. Off removes the socket from the
    // epoll set and on adds it again: adding checks readiness afresh and reports bytes already
    // there to the I/O thread, so a leader that stops leading needs no last look of its own.
    void SetWatch(bool on) {
        if (watched_fd_ < 0 || watching_ == on) return;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = watched_fd_;
        ::epoll_ctl(descriptor_.native_handle(), on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, watched_fd_, &ev);
        watching_ = on;
    }

    // Locked.
    void WakeLeaderLocked() {
        if (!leading_) return;
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
    }

public:
    void WakeLeader() override {
        std::lock_guard lock(mutex_);
        WakeLeaderLocked();
    }

    bool Lead(const std::function<bool()>& done, MonoTime until) override {
        const auto self = std::this_thread::get_id();
        int fd = -1;
        std::uint64_t generation = 0;
        {
            std::lock_guard lock(mutex_);
            if (leading_ || !connected_ || broken_ || stopping_ || raw_fd_ < 0 ||
                self == thread_.get_id()) {
                return false;
            }
            leading_ = true;
            leader_ = self;
            fd = raw_fd_;
            generation = generation_;
            SetWatch(false);
            std::uint64_t stale = 0;
            [[maybe_unused]] auto n = ::read(wake_fd_, &stale, sizeof stale);
        }
        ++leads_;
        while (!done()) {
            const auto now = MonoClock::now();
            if (now >= until) break;
            // Bounded, so a leader notices a torn-down connection even without a wake-up.
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - now);
            const int timeout = static_cast<int>(std::min<std::int64_t>(left.count(), 1000));
            pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
            const int n = ::poll(fds, 2, timeout);
            if (n < 0 && errno != EINTR) break;
            if (n <= 0) continue;
            if (fds[1].revents != 0) {
                std::uint64_t value = 0;
                [[maybe_unused]] auto r = ::read(wake_fd_, &value, sizeof value);
            }
            {
                std::lock_guard lock(mutex_);
                if (!connected_ || broken_ || generation_ != generation) break;
            }
            if (fds[0].revents & POLLNVAL) break;
            if (fds[0].revents != 0 && !Drain()) sched_yield();  // another thread is reading
        }
        {
            std::lock_guard lock(mutex_);
            leading_ = false;
            leader_ = {};
            // What arrived after this thread's last read reaches the I/O thread (SetWatch).
            if (connected_ && !broken_) SetWatch(true);
        }
        return true;
    }

    // For tests: how many times a thread led.
    std::uint64_t leads() const { return leads_.load(); }

private:
    void DrainSoon() {
        boost::asio::post(io_, [this] { Drain(); });
    }

    // The right to read and dispatch deliveries, held by one thread at a time (Drain takes it
    // when free, Remove waits for it); re-entrant, so a handler may unsubscribe. A drain asked
    // for while Remove held it runs when Remove lets go.
    class DrainRole {
    public:
        explicit DrainRole(AmqpTransport& t) : t_(t) {
            const auto self = std::this_thread::get_id();
            std::unique_lock lock(t_.drain_mutex_);
            if (t_.drainer_ == self) return;  // already ours: a handler unsubscribing
            t_.drain_idle_.wait(lock, [&] { return t_.drainer_ == std::thread::id(); });
            t_.drainer_ = self;
            owned_ = true;
        }
        ~DrainRole() {
            if (!owned_) return;
            bool again = false;
            {
                std::lock_guard lock(t_.drain_mutex_);
                t_.drainer_ = std::thread::id();
                again = std::exchange(t_.drain_again_, false);
                t_.drain_idle_.notify_all();
            }
            if (again) t_.DrainSoon();
        }
        DrainRole(const DrainRole&) = delete;
        DrainRole& operator=(const DrainRole&) = delete;

    private:
        AmqpTransport& t_;
        bool owned_ = false;
    };

    // Reads every frame the socket has: confirms settle their publishes, deliveries go to their
    // consumers once the lock is released, then the accepted ones are acked (multiple) and the
    // refused ones rejected. One thread drains at a time (the I/O thread or a leader): handlers
    // run in delivery order and acks go out in tag order. A thread that finds another draining
    // leaves it a note to read once more and returns false.
    bool Drain() {
        const auto self = std::this_thread::get_id();
        {
            std::lock_guard lock(drain_mutex_);
            if (drainer_ != std::thread::id()) {
                drain_again_ = true;
                return false;
            }
            drainer_ = self;
        }
        while (true) {
            DrainOnce();
            std::lock_guard lock(drain_mutex_);
            if (!drain_again_) {
                drainer_ = std::thread::id();
                drain_idle_.notify_all();
                break;
            }
            drain_again_ = false;
        }
        // Something a leader waits for may have been read here instead (a tick, DrainSoon).
        std::lock_guard lock(mutex_);
        if (leading_ && leader_ != self) WakeLeaderLocked();
        return true;
    }

    void DrainOnce() {
        while (true) {
            std::vector<Delivery> deliveries;
            std::uint64_t generation = 0;
            std::uint64_t removals = 0;
            bool more = false;
            {
                Locked lock(*this);
                if (!connected_ || broken_) return;
                generation = generation_;
                removals = removals_;
                try {
                    while (connected_ && !broken_) {
                        amqp_frame_t frame;
                        timeval zero{0, 0};
                        int status = amqp_simple_wait_frame_noblock(conn_, &frame, &zero);
                        if (status == AMQP_STATUS_TIMEOUT) break;
                        if (status != AMQP_STATUS_OK) throw ConnectionLost(amqp_error_string2(status));
                        HandleFrame(frame, deliveries);
                        if (deliveries.size() >= kDeliveriesPerBurst) {
                            more = true;
                            break;
                        }
                    }
                } catch (const ConnectionLost& e) {
                    MarkBroken(e.what());  // torn down on the I/O thread
                    return;  // undelivered messages come back from the broker
                } catch (const ChannelFailed& e) {
                    NOVA_LOG_WARN(Log(), log::kNoContext, "{}", e.what());
                    more = true;  // read on: frames may be left behind the channel.close
                }
            }
            std::vector<char> accepted(deliveries.size(), 0);
            // Ends after the acks went out: the work a handler queued is dispatched only once its
            // message is acked (at most once, as oslo).
            std::optional<DeliveryBurst> burst;
            if (!deliveries.empty()) burst.emplace();
            for (std::size_t i = 0; i < deliveries.size(); ++i) {
                auto& d = deliveries[i];
                if (removals_.load() != removals) {
                    // A handler unsubscribed a consumer: deliver only to those still there.
                    std::lock_guard lock(mutex_);
                    auto it = by_tag_.find(d.consumer_tag);
                    if (it == by_tag_.end() || generation_ != generation) d.handler.reset();
                }
                if (!d.handler) continue;  // its consumer is gone (not acked below)
                if (d.oversized) {
                    NOVA_LOG_ERROR(Log(), log::kNoContext,
                                   "Rejecting an oversized message on consumer {}", d.consumer_tag);
                } else {
                    try {
                        accepted[i] = (*d.handler)(std::move(d.body)) ? 1 : 0;
                    } catch (const std::exception& e) {
                        NOVA_LOG_ERROR(Log(), log::kNoContext, "Consumer failed on a message: {}",
                                       e.what());
                    }
                }
            }
            {
                Locked lock(*this);
                if (!connected_ || broken_ || generation_ != generation) return;
                const bool consumers_changed = removals_.load() != removals;
                try {
                    for (std::size_t i = 0; i < deliveries.size(); ++i) {
                        const auto& d = deliveries[i];
                        // A consumer that is gone had its channel closed, which gives the broker
                        // back what was not acked (another server gets it); an ack or reject on
                        // that channel now would be a connection error.
                        if (!d.handler || (consumers_changed && by_tag_.find(d.consumer_tag) == by_tag_.end())) {
                            continue;
                        }
                        if (accepted[i]) {
                            // Acked on arrival, as oslo does; consecutive acks go out as one
                            // ack(multiple) per channel (FlushAcks).
                            pending_acks_[d.channel] = d.delivery_tag;
                            continue;
                        }
                        FlushAcks(d.channel);
                        int status = amqp_basic_reject(conn_, d.channel, d.delivery_tag, 0);
                        if (status != AMQP_STATUS_OK) throw ConnectionLost(amqp_error_string2(status));
                    }
                    FlushAcks();
                    if (!more) amqp_maybe_release_buffers(conn_);
                } catch (const ConnectionLost& e) {
                    MarkBroken(e.what());
                    return;
                }
            }
            burst.reset();  // e.g. wakes the server's worker for the requests just queued
            if (!more) return;
        }
    }

    void HandleFrame(const amqp_frame_t& frame, std::vector<Delivery>& deliveries) {
        if (frame.frame_type == AMQP_FRAME_METHOD) {
            HandleMethod(frame.channel, frame.payload.method);
            return;
        }
        auto it = assembly_.find(frame.channel);
        if (it == assembly_.end()) return;  // content of something we do not track
        Assembly& a = it->second;
        if (frame.frame_type == AMQP_FRAME_HEADER) {
            a.size = frame.payload.properties.body_size;
            a.have_header = true;
            a.oversized = a.size > kMaxMessageBytes;
            if (!a.oversized) a.body.reserve(a.size);
        } else if (frame.frame_type == AMQP_FRAME_BODY) {
            const auto& fragment = frame.payload.body_fragment;
            if (!a.oversized) a.body.append(static_cast<const char*>(fragment.bytes), fragment.len);
            a.size -= std::min<uint64_t>(a.size, fragment.len);
        }
        if (a.have_header && a.size == 0) {
            Assembly done = std::move(a);
            assembly_.erase(it);
            if (done.is_return) {
                NOVA_LOG_WARN(Log(), log::kNoContext,
                              "The broker returned a message to {}: its queue no longer exists",
                              done.routing_key);
                return;
            }
            Delivery d;
            d.channel = frame.channel;
            d.delivery_tag = done.delivery_tag;
            d.oversized = done.oversized;
            if (auto consumer = by_tag_.find(done.consumer_tag); consumer != by_tag_.end()) {
                d.handler = consumer->second;
            }
            d.consumer_tag = std::move(done.consumer_tag);
            d.body = std::move(done.body);
            deliveries.push_back(std::move(d));
        }
    }

    void HandleMethod(amqp_channel_t channel, const amqp_method_t& method) {
        switch (method.id) {
            case AMQP_BASIC_DELIVER_METHOD: {
                auto* m = static_cast<amqp_basic_deliver_t*>(method.decoded);
                Assembly a;
                a.consumer_tag = ToString(m->consumer_tag);
                a.delivery_tag = m->delivery_tag;
                assembly_[channel] = std::move(a);
                break;
            }
            case AMQP_BASIC_RETURN_METHOD: {
                auto* m = static_cast<amqp_basic_return_t*>(method.decoded);
                Assembly a;
                a.is_return = true;
                a.routing_key = ToString(m->routing_key);
                assembly_[channel] = std::move(a);
                break;
            }
            case AMQP_BASIC_ACK_METHOD: {
                auto* m = static_cast<amqp_basic_ack_t*>(method.decoded);
                if (channel == kPublishChannel) {
                    confirms_.Settle(m->delivery_tag, m->multiple != 0, true, completions_);
                }
                break;
            }
            case AMQP_BASIC_NACK_METHOD: {
                auto* m = static_cast<amqp_basic_nack_t*>(method.decoded);
                if (channel == kPublishChannel) {
                    confirms_.Settle(m->delivery_tag, m->multiple != 0, false, completions_);
                }
                break;
            }
            case AMQP_BASIC_CANCEL_METHOD: {
                // The broker cancelled a consumer (its queue was deleted, a node went away):
                // start over on a fresh connection, which re-declares everything.
                throw ConnectionLost("the broker cancelled a consumer");
            }
            case AMQP_CHANNEL_CLOSE_METHOD: {
                auto* m = static_cast<amqp_channel_close_t*>(method.decoded);
                std::string text = std::to_string(m->reply_code) + " " + ToString(m->reply_text);
                amqp_channel_close_ok_t ok{};
                amqp_send_method(conn_, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
                if (channel == kPublishChannel) {
                    RecoverPublishChannel(text);
                    throw ChannelFailed("publishing channel closed by the broker: " + text);
                }
                throw ConnectionLost("consumer channel closed by the broker: " + text);
            }
            case AMQP_CONNECTION_CLOSE_METHOD: {
                auto* m = static_cast<amqp_connection_close_t*>(method.decoded);
                amqp_connection_close_ok_t ok{};
                amqp_send_method(conn_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
                throw ConnectionLost("closed by the broker: " + std::to_string(m->reply_code) +
                                     " " + ToString(m->reply_text));
            }
            case AMQP_CONNECTION_BLOCKED_METHOD:
                NOVA_LOG_WARN(Log(), log::kNoContext, "The broker blocked this connection");
                break;
            case AMQP_CONNECTION_UNBLOCKED_METHOD:
                NOVA_LOG_INFO(Log(), log::kNoContext, "The broker unblocked this connection");
                break;
            default:
                break;
        }
    }

    // Acks everything delivered on `channel` (all channels when 0) up to the last accepted tag.
    void FlushAcks(amqp_channel_t only = 0) {
        for (auto it = pending_acks_.begin(); it != pending_acks_.end();) {
            if (only != 0 && it->first != only) {
                ++it;
                continue;
            }
            int status = amqp_basic_ack(conn_, it->first, it->second, 1);
            it = pending_acks_.erase(it);
            if (status != AMQP_STATUS_OK) throw ConnectionLost(amqp_error_string2(status));
        }
    }

    // --- the tick: heartbeats and held publishes --------------------------------------------

    void StartTick() {
        tick_.expires_after(std::chrono::seconds(1));
        tick_.async_wait([this](const boost::system::error_code& ec) {
            if (ec || stopping_) return;
            Drain();  // sends a heartbeat when due; notices missed ones
            {
                Locked lock(*this);
                FlushOutbox();
                for (auto it = held_.begin(); it != held_.end();) {
                    if (it->options.deadline.Expired()) {
                        Fail(it->done, "no connection to the broker before the deadline");
                        it = held_.erase(it);
                    } else {
                        ++it;
                    }
                }
            }
            StartTick();
        });
    }

    TransportUrl url_;
    TransportOptions options_;
    boost::asio::io_context io_;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
    boost::asio::posix::stream_descriptor descriptor_;
    boost::asio::steady_timer tick_;
    boost::asio::steady_timer reconnect_timer_;
    std::thread thread_;
    std::unique_ptr<ReplyWaiter> replies_;
    std::string connection_name_;

    // I/O thread only:
    std::size_t host_index_ = 0;
    int attempt_ = 0;
    int reconnects_ = 0;

    // Under mutex_ (the connection lock):
    std::mutex mutex_;
    amqp_connection_state_t conn_ = nullptr;
    bool connected_ = false;
    bool broken_ = false;    // a publisher's write failed; the I/O thread will tear down
    bool stopping_ = false;
    std::uint64_t generation_ = 0;  // bumped per connection and per teardown
    std::atomic<std::uint64_t> removals_{0};  // bumped per unsubscribe
    int heartbeat_ = 0;
    std::size_t frame_max_ = 131072;
    int raw_fd_ = -1;  // the TCP socket, written directly; -1 on TLS
    std::string send_buffer_;           // frames of unsent_, written by WriteUnsent
    std::vector<HeldPublish> unsent_;   // encoded, not yet written, no delivery tag yet
    amqp_channel_t next_channel_ = kFirstConsumerChannel;
    std::vector<amqp_channel_t> free_channels_;
    uint64_t next_consumer_tag_ = 1;
    std::set<std::string> declared_;
    ConfirmTracker confirms_;
    std::vector<Completion> completions_;  // run when the lock is released
    std::deque<HeldPublish> held_;
    std::map<amqp_channel_t, uint64_t> pending_acks_;  // highest delivery tag to ack, per channel
    std::map<std::uint64_t, std::shared_ptr<Consumer>> consumers_;
    std::uint64_t next_consumer_id_ = 1;
    std::map<std::string, std::shared_ptr<DeliveryHandler>> by_tag_;
    std::map<amqp_channel_t, Assembly> assembly_;

    std::mutex outbox_mutex_;  // inner to mutex_ when both are held
    std::deque<HeldPublish> outbox_;  // pipelined publishes waiting for FlushOutbox
    bool flush_posted_ = false;

    std::mutex reply_mutex_;
    std::string reply_queue_;

    // Leader/follower (under mutex_): a thread in Lead() reads the socket; the I/O thread's
    // watch is off meanwhile.
    int watched_fd_ = -1;    // the socket, in the epoll set descriptor_ holds while watching_
    bool watching_ = false;
    bool leading_ = false;
    std::thread::id leader_;
    int wake_fd_ = -1;  // eventfd: wakes the leader
    std::atomic<std::uint64_t> leads_{0};

    // Who drains (drain_mutex_ is never held with mutex_ waiting on it).
    std::mutex drain_mutex_;
    std::condition_variable drain_idle_;
    std::thread::id drainer_;
    bool drain_again_ = false;

    friend class AmqpSubscription;
};

AmqpSubscription::~AmqpSubscription() { transport_->Remove(id_); }

}  // namespace

std::shared_ptr<Transport> MakeAmqpTransport(TransportUrl url, TransportOptions options) {
    return std::make_shared<AmqpTransport>(std::move(url), std::move(options));
}

}  // namespace nova::rpc
