// /os-hypervisors (nova/api/openstack/compute/hypervisors.py at Zed): list, detail, show;
// 2.28 cpu_info as an object; 2.33 limit/marker; 2.53 uuid ids, hypervisor_hostname_pattern
// and with_servers (search/servers routes before it); 2.88 drops the resource fields and
// /statistics, adds uptime. A compute node shows only once its host is mapped to a cell
// (nova-manage cell_v2 discover_hosts) and has a compute service, as in Nova.
//
// uptime (2.88 detail, /uptime before) is the compute host's answer over RPC in Nova; until
// the RPC client lands it is null, which is what Nova shows when the compute cannot say.
#include <algorithm>
#include <set>

#include "cells.hpp"
#include "common.hpp"
#include "handlers.hpp"
#include "nova/compute/rpcapi.hpp"
#include "nova/api/fault.hpp"
#include "nova/api/pagination.hpp"
#include "nova/api/validation/parameter_types.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/db/service_store.hpp"
#include "service_info.hpp"

namespace nova::api::handlers {

using validation::OrderedJson;
using namespace validation::types;

namespace {

struct Node {
    objects::ComputeNode node;
    db::Pool* cell;
};

std::vector<Node> AllNodes(HandlerDeps& deps) {
    std::vector<Node> nodes;
    for (auto& cell : deps.cells->All()) {
        auto list = db::ComputeNodeStore(*cell.pool, deps.clock).GetAll();
        std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.id() < b.id(); });
        for (auto& n : list) nodes.push_back({std::move(n), cell.pool});
    }
    return nodes;
}

// service_get_by_compute_host: through the host's cell mapping; nullopt when the host is
// not mapped or has no compute service.
std::optional<objects::Service> ComputeService(HandlerDeps& deps, const std::string& host) {
    try {
        auto mapping = db::HostMappingStore(*deps.api_db, deps.clock).GetByHost(host);
        return db::ServiceStore(deps.cells->PoolFor(mapping.cell_mapping()), deps.clock).GetByComputeHost(host);
    } catch (const HostMappingNotFound&) {
        return std::nullopt;
    } catch (const ComputeHostNotFound&) {
        return std::nullopt;
    }
}

Json CpuInfo(const objects::ComputeNode& n) {
    if (!n.has_cpu_info() || n.cpu_info().empty()) return Json::object();
    auto parsed = Json::parse(n.cpu_info(), nullptr, false);
    return parsed.is_discarded() ? Json(n.cpu_info()) : parsed;
}

Json View(const ApiRequest& req, HandlerDeps& deps, const Node& n, const objects::Service& service, bool detail,
          const std::optional<std::vector<objects::Instance>>& servers, bool with_servers) {
    bool uuid_ids = req.AtLeast(2, 53);
    const auto& node = n.node;
    Json v = {{"id", uuid_ids ? Json(node.uuid()) : Json(node.id())},
              {"hypervisor_hostname", node.has_hypervisor_hostname() ? Json(node.hypervisor_hostname()) : Json()},
              {"state", ServiceIsUp(service, deps) ? "up" : "down"},
              {"status", service.disabled() ? "disabled" : "enabled"}};
    if (detail) {
        v["hypervisor_type"] = node.hypervisor_type();
        v["hypervisor_version"] = node.hypervisor_version();
        v["host_ip"] = node.has_host_ip() ? Json(node.host_ip()) : Json();
        v["service"] = {{"id", uuid_ids ? Json(service.uuid()) : Json(service.id())},
                        {"host", node.host()},
                        {"disabled_reason", service.has_disabled_reason() ? Json(service.disabled_reason()) : Json()}};
        if (!req.AtLeast(2, 88)) {
            v["vcpus"] = node.vcpus();
            v["memory_mb"] = node.memory_mb();
            v["local_gb"] = node.local_gb();
            v["vcpus_used"] = node.vcpus_used();
            v["memory_mb_used"] = node.memory_mb_used();
            v["local_gb_used"] = node.local_gb_used();
            v["free_ram_mb"] = node.free_ram_mb();
            v["free_disk_gb"] = node.free_disk_gb();
            v["current_workload"] = node.current_workload();
            v["running_vms"] = node.running_vms();
            v["disk_available_least"] = node.has_disk_available_least() ? Json(node.disk_available_least()) : Json();
            if (req.AtLeast(2, 28)) {
                v["cpu_info"] = CpuInfo(node);
            } else {
                v["cpu_info"] = node.cpu_info();
            }
        } else {
            // 2.88: the compute's answer inline, null when it cannot give one.
            v["uptime"] = nullptr;
            if (deps.compute_rpc != nullptr && ServiceIsUp(service, deps)) {
                try {
                    v["uptime"] = deps.compute_rpc->GetHostUptime(req.context, node.host());
                } catch (const std::exception&) {
                }
            }
        }
    }
    if (servers && !servers->empty()) {
        Json list = Json::array();
        for (const auto& i : *servers) list.push_back({{"name", i.display_name()}, {"uuid", i.uuid()}});
        v["servers"] = list;
    } else if (with_servers && req.AtLeast(2, 75)) {
        v["servers"] = Json::array();
    }
    return v;
}

