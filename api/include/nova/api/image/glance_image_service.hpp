#pragma once
// A Glance v2 client for image metadata ([glance] api_servers): GET /v2/images/{id} and
// GET /v2/images, with the caller's token. As Nova does, the servers are tried in a random
// order, moving on when one cannot be reached, up to 1 + num_retries attempts; then
// GlanceConnectionFailed. 404 -> ImageNotFound, 401/403 -> ImageNotAuthorized,
// 400 -> ImageBadRequest. Plain http only in this build (https endpoints are refused at
// startup). Calls block: they run on the API's handler threads.
#include <chrono>
#include <string>
#include <vector>

#include "nova/api/image/image_service.hpp"

namespace nova::api::image {

struct GlanceEndpoint {
    std::string host;
    std::string port;
    std::string base_path;  // "" or "/image"
    std::string text;       // as configured, for messages

    // Throws InvalidConfiguration for anything but http://host[:port][/path].
    static GlanceEndpoint Parse(const std::string& url);
};

class GlanceImageService final : public ImageService {
public:
    GlanceImageService(std::vector<std::string> api_servers, int num_retries,
                       std::chrono::seconds request_timeout);

    Image Show(const RequestContext& context, const std::string& image_id) const override;
    std::vector<Image> List(const RequestContext& context, const ImageQuery& query) const override;

    struct Reply {
        int status = 0;
        std::string body;
    };

private:
    // GET `path_and_query` (relative to the endpoint's base path) with retries across
    // servers; throws GlanceConnectionFailed when no server answers.
    Reply Get(const RequestContext& context, const std::string& path_and_query) const;

    std::vector<GlanceEndpoint> endpoints_;
    int num_retries_;
    std::chrono::seconds timeout_;
};

}  // namespace nova::api::image
