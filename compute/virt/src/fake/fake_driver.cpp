#include "nova/virt/fake_driver.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <thread>

#include <fmt/format.h>

#include "nova/common/error.hpp"
#include "nova/common/log.hpp"

namespace nova::virt {

namespace {

spdlog::logger& Log() { return log::Get("nova.virt.fake"); }

// An image property as Nova stores it in the instance's system_metadata.
std::optional<std::string> ImageProperty(const objects::Instance& instance,
                                         const std::string& name) {
    auto it = instance.system_metadata().find("image_" + name);
    if (it == instance.system_metadata().end()) return std::nullopt;
    return it->second;
}

std::string Lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// oslo's strutils.bool_from_string: true/yes/on/1/y/t.
bool Truthy(const std::optional<std::string>& value) {
    if (!value) return false;
    auto v = Lower(*value);
    return v == "true" || v == "yes" || v == "on" || v == "1" || v == "y" || v == "t";
}

}  // namespace

FakeDriverOptions FakeDriverOptions::From(const conf::FakeOptions& fake) {
    FakeDriverOptions o;
    o.vcpus = fake.vcpus;
    o.memory_mb = fake.memory_mb;
    o.local_gb = fake.local_gb;
    o.fail_spawn = fake.fail_spawn;
    o.spawn_delay = fake.spawn_delay;
    o.crash_after_spawn = fake.crash_after_spawn;
    return o;
}

std::vector<std::string> FakeHostNames(const conf::FakeOptions& fake, const std::string& host) {
    if (fake.hosts <= 1) return {host};
    std::vector<std::string> names;
    names.reserve(static_cast<std::size_t>(fake.hosts));
    for (int i = 0; i < fake.hosts; ++i) names.push_back(fmt::format("{}{}", fake.host_prefix, i));
    return names;
}

FakeDriver::FakeDriver(FakeDriverOptions options, const Clock& clock, Sleeper sleeper)
    : options_(options), clock_(clock), sleeper_(std::move(sleeper)) {
    if (!sleeper_) {
        sleeper_ = [](std::chrono::duration<double> d) { std::this_thread::sleep_for(d); };
    }
}

FakeDriver::~FakeDriver() = default;

void FakeDriver::InitHost(const std::string& host) {
    std::lock_guard lock(mutex_);
    nodes_ = {host};
}

FakeDriver::Guest& FakeDriver::Find(const std::string& uuid) {
    auto it = guests_.find(uuid);
    if (it == guests_.end()) throw InstanceNotFound({{"instance_id", uuid}});
    return it->second;
}

void FakeDriver::Release(const Guest& guest) {
    vcpus_used_ -= guest.vcpus;
    memory_mb_used_ -= guest.memory_mb;
    local_gb_used_ -= guest.disk_gb;
}

void FakeDriver::Put(const objects::Instance& instance, PowerState state) {
    auto it = guests_.find(instance.uuid());
    if (it != guests_.end()) {
        Release(it->second);
        guests_.erase(it);
    }
    Guest guest;
    guest.name = InstanceName(instance);
    guest.state = state;
    // Nova's fake claims vcpus, memory and the root disk of the flavor.
    guest.vcpus = instance.flavor().vcpus();
    guest.memory_mb = instance.flavor().memory_mb();
    guest.disk_gb = instance.flavor().root_gb();
    vcpus_used_ += guest.vcpus;
    memory_mb_used_ += guest.memory_mb;
    local_gb_used_ += guest.disk_gb;
    guests_.emplace(instance.uuid(), std::move(guest));
}

void FakeDriver::Emit(const std::string& uuid, Transition transition) {
    EmitEvent(LifecycleEvent{uuid, transition, clock_.Now()});
}

InstanceInfo FakeDriver::GetInfo(const objects::Instance& instance) {
    std::lock_guard lock(mutex_);
    const Guest& guest = Find(instance.uuid());
    return InstanceInfo{guest.state, guest.name};
}

std::vector<std::string> FakeDriver::ListInstanceUuids() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> uuids;
    uuids.reserve(guests_.size());
    for (const auto& [uuid, guest] : guests_) uuids.push_back(uuid);
    return uuids;
}

