#pragma once
// Quota limits (API database): per project, per project and user, and per quota class.
// Usage is counted from the resources themselves, as Nova does since Pike; quota_usages
// exists in the schema for counting that is not (yet) done that way.
#include <map>
#include <optional>
#include <string>

#include "nova/common/clock.hpp"
#include "nova/db/pool.hpp"

namespace nova::db {

class QuotaStore {
public:
    QuotaStore(Pool& api, const Clock& clock) : pool_(api), clock_(clock) {}
    // QuotaExists when the limit is set already.
    void CreateLimit(const std::string& project_id, const std::string& resource, std::int64_t limit,
                     const std::optional<std::string>& user_id = std::nullopt);
    // ProjectQuotaNotFound when there is no such limit.
    void UpdateLimit(const std::string& project_id, const std::string& resource, std::int64_t limit,
                     const std::optional<std::string>& user_id = std::nullopt);
    std::map<std::string, std::int64_t> GetAllByProject(const std::string& project_id);
    std::map<std::string, std::int64_t> GetAllByProjectAndUser(const std::string& project_id,
                                                               const std::string& user_id);
    void DestroyAllByProject(const std::string& project_id);
    // One user's limits in a project (the project's own stay).
    void DestroyAllByProjectAndUser(const std::string& project_id, const std::string& user_id);
    std::map<std::string, std::int64_t> GetClassLimits(const std::string& class_name = "default");
    void SetClassLimit(const std::string& class_name, const std::string& resource, std::int64_t limit);

private:
    Pool& pool_;
    const Clock& clock_;
};

}  // namespace nova::db
