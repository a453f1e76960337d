#pragma once
// Hand-assembled basic.publish frames: method, content header and body frame(s) of one publish
// in one buffer, so a publish is one write (rabbitmq-c's amqp_basic_publish makes three) and
// several publishes can go out together. The method arguments and properties are encoded by
// rabbitmq-c itself (amqp_encode_method / amqp_encode_properties); only the frame envelopes
// (type, channel, size, end octet) are written here. Private to the AMQP transport.
#include <amqp.h>
#include <amqp_framing.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace nova::rpc {

// Appends the frames of one basic.publish of `body` on `channel` to `out`. Body frames carry at
// most frame_max - 8 bytes each (the frame header and end octet count against frame_max).
// Throws std::length_error if the method or properties do not encode.
void AppendPublishFrames(std::string& out, amqp_channel_t channel, const amqp_basic_publish_t& method,
                         const amqp_basic_properties_t& properties, std::string_view body,
                         std::size_t frame_max);

}  // namespace nova::rpc
