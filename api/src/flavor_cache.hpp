#pragma once
// Flavors by flavorid as the creates of one nova-api process read them (three queries in a
// transaction per read before). A flavor changed through this process (a write of
// db::FlavorStore: create, update, delete, extra specs, access) is read again at once; one
// changed by another process (another nova-api, a script on the database) is seen within
// the TTL, a few seconds, like a create that arrived just before the change. Flavors that
// are not found are not kept.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "nova/common/clock.hpp"
#include "nova/db/flavor_store.hpp"
#include "nova/objects/flavor.pb.h"

namespace nova::api {

class FlavorCache {
public:
    explicit FlavorCache(std::chrono::steady_clock::duration ttl = std::chrono::seconds(5), std::size_t capacity = 1000)
        : ttl_(ttl), capacity_(capacity) {}

    objects::Flavor Get(db::Pool& api, const Clock& clock, const std::string& flavorid) {
        const auto generation = db::FlavorStore::Generation();
        const auto now = std::chrono::steady_clock::now();
        {
            std::lock_guard lock(mu_);
            if (auto it = entries_.find(flavorid); it != entries_.end() && it->second.generation == generation &&
                                                   now - it->second.loaded < ttl_) {
                return it->second.flavor;
            }
        }
        // Read outside the lock; a write of this process meanwhile leaves it with an old
        // generation, so it is not served again.
        auto flavor = db::FlavorStore(api, clock).GetByFlavorId(flavorid);
        std::lock_guard lock(mu_);
        if (entries_.size() >= capacity_) entries_.clear();
        entries_[flavorid] = {flavor, generation, now};
        return flavor;
    }

private:
    struct Entry {
        objects::Flavor flavor;
        std::uint64_t generation = 0;
        std::chrono::steady_clock::time_point loaded;
    };
    const std::chrono::steady_clock::duration ttl_;
    const std::size_t capacity_;
    std::mutex mu_;
    std::map<std::string, Entry> entries_;
};

}  // namespace nova::api
