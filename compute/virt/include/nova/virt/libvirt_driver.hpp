#pragma once
// libvirt.LibvirtDriver: KVM/QEMU guests through the libvirt C API (nova/virt/libvirt).
// The connection URI is [libvirt] connection_uri, or what virt_type implies
// (qemu:///system for kvm and qemu). Guests are persistent domains named instance-%08x with
// the instance's uuid, their disks files under [DEFAULT] instances_path/<uuid>/, and their
// serial console logged to <uuid>/console.log. libvirt's lifecycle events are forwarded to
// the registered listener. libvirt itself never appears in this header.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "nova/common/clock.hpp"
#include "nova/conf/libvirt.hpp"
#include "nova/virt/driver.hpp"

namespace nova::virt {

struct LibvirtDriverOptions {
    conf::LibvirtOptions libvirt;
    std::string instances_path;
    std::string my_ip;
};

class LibvirtDriver final : public ComputeDriver {
public:
    using Sleeper = std::function<void(std::chrono::duration<double>)>;

    // Connects in InitHost, not here. `sleeper` paces the waits of power off and soft reboot
    // (std::this_thread::sleep_for when empty).
    LibvirtDriver(LibvirtDriverOptions options, const Clock& clock, Sleeper sleeper = {});
    ~LibvirtDriver() override;

    std::string_view Name() const override { return "libvirt.LibvirtDriver"; }
    // Connects to libvirt (HypervisorUnavailable when it cannot) and subscribes to events.
    void InitHost(const std::string& host) override;
    void CleanupHost(const std::string& host) override;
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

    // The domain's live XML (virsh dumpxml), for operators and tests.
    std::string GetDomainXml(const objects::Instance& instance);
    // The XML spawn would define for this instance.
    std::string BuildGuestXml(const objects::Instance& instance,
                              const objects::ImageMeta& image_meta,
                              const NetworkInfo& network_info,
                              const BlockDeviceInfo& block_device_info);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace nova::virt
