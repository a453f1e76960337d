#include "nova/virt/libvirt_driver.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "guest_config.hpp"
#include "host.hpp"
#include "nova/common/error.hpp"
#include "nova/common/log.hpp"

extern char** environ;

namespace nova::virt {

namespace fs = std::filesystem;
namespace pt = boost::property_tree;
using libvirt::Host;
using libvirt::LibvirtError;

namespace {

spdlog::logger& Log() { return log::Get("nova.virt.libvirt.driver"); }

const pt::ptree kEmptyTree;  // the default of get_child: must outlive the reference
constexpr std::size_t kMaxConsoleBytes = 100 * 1024;  // Nova's MAX_CONSOLE_BYTES
constexpr std::int64_t kGiB = 1024LL * 1024 * 1024;

pt::ptree ParseXml(const std::string& xml) {
    std::istringstream in(xml);
    pt::ptree tree;
    pt::read_xml(in, tree, pt::xml_parser::no_comments);
    return tree;
}

// Runs a program (no shell) and waits for it; returns its exit status.
int Run(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return -1;
    int status = 0;
    if (waitpid(pid, &status, 0) < 0) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Nova's _supports_direct_io: can files in `dir` be opened with O_DIRECT?
bool SupportsDirectIo(const std::string& dir) {
    std::string probe = dir + "/.directio.test";
    int fd = ::open(probe.c_str(), O_CREAT | O_WRONLY | O_DIRECT, 0600);
    if (fd < 0) return false;
    ::close(fd);
    ::unlink(probe.c_str());
    return true;
}

bool IsVolumeBackedForDisk(const objects::Instance& instance) {
    return !instance.has_image_ref() || instance.image_ref().empty();
}

}  // namespace

struct LibvirtDriver::Impl {
    LibvirtDriverOptions options;
    const Clock& clock;
    Sleeper sleeper;
    std::mutex mutex;  // guards host
    std::unique_ptr<Host> host;
    std::string host_arch = "x86_64";
    std::string cachemode = "none";

