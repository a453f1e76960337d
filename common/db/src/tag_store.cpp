#include "nova/db/tag_store.hpp"

#include <algorithm>
#include <set>

#include "nova/common/error.hpp"
#include "object_table.hpp"

namespace nova::db {

namespace {

void CheckInstance(Session& s, const std::string& uuid) {
    if (s.Query("SELECT 1 AS x FROM `instances` WHERE `uuid` = ? AND `deleted` = 0", {uuid}).empty()) {
        throw InstanceNotFound({{"instance_id", uuid}});
    }
}

std::vector<std::string> Read(Session& s, const std::string& uuid) {
    std::vector<std::string> out;
    for (const auto& row : s.Query("SELECT `tag` FROM `tags` WHERE `resource_id` = ? ORDER BY `tag`", {uuid})) {
        out.push_back(row.String("tag"));
    }
    return out;
}

}  // namespace

std::vector<std::string> TagStore::GetByInstance(const std::string& instance_uuid) {
    return pool_.Transaction([&](Session& s) {
        CheckInstance(s, instance_uuid);
        return Read(s, instance_uuid);
    });
}

bool TagStore::Exists(const std::string& instance_uuid, const std::string& tag) {
    return pool_.Transaction([&](Session& s) {
        CheckInstance(s, instance_uuid);
        return !s.Query("SELECT 1 AS x FROM `tags` WHERE `resource_id` = ? AND `tag` = ?", {instance_uuid, tag})
                    .empty();
    });
}

bool TagStore::Add(const std::string& instance_uuid, const std::string& tag) {
    return pool_.Transaction([&](Session& s) {
        CheckInstance(s, instance_uuid);
        return s.Execute("INSERT IGNORE INTO `tags` (`resource_id`, `tag`) VALUES (?, ?)", {instance_uuid, tag}) > 0;
    });
}

std::vector<std::string> TagStore::Set(const std::string& instance_uuid, const std::vector<std::string>& tags) {
    return pool_.Transaction([&](Session& s) {
        CheckInstance(s, instance_uuid);
        const auto existing = Read(s, instance_uuid);
        const std::set<std::string> wanted(tags.begin(), tags.end());
        std::vector<std::string> to_delete;
        for (const auto& t : existing) {
            if (!wanted.contains(t)) to_delete.push_back(t);
        }
        if (!to_delete.empty()) {
            Params params{instance_uuid};
            params.insert(params.end(), to_delete.begin(), to_delete.end());
            s.Execute("DELETE FROM `tags` WHERE `resource_id` = ? AND `tag` IN (" +
                          detail::Placeholders(to_delete.size()) + ")",
                      params);
        }
        std::vector<std::string> to_add;
        for (const auto& t : wanted) {
            if (std::find(existing.begin(), existing.end(), t) == existing.end()) to_add.push_back(t);
        }
        Write(s, instance_uuid, to_add);
        return Read(s, instance_uuid);
    });
}

void TagStore::Delete(const std::string& instance_uuid, const std::string& tag) {
    pool_.Transaction([&](Session& s) {
        CheckInstance(s, instance_uuid);
        if (s.Execute("DELETE FROM `tags` WHERE `resource_id` = ? AND `tag` = ?", {instance_uuid, tag}) == 0) {
            throw InstanceTagNotFound({{"instance_id", instance_uuid}, {"tag", tag}});
        }
    });
}

void TagStore::DeleteAll(const std::string& instance_uuid) {
    pool_.Transaction([&](Session& s) {
        CheckInstance(s, instance_uuid);
        Remove(s, instance_uuid);
    });
}

std::map<std::string, std::vector<std::string>> TagStore::GetByInstances(
    const std::vector<std::string>& instance_uuids) {
    std::map<std::string, std::vector<std::string>> out;
    if (instance_uuids.empty()) return out;
    Params params(instance_uuids.begin(), instance_uuids.end());
    auto rows = pool_.Query("SELECT `resource_id`, `tag` FROM `tags` WHERE `resource_id` IN (" +
                                detail::Placeholders(instance_uuids.size()) + ") ORDER BY `resource_id`, `tag`",
                            params);
    for (const auto& row : rows) out[row.String("resource_id")].push_back(row.String("tag"));
    return out;
}

void TagStore::Write(Session& s, const std::string& instance_uuid, const std::vector<std::string>& tags) {
    if (tags.empty()) return;
    std::string values;
    Params params;
    for (const auto& t : tags) {
        values += values.empty() ? "(?, ?)" : ", (?, ?)";
        params.emplace_back(instance_uuid);
        params.emplace_back(t);
    }
    // IGNORE: a tag given twice (or twice in different case: the collation compares them
    // equal) is stored once.
    s.Execute("INSERT IGNORE INTO `tags` (`resource_id`, `tag`) VALUES " + values, params);
}

void TagStore::Remove(Session& s, const std::string& instance_uuid) {
    s.Execute("DELETE FROM `tags` WHERE `resource_id` = ?", {instance_uuid});
}

}  // namespace nova::db
