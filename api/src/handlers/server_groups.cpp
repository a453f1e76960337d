// /os-server-groups (nova/api/openstack/compute/server_groups.py at Zed): list (all_projects
// for admins, limit/offset), show, create (2.15 soft policies; 2.64 policy and rules), delete;
// members are the group's instances that still exist; the server_groups quota is checked.
#include <algorithm>

#include "cells.hpp"
#include "common.hpp"
#include "handlers.hpp"
#include "nova/api/fault.hpp"
#include "nova/api/validation/parameter_types.hpp"
#include "nova/common/uuid.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/instance_group_store.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/objects/object.hpp"
#include "quotas.hpp"

namespace nova::api::handlers {

using validation::OrderedJson;
using namespace validation::types;

namespace {

OrderedJson CreateSchema(ApiVersion at) {
    OrderedJson policies = {"anti-affinity", "affinity"};
    if (at >= ApiVersion{2, 15}) {
        policies.push_back("soft-anti-affinity");
        policies.push_back("soft-affinity");
    }
    OrderedJson props = {{"name", Name()}};
    OrderedJson required;
    if (at >= ApiVersion{2, 64}) {
        props["policy"] = {{"type", "string"}, {"enum", policies}};
        props["rules"] = {{"type", "object"},
                          {"properties", {{"max_server_per_host", PositiveInteger()}}},
                          {"additionalProperties", false}};
        required = {"name", "policy"};
    } else {
        // Nova also says additionalItems: false; with one item allowed it adds nothing.
        props["policies"] = {{"type", "array"},
                             {"items", {{{"type", "string"}, {"enum", policies}}}},
                             {"uniqueItems", true},
                             {"minItems", 1},
                             {"maxItems", 1}};
        required = {"name", "policies"};
    }
    return {{"type", "object"},
            {"properties", {{"server_group", {{"type", "object"}, {"properties", props}, {"required", required}, {"additionalProperties", false}}}}},
            {"required", {"server_group"}},
            {"additionalProperties", false}};
}

OrderedJson IndexQuery(bool strict) {
    return {{"type", "object"},
            {"properties", {{"all_projects", MultiParams({{"type", "string"}})},
                            {"limit", MultiParams(NonNegativeInteger())},
                            {"offset", MultiParams(NonNegativeInteger())}}},
            {"additionalProperties", !strict}};
}

// _get_not_deleted: members whose instance still exists (or is not in a cell yet).
Json LiveMembers(HandlerDeps& deps, const objects::InstanceGroup& group) {
    Json members = Json::array();
    db::InstanceMappingStore mappings(*deps.api_db, deps.clock);
    for (const auto& uuid : group.members()) {
        try {
            auto mapping = mappings.GetByInstanceUuid(uuid);
            if (!mapping.has_cell_mapping() || mapping.cell_mapping().uuid().empty()) {
                members.push_back(uuid);
                continue;
            }
            auto instance = db::InstanceStore(deps.cells->PoolFor(mapping.cell_mapping()), deps.clock).GetByUuid(uuid);
            if (!instance.deleted()) members.push_back(uuid);
        } catch (const NotFound&) {
        }
    }
    return members;
}

Json Format(const ApiRequest& req, HandlerDeps& deps, const objects::InstanceGroup& g) {
    Json v = {{"id", g.uuid()}, {"name", g.has_name() ? Json(g.name()) : Json()}};
    if (req.AtLeast(2, 64)) {
        v["policy"] = g.policy();
        Json rules = Json::object();
        for (const auto& [k, val] : g._rules()) {
            if (k == "max_server_per_host") {
                rules[k] = std::stoll(val);
            } else {
                rules[k] = val;
            }
        }
        v["rules"] = rules;
    } else {
        Json policies = Json::array();
        if (!g.policy().empty()) policies.push_back(g.policy());
        v["policies"] = policies;
        v["metadata"] = Json::object();
    }
    v["members"] = g.members().empty() ? Json::array() : LiveMembers(deps, g);
    if (req.AtLeast(2, 13)) {
        v["project_id"] = g.project_id();
        v["user_id"] = g.user_id();
    }
    return v;
}

}  // namespace

void RegisterServerGroups(RouteTable& routes, HandlerDeps& deps) {
    HandlerDeps* d = &deps;
    auto store = std::make_shared<db::InstanceGroupStore>(*deps.api_db, deps.clock);
    auto limits = std::make_shared<QuotaLimits>(*deps.api_db, deps.clock, deps.options.quota_defaults);

    routes.Add({.method = "GET",
                .path = "/os-server-groups",
                .query_schemas = {Versions(IndexQuery(false), {2, 1}, {2, 74}), Versions(IndexQuery(true), {2, 75})},
                .handler = [store, d](ApiRequest& req) {
                    const auto& project_id = req.context.project_id;
                    req.Authorize("os_compute_api:os-server-groups:index", {{"project_id", project_id}});
                    std::vector<objects::InstanceGroup> groups;
                    if (!req.QueryValues("all_projects").empty() && req.context.is_admin) {
                        req.Authorize("os_compute_api:os-server-groups:index:all_projects", {{"project_id", project_id}});
                        groups = store->GetAll();
                    } else {
                        groups = store->GetByProject(project_id);
                    }
                    // common.limited: offset, then at most min(limit, max_limit).
                    std::size_t offset = 0;
                    std::size_t limit = static_cast<std::size_t>(d->options.max_limit);
                    if (auto o = req.QueryValue("offset")) offset = std::stoull(*o);
                    if (auto l = req.QueryValue("limit")) limit = std::min<std::size_t>(limit, std::stoull(*l));
                    Json list = Json::array();
                    for (std::size_t i = offset; i < groups.size() && list.size() < limit; ++i) {
                        list.push_back(Format(req, *d, groups[i]));
                    }
                    return ApiResponse::Ok({{"server_groups", list}});
                }});
    routes.Add({.method = "GET", .path = "/os-server-groups/{id}", .handler = [store, d](ApiRequest& req) {
                    auto g = store->GetByUuid(req.params.Get("id"));
                    req.Authorize("os_compute_api:os-server-groups:show", {{"project_id", g.project_id()}});
                    return ApiResponse::Ok({{"server_group", Format(req, *d, g)}});
                }});
    routes.Add({.method = "DELETE", .path = "/os-server-groups/{id}", .handler = [store](ApiRequest& req) {
                    auto g = store->GetByUuid(req.params.Get("id"));
                    req.Authorize("os_compute_api:os-server-groups:delete", {{"project_id", g.project_id()}});
                    store->Destroy(g.uuid());
                    return ApiResponse::WithStatus(204);
                }});
    routes.Add({.method = "POST",
                .path = "/os-server-groups",
                .body_schemas = {Versions(CreateSchema({2, 1}), {2, 1}, {2, 14}), Versions(CreateSchema({2, 15}), {2, 15}, {2, 63}),
                                 Versions(CreateSchema({2, 64}), {2, 64})},
                .handler = [store, limits, d](ApiRequest& req) {
                    const auto& project_id = req.context.project_id;
                    req.Authorize("os_compute_api:os-server-groups:create", {{"project_id", project_id}});
                    auto limit = limits->ForProject(project_id, req.context.user_id).at("server_groups");
                    if (limit >= 0 && static_cast<std::int64_t>(store->GetByProject(project_id).size()) + 1 > limit) {
                        throw HttpFault(403, "Quota exceeded, too many server groups.");
                    }
                    const Json& vals = req.body["server_group"];
                    objects::InstanceGroup g;
                    if (req.AtLeast(2, 64)) {
                        auto policy = vals["policy"].get<std::string>();
                        Json rules = vals.value("rules", Json::object());
                        if (policy != "anti-affinity" && !rules.empty()) {
                            throw HttpFault(400, "Only anti-affinity policy supports rules.");
                        }
                        g.set_policy(policy);
                        for (const auto& [k, v] : rules.items()) {
                            (*g.mutable__rules())[k] = v.is_string() ? v.get<std::string>() : v.dump();
                        }
                    } else {
                        g.set_policy(vals["policies"][0].get<std::string>());
                    }
                    if (g._rules().empty()) objects::SetEmpty(g, "_rules");
                    objects::SetEmpty(g, "members");
                    g.set_uuid(GenerateUuid());
                    g.set_name(vals["name"].get<std::string>());
                    g.set_project_id(project_id);
                    g.set_user_id(req.context.user_id);
                    store->Create(g);
                    return ApiResponse::Ok({{"server_group", Format(req, *d, g)}});
                }});
}

}  // namespace nova::api::handlers
