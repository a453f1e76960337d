// The build requests of a server list (ListBuildRequests): read in SQL order chunk by chunk
// when the sort keys allow it, loaded whole otherwise. Both paths run on the same rows of a
// throwaway API database and must give the same page; the default order is also checked
// against one computed here from the rows' created_at and ids, and a short page must read
// a few rows, not all of them.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "../../common/db/tests/scratch_database.hpp"
#include "nova/common/uuid.hpp"
#include "nova/db/scheduling_store.hpp"
#include "nova/objects/object.hpp"
#include "server_list.hpp"

using nova::db::testing::ScratchDatabase;
namespace objects = nova::objects;
namespace db = nova::db;
namespace api = nova::api;

namespace {

struct Made {
    std::string uuid;
    std::string project;
    std::int64_t id = 0;
    std::optional<long> at;  // created_at, seconds after the start; nullopt: NULL
    std::string name;
};

class BuildRequests {
public:
    BuildRequests() : db_(ScratchDatabase::Schema::kApi) {}

    // A build request of `project` created `at` seconds after the start.
    Made Add(const std::string& project, long at, const std::string& name, const std::string& vm_state = "building",
             const std::vector<std::string>& tags = {}) {
        clock_.SetNow(nova::WallTime(std::chrono::seconds(1700000000 + at)));
        objects::Instance inst;
        inst.set_uuid(nova::GenerateUuid());
        inst.set_project_id(project);
        inst.set_user_id("demo");
        inst.set_display_name(name);
        inst.set_vm_state(vm_state);
        inst.set_task_state("scheduling");
        inst.set_locked(false);
        objects::SetNull(inst, "host");
        for (const auto& t : tags) {
            auto* tag = inst.mutable_tags()->add_objects();
            tag->set_resource_id(inst.uuid());
            tag->set_tag(t);
        }
        inst.mutable_tags();
        objects::BuildRequest br;
        br.set_instance_uuid(inst.uuid());
        br.set_project_id(project);
        *br.mutable_instance() = inst;
        *br.mutable_tags() = inst.tags();
        br.mutable_block_device_mappings();
        db::BuildRequestStore(db_.pool(), clock_).Create(br);
        made_.push_back({inst.uuid(), project, br.id(), at, name});
        return made_.back();
    }
    // Its created_at becomes NULL (rows written by an older API, or by hand).
    void NullCreatedAt(Made& m) {
        db_.pool().Execute("UPDATE `build_requests` SET `created_at` = NULL WHERE `id` = ?", {m.id});
        m.at.reset();
        for (auto& x : made_) {
            if (x.id == m.id) x.at.reset();
        }
    }

    api::BuildRequestPage List(const api::ServerListQuery& q, api::BuildRequestScan scan) {
        return api::ListBuildRequests(db_.pool(), clock_, q, scan);
    }
    db::Pool& pool() { return db_.pool(); }
    const std::vector<Made>& made() const { return made_; }

private:
    nova::ManualClock clock_;
    ScratchDatabase db_;
    std::vector<Made> made_;
};

std::vector<std::string> Uuids(const api::BuildRequestPage& page) {
    std::vector<std::string> out;
    for (const auto& s : page.servers) out.push_back(s.instance.uuid());
    return out;
}

api::ServerListQuery Query(std::size_t limit, const std::vector<std::string>& keys = {},
                           const std::vector<std::string>& dirs = {}) {
    api::ServerListQuery q;
    q.project_id = "demo";
    q.keys = nova::api::handlers::SortKeys(keys, dirs);
    q.limit = limit;
    return q;
}

// Both paths give the same page (and the same marker answer); returns the SQL path's page.
api::BuildRequestPage Same(BuildRequests& brs, const api::ServerListQuery& q) {
    auto sql = brs.List(q, api::BuildRequestScan::kBest);
    auto all = brs.List(q, api::BuildRequestScan::kLoadAll);
    CHECK(Uuids(sql) == Uuids(all));
    CHECK(sql.marker_found == all.marker_found);
    return sql;
}

// The uuids of `made` (one project) in Nova's default order: created_at desc (NULL last),
// then id desc.
std::vector<std::string> DefaultOrder(std::vector<Made> made) {
    std::sort(made.begin(), made.end(), [](const Made& a, const Made& b) {
        if (a.at != b.at) {
            if (!a.at || !b.at) return a.at.has_value();
            return *a.at > *b.at;
        }
        return a.id > b.id;
    });
    std::vector<std::string> out;
    for (const auto& m : made) out.push_back(m.uuid);
    return out;
}

}  // namespace

