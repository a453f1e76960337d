// The Keystone v3 client of nova-api: the service user's token (password auth) and token
// validation (GET /v3/auth/tokens), over Beast (http or https) with a deadline on every
// exchange.
#include <thread>
#include <type_traits>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "nova/api/keystone.hpp"
#include "nova/common/error.hpp"
#include "nova/common/log.hpp"
#include "nova/common/time.hpp"

namespace nova::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace ssl = asio::ssl;

HttpUrl HttpUrl::Parse(const std::string& url) {
    constexpr std::string_view kHttp = "http://";
    constexpr std::string_view kHttps = "https://";
    HttpUrl out;
    std::string rest;
    if (url.rfind(kHttp, 0) == 0) {
        rest = url.substr(kHttp.size());
    } else if (url.rfind(kHttps, 0) == 0) {
        out.https = true;
        rest = url.substr(kHttps.size());
    } else {
        throw std::invalid_argument(url + " is not an http:// or https:// URL");
    }
    const std::string default_port = out.https ? "443" : "80";
    auto slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    out.path = slash == std::string::npos ? std::string() : rest.substr(slash);
    while (!out.path.empty() && out.path.back() == '/') out.path.pop_back();
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string::npos) throw std::invalid_argument("bad URL " + url);
        out.host = authority.substr(1, close - 1);
        out.port = close + 1 < authority.size() && authority[close + 1] == ':' ? authority.substr(close + 2) : default_port;
    } else {
        auto colon = authority.rfind(':');
        out.host = authority.substr(0, colon);
        out.port = colon == std::string::npos ? default_port : authority.substr(colon + 1);
    }
    if (out.host.empty() || out.port.empty() || out.port.find_first_not_of("0123456789") != std::string::npos) {
        throw std::invalid_argument("bad URL " + url);
    }
    return out;
}

// The TLS client settings of an https auth_url, built once and shared (read-only) by every
// exchange.
struct KeystoneIdentityService::Tls {
    ssl::context context{ssl::context::tls_client};
};

KeystoneIdentityService::~KeystoneIdentityService() = default;

