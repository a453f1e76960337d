// The pure parts of the servers API: the server view per microversion, GET /servers'
// filters and sort, Nova's quota arithmetic at create, hostnames and host ids.
#include <doctest/doctest.h>

#include "../compute_api.hpp"
#include "common.hpp"
#include "nova/api/policy.hpp"
#include "nova/common/error.hpp"
#include "nova/common/time.hpp"
#include "nova/objects/object.hpp"
#include "server_tags.hpp"
#include "server_view.hpp"

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

objects::Instance Active() {
    objects::Instance i;
    i.set_id(26);
    i.set_uuid("0d3b8f5a-1c7e-4b8e-9d55-3c8c2a6f7e11");
    i.set_display_name("web-1");
    i.set_project_id("demo");
    i.set_user_id("alice");
    i.set_host("fake-0");
    i.set_node("fake-0");
    i.set_vm_state("active");
    objects::SetNull(i, "task_state");
    i.set_power_state(1);
    i.set_image_ref("70a599e0-31e7-49b7-b260-868f441e862b");
    i.set_key_name("k");
    i.set_config_drive("");
    i.set_availability_zone("nova");
    i.set_reservation_id("r-abcdefgh");
    i.set_launch_index(0);
    i.set_hostname("web-1");
    i.set_progress(0);
    i.set_locked(false);
    objects::SetNull(i, "locked_by");
    i.set_display_description("front end");
    auto* f = i.mutable_flavor();
    f->set_flavorid("small");
    f->set_name("m1.small");
    f->set_vcpus(1);
    f->set_memory_mb(512);
    f->set_root_gb(1);
    f->set_ephemeral_gb(0);
    f->set_swap(0);
    (*f->mutable_extra_specs())["hw:cpu_policy"] = "shared";
    objects::FieldFromPrimitive(i, "created_at", "2026-11-30T01:00:00Z");
    objects::FieldFromPrimitive(i, "updated_at", "2026-11-30T01:00:05Z");
    objects::FieldFromPrimitive(i, "launched_at", "2026-11-30T01:00:04Z");
    (*i.mutable_metadata())["role"] = "web";
    return i;
}

}  // namespace

TEST_CASE("server detail view at 2.1: Nova's base fields, flavor and image links, no later fields") {
    RequestAt r({2, 1});
    auto v = ServerDetailView(r.req, Active(), {})["server"];
    CHECK(v["id"] == "0d3b8f5a-1c7e-4b8e-9d55-3c8c2a6f7e11");
    CHECK(v["status"] == "ACTIVE");
    CHECK(v["tenant_id"] == "demo");
    CHECK(v["hostId"] == GenerateHostId("fake-0", "demo"));
    CHECK(v["flavor"] == Json{{"id", "small"}, {"links", {{{"rel", "bookmark"}, {"href", "http://h:8774/flavors/small"}}}}});
    CHECK(v["image"]["id"] == "70a599e0-31e7-49b7-b260-868f441e862b");
    CHECK(v["created"] == "2026-11-30T01:00:00Z");
    CHECK(v["updated"] == "2026-11-30T01:00:05Z");
    CHECK(v["OS-SRV-USG:launched_at"] == "2026-11-30T01:00:04.000000");
    CHECK(v["OS-SRV-USG:terminated_at"].is_null());
    CHECK(v["progress"] == 0);
    CHECK(v["OS-EXT-STS:power_state"] == 1);
    CHECK(v["OS-EXT-STS:task_state"].is_null());
    CHECK(v["accessIPv4"] == "");
    CHECK(v["metadata"] == Json{{"role", "web"}});
    CHECK(v["addresses"] == Json::object());
    CHECK_FALSE(v.contains("OS-EXT-SRV-ATTR:host"));
    for (const char* later : {"locked", "description", "tags", "host_status", "locked_reason", "trusted_image_certificates"}) {
        CHECK_MESSAGE(!v.contains(later), later);
    }
}

