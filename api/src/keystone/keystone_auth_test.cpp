#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <thread>

#include "nova/api/keystone.hpp"
#include "nova/common/time.hpp"

using namespace nova::api;
using nova::Json;

namespace {

// Keystone's answer for a project-scoped token.
Json TokenBody(const std::string& user, const std::string& project, std::vector<std::string> roles,
               const std::string& expires_at) {
    Json role_list = Json::array();
    for (const auto& r : roles) role_list.push_back({{"id", r + "-id"}, {"name", r}});
    return {{"token",
             {{"methods", {"password"}},
              {"user", {{"id", user + "-id"}, {"name", user}, {"domain", {{"id", "default"}, {"name", "Default"}}}}},
              {"project", {{"id", project + "-id"}, {"name", project}, {"domain", {{"id", "default"}, {"name", "Default"}}}}},
              {"roles", role_list},
              {"expires_at", expires_at},
              {"issued_at", "2023-11-14T21:00:00.000000Z"},
              {"catalog",
               {{{"type", "compute"}, {"name", "nova"}, {"endpoints", Json::array()}},
                {{"type", "image"}, {"name", "glance"}, {"endpoints", Json::array()}}}}}}};
}

// Records calls; answers from a table; can be "down".
class FakeIdentity final : public IdentityService {
public:
    std::optional<TokenInfo> Validate(const std::string& token) override {
        ++calls;
        if (delay.count()) std::this_thread::sleep_for(delay);
        if (down) throw IdentityUnavailable("connection refused");
        auto it = tokens.find(token);
        if (it == tokens.end()) return std::nullopt;
        return TokenInfo::FromKeystone(it->second);
    }
    std::map<std::string, Json> tokens;
    std::atomic<bool> down{false};
    std::atomic<int> calls{0};
    std::chrono::milliseconds delay{0};
};

HttpRequest WithToken(const std::string& token) {
    HttpRequest r;
    r.method = "GET";
    r.target = r.path = "/v2.1/flavors";
    r.remote_address = "10.0.0.1";
    if (!token.empty()) r.headers.emplace_back("X-Auth-Token", token);
    return r;
}

const RequestIds kIds{"req-1", std::nullopt};

// 2023-11-14T22:13:20Z is the ManualClock's start.
constexpr const char* kInAnHour = "2023-11-14T23:13:20.000000Z";

}  // namespace

TEST_CASE("keystone: TokenInfo from Keystone's token body") {
    auto info = TokenInfo::FromKeystone(TokenBody("alice", "demo", {"member", "reader"}, kInAnHour));
    CHECK(info.user_id == "alice-id");
    CHECK(info.user_name == "alice");
    CHECK(info.user_domain_id == "default");
    CHECK(info.project_id == "demo-id");
    CHECK(info.project_name == "demo");
    CHECK(info.project_domain_id == "default");
    CHECK(info.roles == std::vector<std::string>{"member", "reader"});
    CHECK(info.is_admin_project);
    CHECK_FALSE(info.system_scope);
    CHECK(nova::timeutil::IsoZ(info.expires_at) == "2023-11-14T23:13:20Z");
    // Only the services Nova keeps in its context.
    REQUIRE(info.catalog.size() == 1);
    CHECK(info.catalog[0]["type"] == "image");

    Json system = TokenBody("root", "x", {"admin"}, kInAnHour);
    system["token"].erase("project");
    system["token"]["system"] = {{"all", true}};
    system["token"]["is_admin_project"] = false;
    auto sys = TokenInfo::FromKeystone(system);
    CHECK(*sys.system_scope == "all");
    CHECK(sys.project_id.empty());
    CHECK_FALSE(sys.is_admin_project);

    CHECK_THROWS_AS(TokenInfo::FromKeystone(Json{{"token", {{"expires_at", kInAnHour}}}}), std::invalid_argument);
    CHECK_THROWS_AS(TokenInfo::FromKeystone(Json{{"error", {{"code", 404}}}}), std::invalid_argument);
}

TEST_CASE("keystone: http URLs") {
    auto u = HttpUrl::Parse("http://127.0.0.1:5000/identity/v3/");
    CHECK(u.host == "127.0.0.1");
    CHECK(u.port == "5000");
    CHECK(u.path == "/identity/v3");
    CHECK(HttpUrl::Parse("http://keystone").port == "80");
    CHECK(HttpUrl::Parse("http://[::1]:35357").host == "::1");
    CHECK_FALSE(u.https);
    auto tls = HttpUrl::Parse("https://keystone.example/identity");
    CHECK(tls.https);
    CHECK(tls.host == "keystone.example");
    CHECK(tls.port == "443");
    CHECK(tls.path == "/identity");
    CHECK(HttpUrl::Parse("https://[::1]").port == "443");
    CHECK(HttpUrl::Parse("https://keystone:5001").port == "5001");
    CHECK_THROWS_AS(HttpUrl::Parse("ftp://keystone:5000"), std::invalid_argument);
    CHECK_THROWS_AS(HttpUrl::Parse("http://:5000"), std::invalid_argument);
}

