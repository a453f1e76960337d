// /os-services (nova/api/openstack/compute/services.py at Zed): list with host/binary
// filters, 2.11 forced_down, 2.53 uuid ids and PUT /os-services/{uuid}; before 2.53 the
// enable / disable / disable-log-reason / force-down (2.11) actions; DELETE, refused while
// the compute hosts instances or in-progress migrations.
#include <set>

#include "common.hpp"
#include "handlers.hpp"
#include "nova/api/fault.hpp"
#include "nova/api/validation/parameter_types.hpp"
#include "nova/common/log.hpp"
#include "nova/db/aggregate_store.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/db/migration_store.hpp"
#include "nova/db/placement_store.hpp"
#include "nova/db/service_store.hpp"
#include "nova/objects/object.hpp"
#include "service_info.hpp"

namespace nova::api::handlers {

using validation::OrderedJson;
using namespace validation::types;

namespace {

OrderedJson Reason() { return {{"type", "string"}, {"minLength", 1}, {"maxLength", 255}}; }

OrderedJson LegacyUpdateSchema(bool forced_down) {
    OrderedJson props = {{"host", Fqdn()},
                         {"binary", {{"type", "string"}, {"minLength", 1}, {"maxLength", 255}}},
                         {"disabled_reason", Reason()}};
    if (forced_down) props["forced_down"] = Boolean();
    return {{"type", "object"}, {"properties", props}, {"required", {"host", "binary"}}, {"additionalProperties", false}};
}

OrderedJson UpdateSchema253() {
    return {{"type", "object"},
            {"properties", {{"status", {{"type", "string"}, {"enum", {"enabled", "disabled"}}}},
                            {"disabled_reason", Reason()},
                            {"forced_down", Boolean()}}},
            {"additionalProperties", false}};
}

OrderedJson IndexQuery(bool strict) {
    return {{"type", "object"},
            {"properties", {{"host", CommonQueryParam()}, {"binary", CommonQueryParam()}}},
            {"additionalProperties", !strict}};
}

bool IsApiService(const std::string& binary) { return binary == "nova-osapi_compute" || binary == "nova-metadata"; }

Json ServiceDetail(const ApiRequest& req, HandlerDeps& deps, const objects::Service& s, const std::string& zone,
                   bool forced_down) {
    Json detail = {{"binary", s.binary()},
                   {"host", s.host()},
                   {"zone", zone},
                   {"status", s.disabled() ? "disabled" : "enabled"},
                   {"state", ServiceIsUp(s, deps) ? "up" : "down"},
                   {"updated_at", IsoOrNull(&s.updated_at(), s.has_updated_at())},
                   {"disabled_reason", s.has_disabled_reason() ? Json(s.disabled_reason()) : Json()}};
    if (req.AtLeast(2, 53)) {
        detail["id"] = s.uuid();
    } else {
        detail["id"] = s.id();
    }
    if (forced_down) detail["forced_down"] = s.forced_down();
    return detail;
}

// Any value Python's bool_from_string (not strict) takes.
bool LooseBool(const Json& v) {
    if (v.is_boolean()) return v.get<bool>();
    return BoolFromString(v.is_string() ? v.get<std::string>() : v.dump(), false).value_or(false);
}

void CheckForEvacuations(db::Pool& cell, HandlerDeps& deps, const std::string& host) {
    db::MigrationFilters filters;
    filters.source_compute = host;
    filters.statuses = {"done"};
    filters.migration_type = "evacuation";
    if (!db::MigrationStore(cell, deps.clock).GetByFilters(filters).empty()) {
        throw HttpFault(400, "Unable to force up host " + host +
                                 " as `done` evacuation migration records remain associated with the host. Ensure "
                                 "the compute service has been restarted, allowing these records to move to "
                                 "`completed` before retrying this request.");
    }
}

[[noreturn]] void NotComputeService(const std::string& binary) {
    throw HttpFault(400, "Updating a " + binary +
                             " service is not supported. Only nova-compute services can be updated.");
}

// HostAPI.service_get_by_id: a uuid (2.53) or an integer id, searched in every cell.
ServiceInCell FindService(HandlerDeps& deps, const std::string& id, bool by_uuid) {
    std::vector<ServiceInCell> found;
    for (auto& cell : deps.cells->All()) {
        for (auto& s : db::ServiceStore(*cell.pool, deps.clock).GetAll()) {
            bool match = by_uuid ? s.uuid() == id : std::to_string(s.id()) == id;
            if (match) found.push_back({std::move(s), cell.pool, ""});
        }
    }
    if (found.empty()) throw ServiceNotFound({{"service_id", id}});
    if (found.size() > 1) throw HttpFault(400, "Service id " + id + " refers to multiple services.");
    return std::move(found.front());
}

}  // namespace

void RegisterServices(RouteTable& routes, HandlerDeps& deps) {
    HandlerDeps* d = &deps;
    routes.Add({.method = "GET",
                .path = "/os-services",
                .policy = "os_compute_api:os-services:list",
                .query_schemas = {Versions(IndexQuery(false), {2, 1}, {2, 74}), Versions(IndexQuery(true), {2, 75})},
                .handler = [d](ApiRequest& req) {
                    auto host = req.QueryValue("host").value_or("");
                    auto binary = req.QueryValue("binary").value_or("");
                    Json list = Json::array();
                    for (const auto& s : AllServices(*d)) {
                        if (IsApiService(s.service.binary())) continue;
                        if (!host.empty() && s.service.host() != host) continue;
                        if (!binary.empty() && s.service.binary() != binary) continue;
                        list.push_back(ServiceDetail(req, *d, s.service, s.availability_zone, req.AtLeast(2, 11)));
                    }
                    return ApiResponse::Ok({{"services", list}});
                }});

    // Before 2.53: PUT /os-services/<action> with {host, binary}.
    auto legacy_update = [d](ApiRequest& req) {
        const auto& action = req.params.Get("id");
        const Json& body = req.body;
        bool force_down_known = req.AtLeast(2, 11);
        if (action != "enable" && action != "disable" && action != "disable-log-reason" &&
            !(force_down_known && action == "force-down")) {
            throw HttpFault(404, "Unknown action");
        }
        auto host = body["host"].get<std::string>();
        auto binary = body["binary"].get<std::string>();
        Json result = {{"host", host}, {"binary", binary}};
        std::optional<std::string> reason;
        std::optional<bool> forced_down;
        std::optional<bool> disabled;
        if (action == "enable") {
            disabled = false;
            result["status"] = "enabled";
        } else if (action == "disable" || action == "disable-log-reason") {
            disabled = true;
            if (action == "disable-log-reason") {
                if (!body.contains("disabled_reason")) throw HttpFault(400, "Missing disabled reason field");
                reason = body["disabled_reason"].get<std::string>();
            }
            result["status"] = "disabled";
            if (reason) result["disabled_reason"] = *reason;
        } else {
            if (!body.contains("forced_down")) throw HttpFault(400, "Missing forced_down field");
            forced_down = LooseBool(body["forced_down"]);
            result["forced_down"] = *forced_down;
        }
        if (binary != "nova-compute") NotComputeService(binary);
        // service_update_by_host_and_binary: through the host's cell mapping.
        objects::HostMapping mapping;
        try {
            mapping = db::HostMappingStore(*d->api_db, d->clock).GetByHost(host);
        } catch (const HostMappingNotFound& e) {
            throw HttpFault(404, e.what());
        }
        auto& cell = d->cells->PoolFor(mapping.cell_mapping());
        if (forced_down && !*forced_down) CheckForEvacuations(cell, *d, host);
        db::ServiceStore store(cell, d->clock);
        auto service = store.GetByHostAndBinary(host, binary);
        if (disabled) {
            service.set_disabled(*disabled);
            if (reason) {
                service.set_disabled_reason(*reason);
            } else {
                objects::SetNull(service, "disabled_reason");
            }
        }
        if (forced_down) service.set_forced_down(*forced_down);
        store.Save(service);
        return ApiResponse::Ok({{"service", result}});
    };
    routes.Add({.method = "PUT",
                .path = "/os-services/{id}",
                .max_version = {2, 52},
                .policy = "os_compute_api:os-services:update",
                .body_schemas = {Versions(LegacyUpdateSchema(false), {2, 1}, {2, 10}),
                                 Versions(LegacyUpdateSchema(true), {2, 11}, {2, 52})},
                .handler = legacy_update});

    routes.Add({.method = "PUT",
                .path = "/os-services/{id}",
                .min_version = {2, 53},
                .policy = "os_compute_api:os-services:update",
                .body_schemas = {AllVersions(UpdateSchema253())},
                .handler = [d](ApiRequest& req) {
                    const auto& id = req.params.Get("id");
                    if (!validation::IsUuidLike(id)) throw HttpFault(400, "Invalid uuid " + id);
                    ServiceInCell found = [&] {
                        try {
                            return FindService(*d, id, true);
                        } catch (const ServiceNotFound& e) {
                            throw HttpFault(404, e.what());
                        }
                    }();
                    auto& service = found.service;
                    if (service.binary() != "nova-compute") NotComputeService(service.binary());
                    const Json& body = req.body;
                    if (body.contains("status")) {
                        if (body["status"] == "enabled") {
                            if (body.contains("disabled_reason") && !body["disabled_reason"].get<std::string>().empty()) {
                                throw HttpFault(400, "Specifying 'disabled_reason' with status 'enabled' is invalid.");
                            }
                            service.set_disabled(false);
                            objects::SetNull(service, "disabled_reason");
                        } else {
                            std::optional<std::string> reason;
                            if (body.contains("disabled_reason")) reason = body["disabled_reason"].get<std::string>();
                            service.set_disabled(true);
                            if (reason) {
                                service.set_disabled_reason(*reason);
                            } else {
                                objects::SetNull(service, "disabled_reason");
                            }
                        }
                    }
                    if (body.contains("forced_down")) {
                        const auto& v = body["forced_down"];
                        bool forced = v.is_boolean() ? v.get<bool>() : BoolFromString(v.get<std::string>(), true).value_or(false);
                        service.set_forced_down(forced);
                        if (!forced) CheckForEvacuations(*found.cell, *d, service.host());
                    }
                    // Nova asks obj_what_changed(): setting a field to its old value still
                    // counts, so only a body without status and forced_down is refused.
                    if (!body.contains("status") && !body.contains("forced_down")) {
                        throw HttpFault(400, "No updates were requested. Fields 'status' or 'forced_down' should be specified.");
                    }
                    db::ServiceStore(*found.cell, d->clock).Save(service);
                    return ApiResponse::Ok({{"service", ServiceDetail(req, *d, service, ServiceZone(service, *d), true)}});
                }});

    routes.Add({.method = "DELETE",
                .path = "/os-services/{id}",
                .policy = "os_compute_api:os-services:delete",
                .handler = [d](ApiRequest& req) {
                    const auto& id = req.params.Get("id");
                    bool by_uuid = req.AtLeast(2, 53);
                    if (by_uuid) {
                        if (!validation::IsUuidLike(id)) throw HttpFault(400, "Invalid uuid " + id);
                    } else if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
                        throw HttpFault(400, "Invalid input received: id must be an integer");
                    }
                    ServiceInCell found = [&] {
                        try {
                            return FindService(*d, id, by_uuid);
                        } catch (const ServiceNotFound&) {
                            throw HttpFault(404, "Service " + id + " not found.");
                        }
                    }();
                    auto& service = found.service;
                    if (service.binary() == "nova-compute") {
                        const auto& host = service.host();
                        auto instances = db::InstanceStore(*found.cell, d->clock).GetByHost(host);
                        if (!instances.empty()) {
                            throw HttpFault(409, "Unable to delete compute service that is hosting instances. "
                                                 "Migrate or delete the instances first.");
                        }
                        db::ComputeNodeStore nodes_store(*found.cell, d->clock);
                        auto nodes = nodes_store.GetAllByHost(host);
                        for (const auto& node : nodes) {
                            if (!db::MigrationStore(*found.cell, d->clock)
                                     .GetInProgressByHostAndNode(node.host(), node.hypervisor_hostname())
                                     .empty()) {
                                throw HttpFault(409, "Unable to delete compute service that has in-progress "
                                                     "migrations. Complete the migrations or delete the instances "
                                                     "first.");
                            }
                        }
                        db::AggregateStore aggregates(*d->api_db, d->clock);
                        for (const auto& aggregate : aggregates.GetByHost(host)) aggregates.DeleteHost(aggregate.id(), host);
                        auto& log = log::Get("nova.api.openstack.compute.services");
                        for (auto& node : nodes) {
                            try {
                                db::PlacementStore(*d->api_db, d->clock).DeleteProvider(node.uuid());
                            } catch (const std::exception& e) {
                                NOVA_LOG_ERROR(log, req.context,
                                               "Failed to delete compute node resource provider for compute node {}: {}",
                                               node.uuid(), e.what());
                            }
                            nodes_store.Destroy(node);
                        }
                        try {
                            db::HostMappingStore(*d->api_db, d->clock).Destroy(host);
                        } catch (const HostMappingNotFound&) {
                        }
                    }
                    db::ServiceStore(*found.cell, d->clock).Destroy(service);
                    return ApiResponse::WithStatus(204);
                }});
}

