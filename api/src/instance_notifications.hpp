#pragma once
// The versioned instance notifications nova-api sends itself (nova/compute/utils.py
// notify_about_instance_action with source nova-api): today those of a delete the API does on
// its own (a server without a host, or whose compute is down), instance.delete.start and
// instance.delete.end, around the destroy, as Nova's notify_about_instance_delete.
#include <string_view>

#include "nova/common/context.hpp"
#include "nova/common/json.hpp"
#include "nova/objects/instance.pb.h"

namespace nova::rpc {
class Notifier;
}

namespace nova::api {

// Nova's InstanceActionPayload (1.8) of `instance` as `context` acts on it, as a nova_object
// primitive: the instance fields of InstancePayload's SCHEMA, the flavor, no addresses (no
// networking), block_devices null ([notifications] bdms_in_notifications is off), no fault.
Json InstanceActionPayload(const objects::Instance& instance, const RequestContext& context);

// Sends instance.<action>.<phase> at INFO when `notifier` is set and enabled. A notification
// never fails the operation: errors are logged.
void NotifyInstanceAction(const rpc::Notifier* notifier, const RequestContext& context,
                          const objects::Instance& instance, std::string_view action, std::string_view phase);

}  // namespace nova::api
