#pragma once
// Server tags in a cell database (Nova's `tags` table and its instance_tag_* DB API): plain
// strings keyed by the instance uuid (resource_id), no soft delete. Every call but
// GetByInstances first checks that the instance is there and not deleted (InstanceNotFound
// otherwise), as Nova's _check_instance_exists_in_project; the API has checked the project.
// Tags compare as the table's collation does (case-insensitively, as on Nova's MySQL).
#include <map>
#include <string>
#include <vector>

#include "nova/db/pool.hpp"
#include "nova/db/session.hpp"

namespace nova::db {

class TagStore {
public:
    explicit TagStore(Pool& cell) : pool_(cell) {}

    // The instance's tags, ordered by tag.
    std::vector<std::string> GetByInstance(const std::string& instance_uuid);
    bool Exists(const std::string& instance_uuid, const std::string& tag);
    // Adds one tag; false when the instance had it already (instance_tag_add ignores the
    // duplicate).
    bool Add(const std::string& instance_uuid, const std::string& tag);
    // Replaces the instance's tags with `tags` (deleting the others, adding the new ones, as
    // instance_tag_set) and returns them as stored, ordered by tag.
    std::vector<std::string> Set(const std::string& instance_uuid, const std::vector<std::string>& tags);
    // InstanceTagNotFound when the instance has no such tag.
    void Delete(const std::string& instance_uuid, const std::string& tag);
    void DeleteAll(const std::string& instance_uuid);

    // The tags of several instances (any state) in one query: uuid -> tags ordered by tag;
    // instances without tags are absent.
    std::map<std::string, std::vector<std::string>> GetByInstances(const std::vector<std::string>& instance_uuids);

    // Within a transaction of the cell database: the tags written without checks (the
    // conductor creating an instance), and removed with the instance (instance_destroy).
    static void Write(Session& s, const std::string& instance_uuid, const std::vector<std::string>& tags);
    static void Remove(Session& s, const std::string& instance_uuid);

private:
    Pool& pool_;
};

}  // namespace nova::db