TEST_CASE("server detail view: extended attributes, 2.3, 2.9, 2.16, 2.19, 2.26, 2.47, 2.73, 2.90") {
    auto inst = Active();
    inst.set_locked(true);
    inst.set_locked_by("admin");
    (*inst.mutable_system_metadata())["locked_reason"] = "maint";
    ServerViewExtras extras;
    extras.extended_attrs = true;
    extras.host_status = "UP";
    extras.tags = {"a", "b"};

    RequestAt r22({2, 2});
    auto v22 = ServerDetailView(r22.req, inst, extras)["server"];
    CHECK(v22["OS-EXT-SRV-ATTR:host"] == "fake-0");
    CHECK(v22["OS-EXT-SRV-ATTR:instance_name"] == "instance-0000001a");
    CHECK(v22["OS-EXT-SRV-ATTR:hypervisor_hostname"] == "fake-0");
    CHECK_FALSE(v22.contains("OS-EXT-SRV-ATTR:reservation_id"));

    RequestAt r({2, 90});
    auto v = ServerDetailView(r.req, inst, extras)["server"];
    CHECK(v["OS-EXT-SRV-ATTR:reservation_id"] == "r-abcdefgh");
    CHECK(v["OS-EXT-SRV-ATTR:launch_index"] == 0);
    CHECK(v["OS-EXT-SRV-ATTR:hostname"] == "web-1");
    CHECK(v["locked"] == true);
    CHECK(v["locked_reason"] == "maint");
    CHECK(v["host_status"] == "UP");
    CHECK(v["description"] == "front end");
    CHECK(v["tags"] == Json::array({"a", "b"}));
    CHECK(v["trusted_image_certificates"].is_null());
    CHECK(v["flavor"] == Json{{"vcpus", 1}, {"ram", 512}, {"disk", 1}, {"ephemeral", 0}, {"swap", 0}, {"original_name", "m1.small"}});
    extras.flavor_extra_specs = true;
    CHECK(ServerDetailView(r.req, inst, extras)["server"]["flavor"]["extra_specs"] == Json{{"hw:cpu_policy", "shared"}});
    // 2.90: a caller without the extended attributes still sees the hostname.
    extras.extended_attrs = false;
    auto plain = ServerDetailView(r.req, inst, extras)["server"];
    CHECK_FALSE(plain.contains("OS-EXT-SRV-ATTR:host"));
    CHECK(plain["OS-EXT-SRV-ATTR:hostname"] == "web-1");
}

TEST_CASE("server detail view: volume-backed image, fault only for ERROR, details for admins or non-500") {
    auto inst = Active();
    inst.set_image_ref("");
    inst.set_vm_state("error");
    auto* fault = inst.mutable_fault();
    fault->set_code(500);
    fault->set_message("NoValidHost");
    fault->set_details("trace");
    objects::FieldFromPrimitive(*fault, "created_at", "2026-11-30T01:00:06Z");
    RequestAt r({2, 1});
    auto v = ServerDetailView(r.req, inst, {})["server"];
    CHECK(v["image"] == "");
    CHECK(v["status"] == "ERROR");
    CHECK(v["fault"] == Json{{"code", 500}, {"created", "2026-11-30T01:00:06Z"}, {"message", "NoValidHost"}});
    CHECK_FALSE(v.contains("progress"));
    ServerViewExtras admin;
    admin.is_admin = true;
    CHECK(ServerDetailView(r.req, inst, admin)["server"]["fault"]["details"] == "trace");
    inst.set_vm_state("active");
    CHECK_FALSE(ServerDetailView(r.req, inst, admin)["server"].contains("fault"));
}

TEST_CASE("basic view and host id") {
    RequestAt r({2, 1});
    auto b = ServerBasicView(r.req, Active());
    CHECK(b.size() == 3);
    CHECK(b["links"][0]["href"] == "http://h:8774/v2.1/servers/0d3b8f5a-1c7e-4b8e-9d55-3c8c2a6f7e11");
    CHECK(GenerateHostId("fake-0", "demo") == "f101502a206d61b1cd13933bcde9ef8158a9c22e33a052f230f2cfba");
    CHECK(GenerateHostId("", "demo") == "");
}

