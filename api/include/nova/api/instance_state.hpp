#pragma once
// The state rules of the compute API facade (Nova's nova/compute/api.py decorators
// check_instance_state / check_instance_lock, api-surface.md state model): which vm_state /
// task_state an operation accepts, the task_state it sets before its cast, the instance action
// it records, and the 409 text the servers handlers send for InstanceInvalidState.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nova/api/fault.hpp"
#include "nova/common/error.hpp"
#include "nova/objects/instance.pb.h"

namespace nova::api {

// What the checks read of an instance (a cell DB row or a build request).
struct InstanceStateView {
    std::string uuid;
    std::string vm_state;
    std::optional<std::string> task_state;  // nullopt = None
    bool launched = false;                  // launched_at is set
    bool locked = false;
};

// The fields the checks read, from a cell database instance.
InstanceStateView StateViewOf(const objects::Instance& instance);

// One operation's rule. nullopt = that attribute is not checked.
struct StateRule {
    std::string_view method;  // Nova's function name: the "method" of InstanceInvalidState
    std::optional<std::vector<std::string_view>> vm_states;
    // Allowed task states; an entry of nullopt allows "no task" (Nova's None).
    std::optional<std::vector<std::optional<std::string_view>>> task_states;
    bool must_have_launched = true;
    bool check_lock = true;  // check_instance_lock: locked and not admin -> InstanceIsLocked
    std::optional<std::string_view> new_task_state;  // set before the cast
    std::optional<std::string_view> instance_action;  // InstanceAction.action_start name
};

// The rule for Nova's method name ("stop", "_soft_reboot", "confirm_resize", ...); throws
// std::out_of_range for an unknown one (a bug in the caller).
const StateRule& RuleFor(std::string_view method);

// Nova's decorators in their order: lock first (when the rule has it), then vm_state,
// task_state, launched_at. Throws InstanceIsLocked / InstanceInvalidState.
void CheckInstanceState(const InstanceStateView& instance, const StateRule& rule, bool is_admin);

// Nova's common.raise_http_conflict_for_instance_invalid_state: the 409 a handler answers
// with for `error` (an InstanceInvalidState), naming the API action ("confirmResize", ...).
HttpFault ConflictForInvalidState(const NovaError& error, std::string_view action,
                                  std::string_view server_id);

}  // namespace nova::api
