// compute_task 1.24: schedule_and_build_instances and build_instances (nova/conductor/manager.py).
#include "nova/conductor/compute_task.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "nova/common/error.hpp"
#include "nova/common/log.hpp"
#include "nova/db/block_device_store.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/instance_action_store.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/db/quota_store.hpp"
#include "nova/db/scheduling_store.hpp"
#include "nova/db/tag_store.hpp"
#include "nova/objects/block_device.pb.h"
#include "nova/objects/instance_action.pb.h"
#include "nova/objects/instance_fault.pb.h"
#include "nova/objects/instance_mapping.pb.h"
#include "nova/objects/migration.pb.h"
#include "nova/db/migration_store.hpp"
#include "nova/common/uuid.hpp"
#include "nova/objects/object.hpp"
#include "nova/scheduler/placement.hpp"

namespace nova::conductor {
namespace {

auto& Logger() {
    static auto& log = log::Get("nova.conductor.compute_task");
    return log;
}

// --- cells ------------------------------------------------------------------------------------
}  // namespace

CellDatabases::CellDatabases(db::Pool& api, conf::DatabaseOptions options, const Clock& clock)
    : api_(api), options_(std::move(options)), clock_(clock) {}

void CellDatabases::Register(const std::string& cell_uuid, db::Pool& pool) {
    std::lock_guard lock(mutex_);
    registered_[cell_uuid] = &pool;
}

db::Pool& CellDatabases::Get(const objects::CellMapping& cell) {
    std::lock_guard lock(mutex_);
    if (auto it = registered_.find(cell.uuid()); it != registered_.end()) return *it->second;
    auto& pool = owned_[cell.uuid()];
    if (!pool) pool = db::Pool::Create(options_, cell.database_connection());
    return *pool;
}

objects::CellMapping CellDatabases::Cell0() {
    return db::CellMappingStore(api_, clock_).GetByUuid(db::kCell0Uuid);
}

objects::CellMapping CellDatabases::ForHost(const std::string& host) {
    return db::HostMappingStore(api_, clock_).GetByHost(host).cell_mapping();
}

objects::CellMapping CellDatabases::ForInstance(const std::string& instance_uuid) {
    auto mapping = db::InstanceMappingStore(api_, clock_).GetByInstanceUuid(instance_uuid);
    if (!objects::IsSet(mapping, "cell_mapping") || objects::IsNull(mapping, "cell_mapping")) {
        throw InstanceMappingNotFound({{"uuid", instance_uuid}});
    }
    return mapping.cell_mapping();
}

namespace {

// A new Instance for the cell database from what the API recorded (BuildRequest.get_new_instance).
objects::Instance NewInstance(const objects::BuildRequest& build_request) {
    objects::Instance instance = build_request.instance();
    objects::Unset(instance, "id");
    if (objects::IsSet(instance, "created_at")) objects::Unset(instance, "created_at");
    objects::ResetChanges(instance, true);
    return instance;
}

// The tags to create with the instance: schedule_and_build_instances' `tags` (a TagList
// primitive, RPC 1.17), else those the API recorded on the BuildRequest.
std::vector<std::string> TagsFor(const objects::BuildRequest& build_request, const Json& tags) {
    std::vector<std::string> out;
    if (tags.is_object() && tags.contains("nova_object.data")) {
        for (const auto& t : tags["nova_object.data"].value("objects", Json::array())) {
            const auto& data = t.value("nova_object.data", Json::object());
            if (data.contains("tag") && data["tag"].is_string()) out.push_back(data["tag"].get<std::string>());
        }
        return out;
    }
    for (const auto& t : build_request.tags().objects()) out.push_back(t.tag());
    return out;
}

// Writes the instance's tags in its cell (Nova's _create_tags) and sets them on the object
// that travels to the compute, as Nova does so that its instance.create notification has them.
void CreateTags(db::Pool& cell, objects::Instance& instance, std::vector<std::string> tags) {
    std::sort(tags.begin(), tags.end());
    tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
    if (!tags.empty()) {
        cell.Transaction([&](db::Session& s) { db::TagStore::Write(s, instance.uuid(), tags); });
    }
    auto* list = instance.mutable_tags();
    list->Clear();
    for (const auto& t : tags) {
        auto* tag = list->add_objects();
        tag->set_resource_id(instance.uuid());
        tag->set_tag(t);
    }
    objects::ResetChanges(instance, true);
}

Json LimitsDict(const objects::Selection& selection) {
    Json limits = Json::object();
    if (!objects::IsSet(selection, "limits") || objects::IsNull(selection, "limits")) return limits;
    const Json primitive = objects::ToPrimitive(selection.limits());
    for (const auto& item : primitive.at("nova_object.data").items()) {
        if (!item.value().is_null()) limits[item.key()] = item.value();
    }
    return limits;
}

// Nova's legacy security group names from the RequestSpec.
Json SecurityGroupNames(const objects::RequestSpec& spec) {
    Json names = Json::array();
    if (!objects::IsSet(spec, "security_groups")) return names;
    Json list = objects::FieldToPrimitive(spec, "security_groups");
    if (!list.is_object()) return names;
    for (const auto& group : list["nova_object.data"].value("objects", Json::array())) {
        const auto& data = group["nova_object.data"];
        if (data.contains("name") && data["name"].is_string()) names.push_back(data["name"]);
    }
    return names;
}

std::optional<std::string> OptString(const Json& value) {
    if (value.is_string()) return value.get<std::string>();
    return std::nullopt;
}

// Claims a Selection's allocation_request for the instance (scheduler_utils.claim_resources).
bool ClaimSelection(db::Pool& api, const Clock& clock, const objects::Instance& instance,
                    const objects::Selection& selection) {
    if (!selection.has_allocation_request() || objects::IsNull(selection, "allocation_request")) {
        return true;  // no placement request to claim: the host is taken as it is
    }
    Json request = Json::parse(selection.allocation_request());
    const auto& allocations = request.at("allocations");
    if (allocations.size() != 1) return false;  // nova-cpp providers are single nodes
    auto entry = allocations.begin();
    const std::string provider = entry.key();
    scheduler::Resources resources;
    for (const auto& item : entry.value().at("resources").items()) {
        resources[item.key()] = item.value().get<std::int64_t>();
    }
    return scheduler::Placement(api, clock).Claim(instance.uuid(), instance.project_id(), instance.user_id(),
                                                  provider, resources);
}

// The fault Nova records when the conductor gives up on an instance (compute_utils
// add_instance_fault_from_exc, without the traceback).
objects::InstanceFault FaultFor(const std::string& instance_uuid, const NovaError& error,
                                const std::string& host) {
    objects::InstanceFault fault;
    fault.set_instance_uuid(instance_uuid);
    fault.set_code(error.code());
    fault.set_message(error.message());
    fault.set_details(std::string(error.class_name()) + ": " + error.message());
    fault.set_host(host);
    return fault;
}

}  // namespace

ComputeTaskManager::ComputeTaskManager(db::Pool& api, CellDatabases& cells, const Clock& clock,
                                       const scheduler::SchedulerRpcApi& scheduler,
                                       const compute::ComputeRpcApi& compute, ComputeTaskOptions options)
    : api_(api), cells_(cells), clock_(clock), scheduler_(scheduler), compute_(compute),
      options_(std::move(options)) {}

void ComputeTaskManager::SetErrorWithFault(const RequestContext& context, db::Pool& cell,
                                           objects::Instance& instance, const NovaError& error) {
    instance.set_vm_state("error");
    objects::SetNull(instance, "task_state");
    db::InstanceStore(cell, clock_).Save(instance);
    auto fault = FaultFor(instance.uuid(), error, options_.host);
    db::InstanceFaultStore(cell, clock_).Create(fault);
    NOVA_LOG_WARN(Logger(), context, "Setting instance {} to ERROR state: {}", instance.uuid(), error.message());
}

void ComputeTaskManager::BuryInCell0(const RequestContext& context,
                                     const std::vector<objects::BuildRequest>& build_requests,
                                     const NovaError& error) {
    auto cell0 = cells_.Cell0();
    db::Pool& pool = cells_.Get(cell0);
    db::InstanceMappingStore mappings(api_, clock_);
    db::BuildRequestStore requests(api_, clock_);
    for (const auto& build_request : build_requests) {
        auto instance = NewInstance(build_request);
        instance.set_vm_state("error");
        objects::SetNull(instance, "task_state");
        db::InstanceStore(pool, clock_).Create(instance);
        CreateTags(pool, instance, TagsFor(build_request, Json()));
        auto fault = FaultFor(instance.uuid(), error, options_.host);
        db::InstanceFaultStore(pool, clock_).Create(fault);
        try {
            auto mapping = mappings.GetByInstanceUuid(instance.uuid());
            *mapping.mutable_cell_mapping() = cell0;
            objects::MarkChanged(mapping, "cell_mapping");
            mappings.Save(mapping);
        } catch (const InstanceMappingNotFound&) {
            NOVA_LOG_WARN(Logger(), context, "instance {} has no mapping to point at cell0", instance.uuid());
        }
        try {
            requests.Destroy(instance.uuid());
        } catch (const BuildRequestNotFound&) {
        }
        NOVA_LOG_WARN(Logger(), context, "instance {} buried in cell0: {}", instance.uuid(), error.message());
    }
}

int ComputeTaskManager::ReapOrphanedBuilds(const RequestContext& context) {
    const auto timeout = options_.orphaned_build_timeout;
    if (timeout.count() <= 0) return 0;
    const auto cutoff = std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()) - timeout;
    auto older = [&](const google::protobuf::Timestamp& created) { return created.seconds() < cutoff.count(); };
    const auto error = [&](const std::string& uuid) {
        return BuildAbortException(
            {{"instance_uuid", uuid},
             {"reason", fmt::format("the build did not reach a compute host within {} seconds (its conductor "
                                    "stopped mid-build)",
                                    timeout.count())}});
    };
    int reaped = 0;
    db::BuildRequestStore requests(api_, clock_);
    scheduler::Placement placement(api_, clock_);
    for (const auto& build_request : requests.GetAll()) {
        if (!build_request.has_created_at() || !older(build_request.created_at())) continue;
        const std::string& uuid = build_request.instance_uuid();
        // Whoever deletes the BuildRequest owns the outcome: a live conductor that gets there
        // later finds it gone and undoes its own work (the user-deleted path).
        try {
            requests.Destroy(uuid);
        } catch (const BuildRequestNotFound&) {
            continue;
        }
        const auto e = error(uuid);
        std::optional<objects::CellMapping> cell;
        try {
            cell = cells_.ForInstance(uuid);
        } catch (const NovaError&) {
        }
        bool handled = false;
        if (cell && cell->uuid() != db::kCell0Uuid) {
            db::Pool& pool = cells_.Get(*cell);
            try {
                auto instance = db::InstanceStore(pool, clock_).GetByUuid(uuid);
                SetErrorWithFault(context, pool, instance, e);
                handled = true;
            } catch (const InstanceNotFound&) {
            }
        }
        if (!handled) BuryInCell0(context, {build_request}, e);
        placement.RemoveClaim(uuid);
        NOVA_LOG_WARN(Logger(), context, "orphaned build of instance {} failed after {} s", uuid, timeout.count());
        ++reaped;
    }
    // Instances created in a cell whose build_and_run_instance never reached a compute.
    for (const auto& mapping : db::CellMappingStore(api_, clock_).GetAll()) {
        if (mapping.uuid() == db::kCell0Uuid) continue;
        db::Pool& pool = cells_.Get(mapping);
        db::InstanceStore instances(pool, clock_);
        db::InstanceFilters filters;
        filters.vm_states = {"building"};
        for (auto& instance : instances.GetByFilters(filters)) {
            if (objects::IsSet(instance, "host") && !objects::IsNull(instance, "host") && !instance.host().empty()) {
                continue;  // a compute has it
            }
            if (!instance.has_created_at() || !older(instance.created_at())) continue;
            try {
                requests.GetByInstanceUuid(instance.uuid());
                continue;  // still a BuildRequest: handled above once it is old enough
            } catch (const BuildRequestNotFound&) {
            }
            try {
                SetErrorWithFault(context, pool, instance, error(instance.uuid()));
            } catch (const NovaError& e) {
                // It moved on meanwhile (a compute claimed it, the user deleted it).
                NOVA_LOG_DEBUG(Logger(), context, "instance {} changed while being reaped: {}", instance.uuid(),
                               e.message());
                continue;
            }
            placement.RemoveClaim(instance.uuid());
            ++reaped;
        }
    }
    return reaped;
}

