#include "nova/api/policy.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "nova/common/error.hpp"

using namespace nova::api;

namespace {
nova::RequestContext Context(std::string user, std::string project, bool admin,
                             std::vector<std::string> roles = {}) {
    nova::RequestContext c;
    c.user_id = std::move(user);
    c.project_id = std::move(project);
    c.is_admin = admin;
    c.roles = std::move(roles);
    return c;
}
}  // namespace

TEST_CASE("policy: Zed defaults as noauth2 sees them") {
    RulePolicy policy(ZedDefaultRules());
    auto admin = Context("admin", "admin", true);
    auto demo = Context("demo", "demo", false);

    // Admin-only APIs.
    for (const char* rule : {"os_compute_api:os-hypervisors:list", "os_compute_api:os-services:list",
                             "os_compute_api:os-flavor-manage:create", "os_compute_api:os-migrations:index",
                             "os_compute_api:os-admin-actions:reset_state",
                             "os_compute_api:servers:index:get_all_tenants"}) {
        CAPTURE(rule);
        CHECK(policy.Allowed(admin, rule, Policy::DefaultTarget(admin)));
        CHECK_FALSE(policy.Allowed(demo, rule, Policy::DefaultTarget(demo)));
    }
    // Owner APIs: the own project passes, another project's resource does not.
    nova::Json own{{"project_id", "demo"}};
    nova::Json others{{"project_id", "someone-else"}};
    for (const char* rule : {"os_compute_api:servers:show", "os_compute_api:servers:delete",
                             "os_compute_api:os-lock-server:lock", "os_compute_api:servers:reboot"}) {
        CAPTURE(rule);
        CHECK(policy.Allowed(demo, rule, own));
        CHECK_FALSE(policy.Allowed(demo, rule, others));
        CHECK(policy.Allowed(admin, rule, others));
    }
    // Anyone; nobody.
    CHECK(policy.Allowed(demo, "os_compute_api:limits", Policy::DefaultTarget(demo)));
    CHECK_FALSE(policy.Allowed(admin, "compute:servers:resize:cross_cell", Policy::DefaultTarget(admin)));
    // Keypairs are per user.
    CHECK(policy.Allowed(demo, "os_compute_api:os-keypairs:index", nova::Json{{"user_id", "demo"}}));
    CHECK_FALSE(policy.Allowed(demo, "os_compute_api:os-keypairs:index", nova::Json{{"user_id", "bob"}}));
    // A Keystone admin role passes admin rules too.
    CHECK(policy.Allowed(Context("u", "p", false, {"Admin"}), "os_compute_api:os-hypervisors:list",
                         nova::Json::object()));
    // Unknown rules are never allowed.
    CHECK_FALSE(policy.IsRegistered("os_compute_api:nope"));
    CHECK_FALSE(policy.Allowed(admin, "os_compute_api:nope", nova::Json::object()));
}

TEST_CASE("policy: Authorize raises PolicyNotAuthorized with Nova's message") {
    RulePolicy policy(ZedDefaultRules());
    auto demo = Context("demo", "demo", false);
    try {
        policy.Authorize(demo, "os_compute_api:os-hypervisors:list");
        FAIL("allowed");
    } catch (const nova::PolicyNotAuthorized& e) {
        CHECK(e.message() == "Policy doesn't allow os_compute_api:os-hypervisors:list to be performed.");
        CHECK(e.code() == 403);
    }
}

TEST_CASE("policy: new defaults, overrides and the check language") {
    RulePolicy strict(ZedDefaultRules(), {.enforce_new_defaults = true, .overrides = {}});
    // Under the new defaults, a project user needs the member role.
    auto member = Context("u", "p", false, {"member"});
    auto no_role = Context("u", "p", false);
    CHECK(strict.Allowed(member, "os_compute_api:servers:delete", nova::Json{{"project_id", "p"}}));
    CHECK_FALSE(strict.Allowed(no_role, "os_compute_api:servers:delete", nova::Json{{"project_id", "p"}}));

    RulePolicy custom({{"a", "not (role:x or is_admin:True) and user_id:%(user_id)s", ""},
                       {"b", "@", ""}},
                      {.enforce_new_defaults = false, .overrides = {{"b", "!"}}});
    CHECK(custom.Allowed(Context("u", "p", false), "a", nova::Json{{"user_id", "u"}}));
    CHECK_FALSE(custom.Allowed(Context("u", "p", false, {"X"}), "a", nova::Json{{"user_id", "u"}}));
    CHECK_FALSE(custom.Allowed(Context("u", "p", false), "a", nova::Json::object()));  // missing key
    CHECK_FALSE(custom.Allowed(Context("u", "p", true), "b", nova::Json::object()));
    CHECK_THROWS_AS(RulePolicy({{"bad", "role:x and", ""}}), std::invalid_argument);
    CHECK_THROWS_AS(RulePolicy({{"bad", "(role:x", ""}}), std::invalid_argument);
}

