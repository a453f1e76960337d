#pragma once
// /servers/{id}/tags[/{tag}] from 2.26 (nova/api/openstack/compute/server_tags.py,
// schemas/server_tags.py at Zed).
#include <memory>
#include <optional>
#include <string>

#include "nova/api/router.hpp"
#include "nova/api/validation/schema.hpp"

namespace nova::api {
class ComputeApi;
}

namespace nova::api::handlers {

void RegisterServerTags(RouteTable& routes, std::shared_ptr<ComputeApi> api);

// The body of PUT /servers/{id}/tags (schemas/server_tags.py update_all).
validation::OrderedJson ServerTagsUpdateAllSchema();
// Nova's 400 text for a tag of PUT /servers/{id}/tags/{tag} that fails parameter_types.tag,
// nullopt for a valid tag.
std::optional<std::string> InvalidTagMessage(const std::string& tag);

}  // namespace nova::api::handlers
