#include "handlers.hpp"

namespace nova::api::handlers {

void RegisterHandlers(RouteTable& routes, HandlerDeps& deps) {
    RegisterVersions(routes);
    if (deps.api_db == nullptr || deps.cells == nullptr) return;
    RegisterFlavors(routes, deps);
    RegisterKeypairs(routes, deps);
    RegisterServices(routes, deps);
    RegisterAvailabilityZones(routes, deps);
    RegisterHypervisors(routes, deps);
    RegisterAggregates(routes, deps);
    RegisterServerGroups(routes, deps);
    RegisterQuotaSets(routes, deps);
    RegisterMigrations(routes, deps);
    RegisterServers(routes, deps);
}

}  // namespace nova::api::handlers
