// GET /v2.1/{project_id}/ and GET /v2.1/versions/{id}: the version document, for clients
// that ask inside the authenticated API (Nova's VersionsController).
#include "handlers.hpp"
#include "nova/api/fault.hpp"
#include "nova/api/versions.hpp"

namespace nova::api::handlers {

void RegisterVersions(RouteTable& routes) {
    auto show = [](std::string id) {
        return [id](ApiRequest& req) {
            std::string version = id.empty() ? req.params.Get("id") : id;
            if (req.legacy_v2) version = "v2.0";
            if (!IsKnownVersionId(version)) throw HttpFault(404, "");
            return ApiResponse::Ok(VersionDocument(version, req.links.ApplicationUrl()));
        };
    };
    routes.Add({.method = "GET", .path = "/", .handler = show("v2.1")});
    routes.Add({.method = "GET", .path = "/versions/{id}", .handler = show("")});
}

}  // namespace nova::api::handlers
