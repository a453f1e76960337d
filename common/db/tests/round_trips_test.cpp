// Round trips to the database per store operation on a build's path (PoolStats::statements):
// what each one costs, and that the cheaper forms keep the rows and errors of the longer ones.
#include <doctest/doctest.h>

#include "../../objects/src/fill_for_test.hpp"
#include <string>

#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/instance_action_store.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/db/scheduling_store.hpp"
#include "nova/db/service_store.hpp"
#include "nova/objects/object.hpp"
#include "scratch_database.hpp"

using namespace nova;
using namespace nova::db;
using testing::ScratchDatabase;

namespace {

enum class Mode { kAutoCommit, kTransaction };

// The statements `fn` runs on `pool`, whose idle connection was left in `mode` (the test's
// one connection; a switch of mode is a round trip of its own, which a busy service's pool
// with idle connections of both modes seldom needs).
template <class F>
long long StatementsOf(Pool& pool, Mode mode, F&& fn) {
    if (mode == Mode::kAutoCommit) {
        pool.Query("SELECT 1");
    } else {
        pool.Transaction([](Session& s) { s.Query("SELECT 1"); });
    }
    const auto before = pool.Stats().statements;
    fn();
    return pool.Stats().statements - before;
}

objects::Instance NewInstance(InstanceStore& store) {
    objects::Instance inst;
    inst.set_uuid(GenerateUuid());
    inst.set_project_id("p");
    inst.set_user_id("u");
    inst.set_vm_state("building");
    objects::SetNull(inst, "task_state");
    (*inst.mutable_system_metadata())["image_min_ram"] = "0";
    store.Create(inst);
    return inst;
}

}  // namespace

TEST_CASE("an INSERT that needs its id is one round trip (RETURNING), a one-statement write has no COMMIT") {
    ScratchDatabase db(ScratchDatabase::Schema::kMain);
    InstanceStore instances(db.pool(), db.clock());
    objects::Instance inst;
    // instances (RETURNING id), extra, info cache, system metadata, COMMIT.
    CHECK(StatementsOf(db.pool(), Mode::kTransaction, [&] { inst = NewInstance(instances); }) == 5);
    CHECK(inst.id() > 0);
    CHECK(instances.GetByUuid(inst.uuid()).id() == inst.id());

    InstanceActionStore actions(db.pool(), db.clock());
    objects::InstanceAction first;
    first.set_action("create");
    first.set_instance_uuid(inst.uuid());
    first.set_request_id("req-1");
    CHECK(StatementsOf(db.pool(), Mode::kAutoCommit, [&] { actions.ActionStart(first); }) == 1);
    objects::InstanceAction second = first;
    objects::Unset(second, "id");
    second.set_request_id("req-2");
    actions.ActionStart(second);
    CHECK(first.id() > 0);
    CHECK(second.id() > first.id());
    CHECK(actions.GetByRequestId(inst.uuid(), "req-1").id() == first.id());
    CHECK(actions.GetByRequestId(inst.uuid(), "req-2").id() == second.id());

    CHECK(StatementsOf(db.pool(), Mode::kAutoCommit, [&] {
              CHECK(db.pool().Execute("UPDATE `instances` SET `hostname` = 'h' WHERE `uuid` = ?", {inst.uuid()}) ==
                    1);
          }) == 1);
    CHECK(instances.GetByUuid(inst.uuid()).hostname() == "h");

    ComputeNodeStore nodes(db.pool(), db.clock());
    objects::ComputeNode node;
    objects::testing::FillAll(node);
    for (const char* f : {"id", "created_at", "updated_at", "deleted_at", "deleted"}) objects::Unset(node, f);
    node.set_uuid(GenerateUuid());
    node.set_host("compute-1");
    node.set_hypervisor_hostname("node-1");
    node.set_vcpus(4);
    CHECK(StatementsOf(db.pool(), Mode::kAutoCommit, [&] { nodes.Create(node); }) == 1);
    CHECK(node.id() > 0);
    node.set_vcpus_used(2);
    CHECK(StatementsOf(db.pool(), Mode::kAutoCommit, [&] { nodes.Save(node); }) == 1);
    CHECK(nodes.GetById(node.id()).vcpus_used() == 2);
    objects::ComputeNode gone = node;
    gone.set_id(node.id() + 1000);
    gone.set_vcpus_used(3);
    CHECK_THROWS_AS(nodes.Save(gone), ComputeHostNotFound);
}

