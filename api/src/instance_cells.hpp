#pragma once
// Which cell holds a placed instance, remembered by nova-api so that GET /servers/{id} and
// the actions need not read the instance mapping every time. An instance stays in its cell
// (only a cross-cell move changes the mapping, and it hides then deletes the old row), so a
// remembered cell is right until the instance cannot be found there any more: the caller then
// forgets it and reads the mapping again. Bounded: when full it starts over.
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "nova/objects/cell_mapping.pb.h"

namespace nova::api {

class InstanceCellCache {
public:
    explicit InstanceCellCache(std::size_t capacity = 100000) : capacity_(capacity) {}

    std::optional<objects::CellMapping> Find(const std::string& instance_uuid) const {
        std::lock_guard lock(mu_);
        auto it = cell_of_.find(instance_uuid);
        if (it == cell_of_.end()) return std::nullopt;
        return cells_.at(it->second);
    }
    void Remember(const std::string& instance_uuid, const objects::CellMapping& cell) {
        std::lock_guard lock(mu_);
        if (cell_of_.size() >= capacity_) cell_of_.clear();
        cells_[cell.uuid()] = cell;  // the newest copy of the cell's record
        cell_of_[instance_uuid] = cell.uuid();
    }
    void Forget(const std::string& instance_uuid) {
        std::lock_guard lock(mu_);
        cell_of_.erase(instance_uuid);
    }
    std::size_t size() const {
        std::lock_guard lock(mu_);
        return cell_of_.size();
    }

private:
    const std::size_t capacity_;
    mutable std::mutex mu_;
    std::unordered_map<std::string, std::string> cell_of_;   // instance uuid -> cell uuid
    std::map<std::string, objects::CellMapping> cells_;      // cell uuid -> its record
};

}  // namespace nova::api
