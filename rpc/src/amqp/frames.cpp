#include "frames.hpp"

#include <algorithm>
#include <stdexcept>

namespace nova::rpc {
namespace {

constexpr unsigned char kFrameEnd = 0xCE;  // AMQP_FRAME_END
constexpr std::size_t kFrameHeader = 7;    // type, channel, payload size

void Put16(std::string& out, std::size_t at, std::uint16_t v) {
    out[at] = static_cast<char>(v >> 8);
    out[at + 1] = static_cast<char>(v & 0xff);
}

void Put32(std::string& out, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out[at + i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
}

void Put64(std::string& out, std::size_t at, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out[at + i] = static_cast<char>((v >> (56 - 8 * i)) & 0xff);
}

// Opens a frame of `type` with room for `capacity` payload bytes; returns where its header is.
std::size_t OpenFrame(std::string& out, std::uint8_t type, amqp_channel_t channel,
                      std::size_t capacity) {
    const std::size_t at = out.size();
    out.resize(at + kFrameHeader + capacity);
    out[at] = static_cast<char>(type);
    Put16(out, at + 1, channel);
    return at;
}

// Sets the payload size of the frame at `at` to `size`, drops unused room, adds the end octet.
void CloseFrame(std::string& out, std::size_t at, std::size_t size) {
    Put32(out, at + 3, static_cast<std::uint32_t>(size));
    out.resize(at + kFrameHeader + size);
    out.push_back(static_cast<char>(kFrameEnd));
}

}  // namespace

void AppendPublishFrames(std::string& out, amqp_channel_t channel, const amqp_basic_publish_t& method,
                         const amqp_basic_properties_t& properties, std::string_view body,
                         std::size_t frame_max) {
    if (frame_max <= kFrameHeader + 1) throw std::length_error("frame_max too small");
    // Method frame: method id, then the arguments (short strings are at most 255 bytes each).
    const std::size_t method_room = 4 + 2 + 256 + 256 + 1;
    std::size_t at = OpenFrame(out, AMQP_FRAME_METHOD, channel, method_room);
    Put32(out, at + kFrameHeader, AMQP_BASIC_PUBLISH_METHOD);
    int n = amqp_encode_method(AMQP_BASIC_PUBLISH_METHOD, const_cast<amqp_basic_publish_t*>(&method),
                               amqp_bytes_t{method_room - 4, out.data() + at + kFrameHeader + 4});
    if (n < 0) throw std::length_error(std::string("basic.publish: ") + amqp_error_string2(n));
    CloseFrame(out, at, 4 + static_cast<std::size_t>(n));

    // Content header: class, weight, body size, then the property flags and values.
    const std::size_t header_room = 12 + 1024;  // our properties: three short strings at most
    at = OpenFrame(out, AMQP_FRAME_HEADER, channel, header_room);
    Put16(out, at + kFrameHeader, AMQP_BASIC_CLASS);
    Put16(out, at + kFrameHeader + 2, 0);
    Put64(out, at + kFrameHeader + 4, body.size());
    n = amqp_encode_properties(AMQP_BASIC_CLASS, const_cast<amqp_basic_properties_t*>(&properties),
                               amqp_bytes_t{header_room - 12, out.data() + at + kFrameHeader + 12});
    if (n < 0) throw std::length_error(std::string("properties: ") + amqp_error_string2(n));
    CloseFrame(out, at, 12 + static_cast<std::size_t>(n));

    // Body frames.
    const std::size_t chunk = frame_max - kFrameHeader - 1;
    for (std::size_t offset = 0; offset < body.size(); offset += chunk) {
        const std::size_t len = std::min(chunk, body.size() - offset);
        at = OpenFrame(out, AMQP_FRAME_BODY, channel, 0);
        out.append(body.data() + offset, len);
        CloseFrame(out, at, len);
    }
}

}  // namespace nova::rpc
