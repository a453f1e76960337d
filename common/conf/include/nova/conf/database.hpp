#pragma once
// [database] and [api_database]. Names and defaults are Nova's (nova/conf, Zed) and oslo's.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nova/conf/schema.hpp"

namespace nova::conf {

// [database] (cell DB) and [api_database]: oslo.db's options.
struct DatabaseOptions {
    static constexpr std::string_view kGroup = "database";
    static constexpr std::string_view kHelp = "Database connection (oslo.db's names).";
    std::optional<std::string> connection;
    int max_pool_size;
    int max_overflow;
    int pool_timeout;
    int max_retries;
    int retry_interval;
    int connection_recycle_time;
    int db_max_retries;
    int db_retry_interval;
    bool db_inc_retry_interval;
    int db_max_retry_interval;
    static void Declare(Schema<DatabaseOptions>& s);
};

}  // namespace nova::conf
