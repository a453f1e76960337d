#pragma once
// The libvirt domain XML of an instance, built from its flavor, its image properties and the
// [libvirt] options (Nova's LibvirtDriver._get_guest_config / nova/virt/libvirt/config.py).
// Pure: no libvirt calls, so it is unit-tested on its own.
#include <cstdint>
#include <string>
#include <vector>

#include "nova/conf/libvirt.hpp"
#include "nova/objects/image_meta.pb.h"
#include "nova/objects/instance.pb.h"
#include "nova/virt/driver.hpp"

namespace nova::virt::libvirt {

struct GuestInputs {
    const objects::Instance* instance = nullptr;
    const objects::ImageMeta* image_meta = nullptr;
    const NetworkInfo* network_info = nullptr;
    const BlockDeviceInfo* block_device_info = nullptr;
    std::string host_arch = "x86_64";  // from the host's capabilities
    std::string instance_dir;          // <instances_path>/<uuid>
    std::string disk_cachemode = "none";
    std::string nova_version = "26.2.2";
};

// "pc" for x86, "virt" for ARM, ... or [libvirt] hw_machine_type's entry for the arch; an
// image's hw_machine_type wins over both.
std::string MachineType(const conf::LibvirtOptions& options, const std::string& arch,
                        const objects::ImageMeta* image_meta);

struct CpuTopology {
    std::int64_t sockets = 1;
    std::int64_t cores = 1;
    std::int64_t threads = 1;
};
// The guest CPU topology: the image's hw_cpu_sockets/cores/threads when they multiply out
// to the flavor's vcpus (missing ones filled in), else one socket per vCPU (Nova's
// preference when nothing is asked for).
CpuTopology GuestTopology(std::int64_t vcpus, const objects::ImageMeta* image_meta);

// The disk bus for the root disk: the image's hw_disk_bus, else virtio for kvm/qemu.
std::string DiskBus(const conf::LibvirtOptions& options, const objects::ImageMeta* image_meta);
// "vda" for virtio, "sda" for scsi/sata/usb, "hda" for ide; index 0 is the root disk.
std::string DiskDevice(const std::string& bus, int index);

std::string BuildDomainXml(const conf::LibvirtOptions& options, const GuestInputs& inputs);

// XML text escaping for element content and attribute values.
std::string XmlEscape(const std::string& text);

}  // namespace nova::virt::libvirt
