// KeystoneIdentityService against an https fake Keystone: a Beast TLS server on 127.0.0.1
// with self-signed certificates made by the openssl command at test time.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "nova/api/keystone.hpp"
#include "nova/common/error.hpp"

using namespace nova::api;
using nova::Json;

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;

// A scratch directory with a certificate (and key) for localhost/127.0.0.1 and one for
// another host name only.
struct Certificates {
    Certificates() {
        std::random_device random;
        dir = fs::temp_directory_path() / ("nova-keystone-tls-" + std::to_string(random()));
        fs::create_directories(dir);
        Make("localhost", "DNS:localhost,IP:127.0.0.1");
        Make("other", "DNS:other.example");
    }
    ~Certificates() {
        std::error_code ignored;
        fs::remove_all(dir, ignored);
    }
    void Make(const std::string& name, const std::string& san) {
        std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" +
                          (name == "other" ? std::string("other.example") : name) + " -addext subjectAltName=" + san +
                          " -keyout " + (dir / (name + ".key")).string() + " -out " +
                          (dir / (name + ".pem")).string() + " >/dev/null 2>&1";
        REQUIRE(std::system(cmd.c_str()) == 0);
    }
    std::string Cert(const std::string& name) const { return (dir / (name + ".pem")).string(); }
    std::string Key(const std::string& name) const { return (dir / (name + ".key")).string(); }
    fs::path dir;
};

const Json kServiceTokenBody = {{"token", {{"expires_at", "2023-11-14T23:13:20.000000Z"}}}};

Json UserTokenBody() {
    return {{"token",
             {{"methods", {"password"}},
              {"user", {{"id", "alice-id"}, {"name", "alice"}, {"domain", {{"id", "default"}, {"name", "Default"}}}}},
              {"project", {{"id", "demo-id"}, {"name", "demo"}, {"domain", {{"id", "default"}, {"name", "Default"}}}}},
              {"roles", {{{"id", "member-id"}, {"name", "member"}}}},
              {"expires_at", "2023-11-14T23:13:20.000000Z"},
              {"issued_at", "2023-11-14T21:00:00.000000Z"}}}};
}

// Keystone over TLS: POST /v3/auth/tokens gives the service token, GET validates
// "user-token" (404 for anything else). Counts the requests it answered.
class TlsKeystone {
public:
    explicit TlsKeystone(const std::string& cert, const std::string& key) {
        context_.use_certificate_chain_file(cert);
        context_.use_private_key_file(key, asio::ssl::context::pem);
        asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
        acceptor_.open(endpoint.protocol());
        acceptor_.bind(endpoint);
        acceptor_.listen();
        port = acceptor_.local_endpoint().port();
        Accept();
        thread_ = std::thread([this] { io_.run(); });
    }
    ~TlsKeystone() {
        io_.stop();
        thread_.join();
    }
    unsigned short port = 0;
    std::atomic<int> answered{0};
    std::atomic<int> handshakes_failed{0};

private:
    void Accept() {
        acceptor_.async_accept([this](beast::error_code ec, asio::ip::tcp::socket socket) {
            if (ec) return;
            Serve(std::move(socket));
            Accept();
        });
    }
    // One connection, synchronously on the server's thread (the client has a deadline).
    void Serve(asio::ip::tcp::socket socket) {
        asio::ssl::stream<asio::ip::tcp::socket> stream(std::move(socket), context_);
        beast::error_code ec;
        stream.handshake(asio::ssl::stream_base::server, ec);
        if (ec) return void(++handshakes_failed);
        beast::flat_buffer buffer;
        http::request<http::string_body> request;
        http::read(stream, buffer, request, ec);
        if (ec) return;
        http::response<http::string_body> response;
        response.version(11);
        response.keep_alive(false);
        std::string target(request.target());
        if (request.method() == http::verb::post && target.rfind("/v3/auth/tokens", 0) == 0) {
            Json body = Json::parse(request.body(), nullptr, false);
            bool good = body.is_object() && body["auth"]["identity"]["password"]["user"]["name"] == "nova" &&
                        body["auth"]["identity"]["password"]["user"]["password"] == "secret";
            response.result(good ? http::status::created : http::status::unauthorized);
            if (good) response.set("X-Subject-Token", "service-token");
            response.body() = good ? kServiceTokenBody.dump() : "{}";
        } else if (request.method() == http::verb::get && target.rfind("/v3/auth/tokens", 0) == 0) {
            if (request["X-Auth-Token"] != "service-token") {
                response.result(http::status::unauthorized);
            } else if (request["X-Subject-Token"] == "user-token") {
                response.result(http::status::ok);
                response.body() = UserTokenBody().dump();
            } else {
                response.result(http::status::not_found);
                response.body() = R"({"error": {"code": 404, "title": "Not Found"}})";
            }
        } else {
            response.result(http::status::not_found);
        }
        response.set(http::field::content_type, "application/json");
        response.prepare_payload();
        ++answered;  // before the client can see the answer
        http::write(stream, response, ec);
        stream.shutdown(ec);
    }

