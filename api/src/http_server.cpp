#include "nova/api/http_server.hpp"

#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "nova/api/fault.hpp"
#include "nova/common/uuid.hpp"

namespace nova::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// Answers at least this large are followed by malloc_trim.
constexpr std::size_t kTrimAfterBytes = 256 * 1024;

HttpRequest ToHttpRequest(http::request<http::string_body>&& in, const std::string& remote) {
    HttpRequest out;
    out.method = std::string(in.method_string());
    out.target = std::string(in.target());
    out.remote_address = remote;
    out.headers.reserve(16);
    for (const auto& field : in) {
        out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    out.body = std::move(in.body());
    return out;
}

http::response<http::string_body> ToBeast(HttpResponse&& in, unsigned version, bool keep_alive) {
    http::response<http::string_body> out{static_cast<http::status>(in.status), version};
    for (auto& [name, value] : in.headers) out.insert(name, value);
    out.body() = std::move(in.body);
    out.keep_alive(keep_alive);
    out.prepare_payload();  // also marks 204/304 as bodiless, so keep-alive survives them
    return out;
}

}  // namespace

struct HttpServer::Session {
    explicit Session(tcp::socket socket) : stream(std::move(socket)) {}
    beast::tcp_stream stream;
    bool idle = true;  // waiting for a request; touched only on the session's strand
};

HttpServer::HttpServer(asio::io_context& io, HttpApplication& app, HttpServerOptions options)
    : io_(io),
      app_(app),
      options_(std::move(options)),
      log_(log::Get("nova.api.wsgi")),
      access_log_(log::Get("nova.api.openstack.requestlog")) {}

HttpServer::~HttpServer() = default;

void HttpServer::Start() {
    tcp::endpoint endpoint(asio::ip::make_address(options_.listen_address), options_.port);
    acceptor_ = std::make_unique<tcp::acceptor>(asio::make_strand(io_));
    acceptor_->open(endpoint.protocol());
    acceptor_->set_option(asio::socket_base::reuse_address(true));
    acceptor_->bind(endpoint);
    acceptor_->listen(asio::socket_base::max_listen_connections);
    bound_port_ = acceptor_->local_endpoint().port();
    NOVA_LOG_INFO(log_, log::kNoContext, "{} listening on {}:{}", options_.name,
                  options_.listen_address, bound_port_);
    Accept();
}

std::size_t HttpServer::open_connections() const {
    std::lock_guard lock(sessions_mutex_);
    return sessions_.size();
}