// compute_node_search_by_hypervisor: hypervisor_hostname LIKE %pattern%.
std::vector<Node> NodesMatching(HandlerDeps& deps, const std::string& pattern) {
    std::vector<Node> out;
    for (auto& n : AllNodes(deps)) {
        if (n.node.hypervisor_hostname().find(pattern) != std::string::npos) out.push_back(std::move(n));
    }
    if (out.empty()) throw HttpFault(404, "No hypervisor matching '" + pattern + "' could be found.");
    return out;
}

std::vector<objects::Instance> InstancesOn(HandlerDeps& deps, const Node& n) {
    return db::InstanceStore(*n.cell, deps.clock).GetByHost(n.node.host());
}

bool WithServers(const ApiRequest& req) {
    if (!req.AtLeast(2, 53)) return false;
    auto v = req.QueryValue("with_servers");
    return v && BoolFromString(*v, true).value_or(false);
}

ApiResponse List(ApiRequest& req, HandlerDeps& deps, bool detail) {
    bool with_servers = WithServers(req);
    std::optional<std::string> pattern;
    if (req.AtLeast(2, 53)) pattern = req.QueryValue("hypervisor_hostname_pattern");
    bool paging = req.AtLeast(2, 33);
    std::vector<Node> nodes;
    bool links = paging;
    std::size_t limit = SIZE_MAX;
    if (pattern) {
        bool has_limit = std::any_of(req.query.begin(), req.query.end(), [](const auto& kv) { return kv.first == "limit"; });
        if (has_limit || req.QueryValue("marker")) {
            throw HttpFault(400, "Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.");
        }
        links = false;
        nodes = NodesMatching(deps, *pattern);
    } else {
        nodes = AllNodes(deps);
        if (paging) {
            auto page = LimitAndMarker(req.query, deps.options.max_limit);
            limit = page.limit;
            if (page.marker) {
                auto it = std::find_if(nodes.begin(), nodes.end(), [&](const Node& n) {
                    return req.AtLeast(2, 53) ? n.node.uuid() == *page.marker : std::to_string(n.node.id()) == *page.marker;
                });
                if (it == nodes.end()) throw HttpFault(400, "marker [" + *page.marker + "] not found");
                nodes.erase(nodes.begin(), it + 1);
            }
            if (nodes.size() > limit) nodes.resize(limit);
        }
    }
    Json list = Json::array();
    std::string last_id;
    for (const auto& n : nodes) {
        auto service = ComputeService(deps, n.node.host());
        if (!service) continue;  // deleted service, or host not mapped yet
        std::optional<std::vector<objects::Instance>> servers;
        if (with_servers) servers = InstancesOn(deps, n);
        auto v = View(req, deps, n, *service, detail, servers, with_servers);
        last_id = v["id"].is_string() ? v["id"].get<std::string>() : std::to_string(v["id"].get<std::int64_t>());
        list.push_back(std::move(v));
    }
    Json body = {{"hypervisors", list}};
    if (links && !list.empty()) {
        if (auto next = req.links.NextLinks(detail ? "os-hypervisors/detail" : "os-hypervisors", list.size(), last_id)) {
            body["hypervisors_links"] = *next;
        }
    }
    return ApiResponse::Ok(std::move(body));
}

