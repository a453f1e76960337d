#pragma once
// Services of every cell with their availability zone and liveness, as Nova's
// HostAPI.service_get_all(set_zones=True, all_cells=True) and servicegroup's DB driver give
// them to os-services, os-availability-zone and os-hypervisors.
#include <string>
#include <vector>

#include "cells.hpp"
#include "handlers.hpp"
#include "nova/objects/service.pb.h"

namespace nova::api::handlers {

struct ServiceInCell {
    objects::Service service;
    db::Pool* cell;
    std::string availability_zone;
};

// Every live (not deleted) service of every cell, with zones set: computes get the zones of
// their aggregates' availability_zone metadata (joined by ',') or the default zone; other
// services the internal zone.
std::vector<ServiceInCell> AllServices(HandlerDeps& deps);
// Nova's servicegroup DB driver: heartbeat within service_down_time and not forced down.
bool ServiceIsUp(const objects::Service& service, HandlerDeps& deps);
// The zone of one service (set_availability_zones for one).
std::string ServiceZone(const objects::Service& service, HandlerDeps& deps);

}  // namespace nova::api::handlers