TEST_CASE("filters: exact columns, REGEXP columns (case-insensitive search), times, tags, locked") {
    auto inst = Active();
    ServerFilters f;
    CHECK(MatchesFilters(inst, {}, f));
    f.regex["display_name"] = "^WEB";
    CHECK(MatchesFilters(inst, {}, f));
    f.regex["display_name"] = "-2$";
    CHECK_FALSE(MatchesFilters(inst, {}, f));
    f.regex.clear();
    f.exact["vm_state"] = {"stopped", "active"};
    CHECK(MatchesFilters(inst, {}, f));
    f.exact["task_state"] = {"None"};
    CHECK(MatchesFilters(inst, {}, f));
    f.exact["task_state"] = {"powering-off"};
    CHECK_FALSE(MatchesFilters(inst, {}, f));
    f.exact.clear();
    f.changes_since = timeutil::Parse("2026-11-30T01:00:05Z");
    CHECK(MatchesFilters(inst, {}, f));
    f.changes_since = timeutil::Parse("2026-11-30T01:00:06Z");
    CHECK_FALSE(MatchesFilters(inst, {}, f));
    f.changes_since.reset();
    f.tags = {"a", "b"};
    CHECK(MatchesFilters(inst, {"a", "b", "c"}, f));
    CHECK_FALSE(MatchesFilters(inst, {"a"}, f));
    f.tags.clear();
    f.not_tags_any = {"x", "c"};
    CHECK_FALSE(MatchesFilters(inst, {"c"}, f));
    CHECK(MatchesFilters(inst, {"a"}, f));
    f.not_tags_any.clear();
    f.locked = true;
    CHECK_FALSE(MatchesFilters(inst, {}, f));
    f.locked.reset();
    f.match_nothing = true;
    CHECK_FALSE(MatchesFilters(inst, {}, f));
}

TEST_CASE("sort keys: Nova's process_sort_params and the ordering with NULLs first ascending") {
    auto keys = SortKeys({"display_name"}, {"asc"});
    REQUIRE(keys.size() == 3);
    CHECK(keys[0].key == "display_name");
    CHECK_FALSE(keys[0].descending);
    CHECK(keys[1].key == "created_at");
    CHECK_FALSE(keys[1].descending);  // defaults take the first direction
    CHECK(SortKeys({}, {}).front().descending);
    CHECK_THROWS_AS(SortKeys({"display_name"}, {"up"}), InvalidInput);
    CHECK_THROWS_AS(SortKeys({}, {"asc"}), InvalidInput);

    auto a = Active();
    auto b = Active();
    b.set_uuid("1");
    b.set_display_name("alpha");
    auto c = Active();
    c.set_uuid("2");
    objects::SetNull(c, "display_name");
    std::vector<const objects::Instance*> list = {&a, &b, &c};
    SortInstances(list, SortKeys({"display_name"}, {"asc"}));
    CHECK(list[0] == &c);
    CHECK(list[1] == &b);
    CHECK(list[2] == &a);
    SortInstances(list, SortKeys({}, {}));  // created_at desc, then id desc
    CHECK(list.size() == 3);
}

