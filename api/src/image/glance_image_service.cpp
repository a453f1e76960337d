#include "nova/api/image/glance_image_service.hpp"

#include <algorithm>
#include <random>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "nova/api/http_message.hpp"
#include "nova/common/error.hpp"
#include "nova/common/log.hpp"

namespace nova::api::image {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

GlanceEndpoint GlanceEndpoint::Parse(const std::string& url) {
    constexpr std::string_view kHttp = "http://";
    if (url.rfind(kHttp, 0) != 0) {
        throw InvalidConfiguration::WithMessage("[glance] api_servers: " + url +
                                                " is not an http:// URL (https is not supported "
                                                "by this build)");
    }
    GlanceEndpoint e;
    e.text = url;
    std::string rest = url.substr(kHttp.size());
    auto slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    e.base_path = slash == std::string::npos ? std::string() : rest.substr(slash);
    while (!e.base_path.empty() && e.base_path.back() == '/') e.base_path.pop_back();
    // A versioned endpoint (".../v2") means the same server.
    for (std::string_view suffix : {"/v2", "/v2.0", "/v1"}) {
        if (e.base_path.size() >= suffix.size() &&
            e.base_path.compare(e.base_path.size() - suffix.size(), suffix.size(), suffix) == 0) {
            e.base_path.erase(e.base_path.size() - suffix.size());
            break;
        }
    }
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string::npos) throw InvalidConfiguration::WithMessage("bad Glance URL " + url);
        e.host = authority.substr(1, close - 1);
        e.port = close + 1 < authority.size() && authority[close + 1] == ':' ? authority.substr(close + 2) : "80";
    } else {
        auto colon = authority.rfind(':');
        e.host = authority.substr(0, colon);
        e.port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
    }
    if (e.host.empty() || e.port.empty() || e.port.find_first_not_of("0123456789") != std::string::npos) {
        throw InvalidConfiguration::WithMessage("[glance] api_servers: bad URL " + url);
    }
    return e;
}

GlanceImageService::GlanceImageService(std::vector<std::string> api_servers, int num_retries,
                                       std::chrono::seconds request_timeout)
    : num_retries_(num_retries), timeout_(request_timeout) {
    for (const auto& url : api_servers) endpoints_.push_back(GlanceEndpoint::Parse(url));
    if (endpoints_.empty()) throw InvalidConfiguration::WithMessage("[glance] api_servers is empty");
}

namespace {

GlanceImageService::Reply Fetch(const GlanceEndpoint& endpoint, const std::string& target,
                                const RequestContext& context, std::chrono::seconds timeout) {
    asio::io_context io;
    beast::tcp_stream stream(io);
    beast::error_code failure;
    GlanceImageService::Reply reply;
    asio::ip::tcp::resolver resolver(io);
    http::request<http::empty_body> request{http::verb::get, target, 11};
    request.set(http::field::host, endpoint.host + ":" + endpoint.port);
    request.set(http::field::accept, "application/json");
    request.set(http::field::user_agent, "nova-cpp");
    if (context.auth_token) request.set("X-Auth-Token", *context.auth_token);
    request.set("X-OpenStack-Request-ID", context.global_request_id.value_or(context.request_id));
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    stream.expires_after(timeout);
    resolver.async_resolve(endpoint.host, endpoint.port, [&](beast::error_code ec, auto results) {
        if (ec) return void(failure = ec);
        stream.async_connect(results, [&](beast::error_code ec2, auto) {
            if (ec2) return void(failure = ec2);
            http::async_write(stream, request, [&](beast::error_code ec3, std::size_t) {
                if (ec3) return void(failure = ec3);
                http::async_read(stream, buffer, response, [&](beast::error_code ec4, std::size_t) {
                    if (ec4) return void(failure = ec4);
                    reply.status = static_cast<int>(response.result_int());
                    reply.body = std::move(response.body());
                });
            });
        });
    });
    io.run();
    if (failure) throw beast::system_error(failure);
    return reply;
}

}  // namespace

