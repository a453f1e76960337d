#include <doctest/doctest.h>

#include "fill_for_test.hpp"
#include "nova/common/error.hpp"
#include "nova/objects/instance.pb.h"
#include "nova/objects/object.hpp"
#include "nova/objects/options.pb.h"

using namespace nova;
using namespace nova::objects;

namespace {

objects::Instance Loaded() {
    objects::Instance inst;
    inst.set_uuid("5b3f0e0c-36f6-4a52-b9f3-6c1c8d1b2e10");
    inst.set_vm_state("active");
    inst.mutable_flavor()->set_memory_mb(512);
    (*inst.mutable_metadata())["a"] = "1";
    ResetChanges(inst, true);
    return inst;
}

}  // namespace

TEST_CASE("a fresh object reports what its setters touched") {
    objects::Instance inst;
    inst.set_host("h1");
    SetNull(inst, "task_state");
    CHECK(WhatChanged(inst) == std::set<std::string>{"host", "task_state"});
}

TEST_CASE("changes are relative to the last reset") {
    auto inst = Loaded();
    CHECK(WhatChanged(inst).empty());
    inst.set_vm_state("active");  // same value: no change
    CHECK(WhatChanged(inst).empty());
    inst.set_task_state("deleting");
    (*inst.mutable_metadata())["b"] = "2";
    CHECK(WhatChanged(inst) == std::set<std::string>{"metadata", "task_state"});
    ResetChanges(inst, std::set<std::string>{"metadata"});
    CHECK(WhatChanged(inst) == std::set<std::string>{"task_state"});
    ResetChanges(inst);
    CHECK(WhatChanged(inst).empty());
    SetNull(inst, "vm_state");
    CHECK(WhatChanged(inst) == std::set<std::string>{"vm_state"});
}

TEST_CASE("a changed child object changes its field") {
    auto inst = Loaded();
    inst.mutable_flavor()->set_memory_mb(1024);
    CHECK(WhatChanged(inst.flavor()) == std::set<std::string>{"memory_mb"});
    CHECK(WhatChanged(inst) == std::set<std::string>{"flavor"});
    ResetChanges(inst, true);
    CHECK(WhatChanged(inst).empty());
}

TEST_CASE("changes from the wire are kept and written back") {
    auto inst = Loaded();
    inst.set_host("h2");
    Json p = ToPrimitive(inst);
    CHECK(p["nova_object.changes"] == Json::array({"host"}));
    auto back = FromPrimitiveAs<objects::Instance>(p);
    CHECK(WhatChanged(back) == std::set<std::string>{"host"});
    back.set_node("n2");
    CHECK(WhatChanged(back) == std::set<std::string>{"host", "node"});
    ResetChanges(back);
    CHECK_FALSE(ToPrimitive(back).contains("nova_object.changes"));
}

TEST_CASE("marking a field changed by hand") {
    auto inst = Loaded();
    MarkChanged(inst, "metadata");
    CHECK(WhatChanged(inst) == std::set<std::string>{"metadata"});
    CHECK_THROWS_AS(MarkChanged(inst, "no_such"), InvalidInput);
}

TEST_CASE("a new object's changes are what a comparison with an empty baseline reports, for every type") {
    // WhatChanged names a new object's fields without comparing; the same object on top of
    // an empty baseline goes through the comparison, and both must agree.
    for (const auto* type : AllObjectTypes()) {
        CAPTURE(type->full_name());
        const auto* prototype = google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
        std::unique_ptr<Message> fresh(prototype->New());
        testing::FillAll(*fresh);
        for (const auto* f : ObjectFields(*type)) {
            if (f->options().GetExtension(nullable)) {
                SetNull(*fresh, f->name());  // None is a change too
                break;
            }
        }
        std::unique_ptr<Message> based(prototype->New());
        ResetChanges(*based);
        based->MergeFrom(*fresh);
        const auto fast = WhatChanged(*fresh);
        CHECK(fast.empty() == ObjectFields(*type).empty());
        CHECK(fast == WhatChanged(*based));
    }
}
