#pragma once
// The auth seam: an Authenticator turns a request into a RequestContext, or answers it
// itself (noauth2's 204 without a token, Keystone's 401). [api] auth_strategy picks one.
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "nova/api/http_message.hpp"
#include "nova/common/context.hpp"

namespace nova::api {

// What the request-id layer already knows about a request.
struct RequestIds {
    std::string request_id;                       // req-<uuid>, ours
    std::optional<std::string> global_request_id;  // the caller's, when valid
};

using AuthOutcome = std::variant<RequestContext, HttpResponse>;

class Authenticator {
public:
    Authenticator() = default;
    Authenticator(const Authenticator&) = delete;
    Authenticator& operator=(const Authenticator&) = delete;
    virtual ~Authenticator() = default;

    // `project_id_in_path`: the request is routed under /v2.1/{project_id}/... (noauth2's
    // management URL then ends in the project).
    virtual AuthOutcome Authenticate(const HttpRequest& request, const RequestIds& ids) const = 0;
};

// Nova's noauth2 (nova/api/openstack/auth.py): X-Auth-Token "<user>:<project>" (project =
// user without a colon), admin iff the user is "admin", no roles. Without a token: 204 with
// X-Auth-Token "<X-Auth-User or admin>:<X-Auth-Project-Id or admin>" and
// X-Server-Management-Url "<request url>/<project>".
class NoAuth2 final : public Authenticator {
public:
    explicit NoAuth2(bool use_forwarded_for) : use_forwarded_for_(use_forwarded_for) {}
    AuthOutcome Authenticate(const HttpRequest& request, const RequestIds& ids) const override;

private:
    bool use_forwarded_for_;
};

}  // namespace nova::api
