#include "host.hpp"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "nova/common/log.hpp"

namespace nova::virt::libvirt {

namespace {

spdlog::logger& Log() { return log::Get("nova.virt.libvirt.host"); }

[[noreturn]] void ThrowLast(const std::string& what) {
    virErrorPtr err = virGetLastError();
    int code = err ? err->code : VIR_ERR_INTERNAL_ERROR;
    std::string message = err && err->message ? err->message : "unknown libvirt error";
    throw LibvirtError(code, what + ": " + message);
}

// libvirt prints every error to stderr by default; errors reach us through the return
// codes and virGetLastError instead.
void QuietErrors(void*, virErrorPtr) {}

// libvirt's default event loop is one per process (running it on two threads at once is an
// error), so every Host shares this one; it runs while any Host exists.
class EventLoop {
public:
    static std::shared_ptr<EventLoop> Acquire() {
        std::lock_guard lock(Mutex());
        static std::weak_ptr<EventLoop> current;
        if (auto loop = current.lock()) return loop;
        std::shared_ptr<EventLoop> loop(new EventLoop());
        current = loop;
        return loop;
    }
    ~EventLoop() {
        stop_ = true;
        int wake = virEventAddTimeout(0, &Wake, nullptr, nullptr);
        thread_.join();
        if (wake >= 0) virEventRemoveTimeout(wake);
    }

private:
    EventLoop() {
        static std::once_flag once;
        std::call_once(once, [] {
            virSetErrorFunc(nullptr, &QuietErrors);
            if (virEventRegisterDefaultImpl() < 0) {
                NOVA_LOG_ERROR(Log(), log::kNoContext,
                               "Could not register libvirt's event loop; no lifecycle events");
            }
        });
        thread_ = std::thread([this] {
            while (!stop_) {
                // Fails only when another loop thread is still winding down.
                if (virEventRunDefaultImpl() < 0) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(10));
                }
            }
        });
    }
    static void Wake(int, void*) {}
    static std::mutex& Mutex() {
        static std::mutex m;
        return m;
    }
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

struct DomainFree {
    void operator()(virDomainPtr d) const {
        if (d) virDomainFree(d);
    }
};
using Domain = std::unique_ptr<virDomain, DomainFree>;

PowerState FromLibvirt(int state) {
    switch (state) {
        case VIR_DOMAIN_RUNNING:
        case VIR_DOMAIN_BLOCKED: return PowerState::kRunning;
        case VIR_DOMAIN_PAUSED: return PowerState::kPaused;
        case VIR_DOMAIN_SHUTDOWN:
        case VIR_DOMAIN_SHUTOFF: return PowerState::kShutdown;
        case VIR_DOMAIN_CRASHED: return PowerState::kCrashed;
        case VIR_DOMAIN_PMSUSPENDED: return PowerState::kSuspended;
        default: return PowerState::kNoState;
    }
}

std::string UuidOf(virDomainPtr dom) {
    char buf[VIR_UUID_STRING_BUFLEN] = {};
    if (virDomainGetUUIDString(dom, buf) < 0) return {};
    return buf;
}

}  // namespace

bool LibvirtError::NoDomain() const { return code_ == VIR_ERR_NO_DOMAIN; }
bool LibvirtError::OperationInvalid() const { return code_ == VIR_ERR_OPERATION_INVALID; }
bool LibvirtError::ConnectionLost() const {
    return code_ == VIR_ERR_SYSTEM_ERROR || code_ == VIR_ERR_INTERNAL_ERROR ||
           code_ == VIR_ERR_NO_CONNECT || code_ == VIR_ERR_INVALID_CONN;
}

struct Host::Impl {
    std::string uri;
    LifecycleHandler handler;
    std::shared_ptr<EventLoop> loop;
    std::mutex mutex;
    virConnectPtr conn = nullptr;
    int callback_id = -1;

    static int OnLifecycle(virConnectPtr, virDomainPtr dom, int event, int detail, void* opaque) {
        auto* self = static_cast<Impl*>(opaque);
        std::optional<Transition> transition;
        switch (event) {
            case VIR_DOMAIN_EVENT_STOPPED: transition = Transition::kStopped; break;
            case VIR_DOMAIN_EVENT_STARTED: transition = Transition::kStarted; break;
            case VIR_DOMAIN_EVENT_SUSPENDED:
                transition = detail == VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY
                                 ? Transition::kPostcopyStarted
                                 : Transition::kPaused;
                break;
            case VIR_DOMAIN_EVENT_RESUMED: transition = Transition::kResumed; break;
            default: break;  // defined, undefined, shutdown (in progress), pmsuspended, ...
        }
        if (!transition || !self->handler) return 0;
        std::string uuid = UuidOf(dom);
        if (uuid.empty()) return 0;
        try {
            self->handler(uuid, *transition);
        } catch (const std::exception& e) {
            NOVA_LOG_ERROR(Log(), log::kNoContext, "Lifecycle event handler failed: {}",
                           e.what());
        }
        return 0;
    }

