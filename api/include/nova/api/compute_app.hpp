#pragma once
// The compute API as one request -> response function: Nova's paste pipelines for
// osapi_compute (versions at /, /v2.1, /v2; request ids; body size limit; auth; routing;
// microversions; content type; body and query validation; policy; faults), without sockets.
#include <cstddef>
#include <optional>
#include <string>

#include "nova/api/auth.hpp"
#include "nova/api/http_message.hpp"
#include "nova/api/policy.hpp"
#include "nova/api/router.hpp"
#include "nova/common/log.hpp"

namespace nova::api {

// What an HTTP server runs for each request. Must not throw.
class HttpApplication {
public:
    HttpApplication() = default;
    HttpApplication(const HttpApplication&) = delete;
    HttpApplication& operator=(const HttpApplication&) = delete;
    virtual ~HttpApplication() = default;

    // The response, plus (for the access log) the context of the request when one was made.
    struct Result {
        HttpResponse response;
        std::optional<RequestContext> context;
    };
    virtual Result Handle(const HttpRequest& request) = 0;
};

struct ComputeAppOptions {
    int max_limit = 1000;                            // [api] max_limit
    std::optional<std::string> compute_link_prefix;  // [api] compute_link_prefix
    std::size_t max_request_body_size = 114688;      // [oslo_middleware] max_request_body_size
};

class ComputeApp final : public HttpApplication {
public:
    // Throws std::invalid_argument when a route names a policy rule the policy does not know.
    ComputeApp(ComputeAppOptions options, const Authenticator& auth, const Policy& policy,
               const RouteTable& routes);

    Result Handle(const HttpRequest& request) override;

private:
    Result Api(const HttpRequest& request, std::string_view relative_path, bool legacy_v2);
    HttpResponse VersionOfApi(const HttpRequest& request, bool legacy_v2);

    ComputeAppOptions options_;
    const Authenticator& auth_;
    const Policy& policy_;
    const RouteTable& routes_;
    spdlog::logger& log_;
};

// The request ids of a request: a new req-<uuid>, and the caller's X-OpenStack-Request-ID
// when it is a well-formed req-<uuid> (oslo.middleware's request_id).
RequestIds MakeRequestIds(const HttpRequest& request);
void AddRequestIdHeaders(HttpResponse& response, const std::string& request_id);

}  // namespace nova::api
