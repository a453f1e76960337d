#include "nova/api/microversion.hpp"

#include <doctest/doctest.h>

using nova::api::ApiVersion;
using nova::api::NegotiateVersion;
using Outcome = nova::api::VersionNegotiation::Outcome;

TEST_CASE("microversion: parsing follows ^([1-9]\\d*)\\.([1-9]\\d*|0)$") {
    CHECK(ApiVersion::Parse("2.1") == ApiVersion{2, 1});
    CHECK(ApiVersion::Parse("2.93") == ApiVersion{2, 93});
    CHECK(ApiVersion::Parse("3.0") == ApiVersion{3, 0});
    for (const char* bad : {"2", "2.", ".1", "02.1", "2.01", "2.x", "latest2", "2.1.1", " 2.1", "-2.1", ""}) {
        CAPTURE(bad);
        CHECK_FALSE(ApiVersion::Parse(bad).has_value());
    }
    CHECK(ApiVersion{2, 10} > ApiVersion{2, 9});
}

TEST_CASE("microversion: no header is 2.1, latest is 2.93") {
    CHECK(NegotiateVersion(std::nullopt, std::nullopt).version == ApiVersion{2, 1});
    CHECK(NegotiateVersion(std::string("compute latest"), std::nullopt).version == ApiVersion{2, 93});
    CHECK(NegotiateVersion(std::nullopt, std::string("latest")).version == ApiVersion{2, 93});
}

TEST_CASE("microversion: the standard header wins over the legacy one") {
    auto n = NegotiateVersion(std::string("compute 2.30"), std::string("2.20"));
    CHECK(n.outcome == Outcome::kOk);
    CHECK(n.version == ApiVersion{2, 30});
    // No compute entry: as if absent, the legacy header decides.
    CHECK(NegotiateVersion(std::string("volume 3.0"), std::string("2.20")).version == ApiVersion{2, 20});
    CHECK(NegotiateVersion(std::string("volume 3.0"), std::nullopt).version == ApiVersion{2, 1});
    // Several services, repeated headers folded with ',': the last compute entry.
    CHECK(NegotiateVersion(std::string("compute 2.30, volume 3.2"), std::nullopt).version == ApiVersion{2, 30});
    CHECK(NegotiateVersion(std::string("compute 2.10,compute 2.40"), std::nullopt).version == ApiVersion{2, 40});
    CHECK(NegotiateVersion(std::string("COMPUTE 2.5"), std::nullopt).version == ApiVersion{2, 5});
    CHECK(NegotiateVersion(std::nullopt, std::string("2.3,2.7")).version == ApiVersion{2, 7});
}

TEST_CASE("microversion: bad format and out of range") {
    auto bad = NegotiateVersion(std::string("compute latest2"), std::nullopt);
    CHECK(bad.outcome == Outcome::kInvalidFormat);
    CHECK(bad.requested == "latest2");
    CHECK(NegotiateVersion(std::string("compute LATEST"), std::nullopt).outcome == Outcome::kInvalidFormat);
    CHECK(NegotiateVersion(std::string("compute 2.30 extra"), std::nullopt).outcome == Outcome::kInvalidFormat);
    auto high = NegotiateVersion(std::string("compute 2.999"), std::nullopt);
    CHECK(high.outcome == Outcome::kOutOfRange);
    CHECK(high.version == ApiVersion{2, 999});
    CHECK(NegotiateVersion(std::nullopt, std::string("2.0")).outcome == Outcome::kOutOfRange);
    CHECK(NegotiateVersion(std::nullopt, std::string("2.94")).outcome == Outcome::kOutOfRange);
    CHECK(NegotiateVersion(std::nullopt, std::string("2.93")).outcome == Outcome::kOk);
}
