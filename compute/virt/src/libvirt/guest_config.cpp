#include "guest_config.hpp"

#include <fmt/format.h>

#include "nova/common/assert.hpp"
#include "nova/common/error.hpp"

namespace nova::virt::libvirt {

namespace {

const objects::ImageMetaProps* Props(const objects::ImageMeta* image_meta) {
    if (!image_meta || !image_meta->has_properties()) return nullptr;
    return &image_meta->properties();
}

bool IsX86(const std::string& arch) { return arch == "x86_64" || arch == "i686"; }

std::string Attr(const std::string& s) { return XmlEscape(s); }

}  // namespace

std::string XmlEscape(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string MachineType(const conf::LibvirtOptions& options, const std::string& arch,
                        const objects::ImageMeta* image_meta) {
    if (auto* p = Props(image_meta); p && p->has_hw_machine_type() && !p->hw_machine_type().empty()) {
        return p->hw_machine_type();
    }
    if (options.hw_machine_type) {
        for (const auto& mapping : *options.hw_machine_type) {
            auto eq = mapping.find('=');
            if (eq == std::string::npos || eq + 1 == mapping.size()) continue;
            if (mapping.substr(0, eq) == arch) return mapping.substr(eq + 1);
        }
    }
    if (arch == "armv7l" || arch == "aarch64") return "virt";
    if (arch == "ppc64le") return "pseries";
    if (arch == "s390" || arch == "s390x") return "s390-ccw-virtio";
    return "pc";
}

CpuTopology GuestTopology(std::int64_t vcpus, const objects::ImageMeta* image_meta) {
    CpuTopology preferred{vcpus > 0 ? vcpus : 1, 1, 1};
    const auto* p = Props(image_meta);
    if (!p) return preferred;
    std::int64_t s = p->has_hw_cpu_sockets() ? p->hw_cpu_sockets() : 0;
    std::int64_t c = p->has_hw_cpu_cores() ? p->hw_cpu_cores() : 0;
    std::int64_t t = p->has_hw_cpu_threads() ? p->hw_cpu_threads() : 0;
    if (s <= 0 && c <= 0 && t <= 0) return preferred;
    if (t <= 0) t = 1;
    if (c <= 0 && s > 0 && vcpus % (s * t) == 0) c = vcpus / (s * t);
    if (c <= 0) c = 1;
    if (s <= 0 && vcpus % (c * t) == 0) s = vcpus / (c * t);
    if (s > 0 && s * c * t == vcpus) return CpuTopology{s, c, t};
    return preferred;
}

std::string DiskBus(const conf::LibvirtOptions& options, const objects::ImageMeta* image_meta) {
    if (auto* p = Props(image_meta); p && p->has_hw_disk_bus() && !p->hw_disk_bus().empty()) {
        return p->hw_disk_bus();
    }
    if (options.virt_type == "lxc") return "lxc";
    if (options.virt_type == "parallels") return "sata";
    return "virtio";
}

std::string DiskDevice(const std::string& bus, int index) {
    std::string prefix = "vd";
    if (bus == "scsi" || bus == "sata" || bus == "usb") prefix = "sd";
    if (bus == "ide") prefix = "hd";
    if (bus == "xen") prefix = "xvd";
    std::string letters;
    int n = index;
    do {
        letters.insert(letters.begin(), static_cast<char>('a' + n % 26));
        n = n / 26 - 1;
    } while (n >= 0);
    return prefix + letters;
}

std::string BuildDomainXml(const conf::LibvirtOptions& options, const GuestInputs& in) {
    NOVA_CHECK(in.instance != nullptr, "BuildDomainXml without an instance");
    const auto& instance = *in.instance;
    const auto& flavor = instance.flavor();
    const auto* props = Props(in.image_meta);
    const std::string arch =
        props && props->has_hw_architecture() && !props->hw_architecture().empty()
            ? props->hw_architecture()
            : in.host_arch;
    const std::int64_t vcpus = flavor.vcpus() > 0 ? flavor.vcpus() : 1;
    const std::int64_t memory_kib = flavor.memory_mb() * 1024;
    const std::string name = InstanceName(instance);

    std::string x;
    auto line = [&x](std::string_view s) {
        x += s;
        x += '\n';
    };

    line(fmt::format("<domain type=\"{}\">", Attr(options.virt_type)));
    line(fmt::format("  <uuid>{}</uuid>", XmlEscape(instance.uuid())));
    line(fmt::format("  <name>{}</name>", XmlEscape(name)));
    line(fmt::format("  <memory unit=\"KiB\">{}</memory>", memory_kib));
    line(fmt::format("  <currentMemory unit=\"KiB\">{}</currentMemory>", memory_kib));
    line(fmt::format("  <vcpu placement=\"static\">{}</vcpu>", vcpus));

    // Nova's instance metadata, so that `virsh dumpxml` tells an operator whose guest it is.
    line("  <metadata>");
    line("    <nova:instance xmlns:nova=\"http://openstack.org/xmlns/libvirt/nova/1.1\">");
    line(fmt::format("      <nova:package version=\"{}\"/>", Attr(in.nova_version)));
    line(fmt::format("      <nova:name>{}</nova:name>",
                     XmlEscape(instance.has_display_name() ? instance.display_name() : name)));
    line(fmt::format("      <nova:flavor name=\"{}\">", Attr(flavor.name())));
    line(fmt::format("        <nova:memory>{}</nova:memory>", flavor.memory_mb()));
    line(fmt::format("        <nova:disk>{}</nova:disk>", flavor.root_gb()));
    line(fmt::format("        <nova:swap>{}</nova:swap>", flavor.swap()));
    line(fmt::format("        <nova:ephemeral>{}</nova:ephemeral>", flavor.ephemeral_gb()));
    line(fmt::format("        <nova:vcpus>{}</nova:vcpus>", vcpus));
    line("      </nova:flavor>");
    line("      <nova:owner>");
    line(fmt::format("        <nova:user uuid=\"{}\"/>", Attr(instance.user_id())));
    line(fmt::format("        <nova:project uuid=\"{}\"/>", Attr(instance.project_id())));
    line("      </nova:owner>");
    if (instance.has_image_ref() && !instance.image_ref().empty()) {
        line(fmt::format("      <nova:root type=\"image\" uuid=\"{}\"/>",
                         Attr(instance.image_ref())));
    }
    line("    </nova:instance>");
    line("  </metadata>");

    const bool kvm_like = options.virt_type == "kvm" || options.virt_type == "qemu";
    if (kvm_like) {
        line("  <sysinfo type=\"smbios\">");
        line("    <system>");
        line("      <entry name=\"manufacturer\">OpenStack Foundation</entry>");
        line("      <entry name=\"product\">OpenStack Nova</entry>");
        line(fmt::format("      <entry name=\"version\">{}</entry>", XmlEscape(in.nova_version)));
        line(fmt::format("      <entry name=\"serial\">{}</entry>", XmlEscape(instance.uuid())));
        line(fmt::format("      <entry name=\"uuid\">{}</entry>", XmlEscape(instance.uuid())));
        line("      <entry name=\"family\">Virtual Machine</entry>");
        line("    </system>");
        line("  </sysinfo>");
    }

    if (options.virt_type == "lxc") {
        line("  <os>");
        line("    <type>exe</type>");
        line("    <init>/sbin/init</init>");
        line("  </os>");
    } else {
        line("  <os>");
        line(fmt::format("    <type arch=\"{}\" machine=\"{}\">hvm</type>", Attr(arch),
                         Attr(MachineType(options, arch, in.image_meta))));
        line("    <boot dev=\"hd\"/>");
        if (kvm_like && IsX86(arch)) line("    <smbios mode=\"sysinfo\"/>");
        line("  </os>");
    }

    if (kvm_like && IsX86(arch)) {
        line("  <features>");
        line("    <acpi/>");
        line("    <apic/>");
        line("  </features>");
    }

    // The guest CPU: [libvirt] cpu_mode, the topology from the image.
    auto topology = GuestTopology(vcpus, in.image_meta);
    const std::string topo = fmt::format("<topology sockets=\"{}\" cores=\"{}\" threads=\"{}\"/>",
                                         topology.sockets, topology.cores, topology.threads);
    const std::string mode = options.CpuMode();
    if (kvm_like) {
        if (mode == "host-model") {
            line("  <cpu mode=\"host-model\" match=\"exact\">");
        } else if (mode == "host-passthrough") {
            line("  <cpu mode=\"host-passthrough\">");
        } else if (mode == "custom") {
            if (options.cpu_models.empty()) {
                throw Invalid::WithMessage(
                    "[libvirt] cpu_mode=custom needs a model in [libvirt] cpu_models");
            }
            line("  <cpu mode=\"custom\" match=\"exact\">");
            line(fmt::format("    <model fallback=\"forbid\">{}</model>",
                             XmlEscape(options.cpu_models.front())));
        } else {
            line("  <cpu>");
        }
        line("    " + topo);
        line("  </cpu>");
    }

    const bool windows = instance.has_os_type() && instance.os_type() == "windows";
    line(fmt::format("  <clock offset=\"{}\">", windows ? "localtime" : "utc"));
    if (kvm_like && IsX86(arch)) {
        line("    <timer name=\"pit\" tickpolicy=\"delay\"/>");
        line("    <timer name=\"rtc\" tickpolicy=\"catchup\"/>");
        line("    <timer name=\"hpet\" present=\"no\"/>");
    }
    line("  </clock>");
    line("  <on_poweroff>destroy</on_poweroff>");
    line("  <on_reboot>restart</on_reboot>");
    line("  <on_crash>destroy</on_crash>");

    line("  <devices>");
    const std::string bus = DiskBus(options, in.image_meta);
    int disk_index = 0;
    auto file_disk = [&](const std::string& file, const std::string& format) {
        line("    <disk type=\"file\" device=\"disk\">");
        line(fmt::format("      <driver name=\"qemu\" type=\"{}\" cache=\"{}\"/>", Attr(format),
                         Attr(in.disk_cachemode)));
        line(fmt::format("      <source file=\"{}/{}\"/>", Attr(in.instance_dir), Attr(file)));
        line(fmt::format("      <target dev=\"{}\" bus=\"{}\"/>",
                         DiskDevice(bus, disk_index++), Attr(bus)));
        line("    </disk>");
    };
    if (options.virt_type != "lxc") {
        // The image-backed root disk (a volume-backed instance boots from its volume).
        if (instance.has_image_ref() && !instance.image_ref().empty()) file_disk("disk", "qcow2");
        if (flavor.ephemeral_gb() > 0) file_disk("disk.eph0", "qcow2");
        if (flavor.swap() > 0) file_disk("disk.swap", "qcow2");
    }
    if (bus == "scsi") {
        std::string model = props && props->has_hw_scsi_model() && !props->hw_scsi_model().empty()
                                ? props->hw_scsi_model()
                                : std::string("virtio-scsi");
        line(fmt::format("    <controller type=\"scsi\" index=\"0\" model=\"{}\"/>", Attr(model)));
    }

    if (in.network_info) {
        const std::string vif_model =
            props && props->has_hw_vif_model() && !props->hw_vif_model().empty()
                ? props->hw_vif_model()
                : std::string("virtio");
        for (const auto& vif : *in.network_info) {
            if (vif.type == "ovs" || vif.type == "bridge") {
                line("    <interface type=\"bridge\">");
                line(fmt::format("      <mac address=\"{}\"/>", Attr(vif.address)));
                line(fmt::format("      <model type=\"{}\"/>", Attr(vif_model)));
                line(fmt::format("      <source bridge=\"{}\"/>", Attr(vif.bridge)));
                if (vif.type == "ovs") {
                    line("      <virtualport type=\"openvswitch\">");
                    line(fmt::format("        <parameters interfaceid=\"{}\"/>", Attr(vif.id)));
                    line("      </virtualport>");
                }
            } else {
                line("    <interface type=\"ethernet\">");
                line(fmt::format("      <mac address=\"{}\"/>", Attr(vif.address)));
                line(fmt::format("      <model type=\"{}\"/>", Attr(vif_model)));
            }
            if (!vif.devname.empty()) {
                line(fmt::format("      <target dev=\"{}\"/>", Attr(vif.devname)));
            }
            if (vif.mtu) line(fmt::format("      <mtu size=\"{}\"/>", *vif.mtu));
            line("    </interface>");
        }
    }

    // The serial console goes to a log file that get_console_output reads (virtlogd keeps
    // it), as Nova does when the serial console proxy is off.
    line("    <serial type=\"pty\">");
    line(fmt::format("      <log file=\"{}/console.log\" append=\"off\"/>", Attr(in.instance_dir)));
    line("    </serial>");
    if (kvm_like) {
        line("    <input type=\"tablet\" bus=\"usb\"/>");
        line("    <graphics type=\"vnc\" autoport=\"yes\" listen=\"127.0.0.1\"/>");
        const std::string video =
            props && props->has_hw_video_model() && !props->hw_video_model().empty()
                ? props->hw_video_model()
                : std::string("virtio");
        line("    <video>");
        line(fmt::format("      <model type=\"{}\"/>", Attr(video)));
        line("    </video>");
        line("    <memballoon model=\"virtio\">");
        line("      <stats period=\"10\"/>");
        line("    </memballoon>");
    }
    line("  </devices>");
    line("</domain>");
    return x;
}

}  // namespace nova::virt::libvirt
