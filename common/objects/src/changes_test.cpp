#include <doctest/doctest.h>

#include "nova/common/error.hpp"
#include "nova/objects/instance.pb.h"
#include "nova/objects/object.hpp"

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
