#include "nova/conf/fake.hpp"

namespace nova::conf {

void FakeOptions::Declare(Schema<FakeOptions>& s) {
    s.Opt("vcpus", &FakeOptions::vcpus, 1000, "VCPUs of each fake host.").Min(1);
    s.Opt("memory_mb", &FakeOptions::memory_mb, 800000, "Memory (MB) of each fake host.")
        .Min(1);
    s.Opt("local_gb", &FakeOptions::local_gb, 600000, "Local disk (GB) of each fake host.")
        .Min(1);
    s.Opt("hosts", &FakeOptions::hosts, 1,
          "Fake hosts this process runs. 1: one host named [DEFAULT] host. N > 1: N "
          "independent hosts named host_prefix + index (0 .. N-1), each with its own driver, "
          "queue, service record and compute node.")
        .Min(1);
    s.Opt("host_prefix", &FakeOptions::host_prefix, std::string("fake-host-"),
          "Prefix of the host names when hosts > 1.");
    s.Opt("fail_spawn", &FakeOptions::fail_spawn, false,
          "Every spawn fails (with ComputeResourcesUnavailable, which makes the build "
          "reschedule). An image can ask for the same with the property fake_fail_spawn=true.");
    s.Opt("spawn_delay", &FakeOptions::spawn_delay, 0.0,
          "Seconds every spawn takes. An image can ask for its own with the property "
          "fake_spawn_delay=<seconds>.")
        .Min(0.0);
    s.Opt("crash_after_spawn", &FakeOptions::crash_after_spawn, false,
          "Every instance crashes right after a successful spawn: its power state becomes "
          "CRASHED and a STOPPED lifecycle event is emitted. An image can ask for the same "
          "with the property fake_crash_after_spawn=true.");
}

}  // namespace nova::conf
