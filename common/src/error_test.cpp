#include "nova/common/error.hpp"

#include <doctest/doctest.h>

namespace nova {

TEST_CASE("a Nova error formats its template from kwargs and carries its code") {
    InstanceNotFound e({{"instance_id", "4d2f0c3e-7b1a-4c55-9e8f-0a1b2c3d4e5f"}});
    CHECK(e.message() == "Instance 4d2f0c3e-7b1a-4c55-9e8f-0a1b2c3d4e5f could not be found.");
    CHECK(std::string(e.what()) == e.message());
    CHECK(e.code() == 404);
    CHECK(e.kwargs()["code"] == 404);
    CHECK(e.kwargs()["instance_id"] == "4d2f0c3e-7b1a-4c55-9e8f-0a1b2c3d4e5f");
    CHECK(e.class_name() == "InstanceNotFound");
    CHECK(e.module() == "nova.exception");
}

TEST_CASE("children inherit code and template, and know their ancestry") {
    ComputeHostNotFound e({{"host", "h1"}});
    CHECK(e.code() == 404);
    CHECK(e.IsA("ComputeHostNotFound"));
    CHECK(e.IsA("HostNotFound"));
    CHECK(e.IsA("NotFound"));
    CHECK(e.IsA("NovaException"));
    CHECK_FALSE(e.IsA("Invalid"));
    UnexpectedTaskStateError t({{"instance_uuid", "u"}, {"expected", {"scheduling", nullptr}},
                                {"actual", "deleting"}});
    CHECK(t.message() ==
          "Conflict updating instance u. Expected: ['scheduling', None]. Actual: deleting");
    CHECK(t.code() == 409);
    CHECK(t.IsA("InstanceUpdateConflict"));
}

TEST_CASE("errors are caught by their C++ base class") {
    bool caught = false;
    try {
        throw FlavorNotFoundByName({{"flavor_name", "m1.tiny"}});
    } catch (const NotFound& e) {
        caught = true;
        CHECK(e.message() == "Flavor with name m1.tiny could not be found.");
    }
    CHECK(caught);
}

TEST_CASE("a missing kwarg keeps the bare template, as Nova does") {
    InstanceNotFound e;
    CHECK(e.message() == "Instance %(instance_id)s could not be found.");
}

TEST_CASE("an explicit message replaces the template") {
    auto e = NoValidHost::WithMessage("No valid host was found. There are not enough hosts available.");
    CHECK(e.message() == "No valid host was found. There are not enough hosts available.");
    CHECK(e.code() == 500);
}

TEST_CASE("errors rebuild by class name, with message and kwargs kept") {
    auto e = MakeErrorByName("InstanceNotFound", "Instance x could not be found.",
                             {{"instance_id", "x"}, {"code", 404}});
    REQUIRE(e);
    CHECK(e->class_name() == "InstanceNotFound");
    CHECK(e->message() == "Instance x could not be found.");
    CHECK(dynamic_cast<NotFound*>(e.get()) != nullptr);
    CHECK_THROWS_AS(e->Rethrow(), InstanceNotFound);
    CHECK(MakeErrorByName("NoSuchThing", "x", {}) == nullptr);
    auto base = MakeErrorByName("NovaException", "boom", {});
    REQUIRE(base);
    CHECK(base->message() == "boom");
}

TEST_CASE("oslo.messaging errors carry oslo's module names") {
    UnsupportedVersion e({{"version", "6.3"}, {"method", "ping_instance"}});
    CHECK(e.message() ==
          "Endpoint does not support RPC version 6.3. Attempted method: ping_instance");
    CHECK(e.module() == "oslo_messaging.rpc.dispatcher");
    NoSuchMethod m({{"method", "frobnicate"}});
    CHECK(m.message() == "Endpoint does not support RPC method frobnicate");
}

TEST_CASE("Python %-formatting: conversions, %%, and Python-style values") {
    CHECK(FormatPercentTemplate("%(a)s and %(b)d%%", {{"a", "x"}, {"b", 7}}) == "x and 7%");
    CHECK(FormatPercentTemplate("%(a)s", {{"a", nullptr}}) == "None");
    CHECK(FormatPercentTemplate("%(a)s", {{"a", true}}) == "True");
    CHECK(FormatPercentTemplate("%(a)r", {{"a", "it's"}}) == "'it\\'s'");
    CHECK(FormatPercentTemplate("%(a)s", {{"a", 1.0}}) == "1.0");
    CHECK(FormatPercentTemplate("%(a)s", {{"a", 0.5}}) == "0.5");
    CHECK(FormatPercentTemplate("%(a)s", {{"a", {{"k", 1}}}}) == "{'k': 1}");
    CHECK(FormatPercentTemplate("%(a)d", {{"a", "x"}}) == std::nullopt);
    CHECK(FormatPercentTemplate("%(a)s", Json::object()) == std::nullopt);
    CHECK(FormatPercentTemplate("%(a", {{"a", 1}}) == std::nullopt);
    CHECK(FormatPercentTemplate("100%", Json::object()) == std::nullopt);
}

}  // namespace nova
