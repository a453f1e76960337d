#include <doctest/doctest.h>

#include "fill_for_test.hpp"
#include "nova/common/error.hpp"
#include "nova/objects/instance.pb.h"
#include "nova/objects/object.hpp"
#include "nova/objects/options.pb.h"

using namespace nova;
using namespace nova::objects;

TEST_CASE("MakeCompatible drops exactly the fields newer than the target, for every type") {
    int checked = 0;
    for (const auto* type : AllObjectTypes()) {
        auto schema = SchemaVersion(*type);
        std::set<ObjectVersion> versions;
        for (const auto* f : ObjectFields(*type)) {
            versions.insert(ObjectVersion::Parse(f->options().GetExtension(since)));
        }
        for (auto introduced : versions) {
            if (introduced.minor == 0) continue;
            ObjectVersion target{introduced.major, introduced.minor - 1};
            CAPTURE(type->name());
            CAPTURE(target.ToString());
            std::unique_ptr<Message> obj(
                google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
            testing::FillAll(*obj, 0);
            MakeCompatible(*obj, target);
            for (const auto* f : ObjectFields(*type)) {
                if (f->message_type() && IsObject(*f->message_type())) continue;  // depth 0
                bool known = ObjectVersion::Parse(f->options().GetExtension(since)) <= target;
                CHECK_MESSAGE(IsSet(*obj, f->name()) == known, f->name());
            }
            Json p = ToPrimitive(*obj);
            CHECK(p["nova_object.version"] == target.ToString());
            CHECK(schema > target);
            ++checked;
        }
    }
    CHECK(checked > 50);
}

TEST_CASE("Instance 2.5 has no hidden and no resources") {
    objects::Instance inst;
    inst.set_uuid("0d5b5e53-6a3b-4dc9-a8a9-d1a1fba5c111");
    inst.set_hidden(false);
    SetNull(inst, "resources");
    inst.mutable_flavor()->set_memory_mb(64);
    MakeCompatible(inst, ObjectVersion::Parse("2.5"));
    Json data = ToPrimitive(inst)["nova_object.data"];
    CHECK(data.contains("uuid"));
    CHECK(data.contains("flavor"));
    CHECK_FALSE(data.contains("hidden"));
    CHECK_FALSE(data.contains("resources"));
}

TEST_CASE("MakeCompatible follows the manifest into child objects") {
    objects::Instance inst;
    inst.mutable_flavor()->set_description("d");
    inst.mutable_flavor()->set_memory_mb(64);
    VersionManifest manifest{{"Flavor", "1.1"}};
    MakeCompatible(inst, ObjectVersion::Parse("2.7"), &manifest);
    Json flavor = ToPrimitive(inst)["nova_object.data"]["flavor"];
    CHECK(flavor["nova_object.version"] == "1.1");
    CHECK_FALSE(flavor["nova_object.data"].contains("description"));
    CHECK(flavor["nova_object.data"]["memory_mb"] == 64);
}

TEST_CASE("MakeCompatible refuses versions it cannot produce") {
    objects::Instance inst;
    CHECK_THROWS_AS(MakeCompatible(inst, ObjectVersion::Parse("2.8")), IncompatibleObjectVersion);
    CHECK_THROWS_AS(MakeCompatible(inst, ObjectVersion::Parse("1.9")), IncompatibleObjectVersion);
    CHECK_THROWS_AS(ObjectVersion::Parse("2"), InvalidInput);
    CHECK(ObjectVersion::Parse("1.10") > ObjectVersion::Parse("1.9"));
}
