// ImageCache: active images are served from the cache for the TTL, per project and admin
// flag; errors and images that are not active are asked for again.
#include "image_cache.hpp"

#include <doctest/doctest.h>

#include <set>

#include "nova/common/error.hpp"

using namespace nova;
using namespace nova::api;

namespace {

class CountingImages final : public image::ImageService {
public:
    image::Image Show(const RequestContext& context, const std::string& image_id) const override {
        ++shows;
        if (missing.contains(image_id)) throw ImageNotFound({{"image_id", image_id}});
        image::Image i;
        i.id = image_id;
        i.status = status;
        i.owner = context.project_id;  // what this caller was shown
        return i;
    }
    std::vector<image::Image> List(const RequestContext&, const image::ImageQuery&) const override { return {}; }

    mutable int shows = 0;
    std::string status = "active";
    std::set<std::string> missing;
};

RequestContext Project(const std::string& project, bool admin = false) {
    RequestContext c;
    c.project_id = project;
    c.is_admin = admin;
    return c;
}

}  // namespace

TEST_CASE("an active image is asked for once per TTL, per project and admin flag") {
    CountingImages glance;
    ManualClock clock;
    ImageCache cache(std::chrono::seconds(2));
    CHECK(cache.Show(glance, clock, Project("p1"), "img").id == "img");
    CHECK(cache.Show(glance, clock, Project("p1"), "img").owner == "p1");
    CHECK(glance.shows == 1);
    // Another project, or an admin of the same one, may be shown something else.
    CHECK(cache.Show(glance, clock, Project("p2"), "img").owner == "p2");
    cache.Show(glance, clock, Project("p1", true), "img");
    CHECK(glance.shows == 3);
    // Within the TTL nothing is asked again; after it, once.
    clock.Advance(std::chrono::milliseconds(1900));
    cache.Show(glance, clock, Project("p1"), "img");
    CHECK(glance.shows == 3);
    clock.Advance(std::chrono::milliseconds(200));
    cache.Show(glance, clock, Project("p1"), "img");
    cache.Show(glance, clock, Project("p1"), "img");
    CHECK(glance.shows == 4);
}

TEST_CASE("errors and images that are not active are never kept") {
    CountingImages glance;
    ManualClock clock;
    ImageCache cache;
    glance.missing.insert("gone");
    CHECK_THROWS_AS(cache.Show(glance, clock, Project("p"), "gone"), ImageNotFound);
    CHECK_THROWS_AS(cache.Show(glance, clock, Project("p"), "gone"), ImageNotFound);
    CHECK(glance.shows == 2);
    glance.status = "queued";
    CHECK(cache.Show(glance, clock, Project("p"), "new").status == "queued");
    glance.status = "active";
    CHECK(cache.Show(glance, clock, Project("p"), "new").status == "active");  // asked again
    CHECK(glance.shows == 4);
}
