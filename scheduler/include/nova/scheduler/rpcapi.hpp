#pragma once
// Client stub of nova-scheduler (Nova's nova/scheduler/rpcapi.py SchedulerAPI): topic
// "scheduler", target version 4.0, no namespace. Picks the version and the arguments; no logic.
//
// Version history (Nova's; the 1.x-3.x lines are long gone from the wire):
//   4.0 - Removed backwards compat for Icehouse
//   4.1 - Add update_aggregates() and delete_aggregate()
//   4.2 - Added update_instance_info(), delete_instance_info(), and sync_instance_info()
//         ... Kilo and Liberty support message version 4.2
//   4.3 - Modify select_destinations() signature by providing a RequestSpec obj
//         ... Mitaka, Newton, and Ocata support message version 4.3
//   4.4 - Modify select_destinations() signature by providing the instance_uuids
//         ... Pike supports message version 4.4
//   4.5 - Modify select_destinations() to optionally return a list of lists of Selection
//         objects, along with zero or more alternates
// Queens through Zed send 4.5. We send only 4.5 for select_destinations: a cap below it
// cannot carry Selection objects, and Nova refuses that case the same way
// (SelectionObjectsWithOldRPCVersionNotSupported).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nova/common/context.hpp"
#include "nova/conf/messaging.hpp"
#include "nova/conf/upgrade_levels.hpp"
#include "nova/objects/aggregate.pb.h"
#include "nova/objects/instance.pb.h"
#include "nova/objects/request_spec.pb.h"
#include "nova/objects/selection.pb.h"
#include "nova/rpc/client.hpp"
#include "nova/rpc/version_cap.hpp"

namespace nova::rpc {
class Transport;
}

namespace nova::scheduler {

class SchedulerRpcApi {
public:
    static constexpr const char* kTopic = "scheduler";
    // The newest version this stub sends; the manager's endpoint serves the same.
    static constexpr const char* kLatestVersion = "4.5";
    // [upgrade_levels] scheduler = <release>.
    static const rpc::ReleaseCaps& ReleaseCaps();

    SchedulerRpcApi(std::shared_ptr<rpc::Transport> transport,
                    const conf::UpgradeLevelsOptions& upgrade_levels,
                    const conf::MessagingOptions& messaging);

    // One list per instance: the chosen host first, then its alternates (return_objects is
    // always true, as Nova's conductor asks). Waits up to long_rpc_timeout, with call-monitor
    // heartbeats every rpc_response_timeout. NoValidHost comes back as itself.
    std::vector<std::vector<objects::Selection>> SelectDestinations(
        const RequestContext& context, const objects::RequestSpec& spec,
        const std::vector<std::string>& instance_uuids, bool return_alternates) const;
    // The same for coroutines: many requests in flight without a thread each. The arguments
    // are taken by value (the awaitable runs when awaited); the stub must outlive it.
    boost::asio::awaitable<std::vector<std::vector<objects::Selection>>> AsyncSelectDestinations(
        RequestContext context, objects::RequestSpec spec, std::vector<std::string> instance_uuids,
        bool return_alternates) const;

    // Fanout casts that keep every scheduler's host state fresh.
    void UpdateAggregates(const RequestContext& context,
                          const std::vector<objects::Aggregate>& aggregates) const;
    void DeleteAggregate(const RequestContext& context, const objects::Aggregate& aggregate) const;
    void UpdateInstanceInfo(const RequestContext& context, const std::string& host_name,
                            const objects::InstanceList& instance_info) const;
    void DeleteInstanceInfo(const RequestContext& context, const std::string& host_name,
                            const std::string& instance_uuid) const;
    void SyncInstanceInfo(const RequestContext& context, const std::string& host_name,
                          const std::vector<std::string>& instance_uuids) const;

    const rpc::Client& client() const { return client_; }

private:
    rpc::Client PrepareSelectDestinations() const;

    std::optional<std::string> version_cap_;
    rpc::Client client_;
    std::chrono::seconds rpc_response_timeout_;
    std::chrono::seconds long_rpc_timeout_;
};

}  // namespace nova::scheduler
