// Set, None or absent: the three states of a Nova field (object_state.proto explains how a
// message holds them).
#include <algorithm>

#include "nova/common/error.hpp"
#include "nova/objects/options.pb.h"
#include "state.hpp"

namespace nova::objects {
namespace detail {

namespace {

const FieldDescriptor* StateField(const Descriptor& type) { return Facts(type).state; }

}  // namespace

const ObjectState* State(const Message& object) {
    const auto* f = StateField(*object.GetDescriptor());
    if (!f) return nullptr;
    const auto* r = object.GetReflection();
    if (!r->HasField(object, f)) return nullptr;
    return static_cast<const ObjectState*>(&r->GetMessage(object, f));
}

ObjectState& MutableState(Message& object) {
    const auto* f = StateField(*object.GetDescriptor());
    if (!f) {
        throw InvalidInput(
            {{"reason", object.GetDescriptor()->full_name() + " is not a Nova object"}});
    }
    return *static_cast<ObjectState*>(object.GetReflection()->MutableMessage(&object, f));
}

bool IsObjectField(const FieldDescriptor& field) {
    return field.type() == FieldDescriptor::TYPE_MESSAGE && !field.is_map() &&
           Facts(*field.message_type()).is_object;
}

bool IsListObject(const Descriptor& type) { return Facts(type).is_list; }

const FieldDescriptor& FieldOf(const Message& object, std::string_view field) {
    const auto* type = object.GetDescriptor();
    const auto* f = type->FindFieldByName(std::string(field));
    if (!IsObject(*type) || !f || f->name() == "obj_state") {
        throw InvalidInput({{"reason", "object " + type->name() + " has no field '" +
                                           std::string(field) + "'"}});
    }
    return *f;
}

bool HasValue(const Message& object, const FieldDescriptor& field) {
    const auto* r = object.GetReflection();
    return field.is_repeated() ? r->FieldSize(object, &field) > 0 : r->HasField(object, &field);
}

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list, std::string_view v) {
    return std::find(list.begin(), list.end(), v) != list.end();
}

void Remove(google::protobuf::RepeatedPtrField<std::string>& list, std::string_view v) {
    for (int i = list.size() - 1; i >= 0; --i) {
        if (list.Get(i) == v) list.DeleteSubrange(i, 1);
    }
}

void AddOnce(google::protobuf::RepeatedPtrField<std::string>& list, std::string_view v) {
    if (!Contains(list, v)) list.Add(std::string(v));
}

}  // namespace detail

using namespace detail;

bool IsSet(const Message& object, std::string_view field) {
    const auto& f = FieldOf(object, field);
    if (HasValue(object, f)) return true;
    const auto* s = State(object);
    return f.is_repeated() && s && Contains(s->empty_fields(), field) &&
           !Contains(s->null_fields(), field);
}

bool IsNull(const Message& object, std::string_view field) {
    const auto& f = FieldOf(object, field);
    if (HasValue(object, f)) return false;
    const auto* s = State(object);
    return s && Contains(s->null_fields(), field);
}

void SetNull(Message& object, std::string_view field) {
    const auto& f = FieldOf(object, field);
    if (!f.options().GetExtension(nullable)) {
        throw InvalidInput({{"reason", "field " + object.GetDescriptor()->name() + "." +
                                           std::string(field) + " cannot be None"}});
    }
    object.GetReflection()->ClearField(&object, &f);
    auto& s = MutableState(object);
    Remove(*s.mutable_empty_fields(), field);
    s.mutable_null_keys()->erase(std::string(field));
    AddOnce(*s.mutable_null_fields(), field);
}

void SetEmpty(Message& object, std::string_view field) {
    const auto& f = FieldOf(object, field);
    if (!f.is_repeated()) {
        throw InvalidInput({{"reason", "field " + std::string(field) + " is not a list or dict"}});
    }
    object.GetReflection()->ClearField(&object, &f);
    auto& s = MutableState(object);
    Remove(*s.mutable_null_fields(), field);
    s.mutable_null_keys()->erase(std::string(field));
    AddOnce(*s.mutable_empty_fields(), field);
}

void Unset(Message& object, std::string_view field) {
    const auto& f = FieldOf(object, field);
    object.GetReflection()->ClearField(&object, &f);
    auto& s = MutableState(object);
    Remove(*s.mutable_null_fields(), field);
    Remove(*s.mutable_empty_fields(), field);
    s.mutable_null_keys()->erase(std::string(field));
}

void SetNullKey(Message& object, std::string_view field, const std::string& key) {
    const auto& f = FieldOf(object, field);
    if (!f.is_map() || f.message_type()->map_value()->type() != FieldDescriptor::TYPE_STRING) {
        throw InvalidInput({{"reason", "field " + std::string(field) + " is not a dict of strings"}});
    }
    auto* r = object.GetReflection();
    // Put "" under the key through reflection (maps are repeated entry messages).
    bool found = false;
    for (int i = 0; i < r->FieldSize(object, &f); ++i) {
        auto* entry = r->MutableRepeatedMessage(&object, &f, i);
        const auto* er = entry->GetReflection();
        const auto* kf = entry->GetDescriptor()->map_key();
        if (er->GetString(*entry, kf) == key) {
            er->SetString(entry, entry->GetDescriptor()->map_value(), "");
            found = true;
        }
    }
    if (!found) {
        auto* entry = r->AddMessage(&object, &f);
        entry->GetReflection()->SetString(entry, entry->GetDescriptor()->map_key(), key);
        entry->GetReflection()->SetString(entry, entry->GetDescriptor()->map_value(), "");
    }
    auto& s = MutableState(object);
    Remove(*s.mutable_null_fields(), field);
    AddOnce(*(*s.mutable_null_keys())[std::string(field)].mutable_keys(), key);
}

bool IsNullKey(const Message& object, std::string_view field, const std::string& key) {
    FieldOf(object, field);
    const auto* s = State(object);
    if (!s) return false;
    auto it = s->null_keys().find(std::string(field));
    return it != s->null_keys().end() && Contains(it->second.keys(), key);
}

}  // namespace nova::objects
