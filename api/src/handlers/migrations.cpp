// /os-migrations and /servers/{id}/os-instance-actions (nova/api/openstack/compute/
// migrations.py and instance_actions.py at Zed): both read the cells' rows.
//   os-migrations: filters host, status, instance_uuid, source_compute, migration_type,
//   hidden; 2.23 migration_type and links of in-progress live migrations; 2.59 uuid,
//   limit/marker (uuid), changes-since; 2.66 changes-before; 2.80 user_id/project_id.
//   instance actions: 2.21 deleted servers too; 2.51 events for non-admins; 2.58 updated_at,
//   limit/marker (request_id), changes-since; 2.62 event host/hostId; 2.66 changes-before;
//   2.84 event details.
#include <openssl/evp.h>

#include <algorithm>

#include "cells.hpp"
#include "common.hpp"
#include "handlers.hpp"
#include "nova/api/fault.hpp"
#include "nova/api/pagination.hpp"
#include "nova/api/validation/parameter_types.hpp"
#include "nova/common/time.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/instance_action_store.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/db/migration_store.hpp"
#include "nova/objects/object.hpp"

namespace nova::api::handlers {

using validation::OrderedJson;
using namespace validation::types;

namespace {

Json Str(bool has, const std::string& v) { return has ? Json(v) : Json(); }

// utils.generate_hostid: sha224(project_id + host) in hex, "" without a host.
std::string HostId(const std::string& host, const std::string& project_id) {
    if (host.empty()) return "";
    std::string data = project_id + host;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data.data(), data.size(), md, &n, EVP_sha224(), nullptr);
    static const char* kHex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < n; ++i) {
        out += kHex[md[i] >> 4];
        out += kHex[md[i] & 15];
    }
    return out;
}

std::optional<WallTime> TimeParam(const ApiRequest& req, const char* name) {
    auto v = req.QueryValue(name);
    if (!v) return std::nullopt;
    // WallTime counts nanoseconds in 64 bits (up to 2262); later dates are "the end of time".
    if (v->size() >= 4 && std::all_of(v->begin(), v->begin() + 4, [](char c) { return c >= '0' && c <= '9'; }) &&
        std::stoi(v->substr(0, 4)) >= 2262 && timeutil::Parse("2000" + v->substr(4))) {
        return WallTime::max();
    }
    auto t = timeutil::Parse(*v);
    if (!t) throw HttpFault(400, std::string("Invalid input for query parameters ") + name + ".");
    return t;
}

// changes-since / changes-before on updated_at, with Nova's check of their order.
struct TimeWindow {
    std::optional<WallTime> since, before;
    bool Holds(bool has_updated, const google::protobuf::Timestamp& updated) const {
        if (!since && !before) return true;
        if (!has_updated) return false;
        auto t = ToWallTime(updated);
        return (!since || t >= *since) && (!before || t <= *before);
    }
};

TimeWindow Window(const ApiRequest& req, bool since_allowed, bool before_allowed) {
    TimeWindow w;
    if (since_allowed) w.since = TimeParam(req, "changes-since");
    if (before_allowed) w.before = TimeParam(req, "changes-before");
    if (w.since && w.before && *w.before < *w.since) {
        throw HttpFault(400, "The value of changes-since must be less than or equal to changes-before.");
    }
    return w;
}

bool Newer(const google::protobuf::Timestamp& a, std::int64_t a_id, const google::protobuf::Timestamp& b, std::int64_t b_id) {
    if (a.seconds() != b.seconds()) return a.seconds() > b.seconds();
    if (a.nanos() != b.nanos()) return a.nanos() > b.nanos();
    return a_id > b_id;
}

// ---- os-migrations ----

OrderedJson MigrationQuery(ApiVersion at) {
    OrderedJson props = {{"hidden", CommonQueryParam()},         {"host", CommonQueryParam()},
                         {"instance_uuid", CommonQueryParam()},  {"source_compute", CommonQueryParam()},
                         {"status", CommonQueryParam()},         {"migration_type", CommonQueryParam()}};
    if (at < ApiVersion{2, 59}) return {{"type", "object"}, {"properties", props}, {"additionalProperties", true}};
    props["limit"] = SingleParam(NonNegativeInteger());
    props["marker"] = SingleParam({{"type", "string"}});
    props["changes-since"] = SingleParam({{"type", "string"}, {"format", "date-time"}});
    if (at >= ApiVersion{2, 66}) props["changes-before"] = SingleParam({{"type", "string"}, {"format", "date-time"}});
    if (at >= ApiVersion{2, 80}) {
        props["user_id"] = SingleParam({{"type", "string"}});
        props["project_id"] = SingleParam({{"type", "string"}});
    }
    return {{"type", "object"}, {"properties", props}, {"additionalProperties", false}};
}

