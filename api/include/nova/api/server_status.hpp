#pragma once
// The server "status" of the API, derived from vm_state and task_state (api-surface.md §9,
// nova/api/openstack/common.py _STATE_MAP), and the reverse mapping the status filter of
// GET /servers uses.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nova::api {

// "ACTIVE", "REBOOT", "VERIFY_RESIZE", ...; "UNKNOWN" for a vm_state Nova does not know.
std::string StatusFromState(std::string_view vm_state, const std::optional<std::string>& task_state);

struct StatesForStatus {
    std::vector<std::string> vm_states;                 // sorted
    std::vector<std::optional<std::string>> task_states;  // sorted; nullopt = no task
    // True when a status matched a vm_state's default: then any task_state matches, and
    // Nova does not filter on task_state at all.
    bool any_task_state = false;
    bool Empty() const { return vm_states.empty(); }
};

// Case-insensitive; unknown statuses match nothing (Empty(): 400 "Invalid status value" from
// 2.38, an empty list before).
StatesForStatus StatesFromStatuses(const std::vector<std::string>& statuses);

}  // namespace nova::api
