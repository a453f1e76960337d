// Change tracking by comparison with a baseline: the generated setters need no help, and an
// object that came off the wire keeps the changes its sender reported.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/wire_format.h>
#include <google/protobuf/wire_format_lite.h>

#include <memory>

#include "state.hpp"

namespace nova::objects {

using namespace detail;
using google::protobuf::internal::WireFormat;
using google::protobuf::internal::WireFormatLite;
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

void WriteNested(int number, const std::string& bytes,
                 google::protobuf::io::CodedOutputStream& out) {
    WireFormatLite::WriteTag(number, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, &out);
    out.WriteVarint32(static_cast<std::uint32_t>(bytes.size()));
    out.WriteString(bytes);
}

template <typename Write>
std::string Written(Write&& write) {
    std::string bytes;
    {
        google::protobuf::io::StringOutputStream stream(&bytes);
        google::protobuf::io::CodedOutputStream coded(&stream);
        coded.SetSerializationDeterministic(true);
        write(coded);
    }
    return bytes;
}

// A baseline: the object's wire bytes with the tracking of every ObjectState in it (changes,
// baseline, has_baseline) left out, so that a baseline never holds older baselines.
// Deterministic (map entries in key order): an object whose values are those of its baseline
// writes the same bytes and needs no field-by-field compare. Written straight from the
// object: copying it to strip the tracking cost more than all the rest of change tracking.
void WriteStripped(const Message& object, google::protobuf::io::CodedOutputStream& out) {
    const auto& facts = Facts(*object.GetDescriptor());
    const auto* r = object.GetReflection();
    std::vector<const FieldDescriptor*> present;
    r->ListFields(object, &present);  // in field number order, as protobuf writes them
    for (const auto* f : present) {
        if (f == facts.state) {
            const auto& state = static_cast<const ObjectState&>(r->GetMessage(object, f));
            ObjectState values;
            *values.mutable_null_fields() = state.null_fields();
            *values.mutable_empty_fields() = state.empty_fields();
            *values.mutable_null_keys() = state.null_keys();
            values.set_version(state.version());
            WriteNested(f->number(), Written([&](auto& o) { values.SerializeToCodedStream(&o); }), out);
        } else if (IsObjectField(*f)) {
            auto child = [&](const Message& m) {
                WriteNested(f->number(), Written([&](auto& o) { WriteStripped(m, o); }), out);
            };
            if (f->is_repeated()) {
                for (int i = 0; i < r->FieldSize(object, f); ++i) child(r->GetRepeatedMessage(object, f, i));
            } else {
                child(r->GetMessage(object, f));
            }
        } else {
            // Sizes were cached by StrippedBytes' ByteSizeLong over the whole tree.
            WireFormat::SerializeFieldWithCachedSizes(f, object, &out);
        }
    }
    // As the generated serializer does (an object has none unless parsed from a newer schema).
    WireFormat::SerializeUnknownFields(r->GetUnknownFields(object), &out);
}

// The tracking of every state in an object and its child objects, moved out of the way and
// put back (nothing copied), so that the generated serializer, several times faster than
// writing field by field through reflection, writes the object's baseline.
class TrackingSetAside {
public:
    explicit TrackingSetAside(Message& object) {
        try {
            Take(object);
        } catch (...) {
            PutBack();  // what was taken before the failure
            throw;
        }
    }
    ~TrackingSetAside() { PutBack(); }
    TrackingSetAside(const TrackingSetAside&) = delete;
    TrackingSetAside& operator=(const TrackingSetAside&) = delete;

private:
    struct Taken {
        ObjectState* state;
        google::protobuf::RepeatedPtrField<std::string> changes;
        std::string baseline;
        bool has_baseline;
    };

    void PutBack() {
        for (auto& taken : taken_) {
            taken.state->mutable_changes()->Swap(&taken.changes);
            taken.state->mutable_baseline()->swap(taken.baseline);
            taken.state->set_has_baseline(taken.has_baseline);
        }
        taken_.clear();
    }

    void Take(Message& object) {
        const auto& facts = Facts(*object.GetDescriptor());
        const auto* r = object.GetReflection();
        if (facts.state && r->HasField(object, facts.state)) {
            auto* state = static_cast<ObjectState*>(r->MutableMessage(&object, facts.state));
            auto& taken = taken_.emplace_back(Taken{state, {}, {}, state->has_baseline()});
            taken.changes.Swap(state->mutable_changes());
            taken.baseline.swap(*state->mutable_baseline());
            state->clear_has_baseline();
        }
        for (const auto* f : facts.object_fields) {
            if (f->is_repeated()) {
                for (int i = 0; i < r->FieldSize(object, f); ++i) Take(*r->MutableRepeatedMessage(&object, f, i));
            } else if (r->HasField(object, f)) {
                Take(*r->MutableMessage(&object, f));
            }
        }
    }

    std::vector<Taken> taken_;
};

}  // namespace

namespace detail {

std::string StrippedBytes(const Message& object) {
    object.ByteSizeLong();  // caches the size of every nested message, which the writer uses
    return Written([&](auto& o) { WriteStripped(object, o); });
}

std::string StrippedBytesInPlace(Message& object) {
    TrackingSetAside aside(object);
    return Written([&](auto& o) { object.SerializeToCodedStream(&o); });
}

}  // namespace detail

namespace {

// The object as its baseline would hold it, as a message (for the field-by-field compare).
std::unique_ptr<Message> FromBaseline(const Message& type, const std::string& bytes) {
    std::unique_ptr<Message> message(type.New());
    message->ParseFromString(bytes);
    return message;
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
    if (const auto bytes = StrippedBytes(object); bytes != state->baseline()) {
        // Equal bytes mean equal values; different ones may still be equal (a double's -0.0),
        // so the comparison decides.
        auto now = FromBaseline(object, bytes);
        auto then = FromBaseline(object, state->baseline());
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
    for (const auto* f : Facts(*object.GetDescriptor()).object_fields) {
        if (changed.contains(f->name())) continue;
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
        for (const auto* f : Facts(*object.GetDescriptor()).object_fields) {
            if (f->is_repeated()) {
                for (int i = 0; i < r->FieldSize(object, f); ++i) {
                    ResetChanges(*r->MutableRepeatedMessage(&object, f, i), true);
                }
            } else if (r->HasField(object, f)) {
                ResetChanges(*r->MutableMessage(&object, f), true);
            }
        }
    }
    auto& state = MutableState(object);  // before the bytes: they hold the state's values
    state.clear_changes();
    state.set_baseline(StrippedBytesInPlace(object));
    state.set_has_baseline(true);
}

void ResetChanges(Message& object, const std::set<std::string>& fields) {
    // Only `fields` stop counting: their current values go into the baseline, the others keep
    // their old baseline values.
    auto& state = MutableState(object);
    std::unique_ptr<Message> base(object.New());
    if (state.has_baseline()) base->ParseFromString(state.baseline());
    auto now = FromBaseline(object, StrippedBytesInPlace(object));
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
    state.set_baseline(StrippedBytesInPlace(*base));
    state.set_has_baseline(true);
}

void MarkChanged(Message& object, std::string_view field) {
    FieldOf(object, field);
    AddOnce(*MutableState(object).mutable_changes(), field);
}

}  // namespace nova::objects
