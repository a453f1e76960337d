#pragma once
// [glance]: where image metadata comes from. Nova's names (nova/conf/glance.py, Zed), plus
// nova-cpp's local image catalog for deployments without a Glance (the all-in-one).
#include <optional>
#include <string>
#include <vector>

#include "nova/conf/schema.hpp"

namespace nova::conf {

struct GlanceOptions {
    static constexpr std::string_view kGroup = "glance";
    static constexpr std::string_view kHelp = "Options for the Image service.";
    std::optional<std::vector<std::string>> api_servers;
    int num_retries;
    int request_timeout;
    std::optional<std::string> local_catalog_file;
    std::string local_api_listen;
    int local_api_listen_port;
    static void Declare(Schema<GlanceOptions>& s);
};

}  // namespace nova::conf
