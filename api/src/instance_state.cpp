#include "nova/api/instance_state.hpp"

#include <algorithm>
#include <stdexcept>

#include "nova/common/json.hpp"

namespace nova::api {

namespace {

using VmStates = std::vector<std::string_view>;
using TaskStates = std::vector<std::optional<std::string_view>>;

// vm_states.py
constexpr std::string_view kActive = "active";
constexpr std::string_view kPaused = "paused";
constexpr std::string_view kSuspended = "suspended";
constexpr std::string_view kStopped = "stopped";
constexpr std::string_view kRescued = "rescued";
constexpr std::string_view kResized = "resized";
constexpr std::string_view kSoftDeleted = "soft-delete";
constexpr std::string_view kError = "error";
constexpr std::string_view kShelved = "shelved";
constexpr std::string_view kShelvedOffloaded = "shelved_offloaded";

const TaskStates kNoTask = {std::nullopt};  // Nova's default task_state=(None,)

// Nova's table, method by method (decorators of nova/compute/api.py API in Zed).
const std::vector<StateRule>& Rules() {
    static const std::vector<StateRule> kRules = {
        // delete/force_delete do not require launched_at; delete: any vm/task state.
        {"delete", std::nullopt, std::nullopt, false, true, "deleting", "delete"},
        {"soft_delete", std::nullopt, std::nullopt, true, true, "soft-deleting", "delete"},
        {"restore", VmStates{kSoftDeleted}, kNoTask, true, true, "restoring", "restore"},
        {"force_delete", std::nullopt, kNoTask, false, true, "deleting", "forceDelete"},
        {"stop", VmStates{kActive, kError}, kNoTask, true, true, "powering-off", "stop"},
        {"start", VmStates{kStopped}, kNoTask, true, true, "powering-on", "start"},
        {"trigger_crash_dump", VmStates{kActive, kPaused, kRescued, kResized, kError}, kNoTask,
         true, true, std::nullopt, "trigger_crash_dump"},
        {"backup", VmStates{kActive, kStopped, kPaused, kSuspended}, kNoTask, true, false,
         "image_backup", "createBackup"},
        {"snapshot", VmStates{kActive, kStopped, kPaused, kSuspended}, kNoTask, true, false,
         "image_snapshot", "createImage"},
        {"_soft_reboot", VmStates{kActive}, kNoTask, true, true, "rebooting", "reboot"},
        // task_states.ALLOW_REBOOT
        {"_hard_reboot", VmStates{kActive, kStopped, kPaused, kSuspended, kError},
         TaskStates{std::nullopt, "rebooting", "reboot_pending", "reboot_started", "resuming",
                    "rebooting_hard", "unpausing", "pausing", "suspending"},
         true, true, "rebooting_hard", "reboot"},
        {"rebuild", VmStates{kActive, kStopped, kError}, kNoTask, true, true, "rebuilding",
         "rebuild"},
        {"revert_resize", VmStates{kResized}, kNoTask, true, true, "resize_reverting",
         "revertResize"},
        // confirm_resize leaves task_state alone (the migration goes to "confirming").
        {"confirm_resize", VmStates{kResized}, kNoTask, true, true, std::nullopt,
         "confirmResize"},
        {"resize", VmStates{kActive, kStopped}, kNoTask, true, true, "resize_prep", "resize"},
        // migrate is resize without a flavor in Nova (the same decorators), recorded as migrate.
        {"migrate", VmStates{kActive, kStopped}, kNoTask, true, true, "resize_prep", "migrate"},
        {"shelve", VmStates{kActive, kStopped, kPaused, kSuspended}, kNoTask, true, true,
         "shelving", "shelve"},
        {"shelve_offload", VmStates{kShelved}, kNoTask, true, true, "shelving_offloading",
         "shelveOffload"},
        {"unshelve", VmStates{kShelved, kShelvedOffloaded}, kNoTask, true, true, "unshelving",
         "unshelve"},
        {"pause", VmStates{kActive}, kNoTask, true, true, "pausing", "pause"},
        {"unpause", VmStates{kPaused}, kNoTask, true, true, "unpausing", "unpause"},
        {"suspend", VmStates{kActive}, kNoTask, true, true, "suspending", "suspend"},
        {"resume", VmStates{kSuspended}, kNoTask, true, true, "resuming", "resume"},
        {"rescue", VmStates{kActive, kStopped, kError}, kNoTask, true, true, "rescuing",
         "rescue"},
        {"unrescue", VmStates{kRescued}, kNoTask, true, true, "unrescuing", "unrescue"},
        {"set_admin_password", VmStates{kActive}, kNoTask, true, true, "updating_password",
         "changePassword"},
        {"live_migrate", VmStates{kActive, kPaused}, kNoTask, true, true, "migrating",
         "live-migration"},
        {"evacuate", VmStates{kActive, kStopped, kError}, std::nullopt, true, false,
         "rebuilding", "evacuate"},
        // metadata updates: task_state=None in the decorator means "not checked".
        {"update_instance_metadata", VmStates{kActive, kPaused, kSuspended, kStopped},
         std::nullopt, true, true, std::nullopt, std::nullopt},
        {"delete_instance_metadata", VmStates{kActive, kPaused, kSuspended, kStopped},
         std::nullopt, true, true, std::nullopt, std::nullopt},
    };
    return kRules;
}

Json OptionalToJson(const std::optional<std::string>& v) { return v ? Json(*v) : Json(nullptr); }

[[noreturn]] void Invalid(const InstanceStateView& instance, std::string_view attr, Json state,
                          std::string_view method) {
    throw InstanceInvalidState({{"attr", std::string(attr)},
                                {"instance_uuid", instance.uuid},
                                {"state", std::move(state)},
                                {"method", std::string(method)}});
}

}  // namespace

InstanceStateView StateViewOf(const objects::Instance& instance) {
    InstanceStateView view;
    view.uuid = instance.uuid();
    view.vm_state = instance.vm_state();
    if (instance.has_task_state()) view.task_state = instance.task_state();
    view.launched = instance.has_launched_at();
    view.locked = instance.locked();
    return view;
}

const StateRule& RuleFor(std::string_view method) {
    for (const auto& rule : Rules()) {
        if (rule.method == method) return rule;
    }
    throw std::out_of_range("no instance state rule for " + std::string(method));
}

void CheckInstanceState(const InstanceStateView& instance, const StateRule& rule, bool is_admin) {
    if (rule.check_lock && instance.locked && !is_admin) {
        throw InstanceIsLocked({{"instance_uuid", instance.uuid}});
    }
    if (rule.vm_states &&
        std::find(rule.vm_states->begin(), rule.vm_states->end(), instance.vm_state) ==
            rule.vm_states->end()) {
        Invalid(instance, "vm_state", instance.vm_state, rule.method);
    }
    if (rule.task_states) {
        const bool allowed = std::any_of(
            rule.task_states->begin(), rule.task_states->end(),
            [&](const std::optional<std::string_view>& t) {
                if (!t) return !instance.task_state.has_value();
                return instance.task_state && *instance.task_state == *t;
            });
        if (!allowed) Invalid(instance, "task_state", OptionalToJson(instance.task_state), rule.method);
    }
    if (rule.must_have_launched && !instance.launched) {
        Invalid(instance, "launched_at", nullptr, rule.method);
    }
}

HttpFault ConflictForInvalidState(const NovaError& error, std::string_view action,
                                  std::string_view server_id) {
    // InstanceIsLocked is caught on its own by Nova's handlers: its own message.
    if (error.class_name() == InstanceIsLocked::kClassName) return HttpFault(409, error.message());
    const Json& kwargs = error.kwargs();
    const bool have = kwargs.is_object() && kwargs.contains("attr") && kwargs.contains("state") &&
                      !kwargs["attr"].is_null() && !kwargs["state"].is_null();
    if (have) {
        return HttpFault(409, "Cannot '" + std::string(action) + "' instance " +
                                  std::string(server_id) + " while it is in " +
                                  kwargs["attr"].get<std::string>() + " " +
                                  (kwargs["state"].is_string() ? kwargs["state"].get<std::string>()
                                                               : kwargs["state"].dump()));
    }
    return HttpFault(409, "Instance " + std::string(server_id) +
                              " is in an invalid state for '" + std::string(action) + "'");
}

}  // namespace nova::api
