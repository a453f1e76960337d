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

db::Pool& CellDatabases::PoolFor(const objects::CellMapping& cell) {
    std::lock_guard lock(mutex_);
    auto& pool = pools_[cell.database_connection()];
    if (!pool) pool = db::Pool::Create(options_, cell.database_connection());
    return *pool;
}

}  // namespace nova::api::handlers
