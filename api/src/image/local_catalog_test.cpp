#include "nova/api/image/local_catalog.hpp"

#include <doctest/doctest.h>

#include "nova/common/error.hpp"

using namespace nova::api::image;

namespace {
const char* kCatalog = R"({"images": [
  {"id": "70a599e0-31e7-49b7-b260-868f441e862b", "name": "cirros", "min_ram": 64, "min_disk": 1,
   "disk_format": "qcow2", "container_format": "bare", "created_at": "2026-01-01T00:00:00Z",
   "hw_disk_bus": "virtio"},
  {"id": "11111111-2222-4333-8444-555555555555", "name": "private", "visibility": "private",
   "owner": "p1", "created_at": "2026-02-01T00:00:00Z"},
  {"id": "22222222-2222-4333-8444-555555555555", "name": "old", "status": "deactivated",
   "created_at": "2025-01-01T00:00:00Z"}
]})";

nova::RequestContext Context(const char* project, bool admin = false) {
    nova::RequestContext c;
    c.user_id = "u";
    c.project_id = project;
    c.is_admin = admin;
    return c;
}
}  // namespace

TEST_CASE("image catalog: records, defaults and custom properties") {
    LocalImageCatalog catalog(LocalImageCatalog::ParseCatalog(kCatalog, "test"));
    Image cirros = catalog.Show(Context("p2"), "70a599e0-31e7-49b7-b260-868f441e862b");
    CHECK(*cirros.name == "cirros");
    CHECK(cirros.status == "active");
    CHECK(cirros.visibility == "public");
    CHECK(cirros.min_ram == 64);
    CHECK(cirros.min_disk == 1);
    CHECK(cirros.properties["hw_disk_bus"] == "virtio");
    nova::Json doc = cirros.ToGlance();
    CHECK(doc["hw_disk_bus"] == "virtio");
    CHECK(doc["self"] == "/v2/images/70a599e0-31e7-49b7-b260-868f441e862b");
    CHECK(doc["size"].is_null());
}

TEST_CASE("image catalog: visibility, filters, marker, order") {
    LocalImageCatalog catalog(LocalImageCatalog::ParseCatalog(kCatalog, "test"));
    CHECK_THROWS_AS(catalog.Show(Context("p2"), "11111111-2222-4333-8444-555555555555"), nova::ImageNotFound);
    CHECK(catalog.Show(Context("p1"), "11111111-2222-4333-8444-555555555555").name == "private");
    CHECK(catalog.Show(Context("x", true), "11111111-2222-4333-8444-555555555555").name == "private");
    CHECK_THROWS_AS(catalog.Show(Context("p1"), "cirros"), nova::ImageNotFound);

    auto all = catalog.List(Context("p1"), {});
    REQUIRE(all.size() == 3);
    CHECK(*all[0].name == "private");  // newest first
    CHECK(*all[2].name == "old");
    CHECK(catalog.List(Context("p2"), {}).size() == 2);
    CHECK(catalog.List(Context("p2"), {.name = "cirros"}).size() == 1);
    CHECK(catalog.List(Context("p2"), {.status = "active"}).size() == 1);
    auto page = catalog.List(Context("p1"), {.marker = all[0].id, .limit = 1});
    REQUIRE(page.size() == 1);
    CHECK(page[0].id == all[1].id);
    CHECK_THROWS_AS(catalog.List(Context("p1"), {.marker = "nope"}), nova::MarkerNotFound);
}

TEST_CASE("image catalog: bad files are configuration errors naming the record") {
    CHECK_THROWS_AS(LocalImageCatalog::ParseCatalog("{", "f"), nova::InvalidConfiguration);
    CHECK_THROWS_AS(LocalImageCatalog::ParseCatalog("[]", "f"), nova::InvalidConfiguration);
    try {
        LocalImageCatalog::ParseCatalog(R"({"images": [{"id": "x"}]})", "f.json");
        FAIL("accepted");
    } catch (const nova::InvalidConfiguration& e) {
        CHECK(e.message() == "image catalog f.json: image #0: id must be a UUID");
    }
    CHECK_THROWS_AS(LocalImageCatalog::ParseCatalog(
                        R"({"images": [{"id": "70a599e0-31e7-49b7-b260-868f441e862b", "min_ram": -1}]})", "f"),
                    nova::InvalidConfiguration);
    CHECK_THROWS_AS(LocalImageCatalog("/nonexistent/catalog.json"), nova::InvalidConfiguration);
}
