#include "manager.hpp"

#include "nova/common/error.hpp"
#include "nova/common/log.hpp"
#include "nova/objects/object.hpp"
#include "nova/objects/request_spec.pb.h"

namespace nova::scheduler {
namespace {

auto& Logger() {
    static auto& logger = log::Get("nova.scheduler.manager");
    return logger;
}

bool BoolArg(const Json& args, const char* name, bool fallback) {
    if (!args.contains(name) || args.at(name).is_null()) return fallback;
    if (!args.at(name).is_boolean()) {
        throw InvalidInput({{"reason", std::string(name) + " must be a boolean"}});
    }
    return args.at(name).get<bool>();
}

}  // namespace

Json SchedulerManager::SelectDestinations(const RequestContext& context, const Json& args) {
    if (!args.contains("spec_obj") || args.at("spec_obj").is_null()) {
        // Nova builds a RequestSpec from request_spec/filter_properties for pre-4.3 callers;
        // nothing older than 4.5 reaches this endpoint.
        throw InvalidInput({{"reason", "select_destinations needs spec_obj"}});
    }
    auto spec = objects::FromPrimitiveAs<objects::RequestSpec>(args.at("spec_obj"));
    std::vector<std::string> instance_uuids;
    if (args.contains("instance_uuids") && !args.at("instance_uuids").is_null()) {
        for (const auto& uuid : args.at("instance_uuids")) {
            instance_uuids.push_back(uuid.get<std::string>());
        }
    }
    // Nova's defaults for the 4.5 arguments: return_objects=False, return_alternates=False.
    bool return_objects = BoolArg(args, "return_objects", false);
    bool return_alternates = BoolArg(args, "return_alternates", false) && return_objects;
    auto selections = scheduler_.SelectDestinations(context, std::move(spec), instance_uuids,
                                                    return_objects, return_alternates);
    Json out = Json::array();
    if (!return_objects) {
        for (const auto& per_instance : selections) {
            if (!per_instance.empty()) out.push_back(Scheduler::LegacyDestination(per_instance.front()));
        }
        return out;
    }
    for (const auto& per_instance : selections) {
        Json list = Json::array();
        for (const auto& selection : per_instance) list.push_back(objects::ToPrimitive(selection));
        out.push_back(std::move(list));
    }
    return out;
}

std::vector<rpc::Endpoint> SchedulerManager::Endpoints() {
    rpc::Endpoint endpoint(std::nullopt, kVersion);
    endpoint.Add("select_destinations", [this](const RequestContext& ctx, const Json& args) {
        return SelectDestinations(ctx, args);
    });
    // Aggregates feed the AZ, aggregate and metadata filters: drop the cached host states so
    // the next request sees the change (Nova updates its in-memory aggregate map).
    endpoint.AddCast("update_aggregates", [this](const RequestContext& ctx, const Json& args) {
        NOVA_LOG_DEBUG(Logger(), ctx, "update_aggregates: {} aggregate(s); host states refreshed",
                       args.contains("aggregates") ? args.at("aggregates").size() : 0);
        hosts_.Invalidate();
    });
    endpoint.AddCast("delete_aggregate", [this](const RequestContext& ctx, const Json&) {
        NOVA_LOG_DEBUG(Logger(), ctx, "delete_aggregate; host states refreshed");
        hosts_.Invalidate();
    });
    // Instance info feeds the affinity and num-instances filters and weighers.
    endpoint.AddCast("update_instance_info", [this](const RequestContext& ctx, const Json& args) {
        NOVA_LOG_DEBUG(Logger(), ctx, "update_instance_info from {}; host states refreshed",
                       args.value("host_name", std::string()));
        hosts_.Invalidate();
    });
    endpoint.AddCast("delete_instance_info", [this](const RequestContext& ctx, const Json& args) {
        NOVA_LOG_DEBUG(Logger(), ctx, "delete_instance_info {} on {}; host states refreshed",
                       args.value("instance_uuid", std::string()),
                       args.value("host_name", std::string()));
        hosts_.Invalidate();
    });
    endpoint.AddCast("sync_instance_info", [this](const RequestContext& ctx, const Json& args) {
        NOVA_LOG_DEBUG(Logger(), ctx, "sync_instance_info from {}; host states refreshed",
                       args.value("host_name", std::string()));
        hosts_.Invalidate();
    });
    return {endpoint};
}

}  // namespace nova::scheduler
