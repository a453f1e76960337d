#pragma once
// [upgrade_levels]. Names and defaults are Nova's (nova/conf, Zed) and oslo's.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nova/conf/schema.hpp"

namespace nova::conf {

// [upgrade_levels]: RPC version caps for rolling upgrades.
struct UpgradeLevelsOptions {
    static constexpr std::string_view kGroup = "upgrade_levels";
    static constexpr std::string_view kHelp =
        "Version caps for the RPC APIs: a release name (zed, yoga, ...), a version (6.0) or "
        "'auto' (the lowest version among running services).";
    std::optional<std::string> compute;
    std::optional<std::string> conductor;
    std::optional<std::string> scheduler;
    std::optional<std::string> baseapi;
    static void Declare(Schema<UpgradeLevelsOptions>& s);
};

}  // namespace nova::conf
