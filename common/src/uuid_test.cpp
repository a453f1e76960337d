#include "nova/common/uuid.hpp"

#include <doctest/doctest.h>

#include <set>

namespace nova {

TEST_CASE("generated UUIDs are version 4, canonical and unique") {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        auto id = GenerateUuid();
        CHECK(IsUuidLike(id));
        CHECK(id[14] == '4');
        CHECK(std::string("89ab").find(id[19]) != std::string::npos);
        CHECK(seen.insert(id).second);
    }
}

TEST_CASE("hex form and request ids") {
    auto hex = GenerateUuidHex();
    CHECK(hex.size() == 32);
    CHECK(hex.find('-') == std::string::npos);
    auto rid = GenerateRequestId();
    CHECK(IsRequestIdLike(rid));
    CHECK_FALSE(IsRequestIdLike(rid.substr(4)));
}

TEST_CASE("IsUuidLike rejects near misses") {
    CHECK(IsUuidLike("7976944F-CFCC-46E8-B59A-A573B37CBD8D"));
    CHECK_FALSE(IsUuidLike("7976944fcfcc46e8b59aa573b37cbd8d"));
    CHECK_FALSE(IsUuidLike("7976944f-cfcc-46e8-b59a-a573b37cbd8"));
    CHECK_FALSE(IsUuidLike("7976944f-cfcc-46e8-b59a-a573b37cbd8g"));
    CHECK_FALSE(IsUuidLike("7976944f_cfcc-46e8-b59a-a573b37cbd8d"));
    CHECK_FALSE(IsUuidLike(""));
}

}  // namespace nova
