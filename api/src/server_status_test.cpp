#include "nova/api/server_status.hpp"

#include <doctest/doctest.h>

using nova::api::StatesFromStatuses;
using nova::api::StatusFromState;

TEST_CASE("status: vm_state and task_state give Nova's status") {
    CHECK(StatusFromState("active", std::nullopt) == "ACTIVE");
    CHECK(StatusFromState("active", std::string("rebooting")) == "REBOOT");
    CHECK(StatusFromState("active", std::string("reboot_started_hard")) == "HARD_REBOOT");
    CHECK(StatusFromState("active", std::string("resize_migrating")) == "RESIZE");
    CHECK(StatusFromState("active", std::string("deleting")) == "ACTIVE");  // no override
    CHECK(StatusFromState("building", std::string("spawning")) == "BUILD");
    CHECK(StatusFromState("stopped", std::nullopt) == "SHUTOFF");
    CHECK(StatusFromState("stopped", std::string("resize_reverting")) == "SHUTOFF");
    CHECK(StatusFromState("resized", std::nullopt) == "VERIFY_RESIZE");
    CHECK(StatusFromState("resized", std::string("resize_reverting")) == "REVERT_RESIZE");
    CHECK(StatusFromState("paused", std::string("migrating")) == "MIGRATING");
    CHECK(StatusFromState("error", std::string("rebuild_spawning")) == "REBUILD");
    CHECK(StatusFromState("soft-delete", std::nullopt) == "SOFT_DELETED");
    CHECK(StatusFromState("shelved_offloaded", std::nullopt) == "SHELVED_OFFLOADED");
    CHECK(StatusFromState("bogus", std::nullopt) == "UNKNOWN");
}

TEST_CASE("status: the reverse mapping for the status filter") {
    auto active = StatesFromStatuses({"active"});
    CHECK(active.vm_states == std::vector<std::string>{"active"});
    CHECK(active.any_task_state);
    auto reboot = StatesFromStatuses({"REBOOT"});
    CHECK(reboot.vm_states == std::vector<std::string>{"active"});
    CHECK_FALSE(reboot.any_task_state);
    CHECK(reboot.task_states.size() == 3);
    auto rebuild = StatesFromStatuses({"rebuild"});
    CHECK(rebuild.vm_states == std::vector<std::string>{"active", "error", "stopped"});
    CHECK(StatesFromStatuses({"nonsense"}).Empty());
}
