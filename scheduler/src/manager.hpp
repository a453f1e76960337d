#pragma once
// nova-scheduler's RPC endpoint (Nova's nova/scheduler/manager.py SchedulerManager at Zed):
// namespace null, version 4.5, serving exactly what SchedulerRpcApi sends. It decodes the
// arguments, calls the Scheduler and encodes the answer; the fanout casts from computes and
// the API keep this process's host-state cache honest.
#include <string>
#include <vector>

#include "nova/scheduler/host_manager.hpp"
#include "nova/scheduler/scheduler.hpp"
#include "nova/service/manager.hpp"

namespace nova::scheduler {

class SchedulerManager final : public service::Manager {
public:
    static constexpr const char* kVersion = "4.5";

    SchedulerManager(Scheduler& scheduler, HostManager& hosts)
        : scheduler_(scheduler), hosts_(hosts) {}

    std::string ServiceName() const override { return "scheduler"; }
    std::vector<rpc::Endpoint> Endpoints() override;
    // SIGHUP: the next request reads the host states again.
    void Reset() override { hosts_.Invalidate(); }

    // select_destinations(spec_obj, instance_uuids, return_objects, return_alternates):
    // with return_objects a list (per instance) of lists of Selection primitives, else Nova's
    // legacy list of {"host", "nodename", "limits"}. NoValidHost propagates as itself.
    Json SelectDestinations(const RequestContext& context, const Json& args);

private:
    Scheduler& scheduler_;
    HostManager& hosts_;
};

}  // namespace nova::scheduler