void FakeDriver::Spawn(const RequestContext& context, const objects::Instance& instance,
                       const objects::ImageMeta& image_meta, const SpawnOptions& options) {
    (void)image_meta;
    const std::string& uuid = instance.uuid();
    log::WithInstance scope{&context, uuid};

    double delay = options_.spawn_delay;
    if (auto d = ImageProperty(instance, "fake_spawn_delay")) {
        char* end = nullptr;
        double v = std::strtod(d->c_str(), &end);
        if (end != d->c_str() && v > delay) delay = v;
    }
    if (delay > 0) {
        NOVA_LOG_DEBUG(Log(), scope, "Fake spawn takes {:.2f} seconds", delay);
        sleeper_(std::chrono::duration<double>(delay));
    }

    auto fail = ImageProperty(instance, "fake_fail_spawn");
    if (fail && Lower(*fail) == "abort") {
        throw BuildAbortException(
            {{"instance_uuid", uuid}, {"reason", "fake_fail_spawn=abort in the image"}});
    }
    if (options_.fail_spawn || Truthy(fail)) {
        NOVA_LOG_INFO(Log(), scope, "Fake spawn fails as configured");
        throw ComputeResourcesUnavailable({{"reason", "FakeDriver spawn failure injected"}});
    }

    {
        std::lock_guard lock(mutex_);
        if (guests_.count(uuid)) throw ::nova::InstanceExists({{"name", InstanceName(instance)}});
        Put(instance, options.power_on ? PowerState::kRunning : PowerState::kShutdown);
        guests_[uuid].console = {"FAKE CONSOLE OUTPUT", "ANOTHER", "LAST LINE"};
    }
    if (!options.power_on) return;
    Emit(uuid, Transition::kStarted);

    if (options_.crash_after_spawn || Truthy(ImageProperty(instance, "fake_crash_after_spawn"))) {
        NOVA_LOG_INFO(Log(), scope, "Fake guest crashes after spawn as configured");
        {
            std::lock_guard lock(mutex_);
            Find(uuid).state = PowerState::kCrashed;
        }
        Emit(uuid, Transition::kStopped);
    }
}

void FakeDriver::Destroy(const RequestContext& context, const objects::Instance& instance,
                         const NetworkInfo& network_info,
                         const BlockDeviceInfo& block_device_info, bool destroy_disks) {
    (void)network_info;
    (void)block_device_info;
    (void)destroy_disks;
    bool was_running = false;
    {
        std::lock_guard lock(mutex_);
        auto it = guests_.find(instance.uuid());
        if (it == guests_.end()) {
            NOVA_LOG_WARN(Log(), (log::WithInstance{&context, instance.uuid()}),
                          "Instance not found on the fake hypervisor; nothing to destroy");
            return;
        }
        was_running = it->second.state == PowerState::kRunning ||
                      it->second.state == PowerState::kPaused;
        Release(it->second);
        guests_.erase(it);
    }
    if (was_running) Emit(instance.uuid(), Transition::kStopped);
}

void FakeDriver::Reboot(const RequestContext& context, const objects::Instance& instance,
                        const NetworkInfo& network_info, RebootType reboot_type,
                        const BlockDeviceInfo& block_device_info) {
    bool exists;
    {
        std::lock_guard lock(mutex_);
        exists = guests_.count(instance.uuid()) > 0;
    }
    // As Nova's fake (and the libvirt driver): a hard reboot of a guest the hypervisor lost
    // creates it again.
    if (!exists && reboot_type == RebootType::kHard) {
        SpawnOptions options;
        options.network_info = network_info;
        options.block_device_info = block_device_info;
        Spawn(context, instance, objects::ImageMeta(), options);
        return;
    }
    bool was_up;
    {
        std::lock_guard lock(mutex_);
        Guest& guest = Find(instance.uuid());
        was_up = guest.state == PowerState::kRunning || guest.state == PowerState::kPaused;
        guest.state = PowerState::kRunning;
    }
    if (was_up) Emit(instance.uuid(), Transition::kStopped);
    Emit(instance.uuid(), Transition::kStarted);
}

void FakeDriver::PowerOff(const objects::Instance& instance, std::chrono::seconds timeout,
                          std::chrono::seconds retry_interval) {
    (void)timeout;
    (void)retry_interval;
    {
        std::lock_guard lock(mutex_);
        Guest& guest = Find(instance.uuid());
        if (guest.state == PowerState::kShutdown) return;
        guest.state = PowerState::kShutdown;
    }
    Emit(instance.uuid(), Transition::kStopped);
}

