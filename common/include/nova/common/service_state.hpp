#pragma once
// Whether a service is up, by Nova's database servicegroup rule: a service is up when its
// last heartbeat (last_seen_up, or created_at before the first report) is at most
// `service_down_time` away from now, in either direction (clocks of different hosts drift),
// and it has not been forced down by an operator. The scheduler, the API (os-services,
// os-availability-zone, os-hypervisors) and the conductor all decide with this one rule.
#include <chrono>
#include <optional>

#include "nova/common/clock.hpp"

namespace nova {

struct ServiceLiveness {
    std::optional<WallTime> last_seen_up;
    std::optional<WallTime> created_at;
    bool forced_down = false;
};

bool IsServiceUp(const ServiceLiveness& service, WallTime now,
                 std::chrono::seconds service_down_time);

}  // namespace nova
