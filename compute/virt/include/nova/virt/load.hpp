#pragma once
// load_compute_driver: the driver named by [DEFAULT] compute_driver, with Nova's names
// ("libvirt.LibvirtDriver", "fake.FakeDriver"). An unset or unknown name is a startup error
// (ConfigFileValueError naming the option and the known drivers).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/conf/compute.hpp"
#include "nova/conf/default.hpp"
#include "nova/conf/fake.hpp"
#include "nova/conf/libvirt.hpp"
#include "nova/virt/driver.hpp"

namespace nova::virt {

// The option groups the drivers read.
struct DriverConfig {
    conf::DefaultOptions defaults;
    conf::ComputeDefaultOptions compute;
    conf::LibvirtOptions libvirt;
    conf::FakeOptions fake;
};

// The names LoadComputeDriver accepts.
std::vector<std::string> KnownComputeDrivers();

// A new, not yet initialised driver (call InitHost next). `compute_driver` overrides the
// configured name. `clock` must outlive the driver.
std::unique_ptr<ComputeDriver> LoadComputeDriver(const DriverConfig& config, const Clock& clock,
                                                 std::optional<std::string> compute_driver = {});

}  // namespace nova::virt
