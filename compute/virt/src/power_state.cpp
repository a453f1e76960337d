#include "nova/virt/power_state.hpp"

namespace nova::virt {

std::string_view PowerStateName(PowerState s) {
    switch (s) {
        case PowerState::kNoState: return "pending";
        case PowerState::kRunning: return "running";
        case PowerState::kPaused: return "paused";
        case PowerState::kShutdown: return "shutdown";
        case PowerState::kCrashed: return "crashed";
        case PowerState::kSuspended: return "suspended";
    }
    return "pending";
}

std::optional<PowerState> PowerStateFromInt(std::int64_t value) {
    switch (value) {
        case 0: return PowerState::kNoState;
        case 1: return PowerState::kRunning;
        case 3: return PowerState::kPaused;
        case 4: return PowerState::kShutdown;
        case 6: return PowerState::kCrashed;
        case 7: return PowerState::kSuspended;
        default: return std::nullopt;
    }
}

}  // namespace nova::virt