void RegisterAvailabilityZones(RouteTable& routes, HandlerDeps& deps) {
    HandlerDeps* d = &deps;
    // get_availability_zones: zones of enabled services are available; zones only of
    // disabled services are not. The internal zone is left out of the summary.
    struct Zones {
        std::set<std::string> available, unavailable;
    };
    auto zones_of = [](const std::vector<ServiceInCell>& services) {
        Zones z;
        for (const auto& s : services) {
            if (!s.service.disabled()) z.available.insert(s.availability_zone);
        }
        for (const auto& s : services) {
            if (s.service.disabled() && !z.available.contains(s.availability_zone)) z.unavailable.insert(s.availability_zone);
        }
        return z;
    };
    routes.Add({.method = "GET",
                .path = "/os-availability-zone",
                .policy = "os_compute_api:os-availability-zone:list",
                .handler = [d, zones_of](ApiRequest&) {
                    auto z = zones_of(AllServices(*d));
                    Json list = Json::array();
                    for (auto [set, available] : {std::pair{&z.available, true}, std::pair{&z.unavailable, false}}) {
                        for (const auto& name : *set) {
                            if (name == d->options.internal_service_availability_zone) continue;
                            list.push_back({{"zoneName", name}, {"zoneState", {{"available", available}}}, {"hosts", nullptr}});
                        }
                    }
                    return ApiResponse::Ok({{"availabilityZoneInfo", list}});
                }});
    routes.Add({.method = "GET",
                .path = "/os-availability-zone/detail",
                .policy = "os_compute_api:os-availability-zone:detail",
                .handler = [d, zones_of](ApiRequest&) {
                    auto services = AllServices(*d);
                    auto z = zones_of(services);
                    Json list = Json::array();
                    for (const auto& name : z.available) {
                        Json hosts = Json::object();
                        for (const auto& s : services) {
                            if (s.service.disabled() || IsApiService(s.service.binary()) || s.availability_zone != name) continue;
                            hosts[s.service.host()][s.service.binary()] = {
                                {"available", ServiceIsUp(s.service, *d)},
                                {"active", true},
                                {"updated_at", IsoOrNull(&s.service.updated_at(), s.service.has_updated_at())}};
                        }
                        list.push_back({{"zoneName", name}, {"zoneState", {{"available", true}}}, {"hosts", hosts}});
                    }
                    for (const auto& name : z.unavailable) {
                        list.push_back({{"zoneName", name}, {"zoneState", {{"available", false}}}, {"hosts", nullptr}});
                    }
                    return ApiResponse::Ok({{"availabilityZoneInfo", list}});
                }});
}

}  // namespace nova::api::handlers
