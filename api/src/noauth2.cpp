#include "nova/api/auth.hpp"

namespace nova::api {

AuthOutcome NoAuth2::Authenticate(const HttpRequest& request, const RequestIds& ids) const {
    auto token = request.Header("X-Auth-Token");
    if (!token) {
        std::string user = request.Header("X-Auth-User").value_or("admin");
        std::string project = request.Header("X-Auth-Project-Id").value_or("admin");
        std::string url = request.Url();
        while (!url.empty() && url.back() == '/') url.pop_back();
        HttpResponse response;
        response.status = 204;
        response.SetHeader("X-Auth-Token", user + ":" + project);
        response.SetHeader("X-Server-Management-Url", url + "/" + project);
        response.SetHeader("Content-Type", "text/plain; charset=UTF-8");
        return response;
    }
    RequestContext context;
    auto colon = token->find(':');
    context.user_id = token->substr(0, colon);
    context.project_id = colon == std::string::npos ? std::string() : token->substr(colon + 1);
    if (context.project_id.empty()) context.project_id = context.user_id;
    context.is_admin = context.user_id == "admin";
    context.auth_token = *token;
    context.remote_address = request.remote_address;
    if (use_forwarded_for_) {
        if (auto forwarded = request.Header("X-Forwarded-For")) context.remote_address = *forwarded;
    }
    context.request_id = ids.request_id;
    context.global_request_id = ids.global_request_id;
    return context;
}

}  // namespace nova::api