TEST_CASE("quota at create: Nova's check_num_instances_quota arithmetic and message") {
    std::map<std::string, std::int64_t> limits = {{"instances", 10}, {"cores", 20}, {"ram", 51200}};
    std::map<std::string, std::int64_t> used = {{"instances", 0}, {"cores", 0}, {"ram", 0}};
    CHECK(InstancesWithinQuota(limits, used, 1, 512, 1, 1) == 1);
    // max_count above the headroom but min_count within: as many as fit.
    used = {{"instances", 8}, {"cores", 8}, {"ram", 4096}};
    CHECK(InstancesWithinQuota(limits, used, 1, 512, 1, 5) == 2);
    try {
        InstancesWithinQuota(limits, used, 1, 512, 3, 5);
        FAIL("no TooManyInstances");
    } catch (const TooManyInstances& e) {
        CHECK(std::string(e.message()) == "Quota exceeded for instances: Requested 3-5, but already used 8 of 10 instances");
        CHECK(e.code() == 413);  // OverQuota; the create handler answers 403 with its text
    }
    used = {{"instances", 1}, {"cores", 19}, {"ram", 0}};
    try {
        InstancesWithinQuota(limits, used, 2, 512, 1, 1);
        FAIL("no TooManyInstances");
    } catch (const TooManyInstances& e) {
        CHECK(std::string(e.message()) == "Quota exceeded for cores: Requested 2, but already used 19 of 20 cores");
    }
    used = {{"instances", 1}, {"cores", 1}, {"ram", 51000}};
    try {
        InstancesWithinQuota(limits, used, 1, 512, 1, 1);
        FAIL("no TooManyInstances");
    } catch (const TooManyInstances& e) {
        CHECK(std::string(e.message()) == "Quota exceeded for ram: Requested 512, but already used 51000 of 51200 ram");
    }
    // Unlimited (-1) never limits.
    limits = {{"instances", -1}, {"cores", -1}, {"ram", -1}};
    CHECK(InstancesWithinQuota(limits, used, 64, 1 << 20, 100, 100) == 100);
}

TEST_CASE("hostnames, passwords, reservation ids") {
    CHECK(SanitizeHostname("My Web_Server.example") == "my-web-server-example");
    CHECK(SanitizeHostname("--a!b@c--") == "abc");
    CHECK(SanitizeHostname("...") == "");
    CHECK(SanitizeHostname(std::string(100, 'a')).size() == 63);
    auto p = GeneratePassword();
    CHECK(p.size() == 12);
    CHECK(p.find_first_of("01IOl") == std::string::npos);
    CHECK(GeneratePassword() != p);
    auto r = NewReservationId();
    CHECK(r.size() == 10);
    CHECK(r.rfind("r-", 0) == 0);
}

TEST_CASE("server tags: shown from 2.26 (an empty list without tags), and the tags schemas") {
    auto inst = Active();
    ServerViewExtras extras;
    RequestAt r225({2, 25});
    CHECK_FALSE(ServerDetailView(r225.req, inst, extras)["server"].contains("tags"));
    RequestAt r226({2, 26});
    CHECK(ServerDetailView(r226.req, inst, extras)["server"]["tags"] == Json::array());
    extras.tags = {"db", "prod"};
    CHECK(ServerDetailView(r226.req, inst, extras)["server"]["tags"] == Json::array({"db", "prod"}));

    // PUT /servers/{id}/tags: {"tags": [...]}, at most 50, each 1..60 without '/' or ','.
    validation::Schema update_all(ServerTagsUpdateAllSchema());
    auto error_of = [&](validation::OrderedJson body) -> std::string {
        auto e = update_all.FirstError(body);
        return e ? validation::BodyErrorDetail(*e) : "";
    };
    validation::OrderedJson fifty = validation::OrderedJson::array();
    for (int i = 0; i < 50; ++i) fifty.push_back("t" + std::to_string(i));
    CHECK(error_of({{"tags", fifty}}).empty());
    CHECK(error_of({{"tags", validation::OrderedJson::array()}}).empty());
    auto fifty_one = fifty;
    fifty_one.push_back("t50");
    CHECK(error_of({{"tags", fifty_one}}).find("is too long") != std::string::npos);
    CHECK(error_of({{"tags", {"a,b"}}}).find("does not match '^[^,/]*$'") != std::string::npos);
    CHECK(error_of({{"tags", {""}}}).find("is too short") != std::string::npos);
    CHECK(error_of({{"tags", {std::string(61, 'x')}}}).find("is too long") != std::string::npos);
    CHECK(error_of({{"tags", {std::string(60, 'x')}}}).empty());
    CHECK(error_of({{"tags", {1}}}).find("is not of type 'string'") != std::string::npos);
    CHECK(error_of(validation::OrderedJson::object()).find("'tags' is a required property") != std::string::npos);
    CHECK(error_of({{"tags", {"a"}}, {"x", 1}}).find("Additional properties are not allowed") != std::string::npos);

    // PUT /servers/{id}/tags/{tag}: Nova's own text around jsonschema's message.
    CHECK_FALSE(InvalidTagMessage("prod").has_value());
    CHECK(InvalidTagMessage("a,b") ==
          "Tag 'a,b' is invalid. It must be a non empty string without characters '/' and ','. Validation error "
          "message: 'a,b' does not match '^[^,/]*$'");
    CHECK(InvalidTagMessage(std::string(61, 'y'))->find("is too long") != std::string::npos);
}

