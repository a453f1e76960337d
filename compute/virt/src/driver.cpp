#include "nova/virt/driver.hpp"

#include <algorithm>
#include <exception>

#include <fmt/format.h>

#include "nova/common/log.hpp"

namespace nova::virt {

std::string_view TransitionName(Transition t) {
    switch (t) {
        case Transition::kStarted: return "Started";
        case Transition::kStopped: return "Stopped";
        case Transition::kPaused: return "Paused";
        case Transition::kResumed: return "Resumed";
        case Transition::kSuspended: return "Suspended";
        case Transition::kPostcopyStarted: return "Postcopy started";
        case Transition::kMigrationCompleted: return "Migration completed";
    }
    return "Unknown";
}

std::string_view RebootTypeName(RebootType t) { return t == RebootType::kSoft ? "SOFT" : "HARD"; }

std::string InstanceName(const objects::Instance& instance) {
    return fmt::format("instance-{:08x}", static_cast<std::uint64_t>(instance.id()));
}

std::int64_t VersionToInt(std::int64_t major, std::int64_t minor, std::int64_t micro) {
    return major * 1000000 + minor * 1000 + micro;
}

bool ComputeDriver::InstanceExists(const objects::Instance& instance) {
    auto uuids = ListInstanceUuids();
    return std::find(uuids.begin(), uuids.end(), instance.uuid()) != uuids.end();
}

bool ComputeDriver::NodeIsAvailable(const std::string& nodename) {
    auto nodes = GetAvailableNodes();
    if (std::find(nodes.begin(), nodes.end(), nodename) != nodes.end()) return true;
    nodes = GetAvailableNodes(true);
    return std::find(nodes.begin(), nodes.end(), nodename) != nodes.end();
}

void ComputeDriver::RegisterEventListener(EventCallback callback) {
    std::lock_guard lock(listener_mutex_);
    if (callback) {
        listener_ = std::make_shared<const EventCallback>(std::move(callback));
    } else {
        listener_.reset();
    }
}

void ComputeDriver::EmitEvent(const LifecycleEvent& event) {
    auto& log = log::Get("nova.virt.driver");
    std::shared_ptr<const EventCallback> listener;
    {
        std::lock_guard lock(listener_mutex_);
        listener = listener_;
    }
    if (!listener) {
        NOVA_LOG_DEBUG(log, (log::WithInstance{nullptr, event.instance_uuid}),
                       "Discarding event {}", TransitionName(event.transition));
        return;
    }
    try {
        NOVA_LOG_DEBUG(log, (log::WithInstance{nullptr, event.instance_uuid}),
                       "Emitting event {}", TransitionName(event.transition));
        (*listener)(event);
    } catch (const std::exception& e) {
        NOVA_LOG_ERROR(log, (log::WithInstance{nullptr, event.instance_uuid}),
                       "Exception dispatching event {}: {}", TransitionName(event.transition),
                       e.what());
    }
}

}  // namespace nova::virt
