#include "nova/conf/keystone_authtoken.hpp"

namespace nova::conf {

void KeystoneAuthtokenOptions::Declare(Schema<KeystoneAuthtokenOptions>& s) {
    s.Opt("www_authenticate_uri", &KeystoneAuthtokenOptions::www_authenticate_uri,
          "The public Identity endpoint that unauthenticated clients are sent to: a 401 "
          "carries 'WWW-Authenticate: Keystone uri=\"<this>\"'. Unset: auth_url.")
        .DeprecatedName("auth_uri");
    s.Opt("auth_url", &KeystoneAuthtokenOptions::auth_url,
          "The Identity endpoint nova-api authenticates its service user at and validates "
          "tokens against (http[s]://host:port[/path], with or without /v3).");
    s.Opt("auth_type", &KeystoneAuthtokenOptions::auth_type, std::string("password"),
          "The authentication plugin of the service user. Only 'password' (v3 password "
          "authentication) is available.")
        .Choices({"password", "v3password"});
    s.Opt("username", &KeystoneAuthtokenOptions::username, "The service user's name.");
    s.Opt("password", &KeystoneAuthtokenOptions::password, "The service user's password.").Secret();
    s.Opt("user_domain_name", &KeystoneAuthtokenOptions::user_domain_name,
          "The domain of the service user, by name.");
    s.Opt("user_domain_id", &KeystoneAuthtokenOptions::user_domain_id,
          "The domain of the service user, by id.");
    s.Opt("project_name", &KeystoneAuthtokenOptions::project_name,
          "The project the service user's token is scoped to.");
    s.Opt("project_domain_name", &KeystoneAuthtokenOptions::project_domain_name,
          "The domain of project_name, by name.");
    s.Opt("project_domain_id", &KeystoneAuthtokenOptions::project_domain_id,
          "The domain of project_name, by id.");
    s.Opt("http_connect_timeout", &KeystoneAuthtokenOptions::http_connect_timeout, 10,
          "Seconds one request to the Identity service may take (connect, send, answer). "
          "keystonemiddleware leaves this unset (no limit); nova-cpp always bounds it.")
        .Min(1);
    s.Opt("http_request_max_retries", &KeystoneAuthtokenOptions::http_request_max_retries, 3,
          "How many times a request that could not reach the Identity service is retried.")
        .Min(0);
    s.Opt("token_cache_time", &KeystoneAuthtokenOptions::token_cache_time, 300,
          "Seconds a validated (or refused) token is remembered before it is validated "
          "again; never beyond the token's own expiry. -1 disables the cache.")
        .Min(-1);
    s.Opt("token_cache_size", &KeystoneAuthtokenOptions::token_cache_size, 10000,
          "nova-cpp: the most tokens the in-process cache holds; the oldest entries go "
          "first (keystonemiddleware's in-process cache has no bound).")
        .Min(1);
    s.Opt("include_service_catalog", &KeystoneAuthtokenOptions::include_service_catalog, true,
          "Ask the Identity service for the token's service catalog and keep it in the "
          "request context.");
    s.Opt("cafile", &KeystoneAuthtokenOptions::cafile,
          "A PEM file of the Certificate Authorities that verify the Identity service's "
          "certificate (https auth_url). Unset: the system's CAs.");
    s.Opt("certfile", &KeystoneAuthtokenOptions::certfile,
          "The PEM client certificate (chain) nova-api presents, if the Identity service "
          "requires one.");
    s.Opt("keyfile", &KeystoneAuthtokenOptions::keyfile,
          "The PEM private key of certfile (unset: certfile holds the key too).");
    s.Opt("insecure", &KeystoneAuthtokenOptions::insecure, false,
          "Do not verify the Identity service's certificate (nor its host name). For tests "
          "only.");
}

void OsloPolicyOptions::Declare(Schema<OsloPolicyOptions>& s) {
    s.Opt("policy_file", &OsloPolicyOptions::policy_file, std::string("policy.yaml"),
          "The file (YAML or JSON, Nova's rule names mapped to oslo.policy check strings) "
          "whose rules replace the defaults. A relative path is looked up beside the "
          "configuration files; a missing file means the defaults alone.");
    s.Opt("enforce_new_defaults", &OsloPolicyOptions::enforce_new_defaults, false,
          "Use only the new default rules (role-based: reader, member, admin). False (Zed's "
          "default): a rule passes when its new default or the deprecated one it replaced "
          "passes.");
}

}  // namespace nova::conf