KeystoneIdentityService::KeystoneIdentityService(Options options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {
    auto missing = [](const char* name) {
        return InvalidConfiguration::WithMessage(std::string("[keystone_authtoken] ") + name +
                                                 " must be set when [api] auth_strategy = keystone");
    };
    if (options_.auth_url.empty()) throw missing("auth_url");
    if (options_.username.empty()) throw missing("username");
    if (options_.password.empty()) throw missing("password");
    if (options_.project_name.empty()) throw missing("project_name");
    if (options_.user_domain_name.empty() && options_.user_domain_id.empty()) {
        throw missing("user_domain_name (or user_domain_id)");
    }
    if (options_.project_domain_name.empty() && options_.project_domain_id.empty()) {
        throw missing("project_domain_name (or project_domain_id)");
    }
    try {
        url_ = HttpUrl::Parse(options_.auth_url);
    } catch (const std::invalid_argument& e) {
        throw InvalidConfiguration::WithMessage(std::string("[keystone_authtoken] auth_url: ") + e.what());
    }
    for (std::string_view suffix : {"/v3", "/v3.0"}) {
        if (url_.path.size() >= suffix.size() &&
            url_.path.compare(url_.path.size() - suffix.size(), suffix.size(), suffix) == 0) {
            url_.path.erase(url_.path.size() - suffix.size());
            break;
        }
    }
    if (url_.https) {
        tls_ = std::make_unique<Tls>();
        auto& context = tls_->context;
        context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                            ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        auto load = [&](const char* name, const std::string& file, auto&& action) {
            beast::error_code ec;
            action(ec);
            if (ec) {
                throw InvalidConfiguration::WithMessage(std::string("[keystone_authtoken] ") + name + " " + file +
                                                        ": " + ec.message());
            }
        };
        if (options_.insecure) {
            context.set_verify_mode(ssl::verify_none);
        } else {
            context.set_verify_mode(ssl::verify_peer);
            if (!options_.cafile.empty()) {
                load("cafile", options_.cafile, [&](beast::error_code& ec) { context.load_verify_file(options_.cafile, ec); });
            } else {
                load("cafile", "(the system's CAs)", [&](beast::error_code& ec) { context.set_default_verify_paths(ec); });
            }
        }
        if (!options_.certfile.empty()) {
            load("certfile", options_.certfile,
                 [&](beast::error_code& ec) { context.use_certificate_chain_file(options_.certfile, ec); });
            const std::string& key = options_.keyfile.empty() ? options_.certfile : options_.keyfile;
            load("keyfile", key, [&](beast::error_code& ec) { context.use_private_key_file(key, ssl::context::pem, ec); });
        } else if (!options_.keyfile.empty()) {
            throw InvalidConfiguration::WithMessage("[keystone_authtoken] keyfile is set but certfile is not");
        }
    }
}

namespace {

using TlsStream = ssl::stream<beast::tcp_stream>;

// Why a TLS handshake failed, as OpenSSL tells it (certificate verification first).
std::string TlsFailure(TlsStream& stream, const beast::error_code& ec) {
    long verify = SSL_get_verify_result(stream.native_handle());
    std::string why = verify != X509_V_OK ? std::string("certificate verification failed: ") +
                                                X509_verify_cert_error_string(verify)
                                          : ec.message();
    return "TLS handshake failed: " + why;
}

// One request and its answer on a fresh connection, all of it within `timeout`, over
// `stream` (a beast::tcp_stream, or a TlsStream with its handshake). Throws
// beast::system_error; `sent` tells whether the request may have reached the server (and is
// also set when the TLS handshake failed: that is not worth retrying); `tls_error` explains a
// failed handshake.
template <class Stream>
KeystoneIdentityService::Reply ExchangeOn(asio::io_context& io, Stream& stream, const HttpUrl& url,
                                          http::request<http::string_body>& request, std::chrono::seconds timeout,
                                          bool& sent, std::string& tls_error) {
    auto& tcp = beast::get_lowest_layer(stream);
    asio::ip::tcp::resolver resolver(io);
    beast::error_code failure;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    KeystoneIdentityService::Reply reply;
    auto exchange = [&] {
        http::async_write(stream, request, [&](beast::error_code ec3, std::size_t) {
            if (ec3) return void(failure = ec3);
            http::async_read(stream, buffer, parser, [&](beast::error_code ec4, std::size_t) {
                if (ec4) return void(failure = ec4);
                auto& response = parser.get();
                reply.status = static_cast<int>(response.result_int());
                if (auto it = response.find("X-Subject-Token"); it != response.end()) {
                    reply.subject_token = std::string(it->value());
                }
                reply.body = std::move(response.body());
            });
        });
    };
    tcp.expires_after(timeout);
    resolver.async_resolve(url.host, url.port, [&](beast::error_code ec, auto results) {
        if (ec) return void(failure = ec);
        tcp.async_connect(results, [&](beast::error_code ec2, auto) {
            if (ec2) return void(failure = ec2);
            sent = true;
            if constexpr (std::is_same_v<Stream, TlsStream>) {
                stream.async_handshake(ssl::stream_base::client, [&](beast::error_code ec5) {
                    if (ec5) {
                        tls_error = ec5 == beast::error::timeout ? std::string() : TlsFailure(stream, ec5);
                        return void(failure = ec5);
                    }
                    exchange();
                });
            } else {
                exchange();
            }
        });
    });
    io.run();
    beast::error_code ignored;
    tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    if (failure) throw beast::system_error(failure);
    return reply;
}

KeystoneIdentityService::Reply ExchangeOnce(const HttpUrl& url, ssl::context* tls,
                                            http::request<http::string_body>& request, std::chrono::seconds timeout,
                                            bool& sent, std::string& tls_error) {
    asio::io_context io;
    if (tls == nullptr) {
        beast::tcp_stream stream(io);
        return ExchangeOn(io, stream, url, request, timeout, sent, tls_error);
    }
    TlsStream stream(io, *tls);
    beast::error_code not_ip;
    asio::ip::make_address(url.host, not_ip);
    // Server name indication (host names only) and the name the certificate must carry
    // (unless [keystone_authtoken] insecure, where the verify mode is verify_none).
    if (not_ip && !SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
        throw beast::system_error(beast::error_code(static_cast<int>(::ERR_get_error()),
                                                    asio::error::get_ssl_category()));
    }
    X509_VERIFY_PARAM* param = SSL_get0_param(stream.native_handle());
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    int ok = not_ip ? X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), url.host.size())
                    : X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str());
    if (ok != 1) {
        throw beast::system_error(beast::error_code(static_cast<int>(::ERR_get_error()),
                                                    asio::error::get_ssl_category()));
    }
    return ExchangeOn(io, stream, url, request, timeout, sent, tls_error);
}

}  // namespace

