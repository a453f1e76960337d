#include "nova/conf/messaging.hpp"

namespace nova::conf {

void MessagingOptions::Declare(Schema<MessagingOptions>& s) {
    s.Opt("transport_url", &MessagingOptions::transport_url,
          "The messaging bus: rabbit://user:pass@host1:5672,user:pass@host2:5672/vhost. "
          "Several hosts form a failover list. Query parameters override "
          "[oslo_messaging_rabbit] options of the same name.")
        .Secret();
    s.Opt("control_exchange", &MessagingOptions::control_exchange, std::string("nova"),
          "The topic exchange that RPC and notifications use (Nova sets it to 'nova').");
    s.Opt("rpc_response_timeout", &MessagingOptions::rpc_response_timeout, 60,
          "Seconds to wait for a response to an RPC call.")
        .Min(1);
    s.Opt("long_rpc_timeout", &MessagingOptions::long_rpc_timeout, 1800,
          "Seconds to wait for RPC calls that are known to take long (select_destinations, "
          "...); they also use rpc_response_timeout as a call-monitor heartbeat interval.")
        .Min(1);
    s.Opt("executor_thread_pool_size", &MessagingOptions::executor_thread_pool_size, 64,
          "Maximum number of RPC requests an RPC server handles at once.")
        .Min(1);
    s.Opt("rpc_conn_pool_size", &MessagingOptions::rpc_conn_pool_size, 30,
          "Size of the pool of publishing connections.")
        .Min(1);
    s.Opt("rpc_ping_enabled", &MessagingOptions::rpc_ping_enabled, false,
          "Answer the oslo_rpc_server_ping method on every RPC server.");
}

void RabbitOptions::Declare(Schema<RabbitOptions>& s) {
    s.Opt("amqp_durable_queues", &RabbitOptions::amqp_durable_queues, false,
          "Use durable queues and a durable control exchange. Every service on the bus must "
          "agree, or declares fail with 406 PRECONDITION_FAILED.");
    s.Opt("amqp_auto_delete", &RabbitOptions::amqp_auto_delete, false,
          "Auto-delete the control exchange and topic queues.");
    s.Opt("rabbit_ha_queues", &RabbitOptions::rabbit_ha_queues, false,
          "Declare queues with x-ha-policy: all (ignored by RabbitMQ 3.x; use a policy).");
    s.Opt("rabbit_quorum_queue", &RabbitOptions::rabbit_quorum_queue, false,
          "Declare topic and notification queues as quorum queues (forces durable). Cannot be "
          "combined with rabbit_ha_queues.");
    s.Opt("rabbit_quorum_delivery_limit", &RabbitOptions::rabbit_quorum_delivery_limit, 0,
          "x-delivery-limit of quorum queues; 0 leaves it unset.")
        .Min(0);
    s.Opt("rabbit_quroum_max_memory_length", &RabbitOptions::rabbit_quroum_max_memory_length, 0,
          "x-max-in-memory-length of quorum queues; 0 leaves it unset (the name's typo is "
          "oslo.messaging 14.0's).")
        .Min(0);
    s.Opt("rabbit_quroum_max_memory_bytes", &RabbitOptions::rabbit_quroum_max_memory_bytes, 0,
          "x-max-in-memory-bytes of quorum queues; 0 leaves it unset.")
        .Min(0);
    s.Opt("rabbit_transient_queues_ttl", &RabbitOptions::rabbit_transient_queues_ttl, 1800,
          "Seconds an unused reply or fanout queue lives (x-expires).")
        .Min(1);
    s.Opt("rabbit_qos_prefetch_count", &RabbitOptions::rabbit_qos_prefetch_count, 0,
          "basic.qos prefetch count of consumer channels; 0 sends no basic.qos.")
        .Min(0);
    s.Opt("rabbit_retry_interval", &RabbitOptions::rabbit_retry_interval, 1.0,
          "Seconds before the first reconnect attempt.")
        .Min(0);
    s.Opt("rabbit_retry_backoff", &RabbitOptions::rabbit_retry_backoff, 2.0,
          "Seconds added to the wait after each failed reconnect attempt.")
        .Min(0);
    s.Opt("rabbit_interval_max", &RabbitOptions::rabbit_interval_max, 30.0,
          "Longest wait between reconnect attempts, in seconds.")
        .Min(0);
    s.Opt("kombu_reconnect_delay", &RabbitOptions::kombu_reconnect_delay, 1.0,
          "Seconds to wait after a connection error before reconnecting.")
        .Min(0);
    s.Opt("kombu_missing_consumer_retry_timeout",
          &RabbitOptions::kombu_missing_consumer_retry_timeout, 60,
          "Seconds to keep retrying a reply whose reply queue is gone.")
        .Min(0);
    s.Opt("kombu_failover_strategy", &RabbitOptions::kombu_failover_strategy,
          std::string("round-robin"),
          "How to pick the next broker of transport_url after a failure.")
        .Choices({"round-robin", "shuffle"});
    s.Opt("rabbit_login_method", &RabbitOptions::rabbit_login_method, std::string("AMQPLAIN"),
          "SASL mechanism.")
        .Choices({"PLAIN", "AMQPLAIN", "EXTERNAL", "RABBIT-CR-DEMO"});
    s.Opt("heartbeat_timeout_threshold", &RabbitOptions::heartbeat_timeout_threshold, 60,
          "Seconds without traffic from the broker after which the connection is considered "
          "dead; 0 disables AMQP heartbeats.")
        .Min(0);
    s.Opt("heartbeat_rate", &RabbitOptions::heartbeat_rate, 2,
          "How many times per heartbeat_timeout_threshold the heartbeat is checked.")
        .Min(1);
    s.Opt("enable_cancel_on_failover", &RabbitOptions::enable_cancel_on_failover, false,
          "Ask the broker to cancel consumers when a mirrored queue fails over "
          "(x-cancel-on-ha-failover).");
    s.Opt("direct_mandatory_flag", &RabbitOptions::direct_mandatory_flag, true,
          "Publish replies with the mandatory flag, so that a missing reply queue is noticed.");
    s.Opt("ssl", &RabbitOptions::ssl, false, "Connect over TLS.");
    s.Opt("ssl_ca_file", &RabbitOptions::ssl_ca_file, "CA bundle to verify the broker with.");
    s.Opt("ssl_cert_file", &RabbitOptions::ssl_cert_file, "Client certificate (PEM).");
    s.Opt("ssl_key_file", &RabbitOptions::ssl_key_file, "Client private key (PEM).");
}

void NotificationOptions::Declare(Schema<NotificationOptions>& s) {
    s.Opt("driver", &NotificationOptions::driver, std::vector<std::string>{},
          "Notification drivers: messagingv2 (enveloped, what Nova uses), messaging, noop. "
          "Nothing is sent when empty.")
        .Multi();
    s.Opt("transport_url", &NotificationOptions::transport_url,
          "Bus for notifications; defaults to [DEFAULT] transport_url.")
        .Secret();
    s.Opt("topics", &NotificationOptions::topics, std::vector<std::string>{"notifications"},
          "Topics of legacy (unversioned) notifications.");
    s.Opt("retry", &NotificationOptions::retry, -1,
          "Times to retry sending a notification after a connection error; -1 retries "
          "forever.")
        .Min(-1);
}

void NovaNotificationOptions::Declare(Schema<NovaNotificationOptions>& s) {
    s.Opt("notify_on_state_change", &NovaNotificationOptions::notify_on_state_change,
          "Send instance.update on changes of vm_state, or of vm_state and task_state.")
        .Choices({"vm_state", "vm_and_task_state"});
    s.Opt("default_level", &NovaNotificationOptions::default_level, std::string("INFO"),
          "Priority of notifications that do not set their own.")
        .Choices({"DEBUG", "INFO", "WARN", "ERROR", "CRITICAL"});
    s.Opt("notification_format", &NovaNotificationOptions::notification_format,
          std::string("unversioned"), "Which notifications to emit.")
        .Choices({"both", "versioned", "unversioned"});
    s.Opt("versioned_notifications_topics",
          &NovaNotificationOptions::versioned_notifications_topics,
          std::vector<std::string>{"versioned_notifications"},
          "Topics of versioned notifications.");
}

}  // namespace nova::conf
