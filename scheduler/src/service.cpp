#include "nova/scheduler/service.hpp"

#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/warm_pool.hpp"

namespace nova::scheduler {

SchedulerService::SchedulerService(const conf::DatabaseOptions& api_database,
                                   const conf::DatabaseOptions& cell_database,
                                   SchedulerConfig config, const Clock& clock) {
    // Configuration errors first, before any database is touched.
    FilterDeps deps;
    deps.filter_scheduler = config.filter_scheduler;
    deps.clock = &clock;
    MakeFilters(config.filter_scheduler.enabled_filters, deps);
    MakeWeighers(config.filter_scheduler.weight_classes, config.filter_scheduler);
    api_ = db::Pool::Create(api_database);
    std::vector<CellDatabase> cells;
    for (const auto& cell : db::CellMappingStore(*api_, clock).GetAll()) {
        if (cell.uuid() == db::kCell0Uuid) continue;  // cell0 has no hosts
        cell_pools_.push_back(db::Pool::Create(cell_database, cell.database_connection()));
        cells.push_back({cell.uuid(), cell_pools_.back().get()});
    }
    // Each worker's claim holds an API database connection: open them before the first
    // request (db/warm_pool.hpp), not all at once when a backlog arrives.
    db::WarmPool(*api_, api_database.max_pool_size);
    placement_ = std::make_unique<Placement>(*api_, clock);
    host_manager_ = std::make_unique<HostManager>(
        *api_, std::move(cells), clock, std::chrono::seconds(config.scheduler.host_state_cache_seconds));
    scheduler_ = std::make_unique<Scheduler>(std::move(config), *placement_, *host_manager_, clock);
}

}  // namespace nova::scheduler