void ComputeTaskManager::ScheduleAndBuildInstances(
    const RequestContext& context, std::vector<objects::BuildRequest> build_requests,
    std::vector<objects::RequestSpec> request_specs, const Json& image, const Json& admin_password,
    const Json& injected_files, const Json& requested_networks, const Json& block_device_mapping,
    const Json& tags) {
    if (build_requests.empty() || request_specs.empty()) return;
    // At most max_concurrent_builds at once; the RPC worker waits here for its turn.
    std::unique_lock turn(builds_mu_, std::defer_lock);
    struct Permit {
        ComputeTaskManager* self;
        bool held = false;
        ~Permit() {
            if (!held) return;
            std::lock_guard lock(self->builds_mu_);
            --self->builds_running_;
            self->builds_cv_.notify_one();
        }
    } permit{this};
    if (options_.max_concurrent_builds > 0) {
        turn.lock();
        builds_cv_.wait(turn, [&] { return builds_running_ < options_.max_concurrent_builds; });
        ++builds_running_;
        permit.held = true;
        turn.unlock();
    }
    std::vector<std::string> uuids;
    for (const auto& br : build_requests) uuids.push_back(br.instance_uuid());

    std::vector<std::vector<objects::Selection>> host_lists;
    try {
        host_lists = scheduler_.SelectDestinations(context, request_specs.front(), uuids, true);
        if (host_lists.size() != build_requests.size()) {
            throw NoValidHost({{"reason", "the scheduler returned fewer hosts than instances"}});
        }
    } catch (const NovaError& e) {
        BuryInCell0(context, build_requests, e);
        return;
    } catch (const std::exception& e) {
        BuryInCell0(context, build_requests, NovaError::WithMessage(e.what()));
        return;
    }

    db::InstanceMappingStore mappings(api_, clock_);
    db::BuildRequestStore requests(api_, clock_);
    scheduler::Placement placement(api_, clock_);

    // Pass 1: each instance into its host's cell, its mapping pointed there.
    struct Placed {
        objects::Instance instance;
        objects::CellMapping cell;
        objects::Selection host;
        std::vector<objects::Selection> alternates;
        const objects::RequestSpec* spec;
    };
    std::vector<Placed> placed;
    for (std::size_t i = 0; i < build_requests.size(); ++i) {
        const auto& build_request = build_requests[i];
        auto host_list = host_lists[i];
        objects::Selection host = host_list.front();
        host_list.erase(host_list.begin());
        objects::CellMapping cell;
        try {
            cell = cells_.ForHost(host.service_host());
        } catch (const NovaError& e) {
            placement.RemoveClaim(build_request.instance_uuid());
            BuryInCell0(context, {build_request}, e);
            continue;
        }
        auto instance = NewInstance(build_request);
        if (host.has_availability_zone() && !objects::IsNull(host, "availability_zone")) {
            instance.set_availability_zone(host.availability_zone());
        }
        db::InstanceStore(cells_.Get(cell), clock_).Create(instance);
        // The tags are in the cell before the mapping points there, so that the server
        // never shows without them.
        CreateTags(cells_.Get(cell), instance, TagsFor(build_request, tags));
        mappings.SetCell(instance.uuid(), cell);
        placed.push_back({std::move(instance), std::move(cell), std::move(host), std::move(host_list),
                          request_specs.size() > i ? &request_specs[i] : &request_specs.front()});
    }

    // Nova's quota recheck: two API workers may each have let a request through that together
    // exceed the project's quota; now that the instances exist they count, and the build
    // that finds the project over its limits fails its instances.
    if (!placed.empty()) {
        try {
            RecheckQuota(placed.front().instance.project_id());
        } catch (const NovaError& e) {
            for (auto& p : placed) {
                db::Pool& pool = cells_.Get(p.cell);
                SetErrorWithFault(context, pool, p.instance, e);
                placement.RemoveClaim(p.instance.uuid());
                try {
                    requests.Destroy(p.instance.uuid());
                } catch (const BuildRequestNotFound&) {
                }
            }
            return;
        }
    }

    // Pass 2: block devices, the BuildRequest's end, the action, the cast.
    for (auto& p : placed) {
        auto& instance = p.instance;
        const auto& host = p.host;
        db::Pool& pool = cells_.Get(p.cell);
        db::InstanceStore instances(pool, clock_);
        Json bdms = Json::array();
        if (block_device_mapping.is_object()) {
            db::BlockDeviceMappingStore store(pool, clock_);
            for (const auto& primitive : block_device_mapping["nova_object.data"].value("objects", Json::array())) {
                auto bdm = objects::FromPrimitiveAs<objects::BlockDeviceMapping>(primitive);
                objects::Unset(bdm, "id");
                bdm.set_instance_uuid(instance.uuid());
                store.Create(bdm);
                bdms.push_back(objects::ToPrimitive(bdm));
            }
        }
        try {
            requests.Destroy(instance.uuid());
        } catch (const BuildRequestNotFound&) {
            // Deleted by the user while it was being scheduled: do not build it.
            NOVA_LOG_INFO(Logger(), context, "instance {} was deleted while building; not building it",
                          instance.uuid());
            try {
                instances.Destroy(instance);
            } catch (const InstanceNotFound&) {
            }
            placement.RemoveClaim(instance.uuid());
            continue;
        }
        objects::InstanceAction action;
        action.set_instance_uuid(instance.uuid());
        action.set_action("create");
        action.set_request_id(context.request_id);
        if (!context.user_id.empty()) action.set_user_id(context.user_id);
        if (!context.project_id.empty()) action.set_project_id(context.project_id);
        db::InstanceActionStore(pool, clock_).ActionStart(action);

        Json filter_properties = {
            {"retry", {{"num_attempts", 1}, {"hosts", Json::array({Json::array({host.service_host(), host.nodename()})})}}},
            {"limits", LimitsDict(host)}};
        Json bdm_list = {{"nova_object.name", "BlockDeviceMappingList"},
                         {"nova_object.namespace", "nova"},
                         {"nova_object.version", objects::SchemaVersion(*objects::BlockDeviceMappingList::descriptor()).ToString()},
                         {"nova_object.data", {{"objects", bdms}}}};
        compute_.BuildAndRunInstance(context, instance, host.service_host(), image, *p.spec, filter_properties,
                                     OptString(admin_password), injected_files, requested_networks,
                                     SecurityGroupNames(*p.spec), bdm_list, host.nodename(),
                                     filter_properties["limits"], p.alternates);
    }
}

