#pragma once
// Internal helpers shared by the object sources: the ObjectState of a message, and field
// lookup that throws a clear error.
#include <string_view>

#include "nova/objects/object.hpp"
#include "nova/objects/object_state.pb.h"

namespace nova::objects::detail {

// The object's state (nullptr for a const object that has none yet).
const ObjectState* State(const Message& object);
ObjectState& MutableState(Message& object);
// Drops the bookkeeping that must not count as a value difference (changes, baseline), in
// the object and, recursively, in its child objects.
void StripTracking(Message& object);

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
