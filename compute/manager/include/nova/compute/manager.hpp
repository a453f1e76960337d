#pragma once
// ComputeManager (nova/compute/manager.py): the compute RPC API 6.x served on
// compute.<host>, over a virt driver, the resource tracker and the conductor's objects.
//
// Each operation follows Nova's state machine: the task_state the API set is checked when
// the instance is saved (UnexpectedTaskStateError aborts the operation), the final vm_state
// and power_state are Nova's, an instance action event "compute_<method>" is recorded
// around it, a failure saves an instance fault, and versioned notifications
// (instance.<action>.start/end/error) are emitted. Operations on one instance are
// serialised by a per-uuid lock (Nova's @utils.synchronized(instance.uuid)); different
// instances run concurrently on the RPC server's workers.
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/common/context.hpp"
#include "nova/common/json.hpp"
#include "nova/compute/conductor_objects.hpp"
#include "nova/compute/rpcapi.hpp"
#include "nova/compute/resource_tracker.hpp"
#include "nova/conductor/rpcapi.hpp"
#include "nova/objects/instance.pb.h"
#include "nova/rpc/notifier.hpp"
#include "nova/scheduler/rpcapi.hpp"
#include "nova/service/manager.hpp"
#include "nova/service/periodic.hpp"
#include "nova/virt/driver.hpp"

namespace nova::compute {

// Nova's vm_states and task_states, as on the wire.
namespace vm_states {
inline constexpr const char* kActive = "active";
inline constexpr const char* kBuilding = "building";
inline constexpr const char* kStopped = "stopped";
inline constexpr const char* kPaused = "paused";
inline constexpr const char* kSuspended = "suspended";
inline constexpr const char* kResized = "resized";
inline constexpr const char* kError = "error";
inline constexpr const char* kDeleted = "deleted";
}  // namespace vm_states
namespace task_states {
inline constexpr const char* kScheduling = "scheduling";
inline constexpr const char* kNetworking = "networking";
inline constexpr const char* kBlockDeviceMapping = "block_device_mapping";
inline constexpr const char* kSpawning = "spawning";
inline constexpr const char* kRebooting = "rebooting";
inline constexpr const char* kRebootPending = "reboot_pending";
inline constexpr const char* kRebootStarted = "reboot_started";
inline constexpr const char* kRebootingHard = "rebooting_hard";
inline constexpr const char* kRebootPendingHard = "reboot_pending_hard";
inline constexpr const char* kRebootStartedHard = "reboot_started_hard";
inline constexpr const char* kPoweringOff = "powering-off";
inline constexpr const char* kPoweringOn = "powering-on";
inline constexpr const char* kPausing = "pausing";
inline constexpr const char* kUnpausing = "unpausing";
inline constexpr const char* kSuspending = "suspending";
inline constexpr const char* kResuming = "resuming";
inline constexpr const char* kDeleting = "deleting";
inline constexpr const char* kSoftDeleting = "soft-deleting";
inline constexpr const char* kResizePrep = "resize_prep";
inline constexpr const char* kResizeMigrating = "resize_migrating";
inline constexpr const char* kResizeMigrated = "resize_migrated";
inline constexpr const char* kResizeFinish = "resize_finish";
inline constexpr const char* kResizeReverting = "resize_reverting";
}  // namespace task_states

// One lock per instance uuid, dropped when nobody holds or waits for it.
class InstanceLocks {
public:
    class Guard {
    public:
        Guard(InstanceLocks& locks, std::string uuid);
        ~Guard();
        Guard(const Guard&) = delete;
        Guard& operator=(const Guard&) = delete;

    private:
        InstanceLocks& locks_;
        std::string uuid_;
    };