void ComputeTaskManager::RecheckQuota(const std::string& project_id) {
    // Limits: the project's own, else the default quota class, else [quota].
    std::map<std::string, std::int64_t> limits = options_.quota_defaults;
    // (Both levels in one statement; no user's limits are asked for.)
    auto levels = db::QuotaStore(api_, clock_).GetLevels(project_id, "");
    for (const auto& [resource, limit] : levels.default_class) limits[resource] = limit;
    for (const auto& [resource, limit] : levels.project) limits[resource] = limit;
    // Nothing to count when no limit can be exceeded (every one unlimited): the count of
    // every cell was a third of this method's work per build.
    auto unlimited = [&](const char* resource) {
        auto it = limits.find(resource);
        return it == limits.end() || it->second < 0;
    };
    if (unlimited("instances") && unlimited("cores") && unlimited("ram")) return;
    // Usage: the project's live instances in every cell, cell0 included (Nova counts the
    // instances buried there too, until they are deleted).
    std::map<std::string, std::int64_t> used{{"instances", 0}, {"cores", 0}, {"ram", 0}};
    for (const auto& cell : db::CellMappingStore(api_, clock_).GetAll()) {
        auto usage = db::InstanceStore(cells_.Get(cell), clock_).CountUsage(project_id);
        used["instances"] += usage.instances;
        used["cores"] += usage.cores;
        used["ram"] += usage.ram;
    }
    std::vector<std::string> overs;
    for (const auto& [resource, amount] : used) {
        auto it = limits.find(resource);
        if (it != limits.end() && it->second >= 0 && amount > it->second) overs.push_back(resource);
    }
    if (!overs.empty()) {
        const auto& first = overs.front();
        throw TooManyInstances({{"overs", fmt::format("{}", fmt::join(overs, ","))},
                                {"req", 0},
                                {"used", used[first]},
                                {"allowed", limits[first]}});
    }
}