    asio::io_context io_;
    asio::ssl::context context_{asio::ssl::context::tls_server};
    asio::ip::tcp::acceptor acceptor_{io_};
    std::thread thread_;
};

KeystoneIdentityService::Options ServiceUser(const std::string& auth_url) {
    KeystoneIdentityService::Options options;
    options.auth_url = auth_url;
    options.username = "nova";
    options.password = "secret";
    options.user_domain_name = "Default";
    options.project_name = "service";
    options.project_domain_name = "Default";
    options.timeout = std::chrono::seconds(5);
    options.max_retries = 3;
    return options;
}

// The IdentityUnavailable message of a validation that must fail.
std::string Refusal(KeystoneIdentityService& identity) {
    try {
        identity.Validate("user-token");
    } catch (const IdentityUnavailable& e) {
        return e.what();
    }
    FAIL("the validation did not fail");
    return {};
}

}  // namespace

TEST_CASE("keystone: https auth_url, verified with cafile") {
    Certificates certs;
    TlsKeystone keystone(certs.Cert("localhost"), certs.Key("localhost"));
    nova::ManualClock clock;
    for (const std::string host : {"localhost", "127.0.0.1"}) {
        CAPTURE(host);
        auto options = ServiceUser("https://" + host + ":" + std::to_string(keystone.port) + "/v3");
        options.cafile = certs.Cert("localhost");
        KeystoneIdentityService identity(options, clock);
        auto info = identity.Validate("user-token");
        REQUIRE(info.has_value());
        CHECK(info->user_name == "alice");
        CHECK(info->project_id == "demo-id");
        CHECK_FALSE(identity.Validate("another-token").has_value());
    }
    CHECK(keystone.answered == 6);  // per host: the service token and two validations
}

TEST_CASE("keystone: https auth_url, an unknown CA is refused unless insecure") {
    Certificates certs;
    TlsKeystone keystone(certs.Cert("localhost"), certs.Key("localhost"));
    nova::ManualClock clock;
    auto options = ServiceUser("https://localhost:" + std::to_string(keystone.port));

    // The system's CAs do not know the self-signed certificate.
    KeystoneIdentityService system_cas(options, clock);
    std::string why = Refusal(system_cas);
    CHECK(why.find("TLS handshake failed") != std::string::npos);
    CHECK(why.find("certificate verification failed") != std::string::npos);
    CHECK(why.find("self") != std::string::npos);  // self signed certificate
    CHECK(keystone.answered == 0);
    // The server notices the client's alert on its own thread.
    for (int i = 0; i < 200 && keystone.handshakes_failed == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(keystone.handshakes_failed == 1);  // a verification failure is not retried

    // A CA file that is not the server's.
    options.cafile = certs.Cert("other");
    KeystoneIdentityService wrong_ca(options, clock);
    CHECK(Refusal(wrong_ca).find("certificate verification failed") != std::string::npos);
    CHECK(keystone.answered == 0);

    options.cafile.clear();
    options.insecure = true;
    KeystoneIdentityService insecure(options, clock);
    auto info = insecure.Validate("user-token");
    REQUIRE(info.has_value());
    CHECK(info->user_name == "alice");
    CHECK(keystone.answered == 2);
}

TEST_CASE("keystone: https auth_url, a certificate for another host name is refused") {
    Certificates certs;
    TlsKeystone keystone(certs.Cert("other"), certs.Key("other"));
    nova::ManualClock clock;
    for (const std::string host : {"localhost", "127.0.0.1"}) {
        CAPTURE(host);
        auto options = ServiceUser("https://" + host + ":" + std::to_string(keystone.port));
        options.cafile = certs.Cert("other");  // the chain is trusted, the name is not
        KeystoneIdentityService identity(options, clock);
        std::string why = Refusal(identity);
        CHECK(why.find("TLS handshake failed") != std::string::npos);
        CHECK(why.find("mismatch") != std::string::npos);  // Hostname / IP address mismatch
    }
    CHECK(keystone.answered == 0);

    // insecure skips the name check too.
    auto options = ServiceUser("https://localhost:" + std::to_string(keystone.port));
    options.insecure = true;
    KeystoneIdentityService insecure(options, clock);
    CHECK(insecure.Validate("user-token").has_value());
}

TEST_CASE("keystone: https options are checked at startup") {
    nova::ManualClock clock;
    auto options = ServiceUser("https://localhost:5001");
    options.cafile = "/nonexistent/ca.pem";
    CHECK_THROWS_AS(KeystoneIdentityService(options, clock), nova::InvalidConfiguration);
    options.cafile.clear();
    options.certfile = "/nonexistent/client.pem";
    CHECK_THROWS_AS(KeystoneIdentityService(options, clock), nova::InvalidConfiguration);
    options.certfile.clear();
    options.keyfile = "/nonexistent/client.key";
    CHECK_THROWS_AS(KeystoneIdentityService(options, clock), nova::InvalidConfiguration);
    // http ignores them.
    options = ServiceUser("http://localhost:5000");
    options.cafile = "/nonexistent/ca.pem";
    CHECK_NOTHROW(KeystoneIdentityService(options, clock));
}
