#include "nova/api/auth.hpp"

#include <doctest/doctest.h>

#include "nova/common/error.hpp"

using namespace nova::api;

namespace {
HttpRequest Request(std::vector<std::pair<std::string, std::string>> headers) {
    HttpRequest r;
    r.method = "GET";
    r.target = "/v2.1/servers";
    r.headers = std::move(headers);
    r.headers.emplace_back("Host", "127.0.0.1:8774");
    r.remote_address = "10.1.2.3";
    r.SplitTarget();
    return r;
}
}  // namespace

TEST_CASE("noauth2: the token is user:project, admin iff the user is admin") {
    NoAuth2 auth(false);
    RequestIds ids{"req-00000000-0000-4000-8000-000000000001", std::nullopt};

    auto admin = std::get<nova::RequestContext>(auth.Authenticate(Request({{"X-Auth-Token", "admin:admin"}}), ids));
    CHECK(admin.user_id == "admin");
    CHECK(admin.project_id == "admin");
    CHECK(admin.is_admin);
    CHECK(admin.roles.empty());
    CHECK(admin.request_id == ids.request_id);
    CHECK(*admin.remote_address == "10.1.2.3");

    auto demo = std::get<nova::RequestContext>(auth.Authenticate(Request({{"X-Auth-Token", "demo:p1"}}), ids));
    CHECK(demo.user_id == "demo");
    CHECK(demo.project_id == "p1");
    CHECK_FALSE(demo.is_admin);

    // No colon: the project is the user.
    auto solo = std::get<nova::RequestContext>(auth.Authenticate(Request({{"X-Auth-Token", "notused"}}), ids));
    CHECK(solo.project_id == "notused");
    CHECK_FALSE(solo.is_admin);
    // An admin project does not make a non-admin user an admin.
    auto other = std::get<nova::RequestContext>(auth.Authenticate(Request({{"X-Auth-Token", "bob:admin"}}), ids));
    CHECK_FALSE(other.is_admin);
}

TEST_CASE("noauth2: no token answers 204 with the Auth 1.1 headers") {
    NoAuth2 auth(false);
    RequestIds ids{"req-x", std::nullopt};
    auto response = std::get<HttpResponse>(auth.Authenticate(Request({}), ids));
    CHECK(response.status == 204);
    CHECK(*response.Header("X-Auth-Token") == "admin:admin");
    CHECK(*response.Header("X-Server-Management-Url") == "http://127.0.0.1:8774/v2.1/servers/admin");
    auto custom = std::get<HttpResponse>(
        auth.Authenticate(Request({{"X-Auth-User", "u"}, {"X-Auth-Project-Id", "p"}}), ids));
    CHECK(*custom.Header("X-Auth-Token") == "u:p");
    CHECK(*custom.Header("X-Server-Management-Url") == "http://127.0.0.1:8774/v2.1/servers/p");
}

TEST_CASE("noauth2: X-Forwarded-For only when configured") {
    RequestIds ids{"req-x", std::nullopt};
    auto request = Request({{"X-Auth-Token", "a:b"}, {"X-Forwarded-For", "192.0.2.9"}});
    auto plain = std::get<nova::RequestContext>(NoAuth2(false).Authenticate(request, ids));
    CHECK(*plain.remote_address == "10.1.2.3");
    auto forwarded = std::get<nova::RequestContext>(NoAuth2(true).Authenticate(request, ids));
    CHECK(*forwarded.remote_address == "192.0.2.9");
}