Json MigrationView(const ApiRequest& req, const objects::Migration& m) {
    Json v = {{"id", m.id()},
              {"source_compute", Str(m.has_source_compute(), m.source_compute())},
              {"dest_compute", Str(m.has_dest_compute(), m.dest_compute())},
              {"source_node", Str(m.has_source_node(), m.source_node())},
              {"dest_node", Str(m.has_dest_node(), m.dest_node())},
              {"dest_host", Str(m.has_dest_host(), m.dest_host())},
              {"old_instance_type_id", m.has_old_instance_type_id() ? Json(m.old_instance_type_id()) : Json()},
              {"new_instance_type_id", m.has_new_instance_type_id() ? Json(m.new_instance_type_id()) : Json()},
              {"instance_uuid", Str(m.has_instance_uuid(), m.instance_uuid())},
              {"status", Str(m.has_status(), m.status())},
              {"created_at", IsoOrNull(&m.created_at(), m.has_created_at())},
              {"updated_at", IsoOrNull(&m.updated_at(), m.has_updated_at())}};
    if (req.AtLeast(2, 23)) {
        v["migration_type"] = m.migration_type();
        static const std::vector<std::string> kLiveInProgress = {"queued", "preparing", "running", "post-migrating"};
        if (m.migration_type() == "live-migration" &&
            std::find(kLiveInProgress.begin(), kLiveInProgress.end(), m.status()) != kLiveInProgress.end()) {
            v["links"] = req.links.SelfAndBookmark("servers/" + m.instance_uuid() + "/migrations", std::to_string(m.id()));
        }
    }
    if (req.AtLeast(2, 59)) v["uuid"] = m.uuid();
    if (req.AtLeast(2, 80)) {
        v["user_id"] = Str(m.has_user_id(), m.user_id());
        v["project_id"] = Str(m.has_project_id(), m.project_id());
    }
    return v;
}

ApiResponse ListMigrations(ApiRequest& req, HandlerDeps& deps) {
    db::MigrationFilters filters;
    auto last = [&](const char* name) { return req.QueryValue(name); };
    if (auto host = last("host")) {
        filters.host = host;
    } else if (auto source = last("source_compute")) {
        filters.source_compute = source;
    }
    if (auto status = last("status")) filters.statuses = {*status};
    filters.migration_type = last("migration_type");
    filters.instance_uuid = last("instance_uuid");
    if (auto hidden = last("hidden")) filters.hidden = BoolFromString(*hidden, false).value_or(false);
    bool paging = req.AtLeast(2, 59);
    auto window = Window(req, paging, req.AtLeast(2, 66));
    std::optional<std::string> user_id, project_id;
    if (req.AtLeast(2, 80)) {
        user_id = last("user_id");
        project_id = last("project_id");
    }

    std::vector<objects::Migration> all;
    for (auto& cell : deps.cells->All()) {
        for (auto& m : db::MigrationStore(*cell.pool, deps.clock).GetByFilters(filters)) {
            if (m.hidden()) continue;
            if (!window.Holds(m.has_updated_at(), m.updated_at())) continue;
            if (user_id && m.user_id() != *user_id) continue;
            if (project_id && m.project_id() != *project_id) continue;
            all.push_back(std::move(m));
        }
    }
    Json body = Json::object();
    Json list = Json::array();
    if (paging) {
        std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
            return Newer(a.created_at(), a.id(), b.created_at(), b.id());
        });
        auto page = LimitAndMarker(req.query, deps.options.max_limit);
        std::size_t start = 0;
        if (page.marker) {
            auto it = std::find_if(all.begin(), all.end(), [&](const auto& m) { return m.uuid() == *page.marker; });
            if (it == all.end()) throw HttpFault(400, MarkerNotFound({{"marker", *page.marker}}).what());
            start = static_cast<std::size_t>(it - all.begin()) + 1;
        }
        std::string last_uuid;
        for (std::size_t i = start; i < all.size() && list.size() < page.limit; ++i) {
            list.push_back(MigrationView(req, all[i]));
            last_uuid = all[i].uuid();
        }
        body["migrations"] = list;
        if (!list.empty()) {
            if (auto next = req.links.NextLinks("os-migrations", list.size(), last_uuid)) body["migrations_links"] = *next;
        }
    } else {
        std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.id() < b.id(); });
        for (const auto& m : all) list.push_back(MigrationView(req, m));
        body["migrations"] = list;
    }
    return ApiResponse::Ok(std::move(body));
}

