// GET /servers and /servers/detail over two cells: the per-cell SQL (filters, sort keys,
// limit, marker) and the merge across the cells, against the real binary on throwaway API and
// cell databases of the test MariaDB. The instances are written straight into the cells.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "../../common/db/tests/scratch_database.hpp"
#include "nova/common/uuid.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/db/scheduling_store.hpp"
#include "nova/objects/object.hpp"
#include "process_support.hpp"

using namespace nova::api::testing;
using nova::Json;
using nova::db::testing::ScratchDatabase;
namespace objects = nova::objects;
namespace db = nova::db;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

Headers As(const std::string& token, const std::string& version = "2.1") {
    return {{"X-Auth-Token", token}, {"OpenStack-API-Version", "compute " + version}};
}

class TwoCells {
public:
    TwoCells()
        : api_db_(ScratchDatabase::Schema::kApi),
          cell1_(ScratchDatabase::Schema::kMain),
          cell2_(ScratchDatabase::Schema::kMain),
          api_(std::string("[api_database]\nconnection = ") + api_db_.url() + "\n[database]\nconnection = " +
               cell1_.url() + "\n[api]\nmax_limit = 1000\n") {
        mappings_.push_back(AddCell("cell1", cell1_));
        mappings_.push_back(AddCell("cell2", cell2_));
        REQUIRE_MESSAGE(api_.WaitReady(), api_.Log());
    }

    // An instance in cell `c` (0 or 1), created `at` seconds after the clock's start.
    objects::Instance Add(int c, const std::string& name, int at, const std::string& project = "demo",
                          const std::string& vm_state = "active") {
        clock_.SetNow(nova::WallTime(std::chrono::seconds(1700000000 + at)));
        auto i = NewInstance(name, project, vm_state);
        auto& pool = c == 0 ? cell1_.pool() : cell2_.pool();
        db::InstanceStore(pool, clock_).Create(i);
        Map(i.uuid(), project, &mappings_.at(c));
        return i;
    }
    // A server accepted and not yet in a cell: its BuildRequest and a mapping without a cell.
    std::string AddBuilding(const std::string& name, int at, const std::string& project = "demo") {
        clock_.SetNow(nova::WallTime(std::chrono::seconds(1700000000 + at)));
        auto i = NewInstance(name, project, "building");
        i.set_task_state("scheduling");
        i.mutable_tags();
        objects::BuildRequest br;
        br.set_instance_uuid(i.uuid());
        br.set_project_id(project);
        *br.mutable_instance() = i;
        br.mutable_tags();
        br.mutable_block_device_mappings();
        db::BuildRequestStore(api_db_.pool(), clock_).Create(br);
        Map(i.uuid(), project, nullptr);
        return i.uuid();
    }
    void Destroy(int c, objects::Instance& i) {
        db::InstanceStore(c == 0 ? cell1_.pool() : cell2_.pool(), clock_).Destroy(i);
    }
    db::Pool& cell(int c) { return c == 0 ? cell1_.pool() : cell2_.pool(); }

    Reply Get(const std::string& path, const Headers& headers = As("demo:demo")) {
        return Client(api_.compute_port).Send("GET", "/v2.1" + path, headers, "");
    }
    // The ids of a list answer.
    std::vector<std::string> Ids(const std::string& path, const Headers& headers = As("demo:demo")) {
        auto r = Get(path, headers);
        REQUIRE_MESSAGE(r.status == 200, r.body);
        std::vector<std::string> out;
        const Json body = r.json();
        for (const auto& s : body["servers"]) out.push_back(s["id"].get<std::string>());
        return out;
    }
    // Every page of `path` (which has no '?') with `limit`, following the marker.
    std::vector<std::string> Paged(const std::string& path, const std::string& query, int limit) {
        std::vector<std::string> all;
        std::string marker;
        for (int guard = 0; guard < 100; ++guard) {
            auto page = Ids(path + "?" + query + "&limit=" + std::to_string(limit) +
                            (marker.empty() ? "" : "&marker=" + marker));
            all.insert(all.end(), page.begin(), page.end());
            if (static_cast<int>(page.size()) < limit) break;
            marker = page.back();
        }
        return all;
    }

private:
    static objects::Instance NewInstance(const std::string& name, const std::string& project,
                                         const std::string& vm_state) {
        objects::Instance i;
        i.set_uuid(nova::GenerateUuid());
        i.set_display_name(name);
        i.set_project_id(project);
        i.set_user_id("demo");
        i.set_vm_state(vm_state);
        i.set_locked(false);
        return i;
    }
    // The instance's mapping in the API database: to `cell`, or to none yet (nullptr).
    void Map(const std::string& uuid, const std::string& project, const objects::CellMapping* cell) {
        objects::InstanceMapping m;
        m.set_instance_uuid(uuid);
        m.set_project_id(project);
        m.set_user_id("demo");
        m.set_queued_for_delete(false);
        if (cell) {
            *m.mutable_cell_mapping() = *cell;
        } else {
            objects::SetNull(m, "cell_mapping");
        }
        db::InstanceMappingStore(api_db_.pool(), clock_).Create(m);
    }

