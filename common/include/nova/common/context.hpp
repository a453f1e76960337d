#pragma once
// The request context: who asks, for which project, with which request ids. Built by the API's
// auth layer, carried through every RPC as flat `_context_*` keys (rpc-wire.md §6.1), and
// stamped on every log line.
#include <optional>
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/common/json.hpp"

namespace nova {

struct RequestContext {
    std::string user_id;  // empty = none (null on the wire)
    std::string project_id;
    std::string user_name;
    std::string project_name;
    std::string domain_id;
    std::string user_domain_id;
    std::string project_domain_id;
    std::vector<std::string> roles;
    bool is_admin = false;
    bool is_admin_project = true;
    bool read_only = false;
    bool show_deleted = false;
    std::string request_id;  // "req-<uuid>", made fresh when a context is created
    std::optional<std::string> global_request_id;  // the caller's id, kept across services
    std::string read_deleted = "no";               // "no", "yes" or "only"
    std::optional<std::string> auth_token;         // never logged
    std::optional<std::string> remote_address;
    std::optional<std::string> quota_class;
    std::optional<std::string> system_scope;
    std::optional<std::string> resource_uuid;
    WallTime timestamp;
    Json service_catalog = Json::array();

    // A fresh context with a new request id and the current time.
    RequestContext();

    // Nova's get_admin_context(): no user or project, is_admin.
    static RequestContext Admin(std::string read_deleted = "no");

    // An admin copy of this context (Nova's context.elevated()): is_admin and the admin role.
    RequestContext Elevated(std::optional<std::string> read_deleted = std::nullopt) const;

    // Nova's RequestContext.to_dict(): oslo.context's keys followed by Nova's.
    Json ToDict() const;
    // Nova's RequestContext.from_dict(): accepts the old names too (user, tenant, project).
    // Unknown keys are ignored; a missing request_id gets a new one.
    static RequestContext FromDict(const Json& values);

    // "user project domain user_domain project_domain" with "-" for blanks (oslo.context).
    std::string UserIdentity() const;
    bool HasRole(std::string_view role) const;
};

}  // namespace nova
