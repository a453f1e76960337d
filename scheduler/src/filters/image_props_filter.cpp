// Nova's ImagePropertiesFilter: the image's hw_architecture (or
// [filter_scheduler] image_properties_default_architecture), img_hv_type and hw_vm_mode must
// be one of the host's supported_instances, and img_hv_requested_version must be satisfied
// by the hypervisor version.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>

#include <fmt/format.h>

#include "all_filters.hpp"
#include "nova/common/log.hpp"

namespace nova::scheduler::filters {

namespace {

std::string Lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

// Nova's Architecture / HVType / VMMode canonicalize (aliases of older releases).
std::string CanonicalArch(const std::string& name) {
    if (name.empty()) return name;
    auto n = Lower(name);
    if (n == "i386" || n == "i486" || n == "i586" || n == "x86_32" || n == "x86_32p") return "i686";
    if (n == "amd64") return "x86_64";
    return n;
}
std::string CanonicalHvType(const std::string& name) {
    auto n = Lower(name);
    return n == "xapi" ? "xen" : n;
}
std::string CanonicalVmMode(const std::string& name) {
    auto n = Lower(name);
    if (n == "pv") return "xen";
    if (n == "hv" || n == "baremetal") return "hvm";
    return n;
}

std::vector<long> VersionParts(std::string_view text) {
    std::vector<long> parts;
    while (!text.empty()) {
        long v = 0;
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc()) break;
        parts.push_back(v);
        text.remove_prefix(ptr - text.data());
        if (text.empty() || text.front() != '.') break;
        text.remove_prefix(1);
    }
    return parts;
}

int CompareVersions(std::vector<long> a, std::vector<long> b) {
    auto n = std::max(a.size(), b.size());
    a.resize(n, 0);
    b.resize(n, 0);
    return a < b ? -1 : (a == b ? 0 : 1);
}

// oslo's convert_version_to_str: 6001002 -> "6.1.2".
std::string VersionToString(std::int64_t v) {
    std::vector<std::int64_t> parts;
    do {
        parts.insert(parts.begin(), v % 1000);
        v /= 1000;
    } while (v > 0);
    return fmt::format("{}", fmt::join(parts, "."));
}

// distutils' VersionPredicate conditions: ">=6.0, <7" (comma-separated, operator first).
bool PredicateSatisfied(const std::string& predicate, const std::string& version) {
    const auto have = VersionParts(version);
    std::stringstream in(predicate);
    for (std::string cond; std::getline(in, cond, ',');) {
        cond.erase(std::remove_if(cond.begin(), cond.end(), [](unsigned char c) { return std::isspace(c); }),
                   cond.end());
        if (cond.empty()) continue;
        std::size_t op_len = 0;
        while (op_len < cond.size() && std::string_view("<>=!").find(cond[op_len]) != std::string_view::npos) {
            ++op_len;
        }
        const auto op = cond.substr(0, op_len);
        const int c = CompareVersions(have, VersionParts(cond.substr(op_len)));
        bool ok;
        if (op == ">=") ok = c >= 0;
        else if (op == "<=") ok = c <= 0;
        else if (op == ">") ok = c > 0;
        else if (op == "<") ok = c < 0;
        else if (op == "==" || op.empty()) ok = c == 0;
        else if (op == "!=") ok = c != 0;
        else return false;
        if (!ok) return false;
    }
    return true;
}

class ImagePropertiesFilter final : public HostFilter {
public:
    explicit ImagePropertiesFilter(const FilterDeps& deps)
        : default_arch_(deps.filter_scheduler.image_properties_default_architecture.value_or("")) {}
    std::string_view Name() const override { return "ImagePropertiesFilter"; }
    bool RunFilterOncePerRequest() const override { return true; }
    bool RunOnRebuild() const override { return true; }

    bool HostPasses(const HostState& host, const objects::RequestSpec& spec) const override {
        static auto& log = log::Get("nova.scheduler.filters.image_props_filter");
        objects::ImageMetaProps none;
        const auto& props = spec.has_image() ? spec.image().properties() : none;
        const std::string arch =
            CanonicalArch(props.has_hw_architecture() ? props.hw_architecture() : default_arch_);
        const std::string hv_type = CanonicalHvType(props.img_hv_type());
        const std::string vm_mode = CanonicalVmMode(props.hw_vm_mode());
        if (arch.empty() && hv_type.empty() && vm_mode.empty()) return true;
        if (host.supported_instances.empty()) {
            NOVA_LOG_DEBUG(log, log::kNoContext,
                           "Instance contains properties (arch {}, hv_type {}, vm_mode {}), but "
                           "no corresponding supported_instances are advertised by the compute "
                           "node", arch, hv_type, vm_mode);
            return false;
        }
        for (const auto& supported : host.supported_instances) {
            if (!arch.empty() && CanonicalArch(supported.arch) != arch) continue;
            if (!hv_type.empty() && CanonicalHvType(supported.hv_type) != hv_type) continue;
            if (!vm_mode.empty() && CanonicalVmMode(supported.vm_mode) != vm_mode) continue;
            if (host.hypervisor_version != 0 && props.has_img_hv_requested_version() &&
                !props.img_hv_requested_version().empty() &&
                !PredicateSatisfied(props.img_hv_requested_version(),
                                    VersionToString(host.hypervisor_version))) {
                continue;
            }
            return true;
        }
        NOVA_LOG_DEBUG(log, log::kNoContext,
                       "{} does not support requested instance_properties", host.ToString());
        return false;
    }

private:
    std::string default_arch_;
};

}  // namespace

std::unique_ptr<HostFilter> MakeImagePropertiesFilter(const FilterDeps& deps) {
    return std::make_unique<ImagePropertiesFilter>(deps);
}

}  // namespace nova::scheduler::filters
