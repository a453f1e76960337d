// /os-keypairs (nova/api/openstack/compute/keypairs.py and compute/api.py KeypairAPI at
// Zed): per-user key pairs; 2.2 type and 201/204; 2.10 user_id (others' keys need admin);
// 2.35 limit/marker; 2.92 public_key required (no generation), wider names.
#include <algorithm>

#include "common.hpp"
#include "handlers.hpp"
#include "keypair_crypto.hpp"
#include "nova/api/fault.hpp"
#include "nova/api/pagination.hpp"
#include "nova/api/validation/parameter_types.hpp"
#include "nova/db/keypair_store.hpp"
#include "quotas.hpp"

namespace nova::api::handlers {

using validation::OrderedJson;
using namespace validation::types;

namespace {

OrderedJson CreateSchema(ApiVersion from) {
    OrderedJson props = {{"name", from >= ApiVersion{2, 92} ? KeypairNameSpecialChars292() : KeypairNameSpecialChars()}};
    if (from >= ApiVersion{2, 2}) props["type"] = {{"type", "string"}, {"enum", {"ssh", "x509"}}};
    props["public_key"] = {{"type", "string"}};
    if (from >= ApiVersion{2, 10}) props["user_id"] = {{"type", "string"}};
    OrderedJson required = from >= ApiVersion{2, 92} ? OrderedJson{"name", "public_key"} : OrderedJson{"name"};
    return {{"type", "object"},
            {"properties", {{"keypair", {{"type", "object"},
                                         {"properties", props},
                                         {"required", required},
                                         {"additionalProperties", false}}}}},
            {"required", {"keypair"}},
            {"additionalProperties", false}};
}

OrderedJson QuerySchema(bool user_id, bool paging, bool strict) {
    OrderedJson props = OrderedJson::object();
    if (user_id) props["user_id"] = MultiParams({{"type", "string"}});
    if (paging) {
        const OrderedJson paging_params = PaginationParameters();
        for (const auto& [k, v] : paging_params.items()) props[k] = v;
    }
    return {{"type", "object"}, {"properties", props}, {"additionalProperties", !strict}};
}

std::vector<VersionedSchema> QuerySchemas(bool paging) {
    if (!paging) {
        return {Versions(QuerySchema(false, false, false), {2, 1}, {2, 9}),
                Versions(QuerySchema(true, false, false), {2, 10}, {2, 74}),
                Versions(QuerySchema(true, false, true), {2, 75})};
    }
    return {Versions(QuerySchema(false, false, false), {2, 1}, {2, 9}),
            Versions(QuerySchema(true, false, false), {2, 10}, {2, 34}),
            Versions(QuerySchema(true, true, false), {2, 35}, {2, 74}),
            Versions(QuerySchema(true, true, true), {2, 75})};
}

// The user a request acts on: ?user_id= from 2.10, else the caller.
std::string TargetUser(const ApiRequest& req) {
    if (req.AtLeast(2, 10)) {
        auto values = req.QueryValues("user_id");
        if (!values.empty()) return values.front();
    }
    return req.context.user_id;
}

Json KeypairFields(const objects::KeyPair& k, bool type) {
    Json v = {{"name", k.name()},
              {"public_key", k.has_public_key() ? Json(k.public_key()) : Json()},
              {"fingerprint", k.has_fingerprint() ? Json(k.fingerprint()) : Json()}};
    if (type) v["type"] = k.type();
    return v;
}

}  // namespace

void RegisterKeypairs(RouteTable& routes, HandlerDeps& deps) {
    auto store = std::make_shared<db::KeyPairStore>(*deps.api_db, deps.clock);
    auto quotas = std::make_shared<QuotaLimits>(*deps.api_db, deps.clock, deps.options.quota_defaults);
    int max_limit = deps.options.max_limit;

    auto create = [store, quotas](ApiRequest& req) {
        const Json& params = req.body["keypair"];
        std::string name = params["name"].get<std::string>();
        std::string type = params.value("type", std::string("ssh"));
        std::string user_id = req.context.user_id;
        if (req.AtLeast(2, 10) && params.contains("user_id")) user_id = params["user_id"].get<std::string>();
        req.Authorize("os_compute_api:os-keypairs:create", {{"user_id", user_id}});

        auto limit = quotas->ForProject(req.context.project_id, req.context.user_id).at("key_pairs");
        if (limit >= 0 && store->CountByUser(user_id) + 1 > limit) {
            throw HttpFault(403, KeypairLimitExceeded().what());
        }
        objects::KeyPair keypair;
        keypair.set_user_id(user_id);
        keypair.set_name(name);
        keypair.set_type(type);
        std::optional<std::string> private_key;
        if (params.contains("public_key")) {
            auto public_key = params["public_key"].get<std::string>();
            keypair.set_fingerprint(type == "x509" ? crypto::X509Fingerprint(public_key) : crypto::SshFingerprint(public_key));
            keypair.set_public_key(public_key);
        } else {
            auto generated = type == "x509" ? crypto::GenerateX509Cert(user_id) : crypto::GenerateSshKeyPair();
            keypair.set_public_key(generated.public_key);
            keypair.set_fingerprint(generated.fingerprint);
            private_key = generated.private_key;
        }
        store->Create(keypair);
        Json view = KeypairFields(keypair, req.AtLeast(2, 2));
        view["user_id"] = user_id;
        if (private_key) view["private_key"] = *private_key;
        return ApiResponse::WithStatus(req.AtLeast(2, 2) ? 201 : 200, Json{{"keypair", view}});
    };
    routes.Add({.method = "POST", .path = "/os-keypairs", .max_version = {2, 1},
                .body_schemas = {AllVersions(CreateSchema({2, 1}))}, .handler = create});
    routes.Add({.method = "POST", .path = "/os-keypairs", .min_version = {2, 2}, .max_version = {2, 9},
                .body_schemas = {AllVersions(CreateSchema({2, 2}))}, .handler = create});
    routes.Add({.method = "POST", .path = "/os-keypairs", .min_version = {2, 10},
                .body_schemas = {Versions(CreateSchema({2, 10}), {2, 10}, {2, 91}), Versions(CreateSchema({2, 92}), {2, 92})},
                .handler = create});

    routes.Add({.method = "GET", .path = "/os-keypairs", .query_schemas = QuerySchemas(true),
                .handler = [store, max_limit](ApiRequest& req) {
                    auto user_id = TargetUser(req);
                    req.Authorize("os_compute_api:os-keypairs:index", {{"user_id", user_id}});
                    auto all = store->GetByUser(user_id);  // by name
                    std::vector<objects::KeyPair> page;
                    bool paging = req.AtLeast(2, 35);
                    if (paging) {
                        auto p = LimitAndMarker(req.query, max_limit);
                        std::size_t start = 0;
                        if (p.marker) {
                            auto it = std::find_if(all.begin(), all.end(), [&](const auto& k) { return k.name() == *p.marker; });
                            if (it == all.end()) throw HttpFault(400, MarkerNotFound({{"marker", *p.marker}}).what());
                            start = static_cast<std::size_t>(it - all.begin()) + 1;
                        }
                        for (std::size_t i = start; i < all.size() && page.size() < p.limit; ++i) page.push_back(all[i]);
                    } else {
                        page = std::move(all);
                    }
                    Json list = Json::array();
                    for (const auto& k : page) list.push_back({{"keypair", KeypairFields(k, req.AtLeast(2, 2))}});
                    Json body = {{"keypairs", list}};
                    if (paging && !page.empty()) {
                        if (auto next = req.links.NextLinks("os-keypairs", page.size(), page.back().name())) {
                            body["keypairs_links"] = *next;
                        }
                    }
                    return ApiResponse::Ok(std::move(body));
                }});
    routes.Add({.method = "GET", .path = "/os-keypairs/{name}", .query_schemas = QuerySchemas(false),
                .handler = [store](ApiRequest& req) {
                    auto user_id = TargetUser(req);
                    req.Authorize("os_compute_api:os-keypairs:show", {{"user_id", user_id}});
                    auto k = store->GetByName(user_id, req.params.Get("name"));
                    Json view = KeypairFields(k, req.AtLeast(2, 2));
                    view["user_id"] = k.user_id();
                    view["id"] = k.id();
                    view["created_at"] = IsoOrNull(&k.created_at(), k.has_created_at());
                    view["updated_at"] = IsoOrNull(&k.updated_at(), k.has_updated_at());
                    view["deleted_at"] = IsoOrNull(&k.deleted_at(), k.has_deleted_at());
                    view["deleted"] = k.deleted();
                    return ApiResponse::Ok({{"keypair", view}});
                }});
    routes.Add({.method = "DELETE", .path = "/os-keypairs/{name}", .query_schemas = QuerySchemas(false),
                .handler = [store](ApiRequest& req) {
                    auto user_id = TargetUser(req);
                    req.Authorize("os_compute_api:os-keypairs:delete", {{"user_id", user_id}});
                    store->Destroy(user_id, req.params.Get("name"));
                    return ApiResponse::WithStatus(req.AtLeast(2, 2) ? 204 : 202);
                }});
}

}  // namespace nova::api::handlers
