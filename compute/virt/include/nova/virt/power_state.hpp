#pragma once
// Power states: what the hypervisor says about a guest (nova/compute/power_state.py). The
// hypervisor is the authority; Instance.power_state is a recent snapshot of it. The numbers
// are the ones stored in the database and sent on the wire (the index of the state in Nova's
// InstancePowerState enum; 2 and 5 are unused).
#include <cstdint>
#include <optional>
#include <string_view>

namespace nova::virt {

enum class PowerState : std::int64_t {
    kNoState = 0,
    kRunning = 1,
    kPaused = 3,
    kShutdown = 4,
    kCrashed = 6,
    kSuspended = 7,
};

namespace power_state {
inline constexpr std::int64_t NOSTATE = 0;
inline constexpr std::int64_t RUNNING = 1;
inline constexpr std::int64_t PAUSED = 3;
inline constexpr std::int64_t SHUTDOWN = 4;
inline constexpr std::int64_t CRASHED = 6;
inline constexpr std::int64_t SUSPENDED = 7;
}  // namespace power_state

constexpr std::int64_t ToInt(PowerState s) { return static_cast<std::int64_t>(s); }

// Nova's STATE_MAP names ("pending", "running", "paused", "shutdown", "crashed",
// "suspended"), as the API shows them in OS-EXT-STS:power_state descriptions.
std::string_view PowerStateName(PowerState s);
// The state for a stored number, or nullopt for 2, 5 and anything out of range.
std::optional<PowerState> PowerStateFromInt(std::int64_t value);

}  // namespace nova::virt