TEST_CASE("JsonWriter: the same text as nlohmann's dump, structure and string escapes") {
    std::string text;
    JsonWriter w(text);
    const std::vector<std::string> strings = {"", "plain", "quote \" back \\ slash", "tab\tnew\nline\r\b\f",
                                              std::string("nul \0 \x01 \x1f ctl", 13), "caf\xc3\xa9 \xe2\x82\xac",
                                              "bad \xff utf-8", "\x7f del"};
    w.BeginObject();
    w.Key("strings").BeginArray();
    for (const auto& s : strings) w.String(s);
    w.EndArray();
    w.Key("n").Int(-42);
    w.Key("empty").BeginObject().EndObject();
    w.Key("list").BeginArray().EndArray();
    w.Key("t").Bool(true);
    w.Key("f").Bool(false);
    w.Key("none").Null();
    w.Key("raw").Raw("{\"a\":[1,2]}");
    w.Key("nested").BeginArray();
    w.BeginObject();
    w.Key("k").String("v");
    w.EndObject();
    w.BeginObject().EndObject();
    w.EndArray();
    w.EndObject();
    Json expected = {{"strings", strings}, {"n", -42}, {"empty", Json::object()}, {"list", Json::array()},
                     {"t", true}, {"f", false}, {"none", nullptr}, {"raw", {{"a", {1, 2}}}},
                     {"nested", Json::array({{{"k", "v"}}, Json::object()})}};
    // Parsed back it is the same value; each string is written exactly as dump() writes it.
    auto parsed = Json::parse(text, nullptr, false);
    REQUIRE_FALSE(parsed.is_discarded());
    CHECK(parsed == Json::parse(expected.dump(-1, ' ', false, Json::error_handler_t::replace)));
    for (const auto& s : strings) {
        std::string one;
        JsonWriter(one).String(s);
        CHECK(one == Json(s).dump(-1, ' ', false, Json::error_handler_t::replace));
    }
}

TEST_CASE("the written server view: sorted metadata, escapes, tags from 2.26") {
    auto inst = Active();
    inst.mutable_metadata()->clear();
    (*inst.mutable_metadata())["b"] = "2";
    (*inst.mutable_metadata())["a"] = "quote\"";
    for (auto v : {ApiVersion{2, 1}, ApiVersion{2, 47}, ApiVersion{2, 73}, ApiVersion{2, 90}, kMaxApiVersion}) {
        RequestAt r(v);
        ServerViewExtras extras;
        extras.extended_attrs = true;
        extras.tags = {"x", "y"};
        extras.server_groups = std::vector<std::string>{"g"};
        std::string text;
        JsonWriter w(text);
        WriteServerDetail(w, r.req, inst, extras);
        auto written = Json::parse(text);
        CHECK(written["metadata"] == Json{{"a", "quote\""}, {"b", "2"}});
        CHECK(written["id"] == inst.uuid());
        CHECK(written.contains("tags") == r.req.AtLeast(2, 26));
        CHECK(text.find("\"metadata\":{\"a\":\"quote\\\"\",\"b\":\"2\"}") != std::string::npos);
    }
}
