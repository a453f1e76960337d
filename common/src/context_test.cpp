#include "nova/common/context.hpp"

#include <doctest/doctest.h>

#include "nova/common/uuid.hpp"

namespace nova {

// The context of a real Nova Zed message (vectors/nova-zed-rpc, conductor.object_action
// Instance.save), with the _context_ prefixes stripped.
const char* kZedContext = R"({
  "user": "admin", "project_id": "admin", "system_scope": null, "project": "admin",
  "domain": null, "user_domain": null, "project_domain": null, "is_admin": true,
  "read_only": false, "show_deleted": false, "auth_token": "admin:admin",
  "request_id": "req-6255f322-1032-446e-9db0-7ab983eb2483", "global_request_id": null,
  "resource_uuid": null, "roles": [], "user_identity": "admin admin - - -",
  "is_admin_project": true, "user_id": "admin", "read_deleted": "no",
  "remote_address": "127.0.0.1", "timestamp": "2026-11-25T08:53:12.185680",
  "quota_class": null, "user_name": null, "service_catalog": [], "project_name": null})";

TEST_CASE("a Nova context reads from its dict and writes the same dict back") {
    Json in = Json::parse(kZedContext);
    auto ctx = RequestContext::FromDict(in);
    CHECK(ctx.user_id == "admin");
    CHECK(ctx.project_id == "admin");
    CHECK(ctx.is_admin);
    CHECK(ctx.request_id == "req-6255f322-1032-446e-9db0-7ab983eb2483");
    CHECK_FALSE(ctx.global_request_id);
    CHECK(ctx.auth_token == "admin:admin");
    CHECK(ctx.UserIdentity() == "admin admin - - -");
    CHECK(ctx.ToDict() == in);
}

TEST_CASE("old key names are understood") {
    auto ctx = RequestContext::FromDict({{"user", "u1"}, {"tenant", "p1"}, {"roles", {"member"}}});
    CHECK(ctx.user_id == "u1");
    CHECK(ctx.project_id == "p1");
    CHECK(ctx.HasRole("member"));
    CHECK(IsRequestIdLike(ctx.request_id));  // a fresh id when none came
}

TEST_CASE("admin and elevated contexts") {
    auto admin = RequestContext::Admin();
    CHECK(admin.is_admin);
    CHECK(admin.user_id.empty());
    CHECK(admin.ToDict()["user_id"].is_null());
    RequestContext member;
    member.user_id = "demo";
    member.project_id = "demo";
    member.roles = {"member"};
    auto elevated = member.Elevated("yes");
    CHECK(elevated.is_admin);
    CHECK(elevated.HasRole("admin"));
    CHECK(elevated.read_deleted == "yes");
    CHECK(elevated.request_id == member.request_id);
    CHECK_FALSE(member.is_admin);
}

}  // namespace nova
