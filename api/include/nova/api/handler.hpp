#pragma once
// How a resource handler is declared and what it sees. See docs/api.md.
//
//   table.Add({.method = "GET", .path = "/os-hypervisors/statistics",
//              .max_version = {2, 87}, .policy = "os_compute_api:os-hypervisors:statistics",
//              .handler = [&](ApiRequest& req) { return ApiResponse::Ok(...); }});
//
// The framework, before calling the handler: negotiates the microversion and picks the
// declaration whose [min_version, max_version] holds it (none: 404), checks the URL's
// project against the context's, parses and validates the body and the query against the
// schemas declared for that version (400 with Nova's message), strips undeclared query
// parameters (as Nova's query_schema does), then checks `policy` with the default target
// (the context's project and user) when one is named. Handlers check rules that need the
// resource's own project with req.Authorize(rule, target).
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nova/api/http_message.hpp"
#include "nova/api/links.hpp"
#include "nova/api/microversion.hpp"
#include "nova/api/policy.hpp"
#include "nova/api/validation/schema.hpp"
#include "nova/common/context.hpp"
#include "nova/common/json.hpp"

namespace nova::api {

// Path variables of the matched route ({server_id} -> "..."), decoded.
class PathParams {
public:
    void Set(std::string name, std::string value) { values_.emplace_back(std::move(name), std::move(value)); }
    // The value of `name`; the route guarantees it exists.
    const std::string& Get(std::string_view name) const;
    const std::vector<std::pair<std::string, std::string>>& All() const { return values_; }

private:
    std::vector<std::pair<std::string, std::string>> values_;
};

struct ApiRequest {
    const HttpRequest& http;
    RequestContext& context;
    ApiVersion version;
    bool legacy_v2 = false;  // under /v2: Nova's v2.0 compatibility mode
    PathParams params;
    QueryParams query;       // validated; undeclared parameters removed when a schema applies
    Json body;               // null when the request had none
    const LinkBuilder& links;
    const Policy& policy;

    bool AtLeast(int major, int minor) const { return version >= ApiVersion{major, minor}; }
    // The last value of a query parameter (webob's req.GET[name]).
    std::optional<std::string> QueryValue(std::string_view name) const;
    std::vector<std::string> QueryValues(std::string_view name) const;

    void Authorize(std::string_view rule, const Json& target) const {
        policy.Authorize(context, rule, target);
    }
    void Authorize(std::string_view rule) const { policy.Authorize(context, rule); }
    bool Can(std::string_view rule, const Json& target) const {
        return policy.Allowed(context, rule, target);
    }
};

struct ApiResponse {
    int status = 200;
    std::optional<Json> body;
    HeaderList headers;
    // A body already written as JSON text (large views written straight into the answer),
    // sent instead of `body`.
    std::optional<std::string> json_text = std::nullopt;

    static ApiResponse Ok(Json body) { return {200, std::move(body), {}, std::nullopt}; }
    static ApiResponse OkJsonText(std::string json) { return {200, std::nullopt, {}, std::move(json)}; }
    static ApiResponse WithStatus(int status, std::optional<Json> body = std::nullopt) {
        return {status, std::move(body), {}, std::nullopt};
    }
};

using Handler = std::function<ApiResponse(ApiRequest&)>;

// A schema that applies for part of the version range (Nova's
// @validation.schema(schema, min_version, max_version)).
struct VersionedSchema {
    std::shared_ptr<const validation::Schema> schema;
    ApiVersion min_version = kMinApiVersion;
    ApiVersion max_version = kMaxApiVersion;
};

struct RouteSpec {
    std::string method{};  // "GET", "POST", ...
    std::string path{};    // relative to /v2.1, with {variables}: "/servers/{server_id}/action"
    // For body-dispatched actions (POST .../action): the body's single key, e.g. "reboot".
    std::string action{};
    ApiVersion min_version = kMinApiVersion;
    ApiVersion max_version = kMaxApiVersion;
    std::string policy{};  // checked with the default target before the handler; may be empty
    std::vector<VersionedSchema> body_schemas{};
    std::vector<VersionedSchema> query_schemas{};
    Handler handler{};
};

// A schema for every version (the usual case).
VersionedSchema AllVersions(validation::OrderedJson schema);
VersionedSchema Versions(validation::OrderedJson schema, ApiVersion min, ApiVersion max = kMaxApiVersion);

}  // namespace nova::api
