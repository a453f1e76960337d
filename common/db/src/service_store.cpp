#include "nova/db/service_store.hpp"

#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"
#include "object_table.hpp"

namespace nova::db {

using detail::ObjectTable;

namespace {

const ObjectTable& Services() {
    static const ObjectTable t("services", *objects::Service::descriptor(),
                               {"id", "uuid", "host", "binary", "topic", "report_count",
                                "disabled", "disabled_reason", "last_seen_up", "forced_down",
                                "version", "created_at", "updated_at", "deleted_at", "deleted"});
    return t;
}

const ObjectTable& Nodes() {
    static const ObjectTable t(
        "compute_nodes", *objects::ComputeNode::descriptor(),
        {"id", "uuid", "service_id", "host", "vcpus", "memory_mb", "local_gb", "vcpus_used",
         "memory_mb_used", "local_gb_used", "hypervisor_type", "hypervisor_version",
         "hypervisor_hostname", "free_ram_mb", "free_disk_gb", "current_workload", "running_vms",
         "cpu_info", "disk_available_least", "metrics", "stats", "host_ip", "numa_topology",
         "cpu_allocation_ratio", "ram_allocation_ratio", "disk_allocation_ratio", "mapped",
         "created_at", "updated_at", "deleted_at", "deleted"},
        // Kept as JSON of the objects in the columns Nova uses for them.
        {{"supported_hv_specs", "supported_instances"}, {"pci_device_pools", "pci_stats"}});
    return t;
}

template <class T>
void SoftDelete(Pool& pool, const ObjectTable& table, T& object, WallTime now) {
    pool.Transaction([&](Session& s) {
        s.Execute("UPDATE `" + table.table() +
                      "` SET `deleted` = `id`, `deleted_at` = ? WHERE `id` = ? AND `deleted` = 0",
                  {now, object.id()});
    });
    object.set_deleted(true);
    object.mutable_deleted_at()->set_seconds(
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
    objects::ResetChanges(object, true);
}

}  // namespace

void ServiceStore::Create(objects::Service& service) {
    // Every service row gets a uuid at creation, as Nova's Service.create does: the
    // services API identifies services by it from 2.53.
    if (!service.has_uuid() || service.uuid().empty()) service.set_uuid(GenerateUuid());
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        try {
            service.set_id(Services().Insert(s, service, now, {{"deleted", std::int64_t{0}}}));
        } catch (const DBDuplicateEntry& e) {
            if (std::string(e.what()).find("topic") != std::string::npos) {
                throw ServiceTopicExists({{"host", service.host()}, {"topic", service.topic()}});
            }
            throw ServiceBinaryExists({{"host", service.host()}, {"binary", service.binary()}});
        }
    });
    service.set_deleted(false);
    objects::ResetChanges(service, true);
}

objects::Service ServiceStore::GetById(std::int64_t id) {
    auto rows = pool_.Query(Services().Select("WHERE `id` = ? AND `deleted` = 0"), {id});
    if (rows.empty()) throw ServiceNotFound({{"service_id", id}});
    return detail::LoadAll<objects::Service>(Services(), rows).front();
}

objects::Service ServiceStore::GetByHostAndBinary(const std::string& host, const std::string& binary) {
    auto rows = pool_.Query(
        Services().Select("WHERE `host` = ? AND `binary` = ? AND `deleted` = 0"), {host, binary});
    if (rows.empty()) throw HostBinaryNotFound({{"host", host}, {"binary", binary}});
    return detail::LoadAll<objects::Service>(Services(), rows).front();
}

objects::Service ServiceStore::GetByComputeHost(const std::string& host) {
    auto rows = pool_.Query(
        Services().Select("WHERE `host` = ? AND `binary` = 'nova-compute' AND `deleted` = 0"), {host});
    if (rows.empty()) throw ComputeHostNotFound({{"host", host}});
    return detail::LoadAll<objects::Service>(Services(), rows).front();
}

std::vector<objects::Service> ServiceStore::GetAll(bool include_disabled) {
    return detail::LoadAll<objects::Service>(
        Services(), pool_.Query(Services().Select(std::string("WHERE `deleted` = 0") +
                                                  (include_disabled ? "" : " AND NOT `disabled`") +
                                                  " ORDER BY `id`")));
}

std::vector<objects::Service> ServiceStore::GetByBinary(const std::string& binary,
                                                        bool include_disabled) {
    return detail::LoadAll<objects::Service>(
        Services(), pool_.Query(Services().Select(std::string("WHERE `binary` = ? AND `deleted` = 0") +
                                                  (include_disabled ? "" : " AND NOT `disabled`") +
                                                  " ORDER BY `id`"),
                                {binary}));
}

std::vector<objects::Service> ServiceStore::GetByBinaryChangedSince(const std::string& binary,
                                                                   WallTime since) {
    return detail::LoadAll<objects::Service>(
        Services(), pool_.Query(Services().Select("WHERE `binary` = ? AND (`created_at` >= ? OR"
                                                  " `updated_at` >= ? OR `deleted_at` >= ?) ORDER BY `id`"),
                                {binary, since, since, since}));
}

