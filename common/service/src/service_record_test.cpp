#include "nova/service/service_record.hpp"

#include <doctest/doctest.h>

#include "fake_service_records.hpp"

namespace nova::service {
namespace {

using testing::FakeServiceRecords;

TEST_CASE("a new service gets a record at this release's service version") {
    FakeServiceRecords records;
    auto service = RegisterService(records, "node1", "nova-conductor", "conductor");
    CHECK(service.id() == 1);
    CHECK(service.version() == kServiceVersion);
    CHECK(service.report_count() == 0);
    CHECK(records.Stored("node1", "nova-conductor").topic() == "conductor");
}

TEST_CASE("an existing record is reused and its version brought up to date") {
    FakeServiceRecords records;
    auto first = RegisterService(records, "node1", "nova-scheduler", "scheduler");
    auto stored = records.Stored("node1", "nova-scheduler");
    stored.set_version(56);  // the service ran an older release before
    records.Save(stored);
    auto again = RegisterService(records, "node1", "nova-scheduler", "scheduler");
    CHECK(again.id() == first.id());
    CHECK(again.version() == kServiceVersion);
    CHECK(records.Stored("node1", "nova-scheduler").version() == kServiceVersion);
}

TEST_CASE("a worker that loses the race to create the record uses its sibling's") {
    FakeServiceRecords records;
    records.sibling_wins_create = true;
    auto service = RegisterService(records, "node1", "nova-conductor", "conductor");
    CHECK(service.id() == 1);
    CHECK(service.host() == "node1");
}

TEST_CASE("each heartbeat counts one report, a failed one is undone and the next recovers") {
    FakeServiceRecords records;
    auto service = RegisterService(records, "node1", "nova-compute", "compute");
    Heartbeat heartbeat(records, service);
    CHECK(heartbeat.Beat());
    CHECK(heartbeat.Beat());
    CHECK(records.Stored("node1", "nova-compute").report_count() == 2);

    records.fail_saves = true;
    CHECK_FALSE(heartbeat.Beat());
    CHECK_FALSE(heartbeat.Beat());
    CHECK(service.report_count() == 2);

    records.fail_saves = false;
    CHECK(heartbeat.Beat());
    CHECK(records.Stored("node1", "nova-compute").report_count() == 3);
}

}  // namespace
}  // namespace nova::service
