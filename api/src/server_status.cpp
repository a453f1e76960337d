#include "nova/api/server_status.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace nova::api {

namespace {

struct TaskOverride {
    const char* task_state;
    const char* status;
};

struct StateEntry {
    const char* vm_state;
    const char* default_status;
    std::vector<TaskOverride> overrides;
};

const std::vector<StateEntry>& StateMap() {
    static const std::vector<StateEntry> kMap = {
        {"active", "ACTIVE",
         {{"rebooting", "REBOOT"},
          {"reboot_pending", "REBOOT"},
          {"reboot_started", "REBOOT"},
          {"rebooting_hard", "HARD_REBOOT"},
          {"reboot_pending_hard", "HARD_REBOOT"},
          {"reboot_started_hard", "HARD_REBOOT"},
          {"updating_password", "PASSWORD"},
          {"rebuilding", "REBUILD"},
          {"rebuild_block_device_mapping", "REBUILD"},
          {"rebuild_spawning", "REBUILD"},
          {"migrating", "MIGRATING"},
          {"resize_prep", "RESIZE"},
          {"resize_migrating", "RESIZE"},
          {"resize_migrated", "RESIZE"},
          {"resize_finish", "RESIZE"}}},
        {"building", "BUILD", {}},
        {"stopped", "SHUTOFF",
         {{"resize_prep", "RESIZE"},
          {"resize_migrating", "RESIZE"},
          {"resize_migrated", "RESIZE"},
          {"resize_finish", "RESIZE"},
          {"rebuilding", "REBUILD"},
          {"rebuild_block_device_mapping", "REBUILD"},
          {"rebuild_spawning", "REBUILD"}}},
        {"resized", "VERIFY_RESIZE", {{"resize_reverting", "REVERT_RESIZE"}}},
        {"paused", "PAUSED", {{"migrating", "MIGRATING"}}},
        {"suspended", "SUSPENDED", {}},
        {"rescued", "RESCUE", {}},
        {"error", "ERROR",
         {{"rebuilding", "REBUILD"},
          {"rebuild_block_device_mapping", "REBUILD"},
          {"rebuild_spawning", "REBUILD"}}},
        {"deleted", "DELETED", {}},
        {"soft-delete", "SOFT_DELETED", {}},
        {"shelved", "SHELVED", {}},
        {"shelved_offloaded", "SHELVED_OFFLOADED", {}},
    };
    return kMap;
}

std::string Lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

std::string StatusFromState(std::string_view vm_state, const std::optional<std::string>& task_state) {
    for (const auto& entry : StateMap()) {
        if (vm_state != entry.vm_state) continue;
        if (task_state) {
            for (const auto& o : entry.overrides) {
                if (*task_state == o.task_state) return o.status;
            }
        }
        return entry.default_status;
    }
    return "UNKNOWN";
}

StatesForStatus StatesFromStatuses(const std::vector<std::string>& statuses) {
    std::set<std::string> wanted;
    for (const auto& s : statuses) wanted.insert(Lower(s));
    std::set<std::string> vm_states;
    std::set<std::optional<std::string>> task_states;
    StatesForStatus out;
    for (const auto& entry : StateMap()) {
        if (wanted.count(Lower(entry.default_status))) {
            vm_states.insert(entry.vm_state);
            out.any_task_state = true;
        }
        for (const auto& o : entry.overrides) {
            if (wanted.count(Lower(o.status))) {
                vm_states.insert(entry.vm_state);
                task_states.insert(std::string(o.task_state));
            }
        }
    }
    out.vm_states.assign(vm_states.begin(), vm_states.end());
    out.task_states.assign(task_states.begin(), task_states.end());
    return out;
}

}  // namespace nova::api
