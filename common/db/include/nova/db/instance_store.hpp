#pragma once
// Instances in a cell database: the instances row plus instance_extra (flavor, NUMA topology,
// PCI requests, ...), instance_metadata, instance_system_metadata, the network info cache and
// the latest fault.
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/db/pool.hpp"
#include "nova/objects/instance.pb.h"

namespace nova::db {

// Instance::save's expected_task_state / expected_vm_state: the values (None included) the
// row must still have for the update to happen:
//   store.Save(inst, InstanceExpectations::TaskState({std::nullopt}));   // [None]
struct InstanceExpectations {
    using States = std::vector<std::optional<std::string>>;
    std::optional<States> task_state;
    std::optional<States> vm_state;

    static InstanceExpectations TaskState(States states) {
        InstanceExpectations e;
        e.task_state = std::move(states);
        return e;
    }
    static InstanceExpectations VmState(States states) {
        InstanceExpectations e;
        e.vm_state = std::move(states);
        return e;
    }
};

// What InstanceList.get_by_filters takes that the services use.
struct InstanceFilters {
    std::optional<std::string> project_id;
    std::optional<std::string> user_id;
    std::optional<std::string> host;
    std::optional<std::string> node;
    std::optional<std::string> display_name;
    std::vector<std::string> uuids;
    std::vector<std::string> vm_states;
    std::vector<std::string> task_states;
    // Unset: live instances only (Nova's read_deleted="no"); true: deleted only; false: live.
    std::optional<bool> deleted;
    bool include_deleted = false;  // both live and deleted
    std::optional<WallTime> changes_since;  // updated_at >= this
    std::optional<int> limit;
    // False when the instances are only read (API views): no change-tracking baseline is
    // kept (a copy and a serialization per object); Save() would then write every field.
    bool track_changes = true;
};

class InstanceStore {
public:
    InstanceStore(Pool& cell, const Clock& clock);
    ~InstanceStore();

    // Inserts the instance and its extra, metadata and system metadata; sets id and
    // created_at. Throws InstanceExists when the uuid is taken, ObjectActionError when the
    // object was already created.
    void Create(objects::Instance& instance);
    // Throws InstanceNotFound (deleted instances count as not found unless `read_deleted`).
    objects::Instance GetByUuid(const std::string& uuid, bool read_deleted = false);
    objects::Instance GetById(std::int64_t id);
    // Writes what changed (WhatChanged) in one transaction. With expectations, the update is
    // a compare-and-set on the row: a lost race throws UnexpectedTaskStateError
    // (UnexpectedDeletingTaskStateError when the winner is deleting it), InstanceUpdateConflict
    // for vm_state, InstanceNotFound when it is gone.
    void Save(objects::Instance& instance, const InstanceExpectations& expected = {});
    // Save, then the instance as GetByUuid(uuid, read_deleted=true) reads it, in the same
    // transaction (what Nova's Instance.save hands back to its caller).
    objects::Instance SaveAndGet(objects::Instance& instance, const InstanceExpectations& expected = {});
    // Soft delete (deleted = id, deleted_at) of the instance and its extra, metadata, system
    // metadata and faults; its tags are removed. Throws InstanceNotFound, or ObjectActionError when the host changed
    // since the object was read.
    void Destroy(objects::Instance& instance);

    std::vector<objects::Instance> GetByHost(const std::string& host);
    std::vector<objects::Instance> GetByHostAndNode(const std::string& host, const std::string& node);
    // Newest first (created_at, then id, descending), as Nova sorts by default.
    std::vector<objects::Instance> GetByFilters(const InstanceFilters& filters);

    // One instance as the API's server views show it (GET /servers/{id}), in one statement
    // and no transaction: the `instances` columns named in `columns`, the current flavor, the
    // metadata and the `locked_reason` system metadata item; a second statement reads the
    // latest fault when vm_state is error or deleted. Nothing else of instance_extra is read, no info cache, and no
    // change-tracking baseline is kept (not for Save()). Throws InstanceNotFound as
    // GetByUuid; InvalidInput for a name that is not a column of `instances`.
    objects::Instance GetForView(const std::string& uuid, const std::vector<std::string>& columns,
                                 bool read_deleted = false);

    // What the API's server views show beyond the `instances` columns, for instances whose
    // columns the caller has read already (a list page): the current flavor, the metadata,
    // the `locked_reason` system metadata item, and the latest fault of those named in
    // `with_fault` (the view shows it for ERROR and DELETED servers only). One statement
    // (two with faults) and no transaction; nothing else of instance_extra is parsed and the
    // objects keep no change-tracking baseline (not for Save()).
    void LoadViewRelated(const std::vector<objects::Instance*>& instances, const std::set<std::string>& with_fault);

    // What a project (and optionally one of its users) holds in this cell, for quotas:
    // live instances, their vcpus and memory_mb, counted in SQL as Nova's
    // _instances_cores_ram_count does (soft-deleted instances do not count).
    struct Usage {
        std::int64_t instances = 0;
        std::int64_t cores = 0;
        std::int64_t ram = 0;
    };
    // `excluding`: instances not to count (those the caller counted already as BuildRequests).
    Usage CountUsage(const std::string& project_id, const std::optional<std::string>& user_id = std::nullopt,
                     const std::vector<std::string>& excluding = {});

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace nova::db
