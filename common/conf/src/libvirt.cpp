#include "nova/conf/libvirt.hpp"

namespace nova::conf {

std::string LibvirtOptions::Uri() const {
    if (!connection_uri.empty()) return connection_uri;
    if (virt_type == "lxc") return "lxc:///";
    if (virt_type == "parallels") return "parallels:///system";
    return "qemu:///system";
}

std::string LibvirtOptions::CpuMode() const {
    if (cpu_mode) return *cpu_mode;
    return (virt_type == "kvm" || virt_type == "qemu") ? "host-model" : "none";
}

void LibvirtOptions::Declare(Schema<LibvirtOptions>& s) {
    s.Opt("virt_type", &LibvirtOptions::virt_type, std::string("kvm"),
          "The libvirt domain type: kvm (hardware virtualisation), qemu (emulation, for hosts "
          "without KVM), lxc or parallels. Also picks the default connection URI.")
        .Choices({"kvm", "lxc", "qemu", "parallels"});
    s.Opt("connection_uri", &LibvirtOptions::connection_uri, std::string(),
          "The libvirt URI to connect to, overriding the one derived from virt_type "
          "(qemu:///system for kvm and qemu, lxc:/// for lxc, parallels:///system for "
          "parallels). test:///default is libvirt's in-process test hypervisor.");
    s.Opt("cpu_mode", &LibvirtOptions::cpu_mode,
          "The guest CPU mode: host-model, host-passthrough, custom (the first of cpu_models) "
          "or none. Unset: host-model for kvm and qemu, none otherwise.")
        .Choices({"host-model", "host-passthrough", "custom", "none"});
    s.Opt("cpu_models", &LibvirtOptions::cpu_models, std::vector<std::string>{},
          "CPU models for cpu_mode=custom, in order of preference.")
        .DeprecatedName("cpu_model");
    s.Opt("hw_machine_type", &LibvirtOptions::hw_machine_type,
          "Default machine type per host architecture, as arch=machine pairs (for example "
          "x86_64=pc-q35-7.2,aarch64=virt). An image's hw_machine_type property overrides it. "
          "Unset: pc for x86_64 and i686, virt for ARM.");
    s.Opt("disk_cachemodes_default", &LibvirtOptions::disk_cachemodes_default,
          "nova-cpp: the cache mode of file-backed instance disks. Unset: 'none' when the "
          "instances path supports O_DIRECT, 'writeback' otherwise (Nova's rule).")
        .Choices({"none", "writethrough", "writeback", "directsync", "unsafe"});
    s.Opt("wait_soft_reboot_seconds", &LibvirtOptions::wait_soft_reboot_seconds, 120,
          "Seconds to wait for a guest to shut down during a soft reboot before falling back "
          "to a hard reboot.");
}

}  // namespace nova::conf