    objects::CellMapping AddCell(const std::string& name, ScratchDatabase& database) {
        objects::CellMapping cell;
        cell.set_uuid(nova::GenerateUuid());
        cell.set_name(name);
        cell.set_transport_url("none:///");
        cell.set_database_connection(database.url());
        cell.set_disabled(false);
        db::CellMappingStore(api_db_.pool(), clock_).Create(cell);
        return cell;
    }

    nova::ManualClock clock_;
    ScratchDatabase api_db_;
    ScratchDatabase cell1_;
    ScratchDatabase cell2_;
    NovaApi api_;
    std::vector<objects::CellMapping> mappings_;
};

std::vector<std::string> UuidsOf(const std::vector<objects::Instance>& list) {
    std::vector<std::string> out;
    for (const auto& i : list) out.push_back(i.uuid());
    return out;
}

}  // namespace

TEST_CASE("servers list over two cells: sort keys, limit and marker merged across the cells") {
    TwoCells cloud;
    // Names interleaved across the cells, created one second apart (c-1 oldest).
    std::vector<objects::Instance> made;
    const std::vector<std::string> names = {"c-1", "A-2", "b-3", "a-4", "C-5", "b-6", "d-7"};
    for (std::size_t n = 0; n < names.size(); ++n) made.push_back(cloud.Add(static_cast<int>(n % 2), names[n], static_cast<int>(n)));
    // Another project's server is never listed for demo.
    cloud.Add(0, "other", 50, "other");

    // Default order: created_at desc across both cells.
    std::vector<objects::Instance> newest_first(made.rbegin(), made.rend());
    CHECK(cloud.Ids("/servers") == UuidsOf(newest_first));
    // The same list page by page (limit 2, then 1, 3): every server once, in order.
    for (int limit : {1, 2, 3}) {
        CAPTURE(limit);
        CHECK(cloud.Paged("/servers", "x=1", limit) == UuidsOf(newest_first));
        CHECK(cloud.Paged("/servers/detail", "x=1", limit) == UuidsOf(newest_first));
    }
    // created_at ascending.
    CHECK(cloud.Paged("/servers", "sort_key=created_at&sort_dir=asc", 2) == UuidsOf(made));

    // display_name, then created_at: the cells' rows merged in one order, equal names by date.
    auto by_name = cloud.Ids("/servers?sort_key=display_name&sort_dir=asc&sort_key=created_at&sort_dir=desc");
    REQUIRE(by_name.size() == made.size());
    for (int limit : {1, 2, 4}) {
        CAPTURE(limit);
        CHECK(cloud.Paged("/servers", "sort_key=display_name&sort_dir=asc&sort_key=created_at&sort_dir=desc", limit) ==
              by_name);
    }
    auto name_of = [&](const std::string& id) {
        auto it = std::find_if(made.begin(), made.end(), [&](const auto& i) { return i.uuid() == id; });
        return it->display_name();
    };
    std::vector<std::string> shown_names;
    for (const auto& id : by_name) shown_names.push_back(name_of(id));
    // MySQL compares the names case-insensitively.
    CHECK(shown_names == std::vector<std::string>{"A-2", "a-4", "b-3", "b-6", "c-1", "C-5", "d-7"});

    // The links of a full page carry the last id as the marker.
    auto page = cloud.Get("/servers?limit=3").json();
    REQUIRE(page["servers"].size() == 3);
    CHECK(page["servers_links"][0]["href"].get<std::string>().find("marker=" + page["servers"][2]["id"].get<std::string>()) !=
          std::string::npos);

    // An unknown marker is a 400; the marker of a deleted server still pages (Nova reads the
    // marker with read_deleted=yes).
    auto bad = cloud.Get("/servers?marker=00000000-0000-0000-0000-000000000001");
    CHECK(bad.status == 400);
    CHECK(bad.json()["badRequest"]["message"] == "marker [00000000-0000-0000-0000-000000000001] not found");
    auto gone = made[3];  // a-4, created at +3, in cell 2
    cloud.Destroy(1, gone);
    auto after_gone = cloud.Ids("/servers?marker=" + gone.uuid());
    CHECK(after_gone == std::vector<std::string>{made[2].uuid(), made[1].uuid(), made[0].uuid()});
}