    void Open() {
        conn = virConnectOpen(uri.c_str());
        if (!conn) ThrowLast("Connection to libvirt failed (" + uri + ")");
        // Remote connections notice a dead peer within ~20 s; local ones do not need it.
        if (virConnectSetKeepAlive(conn, 5, 3) < 0) virResetLastError();
        callback_id = virConnectDomainEventRegisterAny(
            conn, nullptr, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
            VIR_DOMAIN_EVENT_CALLBACK(&Impl::OnLifecycle), this, nullptr);
        if (callback_id < 0) {
            NOVA_LOG_WARN(Log(), log::kNoContext,
                          "URI {} does not support events; power states are synced by the "
                          "periodic task only",
                          uri);
            virResetLastError();
        }
    }
    void Close() {
        if (!conn) return;
        if (callback_id >= 0) virConnectDomainEventDeregisterAny(conn, callback_id);
        callback_id = -1;
        virConnectClose(conn);
        conn = nullptr;
    }
    // The connection, reopened when libvirtd went away (Nova's Host.get_connection).
    virConnectPtr Get() {
        std::lock_guard lock(mutex);
        if (conn && virConnectIsAlive(conn) == 1) return conn;
        if (conn) {
            NOVA_LOG_WARN(Log(), log::kNoContext, "Connection to libvirt {} lost; reconnecting",
                          uri);
            Close();
        }
        Open();
        NOVA_LOG_INFO(Log(), log::kNoContext, "Connected to libvirt at {}", uri);
        return conn;
    }
    Domain Lookup(const std::string& uuid) {
        virDomainPtr dom = virDomainLookupByUUIDString(Get(), uuid.c_str());
        if (!dom) ThrowLast("Domain " + uuid);
        return Domain(dom);
    }
};

Host::Host(std::string uri, LifecycleHandler handler) : impl_(std::make_unique<Impl>()), uri_(uri) {
    impl_->uri = std::move(uri);
    impl_->handler = std::move(handler);
    impl_->loop = EventLoop::Acquire();
    impl_->Get();
}

Host::~Host() {
    {
        std::lock_guard lock(impl_->mutex);
        impl_->Close();
    }
    impl_->loop.reset();
}

bool Host::Exists(const std::string& uuid) {
    virDomainPtr dom = virDomainLookupByUUIDString(impl_->Get(), uuid.c_str());
    if (dom) {
        virDomainFree(dom);
        return true;
    }
    virErrorPtr err = virGetLastError();
    if (err && err->code == VIR_ERR_NO_DOMAIN) return false;
    ThrowLast("Domain " + uuid);
}

void Host::Define(const std::string& xml) {
    virDomainPtr dom = virDomainDefineXML(impl_->Get(), xml.c_str());
    if (!dom) ThrowLast("Defining the domain failed");
    virDomainFree(dom);
}

void Host::Start(const std::string& uuid) {
    auto dom = impl_->Lookup(uuid);
    if (virDomainCreate(dom.get()) < 0) ThrowLast("Starting domain " + uuid);
}

void Host::Destroy(const std::string& uuid) {
    auto dom = impl_->Lookup(uuid);
    if (virDomainIsActive(dom.get()) != 1) return;
    if (virDomainDestroy(dom.get()) < 0) {
        virErrorPtr err = virGetLastError();
        if (err && err->code == VIR_ERR_OPERATION_INVALID) return;  // stopped meanwhile
        ThrowLast("Destroying domain " + uuid);
    }
}

void Host::Shutdown(const std::string& uuid) {
    auto dom = impl_->Lookup(uuid);
    if (virDomainShutdown(dom.get()) < 0) ThrowLast("Shutting down domain " + uuid);
}

void Host::Suspend(const std::string& uuid) {
    auto dom = impl_->Lookup(uuid);
    if (virDomainSuspend(dom.get()) < 0) ThrowLast("Pausing domain " + uuid);
}

void Host::Resume(const std::string& uuid) {
    auto dom = impl_->Lookup(uuid);
    if (virDomainResume(dom.get()) < 0) ThrowLast("Resuming domain " + uuid);
}

void Host::ManagedSave(const std::string& uuid) {
    auto dom = impl_->Lookup(uuid);
    if (virDomainManagedSave(dom.get(), 0) < 0) ThrowLast("Saving domain " + uuid);
}

void Host::Undefine(const std::string& uuid) {
    virDomainPtr raw = virDomainLookupByUUIDString(impl_->Get(), uuid.c_str());
    if (!raw) {
        virErrorPtr err = virGetLastError();
        if (err && err->code == VIR_ERR_NO_DOMAIN) return;
        ThrowLast("Domain " + uuid);
    }
    Domain dom(raw);
    if (virDomainUndefineFlags(dom.get(), VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                                              VIR_DOMAIN_UNDEFINE_NVRAM) == 0) {
        return;
    }
    // Older hypervisors know fewer flags (Nova's Guest.delete_configuration falls back too).
    if (virDomainUndefineFlags(dom.get(), VIR_DOMAIN_UNDEFINE_MANAGED_SAVE) == 0) return;
    if (virDomainUndefine(dom.get()) < 0) ThrowLast("Undefining domain " + uuid);
}