    Host& H() {
        std::lock_guard lock(mutex);
        if (!host) throw HypervisorUnavailable();
        return *host;
    }
    std::string InstanceDir(const std::string& uuid) const {
        return options.instances_path + "/" + uuid;
    }
    bool TestUri() const { return options.libvirt.Uri().rfind("test:", 0) == 0; }
};

LibvirtDriver::LibvirtDriver(LibvirtDriverOptions options, const Clock& clock, Sleeper sleeper)
    : impl_(new Impl{std::move(options), clock, std::move(sleeper), {}, {}, "x86_64", "none"}) {
    if (!impl_->sleeper) {
        impl_->sleeper = [](std::chrono::duration<double> d) { std::this_thread::sleep_for(d); };
    }
}

LibvirtDriver::~LibvirtDriver() { CleanupHost(""); }

void LibvirtDriver::InitHost(const std::string& host) {
    const std::string uri = impl_->options.libvirt.Uri();
    std::unique_ptr<Host> connection;
    try {
        connection = std::make_unique<Host>(uri, [this](const std::string& uuid, Transition t) {
            EmitEvent(LifecycleEvent{uuid, t, impl_->clock.Now()});
        });
    } catch (const LibvirtError& e) {
        NOVA_LOG_ERROR(Log(), log::kNoContext, "{}", e.what());
        throw HypervisorUnavailable::WithMessage(
            fmt::format("Connection to the hypervisor is broken on host {}: {}", host, e.what()),
            {{"host", host}});
    }
    try {
        auto caps = ParseXml(connection->Capabilities());
        impl_->host_arch = caps.get("capabilities.host.cpu.arch", std::string("x86_64"));
    } catch (const std::exception& e) {
        NOVA_LOG_WARN(Log(), log::kNoContext, "Could not read the host's capabilities: {}",
                      e.what());
    }
    std::error_code ec;
    fs::create_directories(impl_->options.instances_path, ec);
    if (ec) {
        NOVA_LOG_WARN(Log(), log::kNoContext, "Cannot create instances_path {}: {}",
                      impl_->options.instances_path, ec.message());
    }
    if (impl_->options.libvirt.disk_cachemodes_default) {
        impl_->cachemode = *impl_->options.libvirt.disk_cachemodes_default;
    } else {
        impl_->cachemode =
            SupportsDirectIo(impl_->options.instances_path) ? "none" : "writeback";
    }
    NOVA_LOG_INFO(Log(), log::kNoContext,
                  "Connected to libvirt {} ({} {}); instances in {}, disk cache mode {}", uri,
                  connection->DriverType(), connection->HypervisorVersion(),
                  impl_->options.instances_path, impl_->cachemode);
    std::lock_guard lock(impl_->mutex);
    impl_->host = std::move(connection);
}

void LibvirtDriver::CleanupHost(const std::string& host) {
    (void)host;
    std::unique_ptr<Host> connection;
    {
        std::lock_guard lock(impl_->mutex);
        connection = std::move(impl_->host);
    }
}

std::string LibvirtDriver::BuildGuestXml(const objects::Instance& instance,
                                         const objects::ImageMeta& image_meta,
                                         const NetworkInfo& network_info,
                                         const BlockDeviceInfo& block_device_info) {
    libvirt::GuestInputs in;
    in.instance = &instance;
    in.image_meta = &image_meta;
    in.network_info = &network_info;
    in.block_device_info = &block_device_info;
    in.host_arch = impl_->host_arch;
    in.instance_dir = impl_->InstanceDir(instance.uuid());
    in.disk_cachemode = impl_->cachemode;
    return libvirt::BuildDomainXml(impl_->options.libvirt, in);
}

std::string LibvirtDriver::GetDomainXml(const objects::Instance& instance) {
    try {
        return impl_->H().XmlDesc(instance.uuid());
    } catch (const LibvirtError& e) {
        if (e.NoDomain()) throw InstanceNotFound({{"instance_id", instance.uuid()}});
        throw InternalError({{"err", e.what()}});
    }
}

InstanceInfo LibvirtDriver::GetInfo(const objects::Instance& instance) {
    Host& host = impl_->H();
    try {
        auto info = host.Info(instance.uuid());
        return InstanceInfo{info.state, host.Name(instance.uuid())};
    } catch (const LibvirtError& e) {
        if (e.NoDomain()) throw InstanceNotFound({{"instance_id", instance.uuid()}});
        throw InternalError({{"err", e.what()}});
    }
}

std::vector<std::string> LibvirtDriver::ListInstanceUuids() {
    try {
        return impl_->H().ListUuids();
    } catch (const LibvirtError& e) {
        throw HypervisorUnavailable::WithMessage(e.what());
    }
}

void LibvirtDriver::Spawn(const RequestContext& context, const objects::Instance& instance,
                          const objects::ImageMeta& image_meta, const SpawnOptions& options) {
    Host& host = impl_->H();
    const std::string& uuid = instance.uuid();
    log::WithInstance scope{&context, uuid};
    bool exists = false;
    try {
        exists = host.Exists(uuid);
    } catch (const LibvirtError& e) {
        throw HypervisorUnavailable::WithMessage(e.what());
    }
    if (exists) throw ::nova::InstanceExists({{"name", InstanceName(instance)}});

    const std::string dir = impl_->InstanceDir(uuid);
    std::error_code ec;
    const bool created_dir = fs::create_directories(dir, ec);
    if (ec) {
        throw InstanceDeployFailure(
            {{"reason", fmt::format("cannot create {}: {}", dir, ec.message())}});
    }
    // The image backend (fetching from Glance into _base and a qcow2 overlay on it) is not
    // part of nova-cpp yet: a real host gets blank disks of the flavor's sizes, which
    // test:///default does not need at all.
    if (!impl_->TestUri()) {
        auto make_disk = [&](const std::string& name, std::int64_t gb) {
            std::string path = dir + "/" + name;
            if (gb <= 0 || fs::exists(path)) return;
            if (Run({"qemu-img", "create", "-f", "qcow2", path, std::to_string(gb) + "G"}) != 0) {
                throw InstanceDeployFailure(
                    {{"reason", fmt::format("qemu-img could not create {}", path)}});
            }
        };
        if (!IsVolumeBackedForDisk(instance)) make_disk("disk", instance.flavor().root_gb());
        make_disk("disk.eph0", instance.flavor().ephemeral_gb());
        make_disk("disk.swap", (instance.flavor().swap() + 1023) / 1024);
    }

    const std::string xml =
        BuildGuestXml(instance, image_meta, options.network_info, options.block_device_info);
    NOVA_LOG_DEBUG(Log(), scope, "End _get_guest_xml xml={}", xml);
    try {
        host.Define(xml);
        if (options.power_on) host.Start(uuid);
    } catch (const LibvirtError& e) {
        NOVA_LOG_ERROR(Log(), scope, "Failed to start libvirt guest: {}", e.what());
        // Leave nothing behind (the driver contract).
        try {
            host.Destroy(uuid);
        } catch (const LibvirtError&) {
        }
        try {
            host.Undefine(uuid);
        } catch (const LibvirtError&) {
        }
        if (created_dir) fs::remove_all(dir, ec);
        throw InstanceDeployFailure({{"reason", e.what()}});
    }
    NOVA_LOG_INFO(Log(), scope, "Instance spawned successfully.");
}

void LibvirtDriver::Destroy(const RequestContext& context, const objects::Instance& instance,
                            const NetworkInfo& network_info,
                            const BlockDeviceInfo& block_device_info, bool destroy_disks) {
    (void)network_info;
    (void)block_device_info;
    Host& host = impl_->H();
    const std::string& uuid = instance.uuid();
    log::WithInstance scope{&context, uuid};
    try {
        host.Destroy(uuid);
        host.Undefine(uuid);
    } catch (const LibvirtError& e) {
        if (!e.NoDomain()) {
            throw InstanceTerminationFailure({{"reason", e.what()}});
        }
        NOVA_LOG_WARN(Log(), scope, "Instance may have been deleted already; destroying it anyway");
    }
    if (destroy_disks) {
        std::error_code ec;
        fs::remove_all(impl_->InstanceDir(uuid), ec);
        fs::remove_all(impl_->InstanceDir(uuid) + "_resize", ec);
        if (ec) NOVA_LOG_WARN(Log(), scope, "Could not remove instance files: {}", ec.message());
    }
    NOVA_LOG_INFO(Log(), scope, "Instance destroyed successfully.");
}

namespace {

// Waits up to `timeout` for the guest to be shut off, asking again every `retry` (Nova's
// _clean_shutdown). Returns whether it shut down.
bool CleanShutdown(Host& host, const std::string& uuid, std::chrono::seconds timeout,
                   std::chrono::seconds retry, const LibvirtDriver::Sleeper& sleep) {
    auto state = host.Info(uuid).state;
    if (state == PowerState::kShutdown || state == PowerState::kCrashed) return true;
    host.Shutdown(uuid);
    const auto retry_s = std::max<std::int64_t>(retry.count(), 1);
    for (std::int64_t sec = 0; sec < timeout.count(); ++sec) {
        if (host.Info(uuid).state == PowerState::kShutdown) return true;
        if (sec > 0 && sec % retry_s == 0) host.Shutdown(uuid);
        sleep(std::chrono::seconds(1));
    }
    return host.Info(uuid).state == PowerState::kShutdown;
}

}  // namespace

void LibvirtDriver::Reboot(const RequestContext& context, const objects::Instance& instance,
                           const NetworkInfo& network_info, RebootType reboot_type,
                           const BlockDeviceInfo& block_device_info) {
    Host& host = impl_->H();
    const std::string& uuid = instance.uuid();
    log::WithInstance scope{&context, uuid};
    try {
        if (reboot_type == RebootType::kSoft && host.Exists(uuid) &&
            host.Info(uuid).state == PowerState::kRunning) {
            // Nova's _soft_reboot: shut down cleanly, then start the same domain again.
            const auto wait = std::chrono::seconds(impl_->options.libvirt.wait_soft_reboot_seconds);
            if (CleanShutdown(host, uuid, wait, std::chrono::seconds(1), impl_->sleeper)) {
                host.Start(uuid);
                NOVA_LOG_INFO(Log(), scope, "Instance soft rebooted successfully.");
                return;
            }
            NOVA_LOG_WARN(Log(), scope, "Failed to soft reboot instance. Trying hard reboot.");
        }
        // Nova's _hard_reboot: destroy, redefine from the current flavor, start.
        if (host.Exists(uuid)) host.Destroy(uuid);
        objects::ImageMeta image_meta;
        host.Define(BuildGuestXml(instance, image_meta, network_info, block_device_info));
        host.Start(uuid);
        NOVA_LOG_INFO(Log(), scope, "Instance rebooted successfully.");
    } catch (const LibvirtError& e) {
        if (e.NoDomain()) throw InstanceNotFound({{"instance_id", uuid}});
        throw InstanceRebootFailure({{"reason", e.what()}});
    }
}

void LibvirtDriver::PowerOff(const objects::Instance& instance, std::chrono::seconds timeout,
                             std::chrono::seconds retry_interval) {
    Host& host = impl_->H();
    const std::string& uuid = instance.uuid();
    try {
        if (timeout.count() > 0 &&
            CleanShutdown(host, uuid, timeout, retry_interval, impl_->sleeper)) {
            return;
        }
        host.Destroy(uuid);
    } catch (const LibvirtError& e) {
        if (e.NoDomain()) throw InstanceNotFound({{"instance_id", uuid}});
        throw InstancePowerOffFailure({{"reason", e.what()}});
    }
}

void LibvirtDriver::PowerOn(const RequestContext& context, const objects::Instance& instance,
                            const NetworkInfo& network_info,
                            const BlockDeviceInfo& block_device_info) {
    (void)context;
    Host& host = impl_->H();
    const std::string& uuid = instance.uuid();
    try {
        if (!host.Exists(uuid)) {
            // As Nova's power_on (a hard reboot): the domain is defined again when lost.
            host.Define(
                BuildGuestXml(instance, objects::ImageMeta(), network_info, block_device_info));
        }
        auto state = host.Info(uuid).state;
        if (state == PowerState::kRunning) return;
        if (state == PowerState::kPaused) {
            host.Resume(uuid);
            return;
        }
        host.Start(uuid);
    } catch (const LibvirtError& e) {
        throw InstancePowerOnFailure({{"reason", e.what()}});
    }
}

void LibvirtDriver::Pause(const objects::Instance& instance) {
    try {
        Host& host = impl_->H();
        if (host.Info(instance.uuid()).state != PowerState::kRunning) {
            throw InstanceNotRunning({{"instance_id", instance.uuid()}});
        }
        host.Suspend(instance.uuid());
    } catch (const LibvirtError& e) {
        if (e.NoDomain()) throw InstanceNotFound({{"instance_id", instance.uuid()}});
        if (e.OperationInvalid()) throw InstanceNotRunning({{"instance_id", instance.uuid()}});
        throw InternalError({{"err", e.what()}});
    }
}

void LibvirtDriver::Unpause(const objects::Instance& instance) {
    try {
        impl_->H().Resume(instance.uuid());
    } catch (const LibvirtError& e) {
        if (e.NoDomain()) throw InstanceNotFound({{"instance_id", instance.uuid()}});
        throw InstanceInvalidState({{"instance_uuid", instance.uuid()},
                                    {"attr", "power_state"},
                                    {"state", "not paused"},
                                    {"method", "unpause"}});
    }
}

void LibvirtDriver::Suspend(const RequestContext& context, const objects::Instance& instance) {
    (void)context;
    try {
        // Nova's suspend: save the guest's memory to disk (managed save); it is shut off.
        impl_->H().ManagedSave(instance.uuid());
    } catch (const LibvirtError& e) {
        if (e.NoDomain()) throw InstanceNotFound({{"instance_id", instance.uuid()}});
        throw InstanceSuspendFailure({{"reason", e.what()}});
    }
}

void LibvirtDriver::Resume(const RequestContext& context, const objects::Instance& instance,
                           const NetworkInfo& network_info,
                           const BlockDeviceInfo& block_device_info) {
    (void)context;
    (void)network_info;
    (void)block_device_info;
    Host& host = impl_->H();
    try {
        auto info = host.Info(instance.uuid());
        if (info.state == PowerState::kRunning) return;
        host.Start(instance.uuid());  // restores the managed save image
    } catch (const LibvirtError& e) {
        if (e.NoDomain()) throw InstanceNotFound({{"instance_id", instance.uuid()}});
        throw InstanceResumeFailure({{"reason", e.what()}});
    }
}

std::string LibvirtDriver::MigrateDiskAndPowerOff(const RequestContext& context,
                                                  const objects::Instance& instance,
                                                  const std::string& dest,
                                                  const objects::Flavor& flavor,
                                                  const NetworkInfo& network_info,
                                                  const BlockDeviceInfo& block_device_info,
                                                  std::chrono::seconds timeout,
                                                  std::chrono::seconds retry_interval) {
    (void)network_info;
    (void)block_device_info;
    (void)context;
    const auto& old_flavor = instance.flavor();
    if (flavor.root_gb() < old_flavor.root_gb() ||
        flavor.ephemeral_gb() < old_flavor.ephemeral_gb()) {
        throw InstanceFaultRollback(
            {{"inner_exception", "Resize error: Unable to resize disk down."}});
    }
    PowerOff(instance, timeout, retry_interval);

    // Nova moves the instance directory aside (<uuid>_resize) and copies the disks to the
    // destination's instance directory: locally when the destination is this host, with
    // rsync over SSH otherwise (the same key setup Nova's resize needs).
    const std::string dir = impl_->InstanceDir(instance.uuid());
    const std::string resize_dir = dir + "_resize";
    std::error_code ec;
    if (fs::exists(dir)) {
        fs::remove_all(resize_dir, ec);
        fs::rename(dir, resize_dir, ec);
        if (ec) throw ResizeError({{"reason", fmt::format("cannot move {}: {}", dir, ec.message())}});
        const bool local = dest == impl_->options.my_ip || dest == "127.0.0.1" ||
                           dest == "localhost";
        if (local) {
            fs::create_directories(dir, ec);
            for (const auto& entry : fs::directory_iterator(resize_dir, ec)) {
                if (entry.path().filename() == "console.log") continue;
                fs::copy(entry.path(), dir + "/" + entry.path().filename().string(),
                         fs::copy_options::overwrite_existing, ec);
            }
        } else if (Run({"rsync", "--sparse", "--compress", "-r", resize_dir + "/",
                        dest + ":" + dir + "/"}) != 0) {
            fs::rename(resize_dir, dir, ec);
            throw InstanceFaultRollback(
                {{"inner_exception", fmt::format("Copying the disks to {} failed", dest)}});
        }
    }
    return "[]";
}

void LibvirtDriver::FinishMigration(const RequestContext& context,
                                    const objects::Migration& migration,
                                    const objects::Instance& instance,
                                    const std::string& disk_info,
                                    const NetworkInfo& network_info,
                                    const objects::ImageMeta& image_meta, bool resize_instance,
                                    const BlockDeviceInfo& block_device_info, bool power_on) {
    (void)migration;
    (void)disk_info;
    Host& host = impl_->H();
    const std::string& uuid = instance.uuid();
    const std::string dir = impl_->InstanceDir(uuid);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (resize_instance && !impl_->TestUri() && fs::exists(dir + "/disk")) {
        Run({"qemu-img", "resize", dir + "/disk",
             std::to_string(instance.flavor().root_gb()) + "G"});
    }
    try {
        if (host.Exists(uuid)) host.Destroy(uuid);
        host.Define(BuildGuestXml(instance, image_meta, network_info, block_device_info));
        if (power_on) host.Start(uuid);
    } catch (const LibvirtError& e) {
        NOVA_LOG_ERROR(Log(), (log::WithInstance{&context, uuid}), "finish_migration: {}",
                       e.what());
        throw InstanceFaultRollback({{"inner_exception", e.what()}});
    }
}

void LibvirtDriver::ConfirmMigration(const RequestContext& context,
                                     const objects::Migration& migration,
                                     const objects::Instance& instance,
                                     const NetworkInfo& network_info) {
    (void)network_info;
    // Nova's _cleanup_resize: the copy left behind goes; the source domain goes too unless
    // the resize stayed on this host (then it is the resized guest).
    std::error_code ec;
    fs::remove_all(impl_->InstanceDir(instance.uuid()) + "_resize", ec);
    if (migration.source_compute() == migration.dest_compute()) return;
    Host& host = impl_->H();
    try {
        host.Destroy(instance.uuid());
        host.Undefine(instance.uuid());
    } catch (const LibvirtError& e) {
        if (!e.NoDomain()) throw InternalError({{"err", e.what()}});
        NOVA_LOG_DEBUG(Log(), (log::WithInstance{&context, instance.uuid()}),
                       "confirm_migration: no domain left on the source");
    }
}

void LibvirtDriver::FinishRevertMigration(const RequestContext& context,
                                          const objects::Instance& instance,
                                          const NetworkInfo& network_info,
                                          const objects::Migration& migration,
                                          const BlockDeviceInfo& block_device_info,
                                          bool power_on) {
    (void)migration;
    const std::string dir = impl_->InstanceDir(instance.uuid());
    std::error_code ec;
    if (fs::exists(dir + "_resize")) {
        fs::remove_all(dir, ec);
        fs::rename(dir + "_resize", dir, ec);
    }
    Host& host = impl_->H();
    try {
        if (host.Exists(instance.uuid())) host.Destroy(instance.uuid());
        host.Define(BuildGuestXml(instance, objects::ImageMeta(), network_info, block_device_info));
        if (power_on) host.Start(instance.uuid());
    } catch (const LibvirtError& e) {
        NOVA_LOG_ERROR(Log(), (log::WithInstance{&context, instance.uuid()}),
                       "finish_revert_migration: {}", e.what());
        throw InternalError({{"err", e.what()}});
    }
}

std::string LibvirtDriver::GetConsoleOutput(const RequestContext& context,
                                            const objects::Instance& instance) {
    std::string xml;
    try {
        xml = impl_->H().XmlDesc(instance.uuid());
    } catch (const LibvirtError& e) {
        if (e.NoDomain()) throw InstanceNotFound({{"instance_id", instance.uuid()}});
        throw ConsoleLogOutputException(
            {{"instance_id", instance.uuid()}, {"reason", e.what()}});
    }
    // Nova's _get_console_output_file: a file-backed console, or a serial port's log.
    std::string path;
    auto tree = ParseXml(xml);
    for (const auto& [tag, node] : tree.get_child("domain.devices", kEmptyTree)) {
        if (tag == "console" && node.get("<xmlattr>.type", "") == "file") {
            path = node.get("source.<xmlattr>.path", "");
        } else if (tag == "serial") {
            if (node.get("<xmlattr>.type", "") == "file") {
                path = node.get("source.<xmlattr>.path", "");
            } else {
                path = node.get("log.<xmlattr>.file", "");
            }
        }
        if (!path.empty()) break;
    }
    if (path.empty()) throw ConsoleNotAvailable();
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        NOVA_LOG_INFO(Log(), (log::WithInstance{&context, instance.uuid()}),
                      "console logfile for instance does not exist");
        return "";
    }
    in.seekg(0, std::ios::end);
    const auto size = static_cast<std::size_t>(in.tellg());
    const std::size_t start = size > kMaxConsoleBytes ? size - kMaxConsoleBytes : 0;
    in.seekg(static_cast<std::streamoff>(start));
    std::string out(size - start, '\0');
    in.read(out.data(), static_cast<std::streamsize>(out.size()));
    return out;
}

AvailableResource LibvirtDriver::GetAvailableResource(const std::string& nodename) {
    Host& host = impl_->H();
    AvailableResource r;
    try {
        auto node = host.GetNodeInfo();
        r.vcpus = node.cpus;
        r.memory_mb = node.memory_kib / 1024;
        std::int64_t used_kib = 0;
        for (const auto& [vcpus, memory_kib] : host.RunningUsage()) {
            r.vcpus_used += vcpus;
            used_kib += memory_kib;
        }
        // Nova reads the host's memory in use (free, buffers and cache count as available);
        // a hypervisor that does not say has the guests' memory counted instead.
        if (auto host_used = host.NodeMemoryUsedKib()) used_kib = *host_used;
        r.memory_mb_used = used_kib / 1024;
        r.hypervisor_type = host.DriverType();
        r.hypervisor_version = host.HypervisorVersion();
        r.hypervisor_hostname = host.Hostname();

        auto caps = ParseXml(host.Capabilities());
        Json cpu = Json::object();
        const auto& hcpu = caps.get_child("capabilities.host.cpu", kEmptyTree);
        cpu["arch"] = hcpu.get("arch", impl_->host_arch);
        cpu["model"] = hcpu.get("model", node.model);
        cpu["vendor"] = hcpu.get("vendor", std::string());
        cpu["topology"] = {{"sockets", hcpu.get("topology.<xmlattr>.sockets", node.sockets)},
                           {"cores", hcpu.get("topology.<xmlattr>.cores", node.cores)},
                           {"threads", hcpu.get("topology.<xmlattr>.threads", node.threads)}};
        Json features = Json::array();
        for (const auto& [tag, f] : hcpu) {
            if (tag == "feature") features.push_back(f.get("<xmlattr>.name", ""));
        }
        cpu["features"] = features;
        r.cpu_info = cpu.dump();
        for (const auto& [tag, guest] : caps.get_child("capabilities", kEmptyTree)) {
            if (tag != "guest") continue;
            const std::string os_type = guest.get("os_type", "hvm");
            const auto& arch = guest.get_child("arch", kEmptyTree);
            const std::string arch_name = arch.get("<xmlattr>.name", "");
            for (const auto& [atag, dom] : arch) {
                if (atag != "domain") continue;
                r.supported_instances.push_back(
                    {arch_name, dom.get("<xmlattr>.type", ""), os_type});
            }
        }
    } catch (const LibvirtError& e) {
        throw HypervisorUnavailable::WithMessage(e.what());
    } catch (const pt::ptree_error& e) {
        throw InternalError({{"err", fmt::format("bad capabilities XML: {}", e.what())}});
    }
    // The local disk is the filesystem of instances_path (Nova's _get_local_gb_info).
    struct statvfs st{};
    if (::statvfs(impl_->options.instances_path.c_str(), &st) == 0) {
        const auto frsize = static_cast<std::int64_t>(st.f_frsize);
        r.local_gb = static_cast<std::int64_t>(st.f_blocks) * frsize / kGiB;
        r.local_gb_used =
            static_cast<std::int64_t>(st.f_blocks - st.f_bfree) * frsize / kGiB;
        r.disk_available_least = static_cast<std::int64_t>(st.f_bavail) * frsize / kGiB;
    }
    if (r.hypervisor_hostname.empty()) r.hypervisor_hostname = nodename;
    return r;
}

std::vector<std::string> LibvirtDriver::GetAvailableNodes(bool refresh) {
    (void)refresh;
    try {
        return {impl_->H().Hostname()};
    } catch (const LibvirtError& e) {
        throw HypervisorUnavailable::WithMessage(e.what());
    }
}

}  // namespace nova::virt
