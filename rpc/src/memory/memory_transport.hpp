#pragma once
// The in-memory transport (fake://, memory://): oslo's topology without a broker, for unit and
// in-process functional tests. Topic queues are shared by all their consumers (round-robin),
// fanout exchanges copy to every bound queue, reply queues are addressed directly, expired
// call requests are dropped, and unrouted messages vanish, as on RabbitMQ. Handlers run on
// the broker's one delivery thread, like the AMQP transport's I/O thread.
#include <boost/asio/io_context.hpp>

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "nova/rpc/transport.hpp"
#include "../reply_waiter.hpp"

namespace nova::rpc {

class MemoryBroker {
public:
    MemoryBroker();
    ~MemoryBroker();
    MemoryBroker(const MemoryBroker&) = delete;
    MemoryBroker& operator=(const MemoryBroker&) = delete;

    boost::asio::any_io_executor executor() { return io_.get_executor(); }

    void DeclareQueue(const std::string& queue);
    void DeleteQueue(const std::string& queue);
    void BindTopic(const std::string& exchange, const std::string& key, const std::string& queue);
    void BindFanout(const std::string& exchange, const std::string& queue);
    // Returns the number of queues the message went to.
    std::size_t Publish(const Destination& destination, const std::string& body,
                        std::optional<MonoTime> expires_at);
    // Adds a consumer of `queue`; returns its id.
    std::uint64_t Consume(const std::string& queue, DeliveryHandler handler);
    // Removes a consumer; once this returns its handler is not running and never runs again.
    void Cancel(std::uint64_t consumer);
    // Messages waiting in `queue` (0 when it does not exist).
    std::size_t Depth(const std::string& queue);

private:
    struct Message {
        std::string body;
        std::optional<MonoTime> expires_at;
    };
    struct Queue {
        std::deque<Message> messages;
        std::vector<std::uint64_t> consumers;
        std::size_t next = 0;
    };
    void Enqueue(const std::string& queue, Message message);  // with mutex_ held
    void Pump(const std::string& queue);                      // on the delivery thread

    boost::asio::io_context io_;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
    std::thread thread_;
    std::mutex mutex_;
    std::map<std::string, Queue> queues_;
    std::map<std::pair<std::string, std::string>, std::set<std::string>> topic_bindings_;
    std::map<std::string, std::set<std::string>> fanout_bindings_;
    std::map<std::uint64_t, std::shared_ptr<DeliveryHandler>> consumers_;
    std::uint64_t next_consumer_ = 1;
};

class MemoryTransport final : public Transport {
public:
    MemoryTransport(std::shared_ptr<MemoryBroker> broker, TransportOptions options);
    ~MemoryTransport() override;

    void Publish(const Destination& destination, std::string body, const PublishOptions& options,
                 PublishDone done) override;
    std::unique_ptr<Subscription> SubscribeRpc(const std::string& exchange,
                                               const std::string& topic,
                                               const std::string& server,
                                               DeliveryHandler handler) override;
    std::unique_ptr<Subscription> SubscribeNotifications(const std::string& exchange,
                                                         const std::string& queue,
                                                         DeliveryHandler handler) override;
    std::string ReplyQueue() override;
    ReplyWaiter& Replies() override { return *replies_; }
    const TransportOptions& options() const override { return options_; }

    MemoryBroker& broker() { return *broker_; }

private:
    std::shared_ptr<MemoryBroker> broker_;
    TransportOptions options_;
    std::unique_ptr<ReplyWaiter> replies_;
    std::mutex mutex_;
    std::string reply_queue_;
    std::unique_ptr<Subscription> reply_subscription_;
};

}  // namespace nova::rpc
