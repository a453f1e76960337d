#include "nova/conf/database.hpp"

namespace nova::conf {

void DatabaseOptions::Declare(Schema<DatabaseOptions>& s) {
    s.Opt("connection", &DatabaseOptions::connection,
          "SQLAlchemy-style URL of the database: "
          "mysql+pymysql://user:pass@host:port/db?charset=utf8, or "
          "mysql+pymysql://user:pass@/db?unix_socket=/path/mysqld.sock.")
        .Secret();
    s.Opt("max_pool_size", &DatabaseOptions::max_pool_size, 5,
          "Connections kept open in the pool.")
        .Min(1);
    s.Opt("max_overflow", &DatabaseOptions::max_overflow, 50,
          "Extra connections the pool may open under load, closed when returned.")
        .Min(0);
    s.Opt("pool_timeout", &DatabaseOptions::pool_timeout, 30,
          "Seconds to wait for a free connection before failing.")
        .Min(1);
    s.Opt("max_retries", &DatabaseOptions::max_retries, 10,
          "Connection attempts at startup; -1 retries forever.")
        .Min(-1);
    s.Opt("retry_interval", &DatabaseOptions::retry_interval, 10,
          "Seconds between connection attempts at startup.")
        .Min(0);
    s.Opt("connection_recycle_time", &DatabaseOptions::connection_recycle_time, 3600,
          "Connections older than this many seconds are replaced when next used.")
        .Min(1);
    s.Opt("db_max_retries", &DatabaseOptions::db_max_retries, 20,
          "Retries of a transaction that hit a deadlock or a lost connection; -1 retries "
          "forever.")
        .Min(-1);
    s.Opt("db_retry_interval", &DatabaseOptions::db_retry_interval, 1,
          "Seconds before the first retry of a failed transaction.")
        .Min(0);
    s.Opt("db_inc_retry_interval", &DatabaseOptions::db_inc_retry_interval, true,
          "Double the wait after each failed retry.");
    s.Opt("db_max_retry_interval", &DatabaseOptions::db_max_retry_interval, 10,
          "Longest wait between retries, in seconds.")
        .Min(0);
}

}  // namespace nova::conf
