#pragma once
// ServiceRecords on the cell database (nova::service_db): how nova-conductor, nova-scheduler
// and nova-api keep their `services` row. A library of its own so that a service without
// database access (nova-compute, which reaches its record through the conductor) does not
// link the MySQL client libraries.
#include <optional>
#include <string>

#include "nova/service/service_record.hpp"

namespace nova::db {
class ServiceStore;
}

namespace nova::service {

class DbServiceRecords final : public ServiceRecords {
public:
    explicit DbServiceRecords(db::ServiceStore& store) : store_(store) {}
    std::optional<objects::Service> Find(const std::string& host, const std::string& binary) override;
    void Create(objects::Service& service) override;
    void Save(objects::Service& service) override;

private:
    db::ServiceStore& store_;
};

}  // namespace nova::service
