// The service record and heartbeat on MariaDB, as nova-conductor and nova-scheduler keep them.
#include <doctest/doctest.h>

#include "../../db/tests/scratch_database.hpp"
#include "nova/common/service_state.hpp"
#include "nova/db/service_store.hpp"
#include "nova/service/db_service_records.hpp"

using namespace std::chrono_literals;

namespace nova::service {
namespace {

WallTime ToWall(const google::protobuf::Timestamp& ts) {
    return WallTime(std::chrono::seconds(ts.seconds()));
}

TEST_CASE("a heartbeat stamps last_seen_up in the database, which makes the service up") {
    db::testing::ScratchDatabase cell(db::testing::ScratchDatabase::Schema::kMain);
    db::ServiceStore store(cell.pool(), cell.clock());
    DbServiceRecords records(store);

    auto service = RegisterService(records, "node1", "nova-conductor", "conductor");
    auto stored = store.GetByHostAndBinary("node1", "nova-conductor");
    CHECK(stored.id() == service.id());
    CHECK(stored.version() == kServiceVersion);
    CHECK_FALSE(stored.has_last_seen_up());

    Heartbeat heartbeat(records, service);
    REQUIRE(heartbeat.Beat());
    stored = store.GetByHostAndBinary("node1", "nova-conductor");
    CHECK(stored.report_count() == 1);
    REQUIRE(stored.has_last_seen_up());
    auto seen = ToWall(stored.last_seen_up());
    CHECK(IsServiceUp({.last_seen_up = seen, .created_at = std::nullopt, .forced_down = false},
                      WallClock::now(), 60s));

    // Registering again (a restart) finds the same row.
    CHECK(RegisterService(records, "node1", "nova-conductor", "conductor").id() == service.id());
}

}  // namespace
}  // namespace nova::service
