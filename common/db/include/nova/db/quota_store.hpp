#pragma once
// Quota limits (API database): per project, per project and user, and per quota class.
// Usage is counted from the resources themselves, as Nova does since Pike. quota_usages (the
// table of Nova's reservation-based quotas before Pike) holds one row per project that
// serialises creates: see LockProject.
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
    // The limits a request of one user sees, in one statement: the `default` class's, the
    // project's and the user's own rows.
    struct Levels {
        std::map<std::string, std::int64_t> default_class, project, user;
    };
    Levels GetLevels(const std::string& project_id, const std::string& user_id);
    void SetClassLimit(const std::string& class_name, const std::string& resource, std::int64_t limit);

    // Takes the project's quota lock inside the caller's transaction on the API database: an
    // exclusive row lock on the project's `quota_usages` row (resource "instances", user_id
    // ''), created on first use. Another transaction that asks for it waits until this one
    // commits or rolls back, in this process or any other, so "count, check, write the
    // BuildRequests" runs once at a time per project and the next count sees the writes. The
    // row carries no usage (in_use and reserved stay 0); updated_at is the last lock time.
    // Must be the transaction's first read, so that its later reads see what the previous
    // holder committed.
    static void LockProject(Session& s, const std::string& project_id, WallTime now);

private:
    Pool& pool_;
    const Clock& clock_;
};

}  // namespace nova::db