TEST_CASE("event start and finish without a result: one statement each, the same rows and errors") {
    ScratchDatabase db(ScratchDatabase::Schema::kMain);
    InstanceStore instances(db.pool(), db.clock());
    auto inst = NewInstance(instances);
    InstanceActionStore actions(db.pool(), db.clock());
    // Two actions of the request: the newest is the one its events belong to.
    objects::InstanceAction older;
    older.set_action("create");
    older.set_instance_uuid(inst.uuid());
    older.set_request_id("req-1");
    actions.ActionStart(older);
    objects::InstanceAction action = older;
    objects::Unset(action, "id");
    action.set_action("reboot");
    actions.ActionStart(action);

    CHECK(StatementsOf(db.pool(), Mode::kAutoCommit, [&] { actions.RecordEventStart(inst.uuid(), "req-1", "ev", "compute-1"); }) == 1);
    actions.RecordEventStart(inst.uuid(), "req-1", "other", std::nullopt);
    auto events = actions.GetEvents(action.id());
    REQUIRE(events.size() == 2);
    CHECK(actions.GetEvents(older.id()).empty());
    CHECK(events[0].event() == "ev");
    CHECK(events[0].host() == "compute-1");
    CHECK(events[0].has_start_time());
    CHECK(objects::IsNull(events[1], "host"));
    CHECK(objects::IsNull(events[0], "finish_time"));
    CHECK_THROWS_AS(actions.RecordEventStart(inst.uuid(), "req-none", "ev", std::nullopt), InstanceActionNotFound);

    // A second event of the same name: the finish goes to the newest, as EventFinish's does.
    actions.RecordEventStart(inst.uuid(), "req-1", "ev", "compute-1");
    CHECK(StatementsOf(db.pool(), Mode::kAutoCommit, [&] { actions.RecordEventFinish(inst.uuid(), "req-1", "ev", "Success"); }) == 1);
    events = actions.GetEvents(action.id());
    REQUIRE(events.size() == 3);
    CHECK(objects::IsNull(events[0], "finish_time"));
    CHECK(events[2].result() == "Success");
    CHECK(events[2].has_finish_time());
    CHECK(objects::IsNull(events[1], "result"));
    CHECK(actions.GetByRequestId(inst.uuid(), "req-1").message().empty());

    CHECK_THROWS_AS(actions.RecordEventFinish(inst.uuid(), "req-1", "nothing", "Success"),
                    InstanceActionEventNotFound);
    CHECK_THROWS_AS(actions.RecordEventFinish(inst.uuid(), "req-none", "ev", "Success"), InstanceActionNotFound);

    // A failure marks the action too (Nova's event_finish_with_failure).
    actions.RecordEventFinish(inst.uuid(), "req-1", "other", "Error", "Traceback ...");
    events = actions.GetEvents(action.id());
    CHECK(events[1].result() == "Error");
    CHECK(events[1].traceback() == "Traceback ...");
    CHECK(actions.GetByRequestId(inst.uuid(), "req-1").message() == "Error");
}

TEST_CASE("an instance save that changes only the instances row: the UPDATE and one read back") {
    ScratchDatabase db(ScratchDatabase::Schema::kMain);
    InstanceStore instances(db.pool(), db.clock());
    auto inst = NewInstance(instances);
    inst.set_task_state("networking");
    inst.set_host("compute-1");
    objects::Instance saved;
    CHECK(StatementsOf(db.pool(), Mode::kAutoCommit, [&] {
              saved = instances.SaveAndGet(inst, InstanceExpectations::TaskState({std::nullopt}));
          }) == 2);
    CHECK(objects::WhatChanged(inst).empty());
    CHECK(saved.task_state() == "networking");
    CHECK(saved.host() == "compute-1");
    CHECK(saved.system_metadata().at("image_min_ram") == "0");
    CHECK(saved.id() == inst.id());
    CHECK(saved.has_updated_at());

    // The expected task_state still guards it, and the conflict names what was found.
    inst.set_task_state("spawning");
    CHECK_THROWS_AS(instances.SaveAndGet(inst, InstanceExpectations::TaskState({std::nullopt})),
                    UnexpectedTaskStateError);
    CHECK(instances.GetByUuid(inst.uuid()).task_state() == "networking");
    inst.set_task_state("deleting");
    instances.Save(inst);
    inst.set_task_state("spawning");
    CHECK_THROWS_AS(instances.SaveAndGet(inst, InstanceExpectations::TaskState({"networking"})),
                    UnexpectedDeletingTaskStateError);

    // A save that also touches another table stays one transaction, read back inside it.
    auto other = NewInstance(instances);
    other.set_task_state("spawning");
    (*other.mutable_metadata())["k"] = "v";
    saved = instances.SaveAndGet(other, {});
    CHECK(saved.task_state() == "spawning");
    CHECK(saved.metadata().at("k") == "v");
}

