#include "nova/conf/api.hpp"

namespace nova::conf {

void ApiOptions::Declare(Schema<ApiOptions>& s) {
    s.Opt("auth_strategy", &ApiOptions::auth_strategy, std::string("keystone"),
          "How API requests are authenticated. 'noauth2' trusts the token "
          "'<user>:<project>' and makes the user 'admin' an administrator; it is for "
          "development and testing only. 'keystone' validates tokens with the Identity "
          "service.")
        .Choices({"keystone", "noauth2"});
    s.Opt("use_forwarded_for", &ApiOptions::use_forwarded_for, false,
          "Treat the X-Forwarded-For header as the client's address (only behind a proxy "
          "that sets it).");
    s.Opt("max_limit", &ApiOptions::max_limit, 1000,
          "The most items one list response may hold; larger 'limit' values are capped to "
          "it.")
        .Min(0);
    s.Opt("compute_link_prefix", &ApiOptions::compute_link_prefix,
          "Replaces the scheme, host and port (and prefixes the path) of the links to the "
          "compute API returned in responses. Unset: links use the request's own host.");
    s.Opt("glance_link_prefix", &ApiOptions::glance_link_prefix,
          "The same as compute_link_prefix, for links to images.");
}

void OsapiOptions::Declare(Schema<OsapiOptions>& s) {
    s.Opt("osapi_compute_listen", &OsapiOptions::osapi_compute_listen,
          std::string("0.0.0.0"), "IP address on which the compute API listens.");
    s.Opt("osapi_compute_listen_port", &OsapiOptions::osapi_compute_listen_port, 8774,
          "Port on which the compute API listens (0: any free port, logged at startup).")
        .Port();
    s.Opt("osapi_compute_workers", &OsapiOptions::osapi_compute_workers,
          "Nova forks this many API processes; nova-cpp runs one process, whose thread count "
          "(osapi_compute_handler_threads) this raises when it is larger.")
        .Min(1);
    s.Opt("osapi_compute_handler_threads", &OsapiOptions::osapi_compute_handler_threads, 16,
          "nova-cpp: threads of the API's HTTP server; each reads a request, runs its "
          "handler (which may block on the database or an RPC call) and writes the answer. "
          "Requests beyond this many in flight wait until a thread is free.")
        .Min(1);
}

void WsgiOptions::Declare(Schema<WsgiOptions>& s) {
    s.Opt("keep_alive", &WsgiOptions::keep_alive, true,
          "Serve several requests on one connection (HTTP keep-alive). False closes the "
          "connection after each response.");
    s.Opt("client_socket_timeout", &WsgiOptions::client_socket_timeout, 900,
          "Seconds a client connection may stay idle, or take to send a request, before it "
          "is closed. 0 waits forever.")
        .Min(0);
    s.Opt("tcp_keepidle", &WsgiOptions::tcp_keepidle, 600,
          "TCP_KEEPIDLE, in seconds, for each client socket.")
        .Min(0);
}

void OsloMiddlewareOptions::Declare(Schema<OsloMiddlewareOptions>& s) {
    s.Opt("max_request_body_size", &OsloMiddlewareOptions::max_request_body_size, 114688,
          "The largest request body accepted, in bytes; larger ones get 413.")
        .Min(0);
}

}  // namespace nova::conf
