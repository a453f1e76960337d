#include "nova/compute/manager.hpp"

#include <sys/sysinfo.h>

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "nova/common/error.hpp"
#include "nova/common/log.hpp"
#include "nova/common/time.hpp"
#include "nova/objects/instance_fault.pb.h"
#include "nova/objects/instance_payload.hpp"
#include "nova/objects/notification_instance.pb.h"
#include "nova/objects/object.hpp"
#include "nova/virt/driver.hpp"
#include "manager_internal.hpp"

namespace nova::compute {
namespace detail {

spdlog::logger& Log() { return log::Get("nova.compute.manager"); }

log::WithInstance Scope(const RequestContext& context, const objects::Instance& instance) {
    return {&context, instance.uuid()};
}

objects::Instance InstanceArg(const Json& args) {
    return objects::FromPrimitiveAs<objects::Instance>(args.at("instance"));
}

void SetTaskState(objects::Instance& instance, const char* task_state) {
    if (task_state == nullptr) {
        objects::SetNull(instance, "task_state");
        objects::MarkChanged(instance, "task_state");
    } else {
        instance.set_task_state(task_state);
    }
}

std::string TaskState(const objects::Instance& instance) {
    return objects::IsSet(instance, "task_state") && !objects::IsNull(instance, "task_state")
               ? instance.task_state()
               : std::string();
}

std::string ErrorMessage(const std::exception& error) {
    if (const auto* nova = dynamic_cast<const NovaError*>(&error)) return nova->message();
    return error.what();
}

objects::Migration MigrationArg(const Json& args) {
    return objects::FromPrimitiveAs<objects::Migration>(args.at("migration"));
}

objects::RequestSpec RequestSpecArg(const Json& args) {
    const auto it = args.find("request_spec");
    if (it == args.end() || !it->is_object()) return {};
    return objects::FromPrimitiveAs<objects::RequestSpec>(*it);
}

bool HasValue(const objects::Message& object, std::string_view field) {
    return objects::IsSet(object, field) && !objects::IsNull(object, field);
}

// Nova's _set_instance_info: the instance's flavor and its copies in the instances row.
void SetInstanceInfo(objects::Instance& instance, const objects::Flavor& flavor) {
    instance.set_instance_type_id(flavor.id());
    instance.set_memory_mb(flavor.memory_mb());
    instance.set_vcpus(flavor.vcpus());
    instance.set_root_gb(flavor.root_gb());
    instance.set_ephemeral_gb(flavor.ephemeral_gb());
    *instance.mutable_flavor() = flavor;
    objects::MarkChanged(instance, "flavor");
}

// Nova's _delete_stashed_flavor_info: old_flavor and new_flavor None, old_vm_state dropped.
void ClearStashedFlavors(objects::Instance& instance) {
    objects::SetNull(instance, "old_flavor");
    objects::MarkChanged(instance, "old_flavor");
    objects::SetNull(instance, "new_flavor");
    objects::MarkChanged(instance, "new_flavor");
    if (instance.mutable_system_metadata()->erase("old_vm_state") > 0) {
        // An empty dict is still a value (not "unset").
        if (instance.system_metadata().empty()) objects::SetEmpty(instance, "system_metadata");
        objects::MarkChanged(instance, "system_metadata");
    }
}

std::string OldVmState(const objects::Instance& instance) {
    const auto it = instance.system_metadata().find("old_vm_state");
    return it == instance.system_metadata().end() || it->second.empty() ? vm_states::kActive
                                                                       : it->second;
}

}  // namespace detail

using namespace detail;

// --- InstanceLocks -------------------------------------------------------------------------

InstanceLocks::Guard::Guard(InstanceLocks& locks, std::string uuid)
    : locks_(locks), uuid_(std::move(uuid)) {
    std::unique_lock lock(locks_.mutex_);
    auto& entry = locks_.entries_[uuid_];
    ++entry.waiters;
    locks_.released_.wait(lock, [&] { return !locks_.entries_[uuid_].held; });
    auto& mine = locks_.entries_[uuid_];
    --mine.waiters;
    mine.held = true;
}

InstanceLocks::Guard::~Guard() {
    std::lock_guard lock(locks_.mutex_);
    auto it = locks_.entries_.find(uuid_);
    it->second.held = false;
    if (it->second.waiters == 0) locks_.entries_.erase(it);
    locks_.released_.notify_all();
}

std::size_t InstanceLocks::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

// --- ComputeManager ------------------------------------------------------------------------

ComputeManager::ComputeManager(ComputeManagerOptions options, ComputeManagerDeps deps)
    : options_(std::move(options)), deps_(deps) {}

std::vector<rpc::Endpoint> ComputeManager::Endpoints() {
    rpc::Endpoint endpoint(std::nullopt, kTarget);
    auto cast = [this](void (ComputeManager::*method)(const RequestContext&, const Json&)) {
        return [this, method](const RequestContext& context, const Json& args) {
            (this->*method)(context, args);
        };
    };
    endpoint.AddCast("build_and_run_instance", cast(&ComputeManager::BuildAndRunInstance));
    endpoint.AddCast("terminate_instance", cast(&ComputeManager::TerminateInstance));
    endpoint.AddCast("reboot_instance", cast(&ComputeManager::RebootInstance));
    endpoint.AddCast("stop_instance", cast(&ComputeManager::StopInstance));
    endpoint.AddCast("start_instance", cast(&ComputeManager::StartInstance));
    endpoint.AddCast("pause_instance", cast(&ComputeManager::PauseInstance));
    endpoint.AddCast("unpause_instance", cast(&ComputeManager::UnpauseInstance));
    endpoint.AddCast("suspend_instance", cast(&ComputeManager::SuspendInstance));
    endpoint.AddCast("resume_instance", cast(&ComputeManager::ResumeInstance));
    endpoint.AddCast("prep_resize", cast(&ComputeManager::PrepResize));
    endpoint.AddCast("resize_instance", cast(&ComputeManager::ResizeInstance));
    endpoint.AddCast("finish_resize", cast(&ComputeManager::FinishResize));
    endpoint.AddCast("confirm_resize", cast(&ComputeManager::ConfirmResize));
    endpoint.AddCast("revert_resize", cast(&ComputeManager::RevertResize));
    endpoint.AddCast("finish_revert_resize", cast(&ComputeManager::FinishRevertResize));
    endpoint.Add("get_console_output", [this](const RequestContext& context, const Json& args) {
        return Json(GetConsoleOutput(context, args));
    });
    endpoint.Add("get_host_uptime", [this](const RequestContext& context, const Json&) {
        return Json(GetHostUptime(context));
    });
    return {endpoint};
}

std::string ComputeManager::NodeName() {
    auto nodes = deps_.driver.GetAvailableNodes();
    return nodes.empty() ? options_.host : nodes.front();
}

virt::PowerState ComputeManager::CurrentPowerState(const objects::Instance& instance) {
    try {
        return deps_.driver.GetInfo(instance).state;
    } catch (const InstanceNotFound&) {
        return virt::PowerState::kNoState;
    }
}

void ComputeManager::Notify(const RequestContext& context, const objects::Instance& instance,
                            const std::string& action, const std::string& phase,
                            const std::exception* error) {
    if (deps_.notifier == nullptr || !deps_.notifier->enabled()) return;
    try {
        Json payload;
        if (action == "create") {
            objects::InstanceCreatePayload p;
            objects::FillInstancePayload(p, instance, context);
            p.set_instance_name(virt::InstanceName(instance));
            objects::SetEmpty(p, "keypairs");
            objects::SetEmpty(p, "tags");
            for (const auto& tag : instance.tags().objects()) p.add_tags(tag.tag());
            objects::SetNull(p, "trusted_image_certificates");
            if (error != nullptr) {
                auto* fault = p.mutable_fault();
                const auto* nova = dynamic_cast<const NovaError*>(error);
                fault->set_exception(nova != nullptr ? std::string(nova->class_name())
                                                     : std::string("Exception"));
                fault->set_exception_message(ErrorMessage(*error));
                fault->set_module_name("nova.compute.manager");
                fault->set_function_name("_build_and_run_instance");
                fault->set_traceback("");
            } else {
                objects::SetNull(p, "fault");
            }
            payload = objects::ToPrimitive(p);
        } else {
            objects::InstanceActionPayload p;
            objects::FillInstancePayload(p, instance, context);
            if (error != nullptr) {
                auto* fault = p.mutable_fault();
                const auto* nova = dynamic_cast<const NovaError*>(error);
                fault->set_exception(nova != nullptr ? std::string(nova->class_name())
                                                     : std::string("Exception"));
                fault->set_exception_message(ErrorMessage(*error));
                fault->set_module_name("nova.compute.manager");
                fault->set_function_name(action);
                fault->set_traceback("");
            } else {
                objects::SetNull(p, "fault");
            }
            payload = objects::ToPrimitive(p);
        }
        deps_.notifier->Notify(context, phase == "error" ? "error" : "info",
                               "instance." + action + "." + phase, payload);
    } catch (const std::exception& e) {
        // A notification never fails the operation (Nova logs and goes on).
        NOVA_LOG_WARN(Log(), Scope(context, instance), "Failed to send instance.{}.{}: {}",
                      action, phase, e.what());
    }
}

void ComputeManager::AddFault(const RequestContext& context, const objects::Instance& instance,
                              const std::exception& error) {
    objects::InstanceFault fault;
    fault.set_instance_uuid(instance.uuid());
    const auto* nova = dynamic_cast<const NovaError*>(&error);
    fault.set_code(nova != nullptr ? nova->code() : 500);
    // Nova keeps the message of its own exceptions and only the class name of others.
    fault.set_message(nova != nullptr ? nova->message() : std::string("Exception"));
    fault.set_details(error.what());
    fault.set_host(options_.host);
    try {
        deps_.objects.CreateFault(context, fault);
    } catch (const std::exception& e) {
        NOVA_LOG_WARN(Log(), Scope(context, instance), "Could not record the fault: {}", e.what());
    }
}

void ComputeManager::SetErrorState(const RequestContext& context, objects::Instance& instance) {
    instance.set_vm_state(vm_states::kError);
    SetTaskState(instance, nullptr);
    try {
        deps_.objects.SaveInstance(context, instance);
    } catch (const InstanceNotFound&) {
        NOVA_LOG_DEBUG(Log(), Scope(context, instance), "Instance gone while setting ERROR");
    }
}

void ComputeManager::DeleteAllocations(const RequestContext& context, const std::string& uuid) {
    if (deps_.placement == nullptr) return;
    try {
        deps_.placement->DeleteAllocationForInstance(context, uuid);
    } catch (const std::exception& e) {
        NOVA_LOG_WARN(Log(), (log::WithInstance{&context, uuid}),
                      "Could not delete the allocations: {}", e.what());
    }
}


// --- build ---------------------------------------------------------------------------------

void ComputeManager::BuildAndRunInstance(const RequestContext& context, const Json& args) {
    objects::Instance instance = InstanceArg(args);
    CastWithInstanceEvent(context, instance, "compute__do_build_and_run_instance",
                          [&] { DoBuild(context, instance, args); });
}

void ComputeManager::CleanUpDeletedDuringBuild(const RequestContext& context,
                                               objects::Instance& instance,
                                               const std::string& node, bool claimed,
                                               const std::exception& reason) {
    // Nova's _cleanup_allocated_networks plus the delete's own cleanup.
    NOVA_LOG_INFO(Log(), Scope(context, instance), "Instance deleted during build: {}",
                  reason.what());
    if (claimed) deps_.tracker.AbortInstanceClaim(context, instance, node);
    try {
        deps_.driver.Destroy(context, instance, {}, {}, true);
    } catch (const std::exception& e) {
        // The build is over either way; a guest left behind is found by the power-state sync.
        NOVA_LOG_WARN(Log(), Scope(context, instance),
                      "Could not destroy the guest of an instance deleted during build: {}",
                      e.what());
    }
}

void ComputeManager::DoBuild(const RequestContext& context, objects::Instance& instance,
                             const Json& args) {
    try {
        instance.set_vm_state(vm_states::kBuilding);
        SetTaskState(instance, nullptr);
        deps_.objects.SaveInstance(context, instance,
                                   Json::array({task_states::kScheduling, nullptr}));
    } catch (const InstanceNotFound&) {
        NOVA_LOG_INFO(Log(), Scope(context, instance), "Instance disappeared before build");
        return;
    } catch (const UnexpectedDeletingTaskStateError&) {
        NOVA_LOG_INFO(Log(), Scope(context, instance), "Instance was deleted before build");
        return;
    }

    const std::string node =
        args.contains("node") && args["node"].is_string() ? args["node"].get<std::string>()
                                                          : NodeName();
    Limits limits;
    if (const auto it = args.find("limits"); it != args.end() && it->is_object()) {
        if (it->contains("memory_mb") && (*it)["memory_mb"].is_number()) {
            limits.memory_mb = (*it)["memory_mb"].get<double>();
        }
        if (it->contains("disk_gb") && (*it)["disk_gb"].is_number()) {
            limits.disk_gb = (*it)["disk_gb"].get<double>();
        }
        if (it->contains("vcpu") && (*it)["vcpu"].is_number()) {
            limits.vcpu = (*it)["vcpu"].get<double>();
        }
    }

    Notify(context, instance, "create", "start");
    bool claimed = false;
    try {
        deps_.tracker.InstanceClaim(context, instance, node, limits);
        claimed = true;
        // Nova writes six times per build: BUILDING, the claim's host and node, NETWORKING,
        // BLOCK_DEVICE_MAPPING, SPAWNING, ACTIVE, each a conductor call, an UPDATE and a read
        // back. The claim's host is written with NETWORKING (nothing happens between them
        // here, and the NETWORKING save's expected task_state None guards both), and
        // BLOCK_DEVICE_MAPPING, a state this build leaves at once (no volumes to attach: the
        // network info is empty and there are no mappings to prepare), is not written: the
        // SPAWNING save expects NETWORKING instead. Four writes; a delete meanwhile still
        // fails the next save's expected task_state, as in Nova.
        instance.set_launched_on(options_.host);
        instance.set_vm_state(vm_states::kBuilding);
        instance.set_task_state(task_states::kNetworking);
        deps_.objects.SaveInstance(context, instance, Json::array({nullptr}));

        instance.set_vm_state(vm_states::kBuilding);
        instance.set_task_state(task_states::kSpawning);
        deps_.objects.SaveInstance(context, instance, Json(task_states::kNetworking));

        virt::SpawnOptions spawn;
        if (args.contains("admin_password") && args["admin_password"].is_string()) {
            spawn.admin_password = args["admin_password"].get<std::string>();
        }
        deps_.driver.Spawn(context, instance, objects::ImageMeta(), spawn);

        instance.set_power_state(static_cast<std::int64_t>(CurrentPowerState(instance)));
        instance.set_vm_state(vm_states::kActive);
        SetTaskState(instance, nullptr);
        objects::FieldFromPrimitive(instance, "launched_at", timeutil::IsoZ(deps_.clock.Now()));
        deps_.objects.SaveInstance(context, instance, Json(task_states::kSpawning));
    } catch (const InstanceNotFound& e) {
        CleanUpDeletedDuringBuild(context, instance, node, claimed, e);
        return;
    } catch (const UnexpectedDeletingTaskStateError& e) {
        CleanUpDeletedDuringBuild(context, instance, node, claimed, e);
        return;
    } catch (const BuildAbortException& e) {
        if (claimed) deps_.tracker.AbortInstanceClaim(context, instance, node);
        deps_.tracker.BuildFailed(node);
        RescheduleOrFail(context, instance, args, e, false);
        throw;
    } catch (const UnexpectedTaskStateError& e) {
        if (claimed) deps_.tracker.AbortInstanceClaim(context, instance, node);
        deps_.tracker.BuildFailed(node);
        RescheduleOrFail(context, instance, args, e, false);
        throw;
    } catch (const std::exception& e) {
        // Everything else (ComputeResourcesUnavailable from the claim, a failed spawn) is
        // Nova's RescheduledException.
        if (claimed) deps_.tracker.AbortInstanceClaim(context, instance, node);
        deps_.tracker.BuildFailed(node);
        RescheduleOrFail(context, instance, args, e, true);
        throw;
    }
    deps_.tracker.BuildSucceeded(node);
    UpdateSchedulerInstanceInfo(context, instance);
    Notify(context, instance, "create", "end");
    NOVA_LOG_INFO(Log(), Scope(context, instance), "Instance spawned on {}", node);
}

void ComputeManager::RescheduleOrFail(const RequestContext& context, objects::Instance& instance,
                                      const Json& args, const std::exception& error,
                                      bool reschedulable) {
    try {
        deps_.driver.Destroy(context, instance, {}, {}, true);
    } catch (const std::exception&) {
        // Nothing of the guest may exist; a failed spawn leaves nothing behind.
    }
    Notify(context, instance, "create", "error", &error);
    const Json filter_properties = args.value("filter_properties", Json::object());
    const bool has_retry = filter_properties.is_object() && filter_properties.contains("retry") &&
                           !filter_properties["retry"].is_null();
    const Json host_list = args.value("host_list", Json::array());
    const bool alternates = host_list.is_array() && !host_list.empty();
    if (reschedulable && has_retry && alternates && deps_.compute_task != nullptr) {
        NOVA_LOG_INFO(Log(), Scope(context, instance), "Rescheduling the build: {}",
                      ErrorMessage(error));
        objects::SetNull(instance, "host");
        objects::MarkChanged(instance, "host");
        objects::SetNull(instance, "node");
        objects::MarkChanged(instance, "node");
        instance.set_task_state(task_states::kScheduling);
        deps_.objects.SaveInstance(context, instance);
        DeleteAllocations(context, instance.uuid());
        Json filters = filter_properties;
        filters["retry"]["exc"] = Json::array({ErrorMessage(error)});
        std::vector<objects::Selection> selections;
        for (const auto& selection : host_list) {
            selections.push_back(objects::FromPrimitiveAs<objects::Selection>(selection));
        }
        objects::RequestSpec request_spec;
        if (args.contains("request_spec") && args["request_spec"].is_object()) {
            request_spec = objects::FromPrimitiveAs<objects::RequestSpec>(args["request_spec"]);
        }
        std::optional<std::string> admin_password;
        if (args.contains("admin_password") && args["admin_password"].is_string()) {
            admin_password = args["admin_password"].get<std::string>();
        }
        deps_.compute_task->BuildInstances(
            context, {instance}, args.value("image", Json::object()), filters, admin_password,
            args.value("injected_files", Json::array()), args.value("requested_networks", Json()),
            args.value("security_groups", Json()), args.value("block_device_mapping", Json()),
            request_spec, {selections});
        return;
    }
    NOVA_LOG_ERROR(Log(), Scope(context, instance), "Build of instance failed: {}",
                   ErrorMessage(error));
    AddFault(context, instance, error);
    objects::SetNull(instance, "host");
    objects::MarkChanged(instance, "host");
    objects::SetNull(instance, "node");
    objects::MarkChanged(instance, "node");
    SetErrorState(context, instance);
    DeleteAllocations(context, instance.uuid());
}

// --- delete --------------------------------------------------------------------------------

void ComputeManager::TerminateInstance(const RequestContext& context, const Json& args) {
    objects::Instance instance = InstanceArg(args);
    WithInstanceEvent(context, instance, "compute_terminate_instance", [&] {
        try {
            DeleteInstance(context, instance);
        } catch (const InstanceNotFound&) {
            NOVA_LOG_INFO(Log(), Scope(context, instance), "Instance disappeared during terminate");
        } catch (const std::exception& e) {
            AddFault(context, instance, e);
            SetErrorState(context, instance);
            throw;
        }
    });
}

void ComputeManager::DeleteInstance(const RequestContext& context, objects::Instance& instance) {
    Notify(context, instance, "delete", "start");
    deps_.driver.Destroy(context, instance, {}, {}, true);
    instance.set_power_state(virt::power_state::NOSTATE);
    instance.set_vm_state(vm_states::kDeleted);
    SetTaskState(instance, nullptr);
    objects::FieldFromPrimitive(instance, "terminated_at", timeutil::IsoZ(deps_.clock.Now()));
    deps_.objects.SaveInstance(context, instance);
    if (objects::IsSet(instance, "node") && !objects::IsNull(instance, "node")) {
        deps_.tracker.UpdateUsage(context, instance, instance.node());
    }
    DeleteSchedulerInstanceInfo(context, instance);
    deps_.objects.DestroyInstance(context, instance);
    DeleteAllocations(context, instance.uuid());
    Notify(context, instance, "delete", "end");
}

// --- reboot ------------------------------------------------------------------------------

void ComputeManager::RebootInstance(const RequestContext& context, const Json& args) {
    objects::Instance instance = InstanceArg(args);
    const bool hard = args.value("reboot_type", std::string("SOFT")) == "HARD";
    WithInstanceEvent(context, instance, "compute_reboot_instance", [&] {
        const Json expected =
            hard ? Json::array({task_states::kRebootingHard, task_states::kRebootPendingHard,
                                task_states::kRebootStartedHard})
                 : Json::array({task_states::kRebooting, task_states::kRebootPending,
                                task_states::kRebootStarted});
        instance.set_power_state(static_cast<std::int64_t>(CurrentPowerState(instance)));
        instance.set_task_state(hard ? task_states::kRebootPendingHard
                                     : task_states::kRebootPending);
        deps_.objects.SaveInstance(context, instance, expected);
        instance.set_task_state(hard ? task_states::kRebootStartedHard
                                     : task_states::kRebootStarted);
        deps_.objects.SaveInstance(
            context, instance,
            Json(hard ? task_states::kRebootPendingHard : task_states::kRebootPending));
        Notify(context, instance, "reboot", "start");
        try {
            deps_.driver.Reboot(context, instance, {},
                                hard ? virt::RebootType::kHard : virt::RebootType::kSoft, {});
        } catch (const std::exception& e) {
            // A failed reboot of a guest that still runs leaves it ACTIVE (Nova).
            if (CurrentPowerState(instance) == virt::PowerState::kRunning) {
                NOVA_LOG_WARN(Log(), Scope(context, instance),
                              "Reboot failed but instance is running: {}", e.what());
                AddFault(context, instance, e);
                Notify(context, instance, "reboot", "error", &e);
            } else {
                NOVA_LOG_ERROR(Log(), Scope(context, instance), "Cannot reboot instance: {}",
                               e.what());
                AddFault(context, instance, e);
                SetErrorState(context, instance);
                Notify(context, instance, "reboot", "error", &e);
                throw;
            }
        }
        instance.set_power_state(static_cast<std::int64_t>(CurrentPowerState(instance)));
        instance.set_vm_state(vm_states::kActive);
        SetTaskState(instance, nullptr);
        deps_.objects.SaveInstance(context, instance);
        Notify(context, instance, "reboot", "end");
    });
}

// --- power operations ----------------------------------------------------------------------

template <class DriverCall>
void ComputeManager::PowerOperation(const RequestContext& context, const Json& args,
                                    const char* event, const char* notification,
                                    const char* expected_task_state, const char* final_vm_state,
                                    DriverCall&& call) {
    objects::Instance instance = InstanceArg(args);
    WithInstanceEvent(context, instance, event, [&] {
        Json expected = Json::array({expected_task_state});
        // Nova's stop: a guest already off may have been stopped by the sync task.
        if (std::string_view(notification) == "power_off") {
            auto state = CurrentPowerState(instance);
            if (state == virt::PowerState::kNoState || state == virt::PowerState::kShutdown ||
                state == virt::PowerState::kCrashed) {
                expected.push_back(nullptr);
            }
        }
        Notify(context, instance, notification, "start");
        try {
            call(instance);
        } catch (const std::exception& e) {
            AddFault(context, instance, e);
            // Nova's reverts_task_state: the task_state goes back to None.
            try {
                SetTaskState(instance, nullptr);
                deps_.objects.SaveInstance(context, instance);
            } catch (const std::exception&) {
            }
            throw;
        }
        instance.set_power_state(static_cast<std::int64_t>(CurrentPowerState(instance)));
        instance.set_vm_state(final_vm_state);
        SetTaskState(instance, nullptr);
        if (expected.size() == 1) {
            deps_.objects.SaveInstance(context, instance, Json(expected_task_state));
        } else {
            deps_.objects.SaveInstance(context, instance, expected);
        }
        Notify(context, instance, notification, "end");
    });
}

void ComputeManager::StopInstance(const RequestContext& context, const Json& args) {
    const bool clean = args.value("clean_shutdown", true);
    PowerOperation(context, args, "compute_stop_instance", "power_off",
                   task_states::kPoweringOff, vm_states::kStopped,
                   [&](const objects::Instance& instance) {
                       deps_.driver.PowerOff(instance,
                                             clean ? options_.shutdown_timeout
                                                   : std::chrono::seconds(0),
                                             options_.shutdown_retry_interval);
                   });
}

void ComputeManager::StartInstance(const RequestContext& context, const Json& args) {
    PowerOperation(context, args, "compute_start_instance", "power_on", task_states::kPoweringOn,
                   vm_states::kActive, [&](const objects::Instance& instance) {
                       deps_.driver.PowerOn(context, instance, {}, {});
                   });
}

void ComputeManager::PauseInstance(const RequestContext& context, const Json& args) {
    PowerOperation(context, args, "compute_pause_instance", "pause", task_states::kPausing,
                   vm_states::kPaused,
                   [&](const objects::Instance& instance) { deps_.driver.Pause(instance); });
}

void ComputeManager::UnpauseInstance(const RequestContext& context, const Json& args) {
    PowerOperation(context, args, "compute_unpause_instance", "unpause", task_states::kUnpausing,
                   vm_states::kActive,
                   [&](const objects::Instance& instance) { deps_.driver.Unpause(instance); });
}

void ComputeManager::SuspendInstance(const RequestContext& context, const Json& args) {
    PowerOperation(context, args, "compute_suspend_instance", "suspend",
                   task_states::kSuspending, vm_states::kSuspended,
                   [&](const objects::Instance& instance) {
                       deps_.driver.Suspend(context, instance);
                   });
}

void ComputeManager::ResumeInstance(const RequestContext& context, const Json& args) {
    PowerOperation(context, args, "compute_resume_instance", "resume", task_states::kResuming,
                   vm_states::kActive, [&](const objects::Instance& instance) {
                       deps_.driver.Resume(context, instance, {}, {});
                   });
}

// Nova's _update_scheduler_instance_info / _delete_scheduler_instance_info for one
// instance: best effort, the schedulers' periodic sync corrects a lost cast.
void ComputeManager::UpdateSchedulerInstanceInfo(const RequestContext& context,
                                                 const objects::Instance& instance) {
    if (deps_.scheduler == nullptr) return;
    try {
        objects::InstanceList list;
        *list.add_objects() = instance;
        deps_.scheduler->UpdateInstanceInfo(context, options_.host, list);
    } catch (const std::exception& e) {
        NOVA_LOG_DEBUG(Log(), Scope(context, instance), "update_instance_info: {}", e.what());
    }
}

void ComputeManager::DeleteSchedulerInstanceInfo(const RequestContext& context,
                                                 const objects::Instance& instance) {
    if (deps_.scheduler == nullptr) return;
    try {
        deps_.scheduler->DeleteInstanceInfo(context, options_.host, instance.uuid());
    } catch (const std::exception& e) {
        NOVA_LOG_DEBUG(Log(), Scope(context, instance), "delete_instance_info: {}", e.what());
    }
}

// --- queries ---------------------------------------------------------------------------------

std::string ComputeManager::GetConsoleOutput(const RequestContext& context, const Json& args) {
    objects::Instance instance = InstanceArg(args);
    std::string output = deps_.driver.GetConsoleOutput(context, instance);
    const auto it = args.find("tail_length");
    if (it == args.end() || it->is_null()) return output;
    const auto tail = it->is_string() ? std::stoll(it->get<std::string>()) : it->get<long long>();
    if (tail < 0) return output;
    // The last `tail` lines, as Nova's _tail_log.
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < output.size()) {
        auto end = output.find('\n', start);
        if (end == std::string::npos) end = output.size();
        lines.push_back(output.substr(start, end - start));
        start = end + 1;
    }
    std::string result;
    const std::size_t first = lines.size() > static_cast<std::size_t>(tail)
                                  ? lines.size() - static_cast<std::size_t>(tail)
                                  : 0;
    for (std::size_t i = first; i < lines.size(); ++i) {
        if (i != first) result += '\n';
        result += lines[i];
    }
    return result;
}

