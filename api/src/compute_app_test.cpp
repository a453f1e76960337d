#include "nova/api/compute_app.hpp"

#include <doctest/doctest.h>

#include "nova/api/validation/parameter_types.hpp"
#include "nova/common/error.hpp"

using namespace nova::api;
using nova::Json;
namespace types = nova::api::validation::types;
using validation::OrderedJson;

namespace {

struct Fixture {
    NoAuth2 auth{false};
    RulePolicy policy{ZedDefaultRules()};
    RouteTable routes;
    std::optional<ComputeApp> app;
    std::vector<std::string> calls;
    std::optional<nova::RequestContext> seen_context;
    QueryParams seen_query;
    Json seen_body;

    Fixture() {
        routes.Add({.method = "GET",
                    .path = "/servers",
                    .policy = "os_compute_api:servers:index",
                    .query_schemas = {Versions({{"type", "object"},
                                                {"properties", {{"name", types::CommonQueryRegexParam()},
                                                                {"limit", types::MultiParams(types::NonNegativeInteger())}}},
                                                {"additionalProperties", true},
                                                {"patternProperties", {{"^_", types::CommonQueryParam()}}}},
                                               {2, 1}, {2, 74}),
                                      Versions({{"type", "object"},
                                                {"properties", {{"name", types::CommonQueryRegexParam()},
                                                                {"limit", types::MultiParams(types::NonNegativeInteger())}}},
                                                {"additionalProperties", false},
                                                {"patternProperties", {{"^_", types::CommonQueryParam()}}}},
                                               {2, 75})},
                    .handler = [this](ApiRequest& req) {
                        calls.push_back("index");
                        seen_query = req.query;
                        seen_context = req.context;
                        Json servers = Json::array();
                        servers.push_back({{"id", "s1"}, {"links", req.links.SelfAndBookmark("servers", "s1")}});
                        return ApiResponse::Ok({{"servers", servers}});
                    }});
        routes.Add({.method = "POST",
                    .path = "/servers",
                    .body_schemas = {AllVersions({{"type", "object"},
                                                  {"properties", {{"server", {{"type", "object"},
                                                                              {"properties", {{"name", types::Name()}}},
                                                                              {"required", {"name"}},
                                                                              {"additionalProperties", false}}}}},
                                                  {"required", {"server"}},
                                                  {"additionalProperties", false}})},
                    .handler = [this](ApiRequest& req) {
                        seen_body = req.body;
                        ApiResponse r = ApiResponse::WithStatus(202, Json{{"server", {{"id", "new"}}}});
                        r.headers.emplace_back("Location", req.links.Self("servers", "new"));
                        return r;
                    }});
        routes.Add({.method = "GET", .path = "/servers/{server_id}", .handler = [](ApiRequest& req) -> ApiResponse {
                        const std::string& id = req.params.Get("server_id");
                        if (id == "boom") throw std::runtime_error("secret internal detail");
                        if (id == "gone") throw nova::InstanceNotFound({{"instance_id", id}});
                        if (id == "state") {
                            throw nova::InstanceInvalidState({{"instance_uuid", id}, {"attr", "vm_state"},
                                                              {"state", "stopped"}, {"method", "pause"}});
                        }
                        return ApiResponse::Ok({{"server", {{"id", id}}}});
                    }});
        routes.Add({.method = "POST", .path = "/servers/{server_id}/action", .action = "reboot",
                    .body_schemas = {AllVersions({{"type", "object"},
                                                  {"properties", {{"reboot", {{"type", "object"},
                                                                              {"properties", {{"type", {{"type", "string"}, {"enum", {"HARD", "SOFT"}}}}}},
                                                                              {"required", {"type"}}}}}}})},
                    .handler = [this](ApiRequest&) {
                        calls.push_back("reboot");
                        return ApiResponse::WithStatus(202);
                    }});
        routes.Add({.method = "POST", .path = "/servers/{server_id}/action", .action = "lock",
                    .min_version = {2, 73}, .handler = [this](ApiRequest&) {
                        calls.push_back("lock");
                        return ApiResponse::WithStatus(202);
                    }});
        routes.Add({.method = "GET", .path = "/os-hypervisors/statistics", .max_version = {2, 87},
                    .policy = "os_compute_api:os-hypervisors:statistics",
                    .handler = [](ApiRequest&) { return ApiResponse::Ok({{"hypervisor_statistics", Json::object()}}); }});
        app.emplace(ComputeAppOptions{.max_limit = 1000, .compute_link_prefix = std::nullopt,
                                      .max_request_body_size = 1024},
                    auth, policy, routes);
    }

