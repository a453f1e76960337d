#include "nova/common/context.hpp"

#include <algorithm>

#include "nova/common/time.hpp"
#include "nova/common/uuid.hpp"

namespace nova {
namespace {

Json NullIfEmpty(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

Json FromOptional(const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); }

std::string StringOr(const Json& values, std::initializer_list<const char*> keys) {
    for (const char* key : keys) {
        auto it = values.find(key);
        if (it != values.end() && it->is_string()) return it->get<std::string>();
    }
    return {};
}

std::optional<std::string> OptionalString(const Json& values, const char* key) {
    auto it = values.find(key);
    if (it != values.end() && it->is_string()) return it->get<std::string>();
    return std::nullopt;
}

bool BoolOr(const Json& values, const char* key, bool fallback) {
    auto it = values.find(key);
    if (it != values.end() && it->is_boolean()) return it->get<bool>();
    return fallback;
}

}  // namespace

RequestContext::RequestContext() : request_id(GenerateRequestId()), timestamp(WallClock::now()) {}

RequestContext RequestContext::Admin(std::string read_deleted) {
    RequestContext ctx;
    ctx.is_admin = true;
    ctx.read_deleted = std::move(read_deleted);
    return ctx;
}

RequestContext RequestContext::Elevated(std::optional<std::string> read_deleted) const {
    RequestContext copy = *this;
    copy.is_admin = true;
    if (!copy.HasRole("admin")) copy.roles.push_back("admin");
    if (read_deleted) copy.read_deleted = *read_deleted;
    return copy;
}

bool RequestContext::HasRole(std::string_view role) const {
    return std::find(roles.begin(), roles.end(), role) != roles.end();
}

std::string RequestContext::UserIdentity() const {
    auto part = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
    return part(user_id) + " " + part(project_id) + " " + part(domain_id) + " " +
           part(user_domain_id) + " " + part(project_domain_id);
}

Json RequestContext::ToDict() const {
    Json d = Json::object();
    // oslo.context's RequestContext.to_dict()
    d["user"] = NullIfEmpty(user_id);
    d["project_id"] = NullIfEmpty(project_id);
    d["system_scope"] = FromOptional(system_scope);
    d["project"] = NullIfEmpty(project_id);
    d["domain"] = NullIfEmpty(domain_id);
    d["user_domain"] = NullIfEmpty(user_domain_id);
    d["project_domain"] = NullIfEmpty(project_domain_id);
    d["is_admin"] = is_admin;
    d["read_only"] = read_only;
    d["show_deleted"] = show_deleted;
    d["auth_token"] = FromOptional(auth_token);
    d["request_id"] = request_id;
    d["global_request_id"] = FromOptional(global_request_id);
    d["resource_uuid"] = FromOptional(resource_uuid);
    d["roles"] = roles;
    d["user_identity"] = UserIdentity();
    d["is_admin_project"] = is_admin_project;
    // Nova's additions
    d["user_id"] = NullIfEmpty(user_id);
    d["read_deleted"] = read_deleted;
    d["remote_address"] = FromOptional(remote_address);
    d["timestamp"] = timeutil::IsoMicro(timestamp);
    d["quota_class"] = FromOptional(quota_class);
    d["user_name"] = NullIfEmpty(user_name);
    d["service_catalog"] = service_catalog;
    d["project_name"] = NullIfEmpty(project_name);
    return d;
}

RequestContext RequestContext::FromDict(const Json& values) {
    RequestContext ctx;
    if (!values.is_object()) return ctx;
    ctx.user_id = StringOr(values, {"user_id", "user"});
    ctx.project_id = StringOr(values, {"project_id", "tenant", "project"});
    ctx.user_name = StringOr(values, {"user_name"});
    ctx.project_name = StringOr(values, {"project_name"});
    ctx.domain_id = StringOr(values, {"domain_id", "domain"});
    ctx.user_domain_id = StringOr(values, {"user_domain_id", "user_domain"});
    ctx.project_domain_id = StringOr(values, {"project_domain_id", "project_domain"});
    if (auto it = values.find("roles"); it != values.end() && it->is_array()) {
        for (const auto& role : *it) {
            if (role.is_string()) ctx.roles.push_back(role.get<std::string>());
        }
    }
    ctx.is_admin = BoolOr(values, "is_admin", false);
    ctx.is_admin_project = BoolOr(values, "is_admin_project", true);
    ctx.read_only = BoolOr(values, "read_only", false);
    ctx.show_deleted = BoolOr(values, "show_deleted", false);
    if (auto id = OptionalString(values, "request_id")) ctx.request_id = *id;
    ctx.global_request_id = OptionalString(values, "global_request_id");
    if (auto rd = OptionalString(values, "read_deleted")) ctx.read_deleted = *rd;
    ctx.auth_token = OptionalString(values, "auth_token");
    ctx.remote_address = OptionalString(values, "remote_address");
    ctx.quota_class = OptionalString(values, "quota_class");
    ctx.system_scope = OptionalString(values, "system_scope");
    ctx.resource_uuid = OptionalString(values, "resource_uuid");
    if (auto ts = OptionalString(values, "timestamp")) {
        if (auto parsed = timeutil::Parse(*ts)) ctx.timestamp = *parsed;
    }
    if (auto it = values.find("service_catalog"); it != values.end() && it->is_array()) {
        ctx.service_catalog = *it;
    }
    return ctx;
}

}  // namespace nova
