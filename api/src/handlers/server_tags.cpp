// Server tags as Nova's ServerTagsController answers them:
//   - the server is found through its instance mapping (404 with InstanceMappingNotFound's
//     text), and the rule os_compute_api:os-server-tags:<method> is checked against the
//     mapping's project (so another project's server is a 403, not a 404, as in Nova);
//   - the changes (PUT and DELETE) need vm_state active, paused, suspended or stopped (409
//     "Cannot 'update tag' instance X while it is in vm_state building"); the lock is not
//     checked (Nova does not);
//   - the tags live in the cell database (db::TagStore); a server still being scheduled (no
//     cell yet) has none there: GET answers 404 InstanceNotFound, as Nova's does;
//   - PUT /tags replaces them all (at most 50, each 1 to 60 characters without '/' or ','),
//     PUT /tags/{tag} adds one (201 with Location, 204 if it was there, 400 at the 51st),
//     DELETE removes one (404 InstanceTagNotFound) or all.
#include "server_tags.hpp"

#include <algorithm>

#include "../compute_api.hpp"
#include "cells.hpp"
#include "handlers.hpp"
#include "nova/api/fault.hpp"
#include "nova/api/instance_state.hpp"
#include "nova/api/validation/parameter_types.hpp"
#include "nova/api/validation/schema.hpp"
#include "nova/common/error.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/tag_store.hpp"
#include "nova/objects/instance_mapping.pb.h"
#include "nova/objects/object.hpp"

namespace nova::api::handlers {

namespace {

using validation::OrderedJson;

constexpr std::size_t kMaxTagCount = 50;  // nova.objects.instance.MAX_TAG_COUNT
constexpr ApiVersion kTagsVersion{2, 26};

}  // namespace

OrderedJson ServerTagsUpdateAllSchema() {
    return {{"title", "Server tags"},
            {"type", "object"},
            {"properties",
             {{"tags", {{"type", "array"}, {"items", validation::types::Tag()}, {"maxItems", kMaxTagCount}}}}},
            {"required", {"tags"}},
            {"additionalProperties", false}};
}

std::optional<std::string> InvalidTagMessage(const std::string& tag) {
    static const validation::Schema schema(validation::types::Tag());
    OrderedJson value = tag;
    auto error = schema.FirstError(value);
    if (!error) return std::nullopt;
    return "Tag '" + tag +
           "' is invalid. It must be a non empty string without characters '/' and ','. Validation error message: " +
           error->message;
}

namespace {

// PUT /servers/{id}/tags/{tag} takes no body.
OrderedJson UpdateSchema() { return {{"title", "Server tag"}, {"type", "null"}}; }

struct TagTarget {
    std::string server_id;
    objects::InstanceMapping mapping;
    db::Pool* cell = nullptr;  // null while the server has no cell yet
};

class ServerTags {
public:
    explicit ServerTags(std::shared_ptr<ComputeApi> api) : api_(std::move(api)) {}

    // The mapping, the policy on its project, and the cell's database.
    TagTarget Find(ApiRequest& req, std::string_view method) const {
        auto& deps = api_->deps();
        TagTarget t;
        t.server_id = req.params.Get("server_id");
        try {
            t.mapping = db::InstanceMappingStore(*deps.api_db, deps.clock).GetByInstanceUuid(t.server_id);
        } catch (const InstanceMappingNotFound& e) {
            throw HttpFault(404, e.message());
        }
        req.Authorize("os_compute_api:os-server-tags:" + std::string(method),
                      {{"project_id", t.mapping.project_id()}});
        if (objects::IsSet(t.mapping, "cell_mapping") && !objects::IsNull(t.mapping, "cell_mapping") &&
            !t.mapping.cell_mapping().uuid().empty()) {
            t.cell = &deps.cells->PoolFor(t.mapping.cell_mapping());
        }
        return t;
    }

    // Nova's _check_instance_in_valid_state: the server as the compute API finds it (a
    // BuildRequest's instance is building), its vm_state one that allows tag changes.
    void CheckState(ApiRequest& req, const TagTarget& t, const char* action) const {
        auto server = api_->Get(req.context, t.server_id);
        const auto& vm_state = server.instance.vm_state();
        if (vm_state != "active" && vm_state != "paused" && vm_state != "suspended" && vm_state != "stopped") {
            InstanceInvalidState e({{"attr", "vm_state"},
                                    {"instance_uuid", t.server_id},
                                    {"state", vm_state},
                                    {"method", action}});
            throw ConflictForInvalidState(e, action, t.server_id);
        }
        if (t.cell == nullptr) {
            // Placed between the two reads: the mapping now names the cell.
            throw InstanceNotFound({{"instance_id", t.server_id}});
        }
    }

