#pragma once
// Internal to nova::compute_manager: what manager.cpp and manager_resize.cpp (the resize and
// cold-migration family) share. Not a public header.
#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include "nova/common/context.hpp"
#include "nova/common/error.hpp"
#include "nova/common/json.hpp"
#include "nova/common/log.hpp"
#include "nova/compute/manager.hpp"
#include "nova/objects/instance.pb.h"
#include "nova/objects/migration.pb.h"
#include "nova/objects/object.hpp"
#include "nova/objects/request_spec.pb.h"

namespace nova::compute {
namespace detail {

spdlog::logger& Log();
log::WithInstance Scope(const RequestContext& context, const objects::Instance& instance);
objects::Instance InstanceArg(const Json& args);
objects::Migration MigrationArg(const Json& args);
// The request_spec argument, or an empty RequestSpec when it is absent or null.
objects::RequestSpec RequestSpecArg(const Json& args);
// Sets task_state; nullptr sets it to None (and marks it changed).
void SetTaskState(objects::Instance& instance, const char* task_state);
// task_state, or "" when it is None or unset.
std::string TaskState(const objects::Instance& instance);
// A NovaError's message, or what().
std::string ErrorMessage(const std::exception& error);
bool HasValue(const objects::Message& object, std::string_view field);
// Nova's _set_instance_info: the instance's flavor and its copies in the instances row.
void SetInstanceInfo(objects::Instance& instance, const objects::Flavor& flavor);
// Nova's _delete_stashed_flavor_info: old_flavor and new_flavor None, old_vm_state dropped.
void ClearStashedFlavors(objects::Instance& instance);
// system_metadata's old_vm_state (stashed by prep_resize), active when absent.
std::string OldVmState(const objects::Instance& instance);

}  // namespace detail

using detail::Log;
using detail::Scope;

template <class Body>
void ComputeManager::WithInstanceEvent(const RequestContext& context,
                                       const objects::Instance& instance,
                                       const std::string& event_name, Body&& body) {
    InstanceLocks::Guard guard(locks_, instance.uuid());
    try {
        deps_.objects.EventStart(context, instance.uuid(), event_name, options_.host);
    } catch (const std::exception& e) {
        NOVA_LOG_WARN(Log(), Scope(context, instance), "Could not record {} start: {}",
                      event_name, e.what());
    }
    try {
        body();
    } catch (const std::exception& error) {
        try {
            const auto* nova = dynamic_cast<const NovaError*>(&error);
            deps_.objects.EventFinish(context, instance.uuid(), event_name,
                                      nova != nullptr ? std::string(nova->class_name())
                                                      : std::string("Exception"),
                                      detail::ErrorMessage(error));
        } catch (const std::exception& e) {
            NOVA_LOG_WARN(Log(), Scope(context, instance), "Could not record {} end: {}",
                          event_name, e.what());
        }
        throw;
    }
    try {
        deps_.objects.EventFinish(context, instance.uuid(), event_name);
    } catch (const std::exception& e) {
        NOVA_LOG_WARN(Log(), Scope(context, instance), "Could not record {} end: {}",
                      event_name, e.what());
    }
}

template <class Body>
void ComputeManager::CastWithInstanceEvent(const RequestContext& context,
                                           const objects::Instance& instance,
                                           const std::string& event_name, Body&& body) {
    try {
        WithInstanceEvent(context, instance, event_name, std::forward<Body>(body));
    } catch (const std::exception& e) {
        // The failure is already in the instance (ERROR or rolled back, with a fault), in
        // the action event, or handed to the conductor; a cast has nobody to report it to.
        NOVA_LOG_DEBUG(Log(), Scope(context, instance), "{} ended with {}", event_name,
                       e.what());
    }
}

}  // namespace nova::compute
