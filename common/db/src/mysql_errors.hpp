#pragma once
// Translation of MySQL/MariaDB errors into Nova's (oslo.db's) exception types, at the seam.
#include <cppconn/exception.h>

#include <string_view>

namespace nova::db::detail {

enum class ErrorKind { kDuplicate, kDeadlock, kConnection, kOther };

ErrorKind Classify(int mysql_error_code, std::string_view message);

// Throws DBDuplicateEntry, DBDeadlock, DBConnectionError or DBError for `e`; `what` says which
// operation failed (never the parameters: they may hold secrets).
[[noreturn]] void Rethrow(const sql::SQLException& e, std::string_view what);

}  // namespace nova::db::detail
