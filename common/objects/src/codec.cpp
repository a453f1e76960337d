// The nova_object JSON primitive, by reflection: oslo.versionedobjects' obj_to_primitive and
// obj_from_primitive for the field types Nova uses.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/timestamp.pb.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "nova/common/error.hpp"
#include "nova/common/time.hpp"
#include "nova/objects/options.pb.h"
#include "state.hpp"

namespace nova::objects {

using namespace detail;
using google::protobuf::Reflection;

namespace {

constexpr std::string_view kNamespace = "nova";

[[noreturn]] void Bad(const Descriptor& type, const FieldDescriptor* f, const std::string& why) {
    std::string where = type.name() + (f ? "." + f->name() : std::string());
    throw InvalidInput({{"reason", "nova_object " + where + ": " + why}});
}

bool IsTimestamp(const FieldDescriptor& f) {
    return f.message_type() == google::protobuf::Timestamp::descriptor();
}
bool IsJsonValue(const FieldDescriptor& f) {
    return f.message_type() == google::protobuf::Value::descriptor();
}

// --- google.protobuf.Value <-> JSON (the few nested containers kept as JSON) ---------------
Json ValueToJson(const google::protobuf::Value& v) {
    using K = google::protobuf::Value::KindCase;
    switch (v.kind_case()) {
        case K::kNullValue:
        case K::KIND_NOT_SET:
            return nullptr;
        case K::kBoolValue:
            return v.bool_value();
        case K::kStringValue:
            return v.string_value();
        case K::kNumberValue: {
            double d = v.number_value();
            // Nova's containers of integers (sets of CPU ids) print as integers.
            if (std::trunc(d) == d && std::fabs(d) < 9.0e15) return static_cast<std::int64_t>(d);
            return d;
        }
        case K::kListValue: {
            Json out = Json::array();
            for (const auto& item : v.list_value().values()) out.push_back(ValueToJson(item));
            return out;
        }
        case K::kStructValue: {
            Json out = Json::object();
            for (const auto& [k, item] : v.struct_value().fields()) out[k] = ValueToJson(item);
            return out;
        }
    }
    return nullptr;
}

void JsonToValue(const Json& j, google::protobuf::Value& v) {
    if (j.is_null()) {
        v.set_null_value(google::protobuf::NULL_VALUE);
    } else if (j.is_boolean()) {
        v.set_bool_value(j.get<bool>());
    } else if (j.is_number()) {
        v.set_number_value(j.get<double>());
    } else if (j.is_string()) {
        v.set_string_value(j.get<std::string>());
    } else if (j.is_array()) {
        auto* list = v.mutable_list_value();
        for (const auto& item : j) JsonToValue(item, *list->add_values());
    } else {
        auto* s = v.mutable_struct_value();
        for (const auto& [k, item] : j.items()) JsonToValue(item, (*s->mutable_fields())[k]);
    }
}

// --- timestamps ---------------------------------------------------------------------------------
std::string TimestampText(const google::protobuf::Timestamp& ts) {
    WallTime t{std::chrono::duration_cast<WallTime::duration>(
        std::chrono::seconds(ts.seconds()) + std::chrono::nanoseconds(ts.nanos()))};
    // DateTimeField's primitive has whole seconds ("...:12Z"); keep a fraction if there is one.
    if (ts.nanos() == 0) return timeutil::IsoZ(t);
    return timeutil::IsoMicro(t) + "Z";
}

void ParseTimestamp(const Descriptor& type, const FieldDescriptor& f, const Json& j,
                    google::protobuf::Timestamp& ts) {
    if (!j.is_string()) Bad(type, &f, "expected a datetime string");
    auto t = timeutil::Parse(j.get<std::string>());
    if (!t) Bad(type, &f, "not a datetime: '" + j.get<std::string>() + "'");
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t->time_since_epoch()).count();
    auto secs = ns / 1000000000;
    auto rem = ns % 1000000000;
    if (rem < 0) {
        rem += 1000000000;
        --secs;
    }
    ts.set_seconds(secs);
    ts.set_nanos(static_cast<int>(rem));
}

// --- one value -------------------------------------------------------------------------------
Json SingularToJson(const Message& m, const FieldDescriptor& f) {
    const auto* r = m.GetReflection();
    switch (f.cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING:
            return r->GetString(m, &f);
        case FieldDescriptor::CPPTYPE_INT64:
            return r->GetInt64(m, &f);
        case FieldDescriptor::CPPTYPE_INT32:
            return r->GetInt32(m, &f);
        case FieldDescriptor::CPPTYPE_DOUBLE:
            return r->GetDouble(m, &f);
        case FieldDescriptor::CPPTYPE_BOOL:
            return r->GetBool(m, &f);
        case FieldDescriptor::CPPTYPE_MESSAGE: {
            const auto& child = r->GetMessage(m, &f);
            if (IsTimestamp(f)) {
                return TimestampText(static_cast<const google::protobuf::Timestamp&>(child));
            }
            if (IsJsonValue(f)) return ValueToJson(static_cast<const google::protobuf::Value&>(child));
            return ToPrimitive(child);
        }
        default:
            Bad(*m.GetDescriptor(), &f, "unsupported field type");
    }
}

Json ElementToJson(const Message& m, const FieldDescriptor& f, int i) {
    const auto* r = m.GetReflection();
    switch (f.cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING:
            return r->GetRepeatedString(m, &f, i);
        case FieldDescriptor::CPPTYPE_INT64:
            return r->GetRepeatedInt64(m, &f, i);
        case FieldDescriptor::CPPTYPE_DOUBLE:
            return r->GetRepeatedDouble(m, &f, i);
        case FieldDescriptor::CPPTYPE_BOOL:
            return r->GetRepeatedBool(m, &f, i);
        case FieldDescriptor::CPPTYPE_MESSAGE:
            return ToPrimitive(r->GetRepeatedMessage(m, &f, i));
        default:
            Bad(*m.GetDescriptor(), &f, "unsupported list element type");
    }
}

Json FieldToJson(const Message& m, const FieldDescriptor& f, const ObjectState* state) {
    const auto* r = m.GetReflection();
    if (f.is_map()) {
        Json out = Json::object();
        const NullKeys* nulls = nullptr;
        if (state) {
            auto it = state->null_keys().find(f.name());
            if (it != state->null_keys().end()) nulls = &it->second;
        }
        for (int i = 0; i < r->FieldSize(m, &f); ++i) {
            const auto& entry = r->GetRepeatedMessage(m, &f, i);
            const auto* ed = entry.GetDescriptor();
            auto key = entry.GetReflection()->GetString(entry, ed->map_key());
            Json value = SingularToJson(entry, *ed->map_value());
            if (nulls && value == "" && Contains(nulls->keys(), key)) value = nullptr;
            out[key] = std::move(value);
        }
        return out;
    }
    if (f.is_repeated()) {
        Json out = Json::array();
        for (int i = 0; i < r->FieldSize(m, &f); ++i) out.push_back(ElementToJson(m, f, i));
        return out;
    }
    return SingularToJson(m, f);
}

void SetSingular(Message& m, const FieldDescriptor& f, const Json& j) {
    const auto& type = *m.GetDescriptor();
    const auto* r = m.GetReflection();
    switch (f.cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING:
            if (!j.is_string()) Bad(type, &f, "expected a string, got " + j.dump());
            r->SetString(&m, &f, j.get<std::string>());
            return;
        case FieldDescriptor::CPPTYPE_INT64:
            if (!j.is_number_integer()) Bad(type, &f, "expected an integer, got " + j.dump());
            r->SetInt64(&m, &f, j.get<std::int64_t>());
            return;
        case FieldDescriptor::CPPTYPE_INT32:
            if (!j.is_number_integer()) Bad(type, &f, "expected an integer, got " + j.dump());
            r->SetInt32(&m, &f, j.get<std::int32_t>());
            return;
        case FieldDescriptor::CPPTYPE_DOUBLE:
            if (!j.is_number()) Bad(type, &f, "expected a number, got " + j.dump());
            r->SetDouble(&m, &f, j.get<double>());
            return;
        case FieldDescriptor::CPPTYPE_BOOL:
            if (!j.is_boolean()) Bad(type, &f, "expected true or false, got " + j.dump());
            r->SetBool(&m, &f, j.get<bool>());
            return;
        case FieldDescriptor::CPPTYPE_MESSAGE: {
            auto* child = r->MutableMessage(&m, &f);
            if (IsTimestamp(f)) {
                ParseTimestamp(type, f, j, static_cast<google::protobuf::Timestamp&>(*child));
            } else if (IsJsonValue(f)) {
                JsonToValue(j, static_cast<google::protobuf::Value&>(*child));
            } else {
                FromPrimitive(j, *child);
            }
            return;
        }
        default:
            Bad(type, &f, "unsupported field type");
    }
}

void AddElement(Message& m, const FieldDescriptor& f, const Json& j) {
    const auto& type = *m.GetDescriptor();
    const auto* r = m.GetReflection();
    switch (f.cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING:
            if (!j.is_string()) Bad(type, &f, "expected a list of strings");
            r->AddString(&m, &f, j.get<std::string>());
            return;
        case FieldDescriptor::CPPTYPE_INT64:
            if (!j.is_number_integer()) Bad(type, &f, "expected a list of integers");
            r->AddInt64(&m, &f, j.get<std::int64_t>());
            return;
        case FieldDescriptor::CPPTYPE_DOUBLE:
            if (!j.is_number()) Bad(type, &f, "expected a list of numbers");
            r->AddDouble(&m, &f, j.get<double>());
            return;
        case FieldDescriptor::CPPTYPE_BOOL:
            if (!j.is_boolean()) Bad(type, &f, "expected a list of booleans");
            r->AddBool(&m, &f, j.get<bool>());
            return;
        case FieldDescriptor::CPPTYPE_MESSAGE:
            FromPrimitive(j, *r->AddMessage(&m, &f));
            return;
        default:
            Bad(type, &f, "unsupported list element type");
    }
}

void JsonToField(Message& m, const FieldDescriptor& f, const Json& j, ObjectState& state) {
    const auto& type = *m.GetDescriptor();
    if (f.is_map()) {
        if (!j.is_object()) Bad(type, &f, "expected a dict, got " + j.dump());
        const auto* r = m.GetReflection();
        for (const auto& [key, value] : j.items()) {
            auto* entry = r->AddMessage(&m, &f);
            const auto* ed = entry->GetDescriptor();
            entry->GetReflection()->SetString(entry, ed->map_key(), key);
            if (value.is_null()) {
                if (ed->map_value()->cpp_type() != FieldDescriptor::CPPTYPE_STRING ||
                    f.options().GetExtension(nova_type) != "DictOfNullableStringsField") {
                    Bad(type, &f, "None is not allowed as the value of '" + key + "'");
                }
                AddOnce(*state.mutable_null_keys()->operator[](f.name()).mutable_keys(), key);
                continue;
            }
            SetSingular(*entry, *ed->map_value(), value);
        }
        if (j.empty()) AddOnce(*state.mutable_empty_fields(), f.name());
        return;
    }
    if (f.is_repeated()) {
        if (!j.is_array()) Bad(type, &f, "expected a list, got " + j.dump());
        for (const auto& item : j) AddElement(m, f, item);
        if (j.empty()) AddOnce(*state.mutable_empty_fields(), f.name());
        return;
    }
    SetSingular(m, f, j);
}

}  // namespace

