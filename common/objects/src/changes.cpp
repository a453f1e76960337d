// Change tracking by comparison with a baseline: the generated setters need no help, and an
// object that came off the wire keeps the changes its sender reported.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/message_differencer.h>

#include <memory>

#include "state.hpp"

namespace nova::objects {

using namespace detail;
using google::protobuf::util::MessageDifferencer;

namespace {

// Collects the top-level fields in which two messages differ.
class TopLevelFields : public MessageDifferencer::Reporter {
public:
    explicit TopLevelFields(std::set<std::string>& out) : out_(out) {}
    void ReportAdded(const Message&, const Message&,
                     const std::vector<MessageDifferencer::SpecificField>& path) override {
        Note(path);
    }
    void ReportDeleted(const Message&, const Message&,
                       const std::vector<MessageDifferencer::SpecificField>& path) override {
        Note(path);
    }
    void ReportModified(const Message&, const Message&,
                        const std::vector<MessageDifferencer::SpecificField>& path) override {
        Note(path);
    }

private:
    void Note(const std::vector<MessageDifferencer::SpecificField>& path) {
        if (!path.empty() && path[0].field && path[0].field->name() != "obj_state") {
            out_.insert(path[0].field->name());
        }
    }
    std::set<std::string>& out_;
};

// None-ness and set-but-empty live in the state; compare them field by field.
void StateDifferences(const ObjectState& now, const ObjectState& then,
                      std::set<std::string>& out) {
    auto both = [&out](const auto& a, const auto& b) {
        for (const auto& name : a) {
            if (!Contains(b, name)) out.insert(name);
        }
        for (const auto& name : b) {
            if (!Contains(a, name)) out.insert(name);
        }
    };
    both(now.null_fields(), then.null_fields());
    both(now.empty_fields(), then.empty_fields());
    for (const auto& [field, keys] : now.null_keys()) {
        auto it = then.null_keys().find(field);
        if (it == then.null_keys().end() ||
            !MessageDifferencer::Equals(keys, it->second)) {
            out.insert(field);
        }
    }
    for (const auto& [field, keys] : then.null_keys()) {
        if (!now.null_keys().contains(field)) out.insert(field);
    }
}

// The bytes of a baseline: deterministic (maps in key order), so that an object whose values
// are those of its baseline serializes to the same bytes and needs no field-by-field compare.
std::string BaselineBytes(const Message& stripped) {
    std::string out;
    {
        google::protobuf::io::StringOutputStream stream(&out);
        google::protobuf::io::CodedOutputStream coded(&stream);
        coded.SetSerializationDeterministic(true);
        stripped.SerializeToCodedStream(&coded);
    }
    return out;
}

std::unique_ptr<Message> Stripped(const Message& object) {
    std::unique_ptr<Message> copy(object.New());
    copy->CopyFrom(object);
    StripTracking(*copy);
    return copy;
}

}  // namespace

std::set<std::string> WhatChanged(const Message& object) {
    std::set<std::string> changed;
    const auto* state = State(object);
    if (state) changed.insert(state->changes().begin(), state->changes().end());
    if (!state || !state->has_baseline()) {
        // Without a baseline (a new object) every field that holds a value or None changed:
        // what a comparison with an empty message would report, without copying the object
        // (creates serialize new instances, specs and build requests several times each).
        // Its child objects' fields are named here already, so there is nothing to recurse for.
        std::vector<const FieldDescriptor*> present;
        object.GetReflection()->ListFields(object, &present);
        for (const auto* f : present) {
            if (f->name() != "obj_state") changed.insert(f->name());
        }
        StateDifferences(state ? *state : ObjectState::default_instance(), ObjectState::default_instance(), changed);
        return changed;
    }
    if (auto now = Stripped(object); BaselineBytes(*now) != state->baseline()) {
        // Equal bytes mean equal values; different ones may still be equal (a map's order), so
        // the comparison decides.
        std::unique_ptr<Message> then(object.New());
        then->ParseFromString(state->baseline());
        TopLevelFields reporter(changed);
        MessageDifferencer differ;
        differ.ReportDifferencesTo(&reporter);
        differ.Compare(*then, *now);
        const auto* then_state = State(*then);
        const auto* now_state = State(*now);
        StateDifferences(now_state ? *now_state : ObjectState::default_instance(),
                         then_state ? *then_state : ObjectState::default_instance(), changed);
    }
    // A child object with changes makes its field changed (Nova's obj_what_changed).
    const auto* r = object.GetReflection();
    for (const auto* f : ObjectFields(*object.GetDescriptor())) {
        if (!IsObjectField(*f) || changed.contains(f->name())) continue;
        if (!f->is_repeated()) {
            if (r->HasField(object, f) && !WhatChanged(r->GetMessage(object, f)).empty()) {
                changed.insert(f->name());
            }
        } else if (IsListObject(*object.GetDescriptor())) {
            for (int i = 0; i < r->FieldSize(object, f); ++i) {
                if (!WhatChanged(r->GetRepeatedMessage(object, f, i)).empty()) {
                    changed.insert(f->name());
                    break;
                }
            }
        }
    }
    return changed;
}

void ResetChanges(Message& object, bool recursive) {
    if (recursive) {
        const auto* r = object.GetReflection();
        for (const auto* f : ObjectFields(*object.GetDescriptor())) {
            if (!IsObjectField(*f)) continue;
            if (f->is_repeated()) {
                for (int i = 0; i < r->FieldSize(object, f); ++i) {
                    ResetChanges(*r->MutableRepeatedMessage(&object, f, i), true);
                }
            } else if (r->HasField(object, f)) {
                ResetChanges(*r->MutableMessage(&object, f), true);
            }
        }
    }
    auto& state = MutableState(object);
    state.clear_changes();
    state.set_baseline(BaselineBytes(*Stripped(object)));
    state.set_has_baseline(true);
}

void ResetChanges(Message& object, const std::set<std::string>& fields) {
    // Only `fields` stop counting: their current values go into the baseline, the others keep
    // their old baseline values.
    auto& state = MutableState(object);
    std::unique_ptr<Message> base(object.New());
    if (state.has_baseline()) base->ParseFromString(state.baseline());
    auto now = Stripped(object);
    auto* base_state = &MutableState(*base);
    const auto* now_state = State(*now);
    const auto* r = object.GetReflection();
    for (const auto& name : fields) {
        const auto& f = FieldOf(object, name);
        std::unique_ptr<Message> tmp(now->New());
        tmp->CopyFrom(*now);
        r->SwapFields(base.get(), tmp.get(), {&f});
        Remove(*base_state->mutable_null_fields(), name);
        Remove(*base_state->mutable_empty_fields(), name);
        base_state->mutable_null_keys()->erase(name);
        if (now_state) {
            if (Contains(now_state->null_fields(), name)) AddOnce(*base_state->mutable_null_fields(), name);
            if (Contains(now_state->empty_fields(), name)) AddOnce(*base_state->mutable_empty_fields(), name);
            auto it = now_state->null_keys().find(name);
            if (it != now_state->null_keys().end()) (*base_state->mutable_null_keys())[name] = it->second;
        }
        Remove(*state.mutable_changes(), name);
    }
    state.set_baseline(BaselineBytes(*base));
    state.set_has_baseline(true);
}

void MarkChanged(Message& object, std::string_view field) {
    FieldOf(object, field);
    AddOnce(*MutableState(object).mutable_changes(), field);
}

}  // namespace nova::objects