TEST_CASE("servers list over two cells: filters in SQL") {
    TwoCells cloud;
    auto web1 = cloud.Add(0, "Web-1", 1);
    auto web2 = cloud.Add(1, "web-2", 2);
    auto db1 = cloud.Add(1, "db-1", 3, "demo", "stopped");
    auto other = cloud.Add(0, "web-other", 4, "other");

    // name is a case-insensitive regular expression on display_name.
    CHECK(cloud.Ids("/servers?name=%5Eweb") == std::vector<std::string>{web2.uuid(), web1.uuid()});
    CHECK(cloud.Ids("/servers?name=-%5B12%5D%24&sort_key=display_name&sort_dir=asc") ==
          std::vector<std::string>{db1.uuid(), web1.uuid(), web2.uuid()});
    CHECK(cloud.Ids("/servers?name=nothing").empty());
    // status through the state map.
    CHECK(cloud.Ids("/servers?status=SHUTOFF") == std::vector<std::string>{db1.uuid()});
    CHECK(cloud.Ids("/servers?status=ACTIVE&name=web&limit=1") == std::vector<std::string>{web2.uuid()});
    // An admin with all_tenants sees every project; project_id picks one.
    CHECK(cloud.Ids("/servers?all_tenants=1", As("admin:admin")).size() == 4);
    CHECK(cloud.Ids("/servers?all_tenants=1&project_id=other", As("admin:admin")) == std::vector<std::string>{other.uuid()});
    // A non-admin's other filters are ignored, not applied (vm_state is not theirs below 2.83).
    CHECK(cloud.Ids("/servers?vm_state=stopped").size() == 3);
    CHECK(cloud.Ids("/servers?vm_state=stopped&all_tenants=1", As("admin:admin")) == std::vector<std::string>{db1.uuid()});

    // locked (2.73).
    {
        nova::SystemClock clock;
        db::InstanceStore store(cloud.cell(0), clock);
        objects::Instance locked = store.GetByUuid(web1.uuid());
        locked.set_locked(true);
        locked.set_locked_by("owner");
        store.Save(locked);
    }
    CHECK(cloud.Ids("/servers?locked=true", As("demo:demo", "2.73")) == std::vector<std::string>{web1.uuid()});
    CHECK(cloud.Ids("/servers?locked=false", As("demo:demo", "2.73")) == std::vector<std::string>{db1.uuid(), web2.uuid()});

    // changes-since includes deleted servers; without it they are gone; an admin's
    // deleted=true lists only them.
    auto gone = web2;
    cloud.Destroy(1, gone);
    CHECK(cloud.Ids("/servers") == std::vector<std::string>{db1.uuid(), web1.uuid()});
    const Json since = cloud.Get("/servers/detail?changes-since=2000-01-01T00:00:00Z").json()["servers"];
    std::set<std::string> ids;
    for (const auto& s : since) ids.insert(s["id"].get<std::string>());
    // (updated_at >= the time: db-1 was never updated since its creation.)
    CHECK(ids == std::set<std::string>{gone.uuid(), web1.uuid()});
    CHECK(cloud.Ids("/servers?changes-since=2100-01-01T00:00:00Z").empty());
    CHECK(cloud.Ids("/servers?deleted=true&all_tenants=1", As("admin:admin")) == std::vector<std::string>{gone.uuid()});
    CHECK(cloud.Ids("/servers?deleted=true").size() == 2);  // not an option for members: ignored
    // tags (2.26): no server has tags, so tags match nothing and not-tags everything.
    CHECK(cloud.Ids("/servers?tags=a", As("demo:demo", "2.26")).empty());
    CHECK(cloud.Ids("/servers?not-tags=a", As("demo:demo", "2.26")).size() == 2);
}

TEST_CASE("servers list: build requests first (newest first, equal dates by id), then the cells, paged across both") {
    TwoCells cloud;
    auto a = cloud.Add(0, "a", 1);
    auto b = cloud.Add(1, "b", 2);
    // Building servers, two of them created in the same second (the later id first).
    std::vector<std::string> building;
    for (int n = 0; n < 12; ++n) building.push_back(cloud.AddBuilding("web-" + std::to_string(n), 10 + n / 2));
    cloud.AddBuilding("other", 30, "other");
    std::vector<std::string> expected(building.rbegin(), building.rend());
    expected.push_back(b.uuid());
    expected.push_back(a.uuid());

    CHECK(cloud.Ids("/servers") == expected);
    CHECK(cloud.Ids("/servers?limit=1") == std::vector<std::string>{building.back()});
    CHECK(cloud.Ids("/servers?name=web&status=BUILD&limit=1") == std::vector<std::string>{building.back()});
    CHECK(cloud.Ids("/servers?name=web-0&status=BUILD") == std::vector<std::string>{building.front()});
    for (int limit : {1, 5, 12, 13}) {
        CAPTURE(limit);
        CHECK(cloud.Paged("/servers", "x=1", limit) == expected);
        CHECK(cloud.Paged("/servers/detail", "x=1", limit) == expected);
    }
    // Ascending: the build requests still first (as Nova lists them), oldest first, then the cells'.
    std::vector<std::string> oldest_first = building;
    oldest_first.push_back(a.uuid());
    oldest_first.push_back(b.uuid());
    CHECK(cloud.Paged("/servers", "sort_key=created_at&sort_dir=asc", 4) == oldest_first);
    CHECK(cloud.Ids("/servers?status=ACTIVE").size() == 2);
}