std::string ComputeManager::GetHostUptime(const RequestContext& /*context*/) {
    // Nova's drivers run `uptime`; this is its first line, built from the kernel's figures.
    struct sysinfo info {};
    if (sysinfo(&info) != 0) throw NovaError::WithMessage("sysinfo failed");
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    const long days = info.uptime / 86400;
    const long hours = (info.uptime % 86400) / 3600;
    const long minutes = (info.uptime % 3600) / 60;
    const double scale = 1.0 / (1 << SI_LOAD_SHIFT);
    return fmt::format(" {:02d}:{:02d}:{:02d} up {} day{}, {:2d}:{:02d},  load average: {:.2f}, {:.2f}, {:.2f}",
                       local.tm_hour, local.tm_min, local.tm_sec, days, days == 1 ? "" : "s",
                       hours, minutes, static_cast<double>(info.loads[0]) * scale,
                       static_cast<double>(info.loads[1]) * scale,
                       static_cast<double>(info.loads[2]) * scale);
}

// --- service hooks and periodic tasks -------------------------------------------------------

void ComputeManager::InitHost() {
    deps_.driver.InitHost(options_.host);
    const auto context = RequestContext::Admin();
    auto instances = deps_.objects.InstancesByHost(context, options_.host,
                                                   {"info_cache", "metadata", "numa_topology"});
    for (auto& instance : instances) {
        try {
            InstanceLocks::Guard guard(locks_, instance.uuid());
            InitInstance(context, instance);
        } catch (const std::exception& e) {
            NOVA_LOG_ERROR(Log(), Scope(context, instance), "init_host: could not recover: {}",
                           e.what());
        }
    }
    // Nova's _update_scheduler_instance_info at start: the schedulers learn what runs here.
    if (deps_.scheduler != nullptr) {
        try {
            objects::InstanceList list;
            objects::SetEmpty(list, "objects");
            for (const auto& instance : instances) {
                if (instance.vm_state() != vm_states::kDeleted) *list.add_objects() = instance;
            }
            deps_.scheduler->UpdateInstanceInfo(context, options_.host, list);
        } catch (const std::exception& e) {
            NOVA_LOG_WARN(Log(), context, "Could not send the instance info to the schedulers: {}",
                          e.what());
        }
    }
}

