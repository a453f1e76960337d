#include "nova/db/instance_group_store.hpp"

#include <algorithm>
#include <map>

#include "nova/common/error.hpp"
#include "object_table.hpp"

namespace nova::db {

using detail::Placeholders;

namespace {

const detail::ObjectTable& Groups() {
    static const detail::ObjectTable t("instance_groups", *objects::InstanceGroup::descriptor(),
                                       {"id", "user_id", "project_id", "uuid", "name",
                                        "created_at", "updated_at"});
    return t;
}

std::vector<objects::InstanceGroup> Load(Session& s, const std::string& where, const Params& params) {
    auto list = detail::LoadAll<objects::InstanceGroup>(Groups(), s.Query(Groups().Select(where), params));
    if (list.empty()) return list;
    std::map<std::int64_t, objects::InstanceGroup*> by_id;
    Params ids;
    for (auto& g : list) {
        by_id[g.id()] = &g;
        ids.emplace_back(g.id());
        objects::SetEmpty(g, "members");
        objects::SetEmpty(g, "_rules");
        objects::SetNull(g, "policy");
    }
    const std::string in = " IN (" + Placeholders(ids.size()) + ")";
    for (const auto& row : s.Query("SELECT `group_id`, `policy`, `rules` FROM `instance_group_policy`"
                                   " WHERE `group_id`" + in + " ORDER BY `id`", ids)) {
        auto* g = by_id.at(row.Int("group_id"));
        if (auto policy = row.OptString("policy")) g->set_policy(*policy);
        if (auto rules = row.OptString("rules")) {
            auto json = Json::parse(*rules, nullptr, false);
            if (json.is_object()) objects::FieldFromPrimitive(*g, "_rules", json);
        }
    }
    for (const auto& row : s.Query("SELECT `group_id`, `instance_uuid` FROM `instance_group_member`"
                                   " WHERE `group_id`" + in + " ORDER BY `id`", ids)) {
        by_id.at(row.Int("group_id"))->add_members(row.String("instance_uuid"));
    }
    for (auto& g : list) objects::ResetChanges(g);
    return list;
}

objects::InstanceGroup One(std::vector<objects::InstanceGroup> list, const std::string& key) {
    if (list.empty()) throw InstanceGroupNotFound({{"group_uuid", key}});
    return std::move(list.front());
}

}  // namespace

void InstanceGroupStore::Create(objects::InstanceGroup& group) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        try {
            group.set_id(Groups().Insert(s, group, now));
        } catch (const DBDuplicateEntry&) {
            throw InstanceGroupIdExists({{"group_uuid", group.uuid()}});
        }
        if (group.has_policy()) {
            s.Execute("INSERT INTO `instance_group_policy` (`group_id`, `policy`, `rules`, `created_at`)"
                      " VALUES (?, ?, ?, ?)",
                      {group.id(), group.policy(),
                       group._rules().empty() ? Param(nullptr)
                                              : Param(objects::FieldToPrimitive(group, "_rules").dump()),
                       now});
        }
        for (const auto& m : group.members()) {
            s.Execute("INSERT INTO `instance_group_member` (`group_id`, `instance_uuid`, `created_at`)"
                      " VALUES (?, ?, ?)",
                      {group.id(), m, now});
        }
    });
    objects::ResetChanges(group);
}

objects::InstanceGroup InstanceGroupStore::GetByUuid(const std::string& uuid) {
    return pool_.Transaction([&](Session& s) { return One(Load(s, "WHERE `uuid` = ?", {uuid}), uuid); });
}

objects::InstanceGroup InstanceGroupStore::GetByName(const std::string& project_id, const std::string& name) {
    return pool_.Transaction([&](Session& s) {
        return One(Load(s, "WHERE `project_id` = ? AND `name` = ?", {project_id, name}), name);
    });
}

objects::InstanceGroup InstanceGroupStore::GetByInstanceUuid(const std::string& instance_uuid) {
    return pool_.Transaction([&](Session& s) {
        return One(Load(s, "WHERE `id` IN (SELECT `group_id` FROM `instance_group_member`"
                           " WHERE `instance_uuid` = ?)",
                        {instance_uuid}),
                   instance_uuid);
    });
}

std::vector<objects::InstanceGroup> InstanceGroupStore::GetByProject(const std::string& project_id) {
    return pool_.Transaction([&](Session& s) { return Load(s, "WHERE `project_id` = ? ORDER BY `id`", {project_id}); });
}

std::vector<objects::InstanceGroup> InstanceGroupStore::GetAll() {
    return pool_.Transaction([&](Session& s) { return Load(s, "ORDER BY `id`", {}); });
}

std::vector<std::string> InstanceGroupStore::AddMembers(const std::string& uuid,
                                                        const std::vector<std::string>& instance_uuids) {
    auto now = detail::FloorNow(clock_);
    return pool_.Transaction([&](Session& s) {
        auto group = One(Load(s, "WHERE `uuid` = ? FOR UPDATE", {uuid}), uuid);
        std::vector<std::string> added;
        for (const auto& m : instance_uuids) {
            if (std::find(group.members().begin(), group.members().end(), m) != group.members().end() ||
                std::find(added.begin(), added.end(), m) != added.end()) {
                continue;
            }
            s.Execute("INSERT INTO `instance_group_member` (`group_id`, `instance_uuid`, `created_at`)"
                      " VALUES (?, ?, ?)",
                      {group.id(), m, now});
            added.push_back(m);
        }
        return added;
    });
}

void InstanceGroupStore::Destroy(const std::string& uuid) {
    pool_.Transaction([&](Session& s) {
        auto rows = s.Query("SELECT `id` FROM `instance_groups` WHERE `uuid` = ?", {uuid});
        if (rows.empty()) throw InstanceGroupNotFound({{"group_uuid", uuid}});
        auto id = rows.front().Int("id");
        s.Execute("DELETE FROM `instance_group_policy` WHERE `group_id` = ?", {id});
        s.Execute("DELETE FROM `instance_group_member` WHERE `group_id` = ?", {id});
        s.Execute("DELETE FROM `instance_groups` WHERE `id` = ?", {id});
    });
}

}  // namespace nova::db
