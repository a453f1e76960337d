#pragma once
// POST /servers/{id}/action (nova/api/openstack/compute/servers.py, pause_server.py,
// suspend_server.py, lock_server.py, migrate_server.py, console_output.py, admin_actions.py).
#include <memory>

#include "nova/api/router.hpp"

namespace nova::api {
class ComputeApi;
}

namespace nova::api::handlers {

void RegisterServerActions(RouteTable& routes, std::shared_ptr<ComputeApi> api);

}  // namespace nova::api::handlers
