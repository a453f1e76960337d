#include "nova/api/image/glance_app.hpp"

#include <set>

#include "nova/api/fault.hpp"
#include "nova/common/error.hpp"

namespace nova::api::image {

namespace {

constexpr std::size_t kDefaultLimit = 25;   // Glance's limit_param_default
constexpr std::size_t kMaxLimit = 1000;     // Glance's api_limit_max

// What Glance answers a version discovery with (no image cache, no multiple stores).
Json VersionsBody(const std::string& host_url) {
    std::string href = host_url + "/v2/";
    Json versions = Json::array();
    for (std::string_view id : {"v2.15", "v2.9", "v2.7", "v2.6", "v2.5", "v2.4", "v2.3", "v2.2",
                                "v2.1", "v2.0"}) {
        versions.push_back({{"id", id},
                            {"status", id == "v2.15" ? "CURRENT" : "SUPPORTED"},
                            {"links", Json::array({{{"rel", "self"}, {"href", href}}})}});
    }
    return Json{{"versions", std::move(versions)}};
}

bool IsAcceptedVersion(std::string_view segment) {
    static const std::set<std::string, std::less<>> kAccepted = {
        "v2", "v2.0", "v2.1", "v2.2", "v2.3", "v2.4", "v2.5", "v2.6", "v2.7", "v2.9", "v2.15"};
    return kAccepted.count(segment) > 0;
}

// Glance's errors are webob's: {"message", "code": "404 Not Found", "title"}.
HttpResponse GlanceError(int status, std::string_view title, const std::string& message) {
    HttpResponse response;
    response.status = status;
    response.SetJson(Json{{"message", message},
                          {"code", std::to_string(status) + " " + std::string(title)},
                          {"title", title}},
                     "application/json; charset=UTF-8");
    return response;
}

}  // namespace

HttpApplication::Result GlanceApp::Handle(const HttpRequest& request) {
    Result result;
    std::string path = request.path;
    std::string host_url = request.HostUrl();
    // Version negotiation as Glance's middleware does it: /versions, else a version segment.
    std::string first = path.substr(1, path.find('/', 1) == std::string::npos ? std::string::npos
                                                                               : path.find('/', 1) - 1);
    if (first == "versions") {
        result.response.SetJson(VersionsBody(host_url));
        return result;
    }
    if (!IsAcceptedVersion(first)) {
        result.response.status = 300;
        result.response.SetJson(VersionsBody(host_url));
        return result;
    }
    std::string rest = path.substr(1 + first.size());

    RequestIds ids = MakeRequestIds(request);
    RequestContext context;
    context.request_id = ids.request_id;
    context.global_request_id = ids.global_request_id;
    context.is_admin = false;
    if (request.HasHeader("X-Auth-Token")) {
        AuthOutcome outcome = auth_.Authenticate(request, ids);
        if (auto* authenticated = std::get_if<RequestContext>(&outcome)) context = *authenticated;
    }
    result.context = context;

    HttpResponse& response = result.response;
    bool is_images = rest == "/images" || rest.rfind("/images/", 0) == 0;
    if (is_images && request.method != "GET") {
        response = GlanceError(405, "Method Not Allowed",
                               "This endpoint serves a read-only image catalog.");
        response.SetHeader("Allow", "GET");
    } else if (rest.empty() || rest == "/") {
        response.SetJson(VersionsBody(host_url));  // the versioned endpoint's own discovery
    } else if (rest == "/images") {
        response = ListImages(request, context);
    } else if (rest.rfind("/images/", 0) == 0 && rest.find('/', 8) == std::string::npos &&
               rest.size() > 8) {
        std::string id = rest.substr(8);
        try {
            response.SetJson(images_.Show(context, id).ToGlance());
        } catch (const ImageNotFound&) {
            response = GlanceError(404, "Not Found", "No image found with ID " + id);
        }
    } else {
        response = GlanceError(404, "Not Found", "The resource could not be found.");
    }
    response.SetHeader("x-openstack-request-id", ids.request_id);
    return result;
}

HttpResponse GlanceApp::ListImages(const HttpRequest& request, const RequestContext& context) {
    auto params = ParseQueryString(request.query_string);
    if (!params) return GlanceError(400, "Bad Request", "Query string is not UTF-8 encoded");
    ImageQuery query;
    std::size_t limit = kDefaultLimit;
    for (const auto& [key, value] : *params) {
        if (key == "name") query.name = value;
        else if (key == "status") query.status = value;
        else if (key == "owner") query.owner = value;
        else if (key == "tag") query.tags.push_back(value);
        else if (key == "marker") query.marker = value;
        else if (key == "os_hidden") {
            std::string lower = value;
            for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (lower != "true" && lower != "false") {
                return GlanceError(400, "Bad Request", "Invalid value '" + value +
                                                           "' for 'os_hidden' filter. Valid values are "
                                                           "'true' or 'false'.");
            }
            query.hidden = lower == "true";
        }
        else if (key == "visibility") {
            static const std::set<std::string> kValid = {"community", "public", "private", "shared", "all"};
            if (!kValid.count(value)) {
                return GlanceError(400, "Bad Request", "Invalid visibility value: " + value);
            }
            query.visibility = value;
        } else if (key == "limit") {
            if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos ||
                value.size() > 9) {
                return GlanceError(400, "Bad Request", value.size() && value[0] == '-'
                                                           ? "limit param must be positive"
                                                           : "limit param must be an integer");
            }
            limit = std::min<std::size_t>(std::stoul(value), kMaxLimit);
        }
    }
    query.limit = limit;
    std::vector<Image> images;
    try {
        images = images_.List(context, query);
    } catch (const MarkerNotFound&) {
        return GlanceError(400, "Bad Request", "marker not found");  // Glance: a 400
    }
    Json body{{"images", Json::array()}, {"first", "/v2/images"}, {"schema", "/v2/schemas/images"}};
    for (const auto& image : images) body["images"].push_back(image.ToGlance());
    std::string query_text;
    std::string next_query;
    for (const auto& [key, value] : *params) {
        if (key == "marker") continue;
        std::string pair = QuotePlus(key) + "=" + QuotePlus(value);
        query_text += (query_text.empty() ? "" : "&") + pair;
    }
    if (!query_text.empty()) body["first"] = "/v2/images?" + query_text;
    if (!images.empty() && images.size() == limit) {
        next_query = query_text + (query_text.empty() ? "" : "&") + "marker=" + QuotePlus(images.back().id);
        body["next"] = "/v2/images?" + next_query;
    }
    HttpResponse response;
    response.SetJson(body);
    return response;
}

}  // namespace nova::api::image