    // How many uuids are locked or waited for (tests).
    std::size_t size() const;

private:
    struct Entry {
        bool held = false;
        int waiters = 0;
    };
    mutable std::mutex mutex_;
    std::condition_variable released_;
    std::map<std::string, Entry> entries_;
};

struct ComputeManagerOptions {
    std::string host;
    std::chrono::seconds shutdown_timeout{60};         // [DEFAULT] shutdown_timeout
    std::chrono::seconds shutdown_retry_interval{10};  // [compute] shutdown_retry_interval
    std::chrono::seconds update_resources_interval{0};  // 0: every periodic tick (60 s)
    std::chrono::seconds sync_power_state_interval{600};
    std::chrono::seconds instance_build_timeout{0};     // [DEFAULT] instance_build_timeout
    std::chrono::seconds scheduler_instance_sync_interval{120};
};

// What the manager talks to. The optional ones are left out by unit tests that do not need
// them (no reschedule, no notifications, no scheduler updates, no placement).
struct ComputeManagerDeps {
    virt::ComputeDriver& driver;
    ConductorObjects& objects;
    ResourceTracker& tracker;
    const Clock& clock;
    const conductor::ComputeTaskRpcApi* compute_task = nullptr;
    const conductor::ResourceReportRpcApi* placement = nullptr;
    const scheduler::SchedulerRpcApi* scheduler = nullptr;
    const rpc::Notifier* notifier = nullptr;
    // The other computes of a resize (resize_instance, finish_resize, finish_revert_resize).
    const ComputeRpcApi* compute = nullptr;
};

class ComputeManager final : public service::Manager {
public:
    static constexpr const char* kTarget = "6.1";

    ComputeManager(ComputeManagerOptions options, ComputeManagerDeps deps);

    std::string ServiceName() const override { return "compute"; }
    std::vector<rpc::Endpoint> Endpoints() override;
    // Nova's init_host: the driver, then every instance the DB puts here is reconciled.
    void InitHost() override;
    void PreStartHook() override;
    void AddPeriodicTasks(service::PeriodicTasks& tasks) override;
    void CleanupHost() override;

    // --- the RPC methods (arguments as Nova names them on the wire) ---------------------
    void BuildAndRunInstance(const RequestContext& context, const Json& args);
    void TerminateInstance(const RequestContext& context, const Json& args);
    void RebootInstance(const RequestContext& context, const Json& args);
    void StopInstance(const RequestContext& context, const Json& args);
    void StartInstance(const RequestContext& context, const Json& args);
    void PauseInstance(const RequestContext& context, const Json& args);
    void UnpauseInstance(const RequestContext& context, const Json& args);
    void SuspendInstance(const RequestContext& context, const Json& args);
    void ResumeInstance(const RequestContext& context, const Json& args);
    // Resize and cold migration (Nova's order; see docs/compute-manager.md):
    //   prep_resize (destination) -> resize_instance (source) -> finish_resize (destination),
    //   then confirm_resize (source) or revert_resize (destination) -> finish_revert_resize
    //   (source).
    void PrepResize(const RequestContext& context, const Json& args);
    void ResizeInstance(const RequestContext& context, const Json& args);
    void FinishResize(const RequestContext& context, const Json& args);
    void ConfirmResize(const RequestContext& context, const Json& args);
    void RevertResize(const RequestContext& context, const Json& args);
    void FinishRevertResize(const RequestContext& context, const Json& args);
    std::string GetConsoleOutput(const RequestContext& context, const Json& args);
    std::string GetHostUptime(const RequestContext& context);

    // --- periodic tasks --------------------------------------------------------------------
    void UpdateAvailableResource(const RequestContext& context, bool startup = false);
    // Nova's _sync_power_states: the DB's power_state follows the hypervisor; a guest that
    // stopped on its own while ACTIVE is recorded STOPPED (Nova calls the stop API).
    void SyncPowerStates(const RequestContext& context);
    // Nova's _check_instance_build_time: an instance on this host still BUILDING
    // instance_build_timeout after it was created goes to ERROR (with a fault, and its
    // allocations freed as every failed build's are). Returns how many.
    int CheckInstanceBuildTime(const RequestContext& context);
    // Nova's _sync_scheduler_instance_info: the uuids of the instances on this host go to
    // every scheduler (sync_instance_info fanout), which reconciles its host view.
    void SyncSchedulerInstanceInfo(const RequestContext& context);

