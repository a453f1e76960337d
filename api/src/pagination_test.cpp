#include "nova/api/pagination.hpp"

#include <doctest/doctest.h>

#include "nova/common/error.hpp"

using nova::api::LimitAndMarker;

TEST_CASE("pagination: limit is capped at max_limit, marker passed through") {
    auto page = LimitAndMarker({}, 1000);
    CHECK(page.limit == 1000);
    CHECK_FALSE(page.marker.has_value());
    CHECK(LimitAndMarker({{"limit", "5"}}, 1000).limit == 5);
    CHECK(LimitAndMarker({{"limit", "0"}}, 1000).limit == 0);
    CHECK(LimitAndMarker({{"limit", "5000"}}, 1000).limit == 1000);
    CHECK(LimitAndMarker({{"limit", "99999999999999999999999"}}, 1000).limit == 1000);
    CHECK(LimitAndMarker({{"limit", "5"}, {"limit", "7"}}, 1000).limit == 7);
    CHECK(*LimitAndMarker({{"marker", "abc"}}, 10).marker == "abc");
}

TEST_CASE("pagination: negative or non-integer limits are Nova's InvalidInput") {
    try {
        LimitAndMarker({{"limit", "-1"}}, 1000);
        FAIL("no error");
    } catch (const nova::InvalidInput& e) {
        CHECK(std::string(e.message()) == "Invalid input received: limit must be >= 0");
        CHECK(e.code() == 400);
    }
    try {
        LimitAndMarker({{"limit", "ten"}}, 1000);
        FAIL("no error");
    } catch (const nova::InvalidInput& e) {
        CHECK(std::string(e.message()) == "Invalid input received: limit must be an integer");
    }
}
