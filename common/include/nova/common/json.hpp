#pragma once
// The one JSON type of the project: oslo.messaging envelopes, nova_object primitives and
// REST bodies all use it. nlohmann::json (Debian's nlohmann-json3-dev); see README "JSON".
#include <nlohmann/json.hpp>

namespace nova {
using Json = nlohmann::json;
}  // namespace nova
