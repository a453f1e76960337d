#include "nova/service/db_service_records.hpp"

#include "nova/common/error.hpp"
#include "nova/db/service_store.hpp"

namespace nova::service {

std::optional<objects::Service> DbServiceRecords::Find(const std::string& host,
                                                       const std::string& binary) {
    try {
        return store_.GetByHostAndBinary(host, binary);
    } catch (const HostBinaryNotFound&) {
        return std::nullopt;
    }
}

void DbServiceRecords::Create(objects::Service& service) { store_.Create(service); }

void DbServiceRecords::Save(objects::Service& service) { store_.Save(service); }

}  // namespace nova::service
