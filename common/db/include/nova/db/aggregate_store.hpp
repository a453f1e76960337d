#pragma once
// Host aggregates (API database) with their hosts and metadata (availability zones are the
// metadata key "availability_zone", as in Nova).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/db/pool.hpp"
#include "nova/objects/aggregate.pb.h"

namespace nova::db {

class AggregateStore {
public:
    AggregateStore(Pool& api, const Clock& clock) : pool_(api), clock_(clock) {}
    void Create(objects::Aggregate& aggregate);  // AggregateNameExists; metadata and hosts too
    objects::Aggregate GetById(std::int64_t id);  // AggregateNotFound
    objects::Aggregate GetByUuid(const std::string& uuid);
    std::vector<objects::Aggregate> GetAll();
    // The aggregates `host` is in, optionally only those having metadata `key`.
    std::vector<objects::Aggregate> GetByHost(const std::string& host,
                                              std::optional<std::string> key = std::nullopt);
    void AddHost(std::int64_t id, const std::string& host);     // AggregateHostExists
    void DeleteHost(std::int64_t id, const std::string& host);  // AggregateHostNotFound
    // Sets keys to values; a nullopt value removes the key (Nova's update_metadata).
    void UpdateMetadata(std::int64_t id,
                        const std::map<std::string, std::optional<std::string>>& updates);
    void Save(objects::Aggregate& aggregate);  // the name
    void Destroy(std::int64_t id);

private:
    Pool& pool_;
    const Clock& clock_;
};

}  // namespace nova::db
