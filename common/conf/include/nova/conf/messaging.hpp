#pragma once
// [DEFAULT] transport options, [oslo_messaging_rabbit], [oslo_messaging_notifications], [notifications]. Names and defaults are Nova's (nova/conf, Zed) and oslo's.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nova/conf/schema.hpp"

namespace nova::conf {

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

}  // namespace nova::conf
