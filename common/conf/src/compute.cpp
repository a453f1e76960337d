#include "nova/conf/compute.hpp"

namespace nova::conf {

std::string ComputeDefaultOptions::InstancesPath(const std::string& state_path) const {
    if (instances_path && !instances_path->empty()) return *instances_path;
    return state_path + "/instances";
}

void ComputeDefaultOptions::Declare(Schema<ComputeDefaultOptions>& s) {
    s.Opt("compute_driver", &ComputeDefaultOptions::compute_driver,
          "The virt driver nova-compute runs instances with: 'libvirt.LibvirtDriver' (KVM/QEMU "
          "through libvirt) or 'fake.FakeDriver' (an in-memory hypervisor for tests and scale "
          "runs). Required by nova-compute; any other value stops it at startup.");
    s.Opt("instances_path", &ComputeDefaultOptions::instances_path,
          "Where instance files live on the hypervisor's disk (one directory per instance "
          "uuid, holding its disk and console log). Unset: $state_path/instances.");
    s.Opt("reserved_host_disk_mb", &ComputeDefaultOptions::reserved_host_disk_mb, 0,
          "Disk in MB kept for the host: counted as used on the compute node and reported "
          "as 'reserved' in the DISK_GB inventory (rounded up to GB).")
        .Min(0);
    s.Opt("reserved_host_memory_mb", &ComputeDefaultOptions::reserved_host_memory_mb, 512,
          "Memory in MB kept for the host processes: counted as used on the compute node and "
          "reported as 'reserved' in the MEMORY_MB inventory.")
        .Min(0);
    s.Opt("reserved_host_cpus", &ComputeDefaultOptions::reserved_host_cpus, 0,
          "Host CPUs kept for host processes: counted as used on the compute node and "
          "reported as 'reserved' in the VCPU inventory.")
        .Min(0);
    s.Opt("cpu_allocation_ratio", &ComputeDefaultOptions::cpu_allocation_ratio,
          "Virtual CPU to physical CPU allocation ratio. When set it overrides the ratio of "
          "the compute node and of its VCPU inventory; unset keeps what is there, starting "
          "from initial_cpu_allocation_ratio.")
        .Min(0.0);
    s.Opt("ram_allocation_ratio", &ComputeDefaultOptions::ram_allocation_ratio,
          "Virtual RAM to physical RAM allocation ratio (see cpu_allocation_ratio).")
        .Min(0.0);
    s.Opt("disk_allocation_ratio", &ComputeDefaultOptions::disk_allocation_ratio,
          "Virtual disk to physical disk allocation ratio (see cpu_allocation_ratio).")
        .Min(0.0);
    s.Opt("initial_cpu_allocation_ratio", &ComputeDefaultOptions::initial_cpu_allocation_ratio,
          16.0,
          "The VCPU allocation ratio a new compute node starts with when "
          "cpu_allocation_ratio is unset.")
        .Min(0.0);
    s.Opt("initial_ram_allocation_ratio", &ComputeDefaultOptions::initial_ram_allocation_ratio,
          1.5,
          "The MEMORY_MB allocation ratio a new compute node starts with when "
          "ram_allocation_ratio is unset.")
        .Min(0.0);
    s.Opt("initial_disk_allocation_ratio",
          &ComputeDefaultOptions::initial_disk_allocation_ratio, 1.0,
          "The DISK_GB allocation ratio a new compute node starts with when "
          "disk_allocation_ratio is unset.")
        .Min(0.0);
    s.Opt("max_concurrent_builds", &ComputeDefaultOptions::max_concurrent_builds, 10,
          "Instance builds one nova-compute runs at once; 0 means no limit.")
        .Min(0);
    s.Opt("sync_power_state_interval", &ComputeDefaultOptions::sync_power_state_interval, 600,
          "Seconds between syncs of power states between the database and the hypervisor; "
          "a negative value disables the sync.");
    s.Opt("update_resources_interval", &ComputeDefaultOptions::update_resources_interval, 0,
          "Seconds between runs of the resource audit (update_available_resource); 0 runs it "
          "at the default periodic interval (60 s), a negative value disables it.");
    s.Opt("instance_build_timeout", &ComputeDefaultOptions::instance_build_timeout, 0,
          "Seconds an instance may stay in BUILD before it is put in ERROR: nova-compute "
          "checks the instances on its host every minute, nova-conductor the builds that "
          "never reached a compute (a conductor that died mid-build). 0: nova-compute does "
          "not check, and nova-conductor reaps orphaned builds after 1800 s.")
        .Min(0);
    s.Opt("scheduler_instance_sync_interval",
          &ComputeDefaultOptions::scheduler_instance_sync_interval, 120,
          "Seconds between the compute's reports of the instance uuids on its host to the "
          "schedulers (sync_instance_info), which correct their host views with it; a "
          "value <= 0 disables the report.");
    // nova-cpp: glibc gives each thread that allocates under contention its own malloc arena,
    // up to 8 per core, and an arena's touched pages stay resident after the thread goes
    // idle. nova-compute's threads (the RPC executor pool, the periodic tasks, the transport
    // and libvirt event loops) mostly wait on the hypervisor and the broker, so two arenas
    // cost no measurable throughput and keep the idle agent small (docs/compute.md).
    s.Opt("malloc_arena_max", &ComputeDefaultOptions::malloc_arena_max, 2,
          "nova-cpp: the most glibc malloc arenas nova-compute uses (mallopt M_ARENA_MAX, set "
          "at start before any thread exists). Every thread that allocates under contention "
          "may otherwise get an arena of its own, up to 8 per core, whose memory stays "
          "resident while the thread is idle. 0 keeps glibc's limit (or the "
          "MALLOC_ARENA_MAX environment variable).")
        .Min(0);
    s.Opt("shutdown_timeout", &ComputeDefaultOptions::shutdown_timeout, 60,
          "Seconds to wait for a guest to shut down cleanly before it is powered off; 0 "
          "powers it off at once.")
        .Min(0);
}

void ComputeOptions::Declare(Schema<ComputeOptions>& s) {
    s.Opt("consecutive_build_service_disable_threshold",
          &ComputeOptions::consecutive_build_service_disable_threshold, 10,
          "Build failures in a row after which the compute reports itself to the scheduler as "
          "failing builds (the 'failed_builds' stat weighed by BuildFailureWeigher); 0 "
          "disables the reporting.");
    s.Opt("shutdown_retry_interval", &ComputeOptions::shutdown_retry_interval, 10,
          "Seconds between repeated requests to a guest to shut down, while waiting up to "
          "shutdown_timeout for it.")
        .Min(1);
    s.Opt("resource_provider_association_refresh",
          &ComputeOptions::resource_provider_association_refresh, 300,
          "Seconds between refreshes of the cached resource provider aggregates and traits; "
          "0 never refreshes them.")
        .Min(0);
}

}  // namespace nova::conf