TEST_CASE("keystone: the context, 401 and 503") {
    nova::ManualClock clock;
    FakeIdentity identity;
    identity.tokens["member-token"] = TokenBody("alice", "demo", {"member", "reader"}, kInAnHour);
    identity.tokens["admin-token"] = TokenBody("admin", "admin", {"admin", "member", "reader"}, kInAnHour);
    RulePolicy policy(ZedDefaultRules());
    KeystoneAuth auth({.www_authenticate_uri = "http://127.0.0.1:5000/v3", .token_cache_time = 300,
                       .token_cache_size = 100, .use_forwarded_for = false},
                      identity, policy, clock);

    auto outcome = auth.Authenticate(WithToken("member-token"), kIds);
    REQUIRE(std::holds_alternative<nova::RequestContext>(outcome));
    auto ctx = std::get<nova::RequestContext>(outcome);
    CHECK(ctx.user_id == "alice-id");
    CHECK(ctx.user_name == "alice");
    CHECK(ctx.project_id == "demo-id");
    CHECK(ctx.project_name == "demo");
    CHECK(ctx.user_domain_id == "default");
    CHECK(ctx.project_domain_id == "default");
    CHECK(ctx.roles == std::vector<std::string>{"member", "reader"});
    CHECK_FALSE(ctx.is_admin);
    CHECK(*ctx.auth_token == "member-token");
    CHECK(*ctx.remote_address == "10.0.0.1");
    CHECK(ctx.request_id == "req-1");
    CHECK(IsUserContext(ctx));
    CHECK(ProjectVisible(ctx, "demo-id"));
    CHECK_FALSE(ProjectVisible(ctx, "alt-id"));

    auto admin = std::get<nova::RequestContext>(auth.Authenticate(WithToken("admin-token"), kIds));
    CHECK(admin.is_admin);  // context_is_admin: role:admin
    CHECK_FALSE(IsUserContext(admin));
    CHECK(ProjectVisible(admin, "alt-id"));

    for (const std::string token : {"", "garbage"}) {
        CAPTURE(token);
        auto refused = auth.Authenticate(WithToken(token), kIds);
        REQUIRE(std::holds_alternative<HttpResponse>(refused));
        auto& response = std::get<HttpResponse>(refused);
        CHECK(response.status == 401);
        CHECK(*response.Header("WWW-Authenticate") == "Keystone uri=\"http://127.0.0.1:5000/v3\"");
        CHECK(Json::parse(response.body)["error"]["message"] ==
              "The request you have made requires authentication.");
    }

    // Keystone down: cached tokens keep working, new ones get 503.
    identity.down = true;
    CHECK(std::holds_alternative<nova::RequestContext>(auth.Authenticate(WithToken("member-token"), kIds)));
    identity.tokens["new-token"] = TokenBody("bob", "alt", {"member"}, kInAnHour);
    auto unavailable = auth.Authenticate(WithToken("new-token"), kIds);
    REQUIRE(std::holds_alternative<HttpResponse>(unavailable));
    CHECK(std::get<HttpResponse>(unavailable).status == 503);
    // A 503 is not remembered: once Keystone is back, the token works.
    identity.down = false;
    CHECK(std::holds_alternative<nova::RequestContext>(auth.Authenticate(WithToken("new-token"), kIds)));
}

TEST_CASE("keystone: the cache: token_cache_time, expiry, size, -1") {
    nova::ManualClock clock;
    FakeIdentity identity;
    identity.tokens["t"] = TokenBody("alice", "demo", {"member"}, kInAnHour);
    RulePolicy policy(ZedDefaultRules());
    KeystoneAuth auth({.www_authenticate_uri = "http://ks", .token_cache_time = 300, .token_cache_size = 2,
                       .use_forwarded_for = false},
                      identity, policy, clock);

    auth.Authenticate(WithToken("t"), kIds);
    auth.Authenticate(WithToken("t"), kIds);
    CHECK(identity.calls == 1);
    // Refused tokens are remembered too.
    auth.Authenticate(WithToken("nope"), kIds);
    auth.Authenticate(WithToken("nope"), kIds);
    CHECK(identity.calls == 2);
    // After token_cache_time the token is validated again: a revoked token is refused then.
    clock.Advance(std::chrono::seconds(301));
    identity.tokens.erase("t");
    CHECK(std::get<HttpResponse>(auth.Authenticate(WithToken("t"), kIds)).status == 401);
    CHECK(identity.calls == 3);

    // A cached token stops working when it expires, whatever the cache time.
    identity.tokens["short"] = TokenBody("alice", "demo", {"member"}, "2023-11-14T22:20:00Z");
    CHECK(std::holds_alternative<nova::RequestContext>(auth.Authenticate(WithToken("short"), kIds)));
    clock.Advance(std::chrono::seconds(120));
    identity.down = true;  // not even asked
    CHECK(std::get<HttpResponse>(auth.Authenticate(WithToken("short"), kIds)).status == 401);
    identity.down = false;
    // Keystone answering with an expired token is a refusal.
    identity.tokens["old"] = TokenBody("alice", "demo", {"member"}, "2023-11-14T22:00:00Z");
    CHECK(std::get<HttpResponse>(auth.Authenticate(WithToken("old"), kIds)).status == 401);

    // Bounded: never more than token_cache_size entries.
    for (int i = 0; i < 10; ++i) auth.Authenticate(WithToken("x" + std::to_string(i)), kIds);
    CHECK(auth.CachedTokensForTest() == 2);

    // -1: every request is validated.
    KeystoneAuth uncached({.www_authenticate_uri = "http://ks", .token_cache_time = -1, .token_cache_size = 10,
                           .use_forwarded_for = false},
                          identity, policy, clock);
    identity.tokens["u"] = TokenBody("alice", "demo", {"member"}, kInAnHour);
    int before = identity.calls;
    uncached.Authenticate(WithToken("u"), kIds);
    uncached.Authenticate(WithToken("u"), kIds);
    CHECK(identity.calls == before + 2);
    CHECK(uncached.CachedTokensForTest() == 0);
}

