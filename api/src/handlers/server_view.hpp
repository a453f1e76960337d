#pragma once
// The pure parts of the servers API: the server views of nova/api/openstack/compute/views/
// servers.py per microversion, and GET /servers' filtering and sorting (Nova's DB filters:
// exact columns, REGEXP columns, status, changes-since/-before, tags, locked).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "nova/api/handler.hpp"
#include "nova/common/clock.hpp"
#include "nova/common/json.hpp"
#include "nova/objects/instance.pb.h"

namespace nova::api::handlers {

// What the view shows beyond the instance, decided by the handler (policies, services).
struct ServerViewExtras {
    bool extended_attrs = false;              // os_compute_api:os-extended-server-attributes
    std::optional<std::string> host_status;   // 2.16, when the policy lets the caller see it
    bool flavor_extra_specs = false;          // 2.47 servers:show:flavor-extra-specs
    bool is_admin = false;                    // fault details
    std::vector<std::string> tags;            // 2.26
    std::optional<std::vector<std::string>> server_groups;  // 2.71 show/update only
};

// The `instances` columns ServerDetailView reads (a list page or a show reads only these).
const std::set<std::string>& ServerViewColumns();

// A JSON text written straight into a string (what the server views need: objects, arrays,
// strings, integers, booleans, null), so that a page of servers is not built as a Json tree
// first. Strings are escaped as nlohmann's dump() escapes them.
//   w.BeginObject(); w.Key("id").String(uuid); w.Key("tags").BeginArray().EndArray(); w.EndObject();
class JsonWriter {
public:
    explicit JsonWriter(std::string& out) : out_(out) {}
    JsonWriter& BeginObject() { return Open('{'); }
    JsonWriter& EndObject() { return Close('}'); }
    JsonWriter& BeginArray() { return Open('['); }
    JsonWriter& EndArray() { return Close(']'); }
    // An object member's name; its value follows.
    JsonWriter& Key(std::string_view name) {
        String(name);
        out_ += ':';
        fresh_ = true;
        return *this;
    }
    void String(std::string_view v);
    void Int(std::int64_t v) {
        Separate();
        out_ += std::to_string(v);
    }
    void Bool(bool v) {
        Separate();
        out_ += v ? "true" : "false";
    }
    void Null() {
        Separate();
        out_ += "null";
    }
    // A value already written as JSON text.
    void Raw(std::string_view json) {
        Separate();
        out_ += json;
    }

private:
    void Separate() {
        if (!fresh_) out_ += ',';
        fresh_ = false;
    }
    JsonWriter& Open(char c) {
        Separate();
        out_ += c;
        fresh_ = true;
        return *this;
    }
    JsonWriter& Close(char c) {
        out_ += c;
        fresh_ = false;
        return *this;
    }
    std::string& out_;
    bool fresh_ = true;  // nothing written at this level yet (no comma before the next value)
};

// The server object of ServerDetail written into `w`.
void WriteServerDetail(JsonWriter& w, const ApiRequest& req, const objects::Instance& instance,
                       const ServerViewExtras& extras);

// {"id", "name", "links"}.
Json ServerBasicView(const ApiRequest& req, const objects::Instance& instance);
// The full server of GET /servers/{id} and /servers/detail.
Json ServerDetailView(const ApiRequest& req, const objects::Instance& instance, const ServerViewExtras& extras);
// The server object alone (an element of /servers/detail's list).
Json ServerDetail(const ApiRequest& req, const objects::Instance& instance, const ServerViewExtras& extras);

// Nova's utils.generate_hostid: sha224(project_id + host) in hex, "" without a host.
std::string GenerateHostId(const std::string& host, const std::string& project_id);

// Nova's CONF.instance_name_template ("instance-%08x") of the instance's id; "" without one.
std::string InstanceName(const objects::Instance& instance);

// The filters of GET /servers in the meaning of Nova's InstanceList.get_by_filters.
struct ServerFilters {
    // Columns compared for equality with any of the values (project_id, user_id, image_ref,
    // vm_state, task_state, host, uuid, launch_index, instance_type_id, ...).
    std::map<std::string, std::vector<std::string>> exact;
    // Columns matched with a case-insensitive regular-expression search (SQL REGEXP).
    std::map<std::string, std::string> regex;
    std::optional<WallTime> changes_since;
    std::optional<WallTime> changes_before;
    std::vector<std::string> tags, tags_any, not_tags, not_tags_any;
    std::optional<bool> locked;
    bool match_nothing = false;  // e.g. an unknown flavor, an ip filter without networking
};

// Throws std::regex_error for a pattern the filter cannot compile (the schema checks them).
bool MatchesFilters(const objects::Instance& instance, const std::vector<std::string>& tags,
                    const ServerFilters& filters);

// The value of an instance column as the DB would compare it; nullopt for NULL.
std::optional<std::string> ColumnText(const objects::Instance& instance, const std::string& column);

struct SortKey {
    std::string key;
    bool descending = true;
};
// Nova's process_sort_params: the given keys and dirs (a missing dir repeats the first,
// default desc), then created_at and id unless present. Throws HttpFault(400) for a dir that
// is not asc/desc.
std::vector<SortKey> SortKeys(const std::vector<std::string>& keys, const std::vector<std::string>& dirs);
// <0, 0, >0: whether `a` comes before, with, or after `b` in the order of `keys`.
int CompareInstances(const objects::Instance& a, const objects::Instance& b, const std::vector<SortKey>& keys);
// Orders `instances` by `keys` (NULLs first ascending, as MySQL); uuid breaks the last ties.
void SortInstances(std::vector<const objects::Instance*>& instances, const std::vector<SortKey>& keys);

}  // namespace nova::api::handlers
