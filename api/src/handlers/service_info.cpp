#include "service_info.hpp"

#include <map>
#include <set>

#include "common.hpp"
#include "nova/common/service_state.hpp"
#include "nova/db/aggregate_store.hpp"
#include "nova/db/service_store.hpp"

namespace nova::api::handlers {

namespace {
// host -> the availability zones of the aggregates it is in.
std::map<std::string, std::set<std::string>> ZonesByHost(HandlerDeps& deps) {
    std::map<std::string, std::set<std::string>> zones;
    for (const auto& aggregate : db::AggregateStore(*deps.api_db, deps.clock).GetAll()) {
        auto it = aggregate.metadata().find("availability_zone");
        if (it == aggregate.metadata().end()) continue;
        for (const auto& host : aggregate.hosts()) zones[host].insert(it->second);
    }
    return zones;
}

std::string ZoneOf(const objects::Service& service, const std::map<std::string, std::set<std::string>>& zones,
                   const HandlerOptions& options) {
    if (service.topic() != "compute") return options.internal_service_availability_zone;
    auto it = zones.find(service.host());
    if (it == zones.end() || it->second.empty()) return options.default_availability_zone;
    std::string joined;
    for (const auto& z : it->second) joined += (joined.empty() ? "" : ",") + z;
    return joined;
}
}  // namespace

std::vector<ServiceInCell> AllServices(HandlerDeps& deps) {
    auto zones = ZonesByHost(deps);
    std::vector<ServiceInCell> out;
    for (auto& cell : deps.cells->All()) {
        for (auto& service : db::ServiceStore(*cell.pool, deps.clock).GetAll()) {
            auto zone = ZoneOf(service, zones, deps.options);
            out.push_back({std::move(service), cell.pool, std::move(zone)});
        }
    }
    return out;
}

bool ServiceIsUp(const objects::Service& service, HandlerDeps& deps) {
    ServiceLiveness live;
    if (service.has_last_seen_up()) live.last_seen_up = ToWallTime(service.last_seen_up());
    if (service.has_created_at()) live.created_at = ToWallTime(service.created_at());
    live.forced_down = service.forced_down();
    return IsServiceUp(live, deps.clock.Now(), deps.options.service_down_time);
}

std::string ServiceZone(const objects::Service& service, HandlerDeps& deps) {
    return ZoneOf(service, ZonesByHost(deps), deps.options);
}

}  // namespace nova::api::handlers
