// Nova's ComputeCapabilitiesFilter: flavor extra specs without a namespace that name a host
// attribute (or a stats key), and those scoped "capabilities:", must match the host's value
// (extra_specs_ops). Nested scopes descend into JSON text such as cpu_info
// ("capabilities:cpu_info:arch").
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "all_filters.hpp"
#include "nova/common/json.hpp"
#include "nova/common/log.hpp"

namespace nova::scheduler::filters {

namespace {

// The host attributes Nova's HostState exposes that a capability may name.
std::optional<Json> Attribute(const HostState& h, const std::string& name) {
    if (name == "host") return h.host;
    if (name == "nodename") return h.nodename;
    if (name == "uuid") return h.uuid;
    if (name == "free_ram_mb") return h.free_ram_mb;
    if (name == "free_disk_mb") return h.free_disk_mb;
    if (name == "total_usable_ram_mb") return h.total_usable_ram_mb;
    if (name == "total_usable_disk_gb") return h.total_usable_disk_gb;
    if (name == "disk_mb_used") return h.disk_mb_used;
    if (name == "vcpus_total") return h.vcpus_total;
    if (name == "vcpus_used") return h.vcpus_used;
    if (name == "num_instances") return h.num_instances;
    if (name == "num_io_ops") return h.num_io_ops;
    if (name == "failed_builds") return h.failed_builds;
    if (name == "hypervisor_type") return h.hypervisor_type;
    if (name == "hypervisor_version") return h.hypervisor_version;
    if (name == "hypervisor_hostname") return h.hypervisor_hostname;
    if (name == "cpu_info") return h.cpu_info;
    if (name == "host_ip") return h.host_ip;
    if (name == "cpu_allocation_ratio") return h.cpu_allocation_ratio;
    if (name == "ram_allocation_ratio") return h.ram_allocation_ratio;
    if (name == "disk_allocation_ratio") return h.disk_allocation_ratio;
    return std::nullopt;
}

// Python's str() of a value (repr inside containers).
std::string PyStr(const Json& v, bool nested = false) {
    if (v.is_string()) {
        if (!nested) return v.get<std::string>();
        auto quoted = PythonListRepr({v.get<std::string>()});  // ['text']
        return quoted.substr(1, quoted.size() - 2);
    }
    if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
    if (v.is_null()) return "None";
    if (v.is_number_integer()) return v.dump();
    if (v.is_number_float()) {
        double d = v.get<double>();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e16) {
            return fmt::format("{:.1f}", d);
        }
        return fmt::format("{}", d);
    }
    std::string out;
    if (v.is_array()) {
        out = "[";
        bool first = true;
        for (const auto& item : v) {
            if (!first) out += ", ";
            first = false;
            out += PyStr(item, true);
        }
        return out + "]";
    }
    out = "{";
    bool first = true;
    for (const auto& [k, item] : v.items()) {
        if (!first) out += ", ";
        first = false;
        out += PyStr(Json(k), true) + ": " + PyStr(item, true);
    }
    return out + "}";
}

class ComputeCapabilitiesFilter final : public HostFilter {
public:
    std::string_view Name() const override { return "ComputeCapabilitiesFilter"; }
    bool RunFilterOncePerRequest() const override { return true; }

    bool HostPasses(const HostState& host, const objects::RequestSpec& spec) const override {
        static auto& log = log::Get("nova.scheduler.filters.compute_capabilities_filter");
        for (const auto& [key, req] : spec.flavor().extra_specs()) {
            std::vector<std::string> scope;
            std::size_t start = 0;
            while (true) {
                auto colon = key.find(':', start);
                scope.push_back(key.substr(start, colon - start));
                if (colon == std::string::npos) break;
                start = colon + 1;
            }
            if (scope.size() == 1) {
                if (!Attribute(host, key) && !host.stats.contains(key)) continue;
            } else {
                if (scope.front() != "capabilities") continue;
                scope.erase(scope.begin());
            }
            auto cap = Capability(host, scope);
            if (!cap) {
                NOVA_LOG_DEBUG(log, log::kNoContext,
                               "{} fails flavor extra_specs requirements", host.ToString());
                return false;
            }
            auto text = PyStr(*cap);
            if (!ExtraSpecMatch(text, req)) {
                NOVA_LOG_DEBUG(log, log::kNoContext,
                               "{} fails extra_spec requirements. '{}' does not match '{}'",
                               host.ToString(), req, text);
                NOVA_LOG_DEBUG(log, log::kNoContext,
                               "{} fails flavor extra_specs requirements", host.ToString());
                return false;
            }
        }
        return true;
    }

private:
    // Nova's _get_capabilities: attribute (or stats key) of the host, then keys of dicts,
    // parsing JSON text on the way.
    static std::optional<Json> Capability(const HostState& host,
                                          const std::vector<std::string>& scope) {
        std::optional<Json> cap;
        for (std::size_t i = 0; i < scope.size(); ++i) {
            if (i == 0) {
                cap = Attribute(host, scope[0]);
                // Nova looks at stats when the attribute is None (an unset text here).
                if (!cap || (cap->is_string() && cap->get<std::string>().empty())) {
                    auto it = host.stats.find(scope[0]);
                    if (it == host.stats.end()) return std::nullopt;
                    cap = Json(it->second);
                }
                continue;
            }
            if (cap->is_string()) {
                auto parsed = Json::parse(cap->get<std::string>(), nullptr, false);
                if (parsed.is_discarded()) return std::nullopt;
                cap = std::move(parsed);
            }
            if (!cap->is_object()) return std::nullopt;
            auto it = cap->find(scope[i]);
            if (it == cap->end() || it->is_null()) return std::nullopt;
            cap = *it;
        }
        return cap;
    }
};

}  // namespace

std::unique_ptr<HostFilter> MakeComputeCapabilitiesFilter(const FilterDeps&) {
    return std::make_unique<ComputeCapabilitiesFilter>();
}

}  // namespace nova::scheduler::filters
