#include "nova/api/instance_state.hpp"

#include <doctest/doctest.h>

using nova::api::CheckInstanceState;
using nova::api::ConflictForInvalidState;
using nova::api::InstanceStateView;
using nova::api::RuleFor;

namespace {

InstanceStateView Active() {
    return InstanceStateView{"u1", "active", std::nullopt, true, false};
}

// The 409 text a handler would send for `method` on `instance` (empty when allowed).
std::string Conflict(const InstanceStateView& instance, std::string_view method,
                     std::string_view action, bool is_admin = false) {
    try {
        CheckInstanceState(instance, RuleFor(method), is_admin);
    } catch (const nova::InstanceInvalidState& e) {
        auto fault = ConflictForInvalidState(e, action, instance.uuid);
        CHECK(fault.status() == 409);
        return fault.message();
    }
    return {};
}

}  // namespace

TEST_CASE("instance state: vm_state rules as Nova's decorators") {
    auto inst = Active();
    CHECK(Conflict(inst, "stop", "stop").empty());
    CHECK(Conflict(inst, "start", "start") ==
          "Cannot 'start' instance u1 while it is in vm_state active");
    CHECK(Conflict(inst, "pause", "pause").empty());
    CHECK(Conflict(inst, "unpause", "unpause") ==
          "Cannot 'unpause' instance u1 while it is in vm_state active");
    CHECK(Conflict(inst, "confirm_resize", "confirmResize") ==
          "Cannot 'confirmResize' instance u1 while it is in vm_state active");
    inst.vm_state = "resized";
    CHECK(Conflict(inst, "confirm_resize", "confirmResize").empty());
    CHECK(Conflict(inst, "revert_resize", "revertResize").empty());
    CHECK(Conflict(inst, "resize", "resize") ==
          "Cannot 'resize' instance u1 while it is in vm_state resized");
    inst.vm_state = "error";
    CHECK(Conflict(inst, "stop", "stop").empty());  // stop accepts error
    CHECK(Conflict(inst, "_hard_reboot", "reboot").empty());
    CHECK(Conflict(inst, "_soft_reboot", "reboot") ==
          "Cannot 'reboot' instance u1 while it is in vm_state error");
}

TEST_CASE("instance state: task_state rules") {
    auto inst = Active();
    inst.task_state = "pausing";
    CHECK(Conflict(inst, "stop", "stop") ==
          "Cannot 'stop' instance u1 while it is in task_state pausing");
    // ALLOW_REBOOT lets a hard reboot through a pending pause, a soft one not.
    CHECK(Conflict(inst, "_hard_reboot", "reboot").empty());
    CHECK(Conflict(inst, "_soft_reboot", "reboot") ==
          "Cannot 'reboot' instance u1 while it is in task_state pausing");
    inst.task_state = "deleting";
    CHECK(Conflict(inst, "_hard_reboot", "reboot") ==
          "Cannot 'reboot' instance u1 while it is in task_state deleting");
    // delete checks neither vm_state nor task_state, nor launched_at.
    inst.launched = false;
    CHECK(Conflict(inst, "delete", "delete").empty());
    // metadata updates do not look at task_state
    inst.launched = true;
    CHECK(Conflict(inst, "update_instance_metadata", "update metadata").empty());
}

TEST_CASE("instance state: never launched -> the generic message (state is None)") {
    auto inst = Active();
    inst.launched = false;
    try {
        CheckInstanceState(inst, RuleFor("stop"), false);
        FAIL("no error");
    } catch (const nova::InstanceInvalidState& e) {
        CHECK(std::string(e.message()) ==
              "Instance u1 in launched_at None. Cannot stop while the instance is in this state.");
        CHECK(ConflictForInvalidState(e, "stop", "u1").message() ==
              "Instance u1 is in an invalid state for 'stop'");
    }
}

TEST_CASE("instance state: lock is checked first, admins pass") {
    auto inst = Active();
    inst.locked = true;
    inst.vm_state = "stopped";  // would also fail the vm_state check of pause
    try {
        CheckInstanceState(inst, RuleFor("pause"), false);
        FAIL("no error");
    } catch (const nova::InstanceIsLocked& e) {
        CHECK(ConflictForInvalidState(e, "pause", "u1").message() == "Instance u1 is locked");
    }
    CHECK(Conflict(inst, "pause", "pause", /*is_admin=*/true) ==
          "Cannot 'pause' instance u1 while it is in vm_state stopped");
    // snapshot/backup/evacuate have no lock check in Nova
    CHECK(Conflict(inst, "snapshot", "createImage").empty());
}

TEST_CASE("instance state: task state set and action recorded") {
    CHECK(RuleFor("stop").new_task_state == "powering-off");
    CHECK(RuleFor("start").new_task_state == "powering-on");
    CHECK(RuleFor("_hard_reboot").new_task_state == "rebooting_hard");
    CHECK(RuleFor("_soft_reboot").instance_action == "reboot");
    CHECK(RuleFor("resize").new_task_state == "resize_prep");
    CHECK(RuleFor("migrate").instance_action == "migrate");
    CHECK(RuleFor("revert_resize").new_task_state == "resize_reverting");
    CHECK_FALSE(RuleFor("confirm_resize").new_task_state.has_value());
    CHECK(RuleFor("confirm_resize").instance_action == "confirmResize");
    CHECK(RuleFor("delete").new_task_state == "deleting");
    CHECK_THROWS_AS(RuleFor("no_such_method"), std::out_of_range);
}

TEST_CASE("instance state: the view of an Instance object") {
    nova::objects::Instance instance;
    instance.set_uuid("u2");
    instance.set_vm_state("stopped");
    auto view = nova::api::StateViewOf(instance);
    CHECK(view.uuid == "u2");
    CHECK(view.vm_state == "stopped");
    CHECK_FALSE(view.task_state.has_value());
    CHECK_FALSE(view.launched);
    CHECK_FALSE(view.locked);
    instance.set_task_state("powering-on");
    instance.mutable_launched_at()->set_seconds(1);
    instance.set_locked(true);
    view = nova::api::StateViewOf(instance);
    CHECK(view.task_state == std::optional<std::string>("powering-on"));
    CHECK(view.launched);
    CHECK(view.locked);
    CHECK(Conflict(view, "start", "start") == "Instance u2 is locked");
}
