#include "nova/rpc/version_cap.hpp"

#include "nova/common/error.hpp"
#include "nova/rpc/wire.hpp"

namespace nova::rpc {

std::optional<std::string> ResolveVersionCap(const std::optional<std::string>& configured,
                                             const ReleaseCaps& release_caps) {
    if (!configured || configured->empty()) return std::nullopt;
    if (auto alias = release_caps.find(*configured); alias != release_caps.end()) {
        return alias->second;
    }
    if (IsValidVersion(*configured)) return *configured;
    throw InvalidInput({{"reason", "[upgrade_levels] value '" + *configured +
                                       "' is neither a known release name nor a version X.Y"}});
}

}  // namespace nova::rpc
