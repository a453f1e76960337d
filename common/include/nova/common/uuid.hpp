#pragma once
// UUIDs as Nova uses them: canonical text (8-4-4-4-12, lower case) for resource ids, and the
// 32-hex-digit form (uuid4().hex) for message ids, reply queues and _unique_id.
#include <string>
#include <string_view>

namespace nova {

// A random (version 4) UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".
std::string GenerateUuid();
// The same, without dashes (Python's uuid4().hex).
std::string GenerateUuidHex();
// "req-" + a UUID: a request id as oslo.context makes them.
std::string GenerateRequestId();

// True for the canonical dashed form (any case), as oslo_utils.uuidutils.is_uuid_like.
bool IsUuidLike(std::string_view text);
// True for "req-" followed by a canonical UUID.
bool IsRequestIdLike(std::string_view text);

}  // namespace nova
