#pragma once
// A service's row in the `services` table: found or created at start, then kept alive by a
// heartbeat every report_interval (Nova's nova/service.py and its DB servicegroup driver).
//
// Where the row lives is a seam: nova-conductor, nova-scheduler and nova-api write the cell
// database directly (DbServiceRecords in db_service_records.hpp, library nova::service_db);
// nova-compute has no database access and reaches the same operations through the
// conductor's object API (ConductorServiceRecords), so it does not link the DB client.
#include <optional>
#include <string>

#include "nova/common/log.hpp"
#include "nova/objects/service.pb.h"

namespace nova::service {

// Nova's SERVICE_VERSION at Zed (nova/objects/service.py): the RPC and object capabilities a
// service of this release has, which upgrade_levels "auto" pins against.
inline constexpr std::int64_t kServiceVersion = 64;

class ServiceRecords {
public:
    ServiceRecords() = default;
    ServiceRecords(const ServiceRecords&) = delete;
    ServiceRecords& operator=(const ServiceRecords&) = delete;
    virtual ~ServiceRecords() = default;

    virtual std::optional<objects::Service> Find(const std::string& host,
                                                 const std::string& binary) = 0;
    // Throws ServiceBinaryExists / ServiceTopicExists when a sibling created it first.
    virtual void Create(objects::Service& service) = 0;
    // Writes the changed fields; a changed report_count also stamps last_seen_up.
    virtual void Save(objects::Service& service) = 0;
};

// The start of every service: the existing record (its version brought up to
// kServiceVersion) or a new one. Two workers of one service racing to create it both end up
// with the same record.
objects::Service RegisterService(ServiceRecords& records, const std::string& host,
                                 const std::string& binary, const std::string& topic);

// Counts one report per Beat(). A failed report is logged once ("lost") and the next
// successful one says it recovered: a conductor restart must not flood the log, and the
// heartbeat must never stop the service.
class Heartbeat {
public:
    Heartbeat(ServiceRecords& records, objects::Service& service)
        : records_(records), service_(service) {}
    // True when the report was written.
    bool Beat();

private:
    ServiceRecords& records_;
    objects::Service& service_;
    bool disconnected_ = false;
};

}  // namespace nova::service