OrderedJson ListQuery233() {
    return {{"type", "object"}, {"properties", PaginationParameters()}, {"additionalProperties", true}};
}

OrderedJson ListQuery253() {
    return {{"type", "object"},
            {"properties", {{"limit", SingleParam(NonNegativeInteger())},
                            {"marker", SingleParam({{"type", "string"}})},
                            {"hypervisor_hostname_pattern", SingleParam(Fqdn())},
                            {"with_servers", SingleParam(Boolean())}}},
            {"additionalProperties", false}};
}

OrderedJson ShowQuery253() {
    return {{"type", "object"}, {"properties", {{"with_servers", SingleParam(Boolean())}}}, {"additionalProperties", false}};
}

}  // namespace

void RegisterHypervisors(RouteTable& routes, HandlerDeps& deps) {
    HandlerDeps* d = &deps;
    for (bool detail : {false, true}) {
        std::string path = detail ? "/os-hypervisors/detail" : "/os-hypervisors";
        std::string policy = detail ? "os_compute_api:os-hypervisors:list-detail" : "os_compute_api:os-hypervisors:list";
        auto handler = [d, detail](ApiRequest& req) { return List(req, *d, detail); };
        routes.Add({.method = "GET", .path = path, .max_version = {2, 32}, .policy = policy, .handler = handler});
        routes.Add({.method = "GET", .path = path, .min_version = {2, 33}, .max_version = {2, 52}, .policy = policy,
                    .query_schemas = {AllVersions(ListQuery233())}, .handler = handler});
        routes.Add({.method = "GET", .path = path, .min_version = {2, 53}, .policy = policy,
                    .query_schemas = {AllVersions(ListQuery253())}, .handler = handler});
    }

    auto show = [d](ApiRequest& req) {
        const auto& id = req.params.Get("id");
        auto not_found = HttpFault(404, "Hypervisor with ID '" + id + "' could not be found.");
        if (req.AtLeast(2, 53)) {
            if (!validation::IsUuidLike(id)) throw HttpFault(400, "Invalid uuid " + id);
        } else if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
            throw not_found;
        }
        auto nodes = AllNodes(*d);
        auto it = std::find_if(nodes.begin(), nodes.end(), [&](const Node& n) {
            return req.AtLeast(2, 53) ? n.node.uuid() == id : std::to_string(n.node.id()) == id;
        });
        if (it == nodes.end()) throw not_found;
        bool with_servers = WithServers(req);
        std::optional<std::vector<objects::Instance>> servers;
        if (with_servers) servers = InstancesOn(*d, *it);
        auto service = ComputeService(*d, it->node.host());
        if (!service) throw not_found;
        return ApiResponse::Ok({{"hypervisor", View(req, *d, *it, *service, true, servers, with_servers)}});
    };
    routes.Add({.method = "GET", .path = "/os-hypervisors/{id}", .max_version = {2, 52},
                .policy = "os_compute_api:os-hypervisors:show", .handler = show});
    routes.Add({.method = "GET", .path = "/os-hypervisors/{id}", .min_version = {2, 53},
                .policy = "os_compute_api:os-hypervisors:show", .query_schemas = {AllVersions(ShowQuery253())},
                .handler = show});

    // Before 2.88: the compute host's uptime. Nova asks the compute over RPC; until
    // nova-api has the compute RPC client it answers as Nova does for a driver that cannot
    // tell (501), after the same 404 checks. openstackclient tolerates the 501.
    routes.Add({.method = "GET",
                .path = "/os-hypervisors/{id}/uptime",
                .max_version = {2, 87},
                .policy = "os_compute_api:os-hypervisors:uptime",
                .handler = [d](ApiRequest& req) -> ApiResponse {
                    const auto& id = req.params.Get("id");
                    auto not_found = HttpFault(404, "Hypervisor with ID '" + id + "' could not be found.");
                    bool by_uuid = req.AtLeast(2, 53);
                    if (by_uuid && !validation::IsUuidLike(id)) throw HttpFault(400, "Invalid uuid " + id);
                    if (!by_uuid && (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)) throw not_found;
                    auto nodes = AllNodes(*d);
                    auto it = std::find_if(nodes.begin(), nodes.end(), [&](const Node& n) {
                        return by_uuid ? n.node.uuid() == id : std::to_string(n.node.id()) == id;
                    });
                    if (it == nodes.end()) throw not_found;
                    auto service = ComputeService(*d, it->node.host());
                    if (!service) throw not_found;
                    if (d->compute_rpc == nullptr) throw HttpFault(501, "The requested functionality is not supported.");
                    // Nova's HostAPI.get_host_uptime: only an up compute is asked.
                    if (!ServiceIsUp(*service, *d)) {
                        throw HttpFault(400, ComputeServiceUnavailable({{"host", it->node.host()}}).message());
                    }
                    std::string uptime;
                    try {
                        uptime = d->compute_rpc->GetHostUptime(req.context, it->node.host());
                    } catch (const NovaError& e) {
                        if (e.class_name() == "NotImplementedError") {
                            throw HttpFault(501, "The requested functionality is not supported.");
                        }
                        throw;
                    }
                    Json view = View(req, *d, *it, *service, false, std::nullopt, false);
                    view["uptime"] = uptime;
                    return ApiResponse::Ok({{"hypervisor", view}});
                }});

    // Before 2.53: search and servers by hostname pattern.
    for (bool servers : {false, true}) {
        routes.Add({.method = "GET",
                    .path = servers ? "/os-hypervisors/{id}/servers" : "/os-hypervisors/{id}/search",
                    .max_version = {2, 52},
                    .policy = servers ? "os_compute_api:os-hypervisors:servers" : "os_compute_api:os-hypervisors:search",
                    .handler = [d, servers](ApiRequest& req) {
                        Json list = Json::array();
                        for (const auto& n : NodesMatching(*d, req.params.Get("id"))) {
                            std::optional<std::vector<objects::Instance>> instances;
                            if (servers) instances = InstancesOn(*d, n);
                            auto service = ComputeService(*d, n.node.host());
                            if (!service) continue;
                            list.push_back(View(req, *d, n, *service, false, instances, false));
                        }
                        return ApiResponse::Ok({{"hypervisors", list}});
                    }});
    }

    routes.Add({.method = "GET",
                .path = "/os-hypervisors/statistics",
                .max_version = {2, 87},
                .policy = "os_compute_api:os-hypervisors:statistics",
                .handler = [d](ApiRequest&) {
                    // compute_node_statistics: nodes of enabled nova-compute services, summed.
                    std::int64_t count = 0, vcpus = 0, memory_mb = 0, local_gb = 0, vcpus_used = 0, memory_mb_used = 0,
                                 local_gb_used = 0, free_ram_mb = 0, free_disk_gb = 0, current_workload = 0,
                                 running_vms = 0, disk_available_least = 0;
                    for (auto& cell : d->cells->All()) {
                        std::set<std::string> enabled_hosts;
                        for (const auto& s : db::ServiceStore(*cell.pool, d->clock).GetByBinary("nova-compute", false)) {
                            if (!s.disabled()) enabled_hosts.insert(s.host());
                        }
                        for (const auto& n : db::ComputeNodeStore(*cell.pool, d->clock).GetAll()) {
                            if (!enabled_hosts.contains(n.host())) continue;
                            ++count;
                            vcpus += n.vcpus();
                            memory_mb += n.memory_mb();
                            local_gb += n.local_gb();
                            vcpus_used += n.vcpus_used();
                            memory_mb_used += n.memory_mb_used();
                            local_gb_used += n.local_gb_used();
                            free_ram_mb += n.free_ram_mb();
                            free_disk_gb += n.free_disk_gb();
                            current_workload += n.current_workload();
                            running_vms += n.running_vms();
                            disk_available_least += n.disk_available_least();
                        }
                    }
                    return ApiResponse::Ok({{"hypervisor_statistics",
                                             {{"count", count}, {"vcpus", vcpus}, {"memory_mb", memory_mb},
                                              {"local_gb", local_gb}, {"vcpus_used", vcpus_used},
                                              {"memory_mb_used", memory_mb_used}, {"local_gb_used", local_gb_used},
                                              {"free_ram_mb", free_ram_mb}, {"free_disk_gb", free_disk_gb},
                                              {"current_workload", current_workload}, {"running_vms", running_vms},
                                              {"disk_available_least", disk_available_least}}}});
                }});
}

}  // namespace nova::api::handlers
