#pragma once
// Nova versioned objects on top of protobuf messages (common/objects/proto/nova/objects).
//
// A message is an object when it has the (obj_version) option; each field says, in its
// options, the version that introduced it (since), Nova's field class (nova_type) and whether
// it may be None (nullable). Everything here works by reflection over those options: the
// `nova_object` JSON primitive of the wire, None/unset presence, change tracking,
// MakeCompatible and the schema hash. See docs/data.md for the rules in one page.
#include <google/protobuf/message.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "nova/common/json.hpp"
#include "nova/objects/version.hpp"

namespace nova::objects {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Object name -> version, as oslo.versionedobjects' version manifest: what a receiver knows.
using VersionManifest = std::map<std::string, std::string, std::less<>>;

// --- the schema --------------------------------------------------------------------------
bool IsObject(const Descriptor& type);
ObjectVersion SchemaVersion(const Descriptor& type);
// The Nova fields of an object, in declaration order (the state field left out).
const std::vector<const FieldDescriptor*>& ObjectFields(const Descriptor& type);
// Every object type this build knows (all messages with obj_version).
const std::vector<const Descriptor*>& AllObjectTypes();
// The object type named `name` on the wire ("Instance"), or nullptr.
const Descriptor* FindObjectType(std::string_view name);
// A fingerprint of the object's schema: "<version>-<16 hex digits>" over every field's name,
// proto type, Nova type, nullability and `since`. Nova's object hash test, our schema.
std::string SchemaFingerprint(const Descriptor& type);

// --- presence: set, None, or absent -------------------------------------------------------
bool IsSet(const Message& object, std::string_view field);
bool IsNull(const Message& object, std::string_view field);
// Makes a field None (clears its value). Throws ValueError-like InvalidInput if the field is
// not nullable.
void SetNull(Message& object, std::string_view field);
// Makes a list or dict field set even while empty.
void SetEmpty(Message& object, std::string_view field);
// Makes a field absent again (neither a value nor None).
void Unset(Message& object, std::string_view field);
// Marks a key of a dict-of-nullable-strings field as None.
void SetNullKey(Message& object, std::string_view field, const std::string& key);
bool IsNullKey(const Message& object, std::string_view field, const std::string& key);

// --- change tracking -----------------------------------------------------------------------
// Nova's obj_what_changed(): fields marked changed, fields whose value differs from the last
// ResetChanges, and object fields whose child object has changes.
std::set<std::string> WhatChanged(const Message& object);
// Nova's obj_reset_changes(): forget the changes; the current values become the baseline.
// `recursive` resets child objects too.
void ResetChanges(Message& object, bool recursive = false);
// Only the named fields stop counting as changed.
void ResetChanges(Message& object, const std::set<std::string>& fields);
void MarkChanged(Message& object, std::string_view field);

// --- versions -------------------------------------------------------------------------------
// The version the object's data is at: its schema's, or older after MakeCompatible or when it
// came from an older peer.
ObjectVersion DataVersion(const Message& object);
// Backports the object for a receiver that knows `target`: drops every field introduced
// after it (Nova's obj_make_compatible). Child objects named in `manifest` are backported to
// the manifest's version; others keep theirs. Throws IncompatibleObjectVersion when `target`
// has another major version or is newer than the schema.
void MakeCompatible(Message& object, const ObjectVersion& target,
                    const VersionManifest* manifest = nullptr);

// --- the nova_object primitive ----------------------------------------------------------------
// {"nova_object.name", ".namespace": "nova", ".version", ".data", ".changes" (when any)}.
Json ToPrimitive(const Message& object);
// Reads a primitive into `object` (whose type must match nova_object.name). Unknown fields,
// a wrong type, None in a non-nullable field, or a newer/other-major version throw; the data
// version and nova_object.changes are kept, and the decoded values become the baseline.
void FromPrimitive(const Json& primitive, Message& object);
// Reads a primitive of any known object type.
std::unique_ptr<Message> FromPrimitiveAny(const Json& primitive);

// One field's value as it appears in nova_object.data (null for None); throws when unset.
// Stores use these to keep lists, dicts and child objects in TEXT columns.
Json FieldToPrimitive(const Message& object, std::string_view field);
// Sets one field from its nova_object.data value (null makes it None).
void FieldFromPrimitive(Message& object, std::string_view field, const Json& value);

template <class T>
T FromPrimitiveAs(const Json& primitive) {
    T object;
    FromPrimitive(primitive, object);
    return object;
}

}  // namespace nova::objects
