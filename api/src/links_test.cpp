#include "nova/api/links.hpp"

#include <doctest/doctest.h>

using namespace nova::api;

TEST_CASE("links: self, bookmark and the link prefix") {
    LinkBuilder plain("http://127.0.0.1:8774/v2.1", "", std::nullopt, {}, 1000);
    CHECK(plain.Self("servers", "abc") == "http://127.0.0.1:8774/v2.1/servers/abc");
    CHECK(plain.Bookmark("servers", "abc") == "http://127.0.0.1:8774/servers/abc");

    LinkBuilder scoped("http://127.0.0.1:8774/v2.1", "proj", std::nullopt, {}, 1000);
    CHECK(scoped.Self("flavors", "1") == "http://127.0.0.1:8774/v2.1/proj/flavors/1");
    CHECK(scoped.Bookmark("flavors", "1") == "http://127.0.0.1:8774/proj/flavors/1");

    LinkBuilder prefixed("http://10.0.0.5:8774/v2.1", "", std::string("https://cloud.example/compute"), {}, 1000);
    CHECK(prefixed.Self("servers", "a") == "https://cloud.example/compute/v2.1/servers/a");
    CHECK(prefixed.Bookmark("servers", "a") == "https://cloud.example/compute/servers/a");
    CHECK(ApplyLinkPrefix("http://h:1/v2.1", std::string("http://lb")) == "http://lb/v2.1");
    // As in Nova, a prefix ending in "/" doubles the slash.
    CHECK(ApplyLinkPrefix("http://h:1/v2.1", std::string("http://lb/")) == "http://lb//v2.1");
    CHECK(UrlJoin({"http://h/", "v2.1", ""}) == "http://h/v2.1/");
}

TEST_CASE("links: a next link only for a full page, query sorted, marker replaced") {
    LinkBuilder builder("http://h/v2.1", "", std::nullopt,
                        {{"limit", "2"}, {"name", "web server"}, {"marker", "old"}}, 1000);
    CHECK_FALSE(builder.NextLinks("servers", 1, "id1"));
    auto next = builder.NextLinks("servers", 2, "id2");
    REQUIRE(next);
    CHECK((*next)[0]["rel"] == "next");
    CHECK((*next)[0]["href"] == "http://h/v2.1/servers?limit=2&marker=id2&name=web+server");

    LinkBuilder capped("http://h/v2.1", "", std::nullopt, {{"limit", "5000"}}, 3);
    CHECK(capped.NextLinks("flavors", 3, "f3"));
    LinkBuilder unlimited("http://h/v2.1", "", std::nullopt, {}, 3);
    CHECK(unlimited.NextLinks("flavors", 3, "f3"));
    CHECK_FALSE(unlimited.NextLinks("flavors", 2, "f2"));
    LinkBuilder zero("http://h/v2.1", "", std::nullopt, {{"limit", "0"}}, 3);
    CHECK_FALSE(zero.NextLinks("flavors", 0, ""));
}
