#pragma once
// The timestamp texts Nova puts on the wire and in API bodies, and a parser that reads them
// all back. Every time is UTC.
#include <optional>
#include <string>
#include <string_view>

#include "nova/common/clock.hpp"

namespace nova::timeutil {

// "2026-11-25T08:53:12Z": oslo.versionedobjects' DateTimeField primitive and the API's
// "created"/"updated".
std::string IsoZ(WallTime t);
// "2026-11-25T08:53:12.185680": oslo.context's timestamp, the API's launched_at/updated_at.
std::string IsoMicro(WallTime t);
// "2026-11-25 07:30:44.580755": oslo.messaging's notification timestamp (str(datetime)).
std::string SpaceMicro(WallTime t);
// "2026-11-25 08:53:12": the SQL DATETIME literal form.
std::string Sql(WallTime t);

// Reads ISO 8601 and the forms above: date, 'T' or ' ', optional fraction (any digits), and
// an optional 'Z' or +HH:MM / -HH:MM offset (converted to UTC). nullopt when malformed.
std::optional<WallTime> Parse(std::string_view text);

// Truncates to whole seconds (what a DATETIME column keeps).
WallTime FloorSeconds(WallTime t);

}  // namespace nova::timeutil