TEST_CASE("a build's API database writes: the mapping's cell and the build request's delete, one statement each") {
    ScratchDatabase db(ScratchDatabase::Schema::kApi);
    CellMappingStore cells(db.pool(), db.clock());
    objects::CellMapping cell;
    cell.set_uuid(GenerateUuid());
    cell.set_name("cell1");
    cell.set_transport_url("fake://");
    cell.set_database_connection("mysql+pymysql://x/y");
    cells.Create(cell);
    InstanceMappingStore mappings(db.pool(), db.clock());
    objects::InstanceMapping im;
    im.set_instance_uuid(GenerateUuid());
    im.set_project_id("p");
    im.set_user_id("u");
    im.set_queued_for_delete(false);
    mappings.Create(im);
    CHECK(StatementsOf(db.pool(), Mode::kAutoCommit, [&] { mappings.SetCell(im.instance_uuid(), cell); }) == 1);
    CHECK(mappings.GetByInstanceUuid(im.instance_uuid()).cell_mapping().uuid() == cell.uuid());
    CHECK_THROWS_AS(mappings.SetCell(GenerateUuid(), cell), InstanceMappingNotFound);

    BuildRequestStore requests(db.pool(), db.clock());
    objects::BuildRequest br;
    br.set_instance_uuid(im.instance_uuid());
    br.set_project_id("p");
    br.mutable_instance()->set_uuid(im.instance_uuid());
    requests.Create(br);
    CHECK(StatementsOf(db.pool(), Mode::kAutoCommit, [&] { requests.Destroy(im.instance_uuid()); }) == 1);
    CHECK_THROWS_AS(requests.GetByInstanceUuid(im.instance_uuid()), BuildRequestNotFound);
    CHECK_THROWS_AS(requests.Destroy(im.instance_uuid()), BuildRequestNotFound);
}

TEST_CASE("the one-statement event writes do not read the other builds' events") {
    ScratchDatabase db(ScratchDatabase::Schema::kMain);
    InstanceStore instances(db.pool(), db.clock());
    InstanceActionStore actions(db.pool(), db.clock());
    // Rows the server read (index ranges and scans) for `fn`, counted on the session that runs
    // it: the pool's one autocommit connection, which SHOW SESSION STATUS runs on too.
    auto rows_read = [&](auto&& fn) {
        auto read = [&] {
            long long n = 0;
            for (const auto& row : db.pool().Query(
                     "SHOW SESSION STATUS WHERE `Variable_name` IN ('Handler_read_next', 'Handler_read_rnd_next')")) {
                n += std::stoll(row.String("Value"));
            }
            return n;
        };
        const auto before = read();
        fn();
        return read() - before;
    };
    auto build = [&] {
        auto inst = NewInstance(instances);
        objects::InstanceAction action;
        action.set_action("create");
        action.set_instance_uuid(inst.uuid());
        action.set_request_id("req-" + inst.uuid());
        actions.ActionStart(action);
        return rows_read([&] {
            actions.RecordEventStart(inst.uuid(), action.request_id(), "compute__do_build_and_run_instance", "c1");
            actions.RecordEventFinish(inst.uuid(), action.request_id(), "compute__do_build_and_run_instance",
                                      "Success");
        });
    };
    build();  // the statements prepared, the tables opened
    const auto alone = build();
    for (int i = 0; i < 150; ++i) build();
    const auto among_many = build();
    CAPTURE(alone);
    CAPTURE(among_many);
    // (With the action's id compared as a scalar subquery they read every build's row: 156
    // rows here, against 5 alone.)
    CHECK(among_many < alone + 20);
}
