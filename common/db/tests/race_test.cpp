// Two threads race Instance::save(expected_task_state=...) on one instance: exactly one wins,
// the other gets Nova's UnexpectedTaskStateError, and the row holds the winner's write.
#include <doctest/doctest.h>

#include <atomic>
#include <barrier>
#include <thread>

#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/objects/object.hpp"
#include "scratch_database.hpp"

using namespace nova;
using namespace nova::db;
using testing::ScratchDatabase;

TEST_CASE("racing saves with expected_task_state: exactly one wins") {
    ScratchDatabase db(ScratchDatabase::Schema::kMain);
    InstanceStore store(db.pool(), db.clock());
    constexpr int kRounds = 25;
    for (int round = 0; round < kRounds; ++round) {
        objects::Instance inst;
        inst.set_uuid(GenerateUuid());
        inst.set_vm_state("active");
        objects::SetNull(inst, "task_state");
        store.Create(inst);

        std::barrier start(2);
        std::atomic<int> wins{0};
        std::atomic<int> conflicts{0};
        std::string winner;
        auto act = [&](const char* task) {
            auto mine = store.GetByUuid(inst.uuid());
            mine.set_task_state(task);
            start.arrive_and_wait();
            try {
                store.Save(mine, InstanceExpectations::TaskState({std::nullopt}));
                ++wins;
                winner = task;
            } catch (const UnexpectedTaskStateError& e) {
                ++conflicts;
                CHECK(e.kwargs()["actual"]["task_state"] != nullptr);
                CHECK(e.kwargs()["expected"]["task_state"] == Json::array({nullptr}));
            }
        };
        std::thread a(act, "rebooting");
        std::thread b(act, "deleting");
        a.join();
        b.join();
        REQUIRE(wins == 1);
        REQUIRE(conflicts == 1);
        CHECK(store.GetByUuid(inst.uuid()).task_state() == winner);
    }
}

TEST_CASE("expected states are checked even with nothing else to write") {
    ScratchDatabase db(ScratchDatabase::Schema::kMain);
    InstanceStore store(db.pool(), db.clock());
    objects::Instance inst;
    inst.set_uuid(GenerateUuid());
    inst.set_vm_state("active");
    inst.set_task_state("deleting");
    store.Create(inst);
    // The deleting winner gets its own error class, as in Nova.
    CHECK_THROWS_AS(store.Save(inst, InstanceExpectations::TaskState({"rebooting"})),
                    UnexpectedDeletingTaskStateError);
    CHECK_THROWS_AS(store.Save(inst, InstanceExpectations::VmState({"stopped"})),
                    InstanceUpdateConflict);
    auto both = InstanceExpectations::TaskState({"deleting", std::nullopt});
    both.vm_state = InstanceExpectations::States{"active"};
    CHECK_NOTHROW(store.Save(inst, both));
    objects::Instance ghost;
    ghost.set_uuid(GenerateUuid());
    ghost.set_host("h");
    CHECK_THROWS_AS(store.Save(ghost, InstanceExpectations::TaskState({std::nullopt})),
                    InstanceNotFound);
}
