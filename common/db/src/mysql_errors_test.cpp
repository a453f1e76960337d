#include "mysql_errors.hpp"

#include <doctest/doctest.h>

#include "nova/common/error.hpp"

using namespace nova;
using namespace nova::db::detail;

TEST_CASE("MySQL errors become oslo.db's exception types") {
    CHECK(Classify(1062, "Duplicate entry 'x' for key 'uniq'") == ErrorKind::kDuplicate);
    CHECK(Classify(1213, "Deadlock found") == ErrorKind::kDeadlock);
    CHECK(Classify(1205, "Lock wait timeout exceeded") == ErrorKind::kDeadlock);
    CHECK(Classify(2006, "MySQL server has gone away") == ErrorKind::kConnection);
    CHECK(Classify(2013, "Lost connection to MySQL server during query") == ErrorKind::kConnection);
    CHECK(Classify(0, "MySQL server has gone away") == ErrorKind::kConnection);
    CHECK(Classify(1146, "Table 'nova.x' doesn't exist") == ErrorKind::kOther);

    CHECK_THROWS_AS(Rethrow(sql::SQLException("dup", "23000", 1062), "insert"), DBDuplicateEntry);
    CHECK_THROWS_AS(Rethrow(sql::SQLException("dl", "40001", 1213), "update"), DBDeadlock);
    CHECK_THROWS_AS(Rethrow(sql::SQLException("gone", "HY000", 2006), "query"), DBConnectionError);
    CHECK_THROWS_AS(Rethrow(sql::SQLException("syntax", "42000", 1064), "query"), DBError);
    try {
        Rethrow(sql::SQLException("Deadlock found", "40001", 1213), "update instances");
    } catch (const DBDeadlock& e) {
        CHECK(e.retryable());
        CHECK(std::string(e.what()).find("update instances") != std::string::npos);
    }
}