void ComputeManager::InitInstance(const RequestContext& context, objects::Instance& instance) {
    const std::string task = TaskState(instance);
    const std::string vm = instance.vm_state();
    if (vm == vm_states::kError || vm == vm_states::kDeleted) return;
    // Nova's _init_instance, the rules that matter after a crash:
    if (vm == vm_states::kBuilding || task == task_states::kScheduling ||
        task == task_states::kBlockDeviceMapping || task == task_states::kNetworking ||
        task == task_states::kSpawning) {
        NOVA_LOG_INFO(Log(), Scope(context, instance),
                      "Instance failed to build before the restart; setting ERROR");
        try {
            deps_.driver.Destroy(context, instance, {}, {}, true);
        } catch (const std::exception&) {
        }
        AddFault(context, instance,
                 BuildAbortException({{"instance_uuid", instance.uuid()},
                                      {"reason", "nova-compute restarted during the build"}}));
        SetErrorState(context, instance);
        DeleteAllocations(context, instance.uuid());
        return;
    }
    if (task == task_states::kDeleting) {
        NOVA_LOG_INFO(Log(), Scope(context, instance), "Completing the interrupted delete");
        DeleteInstance(context, instance);
        return;
    }
    const auto state = CurrentPowerState(instance);
    if (task == task_states::kRebootPending || task == task_states::kRebootStarted ||
        task == task_states::kRebooting || task == task_states::kRebootPendingHard ||
        task == task_states::kRebootStartedHard || task == task_states::kRebootingHard) {
        NOVA_LOG_INFO(Log(), Scope(context, instance), "Rebooting the instance again after restart");
        const bool hard = task.find("hard") != std::string::npos ||
                          state != virt::PowerState::kRunning;
        instance.set_task_state(hard ? task_states::kRebootingHard : task_states::kRebooting);
        deps_.objects.SaveInstance(context, instance);
        deps_.driver.Reboot(context, instance, {},
                            hard ? virt::RebootType::kHard : virt::RebootType::kSoft, {});
        instance.set_power_state(static_cast<std::int64_t>(CurrentPowerState(instance)));
        instance.set_vm_state(vm_states::kActive);
        SetTaskState(instance, nullptr);
        deps_.objects.SaveInstance(context, instance);
        return;
    }
    if (task == task_states::kPoweringOff) {
        NOVA_LOG_INFO(Log(), Scope(context, instance), "Retrying the interrupted stop");
        deps_.driver.PowerOff(instance, options_.shutdown_timeout, options_.shutdown_retry_interval);
        instance.set_power_state(static_cast<std::int64_t>(CurrentPowerState(instance)));
        instance.set_vm_state(vm_states::kStopped);
        SetTaskState(instance, nullptr);
        deps_.objects.SaveInstance(context, instance);
        return;
    }
    if (task == task_states::kPoweringOn) {
        NOVA_LOG_INFO(Log(), Scope(context, instance), "Retrying the interrupted start");
        deps_.driver.PowerOn(context, instance, {}, {});
        instance.set_power_state(static_cast<std::int64_t>(CurrentPowerState(instance)));
        instance.set_vm_state(vm_states::kActive);
        SetTaskState(instance, nullptr);
        deps_.objects.SaveInstance(context, instance);
        return;
    }
    if (task == task_states::kPausing || task == task_states::kUnpausing ||
        task == task_states::kSuspending || task == task_states::kResuming) {
        // Nova clears these task states and lets the power state speak.
        SetTaskState(instance, nullptr);
        instance.set_power_state(static_cast<std::int64_t>(state));
        deps_.objects.SaveInstance(context, instance);
        return;
    }
    if (static_cast<std::int64_t>(state) != instance.power_state()) {
        instance.set_power_state(static_cast<std::int64_t>(state));
        deps_.objects.SaveInstance(context, instance);
    }
}

