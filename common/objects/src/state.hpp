#pragma once
// Internal helpers shared by the object sources: the ObjectState of a message, and field
// lookup that throws a clear error.
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
