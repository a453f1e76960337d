#include "guest_config.hpp"

#include <doctest/doctest.h>

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

#include <sstream>

#include "nova/common/error.hpp"

namespace nova::virt::libvirt {
namespace {

namespace pt = boost::property_tree;

pt::ptree Parse(const std::string& xml) {
    std::istringstream in(xml);
    pt::ptree tree;
    pt::read_xml(in, tree);
    return tree.get_child("domain");
}

conf::LibvirtOptions Options() {
    conf::LibvirtOptions o{};
    o.virt_type = "kvm";
    return o;
}

objects::Instance Instance() {
    objects::Instance i;
    i.set_uuid("0e7b1a2c-5d4f-4e3a-9b8c-7d6e5f4a3b2c");
    i.set_id(0x2a);
    i.set_image_ref("155d900f-4e14-4e4c-a73d-069cbf4541e6");
    i.set_display_name("web <1> & co");
    i.set_project_id("proj");
    i.set_user_id("user");
    auto* f = i.mutable_flavor();
    f->set_name("m1.small");
    f->set_vcpus(2);
    f->set_memory_mb(2048);
    f->set_root_gb(20);
    return i;
}

}  // namespace

TEST_CASE("a kvm guest from its flavor: vcpus, memory, machine, cpu, disk, console") {
    auto instance = Instance();
    objects::ImageMeta image;
    NetworkInfo nets;
    BlockDeviceInfo bdi;
    GuestInputs in{&instance, &image, &nets, &bdi, "x86_64", "/var/lib/nova/instances/u", "none",
                   "26.2.2"};
    auto dom = Parse(BuildDomainXml(Options(), in));
    CHECK(dom.get<std::string>("<xmlattr>.type") == "kvm");
    CHECK(dom.get<std::string>("name") == "instance-0000002a");
    CHECK(dom.get<std::string>("uuid") == instance.uuid());
    CHECK(dom.get<int>("vcpu") == 2);
    CHECK(dom.get<long>("memory") == 2048 * 1024);
    CHECK(dom.get<std::string>("memory.<xmlattr>.unit") == "KiB");
    CHECK(dom.get<std::string>("os.type") == "hvm");
    CHECK(dom.get<std::string>("os.type.<xmlattr>.machine") == "pc");
    CHECK(dom.get<std::string>("os.type.<xmlattr>.arch") == "x86_64");
    CHECK(dom.count("features") == 1);
    CHECK(dom.get_child("features").count("acpi") == 1);
    CHECK(dom.get<std::string>("cpu.<xmlattr>.mode") == "host-model");
    CHECK(dom.get<int>("cpu.topology.<xmlattr>.sockets") == 2);
    CHECK(dom.get<int>("cpu.topology.<xmlattr>.cores") == 1);
    CHECK(dom.get<std::string>("devices.disk.source.<xmlattr>.file") ==
          "/var/lib/nova/instances/u/disk");
    CHECK(dom.get<std::string>("devices.disk.target.<xmlattr>.dev") == "vda");
    CHECK(dom.get<std::string>("devices.disk.target.<xmlattr>.bus") == "virtio");
    CHECK(dom.get<std::string>("devices.disk.driver.<xmlattr>.type") == "qcow2");
    CHECK(dom.get<std::string>("devices.disk.driver.<xmlattr>.cache") == "none");
    CHECK(dom.get<std::string>("devices.serial.log.<xmlattr>.file") ==
          "/var/lib/nova/instances/u/console.log");
    CHECK(dom.get<std::string>("metadata.nova:instance.nova:name") == "web <1> & co");
    CHECK(dom.get<std::string>("metadata.nova:instance.nova:flavor.<xmlattr>.name") == "m1.small");
    CHECK(dom.get<std::string>("on_crash") == "destroy");
}

TEST_CASE("image properties: machine type, disk bus, cpu topology, vif and video models") {
    auto instance = Instance();
    instance.mutable_flavor()->set_vcpus(4);
    instance.mutable_flavor()->set_ephemeral_gb(5);
    instance.mutable_flavor()->set_swap(512);
    objects::ImageMeta image;
    auto* p = image.mutable_properties();
    p->set_hw_machine_type("q35");
    p->set_hw_disk_bus("scsi");
    p->set_hw_cpu_sockets(1);
    p->set_hw_cpu_threads(2);
    p->set_hw_vif_model("e1000");
    p->set_hw_video_model("vga");
    NetworkInfo nets{Vif{"port-1", "fa:16:3e:00:00:01", "ovs", "tap1", "br-int", "normal", 1450}};
    BlockDeviceInfo bdi;
    GuestInputs in{&instance, &image, &nets, &bdi, "x86_64", "/i/u", "writeback", "26.2.2"};
    auto dom = Parse(BuildDomainXml(Options(), in));
    CHECK(dom.get<std::string>("os.type.<xmlattr>.machine") == "q35");
    CHECK(dom.get<int>("cpu.topology.<xmlattr>.sockets") == 1);
    CHECK(dom.get<int>("cpu.topology.<xmlattr>.cores") == 2);
    CHECK(dom.get<int>("cpu.topology.<xmlattr>.threads") == 2);
    std::vector<std::string> devs;
    for (const auto& [tag, node] : dom.get_child("devices")) {
        if (tag == "disk") devs.push_back(node.get<std::string>("target.<xmlattr>.dev"));
    }
    CHECK(devs == std::vector<std::string>{"sda", "sdb", "sdc"});
    CHECK(dom.get<std::string>("devices.controller.<xmlattr>.model") == "virtio-scsi");
    CHECK(dom.get<std::string>("devices.interface.<xmlattr>.type") == "bridge");
    CHECK(dom.get<std::string>("devices.interface.mac.<xmlattr>.address") == "fa:16:3e:00:00:01");
    CHECK(dom.get<std::string>("devices.interface.model.<xmlattr>.type") == "e1000");
    CHECK(dom.get<std::string>("devices.interface.virtualport.parameters.<xmlattr>.interfaceid") ==
          "port-1");
    CHECK(dom.get<int>("devices.interface.mtu.<xmlattr>.size") == 1450);
    CHECK(dom.get<std::string>("devices.video.model.<xmlattr>.type") == "vga");
    CHECK(dom.get<std::string>("devices.disk.driver.<xmlattr>.cache") == "writeback");
}

TEST_CASE("[libvirt] options: machine type per arch, cpu modes, volume-backed root") {
    auto options = Options();
    options.hw_machine_type = std::vector<std::string>{"x86_64=pc-q35-7.2", "aarch64=virt-7.2", "bad"};
    CHECK(MachineType(options, "x86_64", nullptr) == "pc-q35-7.2");
    CHECK(MachineType(options, "aarch64", nullptr) == "virt-7.2");
    CHECK(MachineType(Options(), "aarch64", nullptr) == "virt");
    CHECK(MachineType(Options(), "s390x", nullptr) == "s390-ccw-virtio");

    auto instance = Instance();
    instance.clear_image_ref();
    objects::ImageMeta image;
    NetworkInfo nets;
    BlockDeviceInfo bdi;
    GuestInputs in{&instance, &image, &nets, &bdi, "x86_64", "/i/u", "none", "26.2.2"};

    options.cpu_mode = "host-passthrough";
    auto dom = Parse(BuildDomainXml(options, in));
    CHECK(dom.get<std::string>("cpu.<xmlattr>.mode") == "host-passthrough");
    CHECK(dom.get_child("devices").count("disk") == 0);

    options.cpu_mode = "custom";
    CHECK_THROWS_AS(BuildDomainXml(options, in), Invalid);
    options.cpu_models = {"Haswell-noTSX", "Broadwell"};
    dom = Parse(BuildDomainXml(options, in));
    CHECK(dom.get<std::string>("cpu.model") == "Haswell-noTSX");

    options.cpu_mode = "none";
    dom = Parse(BuildDomainXml(options, in));
    CHECK(dom.get_child("cpu").count("<xmlattr>") == 0);
    CHECK(dom.get<int>("cpu.topology.<xmlattr>.sockets") == 2);
}

TEST_CASE("topology and device names") {
    objects::ImageMeta image;
    image.mutable_properties()->set_hw_cpu_sockets(3);  // 3 does not divide 4
    auto t = GuestTopology(4, &image);
    CHECK(t.sockets == 4);
    CHECK(t.cores == 1);
    image.mutable_properties()->set_hw_cpu_sockets(2);
    t = GuestTopology(4, &image);
    CHECK(t.sockets == 2);
    CHECK(t.cores == 2);
    CHECK(DiskDevice("virtio", 0) == "vda");
    CHECK(DiskDevice("ide", 1) == "hdb");
    CHECK(DiskDevice("virtio", 26) == "vdaa");
    CHECK(XmlEscape("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&apos;");
}

}  // namespace nova::virt::libvirt
