#pragma once
// The option groups every service shares. Names and defaults are Nova's (nova/conf/*.py at
// Zed) and oslo's (oslo.messaging 14, oslo.db, oslo.log) so that an existing nova.conf works.
// A service's own groups ([scheduler], [libvirt], [api], ...) sit in their own headers here.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nova/common/log.hpp"
#include "nova/conf/schema.hpp"

namespace nova::conf {

// [DEFAULT]: identity and liveness of this service.
struct DefaultOptions {
    static constexpr std::string_view kGroup = "DEFAULT";
    static constexpr std::string_view kHelp = "";
    std::string host;
    std::string my_ip;
    std::string state_path;
    int report_interval;
    int service_down_time;
    bool periodic_enable;
    int periodic_fuzzy_delay;
    static void Declare(Schema<DefaultOptions>& s);
};

// [DEFAULT]: oslo.log.
struct LoggingOptions : log::Options {
    static constexpr std::string_view kGroup = "DEFAULT";
    static constexpr std::string_view kHelp = "";
    static void Declare(Schema<LoggingOptions>& s);
};

// [DEFAULT]: oslo.messaging's transport and RPC options, plus Nova's long_rpc_timeout.
struct MessagingOptions {
    static constexpr std::string_view kGroup = "DEFAULT";
    static constexpr std::string_view kHelp = "";
    std::optional<std::string> transport_url;
    std::string control_exchange;
    int rpc_response_timeout;
    int long_rpc_timeout;
    int executor_thread_pool_size;
    int rpc_conn_pool_size;
    bool rpc_ping_enabled;
    static void Declare(Schema<MessagingOptions>& s);
};

// [oslo_messaging_rabbit]: the RabbitMQ driver, oslo.messaging 14.0's names and defaults.
struct RabbitOptions {
    static constexpr std::string_view kGroup = "oslo_messaging_rabbit";
    static constexpr std::string_view kHelp = "RabbitMQ driver options (oslo.messaging's names).";
    bool amqp_durable_queues;
    bool amqp_auto_delete;
    bool rabbit_ha_queues;
    bool rabbit_quorum_queue;
    int rabbit_quorum_delivery_limit;
    int rabbit_quroum_max_memory_length;
    int rabbit_quroum_max_memory_bytes;
    int rabbit_transient_queues_ttl;
    int rabbit_qos_prefetch_count;
    double rabbit_retry_interval;
    double rabbit_retry_backoff;
    double rabbit_interval_max;
    double kombu_reconnect_delay;
    int kombu_missing_consumer_retry_timeout;
    std::string kombu_failover_strategy;
    std::string rabbit_login_method;
    int heartbeat_timeout_threshold;
    int heartbeat_rate;
    bool enable_cancel_on_failover;
    bool direct_mandatory_flag;
    bool ssl;
    std::optional<std::string> ssl_ca_file;
    std::optional<std::string> ssl_cert_file;
    std::optional<std::string> ssl_key_file;
    static void Declare(Schema<RabbitOptions>& s);
};

// [oslo_messaging_notifications] and [notifications].
struct NotificationOptions {
    static constexpr std::string_view kGroup = "oslo_messaging_notifications";
    static constexpr std::string_view kHelp = "Notification transport (oslo.messaging).";
    std::vector<std::string> driver;
    std::optional<std::string> transport_url;
    std::vector<std::string> topics;
    int retry;
    static void Declare(Schema<NotificationOptions>& s);
};

struct NovaNotificationOptions {
    static constexpr std::string_view kGroup = "notifications";
    static constexpr std::string_view kHelp = "What Nova notifies, and in which format.";
    std::optional<std::string> notify_on_state_change;
    std::string default_level;
    std::string notification_format;
    std::vector<std::string> versioned_notifications_topics;
    static void Declare(Schema<NovaNotificationOptions>& s);
};

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

// [upgrade_levels]: RPC version caps for rolling upgrades.
struct UpgradeLevelsOptions {
    static constexpr std::string_view kGroup = "upgrade_levels";
    static constexpr std::string_view kHelp =
        "Version caps for the RPC APIs: a release name (zed, yoga, ...), a version (6.0) or "
        "'auto' (the lowest version among running services).";
    std::optional<std::string> compute;
    std::optional<std::string> conductor;
    std::optional<std::string> scheduler;
    std::optional<std::string> baseapi;
    static void Declare(Schema<UpgradeLevelsOptions>& s);
};

// Every group, for the sample file and for `--help-config` style listings.
std::vector<GroupInfo> AllGroups();

}  // namespace nova::conf
