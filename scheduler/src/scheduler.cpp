#include "nova/scheduler/scheduler.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "nova/common/error.hpp"
#include "nova/common/log.hpp"
#include "nova/objects/object.hpp"

namespace nova::scheduler {

namespace {

auto& Log() {
    static auto& log = log::Get("nova.scheduler.manager");
    return log;
}

std::string Lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

void DumpString(const std::string& s, std::string& out) {
    // json.dumps escapes non-ASCII as \uXXXX; the texts here (uuids, class names) are ASCII,
    // and nlohmann's escaping of the rest is the same JSON.
    out += Json(s).dump(-1, ' ', true);
}

void Dump(const Json& v, std::string& out) {
    if (v.is_object()) {
        out += '{';
        bool first = true;
        for (const auto& [k, item] : v.items()) {
            if (!first) out += ", ";
            first = false;
            DumpString(k, out);
            out += ": ";
            Dump(item, out);
        }
        out += '}';
    } else if (v.is_array()) {
        out += '[';
        bool first = true;
        for (const auto& item : v) {
            if (!first) out += ", ";
            first = false;
            Dump(item, out);
        }
        out += ']';
    } else if (v.is_string()) {
        DumpString(v.get<std::string>(), out);
    } else {
        out += v.dump();
    }
}

}  // namespace

std::string PythonJsonDumps(const Json& value) {
    std::string out;
    Dump(value, out);
    return out;
}

SchedulerConfig DefaultSchedulerConfig() {
    SchedulerConfig c;
    c.scheduler = conf::Load<conf::SchedulerOptions>(conf::ConfigSource::FromString(""));
    c.filter_scheduler = conf::Load<conf::FilterSchedulerOptions>(conf::ConfigSource::FromString(""));
    return c;
}

std::vector<HostState*> RestrictHosts(const std::vector<HostState*>& hosts,
                                      const objects::RequestSpec& spec) {
    std::vector<HostState*> out = hosts;
    if (spec.has_requested_destination() && spec.requested_destination().has_host()) {
        const auto& dest = spec.requested_destination();
        const bool with_node = dest.has_node() && !dest.node().empty();
        std::erase_if(out, [&](HostState* h) {
            return h->host != dest.host() || (with_node && h->nodename != dest.node());
        });
        if (out.empty()) {
            NOVA_LOG_INFO(Log(), log::kNoContext,
                          "No hosts matched due to not matching requested destination ({}, {})",
                          dest.host(), with_node ? dest.node() : "None");
        } else {
            NOVA_LOG_INFO(Log(), log::kNoContext, "Host filter only checking host {} and node {}",
                          dest.host(), with_node ? dest.node() : "None");
        }
    }
    const auto& ignore = spec.ignore_hosts();
    const auto& force_hosts = spec.force_hosts();
    const auto& force_nodes = spec.force_nodes();
    if (!ignore.empty()) {
        std::set<std::string> lowered;
        for (const auto& h : ignore) lowered.insert(Lower(h));
        std::erase_if(out, [&](HostState* h) { return lowered.contains(Lower(h->host)); });
        NOVA_LOG_INFO(Log(), log::kNoContext, "Host filter ignoring hosts: {}", fmt::join(ignore, ", "));
        if (out.empty()) return out;
    }
    if (!force_hosts.empty()) {
        std::set<std::string> lowered;
        for (const auto& h : force_hosts) lowered.insert(Lower(h));
        std::erase_if(out, [&](HostState* h) { return !lowered.contains(Lower(h->host)); });
        if (out.empty()) {
            NOVA_LOG_INFO(Log(), log::kNoContext,
                          "No hosts matched due to not matching 'force_hosts' value of '{}'",
                          fmt::join(force_hosts, ", "));
        }
    }
    if (!force_nodes.empty()) {
        std::set<std::string> nodes(force_nodes.begin(), force_nodes.end());
        std::erase_if(out, [&](HostState* h) { return !nodes.contains(h->nodename); });
        if (out.empty()) {
            NOVA_LOG_INFO(Log(), log::kNoContext,
                          "No nodes matched due to not matching 'force_nodes' value of '{}'",
                          fmt::join(force_nodes, ", "));
        }
    }
    return out;
}

Scheduler::Scheduler(SchedulerConfig config, Placement& placement, HostManager& hosts,
                     const Clock& clock, std::optional<std::uint64_t> seed)
    : config_(std::move(config)),
      placement_(placement),
      hosts_(hosts),
      clock_(clock),
      rng_(seed ? *seed : std::random_device{}()) {
    FilterDeps deps;
    deps.filter_scheduler = config_.filter_scheduler;
    deps.default_availability_zone = config_.default_availability_zone;
    deps.service_down_time = config_.service_down_time;
    deps.clock = &clock_;
    filters_ = MakeFilters(config_.filter_scheduler.enabled_filters, deps);
    weighers_ = MakeWeighers(config_.filter_scheduler.weight_classes, config_.filter_scheduler);
}

Scheduler::Sorted Scheduler::GetSortedHosts(const objects::RequestSpec& spec,
                                            const std::vector<HostState*>& hosts, int index) {
    Sorted out;
    auto restricted = RestrictHosts(hosts, spec);
    // Nova lets forced hosts and nodes skip the filters (unless the request is a move check).
    const bool forced = (!spec.force_hosts().empty() || !spec.force_nodes().empty()) &&
                        !SchedulerHint(spec, "_nova_check_type");
    std::vector<HostState*> filtered;
    if (forced || restricted.empty()) {
        filtered = std::move(restricted);
    } else {
        auto outcome = RunFilters(filters_, restricted, spec, index);
        filtered = std::move(outcome.hosts);
        out.filter_message = std::move(outcome.removed_all_message);
    }
    if (filtered.empty()) return out;
    auto weighed = WeighHosts(weighers_, filtered, spec);
    std::lock_guard lock(rng_mu_);
    if (config_.filter_scheduler.shuffle_best_same_weighed_hosts) {
        auto best_end = std::find_if(weighed.begin(), weighed.end(), [&](const WeighedHost& w) {
            return w.weight != weighed.front().weight;
        });
        std::shuffle(weighed.begin(), best_end, rng_);
    }
    for (const auto& w : weighed) out.hosts.push_back(w.host);
    const auto subset = std::min<std::size_t>(
        static_cast<std::size_t>(config_.filter_scheduler.host_subset_size), out.hosts.size());
    std::uniform_int_distribution<std::size_t> pick(0, subset - 1);
    const auto chosen = pick(rng_);
    std::rotate(out.hosts.begin(), out.hosts.begin() + static_cast<std::ptrdiff_t>(chosen),
                out.hosts.begin() + static_cast<std::ptrdiff_t>(chosen) + 1);
    return out;
}

objects::Selection Scheduler::MakeSelection(const HostState& host,
                                            const AllocationCandidate* candidate) const {
    objects::Selection sel;
    sel.set_compute_node_uuid(host.uuid);
    sel.set_service_host(host.host);
    sel.set_nodename(host.nodename);
    sel.set_cell_uuid(host.cell_uuid);
    auto* limits = sel.mutable_limits();
    for (auto field : {"numa_topology", "vcpu", "disk_gb", "memory_mb"}) objects::SetNull(*limits, field);
    if (candidate) {
        sel.set_allocation_request(PythonJsonDumps(candidate->AllocationRequest()));
        sel.set_allocation_request_version(std::string(kAllocationRequestVersion));
    } else {
        objects::SetNull(sel, "allocation_request");
        objects::SetNull(sel, "allocation_request_version");
    }
    auto az = AggregateMetadata(host, std::string("availability_zone"));
    if (auto it = az.find("availability_zone"); it != az.end() && !it->second.empty()) {
        sel.set_availability_zone(*it->second.begin());
    } else {
        sel.set_availability_zone(config_.default_availability_zone);
    }
    return sel;
}

Json Scheduler::LegacyDestination(const objects::Selection& selection) {
    return Json{{"host", selection.service_host()},
                {"nodename", selection.nodename()},
                {"limits", Json::object()}};
}

std::vector<std::vector<objects::Selection>> Scheduler::SelectDestinations(
    const RequestContext& context, objects::RequestSpec spec,
    const std::vector<std::string>& instance_uuids, bool return_objects, bool return_alternates) {
    NOVA_LOG_DEBUG(Log(), context, "Starting to schedule for instances: {}",
                   PythonListRepr(instance_uuids));
    const bool rebuild = RequestIsRebuild(spec);
    // Placement's answer: provider uuid -> the allocation request for it.
    std::optional<std::map<std::string, AllocationCandidate>> candidates;
    if (!rebuild) {
        const auto resources = ResourcesFromRequestSpec(spec);
        auto list = placement_.GetAllocationCandidates(
            resources, static_cast<std::size_t>(config_.scheduler.max_placement_results));
        if (list.empty()) {
            NOVA_LOG_INFO(Log(), context,
                          "Got no allocation candidates from the Placement API. This could be "
                          "due to insufficient resources or a temporary occurrence as compute "
                          "nodes start up.");
            throw NoValidHost({{"reason", ""}});
        }
        candidates.emplace();
        for (auto& c : list) {
            auto uuid = c.provider_uuid;
            candidates->emplace(std::move(uuid), std::move(c));
        }
    }
    return_alternates = return_alternates && return_objects;

    std::set<std::string> wanted;
    if (candidates) {
        for (const auto& [uuid, c] : *candidates) wanted.insert(uuid);
    }
    auto states = hosts_.GetHostStates(candidates ? &wanted : nullptr, spec);
    std::vector<HostState*> hosts;
    for (auto& h : states) hosts.push_back(&h);

    const auto num_instances = instance_uuids.empty()
                                   ? static_cast<std::size_t>(std::max<std::int64_t>(spec.num_instances(), 1))
                                   : instance_uuids.size();
    const int num_alts = return_alternates ? config_.scheduler.max_attempts - 1 : 0;
    const bool claiming = !instance_uuids.empty() && candidates.has_value();

    std::vector<HostState*> chosen;
    std::vector<std::string> claimed;
    std::string filter_message;
    int num = 0;
    for (std::size_t i = 0; i < num_instances; ++i) {
        num = static_cast<int>(i);
        if (!instance_uuids.empty()) {
            spec.set_instance_uuid(instance_uuids[i]);
        }
        auto sorted = GetSortedHosts(spec, hosts, num);
        hosts = sorted.hosts;  // as Nova: the next instance starts from the filtered hosts
        if (hosts.empty()) {
            filter_message = sorted.filter_message;
            break;
        }
        HostState* picked = nullptr;
        if (claiming) {
            for (auto* host : hosts) {
                auto it = candidates->find(host->uuid);
                if (it == candidates->end()) {
                    NOVA_LOG_DEBUG(Log(), context,
                                   "A host state with uuid = '{}' that did not have a matching "
                                   "allocation_request was encountered while scheduling. This "
                                   "host was skipped.", host->uuid);
                    continue;
                }
                const objects::InstanceGroup* group =
                    spec.has_instance_group() ? &spec.instance_group() : nullptr;
                // Consumed before the claim, so that the requests choosing meanwhile weigh
                // this host with it (and queue less on one provider's lock).
                hosts_.Consume(host->uuid, spec);
                if (placement_.Claim(instance_uuids[i], spec.project_id(), spec.user_id(), it->second,
                                     group)) {
                    picked = host;
                    break;
                }
                hosts_.Unconsume(host->uuid, spec);
            }
            if (!picked) {
                NOVA_LOG_DEBUG(Log(), context, "Unable to successfully claim against any host.");
                filter_message = fmt::format(
                    "Unable to claim resources for instance {} on any of the {} host(s) that "
                    "passed the filters.", instance_uuids[i], hosts.size());
                break;
            }
            claimed.push_back(instance_uuids[i]);
        } else {
            picked = hosts.front();
            hosts_.Consume(picked->uuid, spec);
        }
        chosen.push_back(picked);
        const log::WithInstance scope{&context, spec.instance_uuid()};
        NOVA_LOG_DEBUG(Log(), scope, "Selected host: {}", picked->ToString());
        picked->ConsumeFromRequest(spec);
        if (spec.has_instance_group()) {
            spec.mutable_instance_group()->add_hosts(picked->host);
            if (!spec.instance_uuid().empty()) picked->instances.insert(spec.instance_uuid());
        }
    }

    if (chosen.size() != num_instances) {
        for (auto* host : chosen) hosts_.Unconsume(host->uuid, spec);
        for (const auto& uuid : claimed) {
            NOVA_LOG_DEBUG(Log(), context, "Cleaning up allocations for {}", uuid);
            placement_.RemoveClaim(uuid);
        }
        NOVA_LOG_DEBUG(Log(), context,
                       "There are {} hosts available but {} instances requested to build.",
                       chosen.size(), num_instances);
        std::string reason = "There are not enough hosts available.";
        if (!filter_message.empty()) reason += " " + filter_message;
        throw NoValidHost({{"reason", reason}});
    }

    if (num > 0 && num_alts > 0) hosts = GetSortedHosts(spec, hosts, num).hosts;
    std::vector<std::vector<objects::Selection>> out;
    for (auto* selected : chosen) {
        const AllocationCandidate* mine = nullptr;
        if (candidates) {
            auto it = candidates->find(selected->uuid);
            if (it != candidates->end()) mine = &it->second;
        }
        std::vector<objects::Selection> list{MakeSelection(*selected, mine)};
        for (auto* host : hosts) {
            if (static_cast<int>(list.size()) >= num_alts + 1) break;
            if (host->cell_uuid != selected->cell_uuid) continue;
            if (std::find(chosen.begin(), chosen.end(), host) != chosen.end()) continue;
            const AllocationCandidate* alt = nullptr;
            if (candidates) {
                auto it = candidates->find(host->uuid);
                if (it == candidates->end()) continue;
                alt = &it->second;
            }
            list.push_back(MakeSelection(*host, alt));
        }
        out.push_back(std::move(list));
    }
    if (!return_objects) {
        for (auto& list : out) list.resize(1);
    }
    return out;
}

}  // namespace nova::scheduler
