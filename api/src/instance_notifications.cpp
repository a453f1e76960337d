#include "instance_notifications.hpp"

#include <string>

#include "nova/common/log.hpp"
#include "nova/objects/notification_instance.pb.h"
#include "nova/objects/object.hpp"
#include "nova/rpc/notifier.hpp"

namespace nova::api {

namespace {

// InstancePowerStateField: the power_state integer as Nova's notifications name it.
const char* PowerState(std::int64_t state) {
    switch (state) {
        case 1: return "running";
        case 3: return "paused";
        case 4: return "shutdown";
        case 6: return "crashed";
        case 7: return "suspended";
        default: return "pending";
    }
}

bool HasValue(const objects::Message& object, std::string_view field) {
    return objects::IsSet(object, field) && !objects::IsNull(object, field);
}

}  // namespace

Json InstanceActionPayload(const objects::Instance& instance, const RequestContext& context) {
    objects::InstanceActionPayload p;
    // InstancePayload.SCHEMA: payload field <- instance field; None stays None.
    static const std::pair<const char*, const char*> kSchema[] = {
        {"uuid", "uuid"},
        {"user_id", "user_id"},
        {"tenant_id", "project_id"},
        {"reservation_id", "reservation_id"},
        {"display_name", "display_name"},
        {"display_description", "display_description"},
        {"host_name", "hostname"},
        {"host", "host"},
        {"node", "node"},
        {"os_type", "os_type"},
        {"architecture", "architecture"},
        {"availability_zone", "availability_zone"},
        {"image_uuid", "image_ref"},
        {"key_name", "key_name"},
        {"kernel_id", "kernel_id"},
        {"ramdisk_id", "ramdisk_id"},
        {"created_at", "created_at"},
        {"launched_at", "launched_at"},
        {"terminated_at", "terminated_at"},
        {"deleted_at", "deleted_at"},
        {"updated_at", "updated_at"},
        {"state", "vm_state"},
        {"task_state", "task_state"},
    };
    for (const auto& [to, from] : kSchema) {
        if (HasValue(instance, from)) {
            objects::FieldFromPrimitive(p, to, objects::FieldToPrimitive(instance, from));
        } else if (std::string_view(to) != "uuid") {
            objects::SetNull(p, to);
        }
    }
    if (HasValue(instance, "power_state")) {
        p.set_power_state(PowerState(instance.power_state()));
    } else {
        objects::SetNull(p, "power_state");
    }
    if (HasValue(instance, "progress")) {
        p.set_progress(instance.progress());
    } else {
        objects::SetNull(p, "progress");
    }
    objects::SetEmpty(p, "metadata");
    for (const auto& [key, value] : instance.metadata()) (*p.mutable_metadata())[key] = value;
    p.set_locked(instance.locked());
    p.set_auto_disk_config(instance.auto_disk_config() ? "AUTO" : "MANUAL");
    objects::SetEmpty(p, "ip_addresses");
    objects::SetNull(p, "block_devices");
    if (instance.has_flavor()) {
        auto* flavor = p.mutable_flavor();
        const auto& f = instance.flavor();
        flavor->set_flavorid(f.flavorid());
        flavor->set_name(f.name());
        flavor->set_memory_mb(f.memory_mb());
        flavor->set_vcpus(f.vcpus());
        flavor->set_root_gb(f.root_gb());
        flavor->set_ephemeral_gb(f.ephemeral_gb());
        flavor->set_swap(f.swap());
        for (const char* field : {"rxtx_factor", "vcpu_weight"}) {
            if (HasValue(f, field)) {
                objects::FieldFromPrimitive(*flavor, field, objects::FieldToPrimitive(f, field));
            } else {
                objects::SetNull(*flavor, field);
            }
        }
        flavor->set_disabled(f.disabled());
        flavor->set_is_public(f.is_public());
        objects::SetEmpty(*flavor, "extra_specs");
        for (const auto& [key, value] : f.extra_specs()) (*flavor->mutable_extra_specs())[key] = value;
        if (HasValue(f, "description")) {
            flavor->set_description(f.description());
        } else {
            objects::SetNull(*flavor, "description");
        }
    }
    // Nova leaves the request id out for contexts without a user and project (periodic tasks).
    if (!context.project_id.empty() && !context.user_id.empty()) {
        p.set_request_id(context.request_id);
    } else {
        objects::SetNull(p, "request_id");
    }
    p.set_action_initiator_user(context.user_id);
    p.set_action_initiator_project(context.project_id);
    if (auto it = instance.system_metadata().find("locked_reason"); it != instance.system_metadata().end()) {
        p.set_locked_reason(it->second);
    } else {
        objects::SetNull(p, "locked_reason");
    }
    objects::SetNull(p, "fault");
    return objects::ToPrimitive(p);
}

void NotifyInstanceAction(const rpc::Notifier* notifier, const RequestContext& context,
                          const objects::Instance& instance, std::string_view action, std::string_view phase) {
    if (notifier == nullptr || !notifier->enabled()) return;
    try {
        notifier->Notify(context, "info", "instance." + std::string(action) + "." + std::string(phase),
                         InstanceActionPayload(instance, context));
    } catch (const std::exception& e) {
        static auto& log = log::Get("nova.api.notifications");
        NOVA_LOG_WARN(log, context, "could not send instance.{}.{} for instance {}: {}", action, phase,
                      instance.uuid(), e.what());
    }
}

}  // namespace nova::api
