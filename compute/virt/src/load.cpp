#include "nova/virt/load.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "nova/common/error.hpp"
#include "nova/common/log.hpp"
#include "nova/virt/fake_driver.hpp"
#include "nova/virt/libvirt_driver.hpp"

namespace nova::virt {

std::vector<std::string> KnownComputeDrivers() {
    return {"libvirt.LibvirtDriver", "fake.FakeDriver"};
}

std::unique_ptr<ComputeDriver> LoadComputeDriver(const DriverConfig& config, const Clock& clock,
                                                 std::optional<std::string> compute_driver) {
    auto& log = log::Get("nova.virt.driver");
    std::string name = compute_driver.value_or(config.compute.compute_driver.value_or(""));
    if (name.empty()) {
        throw ConfigFileValueError(
            {{"reason",
              fmt::format("[DEFAULT] compute_driver: Compute driver option required, but not "
                          "specified (one of: {})",
                          fmt::join(KnownComputeDrivers(), ", "))}});
    }
    NOVA_LOG_INFO(log, log::kNoContext, "Loading compute driver '{}'", name);
    if (name == "libvirt.LibvirtDriver") {
        LibvirtDriverOptions options;
        options.libvirt = config.libvirt;
        options.instances_path = config.compute.InstancesPath(config.defaults.state_path);
        options.my_ip = config.defaults.my_ip;
        return std::make_unique<LibvirtDriver>(std::move(options), clock);
    }
    if (name == "fake.FakeDriver") {
        return std::make_unique<FakeDriver>(FakeDriverOptions::From(config.fake), clock);
    }
    throw ConfigFileValueError(
        {{"reason", fmt::format("[DEFAULT] compute_driver: unknown compute driver '{}' (one of: "
                                "{})",
                                name, fmt::join(KnownComputeDrivers(), ", "))}});
}

}  // namespace nova::virt
