#pragma once
// Where the compute API's resource handlers plug in: one file per resource in this
// directory (servers.cpp, flavors.cpp, ...), each with a Register<Resource>(RouteTable&,
// HandlerDeps&) that declares its routes, and one line per resource in RegisterHandlers().
// docs/api.md explains how a route is declared (path, microversion range, policy rule,
// schemas) and how a handler builds its view.
#include "nova/api/image/image_service.hpp"
#include "nova/api/router.hpp"
#include "nova/common/clock.hpp"

namespace nova::api::handlers {

// What handlers may use. The database, the RPC clients and quotas join this as their
// issues land; a handler receives only what it reads.
struct HandlerDeps {
    const image::ImageService& images;
    const Clock& clock;
};

void RegisterHandlers(RouteTable& routes, HandlerDeps& deps);

// The version documents inside the API (/v2.1/{project_id}/ and /v2.1/versions/{id}).
void RegisterVersions(RouteTable& routes);

}  // namespace nova::api::handlers
