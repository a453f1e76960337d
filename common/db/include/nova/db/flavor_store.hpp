#pragma once
// Flavors in the API database, with their extra specs and project access.
#include <cstdint>
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/db/pool.hpp"
#include "nova/objects/flavor.pb.h"

namespace nova::db {

class FlavorStore {
public:
    FlavorStore(Pool& api, const Clock& clock) : pool_(api), clock_(clock) {}
    // Throws FlavorExists (name) or FlavorIdExists (flavorid).
    void Create(objects::Flavor& flavor);
    objects::Flavor GetById(std::int64_t id);                     // FlavorNotFound
    objects::Flavor GetByFlavorId(const std::string& flavorid);   // FlavorNotFound
    objects::Flavor GetByName(const std::string& name);           // FlavorNotFoundByName
    // Ordered by flavorid; `public_only` leaves out private flavors.
    std::vector<objects::Flavor> GetAll(bool public_only = false);
    // Writes changed columns, extra_specs (added, changed and removed keys) and projects.
    void Save(objects::Flavor& flavor);
    void Destroy(const std::string& flavorid);
    void AddAccess(const std::string& flavorid, const std::string& project_id);     // FlavorAccessExists
    void RemoveAccess(const std::string& flavorid, const std::string& project_id);  // FlavorAccessNotFound
    // Counts the writes above made by this process (each counted once committed or failed):
    // a cache of flavors read before a change sees it by a different value.
    static std::uint64_t Generation();

private:
    Pool& pool_;
    const Clock& clock_;
};

}  // namespace nova::db
