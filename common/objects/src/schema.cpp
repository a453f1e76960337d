// What the object schema says: versions, fields, the registry of types, the fingerprint.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <unordered_map>

#include "nova/common/error.hpp"
#include "nova/objects/object.hpp"
#include "nova/objects/options.pb.h"
#include "state.hpp"

namespace nova::objects {

// Every generated object type; the list is written by CMake from the .proto files
// (all_object_types.cpp), which also makes sure the linker keeps every message.
std::vector<const Descriptor*> GeneratedObjectTypes();

namespace detail {

namespace {

TypeFacts WorkOutFacts(const Descriptor& type) {
    TypeFacts facts;
    facts.is_object = type.options().HasExtension(obj_version);
    for (int i = 0; i < type.field_count(); ++i) {
        const auto* f = type.field(i);
        if (f->name() == "obj_state") {
            if (f->message_type() == ObjectState::descriptor()) facts.state = f;
            continue;
        }
        facts.fields.push_back(f);
        if (f->type() == FieldDescriptor::TYPE_MESSAGE && !f->is_map() &&
            f->message_type()->options().HasExtension(obj_version)) {
            facts.object_fields.push_back(f);
        }
    }
    facts.is_list = facts.fields.size() == 1 && facts.fields[0]->name() == "objects" &&
                    facts.fields[0]->is_repeated();
    return facts;
}

using FactsMap = std::unordered_map<const Descriptor*, TypeFacts>;

// Every generated type and every message type reachable from one: filled once, read without
// a lock.
const FactsMap& GeneratedFacts() {
    static const FactsMap all = [] {
        FactsMap map;
        std::vector<const Descriptor*> todo = GeneratedObjectTypes();
        while (!todo.empty()) {
            const Descriptor* type = todo.back();
            todo.pop_back();
            if (!map.try_emplace(type, WorkOutFacts(*type)).second) continue;
            for (int i = 0; i < type->field_count(); ++i) {
                if (const auto* child = type->field(i)->message_type()) todo.push_back(child);
            }
        }
        return map;
    }();
    return all;
}

}  // namespace

const TypeFacts& Facts(const Descriptor& type) {
    const auto& generated = GeneratedFacts();
    if (auto it = generated.find(&type); it != generated.end()) return it->second;
    // A type from outside the object protos (a test's, a dynamic one): worked out on first use.
    static std::mutex mutex;
    static FactsMap others;
    std::lock_guard lock(mutex);
    auto it = others.find(&type);
    if (it == others.end()) it = others.emplace(&type, WorkOutFacts(type)).first;
    return it->second;
}

}  // namespace detail

bool IsObject(const Descriptor& type) { return detail::Facts(type).is_object; }

ObjectVersion SchemaVersion(const Descriptor& type) {
    if (!IsObject(type)) {
        throw InvalidInput({{"reason", type.full_name() + " is not a Nova object"}});
    }
    return ObjectVersion::Parse(type.options().GetExtension(obj_version));
}

const std::vector<const FieldDescriptor*>& ObjectFields(const Descriptor& type) {
    return detail::Facts(type).fields;
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