    const ComputeManagerOptions& options() const { return options_; }

private:
    // Runs `body` under the instance's lock with the action event "compute_<name>"
    // recorded around it; a failure is recorded in the event and re-thrown.
    template <class Body>
    void WithInstanceEvent(const RequestContext& context, const objects::Instance& instance,
                           const std::string& event_name, Body&& body);
    // The handler of a cast: WithInstanceEvent, and a failure (already recorded in the
    // instance, its fault and the event, or handed to the conductor) ends the operation with
    // a debug log, since a cast has nobody to report it to.
    template <class Body>
    void CastWithInstanceEvent(const RequestContext& context, const objects::Instance& instance,
                               const std::string& event_name, Body&& body);
    // The simple power operations (pause, suspend, ...): notify start, driver call, save
    // with the expected task_state, notify end; on failure the fault is saved.
    template <class DriverCall>
    void PowerOperation(const RequestContext& context, const Json& args, const char* event,
                        const char* notification, const char* expected_task_state,
                        const char* final_vm_state, DriverCall&& call);

    void DoBuild(const RequestContext& context, objects::Instance& instance, const Json& args);
    // The user deleted the instance while it was building: release the claim and the guest;
    // there is nothing to reschedule.
    void CleanUpDeletedDuringBuild(const RequestContext& context, objects::Instance& instance,
                                   const std::string& node, bool claimed,
                                   const std::exception& reason);
    void RescheduleOrFail(const RequestContext& context, objects::Instance& instance,
                          const Json& args, const std::exception& error, bool reschedulable);
    void DeleteInstance(const RequestContext& context, objects::Instance& instance);
    void InitInstance(const RequestContext& context, objects::Instance& instance);

    virt::PowerState CurrentPowerState(const objects::Instance& instance);
    void SetErrorState(const RequestContext& context, objects::Instance& instance);
    void AddFault(const RequestContext& context, const objects::Instance& instance,
                  const std::exception& error);
    void Notify(const RequestContext& context, const objects::Instance& instance,
                const std::string& action, const std::string& phase,
                const std::exception* error = nullptr);
    void DeleteAllocations(const RequestContext& context, const std::string& uuid);
    void UpdateSchedulerInstanceInfo(const RequestContext& context, const objects::Instance& instance);
    void DeleteSchedulerInstanceInfo(const RequestContext& context, const objects::Instance& instance);

    // --- resize helpers ----------------------------------------------------------------------
    // Nova's _error_out_instance_on_exception + errors_out_migration + wrap_instance_fault:
    // the migration goes to 'error', a fault is recorded, and the instance goes to ERROR — or,
    // for an InstanceFaultRollback, back to `instance_state` with task_state None. Returns the
    // exception to throw (the rollback's inner failure as a ResizeError).
    void FailMove(const RequestContext& context, objects::Instance& instance,
                  objects::Migration& migration, const std::exception& error,
                  const std::string& instance_state, const char* notification);
    // Nova's _revert_allocation: the migration's allocations (the source's) go back to the
    // instance, replacing what the instance holds on the destination.
    void RevertAllocation(const RequestContext& context, const objects::Instance& instance,
                          const objects::Migration& migration);
    // Nova's _delete_allocation_after_move: the migration's allocations are dropped.
    void DeleteMigrationAllocations(const RequestContext& context,
                                    const objects::Migration& migration);
    // Nova's _reschedule_resize_or_reraise: true when the conductor got the resize back.
    bool RescheduleResize(const RequestContext& context, objects::Instance& instance,
                          const Json& args, const std::exception& error);
    void DoPrepResize(const RequestContext& context, objects::Instance& instance,
                      objects::Migration& migration, const Json& args);
    std::string NodeName();

    ComputeManagerOptions options_;
    ComputeManagerDeps deps_;
    InstanceLocks locks_;
};

}  // namespace nova::compute