void ComputeManager::PreStartHook() {
    UpdateAvailableResource(RequestContext::Admin(), /*startup=*/true);
}

void ComputeManager::AddPeriodicTasks(service::PeriodicTasks& tasks) {
    const auto resources = options_.update_resources_interval.count() > 0
                               ? options_.update_resources_interval
                               : std::chrono::seconds(60);
    if (options_.update_resources_interval.count() >= 0) {
        tasks.Add("update_available_resource", resources,
                  [this] { UpdateAvailableResource(RequestContext::Admin()); });
    }
    tasks.Add("_sync_power_states", options_.sync_power_state_interval,
              [this] { SyncPowerStates(RequestContext::Admin()); });
    tasks.Add("_sync_scheduler_instance_info", options_.scheduler_instance_sync_interval,
              [this] { SyncSchedulerInstanceInfo(RequestContext::Admin()); });
    if (options_.instance_build_timeout.count() > 0) {
        tasks.Add("_check_instance_build_time", std::chrono::seconds(60),
                  [this] { CheckInstanceBuildTime(RequestContext::Admin()); });
    }
}

void ComputeManager::CleanupHost() { deps_.driver.CleanupHost(options_.host); }

void ComputeManager::UpdateAvailableResource(const RequestContext& context, bool startup) {
    auto instances = deps_.objects.InstancesByHost(context, options_.host, {"flavor"});
    for (const auto& node : deps_.driver.GetAvailableNodes(true)) {
        std::vector<objects::Instance> on_node;
        for (const auto& instance : instances) {
            if (!objects::IsSet(instance, "node") || objects::IsNull(instance, "node") ||
                instance.node() == node) {
                on_node.push_back(instance);
            }
        }
        // Nova's _update_usage_from_migrations: moves in and out of this node, each with
        // its instance (which may live on another host by now).
        std::vector<MigrationRecord> moves;
        try {
            for (auto& migration : deps_.objects.MigrationsInProgress(context, options_.host, node)) {
                const auto it = std::find_if(instances.begin(), instances.end(), [&](const auto& i) {
                    return i.uuid() == migration.instance_uuid();
                });
                if (it != instances.end()) {
                    moves.push_back({std::move(migration), *it});
                    continue;
                }
                try {
                    auto instance =
                        deps_.objects.GetInstance(context, migration.instance_uuid(), {"flavor"});
                    moves.push_back({std::move(migration), std::move(instance)});
                } catch (const InstanceNotFound&) {
                    // deleted meanwhile: nothing to count
                }
            }
        } catch (const std::exception& e) {
            NOVA_LOG_WARN(Log(), context, "Could not read the migrations of node {}: {}", node,
                          e.what());
        }
        deps_.tracker.UpdateAvailableResource(context, node, on_node, moves, startup);
    }
}