std::vector<objects::Service> ServiceStore::GetByHost(const std::string& host) {
    return detail::LoadAll<objects::Service>(
        Services(), pool_.Query(Services().Select("WHERE `host` = ? AND `deleted` = 0 ORDER BY `id`"), {host}));
}

std::int64_t ServiceStore::GetMinimumVersion(const std::string& binary) {
    auto rows = pool_.Query(
        "SELECT MIN(`version`) AS v FROM `services` WHERE `binary` = ? AND `deleted` = 0", {binary});
    return rows.front().OptInt("v").value_or(0);
}

void ServiceStore::Save(objects::Service& service) {
    auto now = detail::FloorNow(clock_);
    auto changes = objects::WhatChanged(service);
    // Nova's service_update: a save that counts a report is the heartbeat, and the database
    // side stamps last_seen_up, so every host's liveness is judged by one clock.
    if (changes.count("report_count")) {
        detail::SetTimestamp(*service.mutable_last_seen_up(), now);
        changes.insert("last_seen_up");
    }
    pool_.AutoCommit([&](Session& s) {  // one statement: no COMMIT round trip
        if (Services().Update(s, service, changes, now,
                              "`id` = ? AND `deleted` = 0", {service.id()}) == 0) {
            throw ServiceNotFound({{"service_id", service.id()}});
        }
    });
    objects::ResetChanges(service, true);
}

void ServiceStore::Destroy(objects::Service& service) {
    SoftDelete(pool_, Services(), service, detail::FloorNow(clock_));
}

void ComputeNodeStore::Create(objects::ComputeNode& node) {
    auto now = detail::FloorNow(clock_);
    pool_.AutoCommit([&](Session& s) {  // one INSERT ... RETURNING
        node.set_id(Nodes().Insert(s, node, now, {{"deleted", std::int64_t{0}}}));
    });
    node.set_deleted(false);
    objects::ResetChanges(node, true);
}

objects::ComputeNode ComputeNodeStore::GetById(std::int64_t id) {
    auto rows = pool_.Query(Nodes().Select("WHERE `id` = ? AND `deleted` = 0"), {id});
    if (rows.empty()) throw ComputeHostNotFound({{"host", id}});
    return detail::LoadAll<objects::ComputeNode>(Nodes(), rows).front();
}

objects::ComputeNode ComputeNodeStore::GetByUuid(const std::string& uuid) {
    auto rows = pool_.Query(Nodes().Select("WHERE `uuid` = ? AND `deleted` = 0"), {uuid});
    if (rows.empty()) throw ComputeHostNotFound({{"host", uuid}});
    return detail::LoadAll<objects::ComputeNode>(Nodes(), rows).front();
}

objects::ComputeNode ComputeNodeStore::GetByHostAndNodename(const std::string& host,
                                                            const std::string& node) {
    auto rows = pool_.Query(
        Nodes().Select("WHERE `host` = ? AND `hypervisor_hostname` = ? AND `deleted` = 0"),
        {host, node});
    if (rows.empty()) throw ComputeHostNotFound({{"host", host}});
    return detail::LoadAll<objects::ComputeNode>(Nodes(), rows).front();
}

std::vector<objects::ComputeNode> ComputeNodeStore::GetAllByHost(const std::string& host) {
    return detail::LoadAll<objects::ComputeNode>(
        Nodes(), pool_.Query(Nodes().Select("WHERE `host` = ? AND `deleted` = 0 ORDER BY `id`"), {host}));
}

std::vector<objects::ComputeNode> ComputeNodeStore::GetAll() {
    return detail::LoadAll<objects::ComputeNode>(
        Nodes(), pool_.Query(Nodes().Select("WHERE `deleted` = 0 ORDER BY `id`")));
}

std::vector<objects::ComputeNode> ComputeNodeStore::GetChangedSince(WallTime since) {
    return detail::LoadAll<objects::ComputeNode>(
        Nodes(), pool_.Query(Nodes().Select("WHERE `created_at` >= ? OR `updated_at` >= ? OR `deleted_at` >= ?"
                                            " ORDER BY `id`"),
                             {since, since, since}));
}

std::vector<objects::ComputeNode> ComputeNodeStore::GetAllByNotMapped(std::int64_t mapped_less_than) {
    return detail::LoadAll<objects::ComputeNode>(
        Nodes(), pool_.Query(Nodes().Select("WHERE `deleted` = 0 AND COALESCE(`mapped`, 0) < ? ORDER BY `id`"),
                             {mapped_less_than}));
}

void ComputeNodeStore::Save(objects::ComputeNode& node) {
    auto now = detail::FloorNow(clock_);
    pool_.AutoCommit([&](Session& s) {  // one statement: no COMMIT round trip
        if (Nodes().Update(s, node, objects::WhatChanged(node), now, "`id` = ? AND `deleted` = 0",
                           {node.id()}) == 0) {
            throw ComputeHostNotFound({{"host", node.has_host() ? node.host() : std::to_string(node.id())}});
        }
    });
    objects::ResetChanges(node, true);
}

void ComputeNodeStore::Destroy(objects::ComputeNode& node) {
    SoftDelete(pool_, Nodes(), node, detail::FloorNow(clock_));
}

}  // namespace nova::db