void HttpServer::Accept() {
    acceptor_->async_accept(asio::make_strand(io_), [this](beast::error_code accept_ec, tcp::socket socket) {
        if (accept_ec) {
            if (accept_ec == asio::error::operation_aborted || stopping_) return;
            NOVA_LOG_WARN(log_, log::kNoContext, "{}: accept failed: {}", options_.name, accept_ec.message());
            Accept();
            return;
        }
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        if (options_.tcp_keepidle > 0) {
            socket.set_option(asio::socket_base::keep_alive(true), ignored);
            int idle = options_.tcp_keepidle;
            ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
        }
        std::string remote = "-";
        auto peer = socket.remote_endpoint(ignored);
        if (!ignored) remote = peer.address().to_string();
        auto executor = socket.get_executor();
        auto session = std::make_shared<Session>(std::move(socket));
        {
            std::lock_guard lock(sessions_mutex_);
            sessions_.insert(session);
        }
        auto serve = [this, session, remote]() -> asio::awaitable<void> {
            beast::flat_buffer buffer;
            while (!stopping_) {
                http::request_parser<http::string_body> parser;
                parser.header_limit(static_cast<std::uint32_t>(options_.max_header_size));
                parser.body_limit(options_.max_request_body_size);
                if (options_.idle_timeout.count() > 0) {
                    session->stream.expires_after(options_.idle_timeout);
                } else {
                    session->stream.expires_never();
                }
                session->idle = true;
                beast::error_code ec;
                co_await http::async_read(session->stream, buffer, parser,
                                          asio::redirect_error(asio::use_awaitable, ec));
                session->idle = false;
                if (ec == http::error::body_limit || ec == http::error::header_limit ||
                    ec == http::error::bad_target || ec == http::error::bad_method ||
                    ec == http::error::bad_version || ec == http::error::bad_field ||
                    ec == http::error::bad_value || ec == http::error::bad_content_length ||
                    ec == http::error::bad_chunk || ec == http::error::bad_line_ending ||
                    ec == http::error::bad_transfer_encoding) {
                    // Refused before the application saw it: answer and close, since the rest
                    // of the request is still on the wire.
                    HttpResponse refusal =
                        ec == http::error::body_limit
                            ? MakeFault(413, "Request is too large. Larger than max_request_body_size (" +
                                                 std::to_string(options_.max_request_body_size) + ").")
                            : MakeFault(400, ec == http::error::header_limit
                                                 ? "Request header fields too large"
                                                 : "Malformed request: " + ec.message());
                    std::string request_id = GenerateRequestId();
                    AddRequestIdHeaders(refusal, request_id);
                    NOVA_LOG_INFO(access_log_, log::kNoContext, "{} \"{} {}\" status: {} len: {} microversion: - time: 0.000000",
                                  remote, std::string(parser.get().method_string()), std::string(parser.get().target()),
                                  refusal.status, refusal.body.size());
                    auto response = ToBeast(std::move(refusal), 11, false);
                    beast::error_code write_ec;
                    session->stream.expires_after(std::chrono::seconds(10));
                    co_await http::async_write(session->stream, response,
                                               asio::redirect_error(asio::use_awaitable, write_ec));
                    break;
                }
                if (ec) break;  // closed, timed out, or stopped while idle

                auto request_message = parser.release();
                bool client_keep_alive = request_message.keep_alive();
                unsigned version = request_message.version();
                bool head = request_message.method() == http::verb::head;
                HttpRequest request = ToHttpRequest(std::move(request_message), remote);
                ++in_flight_;
                auto started = std::chrono::steady_clock::now();
                // The application runs here, on the io thread that read the request: a
                // handler that blocks (the database, an RPC call) holds this thread only, and
                // the other threads of the io_context serve the other connections. A hand-off
                // to a separate pool and back cost two thread wake-ups per request (~25% of
                // nova-api's CPU for a show; docs/api.md, Round 3).
                HttpApplication::Result result = [&]() {
                    HttpApplication::Result r;
                    if (!request.SplitTarget()) {
                        r.response = MakeFault(400, "Malformed request URL");
                    } else {
                        try {
                            r = app_.Handle(request);
                        } catch (const std::exception& e) {
                            // Applications answer every failure themselves; this is a bug.
                            NOVA_LOG_ERROR(log_, log::kNoContext, "{} {} failed: {}", request.method,
                                           request.target, e.what());
                            r = HttpApplication::Result{MakeFault(500, UnexpectedErrorMessage({})), std::nullopt};
                        }
                    }
                    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
                    std::string client = remote;
                    if (options_.use_forwarded_for) {
                        if (auto forwarded = request.Header("X-Forwarded-For")) client = *forwarded;
                    }
                    if (r.context) {
                        NOVA_LOG_INFO(access_log_, *r.context,
                                      "{} \"{} {}\" status: {} len: {} microversion: {} time: {:.6f}",
                                      client, request.method, request.target, r.response.status,
                                      r.response.body.size(), r.response.log_microversion, seconds);
                    } else {
                        NOVA_LOG_INFO(access_log_, log::kNoContext,
                                      "{} \"{} {}\" status: {} len: {} microversion: {} time: {:.6f}",
                                      client, request.method, request.target, r.response.status,
                                      r.response.body.size(), r.response.log_microversion, seconds);
                    }
                    return r;
                }();
                bool keep_alive = client_keep_alive && options_.keep_alive && !stopping_;
                auto response = ToBeast(std::move(result.response), version, keep_alive);
                beast::error_code write_ec;
                if (options_.idle_timeout.count() > 0) session->stream.expires_after(options_.idle_timeout);
                if (head) {
                    http::response_serializer<http::string_body> serializer(response);
                    co_await http::async_write_header(session->stream, serializer,
                                                      asio::redirect_error(asio::use_awaitable, write_ec));
                } else {
                    co_await http::async_write(session->stream, response,
                                               asio::redirect_error(asio::use_awaitable, write_ec));
                }
                --in_flight_;
                if (response.body().size() >= kTrimAfterBytes) {
                    // A large answer (a page of servers) has just freed its objects and its
                    // body: give the pages back to the system now rather than keep the
                    // arena at its peak (RSS).
                    std::string().swap(response.body());
                    ::malloc_trim(0);
                }
                if (write_ec || !keep_alive) break;
            }
            beast::error_code ignored_ec;
            session->stream.socket().shutdown(tcp::socket::shutdown_send, ignored_ec);
            session->stream.close();
            std::lock_guard lock(sessions_mutex_);
            sessions_.erase(session);
        };
        asio::co_spawn(executor, serve, asio::detached);
        Accept();
    });
}

void HttpServer::StopAccepting() {
    stopping_ = true;
    if (acceptor_) {
        asio::post(acceptor_->get_executor(), [this] {
            beast::error_code ignored;
            acceptor_->close(ignored);
        });
    }
    std::lock_guard lock(sessions_mutex_);
    for (const auto& session : sessions_) {
        asio::post(session->stream.get_executor(), [session] {
            if (session->idle) session->stream.cancel();
        });
    }
}

}  // namespace nova::api
