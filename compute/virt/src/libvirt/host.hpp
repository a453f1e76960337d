#pragma once
// The libvirt connection (Nova's nova/virt/libvirt/host.py and guest.py): the only code that
// calls vir* functions. It owns the connection, reconnects when libvirtd went away, and runs
// libvirt's event loop on a thread of its own, turning domain lifecycle events into
// (uuid, Transition) callbacks. Errors come out as LibvirtError with libvirt's error code;
// the driver translates them into Nova's errors.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "nova/virt/event.hpp"
#include "nova/virt/power_state.hpp"

namespace nova::virt::libvirt {

class LibvirtError : public std::runtime_error {
public:
    LibvirtError(int code, const std::string& message)
        : std::runtime_error(message), code_(code) {}
    int code() const { return code_; }
    bool NoDomain() const;         // VIR_ERR_NO_DOMAIN
    bool OperationInvalid() const; // VIR_ERR_OPERATION_INVALID (e.g. "domain is not running")
    bool ConnectionLost() const;   // the connection to libvirtd is gone

private:
    int code_;
};

struct DomainInfo {
    PowerState state = PowerState::kNoState;
    int raw_state = 0;  // virDomainState
    std::int64_t max_memory_kib = 0;
    std::int64_t memory_kib = 0;
    int vcpus = 0;
    bool has_managed_save = false;
};

struct NodeInfo {
    std::string model;
    std::int64_t memory_kib = 0;
    int cpus = 0;
    int mhz = 0;
    int nodes = 0;
    int sockets = 0;
    int cores = 0;
    int threads = 0;
};

class Host {
public:
    using LifecycleHandler = std::function<void(const std::string& uuid, Transition)>;

    // Connects to `uri`; `handler` receives lifecycle events on the event loop's thread.
    // Throws LibvirtError when libvirt cannot be reached.
    Host(std::string uri, LifecycleHandler handler);
    ~Host();
    Host(const Host&) = delete;
    Host& operator=(const Host&) = delete;

    const std::string& uri() const { return uri_; }

    // --- domains, by instance uuid --------------------------------------------------------
    bool Exists(const std::string& uuid);
    // Defines (or redefines) a persistent domain from XML.
    void Define(const std::string& xml);
    void Start(const std::string& uuid);     // virDomainCreate (restores a managed save)
    void Destroy(const std::string& uuid);   // hard power off; not running is fine
    void Shutdown(const std::string& uuid);  // ACPI shutdown request
    void Suspend(const std::string& uuid);   // pause the vCPUs
    void Resume(const std::string& uuid);
    void ManagedSave(const std::string& uuid);
    // Removes the definition with its managed save image and NVRAM; a missing domain is fine.
    void Undefine(const std::string& uuid);
    DomainInfo Info(const std::string& uuid);
    std::string Name(const std::string& uuid);
    std::string XmlDesc(const std::string& uuid);
    std::vector<std::string> ListUuids();
    // (vcpus, current memory KiB) of each running domain.
    std::vector<std::pair<int, std::int64_t>> RunningUsage();

    // --- the host -------------------------------------------------------------------------
    NodeInfo GetNodeInfo();
    std::string Capabilities();
    std::string Hostname();
    std::string DriverType();             // "QEMU", "Test", ...
    std::int64_t HypervisorVersion();    // major * 1,000,000 + minor * 1,000 + release
    std::int64_t LibraryVersion();
    // total - (free + buffers + cached) from virNodeGetMemoryStats, or nullopt when the
    // hypervisor does not report it.
    std::optional<std::int64_t> NodeMemoryUsedKib();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::string uri_;
};

}  // namespace nova::virt::libvirt
