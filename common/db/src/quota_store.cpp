#include "nova/db/quota_store.hpp"

#include "nova/common/error.hpp"
#include "object_table.hpp"

namespace nova::db {

namespace {
std::map<std::string, std::int64_t> Limits(const Rows& rows) {
    std::map<std::string, std::int64_t> out;
    for (const auto& row : rows) out[row.String("resource")] = row.OptInt("hard_limit").value_or(-1);
    return out;
}
}  // namespace

void QuotaStore::CreateLimit(const std::string& project_id, const std::string& resource,
                             std::int64_t limit, const std::optional<std::string>& user_id) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        try {
            if (user_id) {
                s.Execute("INSERT INTO `project_user_quotas` (`project_id`, `user_id`, `resource`,"
                          " `hard_limit`, `created_at`) VALUES (?, ?, ?, ?, ?)",
                          {project_id, *user_id, resource, limit, now});
            } else {
                s.Execute("INSERT INTO `quotas` (`project_id`, `resource`, `hard_limit`, `created_at`)"
                          " VALUES (?, ?, ?, ?)",
                          {project_id, resource, limit, now});
            }
        } catch (const DBDuplicateEntry&) {
            throw QuotaExists({{"project_id", project_id}, {"resource", resource}});
        }
    });
}

void QuotaStore::UpdateLimit(const std::string& project_id, const std::string& resource,
                             std::int64_t limit, const std::optional<std::string>& user_id) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        auto matched = user_id
            ? s.Execute("UPDATE `project_user_quotas` SET `hard_limit` = ?, `updated_at` = ?"
                        " WHERE `project_id` = ? AND `user_id` = ? AND `resource` = ?",
                        {limit, now, project_id, *user_id, resource})
            : s.Execute("UPDATE `quotas` SET `hard_limit` = ?, `updated_at` = ?"
                        " WHERE `project_id` = ? AND `resource` = ?",
                        {limit, now, project_id, resource});
        if (matched == 0) throw ProjectQuotaNotFound({{"project_id", project_id}});
    });
}

std::map<std::string, std::int64_t> QuotaStore::GetAllByProject(const std::string& project_id) {
    return Limits(pool_.Query("SELECT `resource`, `hard_limit` FROM `quotas` WHERE `project_id` = ?",
                              {project_id}));
}

std::map<std::string, std::int64_t> QuotaStore::GetAllByProjectAndUser(const std::string& project_id,
                                                                       const std::string& user_id) {
    return Limits(pool_.Query("SELECT `resource`, `hard_limit` FROM `project_user_quotas`"
                              " WHERE `project_id` = ? AND `user_id` = ?",
                              {project_id, user_id}));
}

void QuotaStore::DestroyAllByProject(const std::string& project_id) {
    pool_.Transaction([&](Session& s) {
        s.Execute("DELETE FROM `quotas` WHERE `project_id` = ?", {project_id});
        s.Execute("DELETE FROM `project_user_quotas` WHERE `project_id` = ?", {project_id});
    });
}

void QuotaStore::DestroyAllByProjectAndUser(const std::string& project_id, const std::string& user_id) {
    pool_.Execute("DELETE FROM `project_user_quotas` WHERE `project_id` = ? AND `user_id` = ?", {project_id, user_id});
}

std::map<std::string, std::int64_t> QuotaStore::GetClassLimits(const std::string& class_name) {
    return Limits(pool_.Query("SELECT `resource`, `hard_limit` FROM `quota_classes` WHERE `class_name` = ?",
                              {class_name}));
}

QuotaStore::Levels QuotaStore::GetLevels(const std::string& project_id, const std::string& user_id) {
    auto rows = pool_.Query(
        "SELECT 'class' AS `level`, `resource`, `hard_limit` FROM `quota_classes` WHERE `class_name` = 'default' "
        "UNION ALL SELECT 'project', `resource`, `hard_limit` FROM `quotas` WHERE `project_id` = ? "
        "UNION ALL SELECT 'user', `resource`, `hard_limit` FROM `project_user_quotas` "
        "WHERE `project_id` = ? AND `user_id` = ?",
        {project_id, project_id, user_id});
    Levels levels;
    for (const auto& row : rows) {
        const auto& level = row.String("level");
        auto& into = level == "class" ? levels.default_class : level == "project" ? levels.project : levels.user;
        into[row.String("resource")] = row.OptInt("hard_limit").value_or(-1);
    }
    return levels;
}

void QuotaStore::SetClassLimit(const std::string& class_name, const std::string& resource,
                               std::int64_t limit) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        if (s.Execute("UPDATE `quota_classes` SET `hard_limit` = ?, `updated_at` = ?"
                      " WHERE `class_name` = ? AND `resource` = ?",
                      {limit, now, class_name, resource}) == 0) {
            s.Execute("INSERT INTO `quota_classes` (`class_name`, `resource`, `hard_limit`, `created_at`)"
                      " VALUES (?, ?, ?, ?)",
                      {class_name, resource, limit, now});
        }
    });
}

void QuotaStore::LockProject(Session& s, const std::string& project_id, WallTime now) {
    // An INSERT that finds the row takes its exclusive lock (ON DUPLICATE KEY UPDATE); two
    // first-ever inserts for a project may deadlock, which the pool retries.
    s.Execute("INSERT INTO `quota_usages` (`project_id`, `user_id`, `resource`, `in_use`, `reserved`, `created_at`)"
              " VALUES (?, '', 'instances', 0, 0, ?) ON DUPLICATE KEY UPDATE `updated_at` = ?",
              {project_id, now, now});
}

}  // namespace nova::db
