#pragma once
// Internal helpers shared by the object sources: the ObjectState of a message, and field
// lookup that throws a clear error.
#include <string>
#include <string_view>
#include <vector>

#include "nova/objects/object.hpp"
#include "nova/objects/object_state.pb.h"

namespace nova::objects::detail {

// What reflection over a message type keeps asking: worked out once per type (finding the
// state field by name and reading the obj_version option on every call was a tenth of the
// conductor's CPU for object saves).
struct TypeFacts {
    bool is_object = false;
    const FieldDescriptor* state = nullptr;               // obj_state, when it is an ObjectState
    std::vector<const FieldDescriptor*> fields;            // ObjectFields
    std::vector<const FieldDescriptor*> object_fields;     // those holding child objects
    bool is_list = false;                                  // IsListObject
};
const TypeFacts& Facts(const Descriptor& type);

// A baseline's bytes: the object's wire bytes, deterministic, without the tracking (changes,
// baseline, has_baseline) of any state in it. Both give the same bytes; the first writes field
// by field through reflection (for a const object), the second sets the tracking aside for
// the generated serializer and puts it back (for the object's owner: several times faster).
std::string StrippedBytes(const Message& object);
std::string StrippedBytesInPlace(Message& object);

// The object's state (nullptr for a const object that has none yet).
const ObjectState* State(const Message& object);
ObjectState& MutableState(Message& object);

// Throws InvalidInput when `object` is not an object or has no such field.
const FieldDescriptor& FieldOf(const Message& object, std::string_view field);
// The field's value is present (has_ for singular fields, non-empty for lists and maps).
bool HasValue(const Message& object, const FieldDescriptor& field);
bool IsObjectField(const FieldDescriptor& field);
// A list object (InstanceList...): its only field is the repeated `objects`.
bool IsListObject(const Descriptor& type);

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list, std::string_view v);
void Remove(google::protobuf::RepeatedPtrField<std::string>& list, std::string_view v);
void AddOnce(google::protobuf::RepeatedPtrField<std::string>& list, std::string_view v);

}  // namespace nova::objects::detail