void ComputeTaskManager::BuildInstances(const RequestContext& context, std::vector<objects::Instance> instances,
                                        const Json& image, Json filter_properties, const Json& admin_password,
                                        const Json& injected_files, const Json& requested_networks,
                                        const Json& security_groups, const Json& block_device_mapping,
                                        const objects::RequestSpec& request_spec,
                                        std::vector<std::vector<objects::Selection>> host_lists) {
    if (!filter_properties.is_object()) filter_properties = Json::object();
    if (!filter_properties.contains("retry") || !filter_properties["retry"].is_object()) {
        filter_properties["retry"] = {{"num_attempts", 0}, {"hosts", Json::array()}};
    }
    auto& retry = filter_properties["retry"];
    int attempts = retry.value("num_attempts", 0) + 1;
    retry["num_attempts"] = attempts;
    Json exc_reason = retry.contains("exc_reason") ? retry["exc_reason"] : Json(nullptr);
    retry.erase("exc_reason");
    scheduler::Placement placement(api_, clock_);

    auto fail = [&](objects::Instance& instance, const NovaError& error) {
        try {
            db::Pool& pool = cells_.Get(cells_.ForInstance(instance.uuid()));
            auto current = db::InstanceStore(pool, clock_).GetByUuid(instance.uuid());
            SetErrorWithFault(context, pool, current, error);
        } catch (const InstanceNotFound&) {
            NOVA_LOG_INFO(Logger(), context, "instance {} was deleted during its reschedule", instance.uuid());
        }
        placement.RemoveClaim(instance.uuid());
    };

    for (std::size_t i = 0; i < instances.size(); ++i) {
        auto& instance = instances[i];
        if (attempts > options_.max_attempts) {
            fail(instance, MaxRetriesExceeded({{"reason", fmt::format(
                "Exceeded max scheduling attempts {} for instance {}. Last exception: {}",
                options_.max_attempts, instance.uuid(), exc_reason.is_string() ? exc_reason.get<std::string>() : PythonStr(exc_reason))}}));
            continue;
        }
        auto host_list = i < host_lists.size() ? host_lists[i] : std::vector<objects::Selection>{};
        std::optional<objects::Selection> chosen;
        while (!host_list.empty()) {
            objects::Selection candidate = host_list.front();
            host_list.erase(host_list.begin());
            if (ClaimSelection(api_, clock_, instance, candidate)) {
                chosen = std::move(candidate);
                break;
            }
            NOVA_LOG_INFO(Logger(), context, "alternate {} can no longer hold instance {}; trying the next",
                          candidate.service_host(), instance.uuid());
        }
        if (!chosen) {
            fail(instance, MaxRetriesExceeded({{"reason", fmt::format(
                "Exhausted all hosts available for retrying build failures for instance {}.", instance.uuid())}}));
            continue;
        }
        db::Pool& pool = cells_.Get(cells_.ForInstance(instance.uuid()));
        try {
            auto current = db::InstanceStore(pool, clock_).GetByUuid(instance.uuid());
            if (chosen->has_availability_zone() && !objects::IsNull(*chosen, "availability_zone")) {
                current.set_availability_zone(chosen->availability_zone());
                db::InstanceStore(pool, clock_).Save(current);
            }
            instance = std::move(current);
        } catch (const InstanceNotFound&) {
            placement.RemoveClaim(instance.uuid());
            continue;
        }
        Json local = filter_properties;
        local["retry"]["hosts"].push_back(Json::array({chosen->service_host(), chosen->nodename()}));
        local["limits"] = LimitsDict(*chosen);
        compute_.BuildAndRunInstance(context, instance, chosen->service_host(), image, request_spec, local,
                                     OptString(admin_password), injected_files, requested_networks,
                                     security_groups, block_device_mapping, chosen->nodename(), local["limits"],
                                     host_list);
    }
}

