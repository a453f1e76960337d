#pragma once
// `nova-manage cell_v2 discover_hosts` for the process tests' clouds: once `count`
// nova-compute services have registered in the cell, map their hosts to it, then wait until
// each has its resource provider (the compute's first report through the conductor).
#include <chrono>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/placement_store.hpp"
#include "nova/db/service_store.hpp"
#include "nova/objects/host_mapping.pb.h"

namespace nova::api::testing {

// Empty when the hosts are mapped and reported; otherwise what did not happen in time.
inline std::string DiscoverComputeHosts(db::Pool& api_db, db::Pool& cell_db, const objects::CellMapping& cell,
                                        const Clock& clock, std::size_t count) {
    using namespace std::chrono_literals;
    db::ServiceStore services(cell_db, clock);
    std::vector<objects::Service> computes;
    for (int i = 0; i < 600 && computes.size() < count; ++i) {
        computes = services.GetByBinary("nova-compute");
        if (computes.size() < count) std::this_thread::sleep_for(100ms);
    }
    if (computes.size() < count) {
        return std::to_string(computes.size()) + " of " + std::to_string(count) + " nova-compute hosts registered";
    }
    for (const auto& compute : computes) {
        objects::HostMapping mapping;
        mapping.set_host(compute.host());
        *mapping.mutable_cell_mapping() = cell;
        db::HostMappingStore(api_db, clock).Create(mapping);
    }
    db::PlacementStore placement(api_db, clock);
    for (int i = 0; i < 300; ++i) {
        if (placement.GetProviders().size() >= count) return {};
        std::this_thread::sleep_for(100ms);
    }
    return "fewer than " + std::to_string(count) + " resource providers reported";
}

}  // namespace nova::api::testing
