#pragma once
// [DEFAULT]: oslo.log. Names and defaults are Nova's (nova/conf, Zed) and oslo's.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nova/common/log.hpp"
#include "nova/conf/schema.hpp"

namespace nova::conf {

// [DEFAULT]: oslo.log.
struct LoggingOptions : log::Options {
    static constexpr std::string_view kGroup = "DEFAULT";
    static constexpr std::string_view kHelp = "";
    static void Declare(Schema<LoggingOptions>& s);
};

}  // namespace nova::conf