void ComputeTaskManager::MigrateServer(const RequestContext& context, objects::Instance instance,
                                       const objects::Flavor& flavor, bool clean_shutdown,
                                       objects::RequestSpec request_spec,
                                       std::optional<std::vector<objects::Selection>> host_list) {
    db::Pool& pool = cells_.Get(cells_.ForInstance(instance.uuid()));
    db::InstanceStore instances(pool, clock_);
    instance = instances.GetByUuid(instance.uuid());
    const bool resize = !instance.has_flavor() || instance.flavor().flavorid() != flavor.flavorid();
    scheduler::Placement placement(api_, clock_);

    objects::Migration migration;
    migration.set_uuid(GenerateUuid());
    migration.set_instance_uuid(instance.uuid());
    if (instance.has_host() && !objects::IsNull(instance, "host")) migration.set_source_compute(instance.host());
    if (instance.has_node() && !objects::IsNull(instance, "node")) migration.set_source_node(instance.node());
    if (instance.has_flavor() && instance.flavor().has_id()) migration.set_old_instance_type_id(instance.flavor().id());
    if (flavor.has_id()) migration.set_new_instance_type_id(flavor.id());
    migration.set_status("pre-migrating");
    migration.set_migration_type(resize ? "resize" : "migration");
    migration.set_hidden(false);
    migration.set_cross_cell_move(false);
    migration.set_user_id(context.user_id);
    migration.set_project_id(context.project_id);
    db::MigrationStore migrations(pool, clock_);
    migrations.Create(migration);

    bool moved = false;
    try {
        // The source's allocations belong to the migration while it runs.
        moved = placement.MoveAllocations(instance.uuid(), migration.uuid());
        *request_spec.mutable_flavor() = flavor;
        request_spec.set_instance_uuid(instance.uuid());
        request_spec.clear_ignore_hosts();
        if (migration.has_source_compute()) request_spec.add_ignore_hosts(migration.source_compute());
        objects::MarkChanged(request_spec, "ignore_hosts");
        std::vector<objects::Selection> hosts;
        if (host_list && !host_list->empty()) {
            // A compute's reschedule of the resize: the next alternate that can still be claimed.
            while (!host_list->empty()) {
                objects::Selection candidate = host_list->front();
                host_list->erase(host_list->begin());
                if (ClaimSelection(api_, clock_, instance, candidate)) {
                    hosts.push_back(std::move(candidate));
                    break;
                }
            }
            if (hosts.empty()) throw NoValidHost({{"reason", "no alternate host can take the instance"}});
            for (auto& rest : *host_list) hosts.push_back(std::move(rest));
        } else {
            auto lists = scheduler_.SelectDestinations(context, request_spec, {instance.uuid()}, true);
            if (lists.empty() || lists.front().empty()) throw NoValidHost({{"reason", ""}});
            hosts = std::move(lists.front());
        }
        objects::Selection destination = hosts.front();
        hosts.erase(hosts.begin());
        Json filter_properties = {
            {"retry", {{"num_attempts", 1}, {"hosts", Json::array({Json::array({destination.service_host(), destination.nodename()})})}}},
            {"limits", LimitsDict(destination)}};
        Json image = objects::IsSet(request_spec, "image") ? objects::FieldToPrimitive(request_spec, "image") : Json::object();
        compute_.PrepResize(context, instance, image, flavor, destination.service_host(), migration, request_spec,
                            filter_properties, destination.nodename(), clean_shutdown, hosts);
    } catch (const NovaError& e) {
        // Undo: allocations back to the instance, the migration in error, the instance as it was.
        placement.RemoveClaim(instance.uuid());  // a destination claim, if one was made
        if (moved) placement.MoveAllocations(migration.uuid(), instance.uuid());
        migration.set_status("error");
        migrations.Save(migration);
        auto current = instances.GetByUuid(instance.uuid());
        if (!current.has_vm_state() || current.vm_state().empty()) current.set_vm_state("active");
        objects::SetNull(current, "task_state");
        instances.Save(current);
        auto fault = FaultFor(current.uuid(), e, options_.host);
        db::InstanceFaultStore(pool, clock_).Create(fault);
        if (e.IsA("NoValidHost")) {
            throw NoValidHost({{"reason", resize ? "No valid host found for resize" : "No valid host found for cold migrate"}});
        }
        throw;
    }
}

