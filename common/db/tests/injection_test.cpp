// Strings that reach queries (names, metadata keys and values, filters, URLs) are data: they
// are stored and read back verbatim, or refused, and never executed.
#include <doctest/doctest.h>

#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"
#include "nova/db/aggregate_store.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/flavor_store.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/db/keypair_store.hpp"
#include "scratch_database.hpp"

using namespace nova;
using namespace nova::db;
using testing::ScratchDatabase;

namespace {

const std::vector<std::string> kHostile = {
    "'; DROP TABLE instances; --",
    "\" OR \"1\"=\"1",
    "' OR '1'='1' -- ",
    "x'); DELETE FROM flavors; --",
    "\\'; SELECT SLEEP(5); --",
    "%_%' UNION SELECT password FROM mysql.user --",
    "`id`",
    "Robert'); DROP TABLE students;--",
    "名前 \xF0\x9F\x98\x80 ok",
    std::string("nul\0byte", 8),
};

std::int64_t Count(Pool& pool, const std::string& table) {
    return pool.Query("SELECT COUNT(*) AS n FROM `" + table + "`").front().Int("n");
}

}  // namespace

TEST_CASE("hostile strings in instance fields, metadata and filters are only data") {
    ScratchDatabase db(ScratchDatabase::Schema::kMain);
    InstanceStore store(db.pool(), db.clock());
    int n = 0;
    for (const auto& evil : kHostile) {
        CAPTURE(evil);
        objects::Instance inst;
        inst.set_uuid(GenerateUuid());
        inst.set_display_name(evil);
        inst.set_host(evil);
        inst.set_project_id(evil);
        (*inst.mutable_metadata())[evil] = evil;
        (*inst.mutable_system_metadata())["k" + std::to_string(n)] = evil;
        store.Create(inst);
        ++n;
        auto got = store.GetByUuid(inst.uuid());
        CHECK(got.display_name() == evil);
        CHECK(got.host() == evil);
        CHECK(got.metadata().at(evil) == evil);
        InstanceFilters f;
        f.display_name = evil;
        f.project_id = evil;
        auto found = store.GetByFilters(f);
        REQUIRE(found.size() == 1);
        CHECK(found.front().uuid() == inst.uuid());
        CHECK(store.GetByHost(evil).size() == 1);
        CHECK_THROWS_AS(store.GetByUuid(evil), InstanceNotFound);
    }
    CHECK(Count(db.pool(), "instances") == static_cast<std::int64_t>(kHostile.size()));
    CHECK(Count(db.pool(), "instance_metadata") == static_cast<std::int64_t>(kHostile.size()));
}

TEST_CASE("hostile names in the API database are only data") {
    ScratchDatabase db(ScratchDatabase::Schema::kApi);
    FlavorStore flavors(db.pool(), db.clock());
    KeyPairStore keys(db.pool(), db.clock());
    AggregateStore aggregates(db.pool(), db.clock());
    CellMappingStore cells(db.pool(), db.clock());
    int n = 0;
    for (const auto& evil : kHostile) {
        CAPTURE(evil);
        const auto i = std::to_string(n++);
        objects::Flavor f;
        f.set_name(evil);
        f.set_flavorid(evil + i);
        f.set_memory_mb(64);
        f.set_vcpus(1);
        (*f.mutable_extra_specs())[evil] = evil;
        flavors.Create(f);
        CHECK(flavors.GetByName(evil).extra_specs().at(evil) == evil);
        CHECK(flavors.GetByFlavorId(evil + i).name() == evil);

        objects::KeyPair kp;
        kp.set_name(evil);
        kp.set_user_id(evil);
        kp.set_public_key(evil);
        kp.set_type("ssh");
        keys.Create(kp);
        CHECK(keys.GetByName(evil, evil).public_key() == evil);

        objects::Aggregate agg;
        agg.set_name(evil);
        agg.set_uuid(GenerateUuid());
        aggregates.Create(agg);
        aggregates.AddHost(agg.id(), evil);
        aggregates.UpdateMetadata(agg.id(), {{evil, evil}});
        auto by_host = aggregates.GetByHost(evil, evil);
        REQUIRE(by_host.size() == 1);
        CHECK(by_host.front().metadata().at(evil) == evil);

        objects::CellMapping cell;
        cell.set_uuid(GenerateUuid());
        cell.set_name(evil);
        cell.set_transport_url("rabbit://u:" + evil + "@h/");
        cell.set_database_connection("mysql+pymysql://u:p@h/" + evil);
        cells.Create(cell);
        CHECK(cells.GetByUuid(cell.uuid()).database_connection() == cell.database_connection());
    }
    // A value the column cannot hold is refused whole (strict mode), not truncated.
    objects::KeyPair bad;
    bad.set_name("k");
    bad.set_user_id("u");
    bad.set_type("'); DROP TABLE key_pairs; --");
    CHECK_THROWS_AS(keys.Create(bad), DBError);
    objects::Flavor too_long;
    too_long.set_name(std::string(300, 'x'));
    too_long.set_flavorid("long");
    too_long.set_memory_mb(1);
    too_long.set_vcpus(1);
    CHECK_THROWS_AS(flavors.Create(too_long), DBError);
    CHECK_THROWS_AS(flavors.GetByFlavorId("long"), FlavorNotFound);
    CHECK(Count(db.pool(), "flavors") == static_cast<std::int64_t>(kHostile.size()));
    CHECK(Count(db.pool(), "key_pairs") == static_cast<std::int64_t>(kHostile.size()));
}
