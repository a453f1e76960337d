#pragma once
// fake.FakeDriver: an in-memory hypervisor (nova/virt/fake.py). Guests are records in a map;
// operations change their power state and emit the lifecycle events a real hypervisor would.
// Capacity comes from [fake]; failures can be injected by [fake] options or, per instance,
// by image properties (which Nova copies into system_metadata as image_<property>):
//   fake_fail_spawn=true      spawn fails with ComputeResourcesUnavailable (a reschedule)
//   fake_fail_spawn=abort     spawn fails with BuildAbortException (no reschedule)
//   fake_spawn_delay=<sec>    spawn takes that long
//   fake_crash_after_spawn=true  the guest crashes right after it started (CRASHED + event)
//   fake_fail_resize=true     migrate_disk_and_power_off fails with ResizeError (instance ERROR)
//   fake_fail_resize=rollback migrate_disk_and_power_off fails with InstanceFaultRollback
//                             (the instance goes back to its state, Nova's rollback)
//   fake_fail_finish_migration=true  finish_migration fails with ResizeError
// One FakeDriver is one host: [fake] hosts = N runs N drivers in one process (FakeHostNames).
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/conf/fake.hpp"
#include "nova/virt/driver.hpp"

namespace nova::virt {

struct FakeDriverOptions {
    std::int64_t vcpus = 1000;
    std::int64_t memory_mb = 800000;
    std::int64_t local_gb = 600000;
    bool fail_spawn = false;
    double spawn_delay = 0.0;  // seconds
    bool crash_after_spawn = false;

    static FakeDriverOptions From(const conf::FakeOptions& fake);
};

// The host names of the fake hosts one process runs: [host] for hosts = 1, else
// host_prefix + 0 .. host_prefix + (hosts - 1).
std::vector<std::string> FakeHostNames(const conf::FakeOptions& fake, const std::string& host);

class FakeDriver final : public ComputeDriver {
public:
    using Sleeper = std::function<void(std::chrono::duration<double>)>;

    // `sleeper` implements spawn delays (std::this_thread::sleep_for when empty); tests pass
    // one that records the delay instead.
    FakeDriver(FakeDriverOptions options, const Clock& clock, Sleeper sleeper = {});
    ~FakeDriver() override;

    std::string_view Name() const override { return "fake.FakeDriver"; }
    void InitHost(const std::string& host) override;
    InstanceInfo GetInfo(const objects::Instance& instance) override;
    std::vector<std::string> ListInstanceUuids() override;
    void Spawn(const RequestContext& context, const objects::Instance& instance,
               const objects::ImageMeta& image_meta, const SpawnOptions& options) override;
    void Destroy(const RequestContext& context, const objects::Instance& instance,
                 const NetworkInfo& network_info, const BlockDeviceInfo& block_device_info,
                 bool destroy_disks) override;
    void Reboot(const RequestContext& context, const objects::Instance& instance,
                const NetworkInfo& network_info, RebootType reboot_type,
                const BlockDeviceInfo& block_device_info) override;
    void PowerOff(const objects::Instance& instance, std::chrono::seconds timeout,
                  std::chrono::seconds retry_interval) override;
    void PowerOn(const RequestContext& context, const objects::Instance& instance,
                 const NetworkInfo& network_info,
                 const BlockDeviceInfo& block_device_info) override;
    void Pause(const objects::Instance& instance) override;
    void Unpause(const objects::Instance& instance) override;
    void Suspend(const RequestContext& context, const objects::Instance& instance) override;
    void Resume(const RequestContext& context, const objects::Instance& instance,
                const NetworkInfo& network_info,
                const BlockDeviceInfo& block_device_info) override;
    std::string MigrateDiskAndPowerOff(const RequestContext& context,
                                       const objects::Instance& instance,
                                       const std::string& dest, const objects::Flavor& flavor,
                                       const NetworkInfo& network_info,
                                       const BlockDeviceInfo& block_device_info,
                                       std::chrono::seconds timeout,
                                       std::chrono::seconds retry_interval) override;
    void FinishMigration(const RequestContext& context, const objects::Migration& migration,
                         const objects::Instance& instance, const std::string& disk_info,
                         const NetworkInfo& network_info, const objects::ImageMeta& image_meta,
                         bool resize_instance, const BlockDeviceInfo& block_device_info,
                         bool power_on) override;
    void ConfirmMigration(const RequestContext& context, const objects::Migration& migration,
                          const objects::Instance& instance,
                          const NetworkInfo& network_info) override;
    void FinishRevertMigration(const RequestContext& context, const objects::Instance& instance,
                               const NetworkInfo& network_info,
                               const objects::Migration& migration,
                               const BlockDeviceInfo& block_device_info,
                               bool power_on) override;
    std::string GetConsoleOutput(const RequestContext& context,
                                 const objects::Instance& instance) override;
    AvailableResource GetAvailableResource(const std::string& nodename) override;
    std::vector<std::string> GetAvailableNodes(bool refresh = false) override;

    // A change the guest makes on its own (it shut itself down, it crashed): sets the state
    // and emits the matching lifecycle event, as the hypervisor would.
    void SetPowerStateForTest(const std::string& uuid, PowerState state);

private:
    struct Guest {
        std::string name;
        PowerState state = PowerState::kNoState;
        std::int64_t vcpus = 0;
        std::int64_t memory_mb = 0;
        std::int64_t disk_gb = 0;
        std::vector<std::string> console;
    };

    Guest& Find(const std::string& uuid);  // throws InstanceNotFound; lock held
    // Creates or replaces the guest record for `instance` with its current flavor.
    void Put(const objects::Instance& instance, PowerState state);  // lock held
    void Release(const Guest& guest);  // lock held
    void Emit(const std::string& uuid, Transition transition);  // lock NOT held

    const FakeDriverOptions options_;
    const Clock& clock_;
    Sleeper sleeper_;
    std::mutex mutex_;
    std::map<std::string, Guest> guests_;
    std::vector<std::string> nodes_;
    std::int64_t vcpus_used_ = 0;
    std::int64_t memory_mb_used_ = 0;
    std::int64_t local_gb_used_ = 0;
};

}  // namespace nova::virt
