// The pure parts of the resource handlers: flavor views per microversion, the strutils
// helpers the query filters use.
#include <doctest/doctest.h>

#include "common.hpp"
#include "flavor_view.hpp"
#include "nova/api/policy.hpp"
#include "nova/objects/object.hpp"

using namespace nova;
using namespace nova::api;
using namespace nova::api::handlers;

namespace {

struct RequestAt {
    explicit RequestAt(ApiVersion v)
        : links("http://h:8774/v2.1", "", std::nullopt, {}, 1000),
          policy(ZedDefaultRules()),
          req{http, context, v, false, {}, {}, nullptr, links, policy} {}
    HttpRequest http;
    RequestContext context;
    LinkBuilder links;
    RulePolicy policy;
    ApiRequest req;
};

objects::Flavor Tiny() {
    objects::Flavor f;
    f.set_id(1);
    f.set_flavorid("1");
    f.set_name("m1.tiny");
    f.set_memory_mb(512);
    f.set_vcpus(1);
    f.set_root_gb(1);
    f.set_ephemeral_gb(0);
    f.set_swap(0);
    f.set_rxtx_factor(1.0);
    f.set_disabled(false);
    f.set_is_public(true);
    objects::SetNull(f, "description");
    (*f.mutable_extra_specs())["hw:cpu_policy"] = "dedicated";
    return f;
}

}  // namespace

TEST_CASE("flavor detail view: Nova's fields at 2.1, description at 2.55, swap 0 at 2.75") {
    RequestAt r21({2, 1});
    auto v = FlavorDetailView(r21.req, Tiny(), false, false);
    CHECK(v == Json::parse(R"({"id": "1", "name": "m1.tiny", "ram": 512, "disk": 1, "swap": "",
        "OS-FLV-EXT-DATA:ephemeral": 0, "OS-FLV-DISABLED:disabled": false, "vcpus": 1,
        "os-flavor-access:is_public": true, "rxtx_factor": 1.0,
        "links": [{"rel": "self", "href": "http://h:8774/v2.1/flavors/1"},
                  {"rel": "bookmark", "href": "http://h:8774/flavors/1"}]})"));

    RequestAt r275({2, 75});
    auto v275 = FlavorDetailView(r275.req, Tiny(), true, true);
    CHECK(v275["swap"] == 0);
    CHECK(v275["description"].is_null());
    CHECK(v275["extra_specs"] == Json({{"hw:cpu_policy", "dedicated"}}));

    auto no_rxtx = Tiny();
    no_rxtx.clear_rxtx_factor();
    CHECK(FlavorDetailView(r21.req, no_rxtx, false, false)["rxtx_factor"] == "");
    auto swapped = Tiny();
    swapped.set_swap(256);
    CHECK(FlavorDetailView(r21.req, swapped, false, false)["swap"] == 256);
}

TEST_CASE("flavor basic view: id, name, links, and description from 2.55") {
    RequestAt r254({2, 54});
    CHECK_FALSE(FlavorBasicView(r254.req, Tiny()).contains("description"));
    RequestAt r255({2, 55});
    auto f = Tiny();
    f.set_description("small");
    CHECK(FlavorBasicView(r255.req, f)["description"] == "small");
    CHECK(FlavorBasicView(r255.req, f).size() == 4);
}

TEST_CASE("oslo's bool_from_string and Nova's is_none_string") {
    CHECK(BoolFromString("True", true) == true);
    CHECK(BoolFromString(" yes ", true) == true);
    CHECK(BoolFromString("0", true) == false);
    CHECK(BoolFromString("off", true) == false);
    CHECK_FALSE(BoolFromString("maybe", true).has_value());
    CHECK(BoolFromString("maybe", false) == false);
    CHECK(IsNoneString("None"));
    CHECK(IsNoneString("none"));
    CHECK_FALSE(IsNoneString(" none"));
    CHECK_FALSE(IsNoneString("null"));
}
