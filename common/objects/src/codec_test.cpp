#include <doctest/doctest.h>
#include <google/protobuf/util/message_differencer.h>

#include "fill_for_test.hpp"
#include "nova/common/error.hpp"
#include "nova/objects/flavor.pb.h"
#include "nova/objects/instance.pb.h"
#include "nova/objects/object.hpp"

using namespace nova;
using namespace nova::objects;

TEST_CASE("every object type survives a round trip through its primitive") {
    REQUIRE(AllObjectTypes().size() > 80);
    for (const auto* type : AllObjectTypes()) {
        CAPTURE(type->name());
        std::unique_ptr<Message> obj(
            google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
        testing::FillAll(*obj);
        Json primitive = ToPrimitive(*obj);
        auto back = FromPrimitiveAny(primitive);
        CHECK(ToPrimitive(*back) == primitive);
        // Every field was set, so every field is in the primitive.
        CHECK(primitive["nova_object.data"].size() == ObjectFields(*type).size());
    }
}

TEST_CASE("None, unset and empty stay distinct") {
    objects::Instance inst;
    inst.set_uuid("2a1b9e8c-5f47-4d38-9a38-5f8c7cbd8b1e");
    SetNull(inst, "host");
    SetEmpty(inst, "metadata");
    Json p = ToPrimitive(inst);
    const auto& data = p["nova_object.data"];
    CHECK(data["uuid"] == "2a1b9e8c-5f47-4d38-9a38-5f8c7cbd8b1e");
    CHECK(data.contains("host"));
    CHECK(data["host"].is_null());
    CHECK(data["metadata"] == Json::object());
    CHECK_FALSE(data.contains("node"));
    CHECK_FALSE(data.contains("system_metadata"));

    auto back = FromPrimitiveAs<objects::Instance>(p);
    CHECK(IsNull(back, "host"));
    CHECK_FALSE(IsSet(back, "host"));
    CHECK(IsSet(back, "metadata"));
    CHECK_FALSE(IsSet(back, "node"));
    CHECK_FALSE(IsNull(back, "node"));
    // A value given through the generated setter wins over the old None.
    back.set_host("compute-1");
    CHECK(IsSet(back, "host"));
    CHECK_FALSE(IsNull(back, "host"));
    CHECK(ToPrimitive(back)["nova_object.data"]["host"] == "compute-1");
}

TEST_CASE("dict-of-nullable-strings keeps None values") {
    Json p = {{"nova_object.name", "Instance"},
              {"nova_object.namespace", "nova"},
              {"nova_object.version", "2.7"},
              {"nova_object.data", {{"system_metadata", {{"a", "x"}, {"b", nullptr}}}}}};
    auto inst = FromPrimitiveAs<objects::Instance>(p);
    CHECK(IsNullKey(inst, "system_metadata", "b"));
    CHECK(ToPrimitive(inst) == p);
    // None is refused in a dict of plain strings.
    Json bad = p;
    bad["nova_object.data"] = {{"metadata", {{"b", nullptr}}}};
    CHECK_THROWS_AS(FromPrimitiveAs<objects::Instance>(bad), InvalidInput);
}

TEST_CASE("datetimes use Nova's text and read fractions back") {
    objects::Flavor f;
    f.mutable_created_at()->set_seconds(1764060792);  // 2025-11-25T08:53:12Z
    CHECK(ToPrimitive(f)["nova_object.data"]["created_at"] == "2025-11-25T08:53:12Z");
    Json p = ToPrimitive(f);
    p["nova_object.data"]["created_at"] = "2025-11-25T08:53:12.250000Z";
    auto back = FromPrimitiveAs<objects::Flavor>(p);
    CHECK(back.created_at().nanos() == 250000000);
    CHECK(ToPrimitive(back)["nova_object.data"]["created_at"] == "2025-11-25T08:53:12.250000Z");
}

TEST_CASE("bad primitives are refused with a clear error") {
    Json good = {{"nova_object.name", "Flavor"},
                 {"nova_object.namespace", "nova"},
                 {"nova_object.version", "1.2"},
                 {"nova_object.data", {{"flavorid", "42"}, {"memory_mb", 512}}}};
    CHECK_NOTHROW(FromPrimitiveAs<objects::Flavor>(good));
    auto with = [&](auto edit) {
        Json p = good;
        edit(p);
        return p;
    };
    CHECK_THROWS_AS(FromPrimitiveAs<objects::Flavor>(with([](Json& p) {
                        p["nova_object.data"]["memory_mb"] = "512";
                    })),
                    InvalidInput);
    CHECK_THROWS_AS(FromPrimitiveAs<objects::Flavor>(with([](Json& p) {
                        p["nova_object.data"]["no_such_field"] = 1;
                    })),
                    InvalidInput);
    CHECK_THROWS_AS(FromPrimitiveAs<objects::Flavor>(with([](Json& p) {
                        p["nova_object.data"]["memory_mb"] = nullptr;  // not nullable
                    })),
                    InvalidInput);
    CHECK_THROWS_AS(FromPrimitiveAs<objects::Flavor>(with([](Json& p) {
                        p["nova_object.version"] = "1.3";
                    })),
                    IncompatibleObjectVersion);
    CHECK_THROWS_AS(FromPrimitiveAs<objects::Flavor>(with([](Json& p) {
                        p["nova_object.name"] = "Instance";
                    })),
                    InvalidInput);
    CHECK_THROWS_AS(FromPrimitiveAny(with([](Json& p) { p["nova_object.name"] = "Nope"; })),
                    InvalidInput);
}

TEST_CASE("an older version is kept and written back as received") {
    Json p = {{"nova_object.name", "Flavor"},
              {"nova_object.namespace", "nova"},
              {"nova_object.version", "1.1"},
              {"nova_object.data", {{"flavorid", "42"}}}};
    auto f = FromPrimitiveAs<objects::Flavor>(p);
    CHECK(DataVersion(f).ToString() == "1.1");
    CHECK(ToPrimitive(f) == p);
}
