#pragma once
// The conductor's nova_cpp_placement 1.1 endpoint: what a nova-cpp compute does with Placement
// in Nova (its report client), done against the API database's placement tables through
// nova::placement.
//   report_inventory(provider_uuid, provider_name, inventories) -> the provider's generation
//       creates the provider when missing and replaces its inventory; a generation conflict
//       with a concurrent writer is retried here (kAttempts times) so that computes never
//       see one.
//   delete_allocation_for_instance(instance_uuid) -> None
//       (any consumer: a migration's uuid drops what the migration holds after a confirm)
//   move_allocations(source_consumer, target_consumer) -> bool             (1.1)
//       the target's allocations become the source's (the target's own are dropped in the
//       same transaction): a resize revert gives the source allocations, held by the
//       migration, back to the instance. False when the source holds nothing.
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
    bool MoveAllocations(const RequestContext& context, const std::string& source_consumer,
                         const std::string& target_consumer);

    rpc::Endpoint Endpoint();

private:
    db::Pool& api_;
    const Clock& clock_;
};

}  // namespace nova::conductor