    HttpResponse Call(std::string method, std::string target, HeaderList headers = {}, std::string body = {},
                      bool with_token = true) {
        HttpRequest request;
        request.method = std::move(method);
        request.target = std::move(target);
        request.headers = std::move(headers);
        request.headers.emplace_back("Host", "127.0.0.1:8774");
        if (with_token && !request.HasHeader("X-Auth-Token")) request.headers.emplace_back("X-Auth-Token", "admin:admin");
        request.body = std::move(body);
        REQUIRE(request.SplitTarget());
        return app->Handle(request).response;
    }
};

Json Body(const HttpResponse& r) { return Json::parse(r.body); }

int CountHeader(const HttpResponse& r, std::string_view name) {
    int n = 0;
    for (const auto& [k, v] : r.headers) n += HeaderNameEquals(k, name) ? 1 : 0;
    return n;
}

}  // namespace

TEST_CASE("compute app: version documents and choices") {
    Fixture f;
    auto root = f.Call("GET", "/", {}, {}, false);
    CHECK(root.status == 200);
    CHECK(Body(root)["versions"][1]["version"] == "2.93");
    CHECK(Body(root)["versions"][1]["links"][0]["href"] == "http://127.0.0.1:8774/v2.1/");
    CHECK(Body(root)["versions"][0]["links"][0]["href"] == "http://127.0.0.1:8774/v2/");
    CHECK_FALSE(root.Header("x-openstack-request-id"));

    for (const char* path : {"/v2.1", "/v2.1/"}) {
        auto doc = f.Call("GET", path, {}, {}, false);  // no token needed
        CHECK(doc.status == 200);
        CHECK(Body(doc)["version"]["id"] == "v2.1");
        CHECK(Body(doc)["version"]["min_version"] == "2.1");
        CHECK(Body(doc)["version"]["links"][0]["href"] == "http://127.0.0.1:8774/v2.1/");
        CHECK(*doc.Header("OpenStack-API-Version") == "compute 2.1");
        CHECK(CountHeader(doc, "Vary") == 2);
        CHECK(doc.Header("x-compute-request-id")->rfind("req-", 0) == 0);
        CHECK(*doc.Header("x-compute-request-id") == *doc.Header("x-openstack-request-id"));
    }
    auto echoed = f.Call("GET", "/v2.1", {{"OpenStack-API-Version", "compute 2.60"}}, {}, false);
    CHECK(*echoed.Header("X-OpenStack-Nova-API-Version") == "2.60");

    auto legacy = f.Call("GET", "/v2", {}, {}, false);
    CHECK(Body(legacy)["version"]["id"] == "v2.0");
    CHECK_FALSE(legacy.Header("OpenStack-API-Version"));

    auto choices = f.Call("GET", "/xyz", {}, {}, false);
    CHECK(choices.status == 300);
    CHECK(Body(choices)["choices"][1]["links"][0]["href"] == "http://127.0.0.1:8774/v2.1/xyz");
}

TEST_CASE("compute app: noauth2 without a token answers 204 before routing") {
    Fixture f;
    auto r = f.Call("GET", "/v2.1/servers", {}, {}, false);
    CHECK(r.status == 204);
    CHECK(*r.Header("X-Auth-Token") == "admin:admin");
    CHECK(r.Header("x-openstack-request-id"));
    CHECK(f.calls.empty());
    CHECK(f.Call("GET", "/v2.1/nosuchthing", {}, {}, false).status == 204);
}

TEST_CASE("compute app: microversion negotiation, headers and errors") {
    Fixture f;
    auto ok = f.Call("GET", "/v2.1/servers", {{"X-OpenStack-Nova-API-Version", "2.20"}, {"OpenStack-API-Version", "compute 2.30"}});
    CHECK(ok.status == 200);
    CHECK(*ok.Header("OpenStack-API-Version") == "compute 2.30");
    CHECK(*ok.Header("X-OpenStack-Nova-API-Version") == "2.30");
    CHECK(CountHeader(ok, "Vary") == 2);
    CHECK(ok.log_microversion == "2.30");

    auto bad = f.Call("GET", "/v2.1/servers", {{"OpenStack-API-Version", "compute latest2"}});
    CHECK(bad.status == 400);
    CHECK(Body(bad) == Json{{"badRequest", {{"code", 400}, {"message", "API Version String latest2 is of invalid format. Must be of format MajorNum.MinorNum."}}}});
    CHECK_FALSE(bad.Header("OpenStack-API-Version"));
    CHECK_FALSE(bad.Header("Vary"));
    CHECK(*bad.Header("Content-Type") == "application/json; charset=UTF-8");

    auto high = f.Call("GET", "/v2.1/servers", {{"OpenStack-API-Version", "compute 2.999"}});
    CHECK(high.status == 406);
    CHECK(Body(high)["computeFault"]["message"] == "Version 2.999 is not supported by the API. Minimum is 2.1 and maximum is 2.93.");
    CHECK(*high.Header("OpenStack-API-Version") == "compute 2.999");
    CHECK(CountHeader(high, "Vary") == 2);

    auto latest = f.Call("GET", "/v2.1/servers", {{"OpenStack-API-Version", "compute latest"}});
    CHECK(*latest.Header("X-OpenStack-Nova-API-Version") == "2.93");

    // A route outside its microversion range: 404, with version headers.
    CHECK(f.Call("GET", "/v2.1/os-hypervisors/statistics", {{"OpenStack-API-Version", "compute 2.87"}}).status == 200);
    auto gone = f.Call("GET", "/v2.1/os-hypervisors/statistics", {{"OpenStack-API-Version", "compute 2.88"}});
    CHECK(gone.status == 404);
    CHECK(Body(gone) == Json{{"itemNotFound", {{"code", 404}, {"message", "The resource could not be found."}}}});
    CHECK(*gone.Header("OpenStack-API-Version") == "compute 2.88");

    // Unknown path or method: 404 from the router, without version headers (as in Zed).
    auto unknown = f.Call("GET", "/v2.1/nosuchthing");
    CHECK(unknown.status == 404);
    CHECK(Body(unknown)["itemNotFound"]["code"] == 404);
    CHECK_FALSE(unknown.Header("OpenStack-API-Version"));
    CHECK(f.Call("PUT", "/v2.1/servers", {}, "{}").status == 404);
}

