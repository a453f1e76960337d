#pragma once
// Small pieces the resource handlers share (Nova's nova/api/openstack/common.py and
// oslo_utils.strutils where the API uses them).
#include <optional>
#include <string>

#include "nova/api/handler.hpp"
#include "nova/common/clock.hpp"
#include "nova/common/json.hpp"

namespace google::protobuf {
class Timestamp;
}

namespace nova::api::handlers {

// oslo_utils.strutils.bool_from_string: "1", "t", "true", "on", "y", "yes" are true;
// "0", "f", "false", "off", "n", "no" false (case-insensitive, trimmed). Anything else is
// false, or nullopt when `strict`.
std::optional<bool> BoolFromString(const std::string& text, bool strict);
// nova.utils.is_none_string: "None", case-insensitive.
bool IsNoneString(const std::string& text);

// Nova's datetime rendering in API bodies: "2026-11-25T08:53:12.000000" (isoformat of a
// naive datetime with microseconds), or null.
Json IsoOrNull(const google::protobuf::Timestamp* t, bool set);
std::string IsoMicro(const google::protobuf::Timestamp& t);
WallTime ToWallTime(const google::protobuf::Timestamp& t);

// The default policy target of an API call: the context's project and user.
Json DefaultTarget(const ApiRequest& req);

}  // namespace nova::api::handlers
