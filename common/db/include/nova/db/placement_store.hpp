#pragma once
// The placement tables (API database): resource providers with generations, their
// inventories, consumers and allocations. The scheduler's claim logic is built on
// ReplaceAllocations: every write to a provider or consumer checks and bumps its generation
// in the same transaction, so two schedulers racing for the same capacity cannot both win.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/db/pool.hpp"
#include "nova/objects/placement.pb.h"

namespace nova::db {

class PlacementStore {
public:
    PlacementStore(Pool& api, const Clock& clock) : pool_(api), clock_(clock) {}

    // Creates a provider at generation 0 (its own root unless parent_provider_uuid is set).
    void CreateProvider(objects::ResourceProvider& provider);
    objects::ResourceProvider GetProvider(const std::string& uuid);  // ResourceProviderNotFound
    std::vector<objects::ResourceProvider> GetProviders();
    // ResourceProviderInUse while it has allocations.
    void DeleteProvider(const std::string& uuid);

    // Replaces the provider's inventory if its generation is still `provider.generation()`;
    // bumps it (and updates `provider`). ResourceProviderUpdateConflict otherwise.
    void SetInventories(objects::ResourceProvider& provider,
                        const std::vector<objects::Inventory>& inventories);
    std::vector<objects::Inventory> GetInventories(const std::string& provider_uuid);

    // Replaces every allocation of the consumer (an instance) with `allocations`, each naming
    // its provider (uuid and the generation the caller saw) and resource class. The consumer's
    // generation must be `consumer_generation` (nullopt: the consumer must be new). Capacity
    // is not checked here: that is the scheduler's claim, done before calling this.
    void ReplaceAllocations(const objects::Consumer& consumer,
                            std::optional<std::int64_t> consumer_generation,
                            const std::vector<objects::Allocation>& allocations);
    std::vector<objects::Allocation> GetAllocationsForConsumer(const std::string& consumer_uuid);
    std::vector<objects::Allocation> GetAllocationsForProvider(const std::string& provider_uuid);
    // Resource class -> amount used on the provider.
    std::map<std::string, std::int64_t> GetUsages(const std::string& provider_uuid);
    void DeleteAllocations(const std::string& consumer_uuid);

private:
    Pool& pool_;
    const Clock& clock_;
};

}  // namespace nova::db