void ComputeManager::SyncSchedulerInstanceInfo(const RequestContext& context) {
    if (deps_.scheduler == nullptr) return;
    std::vector<std::string> uuids;
    for (const auto& instance : deps_.objects.InstancesByHost(context, options_.host, {})) {
        uuids.push_back(instance.uuid());
    }
    NOVA_LOG_DEBUG(Log(), context, "Syncing {} instance uuids with the schedulers", uuids.size());
    deps_.scheduler->SyncInstanceInfo(context, options_.host, uuids);
}

int ComputeManager::CheckInstanceBuildTime(const RequestContext& context) {
    const auto timeout = options_.instance_build_timeout;
    if (timeout.count() <= 0) return 0;
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(deps_.clock.Now().time_since_epoch());
    int failed = 0;
    for (auto& instance : deps_.objects.InstancesByHost(context, options_.host, {})) {
        if (instance.vm_state() != vm_states::kBuilding || !instance.has_created_at()) continue;
        if (now.count() - instance.created_at().seconds() <= timeout.count()) continue;
        InstanceLocks::Guard guard(locks_, instance.uuid());
        try {
            // A build that was running when the list was read may be done by now.
            instance = deps_.objects.GetInstance(context, instance.uuid(), {});
        } catch (const InstanceNotFound&) {
            continue;
        }
        if (instance.vm_state() != vm_states::kBuilding) continue;
        NOVA_LOG_WARN(Log(), Scope(context, instance),
                      "Instance build timed out. Set to error state.");
        AddFault(context, instance,
                 BuildAbortException(
                     {{"instance_uuid", instance.uuid()},
                      {"reason", fmt::format("Instance build timed out after {} seconds",
                                             timeout.count())}}));
        SetErrorState(context, instance);
        DeleteAllocations(context, instance.uuid());
        ++failed;
    }
    return failed;
}