// ---- instance actions ----

struct FoundInstance {
    objects::Instance instance;
    db::Pool* cell;
};

// common.get_instance through the instance mapping; deleted instances from 2.21; a user
// context sees only its own project's instances.
FoundInstance GetInstance(HandlerDeps& deps, const ApiRequest& req, const std::string& id) {
    auto not_found = [&] { return InstanceNotFound({{"instance_id", id}}); };
    if (!validation::IsUuidLike(id)) throw not_found();
    try {
        auto mapping = db::InstanceMappingStore(*deps.api_db, deps.clock).GetByInstanceUuid(id);
        if (!mapping.has_cell_mapping() || mapping.cell_mapping().uuid().empty()) throw not_found();
        auto& pool = deps.cells->PoolFor(mapping.cell_mapping());
        auto instance = db::InstanceStore(pool, deps.clock).GetByUuid(id, req.AtLeast(2, 21));
        // Nova's DB API reads instances project_only: another project's server is not found.
        if (!ProjectVisible(req.context, instance.project_id())) throw not_found();
        return {std::move(instance), &pool};
    } catch (const InstanceMappingNotFound&) {
        throw not_found();
    }
}

Json ActionView(const ApiRequest& req, const objects::InstanceAction& a) {
    Json v = {{"action", Str(a.has_action(), a.action())},
              {"instance_uuid", Str(a.has_instance_uuid(), a.instance_uuid())},
              {"request_id", Str(a.has_request_id(), a.request_id())},
              {"user_id", Str(a.has_user_id(), a.user_id())},
              {"project_id", Str(a.has_project_id(), a.project_id())},
              {"start_time", IsoOrNull(&a.start_time(), a.has_start_time())},
              {"message", Str(a.has_message(), a.message())}};
    if (req.AtLeast(2, 58)) v["updated_at"] = IsoOrNull(&a.updated_at(), a.has_updated_at());
    return v;
}

OrderedJson ActionsQuery(bool before) {
    OrderedJson props = {{"limit", SingleParam(NonNegativeInteger())},
                         {"marker", SingleParam({{"type", "string"}})},
                         {"changes-since", SingleParam({{"type", "string"}, {"format", "date-time"}})}};
    if (before) props["changes-before"] = SingleParam({{"type", "string"}, {"format", "date-time"}});
    return {{"type", "object"}, {"properties", props}, {"additionalProperties", false}};
}

}  // namespace

