// /os-aggregates (nova/api/openstack/compute/aggregates.py and compute/api.py AggregateAPI
// at Zed): CRUD, add_host / remove_host / set_metadata, 2.41 uuid; the availability_zone
// metadata rules (no empty zone, a host in one zone only, no zone change under instances).
//
// Not done here (no consumer yet in nova-cpp): the scheduler's host-state refresh
// (update_aggregates fanout) and the placement aggregate of the host's provider.
#include <algorithm>
#include <set>

#include "cells.hpp"
#include "common.hpp"
#include "handlers.hpp"
#include "nova/api/fault.hpp"
#include "nova/api/validation/parameter_types.hpp"
#include "nova/common/uuid.hpp"
#include "nova/db/aggregate_store.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/db/service_store.hpp"
#include "nova/objects/object.hpp"

namespace nova::api::handlers {

using validation::OrderedJson;
using namespace validation::types;

namespace {

OrderedJson AzOrNull() { return {{"oneOf", {AzName(), {{"type", "null"}}}}}; }

OrderedJson Wrapped(const std::string& key, OrderedJson inner) {
    return {{"type", "object"}, {"properties", {{key, std::move(inner)}}}, {"required", {key}}, {"additionalProperties", false}};
}

OrderedJson HostBody() {
    return {{"type", "object"}, {"properties", {{"host", Fqdn()}}}, {"required", {"host"}}, {"additionalProperties", false}};
}

// utils.validate_integer(id, 'id').
std::int64_t AggregateId(const std::string& id) {
    try {
        std::size_t used = 0;
        auto n = std::stoll(id, &used);
        if (used == id.size()) return n;
    } catch (const std::exception&) {
    }
    throw HttpFault(400, "Invalid input received: id must be an integer");
}

Json Marshall(const ApiRequest& req, const objects::Aggregate& a, bool hosts_and_metadata = true) {
    Json v = {{"id", a.id()},
              {"name", a.name()},
              {"created_at", IsoOrNull(&a.created_at(), a.has_created_at())},
              {"updated_at", IsoOrNull(&a.updated_at(), a.has_updated_at())},
              {"deleted_at", IsoOrNull(&a.deleted_at(), a.has_deleted_at())},
              {"deleted", a.deleted()}};
    auto az = a.metadata().find("availability_zone");
    v["availability_zone"] = az == a.metadata().end() ? Json() : Json(az->second);
    if (hosts_and_metadata) {
        Json hosts = Json::array();
        for (const auto& h : a.hosts()) hosts.push_back(h);
        Json metadata = Json::object();
        for (const auto& [k, val] : a.metadata()) metadata[k] = val;
        v["hosts"] = hosts;
        v["metadata"] = metadata;
    }
    if (req.AtLeast(2, 41)) v["uuid"] = a.uuid();
    return v;
}

// Python's repr of a list of strings: ['az1', 'az2'].
std::string PyList(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", '" : "'") + items[i] + "'";
    return out + "]";
}

enum class Action { kAdd, kUpdate, kUpdateMeta };

[[noreturn]] void InvalidAction(Action action, std::int64_t id, const std::string& reason) {
    Kwargs kw{{"aggregate_id", id}, {"reason", reason}};
    switch (action) {
        case Action::kAdd:
            throw InvalidAggregateActionAdd(std::move(kw));
        case Action::kUpdate:
            throw InvalidAggregateActionUpdate(std::move(kw));
        case Action::kUpdateMeta:
            throw InvalidAggregateActionUpdateMeta(std::move(kw));
    }
    throw InvalidAggregateAction(std::move(kw));
}

class Aggregates {
public:
    explicit Aggregates(HandlerDeps& deps) : deps_(deps), store_(*deps.api_db, deps.clock) {}

    objects::Aggregate Get(std::int64_t id) { return store_.GetById(id); }
    db::AggregateStore& store() { return store_; }

