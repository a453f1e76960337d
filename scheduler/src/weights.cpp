#include "nova/scheduler/weights.hpp"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "nova/common/error.hpp"
#include "nova/common/log.hpp"
#include "weights/all_weighers.hpp"

namespace nova::scheduler {

namespace {

using Factory = std::unique_ptr<HostWeigher> (*)(const conf::FilterSchedulerOptions&);

struct Entry {
    std::string_view name;    // class name
    std::string_view module;  // Nova's module under nova.scheduler.weights
    Factory make;
};

// Our nova.scheduler.weights.all_weighers, in Nova's module order.
constexpr Entry kWeighers[] = {
    {"RAMWeigher", "ram", &weights::MakeRAMWeigher},
    {"CPUWeigher", "cpu", &weights::MakeCPUWeigher},
    {"DiskWeigher", "disk", &weights::MakeDiskWeigher},
    {"IoOpsWeigher", "io_ops", &weights::MakeIoOpsWeigher},
    {"ServerGroupSoftAffinityWeigher", "affinity", &weights::MakeServerGroupSoftAffinityWeigher},
    {"ServerGroupSoftAntiAffinityWeigher", "affinity",
     &weights::MakeServerGroupSoftAntiAffinityWeigher},
    {"BuildFailureWeigher", "compute", &weights::MakeBuildFailureWeigher},
};

constexpr std::string_view kAllWeighers = "nova.scheduler.weights.all_weighers";

}  // namespace

std::vector<std::string> AvailableWeigherNames() {
    std::vector<std::string> out;
    for (const auto& e : kWeighers) out.emplace_back(e.name);
    return out;
}

std::vector<std::unique_ptr<HostWeigher>> MakeWeighers(const std::vector<std::string>& names,
                                                       const conf::FilterSchedulerOptions& opts) {
    std::vector<std::unique_ptr<HostWeigher>> out;
    for (const auto& name : names) {
        if (name == kAllWeighers) {
            for (const auto& e : kWeighers) out.push_back(e.make(opts));
            continue;
        }
        auto it = std::find_if(std::begin(kWeighers), std::end(kWeighers), [&](const Entry& e) {
            return name == e.name ||
                   name == fmt::format("nova.scheduler.weights.{}.{}", e.module, e.name);
        });
        if (it == std::end(kWeighers)) {
            throw ClassNotFound({{"class_name", name}, {"exception", "no such weigher"}});
        }
        out.push_back(it->make(opts));
    }
    return out;
}

std::vector<double> Normalize(const std::vector<double>& weights, std::optional<double> minval,
                              std::optional<double> maxval) {
    if (weights.empty()) return {};
    const double hi = maxval ? *maxval : *std::max_element(weights.begin(), weights.end());
    const double lo = minval ? *minval : *std::min_element(weights.begin(), weights.end());
    if (lo == hi) return std::vector<double>(weights.size(), 0.0);
    std::vector<double> out;
    out.reserve(weights.size());
    for (double w : weights) out.push_back((w - lo) / (hi - lo));
    return out;
}

double WeightMultiplier(const HostState& host, const std::string& key, double config_value) {
    static auto& log = log::Get("nova.scheduler.utils");
    std::optional<double> lowest;
    std::size_t count = 0;
    for (const auto& agg : host.aggregates) {
        auto it = agg->metadata().find(key);
        if (it == agg->metadata().end()) continue;
        const char* begin = it->second.c_str();
        char* end = nullptr;
        double v = std::strtod(begin, &end);
        if (end == begin || *end != '\0') {
            NOVA_LOG_WARN(log, log::kNoContext,
                          "Could not decode '{}' weight multiplier: could not convert string to "
                          "float: '{}'", key, it->second);
            return config_value;
        }
        ++count;
        lowest = lowest ? std::min(*lowest, v) : v;
    }
    if (count > 1) {
        NOVA_LOG_INFO(log, log::kNoContext,
                      "{} values found, of which the minimum value will be used.", count);
    }
    return lowest.value_or(config_value);
}

std::vector<WeighedHost> WeighHosts(const std::vector<std::unique_ptr<HostWeigher>>& weighers,
                                    const std::vector<HostState*>& hosts,
                                    const objects::RequestSpec& spec) {
    std::vector<WeighedHost> out;
    out.reserve(hosts.size());
    for (auto* h : hosts) out.push_back({h, 0.0});
    if (out.size() <= 1) return out;
    std::vector<double> raw(out.size());
    for (const auto& weigher : weighers) {
        for (std::size_t i = 0; i < out.size(); ++i) raw[i] = weigher->Weigh(*out[i].host, spec);
        // Nova widens the weigher's minval/maxval to the weights seen (and, unlike here,
        // keeps the widened bounds for later requests).
        auto [lo_it, hi_it] = std::minmax_element(raw.begin(), raw.end());
        double lo = *lo_it, hi = *hi_it;
        if (auto m = weigher->MinVal()) lo = std::min(lo, *m);
        if (auto m = weigher->MaxVal()) hi = std::max(hi, *m);
        auto normalized = Normalize(raw, lo, hi);
        for (std::size_t i = 0; i < out.size(); ++i) {
            out[i].weight += weigher->Multiplier(*out[i].host) * normalized[i];
        }
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const WeighedHost& a, const WeighedHost& b) { return a.weight > b.weight; });
    return out;
}

}  // namespace nova::scheduler
