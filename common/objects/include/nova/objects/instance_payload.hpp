#pragma once
// The InstancePayload part of Nova's versioned instance notifications
// (nova/notifications/objects/instance.py), shared by the payloads that extend it
// (InstanceActionPayload, InstanceCreatePayload), so nova-api and nova-compute send the same
// fields with the same None rules.
#include <cstdint>
#include <string_view>
#include <utility>

#include "nova/common/context.hpp"
#include "nova/objects/instance.pb.h"
#include "nova/objects/object.hpp"

namespace nova::objects {

// InstancePowerStateField: the power_state integer as Nova's notifications name it.
inline const char* NotificationPowerState(std::int64_t state) {
    switch (state) {
        case 1: return "running";
        case 3: return "paused";
        case 4: return "shutdown";
        case 6: return "crashed";
        case 7: return "suspended";
        default: return "pending";
    }
}

// Fills every InstancePayload field of `payload` from `instance` as `context` acts on it: the
// SCHEMA's instance fields (None stays None), power state, metadata, the flavor, no addresses
// (no networking here), block_devices None ([notifications] bdms_in_notifications is off), the
// initiator, locked_reason. The fault and the fields of the extending payload are the caller's.
template <class Payload>
void FillInstancePayload(Payload& payload, const Instance& instance, const RequestContext& context) {
    auto has_value = [](const Message& object, std::string_view field) {
        return IsSet(object, field) && !IsNull(object, field);
    };
    // InstancePayload.SCHEMA: payload field <- instance field.
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
        if (has_value(instance, from)) {
            FieldFromPrimitive(payload, to, FieldToPrimitive(instance, from));
        } else if (std::string_view(to) != "uuid") {
            SetNull(payload, to);
        }
    }
    if (has_value(instance, "power_state")) {
        payload.set_power_state(NotificationPowerState(instance.power_state()));
    } else {
        SetNull(payload, "power_state");
    }
    if (has_value(instance, "progress")) {
        payload.set_progress(instance.progress());
    } else {
        SetNull(payload, "progress");
    }
    SetEmpty(payload, "metadata");
    for (const auto& [key, value] : instance.metadata()) (*payload.mutable_metadata())[key] = value;
    payload.set_locked(instance.locked());
    payload.set_auto_disk_config(instance.auto_disk_config() ? "AUTO" : "MANUAL");
    SetEmpty(payload, "ip_addresses");
    SetNull(payload, "block_devices");
    if (instance.has_flavor()) {
        auto* flavor = payload.mutable_flavor();
        const auto& f = instance.flavor();
        flavor->set_flavorid(f.flavorid());
        flavor->set_name(f.name());
        flavor->set_memory_mb(f.memory_mb());
        flavor->set_vcpus(f.vcpus());
        flavor->set_root_gb(f.root_gb());
        flavor->set_ephemeral_gb(f.ephemeral_gb());
        flavor->set_swap(f.swap());
        for (const char* field : {"rxtx_factor", "vcpu_weight"}) {
            if (has_value(f, field)) {
                FieldFromPrimitive(*flavor, field, FieldToPrimitive(f, field));
            } else {
                SetNull(*flavor, field);
            }
        }
        flavor->set_disabled(f.disabled());
        flavor->set_is_public(f.is_public());
        SetEmpty(*flavor, "extra_specs");
        for (const auto& [key, value] : f.extra_specs()) (*flavor->mutable_extra_specs())[key] = value;
        if (has_value(f, "description")) {
            flavor->set_description(f.description());
        } else {
            SetNull(*flavor, "description");
        }
    }
    // Nova leaves the request id out for contexts without a user and project (periodic tasks).
    if (!context.project_id.empty() && !context.user_id.empty()) {
        payload.set_request_id(context.request_id);
    } else {
        SetNull(payload, "request_id");
    }
    payload.set_action_initiator_user(context.user_id);
    payload.set_action_initiator_project(context.project_id);
    if (auto it = instance.system_metadata().find("locked_reason"); it != instance.system_metadata().end()) {
        payload.set_locked_reason(it->second);
    } else {
        SetNull(payload, "locked_reason");
    }
}

}  // namespace nova::objects
