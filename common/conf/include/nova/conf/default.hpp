#pragma once
// [DEFAULT]: identity and liveness of a service. Names and defaults are Nova's (nova/conf, Zed) and oslo's.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nova/conf/schema.hpp"

namespace nova::conf {

// [DEFAULT]: identity and liveness of this service.
struct DefaultOptions {
    static constexpr std::string_view kGroup = "DEFAULT";
    static constexpr std::string_view kHelp = "";
    std::string host;
    std::string my_ip;
    std::string state_path;
    int report_interval;
    int service_down_time;
    bool periodic_enable;
    int periodic_fuzzy_delay;
    int graceful_shutdown_timeout;
    static void Declare(Schema<DefaultOptions>& s);
};

}  // namespace nova::conf