void FakeDriver::PowerOn(const RequestContext& context, const objects::Instance& instance,
                         const NetworkInfo& network_info,
                         const BlockDeviceInfo& block_device_info) {
    (void)context;
    (void)network_info;
    (void)block_device_info;
    {
        std::lock_guard lock(mutex_);
        Guest& guest = Find(instance.uuid());
        if (guest.state == PowerState::kRunning) return;
        guest.state = PowerState::kRunning;
    }
    Emit(instance.uuid(), Transition::kStarted);
}

void FakeDriver::Pause(const objects::Instance& instance) {
    {
        std::lock_guard lock(mutex_);
        Guest& guest = Find(instance.uuid());
        if (guest.state != PowerState::kRunning) {
            throw InstanceNotRunning({{"instance_id", instance.uuid()}});
        }
        guest.state = PowerState::kPaused;
    }
    Emit(instance.uuid(), Transition::kPaused);
}

void FakeDriver::Unpause(const objects::Instance& instance) {
    {
        std::lock_guard lock(mutex_);
        Guest& guest = Find(instance.uuid());
        if (guest.state != PowerState::kPaused) {
            throw InstanceInvalidState({{"instance_uuid", instance.uuid()},
                                        {"attr", "power_state"},
                                        {"state", std::string(PowerStateName(guest.state))},
                                        {"method", "unpause"}});
        }
        guest.state = PowerState::kRunning;
    }
    Emit(instance.uuid(), Transition::kResumed);
}

void FakeDriver::Suspend(const RequestContext& context, const objects::Instance& instance) {
    (void)context;
    {
        std::lock_guard lock(mutex_);
        Guest& guest = Find(instance.uuid());
        if (guest.state != PowerState::kRunning && guest.state != PowerState::kPaused) {
            throw InstanceSuspendFailure(
                {{"reason", fmt::format("instance {} is {}", instance.uuid(),
                                        PowerStateName(guest.state))}});
        }
        guest.state = PowerState::kSuspended;
    }
    Emit(instance.uuid(), Transition::kSuspended);
}

void FakeDriver::Resume(const RequestContext& context, const objects::Instance& instance,
                        const NetworkInfo& network_info,
                        const BlockDeviceInfo& block_device_info) {
    (void)context;
    (void)network_info;
    (void)block_device_info;
    {
        std::lock_guard lock(mutex_);
        Guest& guest = Find(instance.uuid());
        if (guest.state != PowerState::kSuspended) {
            throw InstanceResumeFailure(
                {{"reason", fmt::format("instance {} is {}, not suspended", instance.uuid(),
                                        PowerStateName(guest.state))}});
        }
        guest.state = PowerState::kRunning;
    }
    Emit(instance.uuid(), Transition::kResumed);
}

std::string FakeDriver::MigrateDiskAndPowerOff(const RequestContext& context,
                                               const objects::Instance& instance,
                                               const std::string& dest,
                                               const objects::Flavor& flavor,
                                               const NetworkInfo& network_info,
                                               const BlockDeviceInfo& block_device_info,
                                               std::chrono::seconds timeout,
                                               std::chrono::seconds retry_interval) {
    (void)dest;
    (void)network_info;
    (void)block_device_info;
    const auto fail = ImageProperty(instance, "fake_fail_resize");
    if (fail && Lower(*fail) == "rollback") {
        throw InstanceFaultRollback(
            {{"inner_exception", "fake_fail_resize=rollback in the image"}});
    }
    if (Truthy(fail)) {
        NOVA_LOG_INFO(Log(), (log::WithInstance{&context, instance.uuid()}),
                      "Fake migrate_disk_and_power_off fails as configured");
        throw ResizeError({{"reason", "FakeDriver resize failure injected"}});
    }
    // Nova's libvirt driver refuses to shrink a disk; so does the fake, so that tests of the
    // manager's failure path have something to hit.
    if (flavor.root_gb() < instance.flavor().root_gb()) {
        throw InstanceFaultRollback(
            {{"inner_exception",
              fmt::format("Unable to resize disk down (root_gb {} -> {})",
                          instance.flavor().root_gb(), flavor.root_gb())}});
    }
    PowerOff(instance, timeout, retry_interval);
    return "[]";
}

