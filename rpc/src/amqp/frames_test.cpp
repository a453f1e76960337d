#include "frames.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace nova::rpc {
namespace {

struct Frame {
    int type;
    int channel;
    std::string payload;
};

std::uint64_t Get(const std::string& s, std::size_t at, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
    return v;
}

// Splits a byte stream into frames, checking sizes and end octets.
std::vector<Frame> Split(const std::string& bytes) {
    std::vector<Frame> frames;
    std::size_t at = 0;
    while (at < bytes.size()) {
        REQUIRE(bytes.size() - at >= 8);
        const auto size = static_cast<std::size_t>(Get(bytes, at + 3, 4));
        REQUIRE(bytes.size() - at >= 8 + size);
        CHECK(static_cast<unsigned char>(bytes[at + 7 + size]) == 0xCE);
        frames.push_back(Frame{static_cast<int>(Get(bytes, at, 1)), static_cast<int>(Get(bytes, at + 1, 2)),
                               bytes.substr(at + 7, size)});
        at += 8 + size;
    }
    return frames;
}

amqp_bytes_t B(const std::string& s) { return amqp_bytes_t{s.size(), const_cast<char*>(s.data())}; }

TEST_CASE("publish frames: method, header and body decode as rabbitmq-c would send them") {
    const std::string exchange = "nova", key = "compute.host1", expiration = "60000";
    std::string body(300, 'b');
    body[0] = '{';
    amqp_basic_publish_t method{};
    method.exchange = B(exchange);
    method.routing_key = B(key);
    method.mandatory = 1;
    amqp_basic_properties_t props{};
    props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_CONTENT_ENCODING_FLAG |
                   AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_PRIORITY_FLAG | AMQP_BASIC_HEADERS_FLAG |
                   AMQP_BASIC_EXPIRATION_FLAG;
    props.content_type = amqp_cstring_bytes("application/json");
    props.content_encoding = amqp_cstring_bytes("utf-8");
    props.delivery_mode = 2;
    props.priority = 0;
    props.headers = amqp_empty_table;
    props.expiration = B(expiration);

    std::string out = "prefix";  // appends
    AppendPublishFrames(out, 2, method, props, body, 131072);
    REQUIRE(out.rfind("prefix", 0) == 0);
    auto frames = Split(out.substr(6));
    REQUIRE(frames.size() == 3);

    CHECK(frames[0].type == AMQP_FRAME_METHOD);
    CHECK(frames[0].channel == 2);
    CHECK(Get(frames[0].payload, 0, 4) == AMQP_BASIC_PUBLISH_METHOD);
    amqp_pool_t pool;
    init_amqp_pool(&pool, 4096);
    void* decoded = nullptr;
    REQUIRE(amqp_decode_method(AMQP_BASIC_PUBLISH_METHOD, &pool,
                               amqp_bytes_t{frames[0].payload.size() - 4, frames[0].payload.data() + 4},
                               &decoded) == 0);
    auto* m = static_cast<amqp_basic_publish_t*>(decoded);
    CHECK(std::string(static_cast<char*>(m->exchange.bytes), m->exchange.len) == exchange);
    CHECK(std::string(static_cast<char*>(m->routing_key.bytes), m->routing_key.len) == key);
    CHECK(m->mandatory == 1);
    CHECK(m->immediate == 0);

    CHECK(frames[1].type == AMQP_FRAME_HEADER);
    CHECK(frames[1].channel == 2);
    CHECK(Get(frames[1].payload, 0, 2) == AMQP_BASIC_CLASS);
    CHECK(Get(frames[1].payload, 2, 2) == 0);
    CHECK(Get(frames[1].payload, 4, 8) == body.size());
    REQUIRE(amqp_decode_properties(AMQP_BASIC_CLASS, &pool,
                                   amqp_bytes_t{frames[1].payload.size() - 12, frames[1].payload.data() + 12},
                                   &decoded) == 0);
    auto* p = static_cast<amqp_basic_properties_t*>(decoded);
    CHECK(p->_flags == props._flags);
    CHECK(std::string(static_cast<char*>(p->content_type.bytes), p->content_type.len) == "application/json");
    CHECK(std::string(static_cast<char*>(p->content_encoding.bytes), p->content_encoding.len) == "utf-8");
    CHECK(std::string(static_cast<char*>(p->expiration.bytes), p->expiration.len) == expiration);
    CHECK(p->delivery_mode == 2);
    CHECK(p->headers.num_entries == 0);
    empty_amqp_pool(&pool);

    CHECK(frames[2].type == AMQP_FRAME_BODY);
    CHECK(frames[2].payload == body);
}

TEST_CASE("publish frames: a body larger than a frame is split at frame_max - 8") {
    amqp_basic_publish_t method{};
    amqp_basic_properties_t props{};
    const std::string body(2500, 'z');
    std::string out;
    AppendPublishFrames(out, 7, method, props, body, 1024);
    auto frames = Split(out);
    REQUIRE(frames.size() == 2 + 3);
    CHECK(frames[2].payload.size() == 1016);
    CHECK(frames[3].payload.size() == 1016);
    CHECK(frames[4].payload.size() == 2500 - 2 * 1016);
    for (std::size_t i = 2; i < frames.size(); ++i) {
        CHECK(frames[i].type == AMQP_FRAME_BODY);
        CHECK(frames[i].channel == 7);
    }
    // An empty body has no body frame at all.
    out.clear();
    AppendPublishFrames(out, 7, method, props, "", 1024);
    CHECK(Split(out).size() == 2);
}

TEST_CASE("publish frames: an exchange name longer than a short string is refused") {
    const std::string longname(300, 'x');
    amqp_basic_publish_t method{};
    method.exchange = B(longname);
    amqp_basic_properties_t props{};
    std::string out;
    CHECK_THROWS_AS(AppendPublishFrames(out, 2, method, props, "{}", 131072), std::length_error);
}

}  // namespace
}  // namespace nova::rpc
