// /flavors, /flavors/{id}/os-extra_specs, /flavors/{id}/os-flavor-access and the
// addTenantAccess / removeTenantAccess actions (nova/api/openstack/compute/flavors.py,
// flavor_manage.py, flavors_extraspecs.py, flavor_access.py at Zed).
#include <algorithm>

#include "common.hpp"
#include "flavor_view.hpp"
#include "handlers.hpp"
#include "nova/api/fault.hpp"
#include "nova/api/pagination.hpp"
#include "nova/api/validation/parameter_types.hpp"
#include "nova/common/uuid.hpp"
#include "nova/db/flavor_store.hpp"
#include "nova/objects/object.hpp"

namespace nova::api::handlers {

using validation::OrderedJson;
using namespace validation::types;

namespace {

const std::vector<std::string> kSortKeys = {"created_at", "description", "disabled", "ephemeral_gb",
                                            "flavorid", "id", "is_public", "memory_mb", "name",
                                            "root_gb", "rxtx_factor", "swap", "updated_at",
                                            "vcpu_weight", "vcpus"};

OrderedJson IndexQuery(bool strict) {
    OrderedJson sort_keys = OrderedJson::array();
    for (const auto& k : kSortKeys) sort_keys.push_back(k);
    return {{"type", "object"},
            {"properties",
             {{"limit", MultiParams(NonNegativeInteger())},
              {"marker", MultiParams({{"type", "string"}})},
              {"is_public", MultiParams({{"type", "string"}})},
              {"minRam", MultiParams({{"type", "string"}})},
              {"minDisk", MultiParams({{"type", "string"}})},
              {"sort_key", MultiParams({{"type", "string"}, {"enum", sort_keys}})},
              {"sort_dir", MultiParams({{"type", "string"}, {"enum", {"asc", "desc"}}})}}},
            {"additionalProperties", !strict}};
}

OrderedJson FlavorDescription() {
    return {{"type", {"string", "null"}}, {"minLength", 0}, {"maxLength", 65535}, {"printable", true}};
}

OrderedJson CreateSchema(bool with_description) {
    OrderedJson props = {
        {"name", Name()},
        {"id", {{"type", {"string", "number", "null"}}, {"minLength", 1}, {"maxLength", 255},
                {"pattern", "^(?! )[a-zA-Z0-9. _-]+(?<! )$"}}},
        {"ram", FlavorParamPositive()},
        {"vcpus", FlavorParamPositive()},
        {"disk", FlavorParamNonNegative()},
        {"OS-FLV-EXT-DATA:ephemeral", FlavorParamNonNegative()},
        {"swap", FlavorParamNonNegative()},
        {"rxtx_factor", {{"type", {"number", "string"}}, {"pattern", "^[0-9]+(\\.[0-9]+)?$"},
                         {"minimum", 0}, {"exclusiveMinimum", true}, {"maximum", 3.40282e+38}}},
        {"os-flavor-access:is_public", Boolean()}};
    if (with_description) props["description"] = FlavorDescription();
    return {{"type", "object"},
            {"properties", {{"flavor", {{"type", "object"},
                                        {"properties", props},
                                        {"required", {"name", "ram", "vcpus", "disk"}},
                                        {"additionalProperties", false}}}}},
            {"required", {"flavor"}},
            {"additionalProperties", false}};
}

OrderedJson UpdateSchema() {
    return {{"type", "object"},
            {"properties", {{"flavor", {{"type", "object"},
                                        {"properties", {{"description", FlavorDescription()}}},
                                        {"required", {"description"}},
                                        {"additionalProperties", false}}}}},
            {"required", {"flavor"}},
            {"additionalProperties", false}};
}

OrderedJson ExtraSpecsMetadata() {
    auto m = Metadata();
    m["patternProperties"]["^[a-zA-Z0-9-_:. ]{1,255}$"]["type"] = {"string", "number"};
    return m;
}

OrderedJson TenantAccessSchema(const std::string& action) {
    return {{"type", "object"},
            {"properties", {{action, {{"type", "object"},
                                      {"properties", {{"tenant", {{"type", "string"}, {"minLength", 1}, {"maxLength", 255}}}}},
                                      {"required", {"tenant"}},
                                      {"additionalProperties", false}}}}},
            {"required", {action}},
            {"additionalProperties", false}};
}

// A flavor the context may see: admins see every flavor; others public ones and those
// their project was given access to (Nova's _flavor_get_query_from_db).
bool Visible(const objects::Flavor& f, const RequestContext& ctx) {
    if (ctx.is_admin) return true;
    if (f.is_public()) return true;
    return std::find(f.projects().begin(), f.projects().end(), ctx.project_id) != f.projects().end();
}

// common.get_flavor: 404 with FlavorNotFound's message.
objects::Flavor GetFlavor(db::FlavorStore& store, const RequestContext& ctx, const std::string& id) {
    auto flavor = store.GetByFlavorId(id);
    if (!Visible(flavor, ctx)) throw FlavorNotFound({{"flavor_id", id}});
    return flavor;
}

// An integer that the schema accepted as an integer or a string of digits.
std::int64_t AsInt(const Json& v) {
    if (v.is_number_integer()) return v.get<std::int64_t>();
    if (v.is_number()) return static_cast<std::int64_t>(v.get<double>());
    return std::stoll(v.get<std::string>());
}

bool ExtraSpecsVisible(const ApiRequest& req) {
    return req.AtLeast(2, 61) && req.Can("os_compute_api:os-flavor-extra-specs:index", DefaultTarget(req));
}

// The sort key's value as something comparable (SQL NULL first, as MySQL sorts it).
struct SortValue {
    int kind = 0;  // 0 null, 1 int, 2 double, 3 string
    std::int64_t i = 0;
    double d = 0;
    std::string s{};
    auto operator<=>(const SortValue&) const = default;
    static SortValue Null() { return SortValue(); }
    static SortValue Int(std::int64_t v) {
        SortValue x;
        x.kind = 1;
        x.i = v;
        return x;
    }
    static SortValue Double(double v) {
        SortValue x;
        x.kind = 2;
        x.d = v;
        return x;
    }
    static SortValue String(std::string v) {
        SortValue x;
        x.kind = 3;
        x.s = std::move(v);
        return x;
    }
};

SortValue KeyOf(const objects::Flavor& f, const std::string& key) {
    auto ts = [](bool has, const google::protobuf::Timestamp& t) {
        return has ? SortValue::Int(t.seconds() * 1000000000LL + t.nanos()) : SortValue::Null();
    };
    if (key == "created_at") return ts(f.has_created_at(), f.created_at());
    if (key == "updated_at") return ts(f.has_updated_at(), f.updated_at());
    if (key == "description") return f.has_description() ? SortValue::String(f.description()) : SortValue::Null();
    if (key == "disabled") return SortValue::Int(f.disabled());
    if (key == "ephemeral_gb") return SortValue::Int(f.ephemeral_gb());
    if (key == "flavorid") return SortValue::String(f.flavorid());
    if (key == "id") return SortValue::Int(f.id());
    if (key == "is_public") return SortValue::Int(f.is_public());
    if (key == "memory_mb") return SortValue::Int(f.memory_mb());
    if (key == "name") return SortValue::String(f.name());
    if (key == "root_gb") return SortValue::Int(f.root_gb());
    if (key == "rxtx_factor") return f.has_rxtx_factor() ? SortValue::Double(f.rxtx_factor()) : SortValue::Null();
    if (key == "swap") return SortValue::Int(f.swap());
    if (key == "vcpu_weight") return f.has_vcpu_weight() ? SortValue::Int(f.vcpu_weight()) : SortValue::Null();
    return SortValue::Int(f.vcpus());
}

// FlavorsController._get_flavors: filters, sort, marker and limit.
std::vector<objects::Flavor> ListFlavors(db::FlavorStore& store, const ApiRequest& req, int max_limit) {
    auto sort_key = req.QueryValue("sort_key").value_or("");
    if (sort_key.empty()) sort_key = "flavorid";
    auto sort_dir = req.QueryValue("sort_dir").value_or("");
    if (sort_dir.empty()) sort_dir = "asc";
    auto page = LimitAndMarker(req.query, max_limit);

    bool filter_public = true;  // is_public=None: both
    bool want_public = true;
    bool hide_disabled = false;
    if (req.context.is_admin) {
        if (auto v = req.QueryValue("is_public")) {
            if (IsNoneString(*v)) {
                filter_public = false;
            } else {
                auto parsed = BoolFromString(*v, true);
                if (!parsed) throw HttpFault(400, "Invalid is_public filter [" + *v + "]");
                want_public = *parsed;
            }
        }
    } else {
        hide_disabled = true;
    }
    auto int_filter = [&](const char* name) -> std::optional<std::int64_t> {
        auto v = req.QueryValue(name);
        if (!v) return std::nullopt;
        try {
            std::size_t used = 0;
            auto n = std::stoll(*v, &used);
            auto rest = v->substr(used);
            if (rest.find_first_not_of(" \t") != std::string::npos) throw std::invalid_argument(*v);
            return n;
        } catch (const std::exception&) {
            throw HttpFault(400, std::string("Invalid ") + name + " filter [" + *v + "]");
        }
    };
    auto min_ram = int_filter("minRam");
    auto min_disk = int_filter("minDisk");

    std::vector<objects::Flavor> all = store.GetAll();
    std::vector<objects::Flavor> flavors;
    for (auto& f : all) {
        if (filter_public) {
            // is_public=True also shows the private flavors the project can use.
            bool shown = f.is_public() == want_public ||
                         (want_public && !req.context.project_id.empty() &&
                          std::find(f.projects().begin(), f.projects().end(), req.context.project_id) !=
                              f.projects().end());
            if (!shown) continue;
        }
        if (hide_disabled && f.disabled()) continue;
        if (min_ram && f.memory_mb() < *min_ram) continue;
        if (min_disk && f.root_gb() < *min_disk) continue;
        if (!Visible(f, req.context)) continue;
        flavors.push_back(std::move(f));
    }
    bool desc = sort_dir == "desc";
    std::stable_sort(flavors.begin(), flavors.end(), [&](const auto& a, const auto& b) {
        auto ka = KeyOf(a, sort_key), kb = KeyOf(b, sort_key);
        if (ka != kb) return desc ? kb < ka : ka < kb;
        return desc ? b.id() < a.id() : a.id() < b.id();
    });
    std::size_t start = 0;
    if (page.marker) {
        auto it = std::find_if(flavors.begin(), flavors.end(),
                               [&](const auto& f) { return f.flavorid() == *page.marker; });
        if (it == flavors.end()) throw HttpFault(400, "marker [" + *page.marker + "] not found");
        start = static_cast<std::size_t>(it - flavors.begin()) + 1;
    }
    std::vector<objects::Flavor> out;
    for (std::size_t i = start; i < flavors.size() && out.size() < page.limit; ++i) out.push_back(std::move(flavors[i]));
    return out;
}

ApiResponse ListResponse(const ApiRequest& req, const std::vector<objects::Flavor>& flavors, bool detail) {
    Json list = Json::array();
    bool extra_specs = detail && ExtraSpecsVisible(req);
    for (const auto& f : flavors) {
        list.push_back(detail ? FlavorDetailView(req, f, req.AtLeast(2, 55), extra_specs) : FlavorBasicView(req, f));
    }
    Json body = {{"flavors", list}};
    if (!flavors.empty()) {
        if (auto next = req.links.NextLinks(detail ? "flavors/detail" : "flavors", flavors.size(), flavors.back().flavorid())) {
            body["flavors_links"] = *next;
        }
    }
    return ApiResponse::Ok(std::move(body));
}

// The flavor id of a create request: a string or a number as given, or a new uuid.
std::string FlavorIdFrom(const Json& id) {
    if (id.is_null()) return GenerateUuid();
    if (id.is_string()) return id.get<std::string>();
    if (id.is_number_integer()) return std::to_string(id.get<std::int64_t>());
    return id.dump();
}

void ExtraSpecValueLengths(const Json& specs) {
    for (const auto& [name, value] : specs.items()) {
        if (value.is_number() && value.dump().size() > 255) {
            throw HttpFault(400, "Invalid input received: extra_specs value has more than 255 characters.");
        }
    }
}

std::string SpecText(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// Nova checks the length of numeric values (the schema cannot). The validation of known
// keys that Nova adds at 2.86 (nova/api/validation/extra_specs) is not implemented yet:
// from 2.86 specs are stored as they are below it.
void ValidateSpecs(const ApiRequest& req, const Json& specs) {
    (void)req;
    ExtraSpecValueLengths(specs);
}

}  // namespace

void RegisterFlavors(RouteTable& routes, HandlerDeps& deps) {
    auto store = std::make_shared<db::FlavorStore>(*deps.api_db, deps.clock);
    int max_limit = deps.options.max_limit;

    for (bool detail : {false, true}) {
        routes.Add({.method = "GET",
                    .path = detail ? "/flavors/detail" : "/flavors",
                    .query_schemas = {Versions(IndexQuery(false), {2, 1}, {2, 74}), Versions(IndexQuery(true), {2, 75})},
                    .handler = [store, max_limit, detail](ApiRequest& req) {
                        return ListResponse(req, ListFlavors(*store, req, max_limit), detail);
                    }});
    }
    routes.Add({.method = "GET", .path = "/flavors/{flavor_id}", .handler = [store](ApiRequest& req) {
                    auto flavor = GetFlavor(*store, req.context, req.params.Get("flavor_id"));
                    return ApiResponse::Ok({{"flavor", FlavorDetailView(req, flavor, req.AtLeast(2, 55), ExtraSpecsVisible(req))}});
                }});
    routes.Add({.method = "POST",
                .path = "/flavors",
                .policy = "os_compute_api:os-flavor-manage:create",
                .body_schemas = {Versions(CreateSchema(false), {2, 1}, {2, 54}), Versions(CreateSchema(true), {2, 55})},
                .handler = [store](ApiRequest& req) {
                    const Json& v = req.body["flavor"];
                    objects::Flavor f;
                    f.set_name(v["name"].get<std::string>());
                    f.set_flavorid(FlavorIdFrom(v.value("id", Json())));
                    f.set_memory_mb(AsInt(v["ram"]));
                    f.set_vcpus(AsInt(v["vcpus"]));
                    f.set_root_gb(AsInt(v["disk"]));
                    f.set_ephemeral_gb(v.contains("OS-FLV-EXT-DATA:ephemeral") ? AsInt(v["OS-FLV-EXT-DATA:ephemeral"]) : 0);
                    f.set_swap(v.contains("swap") ? AsInt(v["swap"]) : 0);
                    double rxtx = 1.0;
                    if (v.contains("rxtx_factor")) {
                        rxtx = v["rxtx_factor"].is_string() ? std::stod(v["rxtx_factor"].get<std::string>())
                                                            : v["rxtx_factor"].get<double>();
                    }
                    f.set_rxtx_factor(rxtx);
                    bool is_public = true;
                    if (v.contains("os-flavor-access:is_public")) {
                        const auto& p = v["os-flavor-access:is_public"];
                        is_public = p.is_boolean() ? p.get<bool>() : BoolFromString(p.get<std::string>(), true).value_or(false);
                    }
                    f.set_is_public(is_public);
                    f.set_disabled(false);
                    f.set_vcpu_weight(0);
                    objects::SetNull(f, "vcpu_weight");
                    if (req.AtLeast(2, 55) && v.contains("description") && v["description"].is_string()) {
                        f.set_description(v["description"].get<std::string>());
                    } else {
                        objects::SetNull(f, "description");
                    }
                    store->Create(f);
                    bool extra_specs = ExtraSpecsVisible(req);
                    return ApiResponse::Ok({{"flavor", FlavorDetailView(req, f, req.AtLeast(2, 55), extra_specs)}});
                }});
    routes.Add({.method = "PUT",
                .path = "/flavors/{flavor_id}",
                .min_version = {2, 55},
                .policy = "os_compute_api:os-flavor-manage:update",
                .body_schemas = {AllVersions(UpdateSchema())},
                .handler = [store](ApiRequest& req) {
                    auto f = store->GetByFlavorId(req.params.Get("flavor_id"));
                    const auto& d = req.body["flavor"]["description"];
                    if (d.is_string()) {
                        f.set_description(d.get<std::string>());
                    } else {
                        objects::SetNull(f, "description");
                    }
                    store->Save(f);
                    return ApiResponse::Ok({{"flavor", FlavorDetailView(req, f, true, ExtraSpecsVisible(req))}});
                }});
    routes.Add({.method = "DELETE",
                .path = "/flavors/{flavor_id}",
                .policy = "os_compute_api:os-flavor-manage:delete",
                .handler = [store](ApiRequest& req) {
                    store->Destroy(req.params.Get("flavor_id"));
                    return ApiResponse::WithStatus(202);
                }});

    // os-extra_specs
    routes.Add({.method = "GET",
                .path = "/flavors/{flavor_id}/os-extra_specs",
                .policy = "os_compute_api:os-flavor-extra-specs:index",
                .handler = [store](ApiRequest& req) {
                    auto f = GetFlavor(*store, req.context, req.params.Get("flavor_id"));
                    Json specs = Json::object();
                    for (const auto& [k, v] : f.extra_specs()) specs[k] = v;
                    return ApiResponse::Ok({{"extra_specs", specs}});
                }});
    routes.Add({.method = "POST",
                .path = "/flavors/{flavor_id}/os-extra_specs",
                .policy = "os_compute_api:os-flavor-extra-specs:create",
                .body_schemas = {AllVersions({{"type", "object"},
                                              {"properties", {{"extra_specs", ExtraSpecsMetadata()}}},
                                              {"required", {"extra_specs"}},
                                              {"additionalProperties", false}})},
                .handler = [store](ApiRequest& req) {
                    const Json& specs = req.body["extra_specs"];
                    ValidateSpecs(req, specs);
                    auto f = GetFlavor(*store, req.context, req.params.Get("flavor_id"));
                    for (const auto& [k, v] : specs.items()) (*f.mutable_extra_specs())[k] = SpecText(v);
                    store->Save(f);
                    return ApiResponse::Ok(req.body);
                }});
    auto one_spec = ExtraSpecsMetadata();
    one_spec["minProperties"] = 1;
    one_spec["maxProperties"] = 1;
    routes.Add({.method = "PUT",
                .path = "/flavors/{flavor_id}/os-extra_specs/{key}",
                .policy = "os_compute_api:os-flavor-extra-specs:update",
                .body_schemas = {AllVersions(one_spec)},
                .handler = [store](ApiRequest& req) {
                    ValidateSpecs(req, req.body);
                    const auto& key = req.params.Get("key");
                    if (!req.body.contains(key)) throw HttpFault(400, "Request body and URI mismatch");
                    auto f = GetFlavor(*store, req.context, req.params.Get("flavor_id"));
                    (*f.mutable_extra_specs())[key] = SpecText(req.body[key]);
                    store->Save(f);
                    return ApiResponse::Ok(req.body);
                }});
    auto no_key = [](const std::string& flavor_id, const std::string& key) {
        return HttpFault(404, "Flavor " + flavor_id + " has no extra specs with key " + key + ".");
    };
    routes.Add({.method = "GET",
                .path = "/flavors/{flavor_id}/os-extra_specs/{key}",
                .policy = "os_compute_api:os-flavor-extra-specs:show",
                .handler = [store, no_key](ApiRequest& req) {
                    const auto& id = req.params.Get("flavor_id");
                    const auto& key = req.params.Get("key");
                    auto f = GetFlavor(*store, req.context, id);
                    auto it = f.extra_specs().find(key);
                    if (it == f.extra_specs().end()) throw no_key(id, key);
                    return ApiResponse::Ok({{key, it->second}});
                }});
    routes.Add({.method = "DELETE",
                .path = "/flavors/{flavor_id}/os-extra_specs/{key}",
                .policy = "os_compute_api:os-flavor-extra-specs:delete",
                .handler = [store, no_key](ApiRequest& req) {
                    const auto& id = req.params.Get("flavor_id");
                    const auto& key = req.params.Get("key");
                    auto f = GetFlavor(*store, req.context, id);
                    if (f.mutable_extra_specs()->erase(key) == 0) throw no_key(id, key);
                    store->Save(f);
                    return ApiResponse::WithStatus(200);
                }});

    // os-flavor-access
    auto marshall = [](const objects::Flavor& f) {
        Json list = Json::array();
        for (const auto& p : f.projects()) list.push_back({{"flavor_id", f.flavorid()}, {"tenant_id", p}});
        return Json{{"flavor_access", list}};
    };
    routes.Add({.method = "GET",
                .path = "/flavors/{flavor_id}/os-flavor-access",
                .policy = "os_compute_api:os-flavor-access",
                .handler = [store, marshall](ApiRequest& req) {
                    auto f = GetFlavor(*store, req.context, req.params.Get("flavor_id"));
                    if (f.is_public()) throw HttpFault(404, "Access list not available for public flavors.");
                    return ApiResponse::Ok(marshall(f));
                }});
    routes.Add({.method = "POST",
                .path = "/flavors/{flavor_id}/action",
                .action = "addTenantAccess",
                .policy = "os_compute_api:os-flavor-access:add_tenant_access",
                .body_schemas = {AllVersions(TenantAccessSchema("addTenantAccess"))},
                .handler = [store, marshall](ApiRequest& req) {
                    const auto& id = req.params.Get("flavor_id");
                    auto tenant = req.body["addTenantAccess"]["tenant"].get<std::string>();
                    auto f = GetFlavor(*store, req.context, id);
                    if (req.AtLeast(2, 7) && f.is_public()) throw HttpFault(409, "Can not add access to a public flavor.");
                    store->AddAccess(id, tenant);
                    return ApiResponse::Ok(marshall(store->GetByFlavorId(id)));
                }});
    routes.Add({.method = "POST",
                .path = "/flavors/{flavor_id}/action",
                .action = "removeTenantAccess",
                .policy = "os_compute_api:os-flavor-access:remove_tenant_access",
                .body_schemas = {AllVersions(TenantAccessSchema("removeTenantAccess"))},
                .handler = [store, marshall](ApiRequest& req) {
                    const auto& id = req.params.Get("flavor_id");
                    auto tenant = req.body["removeTenantAccess"]["tenant"].get<std::string>();
                    GetFlavor(*store, req.context, id);
                    store->RemoveAccess(id, tenant);
                    return ApiResponse::Ok(marshall(store->GetByFlavorId(id)));
                }});
}

}  // namespace nova::api::handlers
