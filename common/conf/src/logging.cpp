#include "nova/conf/logging.hpp"

namespace nova::conf {

void LoggingOptions::Declare(Schema<LoggingOptions>& s) {
    s.Opt("debug", &LoggingOptions::debug, false,
          "Log at DEBUG instead of INFO. Re-read on SIGHUP.")
        .Reloadable();
    s.Opt("log_file", &LoggingOptions::log_file, std::string(),
          "Log to this file (relative paths are under log_dir). Empty: log to stderr. The file "
          "is reopened on SIGHUP, for logrotate.");
    s.Opt("log_dir", &LoggingOptions::log_dir, std::string(),
          "Base directory for a relative log_file.");
    s.Opt("use_stderr", &LoggingOptions::use_stderr, false,
          "Also log to stderr when log_file is set.");
    s.Opt("default_log_levels", &LoggingOptions::default_log_levels, std::vector<std::string>{},
          "Per-logger levels as logger=LEVEL (DEBUG, INFO, WARNING, ERROR, CRITICAL); a logger "
          "name also sets its children (nova.rpc=WARNING covers nova.rpc.amqp). Re-read on "
          "SIGHUP.")
        .Reloadable();
}

}  // namespace nova::conf
