#pragma once
// [libvirt]: the libvirt virt driver. Names and defaults are Nova's (nova/conf/libvirt.py, Zed).
#include <optional>
#include <string>
#include <vector>

#include "nova/conf/schema.hpp"

namespace nova::conf {

struct LibvirtOptions {
    static constexpr std::string_view kGroup = "libvirt";
    static constexpr std::string_view kHelp = "Libvirt options (the libvirt.LibvirtDriver).";
    std::string virt_type;
    std::string connection_uri;
    std::optional<std::string> cpu_mode;
    std::vector<std::string> cpu_models;
    std::optional<std::vector<std::string>> hw_machine_type;
    std::optional<std::string> disk_cachemodes_default;
    int wait_soft_reboot_seconds;
    static void Declare(Schema<LibvirtOptions>& s);

    // The URI the driver connects to: connection_uri, or the one Nova derives from virt_type.
    std::string Uri() const;
    // cpu_mode, or Nova's default: host-model for kvm/qemu, none otherwise.
    std::string CpuMode() const;
};

}  // namespace nova::conf
