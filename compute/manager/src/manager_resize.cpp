// ComputeManager: resize and cold migration (Nova's prep_resize, resize_instance,
// finish_resize, confirm_resize, revert_resize and finish_revert_resize, with their
// allocation, reschedule and failure handling). The flow is in docs/compute-manager.md.
#include "nova/common/error.hpp"
#include "nova/common/log.hpp"
#include "nova/common/time.hpp"
#include "nova/compute/manager.hpp"
#include "nova/objects/object.hpp"
#include "nova/virt/driver.hpp"
#include "manager_internal.hpp"

namespace nova::compute {

using namespace detail;

void ComputeManager::FailMove(const RequestContext& context, objects::Instance& instance,
                              objects::Migration& migration, const std::exception& error,
                              const std::string& instance_state, const char* notification) {
    // errors_out_migration: the record shows the move failed.
    try {
        if (migration.status() != "error") {
            migration.set_status("error");
            deps_.objects.SaveMigration(context, migration);
        }
    } catch (const std::exception& e) {
        NOVA_LOG_WARN(Log(), Scope(context, instance), "Could not set migration {} to error: {}",
                      migration.uuid(), e.what());
    }
    const auto* rollback = dynamic_cast<const InstanceFaultRollback*>(&error);
    AddFault(context, instance, error);
    if (notification != nullptr) Notify(context, instance, notification, "error", &error);
    try {
        if (rollback != nullptr) {
            // Nova: the operation was rolled back; the instance is as it was.
            NOVA_LOG_INFO(Log(), Scope(context, instance), "Setting instance back to {} after: {}",
                          instance_state, ErrorMessage(error));
            instance.set_vm_state(instance_state);
            SetTaskState(instance, nullptr);
            deps_.objects.SaveInstance(context, instance);
        } else {
            NOVA_LOG_ERROR(Log(), Scope(context, instance), "Setting instance vm_state to ERROR: {}",
                           ErrorMessage(error));
            SetErrorState(context, instance);
        }
    } catch (const std::exception& e) {
        NOVA_LOG_WARN(Log(), Scope(context, instance), "Could not save the failed move: {}", e.what());
    }
}

void ComputeManager::RevertAllocation(const RequestContext& context,
                                      const objects::Instance& instance,
                                      const objects::Migration& migration) {
    if (deps_.placement == nullptr || migration.uuid().empty()) return;
    try {
        if (!deps_.placement->MoveAllocations(context, migration.uuid(), instance.uuid())) {
            NOVA_LOG_ERROR(Log(), Scope(context, instance),
                           "Did not find resource allocations for migration {} on source node "
                           "{}. Unable to revert source node allocations back to the instance.",
                           migration.uuid(), migration.source_node());
        } else {
            NOVA_LOG_INFO(Log(), Scope(context, instance),
                          "Swapped the allocations held by migration {} back to the instance",
                          migration.uuid());
        }
    } catch (const std::exception& e) {
        NOVA_LOG_ERROR(Log(), Scope(context, instance),
                       "Reverting allocation of migration {} failed: {}", migration.uuid(),
                       e.what());
        throw;
    }
}

void ComputeManager::DeleteMigrationAllocations(const RequestContext& context,
                                                const objects::Migration& migration) {
    if (migration.uuid().empty()) return;
    DeleteAllocations(context, migration.uuid());
}

bool ComputeManager::RescheduleResize(const RequestContext& context, objects::Instance& instance,
                                      const Json& args, const std::exception& error) {
    Json filter_properties = args.value("filter_properties", Json::object());
    if (!filter_properties.is_object() || !filter_properties.contains("retry") ||
        filter_properties["retry"].is_null() || deps_.compute_task == nullptr) {
        NOVA_LOG_DEBUG(Log(), Scope(context, instance),
                       "Retry info not present, will not reschedule");
        return false;
    }
    try {
        NOVA_LOG_DEBUG(Log(), Scope(context, instance), "Rescheduling, attempt {}",
                       filter_properties["retry"].value("num_attempts", 1));
        instance.set_task_state(task_states::kResizePrep);
        deps_.objects.SaveInstance(context, instance);
        filter_properties["retry"]["exc"] = Json::array({ErrorMessage(error)});
        std::vector<objects::Selection> host_list;
        for (const auto& selection : args.value("host_list", Json::array())) {
            host_list.push_back(objects::FromPrimitiveAs<objects::Selection>(selection));
        }
        deps_.compute_task->MigrateServer(
            context, instance, Json{{"filter_properties", filter_properties}},
            objects::FromPrimitiveAs<objects::Flavor>(args.at("flavor")),
            args.value("clean_shutdown", true), RequestSpecArg(args), host_list,
            /*do_cast=*/true);
    } catch (const std::exception& e) {
        NOVA_LOG_ERROR(Log(), Scope(context, instance), "Error trying to reschedule: {}",
                       e.what());
        AddFault(context, instance, e);
        Notify(context, instance, "resize", "error", &e);
        return false;
    }
    NOVA_LOG_INFO(Log(), Scope(context, instance), "Resize rescheduled after: {}",
                  ErrorMessage(error));
    AddFault(context, instance, error);
    Notify(context, instance, "resize", "error", &error);
    return true;
}

void ComputeManager::PrepResize(const RequestContext& context, const Json& args) {
    objects::Instance instance = InstanceArg(args);
    objects::Migration migration = MigrationArg(args);
    CastWithInstanceEvent(context, instance, "compute_prep_resize", [&] {
        const std::string instance_state = instance.vm_state();
        try {
            DoPrepResize(context, instance, migration, args);
        } catch (const std::exception& e) {
            FailMove(context, instance, migration, e, instance_state, nullptr);
            throw;
        }
    });
}

void ComputeManager::DoPrepResize(const RequestContext& context, objects::Instance& instance,
                                  objects::Migration& migration, const Json& args) {
    const auto flavor = objects::FromPrimitiveAs<objects::Flavor>(args.at("flavor"));
    const std::string node =
        args.contains("node") && args["node"].is_string() ? args["node"].get<std::string>()
                                                          : NodeName();
    Notify(context, instance, "resize_prep", "start");
    bool claimed = false;
    try {
        if (!HasValue(instance, "host") || instance.host().empty()) {
            SetErrorState(context, instance);
            throw MigrationError({{"reason", "Instance has no source host"}});
        }
        if (instance.host() == options_.host && flavor.id() == instance.instance_type_id() &&
            deps_.driver.Name() != "fake.FakeDriver") {
            // Only the fake driver supports_migrate_to_same_host.
            throw InstanceFaultRollback(
                {{"inner_exception",
                  UnableToMigrateToSelf({{"instance_id", instance.uuid()}, {"host", options_.host}})
                      .message()}});
        }
        // Nova's _prep_resize: the new flavor and the state to come back to are stashed.
        *instance.mutable_new_flavor() = flavor;
        objects::MarkChanged(instance, "new_flavor");
        (*instance.mutable_system_metadata())["old_vm_state"] = instance.vm_state();
        objects::MarkChanged(instance, "system_metadata");
        deps_.objects.SaveInstance(context, instance);

        Limits limits;
        const Json filter_properties = args.value("filter_properties", Json::object());
        if (filter_properties.is_object() && filter_properties.contains("limits") &&
            filter_properties["limits"].is_object()) {
            const auto& l = filter_properties["limits"];
            if (l.contains("memory_mb") && l["memory_mb"].is_number()) {
                limits.memory_mb = l["memory_mb"].get<double>();
            }
            if (l.contains("disk_gb") && l["disk_gb"].is_number()) {
                limits.disk_gb = l["disk_gb"].get<double>();
            }
            if (l.contains("vcpu") && l["vcpu"].is_number()) limits.vcpu = l["vcpu"].get<double>();
        }
        // Nova's resize_claim: the destination holds the new flavor; the migration records
        // where it goes (pre-migrating).
        deps_.tracker.ResizeClaim(context, instance, flavor, node, migration, limits);
        claimed = true;
        deps_.objects.SaveMigration(context, migration);
        NOVA_LOG_INFO(Log(), Scope(context, instance), "Migrating");
        if (deps_.compute == nullptr) {
            throw NovaError::WithMessage("no compute RPC API to reach the source host");
        }
        deps_.compute->ResizeInstance(context, instance, migration,
                                      args.value("image", Json::object()), flavor,
                                      RequestSpecArg(args), args.value("clean_shutdown", true));
    } catch (const BuildAbortException&) {
        if (claimed) deps_.tracker.DropMoveClaim(context, instance, node);
        RevertAllocation(context, instance, migration);
        Notify(context, instance, "resize_prep", "end");
        throw;
    } catch (const std::exception& e) {
        if (claimed) deps_.tracker.DropMoveClaim(context, instance, node);
        RevertAllocation(context, instance, migration);
        Notify(context, instance, "resize_prep", "end");
        if (RescheduleResize(context, instance, args, e)) {
            // The conductor starts over with a new migration; this one is over.
            try {
                migration.set_status("error");
                deps_.objects.SaveMigration(context, migration);
            } catch (const std::exception& save) {
                NOVA_LOG_WARN(Log(), Scope(context, instance), "Could not close migration {}: {}",
                              migration.uuid(), save.what());
            }
            return;
        }
        throw;
    }
    Notify(context, instance, "resize_prep", "end");
}

void ComputeManager::ResizeInstance(const RequestContext& context, const Json& args) {
    objects::Instance instance = InstanceArg(args);
    objects::Migration migration = MigrationArg(args);
    const auto flavor = objects::FromPrimitiveAs<objects::Flavor>(args.at("flavor"));
    CastWithInstanceEvent(context, instance, "compute_resize_instance", [&] {
        const std::string instance_state = instance.vm_state();
        try {
            migration.set_status("migrating");
            deps_.objects.SaveMigration(context, migration);

            instance.set_task_state(task_states::kResizeMigrating);
            deps_.objects.SaveInstance(context, instance, Json(task_states::kResizePrep));
            Notify(context, instance, "resize", "start");

            const bool clean = args.value("clean_shutdown", true);
            const std::string disk_info = deps_.driver.MigrateDiskAndPowerOff(
                context, instance, migration.dest_host(), flavor, {}, {},
                clean ? options_.shutdown_timeout : std::chrono::seconds(0),
                options_.shutdown_retry_interval);

            migration.set_status("post-migrating");
            deps_.objects.SaveMigration(context, migration);

            // The instance belongs to the destination from here on; the source keeps
            // the old flavor's usage through the migration until confirm or revert.
            instance.set_host(migration.dest_compute());
            instance.set_node(migration.dest_node());
            *instance.mutable_old_flavor() = instance.flavor();
            objects::MarkChanged(instance, "old_flavor");
            instance.set_power_state(static_cast<std::int64_t>(CurrentPowerState(instance)));
            instance.set_task_state(task_states::kResizeMigrated);
            deps_.objects.SaveInstance(context, instance,
                                       Json(task_states::kResizeMigrating));

            if (deps_.compute == nullptr) {
                throw NovaError::WithMessage("no compute RPC API to reach the destination");
            }
            deps_.compute->FinishResize(context, instance, migration,
                                        args.value("image", Json::object()), Json(disk_info),
                                        migration.dest_compute(), RequestSpecArg(args));
        } catch (const std::exception& e) {
            FailMove(context, instance, migration, e, instance_state, "resize");
            RevertAllocation(context, instance, migration);
            throw;
        }
        Notify(context, instance, "resize", "end");
    });
}

void ComputeManager::FinishResize(const RequestContext& context, const Json& args) {
    objects::Instance instance = InstanceArg(args);
    objects::Migration migration = MigrationArg(args);
    CastWithInstanceEvent(context, instance, "compute_finish_resize", [&] {
        const std::string instance_state = instance.vm_state();
        try {
            // Nova's _finish_resize.
            const objects::Flavor old_flavor = instance.flavor();
            const std::string old_vm_state = OldVmState(instance);
            *instance.mutable_old_flavor() = old_flavor;
            objects::MarkChanged(instance, "old_flavor");
            bool resize_disks = false;
            const bool flavor_changed =
                migration.old_instance_type_id() != migration.new_instance_type_id() &&
                instance.has_new_flavor();
            if (flavor_changed) {
                const objects::Flavor new_flavor = instance.new_flavor();
                SetInstanceInfo(instance, new_flavor);
                resize_disks = old_flavor.root_gb() != new_flavor.root_gb() ||
                               old_flavor.swap() != new_flavor.swap() ||
                               old_flavor.ephemeral_gb() != new_flavor.ephemeral_gb();
            }
            instance.set_task_state(task_states::kResizeFinish);
            deps_.objects.SaveInstance(context, instance, Json(task_states::kResizeMigrated));
            Notify(context, instance, "resize_finish", "start");

            const bool power_on = old_vm_state != vm_states::kStopped;
            const Json disk_info = args.value("disk_info", Json());
            try {
                deps_.driver.FinishMigration(
                    context, migration, instance,
                    disk_info.is_string() ? disk_info.get<std::string>() : disk_info.dump(),
                    {}, objects::ImageMeta(), resize_disks, {}, power_on);
            } catch (const std::exception&) {
                if (flavor_changed) SetInstanceInfo(instance, old_flavor);
                throw;
            }

            migration.set_status("finished");
            deps_.objects.SaveMigration(context, migration);

            instance.set_power_state(static_cast<std::int64_t>(CurrentPowerState(instance)));
            instance.set_vm_state(vm_states::kResized);
            SetTaskState(instance, nullptr);
            objects::FieldFromPrimitive(instance, "launched_at",
                                        timeutil::IsoZ(deps_.clock.Now()));
            deps_.objects.SaveInstance(context, instance, Json(task_states::kResizeFinish));
        } catch (const std::exception& e) {
            FailMove(context, instance, migration, e, instance_state, "resize_finish");
            // Nova: the instance is on the destination now, whatever state it is in; the
            // source's allocations (held by the migration) are not needed any more.
            NOVA_LOG_INFO(Log(), Scope(context, instance),
                          "Deleting allocations for old flavor on source node {} after "
                          "finish_resize failure. You may be able to recover the instance "
                          "by hard rebooting it.",
                          migration.source_compute());
            DeleteMigrationAllocations(context, migration);
            throw;
        }
        UpdateSchedulerInstanceInfo(context, instance);
        Notify(context, instance, "resize_finish", "end");
    });
}

void ComputeManager::ConfirmResize(const RequestContext& context, const Json& args) {
    objects::Instance instance = InstanceArg(args);
    objects::Migration migration = MigrationArg(args);
    CastWithInstanceEvent(context, instance, "compute_confirm_resize", [&] {
        if (migration.status() == "confirmed") {
            NOVA_LOG_INFO(Log(), Scope(context, instance), "Migration {} is already confirmed",
                          migration.id());
            return;
        }
        if (migration.status() != "finished" && migration.status() != "confirming") {
            NOVA_LOG_WARN(Log(), Scope(context, instance),
                          "Unexpected confirmation status '{}' of migration {}, exit "
                          "confirmation process",
                          migration.status(), migration.id());
            return;
        }
        try {
            instance = deps_.objects.GetInstance(context, instance.uuid(),
                                                 {"metadata", "system_metadata", "flavor"});
        } catch (const InstanceNotFound&) {
            NOVA_LOG_INFO(Log(), Scope(context, instance),
                          "Instance is not found during confirmation");
            return;
        }
        // Whatever happens, the instance lives on the destination: the source's
        // allocations go, the scheduler forgets it here, the stashed flavors go (last: the
        // tracker reads them).
        auto cleanup = [&] {
            try {
                DeleteMigrationAllocations(context, migration);
                DeleteSchedulerInstanceInfo(context, instance);
                ClearStashedFlavors(instance);
                deps_.objects.SaveInstance(context, instance);
            } catch (const std::exception& e) {
                NOVA_LOG_WARN(Log(), Scope(context, instance),
                              "Cleanup after confirm_resize: {}", e.what());
            }
        };
        try {
            Notify(context, instance, "resize_confirm", "start");
            deps_.driver.ConfirmMigration(context, migration, instance, {});
            // Nova's drop_move_claim_at_source: 'confirmed', the old flavor released.
            deps_.tracker.DropMoveClaimAtSource(context, instance, migration);
            deps_.objects.SaveMigration(context, migration);
            // A guest the user powered on meanwhile stays ACTIVE; one that is off is
            // STOPPED (Nova looks at the recorded power state).
            instance.set_vm_state(instance.power_state() == virt::power_state::SHUTDOWN
                                      ? vm_states::kStopped
                                      : vm_states::kActive);
            SetTaskState(instance, nullptr);
            deps_.objects.SaveInstance(
                context, instance,
                Json::array({nullptr, task_states::kDeleting, task_states::kSoftDeleting}));
            cleanup();
            Notify(context, instance, "resize_confirm", "end");
        } catch (const std::exception& e) {
            NOVA_LOG_ERROR(Log(), Scope(context, instance),
                           "Confirm resize failed on source host {}. Resource allocations in "
                           "the placement service will be removed regardless because the "
                           "instance is now on the destination host {}. You can try hard "
                           "rebooting the instance to correct its state. ({})",
                           options_.host, migration.dest_compute(), ErrorMessage(e));
            AddFault(context, instance, e);
            Notify(context, instance, "resize_confirm", "error", &e);
            SetErrorState(context, instance);
            cleanup();
            throw;
        }
    });
}

void ComputeManager::RevertResize(const RequestContext& context, const Json& args) {
    objects::Instance instance = InstanceArg(args);
    objects::Migration migration = MigrationArg(args);
    CastWithInstanceEvent(context, instance, "compute_revert_resize", [&] {
        const std::string instance_state = instance.vm_state();
        try {
            // The destination's guest goes (its disks too: no shared storage here).
            deps_.driver.Destroy(context, instance, {}, {}, true);
            // Nova's drop_move_claim_at_dest: 'reverted' (the destination stops counting
            // it), the new flavor released here.
            deps_.tracker.DropMoveClaimAtDest(context, instance, migration);
            deps_.objects.SaveMigration(context, migration);
            deps_.objects.SaveInstance(context, instance,
                                       Json::array({task_states::kResizeReverting}));
            DeleteSchedulerInstanceInfo(context, instance);
            if (deps_.compute == nullptr) {
                throw NovaError::WithMessage("no compute RPC API to reach the source host");
            }
            deps_.compute->FinishRevertResize(context, instance, migration,
                                              migration.source_compute(),
                                              RequestSpecArg(args));
        } catch (const std::exception& e) {
            FailMove(context, instance, migration, e, instance_state, "resize_revert");
            throw;
        }
    });
}

void ComputeManager::FinishRevertResize(const RequestContext& context, const Json& args) {
    objects::Instance instance = InstanceArg(args);
    objects::Migration migration = MigrationArg(args);
    CastWithInstanceEvent(context, instance, "compute_finish_revert_resize", [&] {
        const std::string instance_state = instance.vm_state();
        try {
            Notify(context, instance, "resize_revert", "start");
            const std::string old_vm_state = OldVmState(instance);
            // Nova's _revert_instance_flavor_host_node.
            if (instance.has_old_flavor()) SetInstanceInfo(instance, instance.old_flavor());
            instance.set_host(migration.source_compute());
            instance.set_node(migration.source_node());
            deps_.objects.SaveInstance(context, instance,
                                       Json::array({task_states::kResizeReverting}));

            RevertAllocation(context, instance, migration);

            const bool power_on = old_vm_state != vm_states::kStopped;
            deps_.driver.FinishRevertMigration(context, instance, {}, migration, {},
                                               power_on);
            objects::FieldFromPrimitive(instance, "launched_at",
                                        timeutil::IsoZ(deps_.clock.Now()));
            deps_.objects.SaveInstance(context, instance, Json(task_states::kResizeReverting));
            // The source tracks the instance with its old flavor again, and the source
            // node's migration entry (if the audit kept one) is gone.
            deps_.tracker.DropMoveClaim(context, instance, migration.source_node());
            deps_.tracker.UpdateUsage(context, instance, migration.source_node());

            NOVA_LOG_INFO(Log(), Scope(context, instance),
                          "Updating instance to original state: '{}'", old_vm_state);
            instance.set_power_state(static_cast<std::int64_t>(CurrentPowerState(instance)));
            instance.set_vm_state(power_on ? vm_states::kActive : vm_states::kStopped);
            SetTaskState(instance, nullptr);
            ClearStashedFlavors(instance);
            deps_.objects.SaveInstance(context, instance);
        } catch (const std::exception& e) {
            FailMove(context, instance, migration, e, instance_state, "resize_revert");
            try {
                ClearStashedFlavors(instance);
                deps_.objects.SaveInstance(context, instance);
            } catch (const std::exception&) {
            }
            throw;
        }
        UpdateSchedulerInstanceInfo(context, instance);
        Notify(context, instance, "resize_revert", "end");
    });
}

}  // namespace nova::compute