TEST_CASE("policy: Zed defaults with Keystone roles (member, reader, admin)") {
    RulePolicy zed(ZedDefaultRules());
    RulePolicy strict(ZedDefaultRules(), {.enforce_new_defaults = true, .overrides = {}});
    auto member = Context("m", "p1", false, {"member", "reader"});
    auto reader = Context("r", "p1", false, {"reader"});
    auto admin = Context("a", "admin-project", true, {"admin", "member", "reader"});
    nova::Json own{{"project_id", "p1"}, {"user_id", "m"}};
    nova::Json other{{"project_id", "p2"}, {"user_id", "x"}};

    // Admin-only APIs: members and readers get 403 under both modes.
    for (const char* rule : {"os_compute_api:os-services:list", "os_compute_api:os-hypervisors:list",
                             "os_compute_api:os-aggregates:index", "os_compute_api:os-flavor-manage:create",
                             "os_compute_api:os-flavor-manage:delete", "os_compute_api:os-quota-sets:update",
                             "os_compute_api:os-migrations:index", "os_compute_api:servers:detail:get_all_tenants",
                             "os_compute_api:servers:create:forced_host"}) {
        CAPTURE(rule);
        for (const RulePolicy* p : {&zed, &strict}) {
            CHECK_FALSE(p->Allowed(member, rule, own));
            CHECK_FALSE(p->Allowed(reader, rule, own));
            CHECK(p->Allowed(admin, rule, own));
        }
    }
    // Project APIs: own project yes, another project no, admin any.
    for (const char* rule : {"os_compute_api:servers:index", "os_compute_api:servers:show",
                             "os_compute_api:servers:create", "os_compute_api:servers:delete",
                             "os_compute_api:servers:reboot", "os_compute_api:os-quota-sets:show"}) {
        CAPTURE(rule);
        for (const RulePolicy* p : {&zed, &strict}) {
            CHECK(p->Allowed(member, rule, own));
            CHECK_FALSE(p->Allowed(member, rule, other));
            CHECK(p->Allowed(admin, rule, other));
        }
    }
    // Zed's default (enforce_new_defaults = False) still lets a project's reader write, through
    // the deprecated admin_or_owner rule; the new defaults do not.
    CHECK(zed.Allowed(reader, "os_compute_api:servers:delete", own));
    CHECK_FALSE(strict.Allowed(reader, "os_compute_api:servers:delete", own));
    CHECK(strict.Allowed(reader, "os_compute_api:servers:show", own));
    // Key pairs belong to users.
    CHECK(zed.Allowed(member, "os_compute_api:os-keypairs:index", nova::Json{{"user_id", "m"}}));
    CHECK_FALSE(zed.Allowed(member, "os_compute_api:os-keypairs:index", nova::Json{{"user_id", "x"}}));
    CHECK(zed.Allowed(admin, "os_compute_api:os-keypairs:index", nova::Json{{"user_id", "x"}}));
}

