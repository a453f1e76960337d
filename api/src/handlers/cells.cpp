#include "cells.hpp"

#include "nova/db/cell_mapping_store.hpp"

namespace nova::api::handlers {

std::vector<CellDatabases::Cell> CellDatabases::All(bool include_cell0) {
    std::vector<Cell> cells;
    for (auto& mapping : db::CellMappingStore(api_, clock_).GetAll()) {
        if (!include_cell0 && mapping.uuid() == db::kCell0Uuid) continue;
        db::Pool* pool = &PoolFor(mapping);
        cells.push_back({std::move(mapping), pool});
    }
    return cells;
}

std::vector<CellDatabases::Cell> CellDatabases::AllCached(std::chrono::seconds max_age) {
    {
        std::lock_guard lock(mutex_);
        if (cached_at_ != MonoTime{} && MonoClock::now() - cached_at_ < max_age) return cached_;
    }
    auto cells = All(/*include_cell0=*/true);
    std::lock_guard lock(mutex_);
    cached_ = cells;
    cached_at_ = MonoClock::now();
    return cells;
}

db::Pool& CellDatabases::PoolFor(const objects::CellMapping& cell) {
    std::lock_guard lock(mutex_);
    auto& pool = pools_[cell.database_connection()];
    if (!pool) pool = db::Pool::Create(options_, cell.database_connection());
    return *pool;
}

}  // namespace nova::api::handlers