    db::TagStore Store(const TagTarget& t) const {
        if (t.cell == nullptr) throw InstanceNotFound({{"instance_id", t.server_id}});
        return db::TagStore(*t.cell);
    }

    ApiResponse Index(ApiRequest& req) const {
        auto t = Find(req, "index");
        return ApiResponse::Ok({{"tags", Store(t).GetByInstance(t.server_id)}});
    }

    ApiResponse Show(ApiRequest& req) const {
        auto t = Find(req, "show");
        const auto& tag = req.params.Get("tag");
        if (!Store(t).Exists(t.server_id, tag)) {
            throw HttpFault(404, "Server " + t.server_id + " has no tag '" + tag + "'");
        }
        return ApiResponse::WithStatus(204);
    }

    ApiResponse Update(ApiRequest& req) const {
        auto t = Find(req, "update");
        CheckState(req, t, "update tag");
        const auto& tag = req.params.Get("tag");
        if (auto invalid = InvalidTagMessage(tag)) throw HttpFault(400, *invalid);
        auto store = Store(t);
        auto tags = store.GetByInstance(t.server_id);
        if (tags.size() >= kMaxTagCount) {
            throw HttpFault(400, "The number of tags exceeded the per-server limit " + std::to_string(kMaxTagCount));
        }
        if (std::find(tags.begin(), tags.end(), tag) != tags.end()) return ApiResponse::WithStatus(204);
        store.Add(t.server_id, tag);
        auto response = ApiResponse::WithStatus(201);
        response.headers.emplace_back("Location", req.links.Self("servers", t.server_id) + "/tags/" + tag);
        return response;
    }

    ApiResponse UpdateAll(ApiRequest& req) const {
        auto t = Find(req, "update_all");
        CheckState(req, t, "update tags");
        auto tags = req.body["tags"].get<std::vector<std::string>>();
        return ApiResponse::Ok({{"tags", Store(t).Set(t.server_id, tags)}});
    }

    ApiResponse Delete(ApiRequest& req) const {
        auto t = Find(req, "delete");
        CheckState(req, t, "delete tag");
        Store(t).Delete(t.server_id, req.params.Get("tag"));
        return ApiResponse::WithStatus(204);
    }

    ApiResponse DeleteAll(ApiRequest& req) const {
        auto t = Find(req, "delete_all");
        CheckState(req, t, "delete tags");
        Store(t).DeleteAll(t.server_id);
        return ApiResponse::WithStatus(204);
    }

private:
    std::shared_ptr<ComputeApi> api_;
};

}  // namespace

void RegisterServerTags(RouteTable& routes, std::shared_ptr<ComputeApi> api) {
    auto tags = std::make_shared<ServerTags>(std::move(api));
    routes.Add({.method = "GET", .path = "/servers/{server_id}/tags", .min_version = kTagsVersion,
                .handler = [tags](ApiRequest& req) { return tags->Index(req); }});
    routes.Add({.method = "PUT", .path = "/servers/{server_id}/tags", .min_version = kTagsVersion,
                .body_schemas = {AllVersions(ServerTagsUpdateAllSchema())},
                .handler = [tags](ApiRequest& req) { return tags->UpdateAll(req); }});
    routes.Add({.method = "DELETE", .path = "/servers/{server_id}/tags", .min_version = kTagsVersion,
                .handler = [tags](ApiRequest& req) { return tags->DeleteAll(req); }});
    routes.Add({.method = "GET", .path = "/servers/{server_id}/tags/{tag}", .min_version = kTagsVersion,
                .handler = [tags](ApiRequest& req) { return tags->Show(req); }});
    routes.Add({.method = "PUT", .path = "/servers/{server_id}/tags/{tag}", .min_version = kTagsVersion,
                .body_schemas = {AllVersions(UpdateSchema())},
                .handler = [tags](ApiRequest& req) { return tags->Update(req); }});
    routes.Add({.method = "DELETE", .path = "/servers/{server_id}/tags/{tag}", .min_version = kTagsVersion,
                .handler = [tags](ApiRequest& req) { return tags->Delete(req); }});
}

}  // namespace nova::api::handlers
