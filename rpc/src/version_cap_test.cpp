#include "nova/rpc/version_cap.hpp"

#include <doctest/doctest.h>

#include "nova/common/error.hpp"

namespace nova::rpc {
namespace {

const ReleaseCaps kCaps{{"yoga", "6.0"}, {"zed", "6.1"}};

TEST_CASE("an upgrade level is a release alias, a version, or nothing") {
    CHECK_FALSE(ResolveVersionCap(std::nullopt, kCaps).has_value());
    CHECK_FALSE(ResolveVersionCap(std::string(), kCaps).has_value());
    CHECK(ResolveVersionCap(std::string("yoga"), kCaps) == "6.0");
    CHECK(ResolveVersionCap(std::string("6.0"), kCaps) == "6.0");
    CHECK_THROWS_AS(ResolveVersionCap(std::string("antelope"), kCaps), InvalidInput);
}

}  // namespace
}  // namespace nova::rpc