TEST_CASE("server list: build requests read in SQL order chunk by chunk give the page of the load-all path") {
    BuildRequests brs;
    // 150 of demo, three per second (equal created_at: the ids decide), the first 10 named
    // old-*, every fifth active (not BUILD), every fourth tagged; 20 of another project
    // interleaved in time.
    std::vector<Made> demo;
    for (int i = 0; i < 150; ++i) {
        demo.push_back(brs.Add("demo", i / 3, (i < 10 ? "old-" : "new-") + std::to_string(i),
                               i % 5 == 0 ? "active" : "building",
                               i % 4 == 0 ? std::vector<std::string>{"four"} : std::vector<std::string>{}));
        if (i % 8 == 0) brs.Add("other", i / 3, "new-other-" + std::to_string(i));
    }
    // Two without created_at (NULL: last in descending order, first ascending).
    brs.NullCreatedAt(demo[20]);
    brs.NullCreatedAt(demo[121]);
    const auto expected = DefaultOrder(demo);

    // The newest one: one chunk of a few rows, one statement.
    {
        auto q = Query(1);
        const auto before = brs.pool().Stats().statements;
        auto page = brs.List(q, api::BuildRequestScan::kBest);
        CHECK(brs.pool().Stats().statements - before == 1);
        CHECK(page.rows_read <= 4);
        CHECK(Uuids(page) == std::vector<std::string>{expected.front()});
        CHECK(brs.List(q, api::BuildRequestScan::kLoadAll).rows_read == 150);
        Same(brs, q);
    }
    // The whole list, and the default-order page of every limit used below.
    CHECK(Uuids(Same(brs, Query(1000))) == expected);
    for (std::size_t limit : {2, 5, 63, 149, 150, 151}) {
        CAPTURE(limit);
        auto page = Same(brs, Query(limit));
        CHECK(Uuids(page) == std::vector<std::string>(expected.begin(), expected.begin() + std::min<std::size_t>(limit, 150)));
    }

    // status=BUILD (vm_state building), limit 5.
    {
        auto q = Query(5);
        q.filters.exact["vm_state"] = {"building"};
        auto page = Same(brs, q);
        CHECK(page.servers.size() == 5);
        for (const auto& s : page.servers) CHECK(s.instance.vm_state() == "building");
    }
    // A name that only the oldest match: several chunks, read to the end.
    {
        auto q = Query(3);
        q.filters.regex["display_name"] = "^old-";
        auto page = Same(brs, q);
        CHECK(page.servers.size() == 3);
        CHECK(page.rows_read > 100);
        for (const auto& s : page.servers) CHECK(s.instance.display_name().rfind("old-", 0) == 0);
        q.limit = 100;
        CHECK(Same(brs, q).servers.size() == 10);
    }
    // Tags and a filter that matches nothing.
    {
        auto q = Query(7);
        q.filters.tags = {"four"};
        CHECK(Same(brs, q).servers.size() == 7);
        q.filters.match_nothing = true;
        CHECK(Same(brs, q).servers.empty());
    }

    // Markers: after one inside the list (ties at its created_at, and the NULL ones).
    for (std::size_t at : {0, 36, 37, 38, 120, 146, 147, 148, 149}) {
        CAPTURE(at);
        auto q = Query(10);
        q.marker = expected[at];
        auto page = Same(brs, q);
        CHECK(page.marker_found);
        const auto end = std::min<std::size_t>(at + 11, expected.size());
        CHECK(Uuids(page) == std::vector<std::string>(expected.begin() + static_cast<long>(at) + 1,
                                                      expected.begin() + static_cast<long>(end)));
    }
    // Every page of 7 following the markers: each build request once, in order.
    {
        std::vector<std::string> all;
        auto q = Query(7);
        for (int guard = 0; guard < 100; ++guard) {
            auto page = Same(brs, q);
            auto ids = Uuids(page);
            all.insert(all.end(), ids.begin(), ids.end());
            if (ids.size() < 7) break;
            q.marker = ids.back();
        }
        CHECK(all == expected);
    }
    // A marker the list does not show (another project's, one the filter leaves out, or
    // unknown): no build requests, and not found among them.
    {
        auto q = Query(10);
        for (const auto& m : brs.made()) {
            if (m.project == "other") q.marker = m.uuid;
        }
        auto page = Same(brs, q);
        CHECK_FALSE(page.marker_found);
        CHECK(page.servers.empty());
        q.marker = demo[5].uuid;  // active
        q.filters.exact["vm_state"] = {"building"};
        CHECK_FALSE(Same(brs, q).marker_found);
        q.marker = "00000000-0000-0000-0000-000000000001";
        CHECK_FALSE(Same(brs, q).marker_found);
        // An admin's list of every project has the other project's marker.
        auto admin = Query(10);
        admin.project_id.reset();
        for (const auto& m : brs.made()) {
            if (m.project == "other") admin.marker = m.uuid;
        }
        CHECK(Same(brs, admin).marker_found);
    }

    // Other orders SQL can give: ascending, mixed directions, id first, every project.
    for (const auto& [keys, dirs] : std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>>{
             {{"created_at"}, {"asc"}},
             {{"created_at", "id"}, {"asc", "desc"}},
             {{"created_at", "id"}, {"desc", "asc"}},
             {{"id"}, {"asc"}},
             {{"id", "created_at"}, {"desc", "asc"}}}) {
        CAPTURE(keys.front());
        CAPTURE(dirs.front());
        auto q = Query(1000, keys, dirs);
        auto whole = Same(brs, q);
        CHECK(whole.servers.size() == 150);
        for (std::size_t limit : {1, 9}) {
            q.limit = limit;
            Same(brs, q);
            q.marker = expected[40];
            Same(brs, q);
            q.marker.reset();
        }
        q.project_id.reset();
        q.limit = 1000;
        CHECK(Same(brs, q).servers.size() == brs.made().size());
        q.limit = 3;
        Same(brs, q);
    }
    {
        auto q = Query(1000, {"created_at"}, {"asc"});
        auto page = Same(brs, q);
        // NULLs first ascending.
        CHECK(page.servers.front().instance.uuid() == demo[20].uuid);
        CHECK(page.servers[1].instance.uuid() == demo[121].uuid);
    }

    // A key inside the instance's JSON falls back to loading them all, with the same page.
    for (const auto& key : {"display_name", "host", "uuid"}) {
        CAPTURE(key);
        auto q = Query(5, {key}, {"asc"});
        auto page = Same(brs, q);
        CHECK(page.rows_read == 150);
        q.marker = expected[3];
        Same(brs, q);
    }
}