KeystoneIdentityService::Reply KeystoneIdentityService::Exchange(
    const std::string& method, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body) {
    http::request<http::string_body> request{http::string_to_verb(method), url_.path + target, 11};
    request.set(http::field::host, url_.host + ":" + url_.port);
    request.set(http::field::accept, "application/json");
    request.set(http::field::user_agent, "nova-cpp nova-api");
    for (const auto& [name, value] : headers) request.set(name, value);
    if (!body.empty()) {
        request.set(http::field::content_type, "application/json");
        request.body() = body;
    }
    request.prepare_payload();
    auto& log = log::Get("nova.api.keystone");
    std::string reason;
    auto backoff = std::chrono::milliseconds(200);
    for (int attempt = 0; attempt <= options_.max_retries; ++attempt) {
        bool sent = false;
        std::string tls_error;
        try {
            return ExchangeOnce(url_, tls_ ? &tls_->context : nullptr, request, options_.timeout, sent, tls_error);
        } catch (const beast::system_error& e) {
            reason = e.code() == beast::error::timeout
                         ? "no answer within " + std::to_string(options_.timeout.count()) + " s"
                     : !tls_error.empty() ? tls_error
                                          : e.code().message();
            // Only a request that never reached Keystone is retried, and never a timeout:
            // the caller is a user's request waiting for its answer.
            if (sent || e.code() == beast::error::timeout || attempt == options_.max_retries) break;
            NOVA_LOG_WARN(log, log::kNoContext, "Cannot reach the Identity service at {}: {}; retrying",
                          options_.auth_url, reason);
            std::this_thread::sleep_for(backoff);
            backoff *= 2;
        }
    }
    throw IdentityUnavailable("cannot reach the Identity service at " + options_.auth_url + ": " + reason);
}

std::string KeystoneIdentityService::ServiceToken(bool force_new) {
    std::lock_guard lock(mutex_);
    if (!force_new && !service_token_.empty() &&
        clock_.Now() + options_.renew_before < service_token_expires_) {
        return service_token_;
    }
    Json user = {{"name", options_.username}, {"password", options_.password}};
    user["domain"] = options_.user_domain_id.empty() ? Json{{"name", options_.user_domain_name}}
                                                     : Json{{"id", options_.user_domain_id}};
    Json project = {{"name", options_.project_name}};
    project["domain"] = options_.project_domain_id.empty() ? Json{{"name", options_.project_domain_name}}
                                                           : Json{{"id", options_.project_domain_id}};
    Json body = {{"auth",
                  {{"identity", {{"methods", {"password"}}, {"password", {{"user", user}}}}},
                   {"scope", {{"project", project}}}}}};
    Reply reply = Exchange("POST", "/v3/auth/tokens?nocatalog", {}, body.dump());
    if (reply.status != 201 || reply.subject_token.empty()) {
        throw IdentityUnavailable("the Identity service refused nova-api's service user " + options_.username +
                                  " (HTTP " + std::to_string(reply.status) + ")");
    }
    Json parsed = Json::parse(reply.body, nullptr, false);
    auto expires = timeutil::Parse(parsed.is_object() && parsed.contains("token") &&
                                           parsed["token"].contains("expires_at") &&
                                           parsed["token"]["expires_at"].is_string()
                                       ? parsed["token"]["expires_at"].get<std::string>()
                                       : std::string());
    if (!expires) throw IdentityUnavailable("the Identity service's token answer has no expires_at");
    service_token_ = reply.subject_token;
    service_token_expires_ = *expires;
    NOVA_LOG_INFO(log::Get("nova.api.keystone"), log::kNoContext,
                  "Got a service token for {} from {}, valid until {}", options_.username, options_.auth_url,
                  timeutil::IsoZ(service_token_expires_));
    return service_token_;
}

std::optional<TokenInfo> KeystoneIdentityService::Validate(const std::string& user_token) {
    std::string target = options_.include_catalog ? "/v3/auth/tokens" : "/v3/auth/tokens?nocatalog";
    for (int attempt = 0; attempt < 2; ++attempt) {
        std::string service = ServiceToken(attempt > 0);
        Reply reply = Exchange("GET", target, {{"X-Auth-Token", service}, {"X-Subject-Token", user_token}}, "");
        if (reply.status == 200) {
            Json body = Json::parse(reply.body, nullptr, false);
            if (body.is_discarded()) throw IdentityUnavailable("the Identity service answered malformed JSON");
            try {
                return TokenInfo::FromKeystone(body);
            } catch (const std::invalid_argument& e) {
                throw IdentityUnavailable(std::string("the Identity service's token answer: ") + e.what());
            }
        }
        // Unknown, expired or revoked user tokens: 404 (and 400/403 for malformed ones).
        if (reply.status == 404 || reply.status == 400) return std::nullopt;
        // The service token itself was refused (expired early, revoked): get a new one once.
        if (reply.status == 401 && attempt == 0) continue;
        throw IdentityUnavailable("the Identity service answered HTTP " + std::to_string(reply.status) +
                                  " to a token validation");
    }
    throw IdentityUnavailable("the Identity service keeps refusing nova-api's service token");
}

}  // namespace nova::api
