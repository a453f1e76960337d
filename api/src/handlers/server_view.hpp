#pragma once
// The pure parts of the servers API: the server views of nova/api/openstack/compute/views/
// servers.py per microversion, and GET /servers' filtering and sorting (Nova's DB filters:
// exact columns, REGEXP columns, status, changes-since/-before, tags, locked).
#include <chrono>
#include <map>
#include <optional>
#include <string>
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

// {"id", "name", "links"}.
Json ServerBasicView(const ApiRequest& req, const objects::Instance& instance);
// The full server of GET /servers/{id} and /servers/detail.
Json ServerDetailView(const ApiRequest& req, const objects::Instance& instance, const ServerViewExtras& extras);

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
