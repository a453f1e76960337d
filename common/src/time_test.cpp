#include "nova/common/time.hpp"

#include <doctest/doctest.h>

namespace nova {

TEST_CASE("timestamps print in Nova's wire and API forms") {
    auto t = *timeutil::Parse("2026-11-25T08:53:12.185680Z");
    CHECK(timeutil::IsoZ(t) == "2026-11-25T08:53:12Z");
    CHECK(timeutil::IsoMicro(t) == "2026-11-25T08:53:12.185680");
    CHECK(timeutil::SpaceMicro(t) == "2026-11-25 08:53:12.185680");
    CHECK(timeutil::Sql(t) == "2026-11-25 08:53:12");
    CHECK(timeutil::IsoZ(timeutil::FloorSeconds(t)) == "2026-11-25T08:53:12Z");
}

TEST_CASE("the parser reads every form back, with offsets") {
    auto base = *timeutil::Parse("2026-11-25T08:53:12Z");
    CHECK(timeutil::Parse("2026-11-25 08:53:12") == base);
    CHECK(timeutil::Parse("2026-11-25T08:53:12") == base);
    CHECK(timeutil::Parse("2026-11-25T10:53:12+02:00") == base);
    CHECK(timeutil::Parse("2026-11-25T07:53:12-0100") == base);
    CHECK(timeutil::Parse("2026-11-25T08:53Z") == base - std::chrono::seconds(12));
    CHECK(timeutil::Parse("2026-11-25") == base - std::chrono::hours(8) -
                                               std::chrono::minutes(53) - std::chrono::seconds(12));
    auto frac = *timeutil::Parse("2026-11-25T08:53:12.5");
    CHECK(frac - base == std::chrono::milliseconds(500));
}

TEST_CASE("the parser refuses malformed dates") {
    CHECK_FALSE(timeutil::Parse("2026-02-31T00:00:00"));
    CHECK_FALSE(timeutil::Parse("2026-13-01"));
    CHECK_FALSE(timeutil::Parse("yesterday"));
    CHECK_FALSE(timeutil::Parse("2026-11-25T08:53:12Zjunk"));
    CHECK_FALSE(timeutil::Parse("2026-11-25T25:00:00"));
    CHECK_FALSE(timeutil::Parse("2026-11-25T08:53:12."));
    CHECK_FALSE(timeutil::Parse(""));
}

TEST_CASE("a manual clock moves only when told, and deadlines expire") {
    ManualClock clock;
    auto t0 = clock.Now();
    auto m0 = clock.Monotonic();
    clock.Advance(std::chrono::seconds(5));
    CHECK(clock.Now() - t0 == std::chrono::seconds(5));
    CHECK(clock.Monotonic() - m0 == std::chrono::seconds(5));
    CHECK(Deadline::After(std::chrono::seconds(-1)).Expired());
    CHECK_FALSE(Deadline::After(std::chrono::hours(1)).Expired());
    CHECK(Deadline::Never().IsNever());
    CHECK_FALSE(Deadline::Never().Expired());
    CHECK(Deadline::After(std::chrono::seconds(-1)).Remaining() == MonoClock::duration::zero());
}

}  // namespace nova
