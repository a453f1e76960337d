#include "nova/scheduler/filters.hpp"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "filters/all_filters.hpp"
#include "nova/common/error.hpp"
#include "nova/common/log.hpp"

namespace nova::scheduler {

namespace {

using Factory = std::unique_ptr<HostFilter> (*)(const FilterDeps&);

struct Entry {
    std::string_view name;
    Factory make;
};

// The filter table. Names are Nova's class names; enabled_filters refers to them.
constexpr Entry kFilters[] = {
    {"AllHostsFilter", &filters::MakeAllHostsFilter},
    {"ComputeFilter", &filters::MakeComputeFilter},
    {"AvailabilityZoneFilter", &filters::MakeAvailabilityZoneFilter},
    {"ComputeCapabilitiesFilter", &filters::MakeComputeCapabilitiesFilter},
    {"ImagePropertiesFilter", &filters::MakeImagePropertiesFilter},
    {"ServerGroupAntiAffinityFilter", &filters::MakeServerGroupAntiAffinityFilter},
    {"ServerGroupAffinityFilter", &filters::MakeServerGroupAffinityFilter},
    {"SameHostFilter", &filters::MakeSameHostFilter},
    {"DifferentHostFilter", &filters::MakeDifferentHostFilter},
    {"AggregateInstanceExtraSpecsFilter", &filters::MakeAggregateInstanceExtraSpecsFilter},
    {"IoOpsFilter", &filters::MakeIoOpsFilter},
    {"NumInstancesFilter", &filters::MakeNumInstancesFilter},
};

std::string PythonStrRepr(const std::string& s) {
    // Python's repr of a str: single quotes unless the text holds one and no double quote.
    const bool dq = s.find('\'') != std::string::npos && s.find('"') == std::string::npos;
    const char q = dq ? '"' : '\'';
    std::string out(1, q);
    for (char c : s) {
        if (c == '\\' || c == q) out.push_back('\\');
        out.push_back(c);
    }
    out.push_back(q);
    return out;
}

}  // namespace

std::vector<std::string> AvailableFilterNames() {
    std::vector<std::string> out;
    for (const auto& e : kFilters) out.emplace_back(e.name);
    return out;
}

std::vector<std::unique_ptr<HostFilter>> MakeFilters(const std::vector<std::string>& names,
                                                     const FilterDeps& deps) {
    std::vector<std::string> bad;
    std::vector<std::unique_ptr<HostFilter>> out;
    for (const auto& name : names) {
        auto it = std::find_if(std::begin(kFilters), std::end(kFilters),
                               [&](const Entry& e) { return e.name == name; });
        if (it == std::end(kFilters)) {
            bad.push_back(name);
            continue;
        }
        out.push_back(it->make(deps));
    }
    if (!bad.empty()) {
        throw SchedulerHostFilterNotFound({{"filter_name", fmt::format("{}", fmt::join(bad, ", "))}});
    }
    return out;
}

std::string PythonListRepr(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ", ";
        out += PythonStrRepr(items[i]);
    }
    return out + "]";
}

FilterOutcome RunFilters(const std::vector<std::unique_ptr<HostFilter>>& filters,
                         const std::vector<HostState*>& hosts, const objects::RequestSpec& spec,
                         int index) {
    static auto& log = log::Get("nova.filters");
    FilterOutcome out;
    out.hosts = hosts;
    const bool rebuild = RequestIsRebuild(spec);
    NOVA_LOG_DEBUG(log, log::kNoContext, "Starting with {} host(s)", out.hosts.size());
    std::vector<std::string> full_results;
    for (const auto& filter : filters) {
        if (filter->RunFilterOncePerRequest() && index > 0) continue;
        const auto start = out.hosts.size();
        if (filter->RunOnRebuild() || !rebuild) {
            std::erase_if(out.hosts, [&](HostState* h) { return !filter->HostPasses(*h, spec); });
        }
        out.part_results.push_back(
            fmt::format("{}: (start: {}, end: {})", filter->Name(), start, out.hosts.size()));
        if (out.hosts.empty()) {
            NOVA_LOG_INFO(log, log::kNoContext, "Filter {} returned 0 hosts", filter->Name());
            out.emptied_by = std::string(filter->Name());
            full_results.push_back(fmt::format("('{}', None)", filter->Name()));
            break;
        }
        if (log.should_log(spdlog::level::debug)) {
            std::string remaining;
            for (const auto* h : out.hosts) {
                if (!remaining.empty()) remaining += ", ";
                remaining += fmt::format("({}, {})", PythonStrRepr(h->host), PythonStrRepr(h->nodename));
            }
            full_results.push_back(fmt::format("('{}', [{}])", filter->Name(), remaining));
        }
        NOVA_LOG_DEBUG(log, log::kNoContext, "Filter {} returned {} host(s)", filter->Name(),
                       out.hosts.size());
    }
    if (out.hosts.empty()) {
        const std::string prefix = fmt::format(
            "Filtering removed all hosts for the request with instance ID '{}'. Filter results: ",
            spec.instance_uuid());
        NOVA_LOG_DEBUG(log, log::kNoContext, "{}[{}]", prefix, fmt::join(full_results, ", "));
        out.removed_all_message = prefix + PythonListRepr(out.part_results);
        NOVA_LOG_INFO(log, log::kNoContext, "{}", out.removed_all_message);
    }
    return out;
}

std::optional<std::vector<std::string>> SchedulerHint(const objects::RequestSpec& spec,
                                                      const std::string& key) {
    if (!spec.has_scheduler_hints() || !spec.scheduler_hints().has_struct_value()) return std::nullopt;
    const auto& fields = spec.scheduler_hints().struct_value().fields();
    auto it = fields.find(key);
    if (it == fields.end()) return std::nullopt;
    std::vector<std::string> out;
    const auto& v = it->second;
    if (v.has_list_value()) {
        for (const auto& item : v.list_value().values()) {
            if (item.has_string_value()) out.push_back(item.string_value());
        }
    } else if (v.has_string_value()) {
        out.push_back(v.string_value());
    } else {
        return std::nullopt;
    }
    return out;
}

bool RequestIsRebuild(const objects::RequestSpec& spec) {
    auto hint = SchedulerHint(spec, "_nova_check_type");
    return hint && !hint->empty() && hint->front() == "rebuild";
}

}  // namespace nova::scheduler
