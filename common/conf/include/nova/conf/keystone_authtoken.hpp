#pragma once
// [keystone_authtoken] (keystonemiddleware's auth_token options and the password auth
// plugin's, as nova.conf names them) and [oslo_policy] (oslo.policy's). nova-api reads them
// when [api] auth_strategy = keystone.
#include <optional>
#include <string>

#include "nova/conf/schema.hpp"

namespace nova::conf {

struct KeystoneAuthtokenOptions {
    static constexpr std::string_view kGroup = "keystone_authtoken";
    static constexpr std::string_view kHelp =
        "How nova-api validates Identity (Keystone v3) tokens: the service user it "
        "authenticates as, and the token cache.";
    std::optional<std::string> www_authenticate_uri;
    std::optional<std::string> auth_url;
    std::string auth_type;
    std::optional<std::string> username;
    std::optional<std::string> password;
    std::optional<std::string> user_domain_name;
    std::optional<std::string> user_domain_id;
    std::optional<std::string> project_name;
    std::optional<std::string> project_domain_name;
    std::optional<std::string> project_domain_id;
    int http_connect_timeout;
    int http_request_max_retries;
    int token_cache_time;
    int token_cache_size;
    bool include_service_catalog;
    std::optional<std::string> cafile;
    std::optional<std::string> certfile;
    std::optional<std::string> keyfile;
    bool insecure;
    static void Declare(Schema<KeystoneAuthtokenOptions>& s);
};

struct OsloPolicyOptions {
    static constexpr std::string_view kGroup = "oslo_policy";
    static constexpr std::string_view kHelp = "oslo.policy's options: the policy file.";
    std::string policy_file;
    bool enforce_new_defaults;
    static void Declare(Schema<OsloPolicyOptions>& s);
};

}  // namespace nova::conf