Json ToPrimitive(const Message& object) {
    const auto& type = *object.GetDescriptor();
    if (!IsObject(type)) Bad(type, nullptr, "not a Nova object");
    const auto* state = State(object);
    Json data = Json::object();
    for (const auto* f : ObjectFields(type)) {
        if (HasValue(object, *f)) {
            data[f->name()] = FieldToJson(object, *f, state);
        } else if (state && Contains(state->null_fields(), f->name())) {
            data[f->name()] = nullptr;
        } else if (f->is_map() && state && Contains(state->empty_fields(), f->name())) {
            data[f->name()] = Json::object();
        } else if (f->is_repeated() && state && Contains(state->empty_fields(), f->name())) {
            data[f->name()] = Json::array();
        }
    }
    Json out = {{"nova_object.name", type.name()},
                {"nova_object.namespace", kNamespace},
                {"nova_object.version", DataVersion(object).ToString()},
                {"nova_object.data", std::move(data)}};
    auto changes = WhatChanged(object);
    if (!changes.empty()) out["nova_object.changes"] = Json(changes);
    return out;
}

void FromPrimitive(const Json& primitive, Message& object) {
    const auto& type = *object.GetDescriptor();
    if (!IsObject(type)) Bad(type, nullptr, "not a Nova object");
    if (!primitive.is_object()) Bad(type, nullptr, "expected a nova_object dict");
    auto get = [&](const char* key) -> const Json& {
        auto it = primitive.find(key);
        if (it == primitive.end()) Bad(type, nullptr, std::string("missing ") + key);
        return *it;
    };
    const auto& name = get("nova_object.name");
    if (name != type.name()) {
        Bad(type, nullptr, "got an object named " + name.dump() + " where " + type.name() +
                               " was expected");
    }
    if (get("nova_object.namespace") != kNamespace) {
        Bad(type, nullptr, "unknown namespace " + get("nova_object.namespace").dump());
    }
    const auto& version_text = get("nova_object.version");
    if (!version_text.is_string()) Bad(type, nullptr, "nova_object.version is not a string");
    auto version = ObjectVersion::Parse(version_text.get<std::string>());
    auto schema = SchemaVersion(type);
    if (version.major != schema.major || version > schema) {
        throw IncompatibleObjectVersion({{"objver", version.ToString()},
                                         {"objname", type.name()},
                                         {"supported", schema.ToString()}});
    }
    const auto& data = get("nova_object.data");
    if (!data.is_object()) Bad(type, nullptr, "nova_object.data is not a dict");

    object.Clear();
    auto& state = MutableState(object);
    for (const auto& [key, value] : data.items()) {
        const auto* f = type.FindFieldByName(key);
        if (!f || f->name() == "obj_state") Bad(type, nullptr, "unknown field '" + key + "'");
        if (value.is_null()) {
            if (!f->options().GetExtension(nullable)) Bad(type, f, "None is not allowed");
            AddOnce(*state.mutable_null_fields(), key);
            continue;
        }
        JsonToField(object, *f, value, state);
    }
    if (version != schema) state.set_version(version.ToString());
    // The decoded values are the baseline; the sender's changes stay changes.
    ResetChanges(object);
    if (auto it = primitive.find("nova_object.changes"); it != primitive.end()) {
        if (!it->is_array()) Bad(type, nullptr, "nova_object.changes is not a list");
        for (const auto& change : *it) {
            if (!change.is_string() || !type.FindFieldByName(change.get<std::string>())) {
                Bad(type, nullptr, "nova_object.changes names an unknown field " + change.dump());
            }
            AddOnce(*state.mutable_changes(), change.get<std::string>());
        }
    }
}

