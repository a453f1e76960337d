#pragma once
// A throwaway database on the test MariaDB (scripts/services): created empty for one test,
// dropped afterwards, so tests never see each other's rows.
#include <memory>
#include <string>

#include "nova/common/clock.hpp"
#include "nova/conf/database.hpp"
#include "nova/db/pool.hpp"

namespace nova::db::testing {

class ScratchDatabase {
public:
    // `sync`: bring the schema of the API or cell database to head right away.
    enum class Schema { kEmpty, kApi, kMain };
    explicit ScratchDatabase(Schema schema = Schema::kEmpty);
    ~ScratchDatabase();

    const std::string& name() const { return name_; }
    const std::string& url() const { return url_; }
    Pool& pool() { return *pool_; }
    // [database] options as nova.conf's defaults, with fast retries for tests.
    static conf::DatabaseOptions Options();
    static std::string ServerUrl(const std::string& database);
    const Clock& clock() const { return clock_; }

private:
    std::string name_;
    std::string url_;
    std::unique_ptr<Pool> pool_;
    SystemClock clock_;
};

}  // namespace nova::db::testing
