// nova-manage service list: the services of every cell, as `nova service-list` shows them
// (Nova itself has no such nova-manage command; operators asked for one that works without
// the API).
#include <iostream>

#include "command.hpp"
#include "nova/common/time.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/service_store.hpp"
#include "table.hpp"

namespace nova::manage {

namespace {

WallTime ToWall(const google::protobuf::Timestamp& ts) {
    return WallTime(std::chrono::seconds(ts.seconds()));
}

std::string Zone(Context& ctx, const objects::Service& service) {
    if (service.binary() != "nova-compute") return "internal";
    auto rows = ctx.Api().Query(
        "SELECT am.`value` AS zone FROM `aggregate_hosts` ah"
        " JOIN `aggregate_metadata` am ON am.`aggregate_id` = ah.`aggregate_id`"
        " WHERE ah.`host` = ? AND am.`key` = 'availability_zone' ORDER BY am.`value`",
        {service.host()});
    if (rows.empty()) return "nova";  // [DEFAULT] default_availability_zone
    std::string zones;
    for (const auto& row : rows) zones += (zones.empty() ? "" : ",") + row.String("zone");
    return zones;
}

int ServiceList(Context& ctx, const Args& args) {
    std::vector<std::string> urls;
    for (const auto& cell : db::CellMappingStore(ctx.Api(), ctx.clock()).GetAll()) {
        if (cell.uuid() != db::kCell0Uuid) urls.push_back(cell.database_connection());
    }
    Table table({"Id", "Binary", "Host", "Zone", "Status", "State", "Updated At",
                 "Disabled Reason", "Forced down"});
    const auto now = ctx.clock().Now();
    const auto down_after = std::chrono::seconds(ctx.defaults().service_down_time);
    auto host_filter = args.Option("host");
    for (const auto& url : urls) {
        for (const auto& svc : db::ServiceStore(ctx.Cell(url), ctx.clock()).GetAll()) {
            if (host_filter && svc.host() != *host_filter) continue;
            std::optional<WallTime> seen;
            if (svc.has_last_seen_up()) {
                seen = ToWall(svc.last_seen_up());
            } else if (svc.has_updated_at()) {
                seen = ToWall(svc.updated_at());
            } else if (svc.has_created_at()) {
                seen = ToWall(svc.created_at());
            }
            const bool up = !svc.forced_down() && seen && now - *seen <= down_after;
            table.AddRow({std::to_string(svc.id()), svc.binary(), svc.host(), Zone(ctx, svc),
                          svc.disabled() ? "disabled" : "enabled", up ? "up" : "down",
                          svc.has_updated_at() ? timeutil::IsoMicro(ToWall(svc.updated_at())) : "-",
                          svc.has_disabled_reason() ? svc.disabled_reason() : "-",
                          PyBool(svc.forced_down())});
        }
    }
    std::cout << table.Render() << "\n";
    return 0;
}

}  // namespace

std::vector<Command> ServiceCommands() {
    return {{"service", "list", ServiceList, "[--host H]  List the services of every cell."}};
}

}  // namespace nova::manage