Json FieldToPrimitive(const Message& object, std::string_view field) {
    const auto& f = FieldOf(object, field);
    const auto* state = State(object);
    if (HasValue(object, f)) return FieldToJson(object, f, state);
    if (state && Contains(state->null_fields(), field)) return nullptr;
    if (f.is_repeated() && state && Contains(state->empty_fields(), field)) {
        return f.is_map() ? Json::object() : Json::array();
    }
    Bad(*object.GetDescriptor(), &f, "is not set");
}

void FieldFromPrimitive(Message& object, std::string_view field, const Json& value) {
    const auto& f = FieldOf(object, field);
    Unset(object, field);
    if (value.is_null()) {
        SetNull(object, field);
        return;
    }
    JsonToField(object, f, value, MutableState(object));
}

std::unique_ptr<Message> FromPrimitiveAny(const Json& primitive) {
    if (!primitive.is_object() || !primitive.contains("nova_object.name") ||
        !primitive["nova_object.name"].is_string()) {
        throw InvalidInput({{"reason", "not a nova_object primitive"}});
    }
    const auto name = primitive["nova_object.name"].get<std::string>();
    const auto* type = FindObjectType(name);
    if (!type) {
        throw InvalidInput({{"reason", "unknown object type '" + name + "'"}});
    }
    std::unique_ptr<Message> object(
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
    FromPrimitive(primitive, *object);
    return object;
}

}  // namespace nova::objects
