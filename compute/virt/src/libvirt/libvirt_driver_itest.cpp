// The libvirt driver against libvirt's in-process test hypervisor (test:///default): no
// daemon, but the real C API, domain XML parsing and lifecycle events.
#include "nova/virt/libvirt_driver.hpp"

#include <doctest/doctest.h>

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>

#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"
#include "nova/virt/load.hpp"

namespace nova::virt {
namespace {

namespace fs = std::filesystem;
namespace pt = boost::property_tree;

struct Events {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<LifecycleEvent> seen;

    void Add(const LifecycleEvent& e) {
        std::lock_guard lock(mutex);
        seen.push_back(e);
        cv.notify_all();
    }
    // Waits (up to 5 s) for `transition` of `uuid`.
    bool WaitFor(const std::string& uuid, Transition transition) {
        std::unique_lock lock(mutex);
        return cv.wait_for(lock, std::chrono::seconds(5), [&] {
            for (const auto& e : seen) {
                if (e.instance_uuid == uuid && e.transition == transition) return true;
            }
            return false;
        });
    }
    void Clear() {
        std::lock_guard lock(mutex);
        seen.clear();
    }
};

struct Fixture {
    SystemClock clock;
    RequestContext ctx;
    Events events;
    fs::path dir;
    std::unique_ptr<LibvirtDriver> driver;

    Fixture() {
        dir = fs::temp_directory_path() / ("nova-virt-itest-" + GenerateUuidHex());
        LibvirtDriverOptions options;
        options.libvirt.virt_type = "kvm";
        options.libvirt.connection_uri = "test:///default";
        options.libvirt.wait_soft_reboot_seconds = 5;
        options.instances_path = dir.string();
        options.my_ip = "192.0.2.1";
        driver = std::make_unique<LibvirtDriver>(options, clock,
                                                 [](std::chrono::duration<double>) {});
        driver->RegisterEventListener([this](const LifecycleEvent& e) { events.Add(e); });
        driver->InitHost("compute1");
    }
    ~Fixture() {
        driver.reset();
        std::error_code ec;
        if (!std::getenv("NOVA_KEEP")) fs::remove_all(dir, ec);
    }

