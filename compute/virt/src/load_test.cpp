#include "nova/virt/load.hpp"

#include <doctest/doctest.h>

#include "nova/common/error.hpp"
#include "nova/conf/source.hpp"

namespace nova::virt {

TEST_CASE("load_compute_driver picks the configured driver by Nova's name") {
    ManualClock clock;
    DriverConfig config{};
    config.fake.vcpus = 8;
    config.fake.memory_mb = 1024;
    config.fake.local_gb = 10;
    config.fake.hosts = 1;

    SUBCASE("unset is a startup error") {
        CHECK_THROWS_AS(LoadComputeDriver(config, clock), ConfigFileValueError);
    }
    SUBCASE("unknown is a startup error naming the known drivers") {
        config.compute.compute_driver = "vmwareapi.VMwareVCDriver";
        try {
            LoadComputeDriver(config, clock);
            FAIL("no error");
        } catch (const ConfigFileValueError& e) {
            std::string message = e.message();
            CHECK(message.find("vmwareapi.VMwareVCDriver") != std::string::npos);
            CHECK(message.find("fake.FakeDriver") != std::string::npos);
        }
    }
    SUBCASE("fake.FakeDriver with [fake] capacity") {
        config.compute.compute_driver = "fake.FakeDriver";
        auto driver = LoadComputeDriver(config, clock);
        REQUIRE(driver);
        CHECK(driver->Name() == "fake.FakeDriver");
        driver->InitHost("h1");
        CHECK(driver->GetAvailableResource("h1").vcpus == 8);
    }
    SUBCASE("the override wins over the option") {
        config.compute.compute_driver = "nonsense";
        auto driver = LoadComputeDriver(config, clock, std::string("fake.FakeDriver"));
        CHECK(driver->Name() == "fake.FakeDriver");
    }
}

}  // namespace nova::virt