TEST_CASE("policy: policy files in YAML and JSON override the defaults") {
    auto yaml = ParsePolicyFile(
        "# an operator's policy.yaml\n"
        "\"os_compute_api:os-services:list\": \"rule:project_reader_api\"\n"
        "os_compute_api:servers:create: '!'\n"
        "\"custom\": \"role:ops and not role:intern\"\n"
        "os_compute_api:servers:show: \"\"\n");
    CHECK(yaml.size() == 4);
    CHECK(yaml.at("os_compute_api:servers:create") == "!");
    CHECK(yaml.at("os_compute_api:servers:show").empty());
    auto json = ParsePolicyFile(R"({"os_compute_api:os-services:list": "@"})");
    CHECK(json.at("os_compute_api:os-services:list") == "@");
    CHECK(ParsePolicyFile("").empty());
    CHECK(ParsePolicyFile("# nothing but comments\n").empty());
    CHECK_THROWS_AS(ParsePolicyFile("- a\n- b\n"), std::invalid_argument);
    CHECK_THROWS_AS(ParsePolicyFile("a: {b: c}\n"), std::invalid_argument);
    CHECK_THROWS_AS(ParsePolicyFile("a: [1]\n"), std::invalid_argument);
    CHECK_THROWS_AS(ParsePolicyFile("a: \"unterminated\n"), std::invalid_argument);
    CHECK_THROWS_AS(ParsePolicyFile(R"({"a": 1})"), std::invalid_argument);

    RulePolicy policy(ZedDefaultRules(), {.enforce_new_defaults = false, .overrides = yaml});
    auto member = Context("m", "p1", false, {"member", "reader"});
    nova::Json own{{"project_id", "p1"}};
    CHECK(policy.Allowed(member, "os_compute_api:os-services:list", own));
    CHECK_FALSE(policy.Allowed(member, "os_compute_api:os-services:list", nova::Json{{"project_id", "p2"}}));
    // An override replaces the rule entirely (no deprecated fallback), even for admins.
    CHECK_FALSE(policy.Allowed(Context("a", "p", true, {"admin"}), "os_compute_api:servers:create", own));
    CHECK(policy.Allowed(Context("x", "p9", false), "os_compute_api:servers:show", nova::Json{{"project_id", "p1"}}));
    CHECK(policy.Allowed(Context("x", "p", false, {"ops"}), "custom", own));
    CHECK_FALSE(policy.Allowed(Context("x", "p", false, {"ops", "intern"}), "custom", own));
    // Rules not in the file keep their defaults.
    CHECK_FALSE(policy.Allowed(member, "os_compute_api:os-hypervisors:list", own));
}

TEST_CASE("policy: project isolation helpers") {
    auto member = Context("m", "p1", false, {"member"});
    CHECK(IsUserContext(member));
    CHECK(ProjectVisible(member, "p1"));
    CHECK_FALSE(ProjectVisible(member, "p2"));
    auto admin = Context("a", "p0", true, {"admin"});
    CHECK_FALSE(IsUserContext(admin));
    CHECK(ProjectVisible(admin, "p2"));
    CHECK_FALSE(IsUserContext(nova::RequestContext::Admin()));
}

TEST_CASE("a policy file is read again when its mtime changes, and a broken edit keeps the rules in force") {
    namespace fs = std::filesystem;
    auto path = fs::temp_directory_path() / ("nova-policy-test-" + std::to_string(::getpid()) + ".yaml");
    auto write = [&](const std::string& text, int second) {
        std::ofstream(path) << text;
        // A distinct mtime each time, whatever the file system's timestamp granularity.
        fs::last_write_time(path, fs::file_time_type(std::chrono::seconds(1700000000 + second)));
    };
    write("\"os_compute_api:os-hypervisors:list\": \"@\"\n", 1);
    FilePolicy policy(ZedDefaultRules(), {}, path.string());
    nova::RequestContext member;
    member.user_id = "u";
    member.project_id = "p";
    member.roles = {"member", "reader"};
    CHECK(policy.Allowed(member, "os_compute_api:os-hypervisors:list", Policy::DefaultTarget(member)));
    CHECK_FALSE(policy.Refresh());  // unchanged

    write("\"os_compute_api:os-hypervisors:list\": \"!\"\n", 2);
    CHECK_FALSE(policy.Allowed(member, "os_compute_api:os-hypervisors:list", Policy::DefaultTarget(member)));

    write("[1, 2]\n", 3);  // not a mapping of rules
    CHECK_FALSE(policy.Refresh());
    CHECK_FALSE(policy.Allowed(member, "os_compute_api:os-hypervisors:list", Policy::DefaultTarget(member)));

    write("{}\n", 4);  // back to Nova's default: admin only
    CHECK(policy.Refresh());
    CHECK_FALSE(policy.Allowed(member, "os_compute_api:os-hypervisors:list", Policy::DefaultTarget(member)));
    nova::RequestContext admin = member;
    admin.roles = {"admin"};
    admin.is_admin = true;
    CHECK(policy.Allowed(admin, "os_compute_api:os-hypervisors:list", Policy::DefaultTarget(admin)));
    fs::remove(path);
}