void FakeDriver::FinishMigration(const RequestContext& context,
                                 const objects::Migration& migration,
                                 const objects::Instance& instance, const std::string& disk_info,
                                 const NetworkInfo& network_info,
                                 const objects::ImageMeta& image_meta, bool resize_instance,
                                 const BlockDeviceInfo& block_device_info, bool power_on) {
    (void)context;
    (void)migration;
    (void)disk_info;
    (void)network_info;
    (void)image_meta;
    (void)resize_instance;
    (void)block_device_info;
    if (Truthy(ImageProperty(instance, "fake_fail_finish_migration"))) {
        throw ResizeError({{"reason", "FakeDriver finish_migration failure injected"}});
    }
    {
        std::lock_guard lock(mutex_);
        Put(instance, power_on ? PowerState::kRunning : PowerState::kShutdown);
    }
    if (power_on) Emit(instance.uuid(), Transition::kStarted);
}

void FakeDriver::ConfirmMigration(const RequestContext& context,
                                  const objects::Migration& migration,
                                  const objects::Instance& instance,
                                  const NetworkInfo& network_info) {
    (void)network_info;
    std::lock_guard lock(mutex_);
    // A resize to the same host left one guest, now with the new flavor: keep it.
    if (migration.source_compute() == migration.dest_compute() &&
        migration.source_node() == migration.dest_node()) {
        return;
    }
    auto it = guests_.find(instance.uuid());
    if (it == guests_.end()) {
        NOVA_LOG_DEBUG(Log(), (log::WithInstance{&context, instance.uuid()}),
                       "Confirmed migration: no guest left on the source");
        return;
    }
    Release(it->second);
    guests_.erase(it);
}

void FakeDriver::FinishRevertMigration(const RequestContext& context,
                                       const objects::Instance& instance,
                                       const NetworkInfo& network_info,
                                       const objects::Migration& migration,
                                       const BlockDeviceInfo& block_device_info,
                                       bool power_on) {
    (void)context;
    (void)network_info;
    (void)migration;
    (void)block_device_info;
    {
        std::lock_guard lock(mutex_);
        Put(instance, power_on ? PowerState::kRunning : PowerState::kShutdown);
    }
    if (power_on) Emit(instance.uuid(), Transition::kStarted);
}

std::string FakeDriver::GetConsoleOutput(const RequestContext& context,
                                         const objects::Instance& instance) {
    (void)context;
    std::lock_guard lock(mutex_);
    const Guest& guest = Find(instance.uuid());
    std::string out;
    for (std::size_t i = 0; i < guest.console.size(); ++i) {
        if (i) out += '\n';
        out += guest.console[i];
    }
    return out;
}

AvailableResource FakeDriver::GetAvailableResource(const std::string& nodename) {
    std::lock_guard lock(mutex_);
    AvailableResource r;
    if (std::find(nodes_.begin(), nodes_.end(), nodename) == nodes_.end()) {
        throw ComputeHostNotFound({{"host", nodename}});
    }
    r.vcpus = options_.vcpus;
    r.memory_mb = options_.memory_mb;
    r.local_gb = options_.local_gb;
    r.vcpus_used = vcpus_used_;
    r.memory_mb_used = memory_mb_used_;
    r.local_gb_used = local_gb_used_;
    r.hypervisor_type = "fake";
    r.hypervisor_version = 1000;  // Nova: versionutils.convert_version_to_int('1.0')
    r.hypervisor_hostname = nodename;
    r.cpu_info =
        R"({"arch": "x86_64", "model": "Nehalem", "vendor": "Intel", "features": ["pge", "clflush"], "topology": {"cores": 1, "threads": 1, "sockets": 4}})";
    r.disk_available_least = 0;
    r.supported_instances = {{"x86_64", "fake", "hvm"}};
    return r;
}

std::vector<std::string> FakeDriver::GetAvailableNodes(bool refresh) {
    (void)refresh;
    std::lock_guard lock(mutex_);
    return nodes_;
}

void FakeDriver::SetPowerStateForTest(const std::string& uuid, PowerState state) {
    PowerState old;
    {
        std::lock_guard lock(mutex_);
        Guest& guest = Find(uuid);
        old = guest.state;
        guest.state = state;
    }
    if (old == state) return;
    switch (state) {
        case PowerState::kRunning:
            Emit(uuid, old == PowerState::kPaused ? Transition::kResumed : Transition::kStarted);
            break;
        case PowerState::kPaused: Emit(uuid, Transition::kPaused); break;
        case PowerState::kSuspended: Emit(uuid, Transition::kSuspended); break;
        case PowerState::kShutdown:
        case PowerState::kCrashed: Emit(uuid, Transition::kStopped); break;
        case PowerState::kNoState: break;
    }
}

}  // namespace nova::virt
