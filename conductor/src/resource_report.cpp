// nova_cpp_placement 1.1: inventory reports, allocation removal and moves for computes.
#include "nova/conductor/resource_report.hpp"

#include <string>
#include <vector>

#include <fmt/format.h>

#include "nova/common/error.hpp"
#include "nova/common/log.hpp"
#include "nova/scheduler/placement.hpp"

namespace nova::conductor {
namespace {

auto& Logger() { return log::Get("nova.conductor.resource_report"); }

std::int64_t IntField(const Json& record, const char* key, std::int64_t fallback) {
    auto it = record.find(key);
    if (it == record.end() || it->is_null()) return fallback;
    if (!it->is_number_integer()) {
        throw InvalidInput({{"reason", fmt::format("inventory field {} must be an integer", key)}});
    }
    return it->get<std::int64_t>();
}

std::vector<scheduler::InventoryRecord> Records(const Json& inventories) {
    if (!inventories.is_object()) throw InvalidInput({{"reason", "inventories must be a dict"}});
    std::vector<scheduler::InventoryRecord> out;
    for (const auto& [resource_class, record] : inventories.items()) {
        if (!record.is_object()) {
            throw InvalidInput({{"reason", fmt::format("inventory of {} must be a dict", resource_class)}});
        }
        scheduler::InventoryRecord r;
        r.resource_class = resource_class;
        r.total = IntField(record, "total", 0);
        r.reserved = IntField(record, "reserved", 0);
        r.min_unit = IntField(record, "min_unit", 1);
        r.max_unit = IntField(record, "max_unit", r.total);
        r.step_size = IntField(record, "step_size", 1);
        auto ratio = record.find("allocation_ratio");
        if (ratio != record.end() && ratio->is_number()) r.allocation_ratio = ratio->get<double>();
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace

std::int64_t ResourceReport::ReportInventory(const RequestContext& context, const std::string& provider_uuid,
                                             const std::string& provider_name, const Json& inventories) {
    auto records = Records(inventories);
    scheduler::Placement placement(api_, clock_);
    for (int attempt = 1;; ++attempt) {
        try {
            return placement.SetInventory(provider_uuid, provider_name, std::nullopt, records);
        } catch (const ResourceProviderUpdateConflict&) {
            if (attempt >= kAttempts) throw;
            NOVA_LOG_INFO(Logger(), context,
                          "inventory of provider {} changed concurrently; retrying ({}/{})",
                          provider_uuid, attempt, kAttempts);
        }
    }
}

void ResourceReport::DeleteAllocationForInstance(const RequestContext& /*context*/,
                                                 const std::string& instance_uuid) {
    scheduler::Placement(api_, clock_).RemoveClaim(instance_uuid);
}

bool ResourceReport::MoveAllocations(const RequestContext& context, const std::string& source_consumer,
                                     const std::string& target_consumer) {
    const bool moved =
        scheduler::Placement(api_, clock_).MoveAllocations(source_consumer, target_consumer, /*replace_target=*/true);
    if (!moved) {
        NOVA_LOG_INFO(Logger(), context, "consumer {} holds no allocations to move to {}", source_consumer,
                      target_consumer);
    }
    return moved;
}

rpc::Endpoint ResourceReport::Endpoint() {
    rpc::Endpoint endpoint("nova_cpp_placement", "1.1");
    endpoint.Add("report_inventory", [this](const RequestContext& ctx, const Json& a) {
        return Json(ReportInventory(ctx, a.at("provider_uuid").get<std::string>(),
                                    a.at("provider_name").get<std::string>(), a.at("inventories")));
    });
    endpoint.AddCast("delete_allocation_for_instance", [this](const RequestContext& ctx, const Json& a) {
        DeleteAllocationForInstance(ctx, a.at("instance_uuid").get<std::string>());
    });
    endpoint.Add("move_allocations", [this](const RequestContext& ctx, const Json& a) {
        return Json(MoveAllocations(ctx, a.at("source_consumer").get<std::string>(),
                                    a.at("target_consumer").get<std::string>()));
    });
    return endpoint;
}

}  // namespace nova::conductor
