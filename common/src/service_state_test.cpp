#include "nova/common/service_state.hpp"

#include <doctest/doctest.h>

using namespace std::chrono_literals;

namespace nova {
namespace {

const WallTime kNow = WallTime{} + 1'000'000s;

TEST_CASE("a service is up while its last heartbeat is within service_down_time") {
    CHECK(IsServiceUp({.last_seen_up = kNow - 60s}, kNow, 60s));
    CHECK_FALSE(IsServiceUp({.last_seen_up = kNow - 61s}, kNow, 60s));
}

TEST_CASE("a heartbeat from a host whose clock runs ahead still counts, within the window") {
    CHECK(IsServiceUp({.last_seen_up = kNow + 30s}, kNow, 60s));
    CHECK_FALSE(IsServiceUp({.last_seen_up = kNow + 90s}, kNow, 60s));
}

TEST_CASE("before its first report a service is judged by created_at") {
    CHECK(IsServiceUp({.created_at = kNow - 10s}, kNow, 60s));
    CHECK_FALSE(IsServiceUp({.created_at = kNow - 100s}, kNow, 60s));
    // last_seen_up wins over created_at once present
    CHECK_FALSE(IsServiceUp({.last_seen_up = kNow - 100s, .created_at = kNow}, kNow, 60s));
}

TEST_CASE("a forced-down service is down whatever its heartbeat says") {
    CHECK_FALSE(IsServiceUp({.last_seen_up = kNow, .forced_down = true}, kNow, 60s));
}

TEST_CASE("a record without any timestamp is down") {
    CHECK_FALSE(IsServiceUp({}, kNow, 60s));
}

}  // namespace
}  // namespace nova
