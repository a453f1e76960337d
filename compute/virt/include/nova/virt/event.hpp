#pragma once
// Events a virt driver emits about its guests (nova/virt/event.py). The compute manager
// registers one callback (ComputeDriver::RegisterEventListener) and syncs the instance's
// power state when a lifecycle event arrives.
#include <functional>
#include <string>
#include <string_view>

#include "nova/common/clock.hpp"

namespace nova::virt {

// EVENT_LIFECYCLE_*: the numbers are Nova's.
enum class Transition : int {
    kStarted = 0,
    kStopped = 1,
    kPaused = 2,
    kResumed = 3,
    kSuspended = 4,
    kPostcopyStarted = 5,
    kMigrationCompleted = 6,
};

// "Started", "Stopped", ... (Nova's NAMES).
std::string_view TransitionName(Transition t);

// A guest changed state: Nova's LifecycleEvent(uuid, transition, timestamp).
struct LifecycleEvent {
    std::string instance_uuid;
    Transition transition;
    WallTime timestamp;
};

// Called on a thread of the driver's (libvirt's event loop, or the caller of a fake
// operation). It must not block: post the event to the instance's strand and return.
using EventCallback = std::function<void(const LifecycleEvent&)>;

}  // namespace nova::virt
