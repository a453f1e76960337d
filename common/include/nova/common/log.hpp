#pragma once
// Logging on spdlog in oslo.log's line shape:
//   2026-11-25 08:53:12.185 4242 INFO nova.compute.manager [None req-6255f322-... admin admin - - -] [instance: 7976944f-...] Took 0.06 seconds to spawn
// i.e. time, pid, level, logger name, [global_request_id request_id user_identity] or [-]
// without a context, the instance (when known), the message.
//
// One named logger per module ("nova.rpc.amqp", "nova.compute.manager"), through the
// NOVA_LOG_* macros, which take the logger, a scope (a RequestContext, log::WithInstance or
// log::kNoContext) and a fmt format string with its arguments. Never log tokens or passwords.
#include <spdlog/spdlog.h>

#include <string>
#include <string_view>
#include <vector>

#include "nova/common/context.hpp"

namespace nova::log {

// [DEFAULT] logging options, oslo.log's names (declared in nova::conf).
struct Options {
    bool debug = false;
    std::string log_file;  // a path, or a name relative to log_dir
    std::string log_dir;
    bool use_stderr = false;   // also write to stderr when logging to a file
    std::vector<std::string> default_log_levels;  // "logger.name=LEVEL", prefix-matched
};

// Configures the process-wide sink and levels. Without a log file, lines go to stderr.
void Setup(std::string_view program, const Options& options);
// SIGHUP: reopens the log file (after logrotate moved it) and applies levels again.
void Reload(const Options& options);
// The logger named `name`, created on first use with the configured sink and level.
spdlog::logger& Get(std::string_view name);

struct NoContext {};
inline constexpr NoContext kNoContext{};

struct WithInstance {
    const RequestContext* context;  // may be null
    std::string_view instance_uuid;
};

std::string Prefix(NoContext);
std::string Prefix(const RequestContext& context);
std::string Prefix(const WithInstance& scope);

}  // namespace nova::log

#define NOVA_LOG_AT_(lvl, lg_, scope, ...)                                             \
    do {                                                                                  \
        ::spdlog::logger& nova_log_l_ = (lg_);                                         \
        if (nova_log_l_.should_log(lvl)) {                                                \
            nova_log_l_.log(lvl, "{}{}", ::nova::log::Prefix(scope), ::fmt::format(__VA_ARGS__)); \
        }                                                                                 \
    } while (0)

#define NOVA_LOG_DEBUG(lg_, scope, ...) NOVA_LOG_AT_(::spdlog::level::debug, lg_, scope, __VA_ARGS__)
#define NOVA_LOG_INFO(lg_, scope, ...) NOVA_LOG_AT_(::spdlog::level::info, lg_, scope, __VA_ARGS__)
#define NOVA_LOG_WARN(lg_, scope, ...) NOVA_LOG_AT_(::spdlog::level::warn, lg_, scope, __VA_ARGS__)
#define NOVA_LOG_ERROR(lg_, scope, ...) NOVA_LOG_AT_(::spdlog::level::err, lg_, scope, __VA_ARGS__)
#define NOVA_LOG_CRITICAL(lg_, scope, ...) \
    NOVA_LOG_AT_(::spdlog::level::critical, lg_, scope, __VA_ARGS__)
