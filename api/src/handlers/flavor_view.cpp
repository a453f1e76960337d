#include "flavor_view.hpp"

#include "nova/objects/object.hpp"

namespace nova::api::handlers {

namespace {
Json DescriptionOf(const objects::Flavor& f) {
    if (f.has_description()) return f.description();
    return nullptr;
}
}  // namespace

Json FlavorBasicView(const ApiRequest& req, const objects::Flavor& f) {
    Json view = {{"id", f.flavorid()}, {"name", f.name()}, {"links", req.links.SelfAndBookmark("flavors", f.flavorid())}};
    if (req.AtLeast(2, 55)) view["description"] = DescriptionOf(f);
    return view;
}

Json FlavorDetailView(const ApiRequest& req, const objects::Flavor& f, bool description, bool extra_specs) {
    Json view = {{"id", f.flavorid()},
                 {"name", f.name()},
                 {"ram", f.memory_mb()},
                 {"disk", f.root_gb()},
                 {"OS-FLV-EXT-DATA:ephemeral", f.ephemeral_gb()},
                 {"OS-FLV-DISABLED:disabled", f.disabled()},
                 {"vcpus", f.vcpus()},
                 {"os-flavor-access:is_public", f.is_public()},
                 {"links", req.links.SelfAndBookmark("flavors", f.flavorid())}};
    // Python's `x or ""`: 0 and None render as "".
    if (f.swap() != 0) {
        view["swap"] = f.swap();
    } else {
        view["swap"] = req.AtLeast(2, 75) ? Json(0) : Json("");
    }
    if (f.has_rxtx_factor() && f.rxtx_factor() != 0.0) {
        view["rxtx_factor"] = f.rxtx_factor();
    } else {
        view["rxtx_factor"] = "";
    }
    if (description) view["description"] = DescriptionOf(f);
    if (extra_specs) {
        Json specs = Json::object();
        for (const auto& [k, v] : f.extra_specs()) specs[k] = v;
        view["extra_specs"] = specs;
    }
    return view;
}

}  // namespace nova::api::handlers
