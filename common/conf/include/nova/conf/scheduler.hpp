#pragma once
// [scheduler] and [filter_scheduler]: how nova-scheduler chooses hosts. Names, defaults and
// ranges are Nova's (nova/conf/scheduler.py, Zed); only the options nova-cpp honours are
// declared. [DEFAULT] default_availability_zone (nova/conf/availability_zone.py) is here too:
// the scheduler's AvailabilityZoneFilter reads it, and so may the API.
#include <optional>
#include <string>
#include <vector>

#include "nova/conf/schema.hpp"

namespace nova::conf {

struct SchedulerOptions {
    static constexpr std::string_view kGroup = "scheduler";
    static constexpr std::string_view kHelp = "Scheduler configuration";
    int max_attempts;
    std::optional<int> workers;
    int max_placement_results;
    int host_state_cache_seconds;
    static void Declare(Schema<SchedulerOptions>& s);
};

struct FilterSchedulerOptions {
    static constexpr std::string_view kGroup = "filter_scheduler";
    static constexpr std::string_view kHelp = "Filter scheduler options";
    int host_subset_size;
    int max_io_ops_per_host;
    int max_instances_per_host;
    std::vector<std::string> enabled_filters;
    std::vector<std::string> weight_classes;
    double ram_weight_multiplier;
    double cpu_weight_multiplier;
    double disk_weight_multiplier;
    double io_ops_weight_multiplier;
    double soft_affinity_weight_multiplier;
    double soft_anti_affinity_weight_multiplier;
    double build_failure_weight_multiplier;
    bool shuffle_best_same_weighed_hosts;
    std::optional<std::string> image_properties_default_architecture;
    static void Declare(Schema<FilterSchedulerOptions>& s);
};

// [DEFAULT] availability zone names.
struct AvailabilityZoneOptions {
    static constexpr std::string_view kGroup = "DEFAULT";
    static constexpr std::string_view kHelp = "";
    std::string default_availability_zone;
    std::string internal_service_availability_zone;
    static void Declare(Schema<AvailabilityZoneOptions>& s);
};

}  // namespace nova::conf