    // AggregateAPI.is_safe_to_update_az.
    void CheckZoneUpdate(const std::map<std::string, std::optional<std::string>>& metadata, const objects::Aggregate& agg,
                         const std::vector<std::string>& hosts, Action action, bool check_instances) {
        auto it = metadata.find("availability_zone");
        if (it == metadata.end()) return;
        if (!it->second || it->second->empty()) {
            InvalidAction(action, agg.id(), "Aggregate " + agg.name() + " does not support empty named availability zone");
        }
        const std::string& zone = *it->second;
        std::vector<std::string> conflicting;
        std::set<std::string> host_set(hosts.begin(), hosts.end());
        for (const auto& other : store_.GetAll()) {
            if (other.id() == agg.id()) continue;
            auto oz = other.metadata().find("availability_zone");
            if (oz == other.metadata().end() || oz->second == zone) continue;
            bool shares = std::any_of(other.hosts().begin(), other.hosts().end(), [&](const auto& h) { return host_set.contains(h); });
            if (shares) conflicting.push_back(oz->second);
        }
        if (!conflicting.empty()) {
            InvalidAction(action, agg.id(), "One or more hosts already in availability zone(s) " + PyList(conflicting));
        }
        auto current = agg.metadata().find("availability_zone");
        bool same = current != agg.metadata().end() && current->second == zone;
        if (check_instances && !same) {
            for (auto& cell : deps_.cells->All()) {
                db::InstanceStore instances(*cell.pool, deps_.clock);
                for (const auto& h : hosts) {
                    if (!instances.GetByHost(h).empty()) {
                        InvalidAction(action, agg.id(), "One or more hosts contain instances in this zone");
                    }
                }
            }
        }
    }

    // _get_service_in_cell_by_host: HostMappingNotFound (an Invalid, 400) when the host
    // is not mapped, ComputeHostNotFound (404) when it has no compute service.
    void RequireComputeHost(const std::string& host) {
        auto mapping = db::HostMappingStore(*deps_.api_db, deps_.clock).GetByHost(host);
        auto service = db::ServiceStore(deps_.cells->PoolFor(mapping.cell_mapping()), deps_.clock).GetByComputeHost(host);
        if (service.host() != host) throw ComputeHostNotFound({{"host", host}});
    }

private:
    HandlerDeps& deps_;
    db::AggregateStore store_;
};

std::vector<std::string> Hosts(const objects::Aggregate& a) { return {a.hosts().begin(), a.hosts().end()}; }

}  // namespace

