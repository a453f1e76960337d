#pragma once
// The cell databases nova-api reads (services, compute nodes, instances, migrations): the
// cells of the API database's cell_mappings, each with its own pool, created on first use
// and kept (as Nova's nova.context caches cell database connections).
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/conf/database.hpp"
#include "nova/db/pool.hpp"
#include "nova/objects/cell_mapping.pb.h"

namespace nova::api::handlers {

class CellDatabases {
public:
    // `options`: the [database] group (pool sizes, retries) applied to every cell's URL.
    CellDatabases(db::Pool& api, conf::DatabaseOptions options, const Clock& clock)
        : api_(api), options_(std::move(options)), clock_(clock) {}

    struct Cell {
        objects::CellMapping mapping;
        db::Pool* pool;
    };
    // The cells in cell_mappings order; cell0 (failed builds only) when asked for.
    std::vector<Cell> All(bool include_cell0 = false);
    // Every cell, cell0 included (the quota count's list: Nova counts the instances buried
    // there too), from a copy at most `max_age` old: Nova's nova-api reads the cell list once;
    // the quota count, which runs under the project's lock, skips the query.
    std::vector<Cell> AllCached(std::chrono::seconds max_age);
    // The pool of one cell's database.
    db::Pool& PoolFor(const objects::CellMapping& cell);

private:
    db::Pool& api_;
    conf::DatabaseOptions options_;
    const Clock& clock_;
    std::mutex mutex_;
    std::map<std::string, std::unique_ptr<db::Pool>> pools_;  // by connection URL
    std::vector<Cell> cached_;
    MonoTime cached_at_{};
};

}  // namespace nova::api::handlers
