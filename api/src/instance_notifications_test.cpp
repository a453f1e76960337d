#include "instance_notifications.hpp"

#include <doctest/doctest.h>

#include "nova/objects/object.hpp"

using namespace nova;

TEST_CASE("instance notifications: Nova's InstanceActionPayload of a locally deleted instance") {
    objects::Instance inst;
    inst.set_uuid("0d3b8f5a-1c7e-4b8e-9d55-3c8c2a6f7e11");
    inst.set_user_id("alice");
    inst.set_project_id("demo");
    inst.set_display_name("web-1");
    objects::SetNull(inst, "display_description");
    inst.set_hostname("web-1");
    objects::SetNull(inst, "host");
    objects::SetNull(inst, "node");
    inst.set_vm_state("deleted");
    objects::SetNull(inst, "task_state");
    inst.set_power_state(0);
    inst.set_image_ref("70a599e0-31e7-49b7-b260-868f441e862b");
    inst.set_locked(false);
    (*inst.mutable_metadata())["role"] = "web";
    (*inst.mutable_system_metadata())["locked_reason"] = "maint";
    objects::FieldFromPrimitive(inst, "terminated_at", "2026-11-30T07:00:00Z");
    objects::FieldFromPrimitive(inst, "deleted_at", "2026-11-30T07:00:01Z");
    auto* f = inst.mutable_flavor();
    f->set_flavorid("small");
    f->set_name("m1.small");
    f->set_memory_mb(512);
    f->set_vcpus(1);
    f->set_root_gb(1);
    (*f->mutable_extra_specs())["hw:cpu_policy"] = "shared";

    RequestContext ctx;
    ctx.user_id = "alice";
    ctx.project_id = "demo";
    ctx.request_id = "req-1";
    Json p = api::InstanceActionPayload(inst, ctx);
    CHECK(p["nova_object.name"] == "InstanceActionPayload");
    CHECK(p["nova_object.version"] == "1.8");
    CHECK(p["nova_object.namespace"] == "nova");
    const auto& d = p["nova_object.data"];
    CHECK(d["uuid"] == inst.uuid());
    CHECK(d["tenant_id"] == "demo");
    CHECK(d["host_name"] == "web-1");
    CHECK(d["host"].is_null());
    CHECK(d["display_description"].is_null());
    CHECK(d["state"] == "deleted");
    CHECK(d["power_state"] == "pending");
    CHECK(d["task_state"].is_null());
    CHECK(d["image_uuid"] == "70a599e0-31e7-49b7-b260-868f441e862b");
    CHECK(d["terminated_at"] == "2026-11-30T07:00:00Z");
    CHECK(d["deleted_at"] == "2026-11-30T07:00:01Z");
    CHECK(d["launched_at"].is_null());
    CHECK(d["metadata"] == Json{{"role", "web"}});
    CHECK(d["locked"] == false);
    CHECK(d["locked_reason"] == "maint");
    CHECK(d["auto_disk_config"] == "MANUAL");
    CHECK(d["ip_addresses"] == Json::array());
    CHECK(d["block_devices"].is_null());
    CHECK(d["fault"].is_null());
    CHECK(d["request_id"] == "req-1");
    CHECK(d["action_initiator_user"] == "alice");
    CHECK(d["action_initiator_project"] == "demo");
    const auto& flavor = d["flavor"];
    CHECK(flavor["nova_object.name"] == "FlavorPayload");
    CHECK(flavor["nova_object.data"]["flavorid"] == "small");
    CHECK(flavor["nova_object.data"]["memory_mb"] == 512);
    CHECK(flavor["nova_object.data"]["extra_specs"] == Json{{"hw:cpu_policy", "shared"}});
    CHECK(flavor["nova_object.data"]["vcpu_weight"].is_null());

    // A context without a user and project (a periodic task): no request id.
    RequestContext periodic;
    periodic.request_id = "req-2";
    CHECK(api::InstanceActionPayload(inst, periodic)["nova_object.data"]["request_id"].is_null());
}
