#include "nova/common/service_state.hpp"

#include <doctest/doctest.h>

using namespace std::chrono_literals;

namespace nova {
namespace {

const WallTime kNow = WallTime{} + 1'000'000s;

ServiceLiveness SeenAt(WallTime t) {
    ServiceLiveness s;
    s.last_seen_up = t;
    return s;
}

ServiceLiveness CreatedAt(WallTime t) {
    ServiceLiveness s;
    s.created_at = t;
    return s;
}

TEST_CASE("a service is up while its last heartbeat is within service_down_time") {
    CHECK(IsServiceUp(SeenAt(kNow - 60s), kNow, 60s));
    CHECK_FALSE(IsServiceUp(SeenAt(kNow - 61s), kNow, 60s));
}

TEST_CASE("a heartbeat from a host whose clock runs ahead still counts, within the window") {
    CHECK(IsServiceUp(SeenAt(kNow + 30s), kNow, 60s));
    CHECK_FALSE(IsServiceUp(SeenAt(kNow + 90s), kNow, 60s));
}

TEST_CASE("before its first report a service is judged by created_at") {
    CHECK(IsServiceUp(CreatedAt(kNow - 10s), kNow, 60s));
    CHECK_FALSE(IsServiceUp(CreatedAt(kNow - 100s), kNow, 60s));
    // last_seen_up wins over created_at once present
    auto stale = CreatedAt(kNow);
    stale.last_seen_up = kNow - 100s;
    CHECK_FALSE(IsServiceUp(stale, kNow, 60s));
}

TEST_CASE("a forced-down service is down whatever its heartbeat says") {
    auto forced = SeenAt(kNow);
    forced.forced_down = true;
    CHECK_FALSE(IsServiceUp(forced, kNow, 60s));
}

TEST_CASE("a record without any timestamp is down") {
    CHECK_FALSE(IsServiceUp(ServiceLiveness{}, kNow, 60s));
}

}  // namespace
}  // namespace nova
