// The Authenticator of [api] auth_strategy = keystone: keystonemiddleware's auth_token token
// cache and rejections, and Nova's NovaKeystoneContext.
#include <algorithm>

#include "nova/api/keystone.hpp"
#include "nova/common/log.hpp"
#include "nova/common/time.hpp"

namespace nova::api {

namespace {

std::string StringAt(const Json& object, const char* key) {
    if (!object.is_object()) return {};
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const Json& ObjectAt(const Json& object, const char* key) {
    static const Json kEmpty = Json::object();
    if (!object.is_object()) return kEmpty;
    auto it = object.find(key);
    return it != object.end() && it->is_object() ? *it : kEmpty;
}

// The catalog entries Nova keeps in its context (nova/context.py).
bool KeptService(const std::string& type) {
    static const std::vector<std::string> kTypes = {"image",   "block-storage", "volumev3",
                                                    "key-manager", "placement", "network",
                                                    "accelerator", "sharev2"};
    return std::find(kTypes.begin(), kTypes.end(), type) != kTypes.end();
}

}  // namespace

TokenInfo TokenInfo::FromKeystone(const Json& body) {
    const Json& token = ObjectAt(body, "token");
    TokenInfo info;
    const Json& user = ObjectAt(token, "user");
    info.user_id = StringAt(user, "id");
    info.user_name = StringAt(user, "name");
    info.user_domain_id = StringAt(ObjectAt(user, "domain"), "id");
    info.user_domain_name = StringAt(ObjectAt(user, "domain"), "name");
    if (info.user_id.empty()) throw std::invalid_argument("the token has no user");
    auto expires = timeutil::Parse(StringAt(token, "expires_at"));
    if (!expires) throw std::invalid_argument("the token has no valid expires_at");
    info.expires_at = *expires;
    const Json& project = ObjectAt(token, "project");
    info.project_id = StringAt(project, "id");
    info.project_name = StringAt(project, "name");
    info.project_domain_id = StringAt(ObjectAt(project, "domain"), "id");
    info.project_domain_name = StringAt(ObjectAt(project, "domain"), "name");
    const Json& domain = ObjectAt(token, "domain");
    info.domain_id = StringAt(domain, "id");
    info.domain_name = StringAt(domain, "name");
    const Json& system = ObjectAt(token, "system");
    if (system.contains("all") && system["all"] == true) info.system_scope = "all";
    if (auto roles = token.find("roles"); roles != token.end() && roles->is_array()) {
        for (const auto& role : *roles) {
            std::string name = StringAt(role, "name");
            if (!name.empty()) info.roles.push_back(std::move(name));
        }
    }
    if (auto flag = token.find("is_admin_project"); flag != token.end() && flag->is_boolean()) {
        info.is_admin_project = flag->get<bool>();
    }
    if (auto catalog = token.find("catalog"); catalog != token.end() && catalog->is_array()) {
        for (const auto& service : *catalog) {
            if (KeptService(StringAt(service, "type"))) info.catalog.push_back(service);
        }
    }
    return info;
}

KeystoneAuth::KeystoneAuth(Options options, IdentityService& identity, const Policy& policy,
                           const Clock& clock)
    : options_(std::move(options)), identity_(identity), policy_(policy), clock_(clock) {
    if (options_.token_cache_size == 0) options_.token_cache_size = 1;
}

HttpResponse KeystoneAuth::Unauthorized() const {
    HttpResponse response;
    response.status = 401;
    response.SetJson(Json{{"error",
                           {{"code", 401},
                            {"title", "Unauthorized"},
                            {"message", "The request you have made requires authentication."}}}});
    response.SetHeader("WWW-Authenticate", "Keystone uri=\"" + options_.www_authenticate_uri + "\"");
    return response;
}

KeystoneAuth::Result KeystoneAuth::Fetch(const std::string& token) const {
    Result result;
    try {
        auto info = identity_.Validate(token);
        if (!info) {
            result.verdict = Verdict::kInvalid;
            result.reason = "the Identity service refused the token";
        } else if (info->expires_at <= clock_.Now()) {
            result.verdict = Verdict::kInvalid;
            result.reason = "the token expired at " + timeutil::IsoZ(info->expires_at);
        } else {
            result.verdict = Verdict::kValid;
            result.token = std::make_shared<const TokenInfo>(std::move(*info));
        }
    } catch (const IdentityUnavailable& e) {
        result.verdict = Verdict::kUnavailable;
        result.reason = e.what();
    } catch (const std::exception& e) {
        result.verdict = Verdict::kUnavailable;
        result.reason = std::string("unexpected answer from the Identity service: ") + e.what();
    }
    return result;
}

// Called with mutex_ held.
void KeystoneAuth::Remember(const std::string& token, const Result& result) const {
    if (options_.token_cache_time < 0 || result.verdict == Verdict::kUnavailable) return;
    MonoTime until = clock_.Monotonic() + std::chrono::seconds(options_.token_cache_time);
    if (auto it = cache_.find(token); it != cache_.end()) {
        order_.erase(it->second.order);
        cache_.erase(it);
    }
    while (cache_.size() >= options_.token_cache_size && !order_.empty()) {
        cache_.erase(order_.front());
        order_.pop_front();
    }
    order_.push_back(token);
    cache_.emplace(token, Entry{result, until, std::prev(order_.end())});
}

KeystoneAuth::Result KeystoneAuth::Lookup(const std::string& token) const {
    std::shared_ptr<Pending> pending;
    {
        std::unique_lock lock(mutex_);
        if (auto it = cache_.find(token); it != cache_.end()) {
            const Result& cached = it->second.result;
            bool fresh = clock_.Monotonic() < it->second.cached_until;
            bool expired = cached.token && cached.token->expires_at <= clock_.Now();
            if (fresh && !expired) return cached;
            order_.erase(it->second.order);
            cache_.erase(it);
            if (expired) return Result{Verdict::kInvalid, nullptr, "the token expired"};
        }
        // One validation per token at a time: later requests for the same token wait for it.
        if (auto it = in_flight_.find(token); it != in_flight_.end()) {
            auto waiting = it->second;
            settled_.wait(lock, [&] { return waiting->done; });
            return waiting->result;
        }
        if (options_.max_pending_validations > 0 && in_flight_.size() >= options_.max_pending_validations) {
            return Result{Verdict::kUnavailable, nullptr,
                          std::to_string(in_flight_.size()) + " token validations are already waiting on the Identity service"};
        }
        pending = std::make_shared<Pending>();
        in_flight_.emplace(token, pending);
    }
    Result result = Fetch(token);
    {
        std::lock_guard lock(mutex_);
        Remember(token, result);
        pending->done = true;
        pending->result = result;
        in_flight_.erase(token);
    }
    settled_.notify_all();
    return result;
}

RequestContext KeystoneAuth::MakeContext(const TokenInfo& token) const {
    RequestContext context;
    context.user_id = token.user_id;
    context.user_name = token.user_name;
    context.project_id = token.project_id;
    context.project_name = token.project_name;
    context.domain_id = token.domain_id;
    context.user_domain_id = token.user_domain_id;
    context.project_domain_id = token.project_domain_id;
    context.roles = token.roles;
    context.system_scope = token.system_scope;
    context.is_admin_project = token.is_admin_project;
    context.service_catalog = token.catalog;
    // Nova's RequestContext: is_admin is what the context_is_admin rule says of the
    // credentials (by default: the admin role).
    context.is_admin = false;
    context.is_admin = policy_.Allowed(context, "context_is_admin", Policy::DefaultTarget(context));
    return context;
}

AuthOutcome KeystoneAuth::Authenticate(const HttpRequest& request, const RequestIds& ids) const {
    auto& log = log::Get("nova.api.auth");
    auto token = request.Header("X-Auth-Token");
    if (!token) token = request.Header("X-Storage-Token");
    if (!token || token->empty()) {
        NOVA_LOG_INFO(log, log::kNoContext, "Rejecting request {}: no X-Auth-Token", ids.request_id);
        return Unauthorized();
    }
    Result result = Lookup(*token);
    switch (result.verdict) {
        case Verdict::kInvalid:
            NOVA_LOG_WARN(log, log::kNoContext, "Authorization failed for token ({}): {}", ids.request_id,
                          result.reason);
            return Unauthorized();
        case Verdict::kUnavailable: {
            NOVA_LOG_ERROR(log, log::kNoContext, "Unable to validate token ({}): {}", ids.request_id,
                           result.reason);
            HttpResponse response;
            response.status = 503;
            response.SetJson(Json{{"code", "503 Service Unavailable"},
                                  {"title", "Service Unavailable"},
                                  {"message", "The Keystone service is temporarily unavailable."}});
            return response;
        }
        case Verdict::kValid: break;
    }
    RequestContext context = MakeContext(*result.token);
    context.auth_token = *token;
    context.remote_address = request.remote_address;
    if (options_.use_forwarded_for) {
        if (auto forwarded = request.Header("X-Forwarded-For")) context.remote_address = *forwarded;
    }
    context.request_id = ids.request_id;
    context.global_request_id = ids.global_request_id;
    return context;
}

std::size_t KeystoneAuth::CachedTokensForTest() const {
    std::lock_guard lock(mutex_);
    return cache_.size();
}

}  // namespace nova::api
