#include "mysql_errors.hpp"

#include <string>

#include "nova/common/error.hpp"

namespace nova::db::detail {

ErrorKind Classify(int code, std::string_view message) {
    switch (code) {
        case 1062:  // ER_DUP_ENTRY
        case 1586:  // ER_DUP_ENTRY_WITH_KEY_NAME
            return ErrorKind::kDuplicate;
        case 1213:  // ER_LOCK_DEADLOCK
        case 1205:  // ER_LOCK_WAIT_TIMEOUT (oslo.db treats it as a deadlock too)
            return ErrorKind::kDeadlock;
        case 1040:  // ER_CON_COUNT_ERROR: too many connections
        case 1053:  // ER_SERVER_SHUTDOWN
        case 1077:  // ER_NORMAL_SHUTDOWN
        case 1927:  // ER_CONNECTION_KILLED (MariaDB)
        case 2002:  // CR_CONNECTION_ERROR (socket)
        case 2003:  // CR_CONN_HOST_ERROR
        case 2006:  // CR_SERVER_GONE_ERROR
        case 2013:  // CR_SERVER_LOST
        case 2026:  // CR_SSL_CONNECTION_ERROR
        case 2055:  // CR_SERVER_LOST_EXTENDED
        case 4031:  // ER_CLIENT_INTERACTION_TIMEOUT
            return ErrorKind::kConnection;
        default:
            break;
    }
    // The connector reports some connection failures without a server error code.
    if (message.find("gone away") != std::string_view::npos ||
        message.find("Lost connection") != std::string_view::npos ||
        message.find("Can't connect") != std::string_view::npos ||
        message.find("Connection refused") != std::string_view::npos) {
        return ErrorKind::kConnection;
    }
    return ErrorKind::kOther;
}

void Rethrow(const sql::SQLException& e, std::string_view what) {
    std::string reason = std::string(what) + ": (" + std::to_string(e.getErrorCode()) + ", '" +
                         e.what() + "')";
    switch (Classify(e.getErrorCode(), e.what())) {
        case ErrorKind::kDuplicate:
            throw DBDuplicateEntry({{"reason", reason}});
        case ErrorKind::kDeadlock:
            throw DBDeadlock({{"reason", reason}});
        case ErrorKind::kConnection:
            throw DBConnectionError({{"reason", reason}});
        case ErrorKind::kOther:
            break;
    }
    throw DBError({{"reason", reason}});
}

}  // namespace nova::db::detail
