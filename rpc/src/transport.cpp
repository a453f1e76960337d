#include "nova/rpc/transport.hpp"

#include <future>
#include <mutex>
#include <map>

#include "amqp/amqp_transport.hpp"
#include "memory/memory_transport.hpp"
#include "nova/common/error.hpp"
#include "nova/conf/schema.hpp"
#include "nova/conf/source.hpp"

namespace nova::rpc {
namespace {

int HexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// URL percent-decoding, as urllib.parse.unquote.
std::string Unquote(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            int hi = HexDigit(text[i + 1]);
            int lo = HexDigit(text[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(text[i]);
    }
    return out;
}

[[noreturn]] void Bad(std::string_view url, const std::string& why) {
    // Never echo the URL itself: it carries passwords.
    (void)url;
    throw InvalidInput({{"reason", "invalid transport_url: " + why}});
}

bool ParseBool(const std::string& value) {
    if (value == "true" || value == "True" || value == "1" || value == "yes") return true;
    if (value == "false" || value == "False" || value == "0" || value == "no") return false;
    throw InvalidInput({{"reason", "invalid boolean '" + value + "' in transport_url"}});
}

void ApplyQuery(const TransportUrl& url, conf::RabbitOptions& rabbit) {
    for (const auto& [name, value] : url.query) {
        try {
            if (name == "heartbeat_timeout_threshold") rabbit.heartbeat_timeout_threshold = std::stoi(value);
            else if (name == "heartbeat_rate") rabbit.heartbeat_rate = std::stoi(value);
            else if (name == "rabbit_retry_interval") rabbit.rabbit_retry_interval = std::stod(value);
            else if (name == "rabbit_retry_backoff") rabbit.rabbit_retry_backoff = std::stod(value);
            else if (name == "rabbit_interval_max") rabbit.rabbit_interval_max = std::stod(value);
            else if (name == "kombu_reconnect_delay") rabbit.kombu_reconnect_delay = std::stod(value);
            else if (name == "rabbit_qos_prefetch_count") rabbit.rabbit_qos_prefetch_count = std::stoi(value);
            else if (name == "rabbit_transient_queues_ttl") rabbit.rabbit_transient_queues_ttl = std::stoi(value);
            else if (name == "amqp_durable_queues") rabbit.amqp_durable_queues = ParseBool(value);
            else if (name == "amqp_auto_delete") rabbit.amqp_auto_delete = ParseBool(value);
            else if (name == "rabbit_quorum_queue") rabbit.rabbit_quorum_queue = ParseBool(value);
            else if (name == "rabbit_ha_queues") rabbit.rabbit_ha_queues = ParseBool(value);
            else if (name == "ssl") rabbit.ssl = ParseBool(value);
            else if (name == "kombu_failover_strategy") rabbit.kombu_failover_strategy = value;
            else throw InvalidInput({{"reason", "no such option in transport_url: " + name}});
        } catch (const std::logic_error&) {
            throw InvalidInput({{"reason", "invalid value for " + name + " in transport_url"}});
        }
    }
}

}  // namespace

conf::RabbitOptions DefaultRabbitOptions() {
    static const conf::RabbitOptions defaults =
        conf::Load<conf::RabbitOptions>(conf::ConfigSource::FromString("", "<defaults>"));
    return defaults;
}

TransportOptions MakeTransportOptions(const conf::MessagingOptions& messaging,
                                      const conf::RabbitOptions& rabbit) {
    TransportOptions options;
    options.control_exchange = messaging.control_exchange;
    options.rpc_response_timeout = std::chrono::seconds(messaging.rpc_response_timeout);
    options.executor_thread_pool_size = messaging.executor_thread_pool_size;
    options.rabbit = rabbit;
    return options;
}

void PublishAndWait(Transport& transport, const Destination& destination, std::string body,
                    const PublishOptions& options) {
    auto promise = std::make_shared<std::promise<void>>();
    auto future = promise->get_future();
    transport.Publish(destination, std::move(body), options, [promise](std::exception_ptr error) {
        if (error) {
            promise->set_exception(error);
        } else {
            promise->set_value();
        }
    });
    future.get();
}

TransportUrl TransportUrl::Parse(std::string_view text) {
    TransportUrl url;
    auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) {
        // oslo accepts "fake:" as well.
        auto colon = text.find(':');
        if (colon == std::string_view::npos) Bad(text, "no scheme");
        url.scheme = std::string(text.substr(0, colon));
        if (url.scheme != "fake" && url.scheme != "memory") Bad(text, "no '//' after the scheme");
        text = text.substr(colon + 1);
        while (!text.empty() && text.front() == '/') text.remove_prefix(1);
        url.virtual_host = text.empty() ? "/" : Unquote(text);
        return url;
    }
    url.scheme = std::string(text.substr(0, scheme_end));
    std::string_view rest = text.substr(scheme_end + 3);
    std::string_view query;
    if (auto q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    std::string_view netloc = rest;
    std::string_view path;
    if (auto slash = rest.find('/'); slash != std::string_view::npos) {
        netloc = rest.substr(0, slash);
        path = rest.substr(slash + 1);
    }
    url.virtual_host = path.empty() ? "/" : Unquote(path);
    std::size_t start = 0;
    while (start <= netloc.size() && !netloc.empty()) {
        auto comma = netloc.find(',', start);
        std::string_view item = netloc.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        Host host;
        if (auto at = item.rfind('@'); at != std::string_view::npos) {
            std::string_view cred = item.substr(0, at);
            item = item.substr(at + 1);
            auto colon = cred.find(':');
            host.user = Unquote(cred.substr(0, colon));
            host.password = colon == std::string_view::npos ? "" : Unquote(cred.substr(colon + 1));
        }
        if (!item.empty() && item.front() == '[') {
            auto close = item.find(']');
            if (close == std::string_view::npos) Bad(text, "unterminated IPv6 address");
            host.host = std::string(item.substr(1, close - 1));
            item = item.substr(close + 1);
            if (!item.empty() && item.front() == ':') {
                item.remove_prefix(1);
            } else if (!item.empty()) {
                Bad(text, "junk after an IPv6 address");
            }
            if (!item.empty()) host.port = std::stoi(std::string(item));
        } else {
            auto colon = item.rfind(':');
            host.host = std::string(item.substr(0, colon));
            if (colon != std::string_view::npos) {
                try {
                    host.port = std::stoi(std::string(item.substr(colon + 1)));
                } catch (const std::logic_error&) {
                    Bad(text, "bad port");
                }
            }
        }
        if (host.host.empty()) host.host = "localhost";
        if (host.port <= 0 || host.port > 65535) Bad(text, "bad port");
        url.hosts.push_back(std::move(host));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    if (url.hosts.empty()) url.hosts.push_back(Host{"localhost", 5672, "guest", "guest"});
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        auto eq = pair.find('=');
        if (eq == std::string_view::npos) Bad(text, "query parameter without a value");
        url.query.emplace_back(Unquote(pair.substr(0, eq)), Unquote(pair.substr(eq + 1)));
        if (amp == std::string_view::npos) break;
        query = query.substr(amp + 1);
    }
    return url;
}

std::shared_ptr<Transport> MakeTransport(std::string_view transport_url, TransportOptions options) {
    TransportUrl url = TransportUrl::Parse(transport_url);
    if (url.scheme == "fake" || url.scheme == "memory") {
        static std::mutex mutex;
        static std::map<std::string, std::weak_ptr<MemoryBroker>> brokers;
        std::shared_ptr<MemoryBroker> broker;
        {
            std::lock_guard lock(mutex);
            broker = brokers[url.virtual_host].lock();
            if (!broker) {
                broker = std::make_shared<MemoryBroker>();
                brokers[url.virtual_host] = broker;
            }
        }
        return std::make_shared<MemoryTransport>(std::move(broker), std::move(options));
    }
    if (url.scheme == "rabbit" || url.scheme == "amqp") {
        ApplyQuery(url, options.rabbit);
        if (options.rabbit.rabbit_quorum_queue && options.rabbit.rabbit_ha_queues) {
            // oslo.messaging refuses this combination too (RuntimeError in impl_rabbit).
            throw InvalidInput({{"reason",
                                 "rabbit_quorum_queue cannot be combined with rabbit_ha_queues"}});
        }
        return MakeAmqpTransport(std::move(url), std::move(options));
    }
    throw InvalidInput({{"reason", "unsupported transport_url scheme '" + url.scheme + "'"}});
}

}  // namespace nova::rpc