TEST_CASE("compute app: bodies - malformed JSON, schema errors, content type, size") {
    Fixture f;
    auto malformed = f.Call("POST", "/v2.1/servers", {{"Content-Type", "application/json"}}, "{\"server\": ");
    CHECK(malformed.status == 400);
    CHECK(Body(malformed)["badRequest"]["message"] == "Malformed request body");

    auto wrong = f.Call("POST", "/v2.1/servers", {}, R"({"server": {"name": 1}})");
    CHECK(Body(wrong)["badRequest"]["message"] == "Invalid input for field/attribute name. Value: 1. 1 is not of type 'string'");
    auto extra = f.Call("POST", "/v2.1/servers", {}, R"({"server": {"name": "x", "bogus": 1}})");
    CHECK(Body(extra)["badRequest"]["message"] ==
          "Invalid input for field/attribute server. Value: {'name': 'x', 'bogus': 1}. Additional properties are not allowed ('bogus' was unexpected)");
    auto empty = f.Call("POST", "/v2.1/servers", {}, "");
    CHECK(Body(empty)["badRequest"]["message"] == "None is not of type 'object'");

    auto created = f.Call("POST", "/v2.1/servers", {}, R"({"server": {"name": "vm ünï"}})");
    CHECK(created.status == 202);
    CHECK(f.seen_body["server"]["name"] == "vm ünï");
    CHECK(*created.Header("Location") == "http://127.0.0.1:8774/v2.1/servers/new");

    auto xml = f.Call("POST", "/v2.1/servers", {{"Content-Type", "application/xml"}}, "<server/>");
    CHECK(xml.status == 415);
    CHECK(Body(xml)["badMediaType"]["message"] == "Unsupported Content-Type");
    CHECK(f.Call("POST", "/v2.1/servers", {{"Content-Type", "text/plain"}}, R"({"server": {"name": "x"}})").status == 202);

    auto huge = f.Call("POST", "/v2.1/servers", {}, std::string(2000, ' '));
    CHECK(huge.status == 413);
    CHECK(Body(huge)["overLimit"]["message"] == "Request is too large. Larger than max_request_body_size (1024).");
}

TEST_CASE("compute app: actions are dispatched on the body's key") {
    Fixture f;
    CHECK(f.Call("POST", "/v2.1/servers/s1/action", {}, R"({"reboot": {"type": "HARD"}})").status == 202);
    CHECK(f.calls.back() == "reboot");
    auto unknown = f.Call("POST", "/v2.1/servers/s1/action", {}, R"({"explode": null})");
    CHECK(unknown.status == 400);
    CHECK(Body(unknown)["badRequest"]["message"] == "There is no such action: explode");
    auto two = f.Call("POST", "/v2.1/servers/s1/action", {}, R"({"reboot": {}, "pause": null})");
    CHECK(Body(two)["badRequest"]["message"] == "Malformed request body");
    auto invalid = f.Call("POST", "/v2.1/servers/s1/action", {}, R"({"reboot": {"type": "soft"}})");
    CHECK(Body(invalid)["badRequest"]["message"] ==
          "Invalid input for field/attribute type. Value: soft. 'soft' is not one of ['HARD', 'SOFT']");
    // An action that exists only from 2.73.
    CHECK(f.Call("POST", "/v2.1/servers/s1/action", {}, R"({"lock": null})").status == 404);
    CHECK(f.Call("POST", "/v2.1/servers/s1/action", {{"OpenStack-API-Version", "compute 2.73"}}, R"({"lock": null})").status == 202);
}

