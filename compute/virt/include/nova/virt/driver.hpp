#pragma once
// ComputeDriver: the contract between nova-compute and a hypervisor (nova/virt/driver.py).
//
// The compute manager calls a driver from its blocking pool (RunBlocking): every method may
// block, and a driver must accept concurrent calls for different instances. The manager
// serialises the operations on one instance, so a driver need not. Failures are NovaErrors
// named as Nova names them (InstanceNotFound, InstancePowerOffFailure, ...); a driver
// translates its library's errors at its seam.
//
// Two drivers exist: fake.FakeDriver (in memory, nova/virt/fake.py) and libvirt.LibvirtDriver
// (KVM/QEMU through the libvirt C API). LoadComputeDriver (load.hpp) picks one from
// [DEFAULT] compute_driver.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "nova/common/context.hpp"
#include "nova/common/json.hpp"
#include "nova/objects/flavor.pb.h"
#include "nova/objects/image_meta.pb.h"
#include "nova/objects/instance.pb.h"
#include "nova/objects/migration.pb.h"
#include "nova/virt/event.hpp"
#include "nova/virt/power_state.hpp"

namespace nova::virt {

// One virtual interface of an instance (an element of Nova's network_info model).
struct Vif {
    std::string id;        // the Neutron port id
    std::string address;   // MAC
    std::string type;      // "ovs", "bridge", "tap", ...
    std::string devname;   // the host-side tap device, e.g. "tap1234abcd-56"
    std::string bridge;    // for bridge/ovs types
    std::string vnic_type = "normal";
    std::optional<int> mtu;
};
using NetworkInfo = std::vector<Vif>;

// Nova's block_device_info: the local disks besides the image root, and volumes.
struct EphemeralDisk {
    int num = 0;
    std::string device_name;  // "/dev/vdb"
    std::int64_t size_gb = 0;
    std::string guest_format;  // empty: the driver's default
};
struct SwapDisk {
    std::string device_name;
    std::int64_t swap_size_mb = 0;
};
struct VolumeAttachment {
    std::string mount_device;  // "/dev/vdc"
    Json connection_info = Json::object();
    bool delete_on_termination = false;
    std::optional<int> boot_index;
};
struct BlockDeviceInfo {
    std::optional<std::string> root_device_name;
    std::vector<EphemeralDisk> ephemerals;
    std::optional<SwapDisk> swap;
    std::vector<VolumeAttachment> block_device_mapping;
};

struct InjectedFile {
    std::string path;
    std::string contents;
};

// Everything spawn() needs besides the instance and its image (Nova's keyword arguments).
struct SpawnOptions {
    std::vector<InjectedFile> injected_files;
    std::string admin_password;
    NetworkInfo network_info;
    BlockDeviceInfo block_device_info;
    bool power_on = true;
};

// Nova's hardware.InstanceInfo.
struct InstanceInfo {
    PowerState state = PowerState::kNoState;
    std::string internal_id;  // the hypervisor's id for the guest (libvirt: domain name)
};

enum class RebootType { kSoft, kHard };
std::string_view RebootTypeName(RebootType t);  // "SOFT" / "HARD", as on the wire

// One (architecture, hypervisor type, vm mode) triple of supported_instances.
struct SupportedInstance {
    std::string arch;     // "x86_64"
    std::string hv_type;  // "kvm", "qemu", "fake"
    std::string vm_mode;  // "hvm"
};

// get_available_resource(nodename): the hypervisor's view of one node. The resource tracker
// turns it into the ComputeNode record and the placement inventory.
struct AvailableResource {
    std::int64_t vcpus = 0;
    std::int64_t memory_mb = 0;
    std::int64_t local_gb = 0;
    std::int64_t vcpus_used = 0;
    std::int64_t memory_mb_used = 0;
    std::int64_t local_gb_used = 0;
    std::string hypervisor_type;
    std::int64_t hypervisor_version = 0;  // oslo's convert_version_to_int: "9.0.0" -> 9000000
    std::string hypervisor_hostname;
    std::string cpu_info;  // a JSON text (arch, model, vendor, topology, features)
    std::optional<std::int64_t> disk_available_least;
    std::vector<SupportedInstance> supported_instances;
    std::optional<std::string> numa_topology;
    std::map<std::string, std::string> stats;
};

// Nova's instance.name: instance_name_template 'instance-%08x' over the database id.
std::string InstanceName(const objects::Instance& instance);

// Nova's versionutils.convert_version_to_int: "9.0.0" -> 9000000.
std::int64_t VersionToInt(std::int64_t major, std::int64_t minor, std::int64_t micro);

class ComputeDriver {
public:
    ComputeDriver() = default;
    ComputeDriver(const ComputeDriver&) = delete;
    ComputeDriver& operator=(const ComputeDriver&) = delete;
    virtual ~ComputeDriver() = default;

    // The driver's name as [DEFAULT] compute_driver spells it ("fake.FakeDriver").
    virtual std::string_view Name() const = 0;

    // Connects to the hypervisor and catches up with the guests it runs. Called once, before
    // anything else. Throws HypervisorUnavailable when the hypervisor cannot be reached.
    virtual void InitHost(const std::string& host) = 0;
    // Stops event delivery and disconnects. Optional; the destructor does it too.
    virtual void CleanupHost(const std::string& host) { (void)host; }