void RegisterAggregates(RouteTable& routes, HandlerDeps& deps) {
    auto aggs = std::make_shared<Aggregates>(deps);

    routes.Add({.method = "GET", .path = "/os-aggregates", .policy = "os_compute_api:os-aggregates:index",
                .handler = [aggs](ApiRequest& req) {
                    Json list = Json::array();
                    for (const auto& a : aggs->store().GetAll()) list.push_back(Marshall(req, a));
                    return ApiResponse::Ok({{"aggregates", list}});
                }});
    routes.Add({.method = "POST",
                .path = "/os-aggregates",
                .policy = "os_compute_api:os-aggregates:create",
                .body_schemas = {AllVersions(Wrapped("aggregate", {{"type", "object"},
                                                                   {"properties", {{"name", Name()}, {"availability_zone", AzOrNull()}}},
                                                                   {"required", {"name"}},
                                                                   {"additionalProperties", false}}))},
                .handler = [aggs](ApiRequest& req) {
                    const Json& body = req.body["aggregate"];
                    objects::Aggregate a;
                    a.set_uuid(GenerateUuid());
                    a.set_name(body["name"].get<std::string>());
                    if (body.contains("availability_zone") && body["availability_zone"].is_string() &&
                        !body["availability_zone"].get<std::string>().empty()) {
                        (*a.mutable_metadata())["availability_zone"] = body["availability_zone"].get<std::string>();
                    }
                    aggs->store().Create(a);
                    return ApiResponse::Ok({{"aggregate", Marshall(req, aggs->Get(a.id()), false)}});
                }});
    routes.Add({.method = "GET", .path = "/os-aggregates/{id}", .policy = "os_compute_api:os-aggregates:show",
                .handler = [aggs](ApiRequest& req) {
                    auto id = AggregateId(req.params.Get("id"));
                    return ApiResponse::Ok({{"aggregate", Marshall(req, aggs->Get(id))}});
                }});
    routes.Add({.method = "PUT",
                .path = "/os-aggregates/{id}",
                .policy = "os_compute_api:os-aggregates:update",
                .body_schemas = {AllVersions(Wrapped("aggregate", {{"type", "object"},
                                                                   {"properties", {{"name", NameWithLeadingTrailingSpaces()},
                                                                                   {"availability_zone", AzOrNull()}}},
                                                                   {"additionalProperties", false},
                                                                   {"anyOf", {{{"required", {"name"}}}, {{"required", {"availability_zone"}}}}}}))},
                .handler = [aggs](ApiRequest& req) {
                    auto id = AggregateId(req.params.Get("id"));
                    const Json& updates = req.body["aggregate"];
                    auto a = aggs->Get(id);
                    if (updates.contains("name")) {
                        // normalize_name: surrounding whitespace goes.
                        auto name = updates["name"].get<std::string>();
                        auto b = name.find_first_not_of(" \t\r\n");
                        auto e = name.find_last_not_of(" \t\r\n");
                        a.set_name(b == std::string::npos ? "" : name.substr(b, e - b + 1));
                        aggs->store().Save(a);
                    }
                    if (updates.contains("availability_zone")) {
                        std::map<std::string, std::optional<std::string>> meta;
                        const auto& z = updates["availability_zone"];
                        meta["availability_zone"] = z.is_string() ? std::optional(z.get<std::string>()) : std::nullopt;
                        aggs->CheckZoneUpdate(meta, a, Hosts(a), Action::kUpdate, true);
                        aggs->store().UpdateMetadata(id, meta);
                    }
                    return ApiResponse::Ok({{"aggregate", Marshall(req, aggs->Get(id))}});
                }});
    routes.Add({.method = "DELETE", .path = "/os-aggregates/{id}", .policy = "os_compute_api:os-aggregates:delete",
                .handler = [aggs](ApiRequest& req) {
                    auto id = AggregateId(req.params.Get("id"));
                    auto a = aggs->Get(id);
                    if (a.hosts_size() > 0) {
                        throw InvalidAggregateActionDelete({{"aggregate_id", id}, {"reason", "Host aggregate is not empty"}});
                    }
                    aggs->store().Destroy(id);
                    return ApiResponse::WithStatus(200);
                }});

    routes.Add({.method = "POST",
                .path = "/os-aggregates/{id}/action",
                .action = "add_host",
                .policy = "os_compute_api:os-aggregates:add_host",
                .body_schemas = {AllVersions(Wrapped("add_host", HostBody()))},
                .handler = [aggs](ApiRequest& req) {
                    auto host = req.body["add_host"]["host"].get<std::string>();
                    auto id = AggregateId(req.params.Get("id"));
                    try {
                        aggs->RequireComputeHost(host);
                    } catch (const HostMappingNotFound& e) {
                        throw HttpFault(404, e.what());
                    }
                    auto a = aggs->Get(id);
                    std::map<std::string, std::optional<std::string>> meta;
                    for (const auto& [k, v] : a.metadata()) meta[k] = v;
                    try {
                        aggs->CheckZoneUpdate(meta, a, {host}, Action::kAdd, false);
                        aggs->store().AddHost(id, host);
                    } catch (const InvalidAggregateAction& e) {
                        throw HttpFault(409, e.what());
                    }
                    return ApiResponse::Ok({{"aggregate", Marshall(req, aggs->Get(id))}});
                }});
    routes.Add({.method = "POST",
                .path = "/os-aggregates/{id}/action",
                .action = "remove_host",
                .policy = "os_compute_api:os-aggregates:remove_host",
                .body_schemas = {AllVersions(Wrapped("remove_host", HostBody()))},
                .handler = [aggs](ApiRequest& req) {
                    auto host = req.body["remove_host"]["host"].get<std::string>();
                    const auto& raw_id = req.params.Get("id");
                    auto id = AggregateId(raw_id);
                    try {
                        aggs->RequireComputeHost(host);
                        aggs->store().DeleteHost(id, host);
                    } catch (const NotFound&) {
                        throw HttpFault(404, "Cannot remove host " + host + " in aggregate " + raw_id);
                    }
                    return ApiResponse::Ok({{"aggregate", Marshall(req, aggs->Get(id))}});
                }});
    routes.Add({.method = "POST",
                .path = "/os-aggregates/{id}/action",
                .action = "set_metadata",
                .policy = "os_compute_api:os-aggregates:set_metadata",
                .body_schemas = {AllVersions(Wrapped("set_metadata", {{"type", "object"},
                                                                      {"properties", {{"metadata", MetadataWithNull()}}},
                                                                      {"required", {"metadata"}},
                                                                      {"additionalProperties", false}}))},
                .handler = [aggs](ApiRequest& req) {
                    auto id = AggregateId(req.params.Get("id"));
                    auto a = aggs->Get(id);
                    std::map<std::string, std::optional<std::string>> meta;
                    for (const auto& [k, v] : req.body["set_metadata"]["metadata"].items()) {
                        meta[k] = v.is_string() ? std::optional(v.get<std::string>()) : std::nullopt;
                    }
                    aggs->CheckZoneUpdate(meta, a, Hosts(a), Action::kUpdateMeta, true);
                    aggs->store().UpdateMetadata(id, meta);
                    return ApiResponse::Ok({{"aggregate", Marshall(req, aggs->Get(id))}});
                }});
}

}  // namespace nova::api::handlers