rpc::Endpoint ComputeTaskManager::Endpoint() {
    rpc::Endpoint endpoint("compute_task", "1.24");
    endpoint.AddCast("schedule_and_build_instances", [this](const RequestContext& ctx, const Json& a) {
        std::vector<objects::BuildRequest> build_requests;
        for (const auto& p : a.at("build_requests")) build_requests.push_back(objects::FromPrimitiveAs<objects::BuildRequest>(p));
        std::vector<objects::RequestSpec> specs;
        for (const auto& p : a.at("request_specs")) specs.push_back(objects::FromPrimitiveAs<objects::RequestSpec>(p));
        ScheduleAndBuildInstances(ctx, std::move(build_requests), std::move(specs), a.value("image", Json::object()),
                                  a.value("admin_password", Json()), a.value("injected_files", Json::array()),
                                  a.value("requested_networks", Json()), a.value("block_device_mapping", Json()),
                                  a.value("tags", Json()));
    });
    endpoint.AddCast("build_instances", [this](const RequestContext& ctx, const Json& a) {
        std::vector<objects::Instance> instances;
        for (const auto& p : a.at("instances")) instances.push_back(objects::FromPrimitiveAs<objects::Instance>(p));
        std::vector<std::vector<objects::Selection>> host_lists;
        for (const auto& list : a.value("host_lists", Json::array())) {
            auto& out = host_lists.emplace_back();
            for (const auto& p : list) out.push_back(objects::FromPrimitiveAs<objects::Selection>(p));
        }
        objects::RequestSpec spec;
        if (a.contains("request_spec") && a["request_spec"].is_object()) {
            spec = objects::FromPrimitiveAs<objects::RequestSpec>(a["request_spec"]);
        }
        BuildInstances(ctx, std::move(instances), a.value("image", Json::object()),
                       a.value("filter_properties", Json::object()), a.value("admin_password", Json()),
                       a.value("injected_files", Json::array()), a.value("requested_networks", Json()),
                       a.value("security_groups", Json::array()), a.value("block_device_mapping", Json()),
                       spec, std::move(host_lists));
    });
    // Nova's API calls it (and waits for the destination choice); a compute's reschedule casts it.
    endpoint.AddCast("migrate_server", [this](const RequestContext& ctx, const Json& a) {
        if (a.value("live", false) || a.value("rebuild", false)) {
            throw NovaError::WithMessage("nova-cpp's conductor does live migration and rebuild through "
                                         "their own methods only");
        }
        std::optional<std::vector<objects::Selection>> host_list;
        if (a.contains("host_list") && a["host_list"].is_array()) {
            host_list.emplace();
            for (const auto& p : a["host_list"]) host_list->push_back(objects::FromPrimitiveAs<objects::Selection>(p));
        }
        objects::RequestSpec spec;
        if (a.contains("request_spec") && a["request_spec"].is_object()) {
            spec = objects::FromPrimitiveAs<objects::RequestSpec>(a["request_spec"]);
        }
        MigrateServer(ctx, objects::FromPrimitiveAs<objects::Instance>(a.at("instance")),
                      objects::FromPrimitiveAs<objects::Flavor>(a.at("flavor")), a.value("clean_shutdown", true),
                      std::move(spec), std::move(host_list));
    });
    return endpoint;
}

}  // namespace nova::conductor
