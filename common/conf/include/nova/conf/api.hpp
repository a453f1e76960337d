#pragma once
// [api] (the compute REST API) and the [DEFAULT] / [wsgi] / [oslo_middleware] options that
// shape nova-api's HTTP service. Names and defaults are Nova's (nova/conf, Zed), oslo's, or
// marked as nova-cpp's own where Nova has no equivalent.
#include <optional>
#include <string>

#include "nova/conf/schema.hpp"

namespace nova::conf {

// [api]: what the REST layer does with a request.
struct ApiOptions {
    static constexpr std::string_view kGroup = "api";
    static constexpr std::string_view kHelp = "Options that define the compute REST API.";
    std::string auth_strategy;
    bool use_forwarded_for;
    int max_limit;
    std::optional<std::string> compute_link_prefix;
    std::optional<std::string> glance_link_prefix;
    static void Declare(Schema<ApiOptions>& s);
};

// [DEFAULT]: where nova-api listens and how many threads serve it.
struct OsapiOptions {
    static constexpr std::string_view kGroup = "DEFAULT";
    static constexpr std::string_view kHelp = "";
    std::string osapi_compute_listen;
    int osapi_compute_listen_port;
    std::optional<int> osapi_compute_workers;
    int osapi_compute_handler_threads;
    static void Declare(Schema<OsapiOptions>& s);
};

// [wsgi]: connection handling of the API's HTTP server.
struct WsgiOptions {
    static constexpr std::string_view kGroup = "wsgi";
    static constexpr std::string_view kHelp = "Options for the API's HTTP server.";
    bool keep_alive;
    int client_socket_timeout;
    int tcp_keepidle;
    static void Declare(Schema<WsgiOptions>& s);
};

// [oslo_middleware]: the request body size limit (oslo.middleware's sizelimit).
struct OsloMiddlewareOptions {
    static constexpr std::string_view kGroup = "oslo_middleware";
    static constexpr std::string_view kHelp = "oslo.middleware's options.";
    int max_request_body_size;
    static void Declare(Schema<OsloMiddlewareOptions>& s);
};

}  // namespace nova::conf
