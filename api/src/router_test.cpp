#include "nova/api/router.hpp"

#include <doctest/doctest.h>

using namespace nova::api;

namespace {
Handler Returns(int status) {
    return [status](ApiRequest&) { return ApiResponse::WithStatus(status); };
}
}  // namespace

TEST_CASE("router: literals win over variables, project_id segment is optional") {
    RouteTable routes;
    routes.Add({.method = "GET", .path = "/servers/{server_id}", .handler = Returns(1)});
    routes.Add({.method = "GET", .path = "/servers/detail", .handler = Returns(2)});
    routes.Add({.method = "GET", .path = "/servers", .handler = Returns(3)});

    auto detail = routes.Find("GET", "/servers/detail");
    REQUIRE(detail);
    CHECK(detail->candidates.front()->path == "/servers/detail");
    CHECK_FALSE(detail->project_id);

    auto show = routes.Find("GET", "/servers/abc");
    REQUIRE(show);
    CHECK(show->params.Get("server_id") == "abc");

    auto scoped = routes.Find("GET", "/0123abcd-ef/servers/xyz");
    REQUIRE(scoped);
    CHECK(*scoped->project_id == "0123abcd-ef");
    CHECK(scoped->params.Get("server_id") == "xyz");

    CHECK_FALSE(routes.Find("GET", "/admin/servers"));   // not [0-9a-f-]+
    CHECK_FALSE(routes.Find("PUT", "/servers"));         // known path, other method: 404
    CHECK_FALSE(routes.Find("GET", "/servers/"));        // trailing slash
    CHECK_FALSE(routes.Find("GET", "/nosuchthing"));
    CHECK_FALSE(routes.Find("GET", "/servers/abc/def"));
}

TEST_CASE("router: actions and microversioned declarations of one path") {
    RouteTable routes;
    routes.Add({.method = "POST", .path = "/servers/{id}/action", .action = "reboot", .handler = Returns(1)});
    routes.Add({.method = "POST", .path = "/servers/{id}/action", .action = "pause", .handler = Returns(2)});
    auto match = routes.Find("POST", "/servers/x/action");
    REQUIRE(match);
    CHECK(match->is_action);
    CHECK(match->candidates.size() == 2);

    routes.Add({.method = "GET", .path = "/stats", .max_version = {2, 87}, .handler = Returns(1)});
    CHECK_THROWS_AS(routes.Add({.method = "GET", .path = "/stats", .min_version = {2, 80}, .handler = Returns(2)}),
                    std::invalid_argument);
    routes.Add({.method = "GET", .path = "/stats", .min_version = {2, 88}, .handler = Returns(2)});
    CHECK(routes.Find("GET", "/stats")->candidates.size() == 2);

    CHECK_THROWS_AS(routes.Add({.method = "GET", .path = "/x", .body_schemas = {AllVersions({{"type", "object"}})},
                                .handler = Returns(1)}),
                    std::invalid_argument);
    CHECK_THROWS_AS(routes.Add({.method = "GET", .path = "nope", .handler = Returns(1)}), std::invalid_argument);
}