TEST_CASE("compute app: project in the URL, links, policy") {
    Fixture f;
    auto scoped = f.Call("GET", "/v2.1/abc123/servers", {{"X-Auth-Token", "demo:abc123"}});
    CHECK(scoped.status == 200);
    CHECK(Body(scoped)["servers"][0]["links"][0]["href"] == "http://127.0.0.1:8774/v2.1/abc123/servers/s1");
    CHECK(Body(scoped)["servers"][0]["links"][1]["href"] == "http://127.0.0.1:8774/abc123/servers/s1");

    auto mismatch = f.Call("GET", "/v2.1/abc123/servers", {{"X-Auth-Token", "demo:def456"}});
    CHECK(mismatch.status == 400);
    CHECK(Body(mismatch)["badRequest"]["message"] ==
          "Malformed request URL: URL's project_id 'abc123' doesn't match Context's project_id 'def456'");
    CHECK(f.Call("GET", "/v2.1/admin/servers").status == 404);  // not a project id pattern

    auto forbidden = f.Call("GET", "/v2.1/os-hypervisors/statistics", {{"X-Auth-Token", "demo:demo"}});
    CHECK(forbidden.status == 403);
    CHECK(Body(forbidden) == Json{{"forbidden", {{"code", 403}, {"message", "Policy doesn't allow os_compute_api:os-hypervisors:statistics to be performed."}}}});
    CHECK(*forbidden.Header("OpenStack-API-Version") == "compute 2.1");
}

TEST_CASE("compute app: handler errors become Nova's faults without leaking internals") {
    Fixture f;
    auto gone = f.Call("GET", "/v2.1/servers/gone");
    CHECK(Body(gone) == Json{{"itemNotFound", {{"code", 404}, {"message", "Instance gone could not be found."}}}});
    auto conflict = f.Call("GET", "/v2.1/servers/state");
    CHECK(conflict.status == 409);
    CHECK(Body(conflict)["conflictingRequest"]["code"] == 409);
    auto boom = f.Call("GET", "/v2.1/servers/boom");
    CHECK(boom.status == 500);
    CHECK(Body(boom)["computeFault"]["message"].get<std::string>().find("Unexpected API Error") == 0);
    CHECK(boom.body.find("secret internal detail") == std::string::npos);
}

TEST_CASE("compute app: query parameters by microversion") {
    Fixture f;
    CHECK(f.Call("GET", "/v2.1/servers?foo=1&name=web").status == 200);
    CHECK(f.seen_query == QueryParams{{"name", "web"}});  // undeclared parameters stripped
    auto strict = f.Call("GET", "/v2.1/servers?foo=1", {{"OpenStack-API-Version", "compute 2.75"}});
    CHECK(strict.status == 400);
    CHECK(Body(strict)["badRequest"]["message"] == "'foo' does not match any of the regexes: '^_'");
    auto negative = f.Call("GET", "/v2.1/servers?limit=-1");
    CHECK(Body(negative)["badRequest"]["message"] ==
          "Invalid input for query parameters limit. Value: -1. '-1' does not match '^[0-9]*$'");
    CHECK(f.Call("GET", "/v2.1/servers?_secret=1").status == 200);
    CHECK(f.seen_query == QueryParams{{"_secret", "1"}});  // kept for the handler to refuse
    auto not_utf8 = f.Call("GET", "/v2.1/servers?name=%ff");
    CHECK(Body(not_utf8)["badRequest"]["message"] == "Query string is not UTF-8 encoded");
}

TEST_CASE("compute app: request ids and the legacy v2 endpoint") {
    Fixture f;
    auto r = f.Call("GET", "/v2.1/servers", {{"X-OpenStack-Request-ID", "req-0f1e2d3c-4b5a-4968-8776-655443322110"}});
    CHECK(*f.seen_context->global_request_id == "req-0f1e2d3c-4b5a-4968-8776-655443322110");
    CHECK(f.seen_context->request_id == *r.Header("x-openstack-request-id"));
    CHECK(f.seen_context->request_id != "req-0f1e2d3c-4b5a-4968-8776-655443322110");
    f.Call("GET", "/v2.1/servers", {{"X-OpenStack-Request-ID", "not-a-request-id"}});
    CHECK_FALSE(f.seen_context->global_request_id);

    auto legacy = f.Call("POST", "/v2/servers", {{"OpenStack-API-Version", "compute 2.999"}},
                         R"({"server": {"name": "x", "bogus": 1}})");
    CHECK(legacy.status == 202);  // headers ignored, undeclared properties dropped
    CHECK(f.seen_body == Json{{"server", {{"name", "x"}}}});
    CHECK_FALSE(legacy.Header("OpenStack-API-Version"));
    CHECK_FALSE(legacy.Header("Vary"));
}
