#pragma once
// The conductor's nova_cpp_placement 1.0 endpoint: what a nova-cpp compute does with Placement
// in Nova (its report client), done against the API database's placement tables through
// nova::placement.
//   report_inventory(provider_uuid, provider_name, inventories) -> the provider's generation
//       creates the provider when missing and replaces its inventory; a generation conflict
//       with a concurrent writer is retried here (kAttempts times) so that computes never
//       see one.
//   delete_allocation_for_instance(instance_uuid) -> None
#include "nova/common/clock.hpp"
#include "nova/db/pool.hpp"
#include "nova/rpc/server.hpp"

namespace nova::conductor {

class ResourceReport {
public:
    static constexpr int kAttempts = 10;

    ResourceReport(db::Pool& api, const Clock& clock) : api_(api), clock_(clock) {}

    std::int64_t ReportInventory(const RequestContext& context, const std::string& provider_uuid,
                                 const std::string& provider_name, const Json& inventories);
    void DeleteAllocationForInstance(const RequestContext& context, const std::string& instance_uuid);

    rpc::Endpoint Endpoint();

private:
    db::Pool& api_;
    const Clock& clock_;
};

}  // namespace nova::conductor
