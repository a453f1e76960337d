#pragma once
// [fake]: the in-memory fake.FakeDriver (nova-cpp; Nova's FakeDriver takes its capacity from
// class attributes instead). Capacity, the number of fake hosts one process runs, and the
// failures it injects.
#include <string>

#include "nova/conf/schema.hpp"

namespace nova::conf {

struct FakeOptions {
    static constexpr std::string_view kGroup = "fake";
    static constexpr std::string_view kHelp =
        "The fake virt driver (compute_driver = fake.FakeDriver): an in-memory hypervisor.";
    int vcpus;
    int memory_mb;
    int local_gb;
    int hosts;
    std::string host_prefix;
    bool fail_spawn;
    double spawn_delay;
    bool crash_after_spawn;
    static void Declare(Schema<FakeOptions>& s);
};

}  // namespace nova::conf