void ComputeManager::SyncPowerStates(const RequestContext& context) {
    // Nova's _sync_instance_power_state: the DB's power_state follows the hypervisor, and
    // where the two disagree about whether the guest should run, the stop API is called (task
    // powering-off, then the stop operation with its action event and notifications).
    struct Stop {
        objects::Instance instance;
        bool clean;
    };
    std::vector<Stop> stops;
    for (auto& instance : deps_.objects.InstancesByHost(context, options_.host, {})) {
        InstanceLocks::Guard guard(locks_, instance.uuid());
        if (!TaskState(instance).empty()) continue;  // an operation is in progress
        const auto state = static_cast<std::int64_t>(CurrentPowerState(instance));
        const std::string vm = instance.vm_state();
        const bool off = state == virt::power_state::SHUTDOWN || state == virt::power_state::CRASHED;
        std::optional<bool> stop_clean;
        if (vm == vm_states::kActive && off) {
            NOVA_LOG_WARN(Log(), Scope(context, instance),
                          "Instance shutdown by itself. Calling the stop API. Current vm_state: "
                          "{}, current task_state: None, original DB power_state: {}, current VM "
                          "power_state: {}",
                          vm, instance.power_state(), state);
            stop_clean = true;
        } else if (vm == vm_states::kActive && state == virt::power_state::SUSPENDED) {
            NOVA_LOG_WARN(Log(), Scope(context, instance),
                          "Instance is suspended unexpectedly. Calling the stop API.");
            stop_clean = true;
        } else if (vm == vm_states::kStopped && state != virt::power_state::NOSTATE && !off) {
            NOVA_LOG_WARN(Log(), Scope(context, instance),
                          "Instance is not stopped. Calling the stop API.");
            stop_clean = false;  // Nova's force_stop
        } else if (vm == vm_states::kPaused && off) {
            NOVA_LOG_WARN(Log(), Scope(context, instance),
                          "Paused instance shutdown by itself. Calling the stop API.");
            stop_clean = false;
        }
        if (state == instance.power_state() && !stop_clean) continue;
        instance.set_power_state(state);
        if (stop_clean) instance.set_task_state(task_states::kPoweringOff);
        try {
            // Nova's compute_api.stop saves with expected_task_state None.
            deps_.objects.SaveInstance(context, instance, Json(nullptr));
        } catch (const std::exception& e) {
            NOVA_LOG_DEBUG(Log(), Scope(context, instance), "power sync save: {}", e.what());
            continue;
        }
        if (stop_clean) stops.push_back({instance, *stop_clean});
    }
    // The stops run as operations of their own (they take the instance lock).
    for (const auto& stop : stops) {
        try {
            StopInstance(context, {{"instance", objects::ToPrimitive(stop.instance)},
                                   {"clean_shutdown", stop.clean}});
        } catch (const std::exception& e) {
            NOVA_LOG_WARN(Log(), Scope(context, stop.instance), "Stop from the power sync failed: {}",
                          e.what());
        }
    }
}

}  // namespace nova::compute
