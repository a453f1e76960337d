// What the object schema says: versions, fields, the registry of types, the fingerprint.
#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "nova/common/error.hpp"
#include "nova/objects/object.hpp"
#include "nova/objects/options.pb.h"
#include "state.hpp"

namespace nova::objects {

// Every generated object type; the list is written by CMake from the .proto files
// (all_object_types.cpp), which also makes sure the linker keeps every message.
std::vector<const Descriptor*> GeneratedObjectTypes();

bool IsObject(const Descriptor& type) { return type.options().HasExtension(obj_version); }

ObjectVersion SchemaVersion(const Descriptor& type) {
    if (!IsObject(type)) {
        throw InvalidInput({{"reason", type.full_name() + " is not a Nova object"}});
    }
    return ObjectVersion::Parse(type.options().GetExtension(obj_version));
}

std::vector<const FieldDescriptor*> ObjectFields(const Descriptor& type) {
    std::vector<const FieldDescriptor*> fields;
    fields.reserve(type.field_count());
    for (int i = 0; i < type.field_count(); ++i) {
        const auto* f = type.field(i);
        if (f->name() != "obj_state") fields.push_back(f);
    }
    return fields;
}

const std::vector<const Descriptor*>& AllObjectTypes() {
    static const std::vector<const Descriptor*> types = [] {
        auto all = GeneratedObjectTypes();
        std::erase_if(all, [](const Descriptor* d) { return !IsObject(*d); });
        std::sort(all.begin(), all.end(),
                  [](const Descriptor* a, const Descriptor* b) { return a->name() < b->name(); });
        return all;
    }();
    return types;
}

const Descriptor* FindObjectType(std::string_view name) {
    const auto& all = AllObjectTypes();
    auto it = std::lower_bound(all.begin(), all.end(), name,
                               [](const Descriptor* d, std::string_view n) { return d->name() < n; });
    return it != all.end() && (*it)->name() == name ? *it : nullptr;
}

namespace {

std::string TypeText(const FieldDescriptor& f) {
    std::string text;
    if (f.is_map()) {
        const auto* value = f.message_type()->map_value();
        text = "map<" + std::string(value->type_name()) + ">";
        if (value->message_type()) text += value->message_type()->full_name();
    } else {
        text = f.is_repeated() ? "repeated " : "";
        text += f.type_name();
        if (f.message_type()) text += " " + f.message_type()->full_name();
    }
    return text;
}

}  // namespace

std::string SchemaFingerprint(const Descriptor& type) {
    // FNV-1a (64 bit) over a canonical text of the fields, sorted by name as Nova's
    // fingerprint sorts them: stable across builds and compilers, unlike std::hash.
    auto fields = ObjectFields(type);
    std::sort(fields.begin(), fields.end(),
              [](const auto* a, const auto* b) { return a->name() < b->name(); });
    std::string text;
    for (const auto* f : fields) {
        const auto& o = f->options();
        text += f->name() + "|" + std::to_string(f->number()) + "|" + TypeText(*f) + "|" +
                o.GetExtension(nova_type) + "|" + (o.GetExtension(nullable) ? "null" : "") +
                "|" + o.GetExtension(since) + ";";
    }
    std::uint64_t hash = 1469598103934665603ULL;
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 1099511628211ULL;
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
    return SchemaVersion(type).ToString() + "-" + hex;
}

}  // namespace nova::objects
