#pragma once
// [quota]: the default limits (nova/conf/quota.py, Zed). -1 means unlimited. Per-project and
// per-user limits and the `default` quota class in the API database override these.
#include <cstdint>
#include <map>
#include <string>

#include "nova/conf/schema.hpp"

namespace nova::conf {

struct QuotaOptions {
    static constexpr std::string_view kGroup = "quota";
    static constexpr std::string_view kHelp = "Quota options: the default limits of every project.";
    int instances;
    int cores;
    int ram;
    int metadata_items;
    int injected_files;
    int injected_file_content_bytes;
    int injected_file_path_length;
    int key_pairs;
    int server_groups;
    int server_group_members;
    static void Declare(Schema<QuotaOptions>& s);
    // {"instances": 10, ...} by Nova's quota resource names (injected_file_path_length is
    // the resource injected_file_path_bytes), with -1 for the nova-network resources
    // (fixed_ips, floating_ips, security_groups, security_group_rules) that Nova keeps.
    std::map<std::string, std::int64_t> Limits() const;
};

}  // namespace nova::conf
