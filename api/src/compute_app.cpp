#include "nova/api/compute_app.hpp"

#include <boost/regex.hpp>

#include "nova/api/fault.hpp"
#include "nova/api/versions.hpp"
#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"

namespace nova::api {

namespace {

constexpr std::string_view kStandardHeader = "OpenStack-API-Version";
constexpr std::string_view kLegacyHeader = "X-OpenStack-Nova-API-Version";

bool StartsWith(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

void AddVersionHeaders(HttpResponse& response, const std::string& version) {
    response.SetHeader(std::string(kStandardHeader), "compute " + version);
    response.SetHeader(std::string(kLegacyHeader), version);
    response.AddHeader("Vary", std::string(kStandardHeader));
    response.AddHeader("Vary", std::string(kLegacyHeader));
    response.log_microversion = version;
}

// webob's req.content_type: the media type without parameters.
std::string MediaType(const std::string& header) {
    std::string type = header.substr(0, header.find(';'));
    auto first = type.find_first_not_of(" \t");
    if (first == std::string::npos) return {};
    return type.substr(first, type.find_last_not_of(" \t") - first + 1);
}

bool IsVersionInRange(const ApiVersion& v, const ApiVersion& min, const ApiVersion& max) {
    return min <= v && v <= max;
}

Json ToJson(const validation::OrderedJson& value) {
    switch (value.type()) {
        case validation::OrderedJson::value_t::object: {
            Json out = Json::object();
            for (const auto& [key, item] : value.items()) out[key] = ToJson(item);
            return out;
        }
        case validation::OrderedJson::value_t::array: {
            Json out = Json::array();
            for (const auto& item : value) out.push_back(ToJson(item));
            return out;
        }
        case validation::OrderedJson::value_t::string: return value.get<std::string>();
        case validation::OrderedJson::value_t::boolean: return value.get<bool>();
        case validation::OrderedJson::value_t::number_integer: return value.get<std::int64_t>();
        case validation::OrderedJson::value_t::number_unsigned: return value.get<std::uint64_t>();
        case validation::OrderedJson::value_t::number_float: return value.get<double>();
        default: return nullptr;
    }
}

}  // namespace

RequestIds MakeRequestIds(const HttpRequest& request) {
    RequestIds ids{GenerateRequestId(), std::nullopt};
    if (auto incoming = request.Header("X-OpenStack-Request-ID")) {
        static const boost::regex kRequestId(
            "^req-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$");
        if (boost::regex_match(*incoming, kRequestId)) ids.global_request_id = *incoming;
    }
    return ids;
}

void AddRequestIdHeaders(HttpResponse& response, const std::string& request_id) {
    response.SetHeader("x-openstack-request-id", request_id);
    response.SetHeader("x-compute-request-id", request_id);
}

ComputeApp::ComputeApp(ComputeAppOptions options, const Authenticator& auth, const Policy& policy,
                       const RouteTable& routes)
    : options_(std::move(options)),
      auth_(auth),
      policy_(policy),
      routes_(routes),
      log_(log::Get("nova.api.openstack.wsgi")) {
    for (const auto& route : routes_.routes()) {
        if (!route->policy.empty() && !policy_.IsRegistered(route->policy)) {
            throw std::invalid_argument("route " + route->method + " " + route->path +
                                        " names unknown policy rule " + route->policy);
        }
    }
}

HttpApplication::Result ComputeApp::Handle(const HttpRequest& request) {
    const std::string& path = request.path;
    std::string host_url = ApplyLinkPrefix(request.HostUrl(), options_.compute_link_prefix);
    if (path == "/" || path.empty()) {
        HttpResponse response;
        response.SetJson(VersionsDocument(host_url));
        return {std::move(response), std::nullopt};
    }
    if (path == "/v2.1" || path == "/v2.1/") return {VersionOfApi(request, false), std::nullopt};
    if (path == "/v2" || path == "/v2/") return {VersionOfApi(request, true), std::nullopt};
    if (StartsWith(path, "/v2.1/")) return Api(request, std::string_view(path).substr(5), false);
    if (StartsWith(path, "/v2/")) return Api(request, std::string_view(path).substr(3), true);
    HttpResponse response;
    response.status = 300;
    response.SetJson(ChoicesDocument(host_url, path));
    return {std::move(response), std::nullopt};
}

HttpResponse ComputeApp::VersionOfApi(const HttpRequest& request, bool legacy_v2) {
    RequestIds ids = MakeRequestIds(request);
    HttpResponse response;
    std::string application_url = ApplyLinkPrefix(request.HostUrl() + (legacy_v2 ? "/v2" : "/v2.1"),
                                                   options_.compute_link_prefix);
    if (legacy_v2) {
        response.SetJson(VersionDocument("v2.0", application_url));
    } else {
        auto negotiated = NegotiateVersion(request.Header(kStandardHeader), request.Header(kLegacyHeader));
        using Outcome = VersionNegotiation::Outcome;
        if (negotiated.outcome == Outcome::kInvalidFormat) {
            response = MakeFault(400, InvalidAPIVersionString({{"version", negotiated.requested}}).message());
        } else if (negotiated.outcome == Outcome::kOutOfRange) {
            response = MakeFault(406, InvalidGlobalAPIVersion({{"req_ver", negotiated.requested},
                                                               {"min_ver", kMinApiVersion.ToString()},
                                                               {"max_ver", kMaxApiVersion.ToString()}})
                                          .message());
            AddVersionHeaders(response, negotiated.version.ToString());
        } else {
            response.SetJson(VersionDocument("v2.1", application_url));
            AddVersionHeaders(response, negotiated.version.ToString());
        }
    }
    AddRequestIdHeaders(response, ids.request_id);
    return response;
}

HttpApplication::Result ComputeApp::Api(const HttpRequest& request, std::string_view relative_path,
                                        bool legacy_v2) {
    RequestIds ids = MakeRequestIds(request);
    Result result;
    HttpResponse& response = result.response;
    auto finish = [&]() -> Result {
        AddRequestIdHeaders(response, ids.request_id);
        return std::move(result);
    };

    if (request.body.size() > options_.max_request_body_size) {
        response = MakeFault(413, "Request is too large. Larger than max_request_body_size (" +
                                      std::to_string(options_.max_request_body_size) + ").");
        return finish();
    }

    AuthOutcome outcome = auth_.Authenticate(request, ids);
    if (auto* early = std::get_if<HttpResponse>(&outcome)) {
        response = std::move(*early);
        return finish();
    }
    result.context = std::move(std::get<RequestContext>(outcome));
    RequestContext& context = *result.context;

    auto match = routes_.Find(request.method, relative_path);
    if (!match) {
        response = MakeFault(404, "");
        return finish();
    }

    // From here on the request reached a resource: every answer carries the version headers
    // (Nova's Resource and Fault), except under /v2, which hides microversions.
    ApiVersion version = kDefaultApiVersion;
    if (!legacy_v2) {
        auto negotiated = NegotiateVersion(request.Header(kStandardHeader), request.Header(kLegacyHeader));
        using Outcome = VersionNegotiation::Outcome;
        if (negotiated.outcome == Outcome::kInvalidFormat) {
            response = MakeFault(400, InvalidAPIVersionString({{"version", negotiated.requested}}).message());
            return finish();
        }
        if (negotiated.outcome == Outcome::kOutOfRange) {
            response = MakeFault(406, InvalidGlobalAPIVersion({{"req_ver", negotiated.requested},
                                                               {"min_ver", kMinApiVersion.ToString()},
                                                               {"max_ver", kMaxApiVersion.ToString()}})
                                          .message());
            AddVersionHeaders(response, negotiated.version.ToString());
            return finish();
        }
        version = negotiated.version;
    }
    auto answer = [&](HttpResponse r) -> Result {
        response = std::move(r);
        if (!legacy_v2) AddVersionHeaders(response, version.ToString());
        return finish();
    };

    if (auto content_type = request.Header("Content-Type")) {
        std::string media = MediaType(*content_type);
        if (!media.empty() && media != "text/plain" && media != "application/json" &&
            media != "application/vnd.openstack.compute+json") {
            return answer(MakeFault(415, "Unsupported Content-Type"));
        }
    }

    bool has_body_method = request.method == "POST" || request.method == "PUT";
    std::optional<validation::OrderedJson> body;
    if (has_body_method && !request.body.empty()) {
        body = validation::OrderedJson::parse(request.body, nullptr, false);
        if (body->is_discarded()) return answer(MakeFault(400, "Malformed request body"));
    }

    std::vector<const RouteSpec*> candidates = match->candidates;
    if (match->is_action) {
        if (!body || !body->is_object() || body->size() != 1) {
            return answer(MakeFault(400, "Malformed request body"));
        }
        std::string action = body->begin().key();
        std::erase_if(candidates, [&](const RouteSpec* r) { return r->action != action; });
        if (candidates.empty()) return answer(MakeFault(400, "There is no such action: " + action));
    }

    if (match->project_id && *match->project_id != context.project_id) {
        return answer(MakeFault(400, "Malformed request URL: URL's project_id '" + *match->project_id +
                                         "' doesn't match Context's project_id '" +
                                         context.project_id + "'"));
    }

    const RouteSpec* route = nullptr;
    for (const RouteSpec* r : candidates) {
        if (IsVersionInRange(version, r->min_version, r->max_version)) route = r;
    }
    if (!route) return answer(MakeFault(404, ""));

    // Nova puts the context's project in links when it appears in the URL.
    std::string link_project =
        !context.project_id.empty() && request.Url().find(context.project_id) != std::string::npos
            ? context.project_id
            : std::string();

    try {
        // Query parameters: validated and stripped when a query schema applies.
        QueryParams query;
        const validation::Schema* query_schema = nullptr;
        std::vector<const validation::Schema*> query_schemas;
        for (const auto& vs : route->query_schemas) {
            bool applies = legacy_v2 ? vs.min_version == kMinApiVersion
                                     : IsVersionInRange(version, vs.min_version, vs.max_version);
            if (applies) query_schemas.push_back(vs.schema.get());
        }
        auto parsed = ParseQueryString(request.query_string);
        if (!parsed) {
            if (!query_schemas.empty()) {
                throw ValidationError({{"detail", "Query string is not UTF-8 encoded"}});
            }
            parsed = QueryParams{};
        }
        query = std::move(*parsed);
        for (const validation::Schema* schema : query_schemas) {
            validation::OrderedJson as_lists = validation::OrderedJson::object();
            for (const auto& [key, value] : query) as_lists[key].push_back(value);
            schema->ValidateQuery(as_lists);
            query_schema = schema;
        }
        if (query_schema) {
            std::erase_if(query, [&](const auto& p) { return !query_schema->DeclaresParameter(p.first); });
        }

        Json handler_body = nullptr;
        if (has_body_method) {
            validation::OrderedJson instance = body ? std::move(*body) : validation::OrderedJson();
            for (const auto& vs : route->body_schemas) {
                bool applies = legacy_v2 ? vs.min_version == kMinApiVersion
                                         : IsVersionInRange(version, vs.min_version, vs.max_version);
                if (applies) vs.schema->ValidateBody(instance, legacy_v2);
            }
            handler_body = ToJson(instance);
        }

        if (!route->policy.empty()) policy_.Authorize(context, route->policy);

        LinkBuilder links(request.HostUrl() + (legacy_v2 ? "/v2" : "/v2.1"),
                          link_project, options_.compute_link_prefix, query, options_.max_limit);
        ApiRequest api_request{request, context, version, legacy_v2, match->params, std::move(query),
                               std::move(handler_body), links, policy_};
        ApiResponse api_response = route->handler(api_request);
        HttpResponse http;
        http.status = api_response.status;
        for (auto& [name, value] : api_response.headers) http.AddHeader(std::move(name), std::move(value));
        if (api_response.json_text) {
            http.body = std::move(*api_response.json_text);
            http.SetHeader("Content-Type", "application/json");
        } else if (api_response.body) {
            http.SetJson(*api_response.body);
        } else {
            http.SetHeader("Content-Type", "application/json");
        }
        return answer(std::move(http));
    } catch (...) {
        FaultFromException fault = FaultFor(std::current_exception());
        if (fault.unexpected) {
            NOVA_LOG_ERROR(log_, context, "Unexpected exception in API method {} {}: {}", request.method,
                           route->path, fault.log_detail);
        } else {
            NOVA_LOG_DEBUG(log_, context, "Returning {} to user: {}", fault.response.status, fault.log_detail);
        }
        return answer(std::move(fault.response));
    }
}

}  // namespace nova::api
