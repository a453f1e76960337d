#pragma once
// Per-node workload counters (nova/compute/stats.py): num_instances, num_vm_<state>,
// num_task_<state>, num_os_type_<type>, num_proj_<id>, io_workload and failed_builds. They
// travel in ComputeNode.stats for the scheduler (NumInstancesFilter, IoOpsFilter,
// BuildFailureWeigher).
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "nova/objects/instance.pb.h"

namespace nova::compute {

class Stats {
public:
    void Clear();
    // Nova's update_stats_for_instance.
    void UpdateForInstance(const objects::Instance& instance, bool is_removed = false);
    void BuildFailed();
    void BuildSucceeded();
    // Nova keeps the counter across the stats reset of every audit.
    void SetFailedBuilds(std::int64_t n) { values_["failed_builds"] = n; }

    std::int64_t Get(const std::string& key) const;
    std::int64_t NumInstances() const { return Get("num_instances"); }
    std::int64_t IoWorkload() const;
    // Nova's calculate_workload: instances with a task_state.
    std::int64_t CalculateWorkload() const;
    // ComputeNode.stats: every counter as a string.
    std::map<std::string, std::string> ToComputeNodeStats() const;

private:
    struct State {
        std::string vm_state, task_state, os_type, project_id;
    };
    void Add(const std::string& key, std::int64_t delta);
    std::map<std::string, std::int64_t> values_;
    std::map<std::string, State> states_;
};

// Nova's vm_states.allow_resource_removal: DELETED, or SHELVED_OFFLOADED unless spawning.
bool AllowResourceRemoval(const std::string& vm_state, const std::string& task_state);

// A nullable string field as Nova prints it in stats keys ("None" when unset).
std::string StateText(bool has, const std::string& value);

}  // namespace nova::compute
