#include "nova/compute/stats.hpp"

#include <array>

namespace nova::compute {

std::string StateText(bool has, const std::string& value) { return has ? value : "None"; }

bool AllowResourceRemoval(const std::string& vm_state, const std::string& task_state) {
    return vm_state == "deleted" || (vm_state == "shelved_offloaded" && task_state != "spawning");
}

void Stats::Clear() {
    values_.clear();
    states_.clear();
}

void Stats::Add(const std::string& key, std::int64_t delta) { values_[key] += delta; }

std::int64_t Stats::Get(const std::string& key) const {
    auto it = values_.find(key);
    return it == values_.end() ? 0 : it->second;
}

void Stats::UpdateForInstance(const objects::Instance& instance, bool is_removed) {
    const std::string& uuid = instance.uuid();
    auto it = states_.find(uuid);
    if (it != states_.end()) {
        const State& old = it->second;
        Add("num_vm_" + old.vm_state, -1);
        Add("num_task_" + old.task_state, -1);
        Add("num_os_type_" + old.os_type, -1);
        Add("num_proj_" + old.project_id, -1);
    } else {
        Add("num_instances", 1);
    }
    State state{StateText(instance.has_vm_state(), instance.vm_state()),
                StateText(instance.has_task_state(), instance.task_state()),
                StateText(instance.has_os_type(), instance.os_type()),
                StateText(instance.has_project_id(), instance.project_id())};
    if (is_removed || AllowResourceRemoval(state.vm_state, state.task_state)) {
        Add("num_instances", -1);
        states_.erase(uuid);
    } else {
        Add("num_vm_" + state.vm_state, 1);
        Add("num_task_" + state.task_state, 1);
        Add("num_os_type_" + state.os_type, 1);
        Add("num_proj_" + state.project_id, 1);
        states_[uuid] = std::move(state);
    }
    values_["io_workload"] = IoWorkload();
}

void Stats::BuildFailed() { Add("failed_builds", 1); }
void Stats::BuildSucceeded() { values_["failed_builds"] = 0; }

std::int64_t Stats::IoWorkload() const {
    static const std::array<const char*, 8> kKeys = {
        "num_vm_building",        "num_task_resize_migrating", "num_task_rebuilding",
        "num_task_resize_prep",   "num_task_image_snapshot",   "num_task_image_backup",
        "num_task_rescuing",      "num_task_unshelving"};
    std::int64_t total = 0;
    for (const char* key : kKeys) total += Get(key);
    return total;
}

std::int64_t Stats::CalculateWorkload() const {
    std::int64_t total = 0;
    for (const auto& [key, value] : values_) {
        if (key.rfind("num_task", 0) == 0 &&
            !(key.size() >= 4 && key.compare(key.size() - 4, 4, "None") == 0)) {
            total += value;
        }
    }
    return total;
}

std::map<std::string, std::string> Stats::ToComputeNodeStats() const {
    std::map<std::string, std::string> out;
    for (const auto& [key, value] : values_) out[key] = std::to_string(value);
    return out;
}

}  // namespace nova::compute
