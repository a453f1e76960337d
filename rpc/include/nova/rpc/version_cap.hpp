#pragma once
// [upgrade_levels] <service> as Nova reads it: a release name from the stub's alias table
// ("zed"), an explicit "X.Y", or nothing (no cap: send the newest version). A value that is
// neither an alias nor a version is refused at startup.
#include <map>
#include <optional>
#include <string>

namespace nova::rpc {

using ReleaseCaps = std::map<std::string, std::string, std::less<>>;

std::optional<std::string> ResolveVersionCap(const std::optional<std::string>& configured,
                                             const ReleaseCaps& release_caps);

}  // namespace nova::rpc
