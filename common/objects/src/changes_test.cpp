#include <doctest/doctest.h>
#include <utility>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "fill_for_test.hpp"
#include "nova/common/error.hpp"
#include "nova/objects/instance.pb.h"
#include "nova/objects/object.hpp"
#include "nova/objects/options.pb.h"
#include "state.hpp"

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

namespace {

// A new object of `type` with every field set, and its first nullable field None: None is a
// change too, and its None-ness belongs to a baseline.
std::unique_ptr<Message> FilledWithANone(const google::protobuf::Descriptor& type) {
    std::unique_ptr<Message> object(google::protobuf::MessageFactory::generated_factory()->GetPrototype(&type)->New());
    testing::FillAll(*object);
    for (const auto* f : ObjectFields(type)) {
        if (f->options().GetExtension(nullable)) {
            SetNull(*object, f->name());
            break;
        }
    }
    return object;
}

}  // namespace

TEST_CASE("a new object's changes are what a comparison with an empty baseline reports, for every type") {
    // WhatChanged names a new object's fields without comparing; the same object on top of
    // an empty baseline goes through the comparison, and both must agree.
    for (const auto* type : AllObjectTypes()) {
        CAPTURE(type->full_name());
        auto fresh = FilledWithANone(*type);
        std::unique_ptr<Message> based(fresh->New());
        ResetChanges(*based);
        based->MergeFrom(*fresh);
        const auto fast = WhatChanged(*fresh);
        CHECK(fast.empty() == ObjectFields(*type).empty());
        CHECK(fast == WhatChanged(*based));
    }
}

namespace {

// The definition of a baseline, the slow way: a copy of the object with the tracking of every
// state in it (changes, baseline, has_baseline) cleared, serialized deterministically.
void ClearTracking(Message& m) {
    if (const auto* f = m.GetDescriptor()->FindFieldByName("obj_state"); f && m.GetReflection()->HasField(m, f)) {
        auto& state = static_cast<ObjectState&>(*m.GetReflection()->MutableMessage(&m, f));
        state.clear_changes();
        state.clear_baseline();
        state.clear_has_baseline();
    }
    const auto* r = m.GetReflection();
    for (const auto* f : ObjectFields(*m.GetDescriptor())) {
        if (f->type() != FieldDescriptor::TYPE_MESSAGE || f->is_map() || !IsObject(*f->message_type())) continue;
        if (f->is_repeated()) {
            for (int i = 0; i < r->FieldSize(m, f); ++i) ClearTracking(*r->MutableRepeatedMessage(&m, f, i));
        } else if (r->HasField(m, f)) {
            ClearTracking(*r->MutableMessage(&m, f));
        }
    }
}

std::string StrippedCopyBytes(const Message& m) {
    std::unique_ptr<Message> copy(m.New());
    copy->CopyFrom(m);
    ClearTracking(*copy);
    std::string out;
    {
        google::protobuf::io::StringOutputStream stream(&out);
        google::protobuf::io::CodedOutputStream coded(&stream);
        coded.SetSerializationDeterministic(true);
        copy->SerializeToCodedStream(&coded);
    }
    return out;
}

}  // namespace

TEST_CASE("a baseline is the object's bytes without any state's tracking, for every type") {
    for (const auto* type : AllObjectTypes()) {
        CAPTURE(type->full_name());
        auto object = FilledWithANone(*type);
        // Child objects with baselines and changes of their own, which must not leak in.
        ResetChanges(*object, true);
        if (!ObjectFields(*type).empty()) MarkChanged(*object, ObjectFields(*type).front()->name());
        const std::string expected = StrippedCopyBytes(*object);
        // Both writers, and the in-place one leaves every state's tracking as it found it.
        CHECK(detail::StrippedBytes(std::as_const(*object)) == expected);
        const std::string whole = object->SerializeAsString();
        CHECK(detail::StrippedBytesInPlace(*object) == expected);
        CHECK(object->SerializeAsString() == whole);
        ResetChanges(*object);
        CHECK(detail::State(*object)->baseline() == expected);
        CHECK(WhatChanged(*object).empty());
    }
}

TEST_CASE("equal values give equal baselines whatever the order a map was filled in") {
    objects::Instance a = Loaded();
    objects::Instance b = Loaded();
    for (const char* key : {"z", "m", "b"}) (*a.mutable_metadata())[key] = key;
    for (const char* key : {"b", "z", "m"}) (*b.mutable_metadata())[key] = key;
    (*a.mutable_flavor()->mutable_extra_specs())["hw:cpu_policy"] = "dedicated";
    (*a.mutable_flavor()->mutable_extra_specs())["hw:mem_page_size"] = "large";
    (*b.mutable_flavor()->mutable_extra_specs())["hw:mem_page_size"] = "large";
    (*b.mutable_flavor()->mutable_extra_specs())["hw:cpu_policy"] = "dedicated";
    ResetChanges(a, true);
    ResetChanges(b, true);
    CHECK(detail::State(a)->baseline() == detail::State(b)->baseline());

    // A value changed and changed back: reported, then not.
    (*a.mutable_metadata())["m"] = "other";
    CHECK(WhatChanged(a) == std::set<std::string>{"metadata"});
    (*a.mutable_metadata())["m"] = "m";
    CHECK(WhatChanged(a).empty());
    a.mutable_flavor()->set_memory_mb(1024);
    CHECK(WhatChanged(a) == std::set<std::string>{"flavor"});
}
