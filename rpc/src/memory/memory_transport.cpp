#include "memory_transport.hpp"

#include <boost/asio/post.hpp>

#include <future>

#include "nova/common/error.hpp"
#include "nova/common/log.hpp"
#include "nova/common/uuid.hpp"
#include "nova/rpc/wire.hpp"

namespace nova::rpc {
namespace {

spdlog::logger& Log() { return log::Get("nova.rpc.memory"); }

class MemorySubscription final : public Subscription {
public:
    MemorySubscription(std::shared_ptr<MemoryBroker> broker, std::vector<std::uint64_t> consumers,
                       std::optional<std::string> delete_queue)
        : broker_(std::move(broker)), consumers_(std::move(consumers)),
          delete_queue_(std::move(delete_queue)) {}
    ~MemorySubscription() override {
        for (auto id : consumers_) broker_->Cancel(id);
        if (delete_queue_) broker_->DeleteQueue(*delete_queue_);
    }

private:
    std::shared_ptr<MemoryBroker> broker_;
    std::vector<std::uint64_t> consumers_;
    std::optional<std::string> delete_queue_;
};

}  // namespace

MemoryBroker::MemoryBroker() {
    work_.emplace(io_.get_executor());
    thread_ = std::thread([this] { io_.run(); });
}

MemoryBroker::~MemoryBroker() {
    work_.reset();
    io_.stop();
    if (thread_.joinable()) {
        if (thread_.get_id() == std::this_thread::get_id()) {
            thread_.detach();
        } else {
            thread_.join();
        }
    }
}

void MemoryBroker::DeclareQueue(const std::string& queue) {
    std::lock_guard lock(mutex_);
    queues_[queue];
}

void MemoryBroker::DeleteQueue(const std::string& queue) {
    std::lock_guard lock(mutex_);
    queues_.erase(queue);
    for (auto& [key, targets] : topic_bindings_) targets.erase(queue);
    for (auto& [key, targets] : fanout_bindings_) targets.erase(queue);
}

void MemoryBroker::BindTopic(const std::string& exchange, const std::string& key,
                             const std::string& queue) {
    std::lock_guard lock(mutex_);
    topic_bindings_[{exchange, key}].insert(queue);
}

void MemoryBroker::BindFanout(const std::string& exchange, const std::string& queue) {
    std::lock_guard lock(mutex_);
    fanout_bindings_[exchange].insert(queue);
}

void MemoryBroker::Enqueue(const std::string& queue, Message message) {
    auto it = queues_.find(queue);
    if (it == queues_.end()) return;
    it->second.messages.push_back(std::move(message));
    boost::asio::post(io_, [this, queue] { Pump(queue); });
}

std::size_t MemoryBroker::Publish(const Destination& destination, const std::string& body,
                                  std::optional<MonoTime> expires_at) {
    std::lock_guard lock(mutex_);
    std::set<std::string> targets;
    switch (destination.kind) {
        case Destination::Kind::kNotification:
            queues_[destination.routing_key];
            topic_bindings_[{destination.exchange, destination.routing_key}].insert(
                destination.routing_key);
            [[fallthrough]];
        case Destination::Kind::kTopic: {
            auto it = topic_bindings_.find({destination.exchange, destination.routing_key});
            if (it != topic_bindings_.end()) targets = it->second;
            break;
        }
        case Destination::Kind::kFanout: {
            auto it = fanout_bindings_.find(destination.routing_key + "_fanout");
            if (it != fanout_bindings_.end()) targets = it->second;
            break;
        }
        case Destination::Kind::kReply:
            if (queues_.count(destination.routing_key)) targets.insert(destination.routing_key);
            break;
    }
    for (const auto& queue : targets) Enqueue(queue, Message{body, expires_at});
    return targets.size();
}

std::uint64_t MemoryBroker::Consume(const std::string& queue, DeliveryHandler handler) {
    std::lock_guard lock(mutex_);
    std::uint64_t id = next_consumer_++;
    consumers_[id] = std::make_shared<DeliveryHandler>(std::move(handler));
    queues_[queue].consumers.push_back(id);
    boost::asio::post(io_, [this, queue] { Pump(queue); });
    return id;
}

void MemoryBroker::Cancel(std::uint64_t consumer) {
    auto remove = [this, consumer] {
        std::lock_guard lock(mutex_);
        consumers_.erase(consumer);
        for (auto& [name, queue] : queues_) {
            std::erase(queue.consumers, consumer);
        }
    };
    if (thread_.get_id() == std::this_thread::get_id()) {
        remove();
        return;
    }
    // Removing on the delivery thread guarantees the handler is not running afterwards.
    std::promise<void> done;
    boost::asio::post(io_, [&] {
        remove();
        done.set_value();
    });
    done.get_future().wait();
}

std::size_t MemoryBroker::Depth(const std::string& queue) {
    std::lock_guard lock(mutex_);
    auto it = queues_.find(queue);
    return it == queues_.end() ? 0 : it->second.messages.size();
}

void MemoryBroker::Pump(const std::string& name) {
    while (true) {
        std::shared_ptr<DeliveryHandler> handler;
        Message message;
        {
            std::lock_guard lock(mutex_);
            auto it = queues_.find(name);
            if (it == queues_.end()) return;
            Queue& queue = it->second;
            if (queue.messages.empty() || queue.consumers.empty()) return;
            message = std::move(queue.messages.front());
            queue.messages.pop_front();
            if (message.expires_at && MonoClock::now() >= *message.expires_at) continue;
            std::uint64_t id = queue.consumers[queue.next++ % queue.consumers.size()];
            handler = consumers_.at(id);
        }
        if (!(*handler)(std::move(message.body))) {
            NOVA_LOG_DEBUG(Log(), log::kNoContext, "A consumer of {} rejected a message", name);
        }
    }
}

// --- MemoryTransport ----------------------------------------------------------------------

MemoryTransport::MemoryTransport(std::shared_ptr<MemoryBroker> broker, TransportOptions options)
    : broker_(std::move(broker)),
      options_(std::move(options)),
      replies_(std::make_unique<ReplyWaiter>(broker_->executor())) {}

MemoryTransport::~MemoryTransport() {
    reply_subscription_.reset();
    replies_.reset();
}

void MemoryTransport::Publish(const Destination& destination, std::string body,
                              const PublishOptions& options, PublishDone done) {
    std::optional<MonoTime> expires_at;
    if (options.expiration) expires_at = MonoClock::now() + *options.expiration;
    std::exception_ptr error;
    if (body.size() > kMaxMessageBytes) {
        error = std::make_exception_ptr(
            MessageDeliveryFailure({{"reason", "message larger than the broker accepts"}}));
    } else {
        std::size_t routed = broker_->Publish(destination, body, expires_at);
        if (routed == 0 && destination.kind == Destination::Kind::kReply) {
            NOVA_LOG_WARN(Log(), log::kNoContext, "Reply queue {} does not exist; reply dropped",
                          destination.routing_key);
        }
    }
    // The confirm arrives asynchronously, as from a broker.
    boost::asio::post(broker_->executor(), [done = std::move(done), error] {
        if (done) done(error);
    });
}

std::unique_ptr<Subscription> MemoryTransport::SubscribeRpc(const std::string& exchange,
                                                            const std::string& topic,
                                                            const std::string& server,
                                                            DeliveryHandler handler) {
    const std::string server_queue = topic + "." + server;
    const std::string fanout_queue = topic + "_fanout_" + GenerateUuidHex();
    broker_->DeclareQueue(topic);
    broker_->BindTopic(exchange, topic, topic);
    broker_->DeclareQueue(server_queue);
    broker_->BindTopic(exchange, server_queue, server_queue);
    broker_->DeclareQueue(fanout_queue);
    broker_->BindFanout(topic + "_fanout", fanout_queue);
    auto shared = std::make_shared<DeliveryHandler>(std::move(handler));
    auto forward = [shared](std::string body) { return (*shared)(std::move(body)); };
    std::vector<std::uint64_t> consumers = {broker_->Consume(topic, forward),
                                            broker_->Consume(server_queue, forward),
                                            broker_->Consume(fanout_queue, forward)};
    return std::make_unique<MemorySubscription>(broker_, std::move(consumers), fanout_queue);
}

std::unique_ptr<Subscription> MemoryTransport::SubscribeNotifications(const std::string& exchange,
                                                                      const std::string& queue,
                                                                      DeliveryHandler handler) {
    broker_->DeclareQueue(queue);
    broker_->BindTopic(exchange, queue, queue);
    std::vector<std::uint64_t> consumers = {broker_->Consume(queue, std::move(handler))};
    return std::make_unique<MemorySubscription>(broker_, std::move(consumers), std::nullopt);
}

std::string MemoryTransport::ReplyQueue() {
    std::lock_guard lock(mutex_);
    if (reply_queue_.empty()) {
        reply_queue_ = "reply_" + GenerateUuidHex();
        broker_->DeclareQueue(reply_queue_);
        ReplyWaiter* waiter = replies_.get();
        reply_subscription_ = std::make_unique<MemorySubscription>(
            broker_,
            std::vector<std::uint64_t>{broker_->Consume(
                reply_queue_, [waiter](std::string body) { return waiter->Deliver(std::move(body)); })},
            std::nullopt);
    }
    return reply_queue_;
}

}  // namespace nova::rpc
