#include "nova/common/service_state.hpp"

namespace nova {

bool IsServiceUp(const ServiceLiveness& service, WallTime now,
                 std::chrono::seconds service_down_time) {
    if (service.forced_down) return false;
    const auto& heartbeat = service.last_seen_up ? service.last_seen_up : service.created_at;
    // A record with neither timestamp has never been written by a running service.
    if (!heartbeat) return false;
    const auto elapsed = now > *heartbeat ? now - *heartbeat : *heartbeat - now;
    return elapsed <= service_down_time;
}

}  // namespace nova