TEST_CASE("keystone: concurrent requests with one new token validate it once") {
    nova::ManualClock clock;
    FakeIdentity identity;
    identity.delay = std::chrono::milliseconds(50);
    identity.tokens["t"] = TokenBody("alice", "demo", {"member"}, kInAnHour);
    RulePolicy policy(ZedDefaultRules());
    KeystoneAuth auth({.www_authenticate_uri = "http://ks", .token_cache_time = 300, .token_cache_size = 10,
                       .use_forwarded_for = false},
                      identity, policy, clock);
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&] {
            if (std::holds_alternative<nova::RequestContext>(auth.Authenticate(WithToken("t"), kIds))) ++ok;
        });
    }
    for (auto& t : threads) t.join();
    CHECK(ok == 8);
    CHECK(identity.calls == 1);
}

TEST_CASE("keystone: a slow Keystone holds at most max_pending_validations handler threads") {
    nova::ManualClock clock;
    FakeIdentity identity;
    identity.delay = std::chrono::milliseconds(300);
    identity.tokens["cached"] = TokenBody("alice", "demo", {"member"}, kInAnHour);
    identity.tokens["a"] = TokenBody("bob", "alt", {"member"}, kInAnHour);
    identity.tokens["b"] = TokenBody("carol", "alt", {"member"}, kInAnHour);
    RulePolicy policy(ZedDefaultRules());
    KeystoneAuth auth({.www_authenticate_uri = "http://ks", .token_cache_time = 300, .token_cache_size = 10,
                       .use_forwarded_for = false, .max_pending_validations = 1},
                      identity, policy, clock);
    REQUIRE(std::holds_alternative<nova::RequestContext>(auth.Authenticate(WithToken("cached"), kIds)));
    std::atomic<int> status_a{0};
    std::thread slow([&] {
        auto outcome = auth.Authenticate(WithToken("a"), kIds);
        status_a = std::holds_alternative<nova::RequestContext>(outcome) ? 200 : std::get<HttpResponse>(outcome).status;
    });
    while (identity.calls < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    // "a" is being validated: another new token is refused at once, a cached one still works.
    auto started = std::chrono::steady_clock::now();
    auto refused = auth.Authenticate(WithToken("b"), kIds);
    REQUIRE(std::holds_alternative<HttpResponse>(refused));
    CHECK(std::get<HttpResponse>(refused).status == 503);
    CHECK(std::holds_alternative<nova::RequestContext>(auth.Authenticate(WithToken("cached"), kIds)));
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(200));
    slow.join();
    CHECK(status_a == 200);
    CHECK(std::holds_alternative<nova::RequestContext>(auth.Authenticate(WithToken("b"), kIds)));
}

TEST_CASE("keystone: a policy file can change who is admin") {
    nova::ManualClock clock;
    FakeIdentity identity;
    identity.tokens["ops"] = TokenBody("carol", "ops", {"operator"}, kInAnHour);
    RulePolicy policy(ZedDefaultRules(), {.enforce_new_defaults = false,
                                          .overrides = {{"context_is_admin", "role:operator"}}});
    KeystoneAuth auth({.www_authenticate_uri = "http://ks", .token_cache_time = 300, .token_cache_size = 10,
                       .use_forwarded_for = false},
                      identity, policy, clock);
    auto ctx = std::get<nova::RequestContext>(auth.Authenticate(WithToken("ops"), kIds));
    CHECK(ctx.is_admin);
    CHECK(policy.Allowed(ctx, "os_compute_api:os-services:list", Policy::DefaultTarget(ctx)));
}
