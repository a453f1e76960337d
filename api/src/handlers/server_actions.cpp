#include "server_actions.hpp"

#include <regex>

#include "../compute_api.hpp"
#include "common.hpp"
#include "nova/api/fault.hpp"
#include "nova/api/validation/parameter_types.hpp"
#include "nova/common/error.hpp"

namespace nova::api::handlers {

using validation::OrderedJson;
using namespace validation::types;

namespace {

OrderedJson ActionSchema(const char* action, OrderedJson inner, bool required = true) {
    OrderedJson s = {{"type", "object"}, {"properties", {{action, std::move(inner)}}}, {"additionalProperties", false}};
    if (required) s["required"] = {action};
    return s;
}

// Runs `fn`, turning InstanceInvalidState into Nova's 409 for `action` (a locked instance
// keeps its own 409 text).
template <class F>
void Guarded(const Server& s, const char* action, F&& fn) {
    try {
        fn();
    } catch (const InstanceIsLocked&) {
        throw;
    } catch (const InstanceInvalidState& e) {
        throw ConflictForInvalidState(e, action, s.instance.uuid());
    } catch (const InstanceNotReady& e) {
        throw HttpFault(409, e.message());
    }
}

Json OwnerTarget(const Server& s) {
    return {{"user_id", s.instance.user_id()}, {"project_id", s.instance.project_id()}};
}

}  // namespace

void RegisterServerActions(RouteTable& routes, std::shared_ptr<ComputeApi> api) {
    const std::string path = "/servers/{server_id}/action";
    auto load = [api](ApiRequest& req) { return api->Get(req.context, req.params.Get("server_id")); };

    // A simple cast action: policy on the owner, the facade's operation, 202.
    auto simple = [&](const char* action, const char* policy, void (ComputeApi::*op)(const RequestContext&, Server&) const,
                      const char* conflict_name) {
        routes.Add({.method = "POST", .path = path, .action = action,
                    .handler = [api, load, policy, op, conflict_name](ApiRequest& req) {
                        auto s = load(req);
                        req.Authorize(policy, OwnerTarget(s));
                        Guarded(s, conflict_name, [&] { ((*api).*op)(req.context, s); });
                        return ApiResponse::WithStatus(202);
                    }});
    };
    simple("os-start", "os_compute_api:servers:start", &ComputeApi::Start, "start");
    simple("os-stop", "os_compute_api:servers:stop", &ComputeApi::Stop, "stop");
    simple("pause", "os_compute_api:os-pause-server:pause", &ComputeApi::Pause, "pause");
    simple("unpause", "os_compute_api:os-pause-server:unpause", &ComputeApi::Unpause, "unpause");
    simple("suspend", "os_compute_api:os-suspend-server:suspend", &ComputeApi::Suspend, "suspend");
    simple("resume", "os_compute_api:os-suspend-server:resume", &ComputeApi::Resume, "resume");

    routes.Add({.method = "POST", .path = path, .action = "reboot",
                .body_schemas = {AllVersions(ActionSchema(
                    "reboot", {{"type", "object"},
                               {"properties", {{"type", {{"type", "string"}, {"enum", {"HARD", "Hard", "hard", "SOFT", "Soft", "soft"}}}}}},
                               {"required", {"type"}},
                               {"additionalProperties", false}}))},
                .handler = [api, load](ApiRequest& req) {
                    auto s = load(req);
                    req.Authorize("os_compute_api:servers:reboot", OwnerTarget(s));
                    std::string type = req.body["reboot"]["type"].get<std::string>();
                    bool hard = type == "HARD" || type == "Hard" || type == "hard";
                    Guarded(s, "reboot", [&] { api->Reboot(req.context, s, hard); });
                    return ApiResponse::WithStatus(202);
                }});

    auto lock = [api, load](ApiRequest& req) {
        auto s = load(req);
        req.Authorize("os_compute_api:os-lock-server:lock", OwnerTarget(s));
        std::optional<std::string> reason;
        if (req.AtLeast(2, 73) && req.body["lock"].is_object() && req.body["lock"].contains("locked_reason")) {
            reason = req.body["lock"]["locked_reason"].get<std::string>();
        }
        Guarded(s, "lock", [&] { api->Lock(req.context, s, reason); });
        return ApiResponse::WithStatus(202);
    };
    routes.Add({.method = "POST", .path = path, .action = "lock", .max_version = {2, 72}, .handler = lock});
    routes.Add({.method = "POST", .path = path, .action = "lock", .min_version = {2, 73},
                .body_schemas = {AllVersions(ActionSchema(
                    "lock", {{"type", {"object", "null"}},
                             {"properties", {{"locked_reason", {{"type", "string"}, {"minLength", 1}, {"maxLength", 255}}}}},
                             {"additionalProperties", false}}))},
                .handler = lock});
    routes.Add({.method = "POST", .path = path, .action = "unlock",
                .handler = [api, load](ApiRequest& req) {
                    auto s = load(req);
                    req.Authorize("os_compute_api:os-lock-server:unlock", OwnerTarget(s));
                    // Nova's is_expected_locked_by: someone else's lock needs unlock_override.
                    std::string expected = s.instance.project_id() == req.context.project_id ? "owner" : "admin";
                    if (s.instance.has_locked_by() && !s.instance.locked_by().empty() && s.instance.locked_by() != expected) {
                        req.Authorize("os_compute_api:os-lock-server:unlock:unlock_override", OwnerTarget(s));
                    }
                    Guarded(s, "unlock", [&] { api->Unlock(req.context, s); });
                    return ApiResponse::WithStatus(202);
                }});

    routes.Add({.method = "POST", .path = path, .action = "resize",
                .body_schemas = {AllVersions(ActionSchema(
                    "resize", {{"type", "object"},
                               {"properties", {{"flavorRef", FlavorRef()}, {"OS-DCF:diskConfig", DiskConfig()}}},
                               {"required", {"flavorRef"}},
                               {"additionalProperties", false}}))},
                .handler = [api, load](ApiRequest& req) {
                    auto s = load(req);
                    req.Authorize("os_compute_api:servers:resize", OwnerTarget(s));
                    const auto& ref = req.body["resize"]["flavorRef"];
                    std::string flavor = ref.is_string() ? ref.get<std::string>() : ref.dump();
                    if (auto slash = flavor.rfind('/'); slash != std::string::npos) flavor = flavor.substr(slash + 1);
                    try {
                        Guarded(s, "resize", [&] { api->Resize(req.context, s, flavor, std::nullopt); });
                    } catch (const FlavorNotFound&) {
                        throw HttpFault(400, "Unable to locate requested flavor.");
                    } catch (const OverQuota& e) {
                        throw HttpFault(403, e.message());
                    }
                    return ApiResponse::WithStatus(202);
                }});
    routes.Add({.method = "POST", .path = path, .action = "confirmResize",
                .handler = [api, load](ApiRequest& req) {
                    auto s = load(req);
                    req.Authorize("os_compute_api:servers:confirm_resize", OwnerTarget(s));
                    Guarded(s, "confirmResize", [&] { api->ConfirmResize(req.context, s); });
                    return ApiResponse::WithStatus(204);
                }});
    routes.Add({.method = "POST", .path = path, .action = "revertResize",
                .handler = [api, load](ApiRequest& req) {
                    auto s = load(req);
                    req.Authorize("os_compute_api:servers:revert_resize", OwnerTarget(s));
                    Guarded(s, "revertResize", [&] { api->RevertResize(req.context, s); });
                    return ApiResponse::WithStatus(202);
                }});

    auto migrate = [api, load](ApiRequest& req) {
        auto s = load(req);
        req.Authorize("os_compute_api:os-migrate-server:migrate", {{"project_id", s.instance.project_id()}});
        std::optional<std::string> host;
        if (req.AtLeast(2, 56) && req.body["migrate"].is_object() && req.body["migrate"].contains("host") &&
            req.body["migrate"]["host"].is_string()) {
            host = req.body["migrate"]["host"].get<std::string>();
        }
        try {
            Guarded(s, "migrate", [&] { api->Resize(req.context, s, std::nullopt, host); });
        } catch (const ComputeHostNotFound& e) {
            throw HttpFault(400, e.message());
        }
        return ApiResponse::WithStatus(202);
    };
    routes.Add({.method = "POST", .path = path, .action = "migrate", .max_version = {2, 55}, .handler = migrate});
    routes.Add({.method = "POST", .path = path, .action = "migrate", .min_version = {2, 56},
                .body_schemas = {AllVersions(ActionSchema(
                    "migrate", {{"type", {"object", "null"}}, {"properties", {{"host", Fqdn()}}}, {"additionalProperties", false}}))},
                .handler = migrate});

    routes.Add({.method = "POST", .path = path, .action = "os-getConsoleOutput",
                .body_schemas = {AllVersions(ActionSchema(
                    "os-getConsoleOutput",
                    {{"type", "object"},
                     {"properties", {{"length", {{"type", {"integer", "string", "null"}}, {"pattern", "^-?[0-9]+$"}, {"minimum", -1}}}}},
                     {"additionalProperties", false}}))},
                .handler = [api, load](ApiRequest& req) {
                    auto s = load(req);
                    req.Authorize("os_compute_api:os-console-output", {{"project_id", s.instance.project_id()}});
                    std::optional<int> length;
                    const auto& l = req.body["os-getConsoleOutput"].value("length", Json());
                    if (l.is_number()) length = l.get<int>();
                    if (l.is_string()) length = std::stoi(l.get<std::string>());
                    if (length && *length == -1) length.reset();
                    std::string output;
                    Guarded(s, "get_console_output", [&] { output = api->GetConsoleOutput(req.context, s, length); });
                    // Nova replaces what a JSON body cannot carry (console_output.py).
                    static const std::regex kBad("[^\\x09\\x0a\\x0d\\x20-\\x7e]");
                    output = std::regex_replace(output, kBad, "?");
                    return ApiResponse::Ok({{"output", output}});
                }});

    routes.Add({.method = "POST", .path = path, .action = "os-resetState",
                .body_schemas = {AllVersions(ActionSchema(
                    "os-resetState", {{"type", "object"},
                                      {"properties", {{"state", {{"type", "string"}, {"enum", {"active", "error"}}}}}},
                                      {"required", {"state"}},
                                      {"additionalProperties", false}}))},
                .handler = [api, load](ApiRequest& req) {
                    auto s = load(req);
                    req.Authorize("os_compute_api:os-admin-actions:reset_state", {{"project_id", s.instance.project_id()}});
                    Guarded(s, "os-resetState",
                            [&] { api->ResetState(req.context, s, req.body["os-resetState"]["state"].get<std::string>()); });
                    return ApiResponse::WithStatus(202);
                }});
}

}  // namespace nova::api::handlers
