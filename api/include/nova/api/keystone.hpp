#pragma once
// [api] auth_strategy = keystone: what keystonemiddleware's auth_token and Nova's
// NovaKeystoneContext do in front of the compute API.
//
//   IdentityService          what nova-api asks Keystone: "is this token valid, and whose?"
//   KeystoneIdentityService  the Keystone v3 client (HTTP): a service token from password
//                            auth, renewed before it expires; GET /v3/auth/tokens with
//                            X-Auth-Token = service token, X-Subject-Token = user token.
//   KeystoneAuth             the Authenticator: the token cache (token_cache_time, bounded
//                            size, one validation in flight per token), 401 with
//                            WWW-Authenticate for a missing or refused token, 503 when the
//                            Identity service cannot be reached, and the RequestContext.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "nova/api/auth.hpp"
#include "nova/api/policy.hpp"
#include "nova/common/clock.hpp"
#include "nova/common/json.hpp"

namespace nova::api {

// What Keystone says about a valid token (the body of GET /v3/auth/tokens).
struct TokenInfo {
    std::string user_id;
    std::string user_name;
    std::string user_domain_id;
    std::string user_domain_name;
    std::string project_id;  // project-scoped tokens
    std::string project_name;
    std::string project_domain_id;
    std::string project_domain_name;
    std::string domain_id;  // domain-scoped tokens
    std::string domain_name;
    std::optional<std::string> system_scope;  // "all" for system-scoped tokens
    std::vector<std::string> roles;
    bool is_admin_project = true;
    WallTime expires_at{};
    Json catalog = Json::array();

    // From Keystone's {"token": {...}}. Throws std::invalid_argument when the body is not a
    // token (no user, no expires_at).
    static TokenInfo FromKeystone(const Json& body);
};

// The Identity service could not be asked (refused, timed out, 5xx, service user refused):
// a 503 for tokens that are not cached. Never crosses the API: KeystoneAuth answers it.
class IdentityUnavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class IdentityService {
public:
    IdentityService() = default;
    IdentityService(const IdentityService&) = delete;
    IdentityService& operator=(const IdentityService&) = delete;
    virtual ~IdentityService() = default;

    // The token's owner and scope, or nullopt when Keystone refuses the token (unknown,
    // expired, revoked). Throws IdentityUnavailable. Called from handler threads; must be
    // thread-safe and bounded in time.
    virtual std::optional<TokenInfo> Validate(const std::string& user_token) = 0;
};

// An http:// or https:// URL split for Beast.
struct HttpUrl {
    bool https = false;
    std::string host;
    std::string port;  // 80 or 443 unless given
    std::string path;  // without a trailing '/'; may be empty

    // Throws std::invalid_argument.
    static HttpUrl Parse(const std::string& url);
};

class KeystoneIdentityService final : public IdentityService {
public:
    struct Options {
        std::string auth_url;  // with or without /v3
        std::string username;
        std::string password;
        std::string user_domain_name;  // name or id: one of each pair is used
        std::string user_domain_id;
        std::string project_name;
        std::string project_domain_name;
        std::string project_domain_id;
        std::chrono::seconds timeout{10};  // each HTTP exchange
        int max_retries = 3;               // attempts after a connection failure
        bool include_catalog = true;
        // The service token is renewed when it has less than this left.
        std::chrono::seconds renew_before{120};
        // https:// auth_url only (keystonemiddleware's names): the CA bundle that verifies
        // Keystone's certificate (empty: the system's CAs), the client certificate and key
        // (optional), and whether to skip verification altogether.
        std::string cafile;
        std::string certfile;
        std::string keyfile;
        bool insecure = false;
    };

    // Throws InvalidConfiguration for a missing or malformed option (or an unreadable
    // cafile/certfile/keyfile). Does not contact Keystone: the service token is fetched on
    // first use.
    KeystoneIdentityService(Options options, const Clock& clock);
    ~KeystoneIdentityService() override;

    std::optional<TokenInfo> Validate(const std::string& user_token) override;

    struct Reply {
        int status = 0;
        std::string body;
        std::string subject_token;  // X-Subject-Token of a token POST
    };

private:
    // The service token, fetched or renewed when it is missing or about to expire.
    std::string ServiceToken(bool force_new);
    Reply Exchange(const std::string& method, const std::string& target,
                   const std::vector<std::pair<std::string, std::string>>& headers,
                   const std::string& body);

    Options options_;
    HttpUrl url_;  // auth_url without /v3
    struct Tls;
    std::unique_ptr<Tls> tls_;  // for an https auth_url
    const Clock& clock_;
    std::mutex mutex_;  // guards the service token
    std::string service_token_;
    WallTime service_token_expires_{};
};

class KeystoneAuth final : public Authenticator {
public:
    struct Options {
        std::string www_authenticate_uri;
        int token_cache_time = 300;  // seconds; -1: no cache
        std::size_t token_cache_size = 10000;
        bool use_forwarded_for = false;
        // Validations (distinct new tokens) waiting on Keystone at once; beyond this a new
        // token gets 503 right away, so that a slow Keystone cannot take every handler thread
        // from requests with cached tokens. 0: no limit.
        std::size_t max_pending_validations = 0;
    };

    // `policy` decides is_admin (Nova's context_is_admin rule), as Nova's RequestContext does.
    KeystoneAuth(Options options, IdentityService& identity, const Policy& policy, const Clock& clock);

    AuthOutcome Authenticate(const HttpRequest& request, const RequestIds& ids) const override;

    // The context Nova builds from a validated token (NovaKeystoneContext).
    RequestContext MakeContext(const TokenInfo& token) const;

    std::size_t CachedTokensForTest() const;

private:
    enum class Verdict { kValid, kInvalid, kUnavailable };
    struct Result {
        Verdict verdict = Verdict::kInvalid;
        std::shared_ptr<const TokenInfo> token;
        std::string reason;
    };
    struct Entry {
        Result result;
        MonoTime cached_until;
        std::list<std::string>::iterator order;
    };
    struct Pending {
        bool done = false;
        Result result;
    };

    Result Lookup(const std::string& token) const;
    Result Fetch(const std::string& token) const;
    void Remember(const std::string& token, const Result& result) const;
    HttpResponse Unauthorized() const;

    Options options_;
    IdentityService& identity_;
    const Policy& policy_;
    const Clock& clock_;
    mutable std::mutex mutex_;
    mutable std::condition_variable settled_;
    mutable std::unordered_map<std::string, Entry> cache_;
    mutable std::list<std::string> order_;  // oldest first
    mutable std::unordered_map<std::string, std::shared_ptr<Pending>> in_flight_;
};

}  // namespace nova::api
