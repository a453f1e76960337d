#pragma once
// The read-only part of the Glance v2 API, served by nova-api from the local image catalog
// on its own port, so that clients (openstackclient, openstacksdk) can look images up by
// name or id against the all-in-one:
//   GET /, GET /versions               version discovery (300 / 200, as Glance)
//   GET /v2/images[?name=&status=&visibility=&owner=&tag=&limit=&marker=]
//   GET /v2/images/{id}                404 "No image found with ID <id>" when unknown
// The version segment may be any Glance accepts (v2, v2.0 ... v2.15). Anything that would
// change an image answers 405. A token, when sent, is read by the same Authenticator as the
// compute API; without one, only public images are listed.
#include "nova/api/auth.hpp"
#include "nova/api/compute_app.hpp"
#include "nova/api/image/image_service.hpp"

namespace nova::api::image {

class GlanceApp final : public HttpApplication {
public:
    GlanceApp(const ImageService& images, const Authenticator& auth)
        : images_(images), auth_(auth) {}

    Result Handle(const HttpRequest& request) override;

private:
    HttpResponse ListImages(const HttpRequest& request, const RequestContext& context);

    const ImageService& images_;
    const Authenticator& auth_;
};

}  // namespace nova::api::image
