#include "handlers.hpp"

namespace nova::api::handlers {

void RegisterHandlers(RouteTable& routes, HandlerDeps& deps) {
    (void)deps;  // the first users are the resource handlers of the next task
    RegisterVersions(routes);
}

}  // namespace nova::api::handlers
