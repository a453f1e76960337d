#pragma once
// The RabbitMQ transport (rabbit://): rabbitmq-c driven by Boost.Asio. Private to nova::rpc;
// rabbitmq-c stays inside amqp_transport.cpp.
#include <memory>

#include "nova/rpc/transport.hpp"

namespace nova::rpc {

std::shared_ptr<Transport> MakeAmqpTransport(TransportUrl url, TransportOptions options);

}  // namespace nova::rpc
