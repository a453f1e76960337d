#include "nova/conf/scheduler.hpp"

namespace nova::conf {

void SchedulerOptions::Declare(Schema<SchedulerOptions>& s) {
    s.Opt("max_attempts", &SchedulerOptions::max_attempts, 3,
          "The maximum number of schedule attempts for one build or move. It also limits "
          "the alternate hosts returned with each selected host (max_attempts - 1 of them); "
          "when they are exhausted the build fails with MaxRetriesExceeded.")
        .Min(1);
    s.Opt("workers", &SchedulerOptions::workers,
          "Number of worker threads serving requests in one nova-scheduler process. Unset: "
          "the number of CPUs.")
        .Min(1);
    s.Opt("max_placement_results", &SchedulerOptions::max_placement_results, 1000,
          "The maximum number of allocation candidates (hosts) considered for one request. "
          "Lower values bound the work per request on large clouds at the cost of less "
          "optimal placement.")
        .Min(1);
    s.Opt("host_state_cache_seconds", &SchedulerOptions::host_state_cache_seconds, 2,
          "nova-cpp: seconds the scheduler reuses the host states (compute nodes, services, "
          "aggregates, instances per host) it read from the cell databases before reading "
          "them again. Claims are always checked against the placement tables, so a stale "
          "host state can cost a worse choice but never an overbooked host. 0: read them for "
          "every request.")
        .Min(0);
}

void FilterSchedulerOptions::Declare(Schema<FilterSchedulerOptions>& s) {
    using O = FilterSchedulerOptions;
    s.Opt("host_subset_size", &O::host_subset_size, 1,
          "Size of the subset of best hosts from which a host is chosen at random. 1 picks "
          "the best weighed host; larger values spread concurrent requests and reduce "
          "claim races between schedulers.")
        .Min(1);
    s.Opt("max_io_ops_per_host", &O::max_io_ops_per_host, 8,
          "Maximum number of I/O intensive operations (builds, resizes, snapshots, ...) a "
          "host may run at once; used by the IoOpsFilter.")
        .Min(0);
    s.Opt("max_instances_per_host", &O::max_instances_per_host, 50,
          "Maximum number of instances on one host; used by the NumInstancesFilter.")
        .Min(1);
    s.Opt("enabled_filters", &O::enabled_filters,
          std::vector<std::string>{"ComputeFilter", "ComputeCapabilitiesFilter",
                                   "ImagePropertiesFilter", "ServerGroupAntiAffinityFilter",
                                   "ServerGroupAffinityFilter"},
          "Filters the scheduler uses, applied in this order. An unknown name is a startup "
          "error (SchedulerHostFilterNotFound).");
    s.Opt("weight_classes", &O::weight_classes,
          std::vector<std::string>{"nova.scheduler.weights.all_weighers"},
          "Weighers the scheduler uses: class names (RAMWeigher or "
          "nova.scheduler.weights.ram.RAMWeigher) or nova.scheduler.weights.all_weighers.");
    s.Opt("ram_weight_multiplier", &O::ram_weight_multiplier, 1.0,
          "RAM weight multiplier. Positive values spread instances over hosts with more "
          "free RAM; negative values stack them. Overridden per aggregate by the metadata key "
          "of the same name.");
    s.Opt("cpu_weight_multiplier", &O::cpu_weight_multiplier, 1.0,
          "CPU weight multiplier (free vCPUs). Positive spreads, negative stacks. "
          "Overridden per aggregate by the metadata key of the same name.");
    s.Opt("disk_weight_multiplier", &O::disk_weight_multiplier, 1.0,
          "Disk weight multiplier (free disk). Positive spreads, negative stacks. "
          "Overridden per aggregate by the metadata key of the same name.");
    s.Opt("io_ops_weight_multiplier", &O::io_ops_weight_multiplier, -1.0,
          "I/O operations weight multiplier. Negative values prefer hosts with fewer "
          "concurrent I/O intensive operations.");
    s.Opt("soft_affinity_weight_multiplier", &O::soft_affinity_weight_multiplier, 1.0,
          "Multiplier for hosts with members of a soft-affinity server group.")
        .Min(0.0);
    s.Opt("soft_anti_affinity_weight_multiplier", &O::soft_anti_affinity_weight_multiplier,
          1.0, "Multiplier for hosts with members of a soft-anti-affinity server group.")
        .Min(0.0);
    s.Opt("build_failure_weight_multiplier", &O::build_failure_weight_multiplier, 1000000.0,
          "Multiplier for hosts with recent build failures (the compute's failed_builds "
          "stat). High values keep failing hosts out of the way of healthy ones; 0 "
          "disables it.");
    s.Opt("shuffle_best_same_weighed_hosts", &O::shuffle_best_same_weighed_hosts, false,
          "Shuffle the hosts that share the best weight, so that identical hosts share the "
          "load when host_subset_size is 1.");
    s.Opt("image_properties_default_architecture",
          &O::image_properties_default_architecture,
          "Architecture assumed by the ImagePropertiesFilter for images without "
          "hw_architecture.")
        .Choices({"alpha",   "armv6",   "armv7l",  "armv7b",  "aarch64", "cris",
                  "i686",    "ia64",    "lm32",    "m68k",    "microblaze", "microblazeel",
                  "mips",    "mipsel",  "mips64",  "mips64el", "openrisc", "parisc",
                  "parisc64", "ppc",    "ppcle",   "ppc64",   "ppc64le", "ppcemb",
                  "s390",    "s390x",   "sh4",     "sh4eb",   "sparc",   "sparc64",
                  "unicore32", "x86_64", "xtensa", "xtensaeb"});
}

void AvailabilityZoneOptions::Declare(Schema<AvailabilityZoneOptions>& s) {
    s.Opt("default_availability_zone", &AvailabilityZoneOptions::default_availability_zone,
          std::string("nova"),
          "Availability zone of compute hosts that are in no aggregate with an "
          "availability_zone key.");
    s.Opt("internal_service_availability_zone",
          &AvailabilityZoneOptions::internal_service_availability_zone,
          std::string("internal"), "Availability zone shown for non-compute services.");
}

}  // namespace nova::conf
