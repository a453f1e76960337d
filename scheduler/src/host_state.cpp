#include "nova/scheduler/host_state.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace nova::scheduler {

namespace {

std::int64_t StatInt(const std::map<std::string, std::string>& stats, const std::string& key) {
    auto it = stats.find(key);
    if (it == stats.end()) return 0;
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
    (void)ptr;
    return ec == std::errc() ? v : 0;
}

WallTime ToWallTime(const google::protobuf::Timestamp& ts) {
    return WallTime(std::chrono::duration_cast<WallTime::duration>(
        std::chrono::seconds(ts.seconds()) + std::chrono::nanoseconds(ts.nanos())));
}

std::string Trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    auto e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

}  // namespace

void HostState::UpdateFromComputeNode(const objects::ComputeNode& node) {
    uuid = node.uuid();
    if (host.empty()) host = node.host();
    nodename = node.hypervisor_hostname();
    std::int64_t free_gb = node.free_disk_gb();
    if (node.has_disk_available_least()) free_gb = std::min(free_gb, node.disk_available_least());
    free_disk_mb = free_gb * 1024;
    disk_mb_used = node.local_gb_used() * 1024;
    free_ram_mb = node.free_ram_mb();
    total_usable_ram_mb = node.memory_mb();
    total_usable_disk_gb = node.local_gb();
    vcpus_total = node.vcpus();
    vcpus_used = node.vcpus_used();
    host_ip = node.host_ip();
    hypervisor_type = node.hypervisor_type();
    hypervisor_version = node.hypervisor_version();
    hypervisor_hostname = node.hypervisor_hostname();
    cpu_info = node.cpu_info();
    supported_instances.clear();
    for (const auto& spec : node.supported_hv_specs()) {
        supported_instances.push_back({spec.arch(), spec.hv_type(), spec.vm_mode()});
    }
    stats.clear();
    for (const auto& [k, v] : node.stats()) stats.emplace(k, v);
    failed_builds = StatInt(stats, "failed_builds");
    num_instances = StatInt(stats, "num_instances");
    num_io_ops = StatInt(stats, "io_workload");
    cpu_allocation_ratio = node.cpu_allocation_ratio();
    ram_allocation_ratio = node.ram_allocation_ratio();
    disk_allocation_ratio = node.disk_allocation_ratio();
    reported_at.reset();
    if (node.has_updated_at()) {
        reported_at = ToWallTime(node.updated_at());
    } else if (node.has_created_at()) {
        reported_at = ToWallTime(node.created_at());
    }
}

void HostState::UpdateFromService(const objects::Service& service) {
    service_disabled = service.disabled();
    service_disabled_reason = service.disabled_reason();
    liveness.forced_down = service.forced_down();
    liveness.last_seen_up.reset();
    liveness.created_at.reset();
    if (service.has_last_seen_up()) liveness.last_seen_up = ToWallTime(service.last_seen_up());
    if (service.has_created_at()) liveness.created_at = ToWallTime(service.created_at());
}

void HostState::ConsumeFromRequest(const objects::RequestSpec& spec) {
    const auto& flavor = spec.flavor();
    free_ram_mb -= flavor.memory_mb();
    free_disk_mb -= (flavor.root_gb() + flavor.ephemeral_gb()) * 1024;
    vcpus_used += flavor.vcpus();
    num_instances += 1;
    num_io_ops += 1;
}

std::string HostState::ToString() const {
    return fmt::format("({}, {}) ram: {}MB disk: {}MB io_ops: {} instances: {}", host, nodename,
                       free_ram_mb, free_disk_mb, num_io_ops, num_instances);
}

std::map<std::string, std::set<std::string>> AggregateMetadata(
    const HostState& host, const std::optional<std::string>& key) {
    std::map<std::string, std::set<std::string>> out;
    for (const auto& agg : host.aggregates) {
        if (key && !agg->metadata().contains(*key)) continue;
        for (const auto& [k, v] : agg->metadata()) {
            auto& values = out[k];
            std::string_view rest = v;
            while (true) {
                auto comma = rest.find(',');
                values.insert(Trim(rest.substr(0, comma)));
                if (comma == std::string_view::npos) break;
                rest.remove_prefix(comma + 1);
            }
        }
    }
    return out;
}

}  // namespace nova::scheduler
