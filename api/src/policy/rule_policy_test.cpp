#include "nova/api/policy.hpp"

#include <doctest/doctest.h>

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
