#pragma once
// Instance actions and their events (os-instance-actions) and instance faults, in a cell
// database.
#include <optional>
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/db/pool.hpp"
#include "nova/objects/instance_action.pb.h"
#include "nova/objects/instance_fault.pb.h"

namespace nova::db {

class InstanceActionStore {
public:
    InstanceActionStore(Pool& cell, const Clock& clock) : pool_(cell), clock_(clock) {}
    // Records the start of an action (start_time defaults to now): one INSERT ... RETURNING
    // in autocommit.
    void ActionStart(objects::InstanceAction& action);
    // Sets finish_time (now) on the action of `request_id` (InstanceActionNotFound).
    objects::InstanceAction ActionFinish(const std::string& instance_uuid, const std::string& request_id);
    objects::InstanceAction GetByRequestId(const std::string& instance_uuid, const std::string& request_id);
    // Newest first.
    std::vector<objects::InstanceAction> GetByInstanceUuid(const std::string& instance_uuid);

    // An event of the action of `request_id` starts (event_start) or finishes with a result
    // ("Success" / "Error") and, on error, a traceback (event_finish_with_failure).
    objects::InstanceActionEvent EventStart(const std::string& instance_uuid, const std::string& request_id,
                                            const std::string& event, const std::optional<std::string>& host);
    objects::InstanceActionEvent EventFinish(const std::string& instance_uuid, const std::string& request_id,
                                             const std::string& event, const std::string& result,
                                             const std::optional<std::string>& traceback = std::nullopt);
    std::vector<objects::InstanceActionEvent> GetEvents(std::int64_t action_id);

    // EventStart and EventFinish for a caller that wants no result back (Nova's
    // want_result=False, what nova-compute's wrap_instance_event sends): one statement each,
    // in autocommit, where the read of the action, the event's write (and, for a finish, the
    // read of the event) and the COMMIT were three or four round trips. The same rows result
    // and the same errors (InstanceActionNotFound, InstanceActionEventNotFound) are raised.
    void RecordEventStart(const std::string& instance_uuid, const std::string& request_id,
                          const std::string& event, const std::optional<std::string>& host);
    void RecordEventFinish(const std::string& instance_uuid, const std::string& request_id,
                           const std::string& event, const std::string& result,
                           const std::optional<std::string>& traceback = std::nullopt);

private:
    Pool& pool_;
    const Clock& clock_;
};

class InstanceFaultStore {
public:
    InstanceFaultStore(Pool& cell, const Clock& clock) : pool_(cell), clock_(clock) {}
    void Create(objects::InstanceFault& fault);
    // The newest fault of the instance, if any.
    std::optional<objects::InstanceFault> GetLatestForInstance(const std::string& instance_uuid);

private:
    Pool& pool_;
    const Clock& clock_;
};

}  // namespace nova::db