DomainInfo Host::Info(const std::string& uuid) {
    auto dom = impl_->Lookup(uuid);
    virDomainInfo info;
    if (virDomainGetInfo(dom.get(), &info) < 0) ThrowLast("Domain info of " + uuid);
    DomainInfo out;
    out.raw_state = info.state;
    out.state = FromLibvirt(info.state);
    out.max_memory_kib = static_cast<std::int64_t>(info.maxMem);
    out.memory_kib = static_cast<std::int64_t>(info.memory);
    out.vcpus = info.nrVirtCpu;
    int saved = virDomainHasManagedSaveImage(dom.get(), 0);
    if (saved < 0) virResetLastError();
    out.has_managed_save = saved == 1;
    return out;
}

std::string Host::Name(const std::string& uuid) {
    auto dom = impl_->Lookup(uuid);
    const char* name = virDomainGetName(dom.get());
    return name ? name : "";
}

std::string Host::XmlDesc(const std::string& uuid) {
    auto dom = impl_->Lookup(uuid);
    char* xml = virDomainGetXMLDesc(dom.get(), 0);
    if (!xml) ThrowLast("XML of domain " + uuid);
    std::string out(xml);
    std::free(xml);
    return out;
}

std::vector<std::string> Host::ListUuids() {
    virDomainPtr* doms = nullptr;
    int n = virConnectListAllDomains(impl_->Get(), &doms, 0);
    if (n < 0) ThrowLast("Listing domains");
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        out.push_back(UuidOf(doms[i]));
        virDomainFree(doms[i]);
    }
    std::free(doms);
    return out;
}

std::vector<std::pair<int, std::int64_t>> Host::RunningUsage() {
    virDomainPtr* doms = nullptr;
    int n = virConnectListAllDomains(impl_->Get(), &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    if (n < 0) ThrowLast("Listing domains");
    std::vector<std::pair<int, std::int64_t>> out;
    for (int i = 0; i < n; ++i) {
        virDomainInfo info;
        if (virDomainGetInfo(doms[i], &info) == 0) {
            out.emplace_back(info.nrVirtCpu, static_cast<std::int64_t>(info.memory));
        } else {
            virResetLastError();  // gone meanwhile
        }
        virDomainFree(doms[i]);
    }
    std::free(doms);
    return out;
}

NodeInfo Host::GetNodeInfo() {
    virNodeInfo info;
    if (virNodeGetInfo(impl_->Get(), &info) < 0) ThrowLast("Node info");
    NodeInfo out;
    out.model = info.model;
    out.memory_kib = static_cast<std::int64_t>(info.memory);
    out.cpus = static_cast<int>(info.cpus);
    out.mhz = static_cast<int>(info.mhz);
    out.nodes = static_cast<int>(info.nodes);
    out.sockets = static_cast<int>(info.sockets);
    out.cores = static_cast<int>(info.cores);
    out.threads = static_cast<int>(info.threads);
    return out;
}

std::string Host::Capabilities() {
    char* caps = virConnectGetCapabilities(impl_->Get());
    if (!caps) ThrowLast("Host capabilities");
    std::string out(caps);
    std::free(caps);
    return out;
}

std::string Host::Hostname() {
    char* name = virConnectGetHostname(impl_->Get());
    if (!name) ThrowLast("Host name");
    std::string out(name);
    std::free(name);
    return out;
}

std::string Host::DriverType() {
    const char* type = virConnectGetType(impl_->Get());
    if (!type) ThrowLast("Driver type");
    return type;
}

std::int64_t Host::HypervisorVersion() {
    unsigned long version = 0;
    if (virConnectGetVersion(impl_->Get(), &version) < 0) ThrowLast("Hypervisor version");
    return static_cast<std::int64_t>(version);
}

std::int64_t Host::LibraryVersion() {
    unsigned long version = 0;
    if (virConnectGetLibVersion(impl_->Get(), &version) < 0) ThrowLast("Library version");
    return static_cast<std::int64_t>(version);
}

std::optional<std::int64_t> Host::NodeMemoryUsedKib() {
    virConnectPtr conn = impl_->Get();
    int n = 0;
    if (virNodeGetMemoryStats(conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, nullptr, &n, 0) < 0 ||
        n <= 0) {
        virResetLastError();
        return std::nullopt;
    }
    std::vector<virNodeMemoryStats> stats(static_cast<std::size_t>(n));
    if (virNodeGetMemoryStats(conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, stats.data(), &n, 0) < 0) {
        virResetLastError();
        return std::nullopt;
    }
    std::int64_t total = 0, free = 0;
    for (int i = 0; i < n; ++i) {
        std::string field = stats[static_cast<std::size_t>(i)].field;
        auto value = static_cast<std::int64_t>(stats[static_cast<std::size_t>(i)].value);
        if (field == VIR_NODE_MEMORY_STATS_TOTAL) total = value;
        if (field == VIR_NODE_MEMORY_STATS_FREE || field == VIR_NODE_MEMORY_STATS_BUFFERS ||
            field == VIR_NODE_MEMORY_STATS_CACHED) {
            free += value;
        }
    }
    if (total <= 0) return std::nullopt;
    return total - free;
}

}  // namespace nova::virt::libvirt