    static objects::Instance MakeInstance(std::int64_t vcpus = 2, std::int64_t memory_mb = 2048) {
        static std::mt19937_64 rng(std::random_device{}());
        objects::Instance i;
        i.set_uuid(GenerateUuid());
        i.set_id(static_cast<std::int64_t>(rng() % 0x7fffffff) + 1);
        i.set_image_ref("155d900f-4e14-4e4c-a73d-069cbf4541e6");
        auto* f = i.mutable_flavor();
        f->set_name("m1.test");
        f->set_vcpus(vcpus);
        f->set_memory_mb(memory_mb);
        f->set_root_gb(1);
        return i;
    }
    pt::ptree Xml(const objects::Instance& instance) {
        std::istringstream in(driver->GetDomainXml(instance));
        pt::ptree tree;
        pt::read_xml(in, tree);
        return tree.get_child("domain");
    }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "spawn defines and starts a domain with the flavor's vcpus and memory") {
    auto instance = MakeInstance(2, 2048);
    driver->Spawn(ctx, instance, objects::ImageMeta(), SpawnOptions{});
    CHECK(driver->GetInfo(instance).state == PowerState::kRunning);
    CHECK(driver->GetInfo(instance).internal_id == InstanceName(instance));
    auto uuids = driver->ListInstanceUuids();
    CHECK(std::find(uuids.begin(), uuids.end(), instance.uuid()) != uuids.end());
    CHECK(events.WaitFor(instance.uuid(), Transition::kStarted));

    auto dom = Xml(instance);
    CHECK(dom.get<int>("vcpu") == 2);
    CHECK(dom.get<long>("memory") == 2048 * 1024);
    CHECK(dom.get<std::string>("uuid") == instance.uuid());
    CHECK(dom.get<std::string>("name") == InstanceName(instance));
    CHECK(dom.get<std::string>("devices.disk.source.<xmlattr>.file") ==
          (dir / instance.uuid() / "disk").string());
    CHECK(fs::is_directory(dir / instance.uuid()));

    CHECK_THROWS_AS(driver->Spawn(ctx, instance, objects::ImageMeta(), SpawnOptions{}),
                    ::nova::InstanceExists);

    driver->Destroy(ctx, instance, {}, {}, true);
    CHECK(events.WaitFor(instance.uuid(), Transition::kStopped));
    CHECK_THROWS_AS(driver->GetInfo(instance), InstanceNotFound);
    uuids = driver->ListInstanceUuids();
    CHECK(std::find(uuids.begin(), uuids.end(), instance.uuid()) == uuids.end());
    CHECK_FALSE(fs::exists(dir / instance.uuid()));
    CHECK_NOTHROW(driver->Destroy(ctx, instance, {}, {}, true));
}

TEST_CASE_FIXTURE(Fixture, "power operations change the power state and emit events") {
    auto instance = MakeInstance();
    driver->Spawn(ctx, instance, objects::ImageMeta(), SpawnOptions{});
    const auto& uuid = instance.uuid();

    driver->Pause(instance);
    CHECK(driver->GetInfo(instance).state == PowerState::kPaused);
    CHECK(events.WaitFor(uuid, Transition::kPaused));
    driver->Unpause(instance);
    CHECK(driver->GetInfo(instance).state == PowerState::kRunning);
    CHECK(events.WaitFor(uuid, Transition::kResumed));

    // Suspend is a managed save: the guest is shut off with its memory on disk.
    events.Clear();
    driver->Suspend(ctx, instance);
    CHECK(driver->GetInfo(instance).state == PowerState::kShutdown);
    CHECK(events.WaitFor(uuid, Transition::kStopped));
    driver->Resume(ctx, instance, {}, {});
    CHECK(driver->GetInfo(instance).state == PowerState::kRunning);
    CHECK(events.WaitFor(uuid, Transition::kStarted));

    // A clean shutdown (timeout) and a hard one.
    driver->PowerOff(instance, std::chrono::seconds(5), std::chrono::seconds(1));
    CHECK(driver->GetInfo(instance).state == PowerState::kShutdown);
    CHECK_THROWS_AS(driver->Pause(instance), InstanceNotRunning);
    driver->PowerOn(ctx, instance, {}, {});
    CHECK(driver->GetInfo(instance).state == PowerState::kRunning);
    driver->PowerOff(instance, std::chrono::seconds(0), std::chrono::seconds(0));
    CHECK(driver->GetInfo(instance).state == PowerState::kShutdown);

    // Reboots end running, from running or shut off.
    driver->Reboot(ctx, instance, {}, RebootType::kSoft, {});
    CHECK(driver->GetInfo(instance).state == PowerState::kRunning);
    driver->Reboot(ctx, instance, {}, RebootType::kSoft, {});
    CHECK(driver->GetInfo(instance).state == PowerState::kRunning);
    driver->Reboot(ctx, instance, {}, RebootType::kHard, {});
    CHECK(driver->GetInfo(instance).state == PowerState::kRunning);

    driver->Destroy(ctx, instance, {}, {}, true);
    auto missing = MakeInstance();
    CHECK_THROWS_AS(driver->PowerOff(missing, {}, {}), InstanceNotFound);
    CHECK_THROWS_AS(driver->Pause(missing), InstanceNotFound);
    CHECK_THROWS_AS(driver->GetConsoleOutput(ctx, missing), InstanceNotFound);
}

TEST_CASE_FIXTURE(Fixture, "spawn with power_on=false and a failed define leave the right state") {
    auto stopped = MakeInstance();
    SpawnOptions options;
    options.power_on = false;
    driver->Spawn(ctx, stopped, objects::ImageMeta(), options);
    CHECK(driver->GetInfo(stopped).state == PowerState::kShutdown);

    // Same name (same id), other uuid: libvirt refuses; nothing of it is left behind.
    auto clash = MakeInstance();
    clash.set_id(stopped.id());
    CHECK_THROWS_AS(driver->Spawn(ctx, clash, objects::ImageMeta(), SpawnOptions{}),
                    InstanceDeployFailure);
    CHECK_FALSE(driver->InstanceExists(clash));
    CHECK_FALSE(fs::exists(dir / clash.uuid()));
    CHECK(driver->InstanceExists(stopped));
    driver->Destroy(ctx, stopped, {}, {}, true);
}

TEST_CASE_FIXTURE(Fixture, "console output comes from the serial log") {
    auto instance = MakeInstance();
    driver->Spawn(ctx, instance, objects::ImageMeta(), SpawnOptions{});
    CHECK(driver->GetConsoleOutput(ctx, instance).empty());
    {
        std::ofstream log(dir / instance.uuid() / "console.log");
        log << std::string(150 * 1024, 'x') << "login: ";
    }
    auto out = driver->GetConsoleOutput(ctx, instance);
    CHECK(out.size() == 100 * 1024);
    CHECK(out.substr(out.size() - 7) == "login: ");
    driver->Destroy(ctx, instance, {}, {}, true);
}

TEST_CASE_FIXTURE(Fixture, "host resources are read from libvirt") {
    auto r = driver->GetAvailableResource("ignored");
    // test:///default describes a 16-CPU, 3 GiB host.
    CHECK(r.vcpus == 16);
    CHECK(r.memory_mb == 3072);
    CHECK(r.hypervisor_type == "TEST");  // "QEMU" on a KVM host
    CHECK(r.hypervisor_version > 0);
    CHECK_FALSE(r.hypervisor_hostname.empty());
    CHECK(r.local_gb > 0);
    auto cpu = Json::parse(r.cpu_info);
    CHECK(cpu.contains("arch"));
    CHECK(cpu["topology"]["sockets"].get<int>() > 0);
    CHECK_FALSE(r.supported_instances.empty());
    CHECK(driver->GetAvailableNodes() == std::vector<std::string>{r.hypervisor_hostname});

    // A running guest counts in vcpus_used.
    auto instance = MakeInstance(3, 512);
    const auto before = r.vcpus_used;
    driver->Spawn(ctx, instance, objects::ImageMeta(), SpawnOptions{});
    CHECK(driver->GetAvailableResource("ignored").vcpus_used == before + 3);
    driver->Destroy(ctx, instance, {}, {}, true);
}

TEST_CASE_FIXTURE(Fixture, "resize on this host: disks move aside, the new flavor comes up") {
    auto instance = MakeInstance(1, 1024);
    driver->Spawn(ctx, instance, objects::ImageMeta(), SpawnOptions{});
    { std::ofstream(dir / instance.uuid() / "disk") << "image"; }
    objects::Flavor bigger = instance.flavor();
    bigger.set_vcpus(4);
    bigger.set_memory_mb(4096);
    bigger.set_root_gb(2);
    objects::Flavor smaller = instance.flavor();
    smaller.set_root_gb(0);
    CHECK_THROWS_AS(driver->MigrateDiskAndPowerOff(ctx, instance, "192.0.2.1", smaller, {}, {},
                                                   {}, {}),
                    InstanceFaultRollback);

    driver->MigrateDiskAndPowerOff(ctx, instance, "192.0.2.1", bigger, {}, {},
                                   std::chrono::seconds(5), std::chrono::seconds(1));
    CHECK(driver->GetInfo(instance).state == PowerState::kShutdown);
    CHECK(fs::exists(dir / (instance.uuid() + "_resize") / "disk"));
    CHECK(fs::exists(dir / instance.uuid() / "disk"));

    objects::Migration migration;
    migration.set_source_compute("compute1");
    migration.set_dest_compute("compute1");
    auto resized = instance;
    *resized.mutable_flavor() = bigger;
    driver->FinishMigration(ctx, migration, resized, "[]", {}, objects::ImageMeta(), true, {},
                            true);
    CHECK(driver->GetInfo(resized).state == PowerState::kRunning);
    CHECK(Xml(resized).get<int>("vcpu") == 4);

    SUBCASE("confirm") {
        driver->ConfirmMigration(ctx, migration, instance, {});
        CHECK_FALSE(fs::exists(dir / (instance.uuid() + "_resize")));
        CHECK(driver->GetInfo(resized).state == PowerState::kRunning);
    }
    SUBCASE("revert") {
        driver->FinishRevertMigration(ctx, instance, {}, migration, {}, true);
        CHECK(Xml(instance).get<int>("vcpu") == 1);
        CHECK(driver->GetInfo(instance).state == PowerState::kRunning);
        CHECK_FALSE(fs::exists(dir / (instance.uuid() + "_resize")));
        CHECK(fs::exists(dir / instance.uuid() / "disk"));
    }
    driver->Destroy(ctx, instance, {}, {}, true);
}

TEST_CASE("load_compute_driver builds the libvirt driver - a bad URI fails InitHost") {
    SystemClock clock;
    DriverConfig config{};
    config.compute.compute_driver = "libvirt.LibvirtDriver";
    config.defaults.state_path = (fs::temp_directory_path() / "nova-virt-itest-load").string();
    config.libvirt.virt_type = "kvm";
    config.libvirt.connection_uri = "test:///default";
    auto driver = LoadComputeDriver(config, clock);
    CHECK(driver->Name() == "libvirt.LibvirtDriver");
    driver->InitHost("h");
    CHECK_FALSE(driver->GetAvailableNodes().empty());
    driver.reset();

    config.libvirt.connection_uri = "test:///nonexistent/file.xml";
    auto broken = LoadComputeDriver(config, clock);
    CHECK_THROWS_AS(broken->InitHost("h"), HypervisorUnavailable);
    CHECK_THROWS_AS(broken->ListInstanceUuids(), HypervisorUnavailable);
    std::error_code ec;
    fs::remove_all(config.defaults.state_path, ec);
}

}  // namespace nova::virt

namespace nova::virt {

// What spawn defines must be valid for a real libvirt (qemu:///system), not only for the
// lenient test driver: validate it against libvirt's own domain schema.
TEST_CASE_FIXTURE(Fixture, "the guest XML passes libvirt's domain schema (virt-xml-validate)") {
    auto instance = MakeInstance(2, 2048);
    instance.mutable_flavor()->set_ephemeral_gb(1);
    instance.mutable_flavor()->set_swap(512);
    instance.set_display_name("vm <1> & co");
    objects::ImageMeta image;
    image.mutable_properties()->set_hw_disk_bus("scsi");
    image.mutable_properties()->set_hw_cpu_sockets(1);
    // (Neutron port ids are UUIDs; the openvswitch virtualport insists.)
    NetworkInfo nets{Vif{"c1c6b2a0-3f2e-4a5b-9d1c-2e3f4a5b6c7d", "fa:16:3e:00:00:01", "ovs",
                         "tap1", "br-int", "normal", 1450},
                     Vif{"p2", "fa:16:3e:00:00:02", "bridge", "tap2", "br0", "normal", {}},
                     Vif{"p3", "fa:16:3e:00:00:03", "tap", "tap3", "", "normal", {}}};
    for (std::string mode : {"host-model", "host-passthrough", "none"}) {
        CAPTURE(mode);
        LibvirtDriverOptions options;
        options.libvirt.virt_type = "kvm";
        options.libvirt.cpu_mode = mode;
        options.libvirt.connection_uri = "test:///default";
        options.instances_path = dir.string();
        LibvirtDriver offline(options, clock);
        const auto path = dir / ("guest-" + mode + ".xml");
        fs::create_directories(dir);
        {
            std::ofstream out(path);
            out << offline.BuildGuestXml(instance, image, nets, {});
        }
        const std::string cmd =
            "virt-xml-validate '" + path.string() + "' domain > /dev/null 2>&1";
        CHECK(std::system(cmd.c_str()) == 0);
    }
}

}  // namespace nova::virt
