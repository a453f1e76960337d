#pragma once
// Quota limits as Nova's DbQuotaDriver reads them: a user's own limit, else the project's,
// else the `default` quota class's, else [quota] <resource> from nova.conf. -1 is unlimited.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "nova/db/quota_store.hpp"

namespace nova::api::handlers {

class QuotaLimits {
public:
    QuotaLimits(db::Pool& api, const Clock& clock, const std::map<std::string, std::int64_t>& defaults)
        : store_(api, clock), defaults_(defaults) {}

    // Defaults: the `default` class over nova.conf.
    std::map<std::string, std::int64_t> Defaults();
    // The project's limits (defaults overridden by the project's rows); with a user, the
    // user's rows override those.
    std::map<std::string, std::int64_t> ForProject(const std::string& project_id,
                                                   const std::optional<std::string>& user_id = std::nullopt);
    // ForProject(project_id, user_id) read in one statement, and whether the user has limits
    // of its own for instances, cores or ram (Nova then counts that user's usage only).
    struct ForUserResult {
        std::map<std::string, std::int64_t> limits;
        bool per_user_instances = false;
    };
    ForUserResult ForUser(const std::string& project_id, const std::string& user_id);
    db::QuotaStore& store() { return store_; }
    const std::map<std::string, std::int64_t>& config_defaults() const { return defaults_; }

private:
    db::QuotaStore store_;
    const std::map<std::string, std::int64_t>& defaults_;
};

struct HandlerDeps;

// What a project (or one of its users) uses now, counted from the resources as Nova's
// DbQuotaDriver does: instances, cores and ram from the cells' instances (not deleted, not
// soft-deleted), key pairs of the user (of the caller when counting a project),
// server groups of the project. Other resources count 0.
std::map<std::string, std::int64_t> QuotaUsage(HandlerDeps& deps, const std::string& project_id,
                                               const std::optional<std::string>& user_id,
                                               const std::string& keypair_user);

}  // namespace nova::api::handlers
