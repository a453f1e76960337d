#pragma once
// Options of nova-compute: the [DEFAULT] compute options (driver, instances path, reserved
// host resources, allocation ratios) and the [compute] group. Names and defaults are Nova's
// (nova/conf/compute.py, Zed).
#include <optional>
#include <string>

#include "nova/conf/schema.hpp"

namespace nova::conf {

// [DEFAULT]: which virt driver runs instances and how much of the host they may use.
struct ComputeDefaultOptions {
    static constexpr std::string_view kGroup = "DEFAULT";
    static constexpr std::string_view kHelp = "";
    std::optional<std::string> compute_driver;
    std::optional<std::string> instances_path;
    int reserved_host_disk_mb;
    int reserved_host_memory_mb;
    int reserved_host_cpus;
    std::optional<double> cpu_allocation_ratio;
    std::optional<double> ram_allocation_ratio;
    std::optional<double> disk_allocation_ratio;
    double initial_cpu_allocation_ratio;
    double initial_ram_allocation_ratio;
    double initial_disk_allocation_ratio;
    int max_concurrent_builds;
    int sync_power_state_interval;
    int update_resources_interval;
    int shutdown_timeout;
    int instance_build_timeout;
    int scheduler_instance_sync_interval;
    int malloc_arena_max;  // nova-cpp
    static void Declare(Schema<ComputeDefaultOptions>& s);

    // instances_path, or Nova's default "$state_path/instances".
    std::string InstancesPath(const std::string& state_path) const;
};

// [compute]
struct ComputeOptions {
    static constexpr std::string_view kGroup = "compute";
    static constexpr std::string_view kHelp = "Options of the compute service (nova-compute).";
    int consecutive_build_service_disable_threshold;
    int shutdown_retry_interval;
    int resource_provider_association_refresh;
    static void Declare(Schema<ComputeOptions>& s);
};

}  // namespace nova::conf