GlanceImageService::Reply GlanceImageService::Get(const RequestContext& context,
                                                  const std::string& path_and_query) const {
    thread_local std::mt19937 rng{std::random_device{}()};
    std::vector<const GlanceEndpoint*> order;
    for (const auto& e : endpoints_) order.push_back(&e);
    std::shuffle(order.begin(), order.end(), rng);
    auto& log = log::Get("nova.image.glance");
    int attempts = 1 + num_retries_;
    std::string reason;
    for (int attempt = 0; attempt < attempts; ++attempt) {
        const GlanceEndpoint& endpoint = *order[attempt % order.size()];
        try {
            Reply reply = Fetch(endpoint, endpoint.base_path + path_and_query, context, timeout_);
            if (reply.status != 503) return reply;
            reason = "503 Service Unavailable";
        } catch (const std::exception& e) {
            reason = e.what();
        }
        NOVA_LOG_WARN(log, context, "Error contacting glance server '{}' for GET {}, {}: {}",
                      endpoint.text, path_and_query, attempt + 1 < attempts ? "retrying" : "done trying",
                      reason);
        if (attempt + 1 == attempts) {
            throw GlanceConnectionFailed({{"server", endpoint.text}, {"reason", reason}});
        }
    }
    throw GlanceConnectionFailed({{"server", endpoints_.front().text}, {"reason", reason}});
}

Image GlanceImageService::Show(const RequestContext& context, const std::string& image_id) const {
    Reply reply = Get(context, "/v2/images/" + QuotePlus(image_id));
    if (reply.status == 404) throw ImageNotFound({{"image_id", image_id}});
    if (reply.status == 401 || reply.status == 403) throw ImageNotAuthorized({{"image_id", image_id}});
    if (reply.status == 400) {
        throw ImageBadRequest({{"image_id", image_id}, {"response", reply.body}});
    }
    if (reply.status != 200) {
        throw GlanceConnectionFailed({{"server", endpoints_.front().text},
                                      {"reason", "unexpected status " + std::to_string(reply.status)}});
    }
    Json doc = Json::parse(reply.body, nullptr, false);
    try {
        if (doc.is_discarded()) throw std::invalid_argument("not JSON");
        return Image::FromGlance(doc);
    } catch (const std::invalid_argument& e) {
        throw GlanceConnectionFailed({{"server", endpoints_.front().text},
                                      {"reason", std::string("bad image document: ") + e.what()}});
    }
}

std::vector<Image> GlanceImageService::List(const RequestContext& context, const ImageQuery& query) const {
    std::string params;
    auto add = [&](const std::string& key, const std::string& value) {
        params += (params.empty() ? "?" : "&") + QuotePlus(key) + "=" + QuotePlus(value);
    };
    if (query.name) add("name", *query.name);
    if (query.status) add("status", *query.status);
    if (query.visibility) add("visibility", *query.visibility);
    if (query.owner) add("owner", *query.owner);
    for (const auto& t : query.tags) add("tag", t);
    if (query.hidden) add("os_hidden", "true");
    if (query.marker) add("marker", *query.marker);
    if (query.limit) add("limit", std::to_string(*query.limit));
    std::vector<Image> images;
    std::string next = "/v2/images" + params;
    while (!next.empty()) {
        Reply reply = Get(context, next);
        if (reply.status == 400 && query.marker) throw MarkerNotFound({{"marker", *query.marker}});
        if (reply.status == 401 || reply.status == 403) {
            throw Forbidden::WithMessage("Glance refused to list images");
        }
        if (reply.status != 200) {
            throw GlanceConnectionFailed({{"server", endpoints_.front().text},
                                          {"reason", "unexpected status " + std::to_string(reply.status)}});
        }
        Json doc = Json::parse(reply.body, nullptr, false);
        if (doc.is_discarded() || !doc.contains("images")) {
            throw GlanceConnectionFailed({{"server", endpoints_.front().text}, {"reason", "bad image list"}});
        }
        for (const auto& item : doc["images"]) {
            try {
                images.push_back(Image::FromGlance(item));
            } catch (const std::invalid_argument&) {
                continue;  // a record we cannot read is not one we can offer
            }
        }
        next.clear();
        if (doc.contains("next") && doc["next"].is_string() &&
            !(query.limit && images.size() >= *query.limit)) {
            next = doc["next"].get<std::string>();
        }
    }
    return images;
}

}  // namespace nova::api::image
