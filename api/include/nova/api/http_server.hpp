#pragma once
// nova-api's HTTP/1.1 server on Boost.Beast. One io_context, run by
// osapi_compute_handler_threads threads: the thread that reads a request runs the application
// on it (which may block on the database or an RPC call) and writes the response, while the
// other threads serve the other connections; requests beyond that many in flight wait on
// their sockets. Keep-alive, an idle/read timeout, a request body limit (413) and an access
// log line per request. StopAccepting() is the first step of a graceful stop: no new
// connections; idle ones are closed; busy ones close after their response.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "nova/api/compute_app.hpp"

namespace nova::api {

struct HttpServerOptions {
    std::string name = "osapi_compute";  // in log lines
    std::string listen_address = "0.0.0.0";
    unsigned short port = 8774;           // 0: any free port
    bool keep_alive = true;               // [wsgi] keep_alive
    std::chrono::seconds idle_timeout{900};  // [wsgi] client_socket_timeout; 0: none
    int tcp_keepidle = 600;               // [wsgi] tcp_keepidle
    std::size_t max_request_body_size = 114688;
    std::size_t max_header_size = 64 * 1024;
    bool use_forwarded_for = false;       // [api] use_forwarded_for, for the access log
};

class HttpServer {
public:
    HttpServer(boost::asio::io_context& io, HttpApplication& app, HttpServerOptions options);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and starts accepting. Throws std::system_error when the address cannot be bound.
    void Start();
    unsigned short port() const { return bound_port_; }

    void StopAccepting();
    std::size_t requests_in_flight() const { return in_flight_.load(); }
    std::size_t open_connections() const;

    struct Session;

private:
    void Accept();

    boost::asio::io_context& io_;
    HttpApplication& app_;
    HttpServerOptions options_;
    std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
    unsigned short bound_port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<std::size_t> in_flight_{0};
    mutable std::mutex sessions_mutex_;
    std::set<std::shared_ptr<Session>> sessions_;
    spdlog::logger& log_;
    spdlog::logger& access_log_;
};

}  // namespace nova::api
