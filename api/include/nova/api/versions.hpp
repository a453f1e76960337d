#pragma once
// The version documents of the compute API (api-surface.md §5): GET / (all versions),
// GET /v2.1 and /v2 (one version), and the 300 "choices" answer for unknown top-level paths.
#include <string>
#include <string_view>

#include "nova/common/json.hpp"

namespace nova::api {

// {"version": {...}} for "v2.1" or "v2.0"; `application_url` is the URL of that API's root
// with the link prefix applied (http://host:8774/v2.1). Throws std::out_of_range for an
// unknown id.
Json VersionDocument(std::string_view id, const std::string& application_url);
bool IsKnownVersionId(std::string_view id);
// {"versions": [...]} for GET /; `host_url` with the link prefix applied.
Json VersionsDocument(const std::string& host_url);
// {"choices": [...]} for GET <any other path>.
Json ChoicesDocument(const std::string& host_url, std::string_view path);

}  // namespace nova::api
