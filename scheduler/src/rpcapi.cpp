#include "nova/scheduler/rpcapi.hpp"

#include "nova/common/error.hpp"
#include "nova/objects/object.hpp"

namespace nova::scheduler {

const rpc::ReleaseCaps& SchedulerRpcApi::ReleaseCaps() {
    static const rpc::ReleaseCaps caps{
        {"grizzly", "2.6"}, {"havana", "2.9"}, {"icehouse", "3.0"}, {"juno", "3.0"},
        {"kilo", "4.2"},    {"liberty", "4.2"}, {"mitaka", "4.3"},  {"newton", "4.3"},
        {"ocata", "4.3"},   {"pike", "4.4"}};
    return caps;
}

SchedulerRpcApi::SchedulerRpcApi(std::shared_ptr<rpc::Transport> transport,
                                 const conf::UpgradeLevelsOptions& upgrade_levels,
                                 const conf::MessagingOptions& messaging)
    : version_cap_(rpc::ResolveVersionCap(upgrade_levels.scheduler, ReleaseCaps())),
      client_(std::move(transport), rpc::Target{.topic = kTopic, .version = "4.0"}, version_cap_),
      rpc_response_timeout_(messaging.rpc_response_timeout),
      long_rpc_timeout_(messaging.long_rpc_timeout) {}

namespace {

Json SelectDestinationsArgs(const objects::RequestSpec& spec,
                            const std::vector<std::string>& instance_uuids, bool return_alternates) {
    return Json{{"instance_uuids", instance_uuids},
                {"spec_obj", objects::ToPrimitive(spec)},
                {"return_objects", true},
                {"return_alternates", return_alternates}};
}

std::vector<std::vector<objects::Selection>> SelectionsFromReply(const Json& reply) {
    std::vector<std::vector<objects::Selection>> selections;
    for (const auto& per_instance : reply) {
        auto& list = selections.emplace_back();
        for (const auto& selection : per_instance) {
            list.push_back(objects::FromPrimitiveAs<objects::Selection>(selection));
        }
    }
    return selections;
}

}  // namespace

rpc::Client SchedulerRpcApi::PrepareSelectDestinations() const {
    if (!client_.CanSendVersion("4.5")) {
        throw SelectionObjectsWithOldRPCVersionNotSupported(
            {{"version", version_cap_.value_or("")}});
    }
    return client_.Prepare(
        {.version = "4.5",
         .timeout = std::chrono::duration_cast<std::chrono::milliseconds>(long_rpc_timeout_),
         .call_monitor_timeout = rpc_response_timeout_});
}

std::vector<std::vector<objects::Selection>> SchedulerRpcApi::SelectDestinations(
    const RequestContext& context, const objects::RequestSpec& spec,
    const std::vector<std::string>& instance_uuids, bool return_alternates) const {
    return SelectionsFromReply(PrepareSelectDestinations().Call(
        context, "select_destinations", SelectDestinationsArgs(spec, instance_uuids, return_alternates)));
}

boost::asio::awaitable<std::vector<std::vector<objects::Selection>>>
SchedulerRpcApi::AsyncSelectDestinations(RequestContext context, objects::RequestSpec spec,
                                         std::vector<std::string> instance_uuids,
                                         bool return_alternates) const {
    auto client = PrepareSelectDestinations();
    auto pending = client.AsyncCall(context, "select_destinations",
                                    SelectDestinationsArgs(spec, instance_uuids, return_alternates));
    co_return SelectionsFromReply(co_await std::move(pending));
}

void SchedulerRpcApi::UpdateAggregates(const RequestContext& context,
                                       const std::vector<objects::Aggregate>& aggregates) const {
    Json list = Json::array();
    for (const auto& aggregate : aggregates) list.push_back(objects::ToPrimitive(aggregate));
    client_.Prepare({.version = "4.1", .fanout = true})
        .Cast(context, "update_aggregates", {{"aggregates", std::move(list)}});
}

void SchedulerRpcApi::DeleteAggregate(const RequestContext& context,
                                      const objects::Aggregate& aggregate) const {
    client_.Prepare({.version = "4.1", .fanout = true})
        .Cast(context, "delete_aggregate", {{"aggregate", objects::ToPrimitive(aggregate)}});
}

void SchedulerRpcApi::UpdateInstanceInfo(const RequestContext& context,
                                         const std::string& host_name,
                                         const objects::InstanceList& instance_info) const {
    client_.Prepare({.version = "4.2", .fanout = true})
        .Cast(context, "update_instance_info",
              {{"host_name", host_name}, {"instance_info", objects::ToPrimitive(instance_info)}});
}

void SchedulerRpcApi::DeleteInstanceInfo(const RequestContext& context,
                                         const std::string& host_name,
                                         const std::string& instance_uuid) const {
    client_.Prepare({.version = "4.2", .fanout = true})
        .Cast(context, "delete_instance_info",
              {{"host_name", host_name}, {"instance_uuid", instance_uuid}});
}

void SchedulerRpcApi::SyncInstanceInfo(const RequestContext& context,
                                       const std::string& host_name,
                                       const std::vector<std::string>& instance_uuids) const {
    client_.Prepare({.version = "4.2", .fanout = true})
        .Cast(context, "sync_instance_info",
              {{"host_name", host_name}, {"instance_uuids", instance_uuids}});
}

}  // namespace nova::scheduler
