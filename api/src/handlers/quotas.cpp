#include "quotas.hpp"

namespace nova::api::handlers {

std::map<std::string, std::int64_t> QuotaLimits::Defaults() {
    auto limits = defaults_;
    for (const auto& [resource, limit] : store_.GetClassLimits("default")) {
        if (limits.contains(resource)) limits[resource] = limit;
    }
    return limits;
}

std::map<std::string, std::int64_t> QuotaLimits::ForProject(const std::string& project_id,
                                                            const std::optional<std::string>& user_id) {
    auto limits = Defaults();
    for (const auto& [resource, limit] : store_.GetAllByProject(project_id)) {
        if (limits.contains(resource)) limits[resource] = limit;
    }
    if (user_id) {
        for (const auto& [resource, limit] : store_.GetAllByProjectAndUser(project_id, *user_id)) {
            if (limits.contains(resource)) limits[resource] = limit;
        }
    }
    return limits;
}

}  // namespace nova::api::handlers
