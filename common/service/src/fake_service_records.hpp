#pragma once
// ServiceRecords kept in memory, for unit tests; can be told to fail or to lose a race.
#include <map>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "nova/common/error.hpp"
#include "nova/objects/object.hpp"
#include "nova/service/service_record.hpp"

namespace nova::service::testing {

class FakeServiceRecords final : public ServiceRecords {
public:
    std::optional<objects::Service> Find(const std::string& host, const std::string& binary) override {
        std::lock_guard lock(mutex_);
        auto it = rows_.find({host, binary});
        if (it == rows_.end()) return std::nullopt;
        return it->second;
    }
    void Create(objects::Service& service) override {
        std::lock_guard lock(mutex_);
        if (sibling_wins_create) {
            // Another worker inserted the row just before us.
            objects::Service sibling = service;
            sibling.set_id(next_id_++);
            rows_[{service.host(), service.binary()}] = sibling;
            throw ServiceBinaryExists({{"host", service.host()}, {"binary", service.binary()}});
        }
        service.set_id(next_id_++);
        objects::ResetChanges(service, true);
        rows_[{service.host(), service.binary()}] = service;
    }
    void Save(objects::Service& service) override {
        std::lock_guard lock(mutex_);
        if (fail_saves) throw std::runtime_error("conductor unreachable");
        ++saves;
        rows_[{service.host(), service.binary()}] = service;
        objects::ResetChanges(service, true);
    }
    objects::Service Stored(const std::string& host, const std::string& binary) {
        std::lock_guard lock(mutex_);
        return rows_.at({host, binary});
    }

    bool sibling_wins_create = false;
    bool fail_saves = false;
    int saves = 0;

private:
    std::mutex mutex_;
    std::map<std::pair<std::string, std::string>, objects::Service> rows_;
    std::int64_t next_id_ = 1;
};

}  // namespace nova::service::testing