void RegisterMigrations(RouteTable& routes, HandlerDeps& deps) {
    HandlerDeps* d = &deps;
    auto list_migrations = [d](ApiRequest& req) { return ListMigrations(req, *d); };
    const char* policy = "os_compute_api:os-migrations:index";
    routes.Add({.method = "GET", .path = "/os-migrations", .max_version = {2, 58}, .policy = policy,
                .query_schemas = {AllVersions(MigrationQuery({2, 1}))}, .handler = list_migrations});
    routes.Add({.method = "GET", .path = "/os-migrations", .min_version = {2, 59}, .max_version = {2, 65}, .policy = policy,
                .query_schemas = {AllVersions(MigrationQuery({2, 59}))}, .handler = list_migrations});
    routes.Add({.method = "GET", .path = "/os-migrations", .min_version = {2, 66}, .policy = policy,
                .query_schemas = {Versions(MigrationQuery({2, 66}), {2, 66}, {2, 79}), Versions(MigrationQuery({2, 80}), {2, 80})},
                .handler = list_migrations});

    auto index = [d](ApiRequest& req) {
        auto found = GetInstance(*d, req, req.params.Get("server_id"));
        req.Authorize("os_compute_api:os-instance-actions:list", {{"project_id", found.instance.project_id()}});
        auto actions = db::InstanceActionStore(*found.cell, d->clock).GetByInstanceUuid(found.instance.uuid());
        std::sort(actions.begin(), actions.end(), [](const auto& a, const auto& b) {
            return Newer(a.created_at(), a.id(), b.created_at(), b.id());
        });
        Json list = Json::array();
        Json body = Json::object();
        if (req.AtLeast(2, 58)) {
            auto window = Window(req, true, req.AtLeast(2, 66));
            std::vector<objects::InstanceAction> shown;
            for (auto& a : actions) {
                if (window.Holds(a.has_updated_at(), a.updated_at())) shown.push_back(std::move(a));
            }
            auto page = LimitAndMarker(req.query, d->options.max_limit);
            std::size_t start = 0;
            if (page.marker) {
                auto it = std::find_if(shown.begin(), shown.end(), [&](const auto& a) { return a.request_id() == *page.marker; });
                if (it == shown.end()) throw HttpFault(400, MarkerNotFound({{"marker", *page.marker}}).what());
                start = static_cast<std::size_t>(it - shown.begin()) + 1;
            }
            std::string last_request;
            for (std::size_t i = start; i < shown.size() && list.size() < page.limit; ++i) {
                list.push_back(ActionView(req, shown[i]));
                last_request = shown[i].request_id();
            }
            body["instanceActions"] = list;
            if (!list.empty()) {
                auto collection = "servers/" + req.params.Get("server_id") + "/os-instance-actions";
                if (auto next = req.links.NextLinks(collection, list.size(), last_request)) body["links"] = *next;
            }
        } else {
            for (const auto& a : actions) list.push_back(ActionView(req, a));
            body["instanceActions"] = list;
        }
        return ApiResponse::Ok(std::move(body));
    };
    routes.Add({.method = "GET", .path = "/servers/{server_id}/os-instance-actions", .max_version = {2, 57}, .handler = index});
    routes.Add({.method = "GET", .path = "/servers/{server_id}/os-instance-actions", .min_version = {2, 58},
                .query_schemas = {Versions(ActionsQuery(false), {2, 58}, {2, 65}), Versions(ActionsQuery(true), {2, 66})},
                .handler = index});

    routes.Add({.method = "GET", .path = "/servers/{server_id}/os-instance-actions/{request_id}", .handler = [d](ApiRequest& req) {
                    auto found = GetInstance(*d, req, req.params.Get("server_id"));
                    const auto& project_id = found.instance.project_id();
                    req.Authorize("os_compute_api:os-instance-actions:show", {{"project_id", project_id}});
                    const auto& request_id = req.params.Get("request_id");
                    db::InstanceActionStore store(*found.cell, d->clock);
                    objects::InstanceAction action;
                    try {
                        action = store.GetByRequestId(found.instance.uuid(), request_id);
                    } catch (const InstanceActionNotFound&) {
                        throw HttpFault(404, "Action " + request_id + " not found");
                    }
                    Json view = ActionView(req, action);
                    bool show_events = false, show_traceback = false, show_host = false;
                    if (req.Can("os_compute_api:os-instance-actions:events", {{"project_id", project_id}})) {
                        show_events = show_traceback = true;
                        show_host = req.AtLeast(2, 62);
                    } else if (req.AtLeast(2, 51)) {
                        show_events = true;
                    }
                    bool show_hostid = req.AtLeast(2, 62);
                    if (show_events) {
                        bool show_details = req.AtLeast(2, 84) &&
                                            req.Can("os_compute_api:os-instance-actions:events:details", {{"project_id", project_id}});
                        std::string id_project = action.has_project_id() && !action.project_id().empty() ? action.project_id() : project_id;
                        Json events = Json::array();
                        for (const auto& e : store.GetEvents(action.id())) {
                            Json ev = {{"event", Str(e.has_event(), e.event())},
                                       {"start_time", IsoOrNull(&e.start_time(), e.has_start_time())},
                                       {"finish_time", IsoOrNull(&e.finish_time(), e.has_finish_time())},
                                       {"result", Str(e.has_result(), e.result())}};
                            if (show_traceback) ev["traceback"] = Str(e.has_traceback(), e.traceback());
                            if (show_host) ev["host"] = Str(e.has_host(), e.host());
                            if (show_hostid) ev["hostId"] = HostId(e.host(), id_project);
                            if (show_details) ev["details"] = Str(e.has_details(), e.details());
                            events.push_back(std::move(ev));
                        }
                        view["events"] = events;
                    }
                    return ApiResponse::Ok({{"instanceAction", view}});
                }});
}

}  // namespace nova::api::handlers
