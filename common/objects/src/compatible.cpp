// Backporting an object for an older receiver (Nova's obj_make_compatible), from the
// per-field `since` option.
#include "nova/common/error.hpp"
#include "nova/objects/options.pb.h"
#include "state.hpp"

namespace nova::objects {

using namespace detail;

ObjectVersion DataVersion(const Message& object) {
    const auto* s = State(object);
    if (s && !s->version().empty()) return ObjectVersion::Parse(s->version());
    return SchemaVersion(*object.GetDescriptor());
}

void MakeCompatible(Message& object, const ObjectVersion& target,
                    const VersionManifest* manifest) {
    const auto& type = *object.GetDescriptor();
    const auto schema = SchemaVersion(type);
    if (target.major != schema.major || target > schema) {
        throw IncompatibleObjectVersion({{"objver", target.ToString()},
                                         {"objname", type.name()},
                                         {"supported", schema.ToString()}});
    }
    auto& state = MutableState(object);
    const auto* r = object.GetReflection();
    for (const auto* f : ObjectFields(type)) {
        const auto& introduced = f->options().GetExtension(since);
        if (!introduced.empty() && ObjectVersion::Parse(introduced) > target) {
            r->ClearField(&object, f);
            Remove(*state.mutable_null_fields(), f->name());
            Remove(*state.mutable_empty_fields(), f->name());
            Remove(*state.mutable_changes(), f->name());
            state.mutable_null_keys()->erase(f->name());
            continue;
        }
        if (!manifest || !IsObjectField(*f)) continue;
        auto child_target = manifest->find(f->message_type()->name());
        if (child_target == manifest->end()) continue;
        auto child_version = ObjectVersion::Parse(child_target->second);
        if (f->is_repeated()) {
            for (int i = 0; i < r->FieldSize(object, f); ++i) {
                MakeCompatible(*r->MutableRepeatedMessage(&object, f, i), child_version, manifest);
            }
        } else if (r->HasField(object, f)) {
            MakeCompatible(*r->MutableMessage(&object, f), child_version, manifest);
        }
    }
    if (target == schema) {
        state.clear_version();
    } else {
        state.set_version(target.ToString());
    }
}

}  // namespace nova::objects
