// /limits and /os-quota-sets (nova/api/openstack/compute/limits.py, quota_sets.py and the
// DbQuotaDriver of nova/quota.py at Zed). Limits are stored and shown here; enforcing them
// when servers are created belongs to the servers API.
#include <set>

#include "common.hpp"
#include "handlers.hpp"
#include "nova/api/fault.hpp"
#include "nova/api/validation/parameter_types.hpp"
#include "quotas.hpp"

namespace nova::api::handlers {

using validation::OrderedJson;
using namespace validation::types;

namespace {

const std::set<std::string> kNetworkQuotas = {"fixed_ips", "floating_ips", "security_group_rules", "security_groups"};

// FILTERED_QUOTAS_2_36 / _2_57.
bool Filtered(const ApiRequest& req, const std::string& resource) {
    if (req.AtLeast(2, 36) && kNetworkQuotas.contains(resource)) return true;
    if (req.AtLeast(2, 57) && (resource == "injected_files" || resource == "injected_file_content_bytes" ||
                               resource == "injected_file_path_bytes")) {
        return true;
    }
    return false;
}

Json Format(const ApiRequest& req, const std::optional<std::string>& id, const std::map<std::string, Json>& values) {
    Json set = Json::object();
    if (id) set["id"] = *id;
    for (const auto& [resource, value] : values) {
        if (!Filtered(req, resource)) set[resource] = value;
    }
    return {{"quota_set", set}};
}

OrderedJson QuerySchema(bool strict) {
    return {{"type", "object"}, {"properties", {{"user_id", MultiParams({{"type", "string"}})}}}, {"additionalProperties", !strict}};
}

std::vector<VersionedSchema> QuerySchemas() {
    return {Versions(QuerySchema(false), {2, 1}, {2, 74}), Versions(QuerySchema(true), {2, 75})};
}

OrderedJson UpdateSchema(ApiVersion at) {
    OrderedJson common = {{"type", {"integer", "string"}}, {"pattern", "^-?[0-9]+$"}, {"minimum", -1}, {"maximum", 0x7FFFFFFF}};
    OrderedJson props = OrderedJson::object();
    std::vector<std::string> names = {"instances", "cores", "ram", "floating_ips", "fixed_ips", "metadata_items", "key_pairs",
                                      "security_groups", "security_group_rules", "injected_files",
                                      "injected_file_content_bytes", "injected_file_path_bytes", "server_groups",
                                      "server_group_members", "networks"};
    for (const auto& n : names) {
        bool network = kNetworkQuotas.contains(n) || n == "networks";
        bool injected = n == "injected_files" || n == "injected_file_content_bytes" || n == "injected_file_path_bytes";
        if (at >= ApiVersion{2, 36} && network) continue;
        if (at >= ApiVersion{2, 57} && injected) continue;
        props[n] = common;
    }
    props["force"] = Boolean();
    return {{"type", "object"},
            {"properties", {{"quota_set", {{"properties", props}, {"additionalProperties", false}}}}},
            {"required", {"quota_set"}},
            {"additionalProperties", false}};
}

std::optional<std::string> UserParam(const ApiRequest& req) {
    auto v = req.QueryValues("user_id");
    if (v.empty()) return std::nullopt;
    return v.front();
}

std::int64_t AsQuota(const Json& v) { return v.is_number() ? v.get<std::int64_t>() : std::stoll(v.get<std::string>()); }

}  // namespace

void RegisterQuotaSets(RouteTable& routes, HandlerDeps& deps) {
    HandlerDeps* d = &deps;
    auto limits = std::make_shared<QuotaLimits>(*deps.api_db, deps.clock, deps.options.quota_defaults);

    routes.Add({.method = "GET",
                .path = "/os-quota-sets/{project_id}",
                .query_schemas = QuerySchemas(),
                .handler = [limits](ApiRequest& req) {
                    const auto& id = req.params.Get("project_id");
                    req.Authorize("os_compute_api:os-quota-sets:show", {{"project_id", id}});
                    std::map<std::string, Json> values;
                    for (const auto& [k, v] : limits->ForProject(id, UserParam(req))) values[k] = v;
                    return ApiResponse::Ok(Format(req, id, values));
                }});
    routes.Add({.method = "GET",
                .path = "/os-quota-sets/{project_id}/detail",
                .query_schemas = QuerySchemas(),
                .handler = [limits, d](ApiRequest& req) {
                    const auto& id = req.params.Get("project_id");
                    req.Authorize("os_compute_api:os-quota-sets:detail", {{"project_id", id}});
                    auto user = UserParam(req);
                    auto used = QuotaUsage(*d, id, user, user.value_or(req.context.user_id));
                    std::map<std::string, Json> values;
                    for (const auto& [k, v] : limits->ForProject(id, user)) {
                        values[k] = {{"limit", v}, {"in_use", used[k]}, {"reserved", 0}};
                    }
                    return ApiResponse::Ok(Format(req, id, values));
                }});
    routes.Add({.method = "GET",
                .path = "/os-quota-sets/{project_id}/defaults",
                .handler = [limits](ApiRequest& req) {
                    const auto& id = req.params.Get("project_id");
                    req.Authorize("os_compute_api:os-quota-sets:defaults", {{"project_id", id}});
                    std::map<std::string, Json> values;
                    for (const auto& [k, v] : limits->Defaults()) values[k] = v;
                    return ApiResponse::Ok(Format(req, id, values));
                }});
    routes.Add({.method = "PUT",
                .path = "/os-quota-sets/{project_id}",
                .body_schemas = {Versions(UpdateSchema({2, 1}), {2, 1}, {2, 35}), Versions(UpdateSchema({2, 36}), {2, 36}, {2, 56}),
                                 Versions(UpdateSchema({2, 57}), {2, 57})},
                .query_schemas = QuerySchemas(),
                .handler = [limits, d](ApiRequest& req) {
                    const auto& id = req.params.Get("project_id");
                    req.Authorize("os_compute_api:os-quota-sets:update", {{"project_id", id}});
                    auto user = UserParam(req);
                    const Json& set = req.body["quota_set"];
                    if (set.contains("networks")) throw HttpFault(400, "The networks quota has been removed");
                    bool force = false;
                    if (set.contains("force")) {
                        const auto& f = set["force"];
                        force = f.is_boolean() ? f.get<bool>() : BoolFromString(f.get<std::string>(), false).value_or(false);
                    }
                    // get_settable_quotas: a limit may not go below what is used (the
                    // project's, or the user's), and a user's not above the project's.
                    auto used = QuotaUsage(*d, id, user, user.value_or(req.context.user_id));
                    auto project_limits = limits->ForProject(id);
                    std::map<std::string, std::int64_t> valid;
                    auto inf = [](std::int64_t v) { return v == -1 ? std::numeric_limits<double>::infinity() : static_cast<double>(v); };
                    for (const auto& [key, value] : set.items()) {
                        if (key == "force") continue;
                        if (value.is_string() && value.get<std::string>().empty()) continue;
                        auto limit = AsQuota(value);
                        if (!force) {
                            std::int64_t minimum = used.count(key) ? used[key] : 0;
                            std::int64_t maximum = user ? project_limits[key] : -1;
                            if (inf(limit) < inf(minimum)) {
                                throw HttpFault(400, "Quota limit " + std::to_string(limit) + " for " + key +
                                                         " must be greater than or equal to already used and reserved " +
                                                         std::to_string(minimum) + ".");
                            }
                            if (inf(limit) > inf(maximum)) {
                                throw HttpFault(400, "Quota limit " + std::to_string(limit) + " for " + key +
                                                         " must be less than or equal to " + std::to_string(maximum) + ".");
                            }
                        }
                        valid[key] = limit;
                    }
                    for (const auto& [key, limit] : valid) {
                        try {
                            limits->store().CreateLimit(id, key, limit, user);
                        } catch (const QuotaExists&) {
                            limits->store().UpdateLimit(id, key, limit, user);
                        }
                    }
                    std::map<std::string, Json> values;
                    for (const auto& [k, v] : limits->ForProject(id, user)) values[k] = v;
                    return ApiResponse::Ok(Format(req, std::nullopt, values));
                }});
    routes.Add({.method = "DELETE",
                .path = "/os-quota-sets/{project_id}",
                .query_schemas = QuerySchemas(),
                .handler = [limits](ApiRequest& req) {
                    const auto& id = req.params.Get("project_id");
                    req.Authorize("os_compute_api:os-quota-sets:delete", {{"project_id", id}});
                    auto user = UserParam(req);
                    if (user) {
                        limits->store().DestroyAllByProjectAndUser(id, *user);
                    } else {
                        limits->store().DestroyAllByProject(id);
                    }
                    return ApiResponse::WithStatus(202);
                }});

    // /limits: absolute limits and what the project uses.
    auto limits_handler = [limits, d](ApiRequest& req) {
        std::string project_id = req.context.project_id;
        if (auto other = req.QueryValue("tenant_id")) {
            project_id = *other;
            req.Authorize("os_compute_api:limits:other_project", DefaultTarget(req));
        }
        auto values = limits->ForProject(project_id);
        auto used = QuotaUsage(*d, project_id, std::nullopt, req.context.user_id);
        static const std::vector<std::pair<std::string, std::vector<std::string>>> kNames = {
            {"ram", {"maxTotalRAMSize"}},
            {"instances", {"maxTotalInstances"}},
            {"cores", {"maxTotalCores"}},
            {"key_pairs", {"maxTotalKeypairs"}},
            {"floating_ips", {"maxTotalFloatingIps"}},
            {"metadata_items", {"maxServerMeta", "maxImageMeta"}},
            {"injected_files", {"maxPersonality"}},
            {"injected_file_content_bytes", {"maxPersonalitySize"}},
            {"security_groups", {"maxSecurityGroups"}},
            {"security_group_rules", {"maxSecurityGroupRules"}},
            {"server_groups", {"maxServerGroups"}},
            {"server_group_members", {"maxServerGroupMembers"}}};
        // FILTERED_LIMITS: network ones from 2.36, personality from 2.57 (path bytes never shown).
        auto filtered = [&](const std::string& r) {
            if (req.AtLeast(2, 36) && (r == "floating_ips" || r == "security_groups" || r == "security_group_rules")) return true;
            return req.AtLeast(2, 57) && (r == "injected_files" || r == "injected_file_content_bytes");
        };
        bool max_image_meta = !req.AtLeast(2, 39);
        Json absolute = Json::object();
        for (const auto& [resource, names] : kNames) {
            if (filtered(resource)) continue;
            for (const auto& n : names) {
                if (n == "maxImageMeta" && !max_image_meta) continue;
                absolute[n] = values[resource];
            }
        }
        static const std::vector<std::pair<std::string, std::string>> kUsed = {
            {"totalRAMUsed", "ram"}, {"totalCoresUsed", "cores"}, {"totalInstancesUsed", "instances"},
            {"totalFloatingIpsUsed", "floating_ips"}, {"totalSecurityGroupsUsed", "security_groups"},
            {"totalServerGroupsUsed", "server_groups"}};
        for (const auto& [name, resource] : kUsed) {
            if (!filtered(resource)) absolute[name] = used[resource];
        }
        return ApiResponse::Ok({{"limits", {{"rate", Json::array()}, {"absolute", absolute}}}});
    };
    OrderedJson query = {{"type", "object"}, {"properties", {{"tenant_id", MultiParams({{"type", "string"}})}}}, {"additionalProperties", true}};
    OrderedJson query275 = query;
    query275["additionalProperties"] = false;
    routes.Add({.method = "GET",
                .path = "/limits",
                .policy = "os_compute_api:limits",
                .query_schemas = {Versions(query, {2, 1}, {2, 74}), Versions(query275, {2, 75})},
                .handler = limits_handler});
}

}  // namespace nova::api::handlers
