// /servers (nova/api/openstack/compute/servers.py, schemas/servers.py at Zed): create, list,
// detail, show, update, delete; /servers/{id}/metadata (server_metadata.py). The actions are
// in server_actions.cpp. The logic is the ComputeApi facade's (../compute_api.hpp).
#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <memory>
#include <set>

#include "../compute_api.hpp"
#include "../server_list.hpp"
#include "common.hpp"
#include "handlers.hpp"
#include "nova/api/fault.hpp"
#include "nova/api/pagination.hpp"
#include "nova/api/server_status.hpp"
#include "nova/api/validation/parameter_types.hpp"
#include "nova/common/error.hpp"
#include "nova/common/time.hpp"
#include "nova/common/uuid.hpp"
#include "nova/db/flavor_store.hpp"
#include "nova/db/instance_group_store.hpp"
#include "nova/db/tag_store.hpp"
#include "nova/objects/object.hpp"
#include "server_actions.hpp"
#include "server_tags.hpp"
#include "server_view.hpp"

namespace nova::api::handlers {

using validation::OrderedJson;
using namespace validation::types;

namespace {

// --- schemas (schemas/servers.py) ------------------------------------------------------------

OrderedJson Personality() {
    return {{"type", "array"},
            {"items", {{"type", "object"},
                       {"properties", {{"path", {{"type", "string"}}},
                                       {"contents", {{"type", "string"}, {"format", "base64"}}}}},
                       {"additionalProperties", false}}}};
}

OrderedJson LegacyBdm() {
    return {{"type", "object"},
            {"properties",
             {{"virtual_name", {{"type", "string"}, {"maxLength", 255}}},
              {"volume_id", Uuid()},
              {"snapshot_id", Uuid()},
              {"volume_size", VolumeSize()},
              {"device_name", {{"type", "string"}, {"minLength", 1}, {"maxLength", 255}, {"pattern", "^[a-zA-Z0-9._-r/]*$"}}},
              {"delete_on_termination", Boolean()},
              {"no_device", OrderedJson::object()},
              {"connection_info", {{"type", "string"}, {"maxLength", 16777215}}}}},
            {"additionalProperties", false}};
}

OrderedJson BdmV2(bool tag, bool volume_type) {
    OrderedJson bdm = LegacyBdm();
    auto& p = bdm["properties"];
    p["source_type"] = {{"type", "string"}, {"enum", {"volume", "image", "snapshot", "blank"}}};
    p["uuid"] = {{"type", "string"}, {"minLength", 1}, {"maxLength", 255}, {"pattern", "^[a-zA-Z0-9._-]*$"}};
    p["image_id"] = Uuid();
    p["destination_type"] = {{"type", "string"}, {"enum", {"local", "volume"}}};
    p["guest_format"] = {{"type", "string"}, {"maxLength", 255}};
    p["device_type"] = {{"type", "string"}, {"maxLength", 255}};
    p["disk_bus"] = {{"type", "string"}, {"maxLength", 255}};
    p["boot_index"] = {{"type", {"integer", "string", "null"}}, {"pattern", "^-?[0-9]+$"}};
    if (tag) p["tag"] = Tag();
    if (volume_type) p["volume_type"] = VolumeType();
    return bdm;
}

OrderedJson Hints() {
    return {{"type", "object"},
            {"properties",
             {{"group", {{"type", "string"}, {"format", "uuid"}}},
              {"different_host", {{"oneOf", {{{"type", "string"}, {"format", "uuid"}}, {{"type", "array"}, {"items", Uuid()}}}}}},
              {"same_host", {{"type", {"string", "array"}}, {"items", Uuid()}}},
              {"query", {{"type", {"string", "object"}}}},
              {"target_cell", Name()},
              {"different_cell", {{"type", {"string", "array"}}, {"items", {{"type", "string"}}}}},
              {"build_near_host_ip", IpAddress()},
              {"cidr", {{"type", "string"}, {"pattern", "^/[0-9a-f.:]+$"}}}}},
            {"additionalProperties", true}};
}

OrderedJson NetworkItem(bool uuid_format, bool tag) {
    OrderedJson props = {{"fixed_ip", IpAddress()},
                         {"port", {{"oneOf", {{{"type", "string"}, {"format", "uuid"}}, {{"type", "null"}}}}}},
                         {"uuid", uuid_format ? OrderedJson{{"type", "string"}, {"format", "uuid"}} : OrderedJson{{"type", "string"}}}};
    if (tag) props["tag"] = Tag();
    return {{"type", "object"}, {"properties", props}, {"additionalProperties", false}};
}

// The create schema Nova validates at `v` (create, create_v219 ... create_v290).
OrderedJson CreateSchema(ApiVersion v) {
    const bool v232 = v == ApiVersion{2, 32};
    OrderedJson p = {{"name", Name()},
                     {"imageRef", ImageIdOrEmptyString()},
                     {"flavorRef", FlavorRef()},
                     {"adminPass", AdminPassword()},
                     {"metadata", Metadata()},
                     {"networks", {{"type", "array"}, {"items", NetworkItem(false, v232 || v >= ApiVersion{2, 33})}}},
                     {"OS-DCF:diskConfig", DiskConfig()},
                     {"accessIPv4", Ipv4()},
                     {"accessIPv6", Ipv6()},
                     {"personality", Personality()},
                     {"availability_zone", Name()},
                     {"block_device_mapping", {{"type", "array"}, {"items", LegacyBdm()}}},
                     {"block_device_mapping_v2",
                      {{"type", "array"}, {"items", BdmV2(v232 || v >= ApiVersion{2, 42}, v >= ApiVersion{2, 67})}}},
                     {"config_drive", Boolean()},
                     {"key_name", Name()},
                     {"min_count", PositiveInteger()},
                     {"max_count", PositiveInteger()},
                     {"return_reservation_id", Boolean()},
                     {"security_groups",
                      {{"type", "array"},
                       {"items", {{"type", "object"}, {"properties", {{"name", Name()}}}, {"additionalProperties", false}}}}},
                     {"user_data", {{"type", "string"}, {"format", "base64"}, {"maxLength", 65535}}}};
    OrderedJson required = {"name", "flavorRef"};
    if (v >= ApiVersion{2, 19}) p["description"] = Description();
    if (v >= ApiVersion{2, 37}) {
        required.push_back("networks");
        p["networks"] = {{"oneOf",
                          {{{"type", "array"}, {"items", NetworkItem(true, v >= ApiVersion{2, 42} || v >= ApiVersion{2, 33})}},
                           {{"type", "string"}, {"enum", {"none", "auto"}}}}}};
    }
    if (v >= ApiVersion{2, 52}) p["tags"] = {{"type", "array"}, {"items", Tag()}, {"maxItems", 50}};
    if (v >= ApiVersion{2, 57}) p.erase("personality");
    if (v >= ApiVersion{2, 63}) p["trusted_image_certificates"] = TrustedCerts();
    if (v >= ApiVersion{2, 74}) {
        p["host"] = Fqdn();
        p["hypervisor_hostname"] = Fqdn();
    }
    if (v >= ApiVersion{2, 90}) p["hostname"] = Hostname();
    return {{"type", "object"},
            {"properties",
             {{"server", {{"type", "object"}, {"properties", p}, {"required", required}, {"additionalProperties", false}}},
              {"os:scheduler_hints", Hints()},
              {"OS-SCH-HNT:scheduler_hints", Hints()}}},
            {"required", {"server"}},
            {"additionalProperties", false}};
}

std::vector<VersionedSchema> CreateSchemas() {
    const std::vector<std::pair<ApiVersion, ApiVersion>> ranges = {
        {{2, 1}, {2, 18}},  {{2, 19}, {2, 31}}, {{2, 32}, {2, 32}}, {{2, 33}, {2, 36}}, {{2, 37}, {2, 41}},
        {{2, 42}, {2, 51}}, {{2, 52}, {2, 56}}, {{2, 57}, {2, 62}}, {{2, 63}, {2, 66}}, {{2, 67}, {2, 73}},
        {{2, 74}, {2, 89}}, {{2, 90}, kMaxApiVersion}};
    std::vector<VersionedSchema> out;
    for (const auto& [from, to] : ranges) out.push_back(Versions(CreateSchema(from), from, to));
    return out;
}

OrderedJson UpdateSchema(ApiVersion v) {
    OrderedJson p = {{"name", Name()}, {"OS-DCF:diskConfig", DiskConfig()}, {"accessIPv4", Ipv4()}, {"accessIPv6", Ipv6()}};
    if (v >= ApiVersion{2, 19}) p["description"] = Description();
    if (v >= ApiVersion{2, 90}) p["hostname"] = Hostname();
    return {{"type", "object"},
            {"properties", {{"server", {{"type", "object"}, {"properties", p}, {"additionalProperties", false}}}}},
            {"required", {"server"}},
            {"additionalProperties", false}};
}

const std::vector<std::string> kIgnoreSortKeys = {
    "architecture", "cell_name", "cleaned", "default_ephemeral_device", "default_swap_device", "deleted",
    "deleted_at", "disable_terminate", "ephemeral_gb", "ephemeral_key_uuid", "id", "key_data", "launched_on",
    "locked", "memory_mb", "os_type", "reservation_id", "root_gb", "shutdown_terminate", "user_data", "vcpus",
    "vm_mode"};
const std::vector<std::string> kValidSortKeys = {
    "access_ip_v4", "access_ip_v6", "auto_disk_config", "availability_zone", "config_drive", "created_at",
    "display_description", "display_name", "host", "hostname", "image_ref", "instance_type_id", "kernel_id",
    "key_name", "launch_index", "launched_at", "locked_by", "node", "power_state", "progress", "project_id",
    "ramdisk_id", "root_device_name", "task_state", "terminated_at", "updated_at", "user_id", "uuid", "vm_state"};

OrderedJson SortKeyEnum(ApiVersion v) {
    OrderedJson keys = OrderedJson::array();
    if (v >= ApiVersion{2, 73}) keys.push_back("locked");
    for (const auto& k : kValidSortKeys) keys.push_back(k);
    if (v < ApiVersion{2, 75}) {
        for (const auto& k : kIgnoreSortKeys) {
            if (k == "locked" && v >= ApiVersion{2, 73}) continue;
            keys.push_back(k);
        }
    }
    return {{"type", "string"}, {"enum", keys}};
}

OrderedJson ListQuerySchema(ApiVersion v) {
    OrderedJson p = OrderedJson::object();
    for (const char* k : {"user_id", "project_id", "tenant_id", "launch_index", "image_ref", "image"}) p[k] = CommonQueryParam();
    for (const char* k : {"kernel_id", "ramdisk_id", "hostname", "key_name", "power_state"}) p[k] = CommonQueryRegexParam();
    p["vm_state"] = CommonQueryParam();
    p["task_state"] = CommonQueryParam();
    p["host"] = CommonQueryParam();
    for (const char* k : {"node", "flavor", "reservation_id", "launched_at", "terminated_at", "availability_zone", "name",
                          "display_name", "description", "display_description", "locked_by"}) {
        p[k] = CommonQueryRegexParam();
    }
    p["uuid"] = CommonQueryParam();
    for (const char* k : {"root_device_name", "config_drive", "access_ip_v4", "access_ip_v6", "auto_disk_config", "progress"}) {
        p[k] = CommonQueryRegexParam();
    }
    p["sort_key"] = MultiParams(SortKeyEnum(v));
    for (const char* k : {"sort_dir", "all_tenants", "soft_deleted", "deleted", "status"}) p[k] = CommonQueryParam();
    p["changes-since"] = MultiParams({{"type", "string"}, {"format", "date-time"}});
    for (const char* k : {"ip", "ip6", "created_at"}) p[k] = CommonQueryRegexParam();
    for (const char* k : {"block_device_mapping", "services", "metadata", "system_metadata", "info_cache",
                          "security_groups", "pci_devices"}) {
        p[k] = CommonQueryParam();
    }
    const OrderedJson paging = PaginationParameters();
    for (const auto& [k, val] : paging.items()) p[k] = val;
    if (v >= ApiVersion{2, 26}) {
        for (const char* k : {"tags", "tags-any", "not-tags", "not-tags-any"}) p[k] = CommonQueryRegexParam();
    }
    if (v >= ApiVersion{2, 66}) p["changes-before"] = MultiParams({{"type", "string"}, {"format", "date-time"}});
    if (v >= ApiVersion{2, 73}) p["locked"] = CommonQueryParam();
    return {{"type", "object"},
            {"properties", p},
            {"additionalProperties", v < ApiVersion{2, 75}},
            {"patternProperties", {{"^_", CommonQueryParam()}}}};
}

std::vector<VersionedSchema> ListQuerySchemas() {
    return {Versions(ListQuerySchema({2, 1}), {2, 1}, {2, 25}), Versions(ListQuerySchema({2, 26}), {2, 26}, {2, 65}),
            Versions(ListQuerySchema({2, 66}), {2, 66}, {2, 72}), Versions(ListQuerySchema({2, 73}), {2, 73}, {2, 74}),
            Versions(ListQuerySchema({2, 75}), {2, 75})};
}

// --- list ------------------------------------------------------------------------------------

// The filters a caller without allow_all_filters may use (_get_server_search_options).
std::set<std::string> UserSearchOptions(const ApiRequest& req) {
    std::set<std::string> opts = {"reservation_id", "name", "status", "image", "flavor", "ip", "changes-since", "all_tenants"};
    if (req.AtLeast(2, 5)) opts.insert("ip6");
    if (req.AtLeast(2, 26)) opts.insert({"tags", "tags-any", "not-tags", "not-tags-any"});
    if (req.AtLeast(2, 66)) opts.insert("changes-before");
    if (req.AtLeast(2, 73)) opts.insert("locked");
    if (req.AtLeast(2, 83)) {
        opts.insert({"availability_zone", "config_drive", "key_name", "created_at", "launched_at", "terminated_at",
                     "power_state", "task_state", "vm_state", "progress", "user_id"});
    }
    if (req.AtLeast(2, 90)) opts.insert("hostname");
    return opts;
}

std::vector<std::string> SplitComma(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        auto comma = s.find(',', start);
        if (comma == std::string::npos) comma = s.size();
        out.push_back(s.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

std::string BoolError(const std::string& value) {
    return "Unrecognized value '" + value +
           "', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'";
}

ApiResponse ListServers(ComputeApi& api, ApiRequest& req, bool detail) {
    auto& deps = api.deps();
    const auto& ctx = req.context;
    const bool all_filters = req.Can("os_compute_api:servers:allow_all_filters", DefaultTarget(req));

    // search_opts: the last value of each parameter; status, sort_key and sort_dir are lists.
    std::map<std::string, std::string> opts;
    for (const auto& [k, v] : req.query) {
        if (!k.empty() && k[0] == '_') continue;
        opts[k] = v;
    }
    std::vector<std::string> statuses = req.QueryValues("status");
    std::vector<std::string> sort_keys = req.QueryValues("sort_key");
    std::vector<std::string> sort_dirs = req.QueryValues("sort_dir");
    if (!all_filters) {
        auto allowed = UserSearchOptions(req);
        std::erase_if(opts, [&](const auto& kv) { return !allowed.contains(kv.first) && kv.first != "limit" && kv.first != "marker" &&
                                                          kv.first != "sort_key" && kv.first != "sort_dir"; });
        if (!allowed.contains("status")) statuses.clear();
    }

    ServerFilters filters;
    ServerListQuery query;

    if (!statuses.empty()) {
        auto states = StatesFromStatuses(statuses);
        if (states.Empty()) {
            if (req.AtLeast(2, 38)) throw HttpFault(400, "Invalid status value");
            return ApiResponse::Ok({{"servers", Json::array()}});
        }
        if (states.vm_states == std::vector<std::string>{"deleted"}) {
            if (!ctx.is_admin) throw HttpFault(403, "Only administrators may list deleted instances");
            opts["deleted"] = "true";
        }
        filters.exact["vm_state"] = states.vm_states;
        if (!states.any_task_state) {
            std::vector<std::string> tasks;
            for (const auto& t : states.task_states) tasks.push_back(t ? *t : "None");
            filters.exact["task_state"] = tasks;
        }
        opts.erase("vm_state");
        opts.erase("task_state");
    }
    opts.erase("status");

    auto parse_time = [&](const char* key) -> std::optional<WallTime> {
        auto it = opts.find(key);
        if (it == opts.end()) return std::nullopt;
        auto t = timeutil::Parse(it->second);
        if (!t) throw HttpFault(400, "Invalid " + std::string(key) + " value");
        return t;
    };
    filters.changes_since = parse_time("changes-since");
    filters.changes_before = parse_time("changes-before");
    if (filters.changes_since && filters.changes_before && *filters.changes_since > *filters.changes_before) {
        throw HttpFault(400, "The value of changes-since must be less than or equal to changes-before.");
    }
    if (filters.changes_since || filters.changes_before) {
        query.include_deleted = true;
    } else if (opts.contains("deleted")) {
        if (BoolFromString(opts["deleted"], false).value_or(false)) {
            query.deleted_only = true;
        }
    }

    // all_tenants (common.is_all_tenants).
    bool all_tenants = false;
    if (auto it = opts.find("all_tenants"); it != opts.end()) {
        if (it->second.empty()) {
            all_tenants = true;
        } else {
            auto b = BoolFromString(it->second, true);
            if (!b) throw HttpFault(400, "Invalid input received: " + BoolError(it->second));
            all_tenants = *b;
        }
    }
    if (all_tenants) {
        req.Authorize(detail ? "os_compute_api:servers:detail:get_all_tenants" : "os_compute_api:servers:index:get_all_tenants",
                      DefaultTarget(req));
        if (opts.contains("project_id")) {
            query.project_id = opts["project_id"];
        } else if (opts.contains("tenant_id")) {
            query.project_id = opts["tenant_id"];
        }
    } else if (!ctx.project_id.empty()) {
        query.project_id = ctx.project_id;
    } else {
        filters.exact["user_id"] = {ctx.user_id};
    }
    for (const char* k : {"all_tenants", "project_id", "tenant_id", "deleted", "soft_deleted", "changes-since", "changes-before",
                          "limit", "marker", "sort_key", "sort_dir"}) {
        opts.erase(k);
    }

    // The remaining options as Nova's DB filters.
    for (const auto& [k, v] : opts) {
        if (k == "image" || k == "image_ref") {
            filters.exact["image_ref"] = {v};
        } else if (k == "flavor") {
            try {
                auto flavor = db::FlavorStore(*deps.api_db, deps.clock).GetByFlavorId(v);
                filters.exact["instance_type_id"] = {std::to_string(flavor.id())};
            } catch (const FlavorNotFound&) {
                filters.match_nothing = true;  // Nova answers an empty list
            }
        } else if (k == "name") {
            filters.regex["display_name"] = v;
        } else if (k == "ip" || k == "ip6") {
            filters.match_nothing = true;  // no networking: no server has an address
        } else if (k == "locked") {
            auto b = BoolFromString(v, true);
            if (!b) throw HttpFault(400, BoolError(v));
            filters.locked = *b;
        } else if (k == "tags") {
            filters.tags = SplitComma(v);
        } else if (k == "tags-any") {
            filters.tags_any = SplitComma(v);
        } else if (k == "not-tags") {
            filters.not_tags = SplitComma(v);
        } else if (k == "not-tags-any") {
            filters.not_tags_any = SplitComma(v);
        } else if (k == "user_id" || k == "vm_state" || k == "task_state" || k == "host" || k == "uuid") {
            filters.exact[k] = {v};
        } else if (k == "description" || k == "block_device_mapping" || k == "services" || k == "metadata" ||
                   k == "system_metadata" || k == "info_cache" || k == "security_groups" || k == "pci_devices") {
            // not columns of the instances table: Nova's DB layer ignores them
        } else {
            filters.regex[k] = v;
        }
    }

    // Sorting (servers.py: host and node are admin-only; ignored keys dropped before 2.75).
    if (!req.AtLeast(2, 75)) {
        std::vector<std::string> keys, dirs;
        for (std::size_t i = 0; i < sort_keys.size(); ++i) {
            bool ignored = std::find(kIgnoreSortKeys.begin(), kIgnoreSortKeys.end(), sort_keys[i]) != kIgnoreSortKeys.end() &&
                           !(sort_keys[i] == "locked" && req.AtLeast(2, 73));
            if (ignored) continue;
            keys.push_back(sort_keys[i]);
            if (i < sort_dirs.size()) dirs.push_back(sort_dirs[i]);
        }
        sort_keys = keys;
        if (sort_dirs.size() <= sort_keys.size()) {
            sort_dirs.resize(std::min(sort_dirs.size(), dirs.size()));
            for (std::size_t i = 0; i < sort_dirs.size(); ++i) sort_dirs[i] = dirs[i];
        }
    }
    if (!ctx.is_admin) {
        for (const char* k : {"host", "node"}) {
            if (std::find(sort_keys.begin(), sort_keys.end(), k) != sort_keys.end()) {
                throw HttpFault(403, std::string("Only administrators can sort servers by ") + k);
            }
        }
    }
    auto keys = SortKeys(sort_keys, sort_dirs);
    auto page = LimitAndMarker(req.query, deps.options.max_limit);

    // Filters on what is not an instance column are ignored, as Nova's DB layer does.
    std::erase_if(filters.exact, [&](const auto& kv) { return !IsInstanceColumn(kv.first); });
    std::erase_if(filters.regex, [&](const auto& kv) { return !IsInstanceColumn(kv.first); });
    query.filters = std::move(filters);
    query.keys = std::move(keys);
    query.limit = static_cast<std::size_t>(page.limit);
    query.marker = page.marker;
    query.detail = detail;
    query.tags = detail && req.AtLeast(2, 26);
    auto servers = nova::api::ListServers(api, query);

    // The page is written straight into the answer's text (no Json tree of 1000 servers).
    std::string text;
    text.reserve(64 + servers.size() * (detail ? 1536 : 256));
    JsonWriter w(text);
    w.BeginObject();
    w.Key("servers").BeginArray();
    std::map<std::string, std::string> host_status_cache;
    struct ViewPolicies {
        bool extended_attrs, flavor_extra_specs, host_status, host_status_unknown;
    };
    std::map<std::string, std::optional<ViewPolicies>> allowed_by_project;
    for (const auto& s : servers) {
        const auto* inst = &s.instance;
        if (!detail) {
            w.BeginObject();
            w.Key("id").String(inst->uuid());
            w.Key("name").String(inst->display_name());
            w.Key("links").BeginArray();
            w.BeginObject();
            w.Key("rel").String("self");
            w.Key("href").String(req.links.Self("servers", inst->uuid()));
            w.EndObject();
            w.BeginObject();
            w.Key("rel").String("bookmark");
            w.Key("href").String(req.links.Bookmark("servers", inst->uuid()));
            w.EndObject();
            w.EndArray();
            w.EndObject();
            continue;
        }
        // The policies' answers depend on the target's project only: asked once per project.
        auto& allowed = allowed_by_project[inst->project_id()];
        if (!allowed) {
            Json target = {{"project_id", inst->project_id()}};
            allowed = ViewPolicies{
                req.Can("os_compute_api:os-extended-server-attributes", target),
                req.AtLeast(2, 47) && req.Can("os_compute_api:servers:show:flavor-extra-specs", target),
                req.AtLeast(2, 16) && req.Can("os_compute_api:servers:show:host_status", target),
                req.AtLeast(2, 16) && req.Can("os_compute_api:servers:show:host_status:unknown-only", target)};
        }
        ServerViewExtras extras;
        extras.extended_attrs = allowed->extended_attrs;
        extras.flavor_extra_specs = allowed->flavor_extra_specs;
        extras.is_admin = ctx.is_admin;
        extras.tags = s.tags;
        if (req.AtLeast(2, 16)) {
            bool full = allowed->host_status;
            bool unknown_only = !full && allowed->host_status_unknown;
            if (full || unknown_only) {
                std::string key = s.cell ? s.cell->uuid() + "/" + inst->host() : "";
                auto it = host_status_cache.find(key);
                std::string status = it != host_status_cache.end() ? it->second : (host_status_cache[key] = api.HostStatus(s));
                if (full || status == "UNKNOWN") extras.host_status = status;
            }
        }
        WriteServerDetail(w, req, *inst, extras);
    }
    w.EndArray();
    if (!servers.empty()) {
        if (auto next = req.links.NextLinks(detail ? "servers/detail" : "servers", servers.size(),
                                            servers.back().instance.uuid())) {
            w.Key("servers_links").Raw(next->dump(-1, ' ', false, Json::error_handler_t::replace));
        }
    }
    w.EndObject();
    return ApiResponse::OkJsonText(std::move(text));
}

// --- show, create ----------------------------------------------------------------------------

ServerViewExtras ShowExtras(ComputeApi& api, ApiRequest& req, const Server& s, bool server_groups) {
    ServerViewExtras extras;
    Json target = {{"project_id", s.instance.project_id()}};
    extras.extended_attrs = req.Can("os_compute_api:os-extended-server-attributes", target);
    extras.flavor_extra_specs = req.AtLeast(2, 47) && req.Can("os_compute_api:servers:show:flavor-extra-specs", target);
    extras.is_admin = req.context.is_admin;
    extras.tags = s.tags;
    if (req.AtLeast(2, 26) && !s.building()) {
        auto tags = db::TagStore(*s.pool).GetByInstances({s.instance.uuid()});
        if (auto it = tags.find(s.instance.uuid()); it != tags.end()) extras.tags = std::move(it->second);
    }
    if (req.AtLeast(2, 16)) {
        bool full = req.Can("os_compute_api:servers:show:host_status", target);
        bool unknown_only = !full && req.Can("os_compute_api:servers:show:host_status:unknown-only", target);
        if (full || unknown_only) {
            auto status = api.HostStatus(s);
            if (full || status == "UNKNOWN") extras.host_status = status;
        }
    }
    if (server_groups && req.AtLeast(2, 71)) {
        extras.server_groups = std::vector<std::string>{};
        try {
            auto group = db::InstanceGroupStore(*api.deps().api_db, api.deps().clock).GetByInstanceUuid(s.instance.uuid());
            extras.server_groups->push_back(group.uuid());
        } catch (const InstanceGroupNotFound&) {
        }
    }
    return extras;
}

Json ShowView(ComputeApi& api, ApiRequest& req, const Server& s, bool server_groups) {
    return ServerDetailView(req, s.instance, ShowExtras(api, req, s, server_groups));
}

// Nova's parse_availability_zone: "az", "az:host", "az:host:node", "az::node".
void ParseAvailabilityZone(const std::string& text, CreateRequest& out) {
    auto first = text.find(':');
    if (first == std::string::npos) {
        out.availability_zone = text;
        return;
    }
    std::string az = text.substr(0, first);
    std::string rest = text.substr(first + 1);
    auto second = rest.find(':');
    std::string host = second == std::string::npos ? rest : rest.substr(0, second);
    std::string node = second == std::string::npos ? "" : rest.substr(second + 1);
    if (node.find(':') != std::string::npos) throw HttpFault(400, "Unable to parse availability_zone");
    if (!az.empty()) out.availability_zone = az;
    if (!host.empty()) out.forced_host = host;
    if (!node.empty()) out.forced_node = node;
}

ApiResponse CreateServer(ComputeApi& api, ApiRequest& req) {
    const Json& body = req.body;
    const Json& server = body["server"];
    CreateRequest cr;
    cr.name = server["name"].get<std::string>();
    // common.normalize_name: surrounding whitespace stripped (v2.0 allows it).
    if (req.legacy_v2) {
        auto b = cr.name.find_first_not_of(" \t\r\n");
        auto e = cr.name.find_last_not_of(" \t\r\n");
        cr.name = b == std::string::npos ? "" : cr.name.substr(b, e - b + 1);
    }
    if (req.AtLeast(2, 19)) {
        if (server.contains("description") && !server["description"].is_null()) cr.description = server["description"].get<std::string>();
    } else {
        cr.description = cr.name;
    }
    cr.admin_password = server.contains("adminPass") ? server["adminPass"].get<std::string>() : GeneratePassword();
    if (server.contains("user_data") && server["user_data"].is_string()) cr.user_data = server["user_data"].get<std::string>();
    if (server.contains("key_name")) cr.key_name = server["key_name"].get<std::string>();
    if (server.contains("config_drive")) {
        const auto& c = server["config_drive"];
        cr.config_drive = c.is_boolean() ? c.get<bool>() : BoolFromString(c.is_string() ? c.get<std::string>() : "", false).value_or(false);
    }
    if (server.contains("security_groups")) {
        std::set<std::string> names;
        for (const auto& g : server["security_groups"]) {
            if (g.contains("name") && g["name"].is_string() && !g["name"].get<std::string>().empty()) names.insert(g["name"].get<std::string>());
        }
        cr.security_groups.assign(names.begin(), names.end());
    }
    if (body.contains("os:scheduler_hints")) {
        cr.scheduler_hints = body["os:scheduler_hints"];
    } else if (body.contains("OS-SCH-HNT:scheduler_hints")) {
        cr.scheduler_hints = body["OS-SCH-HNT:scheduler_hints"];
    }
    auto as_int = [](const Json& j) { return j.is_number() ? j.get<std::int64_t>() : std::stoll(j.get<std::string>()); };
    cr.min_count = server.contains("min_count") ? as_int(server["min_count"]) : 1;
    cr.max_count = server.contains("max_count") ? as_int(server["max_count"]) : cr.min_count;
    if (cr.min_count > cr.max_count) throw HttpFault(400, "min_count must be <= max_count");
    if (req.AtLeast(2, 52) && server.contains("tags")) cr.tags = server["tags"].get<std::vector<std::string>>();
    if (server.contains("metadata")) {
        for (const auto& [k, v] : server["metadata"].items()) cr.metadata[k] = v.get<std::string>();
    }
    if (server.contains("accessIPv4")) cr.access_ip_v4 = server["accessIPv4"].get<std::string>();
    if (server.contains("accessIPv6")) cr.access_ip_v6 = server["accessIPv6"].get<std::string>();
    if (server.contains("OS-DCF:diskConfig")) cr.auto_disk_config = server["OS-DCF:diskConfig"] == "AUTO";

    std::optional<std::string> az_text;
    if (server.contains("availability_zone")) az_text = server["availability_zone"].get<std::string>();
    Json target = {{"project_id", req.context.project_id}, {"user_id", req.context.user_id},
                   {"availability_zone", az_text ? Json(*az_text) : Json()}};
    req.Authorize("os_compute_api:servers:create", target);
    if (server.contains("trusted_image_certificates") && !server["trusted_image_certificates"].is_null()) {
        req.Authorize("os_compute_api:servers:create:trusted_certs", target);
        throw HttpFault(400, "Image signature certificate validation is not supported: nova-cpp has no key manager");
    }
    if (az_text) ParseAvailabilityZone(*az_text, cr);
    if (cr.forced_host || cr.forced_node) req.Authorize("os_compute_api:servers:create:forced_host", target);
    if (req.AtLeast(2, 74) && (server.contains("host") || server.contains("hypervisor_hostname"))) {
        req.Authorize("compute:servers:create:requested_destination", target);
        if (cr.forced_host || cr.forced_node) {
            throw HttpFault(400, "The requested availability zone host or node and the host or hypervisor_hostname "
                                 "parameters cannot be used together.");
        }
        if (server.contains("host")) cr.forced_host = server["host"].get<std::string>();
        if (server.contains("hypervisor_hostname")) cr.forced_node = server["hypervisor_hostname"].get<std::string>();
        cr.requested_destination = true;
    }
    if (server.contains("block_device_mapping") || server.contains("block_device_mapping_v2")) {
        req.Authorize("os_compute_api:servers:create:attach_volume", target);
        throw HttpFault(400, "Block device mappings are not supported: nova-cpp has no block storage service");
    }
    // imageRef (_image_from_req_data): required without a block device mapping.
    std::string image_ref = server.contains("imageRef") ? server["imageRef"].get<std::string>() : "";
    if (image_ref.empty()) throw HttpFault(400, "Missing imageRef attribute");
    if (auto slash = image_ref.rfind('/'); slash != std::string::npos) image_ref = image_ref.substr(slash + 1);
    if (!IsUuidLike(image_ref)) throw HttpFault(400, "Invalid imageRef provided.");
    cr.image_id = image_ref;
    // Networks: "auto" and "none" need nothing; a network or a port cannot exist here.
    if (server.contains("networks")) {
        req.Authorize("os_compute_api:servers:create:attach_network", target);
        const auto& nets = server["networks"];
        cr.requested_networks = nets;
        if (nets.is_array()) {
            for (const auto& n : nets) {
                if (n.contains("port") && n["port"].is_string()) {
                    throw HttpFault(400, "Port id " + n["port"].get<std::string>() + " could not be found.");
                }
                if (n.contains("uuid")) {
                    auto id = n["uuid"].get<std::string>();
                    if (!req.AtLeast(2, 37) && !IsUuidLike(id)) throw HttpFault(400, "Bad networks format: network uuid is not in proper format (" + id + ")");
                    throw HttpFault(400, "Network " + id + " could not be found.");
                }
            }
        }
    }
    std::string flavor_ref = server["flavorRef"].is_string() ? server["flavorRef"].get<std::string>() : server["flavorRef"].dump();
    if (auto slash = flavor_ref.rfind('/'); slash != std::string::npos) flavor_ref = flavor_ref.substr(slash + 1);
    cr.flavor_id = flavor_ref;

    CreateResult result;
    try {
        result = api.Create(req.context, cr);
    } catch (const OverQuota& e) {
        throw HttpFault(403, e.message());
    } catch (const ImageNotFound&) {
        throw HttpFault(400, "Can not find requested image");
    } catch (const KeypairNotFound&) {
        throw HttpFault(400, "Invalid key_name provided.");
    } catch (const FlavorNotFound& e) {
        throw HttpFault(400, e.message());
    } catch (const InstanceGroupNotFound& e) {
        throw HttpFault(400, e.message());
    }
    if (server.contains("return_reservation_id")) {
        const auto& r = server["return_reservation_id"];
        bool want = r.is_boolean() ? r.get<bool>() : BoolFromString(r.is_string() ? r.get<std::string>() : "", false).value_or(false);
        if (want) return ApiResponse::WithStatus(202, Json{{"reservation_id", result.reservation_id}});
    }
    const auto& inst = result.instances.front();
    Json view = {{"id", inst.uuid()},
                 {"links", req.links.SelfAndBookmark("servers", inst.uuid())},
                 {"OS-DCF:diskConfig", inst.auto_disk_config() ? "AUTO" : "MANUAL"}};
    // Nova's create view: security_groups as requested ("default" when none were named).
    Json groups = Json::array();
    if (cr.security_groups.empty()) {
        groups.push_back({{"name", "default"}});
    } else {
        for (const auto& g : cr.security_groups) groups.push_back({{"name", g}});
    }
    view["security_groups"] = groups;
    view["adminPass"] = cr.admin_password;
    auto response = ApiResponse::WithStatus(202, Json{{"server", view}});
    response.headers.emplace_back("Location", req.links.Self("servers", inst.uuid()));
    return response;
}

// --- metadata ----------------------------------------------------------------------------------

OrderedJson MetadataSchema(const char* key) {
    return {{"type", "object"}, {"properties", {{key, Metadata()}}}, {"required", {key}}, {"additionalProperties", false}};
}

OrderedJson MetaItemSchema() {
    OrderedJson meta = Metadata();
    meta["minProperties"] = 1;
    meta["maxProperties"] = 1;
    return {{"type", "object"}, {"properties", {{"meta", meta}}}, {"required", {"meta"}}, {"additionalProperties", false}};
}

Json MetadataOf(const objects::Instance& inst) {
    Json md = Json::object();
    for (const auto& [k, v] : inst.metadata()) md[k] = v;
    return md;
}

}  // namespace

void RegisterServers(RouteTable& routes, HandlerDeps& deps) {
    auto api = std::make_shared<ComputeApi>(deps);

    routes.Add({.method = "POST", .path = "/servers", .body_schemas = CreateSchemas(),
                .handler = [api](ApiRequest& req) { return CreateServer(*api, req); }});
    routes.Add({.method = "GET", .path = "/servers", .policy = "os_compute_api:servers:index",
                .query_schemas = ListQuerySchemas(),
                .handler = [api](ApiRequest& req) { return ListServers(*api, req, false); }});
    routes.Add({.method = "GET", .path = "/servers/detail", .policy = "os_compute_api:servers:detail",
                .query_schemas = ListQuerySchemas(),
                .handler = [api](ApiRequest& req) { return ListServers(*api, req, true); }});
    routes.Add({.method = "GET", .path = "/servers/{server_id}",
                .handler = [api](ApiRequest& req) {
                    auto s = api->GetForView(req.context, req.params.Get("server_id"));
                    req.Authorize("os_compute_api:servers:show", {{"project_id", s.instance.project_id()}});
                    std::string text;
                    text.reserve(2048);
                    JsonWriter w(text);
                    w.BeginObject();
                    w.Key("server");
                    WriteServerDetail(w, req, s.instance, ShowExtras(*api, req, s, true));
                    w.EndObject();
                    return ApiResponse::OkJsonText(std::move(text));
                }});
    routes.Add({.method = "PUT", .path = "/servers/{server_id}",
                .body_schemas = {Versions(UpdateSchema({2, 1}), {2, 1}, {2, 18}), Versions(UpdateSchema({2, 19}), {2, 19}, {2, 89}),
                                 Versions(UpdateSchema({2, 90}), {2, 90})},
                .handler = [api](ApiRequest& req) {
                    auto s = api->Get(req.context, req.params.Get("server_id"));
                    req.Authorize("os_compute_api:servers:update",
                                  {{"user_id", s.instance.user_id()}, {"project_id", s.instance.project_id()}});
                    api->Update(req.context, s, req.body["server"]);
                    if (req.AtLeast(2, 75)) return ApiResponse::Ok(ShowView(*api, req, s, true));
                    // Before 2.75 PUT answers a reduced view: no extended or status attributes.
                    ServerViewExtras extras;
                    extras.is_admin = req.context.is_admin;
                    extras.tags = s.tags;
                    Json view = ServerDetailView(req, s.instance, extras);
                    auto& v = view["server"];
                    for (const char* k : {"OS-EXT-AZ:availability_zone", "config_drive", "key_name", "OS-SRV-USG:launched_at",
                                          "OS-SRV-USG:terminated_at", "OS-EXT-STS:task_state", "OS-EXT-STS:vm_state",
                                          "OS-EXT-STS:power_state", "os-extended-volumes:volumes_attached", "locked",
                                          "locked_reason", "tags", "trusted_image_certificates", "host_status"}) {
                        v.erase(k);
                    }
                    if (req.AtLeast(2, 71)) view = ShowView(*api, req, s, true);
                    return ApiResponse::Ok(view);
                }});
    routes.Add({.method = "DELETE", .path = "/servers/{server_id}",
                .handler = [api](ApiRequest& req) {
                    auto s = api->Get(req.context, req.params.Get("server_id"));
                    req.Authorize("os_compute_api:servers:delete",
                                  {{"user_id", s.instance.user_id()}, {"project_id", s.instance.project_id()}});
                    try {
                        api->Delete(req.context, s);
                    } catch (const InstanceIsLocked&) {
                        throw;
                    } catch (const InstanceInvalidState& e) {
                        throw ConflictForInvalidState(e, "delete", s.instance.uuid());
                    }
                    return ApiResponse::WithStatus(204);
                }});

    // /servers/{id}/metadata
    auto server_for = [api](ApiRequest& req, const char* rule) {
        Server s;
        try {
            s = api->Get(req.context, req.params.Get("server_id"));
        } catch (const InstanceNotFound&) {
            throw HttpFault(404, "Server does not exist");
        }
        req.Authorize(rule, {{"project_id", s.instance.project_id()}});
        return s;
    };
    auto metadata_conflict = [](const std::function<void()>& fn, const std::string& id, const char* action) {
        try {
            fn();
        } catch (const InstanceIsLocked&) {
            throw;
        } catch (const InstanceInvalidState& e) {
            throw ConflictForInvalidState(e, action, id);
        } catch (const MetadataLimitExceeded& e) {
            throw HttpFault(403, e.message());
        }
    };
    routes.Add({.method = "GET", .path = "/servers/{server_id}/metadata",
                .handler = [server_for](ApiRequest& req) {
                    auto s = server_for(req, "os_compute_api:server-metadata:index");
                    return ApiResponse::Ok({{"metadata", MetadataOf(s.instance)}});
                }});
    routes.Add({.method = "POST", .path = "/servers/{server_id}/metadata", .body_schemas = {AllVersions(MetadataSchema("metadata"))},
                .handler = [api, server_for, metadata_conflict](ApiRequest& req) {
                    auto s = server_for(req, "os_compute_api:server-metadata:create");
                    std::map<std::string, std::string> md;
                    for (const auto& [k, v] : req.body["metadata"].items()) md[k] = v.get<std::string>();
                    metadata_conflict([&] { api->UpdateMetadata(req.context, s, md, false); }, s.instance.uuid(), "create");
                    return ApiResponse::Ok({{"metadata", MetadataOf(s.instance)}});
                }});
    routes.Add({.method = "PUT", .path = "/servers/{server_id}/metadata", .body_schemas = {AllVersions(MetadataSchema("metadata"))},
                .handler = [api, server_for, metadata_conflict](ApiRequest& req) {
                    auto s = server_for(req, "os_compute_api:server-metadata:update_all");
                    std::map<std::string, std::string> md;
                    for (const auto& [k, v] : req.body["metadata"].items()) md[k] = v.get<std::string>();
                    metadata_conflict([&] { api->UpdateMetadata(req.context, s, md, true); }, s.instance.uuid(), "update");
                    return ApiResponse::Ok({{"metadata", MetadataOf(s.instance)}});
                }});
    routes.Add({.method = "GET", .path = "/servers/{server_id}/metadata/{key}",
                .handler = [server_for](ApiRequest& req) {
                    auto s = server_for(req, "os_compute_api:server-metadata:show");
                    const auto& key = req.params.Get("key");
                    auto it = s.instance.metadata().find(key);
                    if (it == s.instance.metadata().end()) throw HttpFault(404, "Metadata item was not found");
                    return ApiResponse::Ok({{"meta", {{key, it->second}}}});
                }});
    routes.Add({.method = "PUT", .path = "/servers/{server_id}/metadata/{key}", .body_schemas = {AllVersions(MetaItemSchema())},
                .handler = [api, server_for, metadata_conflict](ApiRequest& req) {
                    auto s = server_for(req, "os_compute_api:server-metadata:update");
                    const auto& key = req.params.Get("key");
                    const auto& meta = req.body["meta"];
                    if (!meta.contains(key)) throw HttpFault(400, "Request body and URI mismatch");
                    std::map<std::string, std::string> md = {{key, meta[key].get<std::string>()}};
                    metadata_conflict([&] { api->UpdateMetadata(req.context, s, md, false); }, s.instance.uuid(), "update");
                    return ApiResponse::Ok({{"meta", {{key, md[key]}}}});
                }});
    routes.Add({.method = "DELETE", .path = "/servers/{server_id}/metadata/{key}",
                .handler = [api, server_for, metadata_conflict](ApiRequest& req) {
                    auto s = server_for(req, "os_compute_api:server-metadata:delete");
                    const auto& key = req.params.Get("key");
                    if (!s.instance.metadata().contains(key)) throw HttpFault(404, "Metadata item was not found");
                    metadata_conflict([&] { api->DeleteMetadataKey(req.context, s, key); }, s.instance.uuid(), "delete");
                    return ApiResponse::WithStatus(204);
                }});

    RegisterServerActions(routes, api);
    RegisterServerTags(routes, api);
}

}  // namespace nova::api::handlers
