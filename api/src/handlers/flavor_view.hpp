#pragma once
// The flavor views of nova/api/openstack/compute/views/flavors.py, per microversion.
#include "nova/api/handler.hpp"
#include "nova/common/json.hpp"
#include "nova/objects/flavor.pb.h"

namespace nova::api::handlers {

// {id, name, links, description (2.55)}: GET /flavors.
Json FlavorBasicView(const ApiRequest& req, const objects::Flavor& flavor);
// The full flavor: GET /flavors/detail, /flavors/{id}, POST and PUT. `extra_specs` from
// 2.61 when the os-flavor-extra-specs:index policy allows; swap is "" for 0 before 2.75.
Json FlavorDetailView(const ApiRequest& req, const objects::Flavor& flavor, bool description, bool extra_specs);

}  // namespace nova::api::handlers