    // The guest's power state. Throws InstanceNotFound when the hypervisor has no such guest.
    virtual InstanceInfo GetInfo(const objects::Instance& instance) = 0;
    // UUIDs of every guest the hypervisor knows (init_host reconciles them with the DB).
    virtual std::vector<std::string> ListInstanceUuids() = 0;
    virtual bool InstanceExists(const objects::Instance& instance);

    // Creates and (if options.power_on) starts the guest; it ends RUNNING, or SHUTDOWN when
    // power_on is false. On failure nothing of the guest is left behind. The flavor is
    // instance.flavor.
    virtual void Spawn(const RequestContext& context, const objects::Instance& instance,
                       const objects::ImageMeta& image_meta, const SpawnOptions& options) = 0;
    // Removes the guest from the hypervisor (and its disks when destroy_disks). A guest that
    // is already gone is not an error (logged).
    virtual void Destroy(const RequestContext& context, const objects::Instance& instance,
                         const NetworkInfo& network_info,
                         const BlockDeviceInfo& block_device_info, bool destroy_disks) = 0;
    // Ends RUNNING. Soft asks the guest OS to restart (and falls back to hard when it does
    // not); hard recreates the guest. Throws InstanceRebootFailure.
    virtual void Reboot(const RequestContext& context, const objects::Instance& instance,
                        const NetworkInfo& network_info, RebootType reboot_type,
                        const BlockDeviceInfo& block_device_info) = 0;
    // Ends SHUTDOWN. With timeout > 0 the guest is asked to shut down every retry_interval
    // seconds until it does or the timeout runs out; then it is powered off.
    virtual void PowerOff(const objects::Instance& instance, std::chrono::seconds timeout,
                          std::chrono::seconds retry_interval) = 0;
    // Ends RUNNING.
    virtual void PowerOn(const RequestContext& context, const objects::Instance& instance,
                         const NetworkInfo& network_info,
                         const BlockDeviceInfo& block_device_info) = 0;
    virtual void Pause(const objects::Instance& instance) = 0;
    virtual void Unpause(const objects::Instance& instance) = 0;
    virtual void Suspend(const RequestContext& context, const objects::Instance& instance) = 0;
    virtual void Resume(const RequestContext& context, const objects::Instance& instance,
                        const NetworkInfo& network_info,
                        const BlockDeviceInfo& block_device_info) = 0;

    // --- resize / cold migration hooks ---------------------------------------------------
    // On the source: powers the guest off and moves its disks towards `dest` (the
    // destination's IP). Returns the disk info (a JSON text) finish_migration gets.
    virtual std::string MigrateDiskAndPowerOff(const RequestContext& context,
                                               const objects::Instance& instance,
                                               const std::string& dest,
                                               const objects::Flavor& flavor,
                                               const NetworkInfo& network_info,
                                               const BlockDeviceInfo& block_device_info,
                                               std::chrono::seconds timeout,
                                               std::chrono::seconds retry_interval) = 0;
    // On the destination: creates the guest with the new flavor (instance.flavor) and starts
    // it when power_on.
    virtual void FinishMigration(const RequestContext& context,
                                 const objects::Migration& migration,
                                 const objects::Instance& instance, const std::string& disk_info,
                                 const NetworkInfo& network_info,
                                 const objects::ImageMeta& image_meta, bool resize_instance,
                                 const BlockDeviceInfo& block_device_info, bool power_on) = 0;
    // On the source after confirm: removes what is left of the guest there.
    virtual void ConfirmMigration(const RequestContext& context,
                                  const objects::Migration& migration,
                                  const objects::Instance& instance,
                                  const NetworkInfo& network_info) = 0;
    // On the source after revert: brings the guest back with the old flavor.
    virtual void FinishRevertMigration(const RequestContext& context,
                                       const objects::Instance& instance,
                                       const NetworkInfo& network_info,
                                       const objects::Migration& migration,
                                       const BlockDeviceInfo& block_device_info,
                                       bool power_on) = 0;

    // The guest's console log (the tail, at most 100 KiB). Throws ConsoleNotAvailable when
    // the guest has no file-backed console, InstanceNotFound when there is no guest.
    virtual std::string GetConsoleOutput(const RequestContext& context,
                                         const objects::Instance& instance) = 0;

    // The hypervisor's resources for `nodename` (one of GetAvailableNodes()).
    virtual AvailableResource GetAvailableResource(const std::string& nodename) = 0;
    // The nodes this driver manages: [hypervisor hostname] for both drivers.
    virtual std::vector<std::string> GetAvailableNodes(bool refresh = false) = 0;
    bool NodeIsAvailable(const std::string& nodename);

    // Nova's register_event_listener: one callback, replaced by the next registration; an
    // empty callback stops delivery (events are then dropped, logged at debug).
    void RegisterEventListener(EventCallback callback);

protected:
    // Nova's emit_event: hands the event to the listener; a listener's exception is logged
    // and swallowed, so a driver's event thread never dies of it.
    void EmitEvent(const LifecycleEvent& event);

private:
    std::mutex listener_mutex_;
    std::shared_ptr<const EventCallback> listener_;  // copied out, called without the lock
};

}  // namespace nova::virt
