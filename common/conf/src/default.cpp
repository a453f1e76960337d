#include "nova/conf/default.hpp"

#include <unistd.h>

#include <climits>

namespace nova::conf {

namespace {
std::string Hostname() {
    char buf[HOST_NAME_MAX + 1] = {};
    if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
    return buf;
}
}  // namespace

void DefaultOptions::Declare(Schema<DefaultOptions>& s) {
    s.Opt("host", &DefaultOptions::host, std::string(),
          "Hostname, FQDN or IP address of this host. Used as the oslo.messaging queue name "
          "of nova-compute (compute.<host>) and as the service record's host. Must be unique "
          "and stable: changing it orphans the host's instances.")
        .DefaultFrom(&Hostname, "<current_hostname>");
    s.Opt("my_ip", &DefaultOptions::my_ip, std::string("127.0.0.1"),
          "The IP address of this host, used by services to reach it (e.g. the hypervisor "
          "host_ip reported in os-hypervisors).");
    s.Opt("state_path", &DefaultOptions::state_path, std::string("/var/lib/nova"),
          "Top-level directory for the state kept by Nova services.");
    s.Opt("report_interval", &DefaultOptions::report_interval, 10,
          "Seconds between updates of a service's heartbeat in its service record.")
        .Min(1);
    s.Opt("service_down_time", &DefaultOptions::service_down_time, 60,
          "Seconds since the last heartbeat after which a service is considered down. Must "
          "be greater than report_interval.")
        .Min(1);
    s.Opt("periodic_enable", &DefaultOptions::periodic_enable, true,
          "Run periodic tasks (resource updates, power state sync, ...).");
    s.Opt("periodic_fuzzy_delay", &DefaultOptions::periodic_fuzzy_delay, 60,
          "Random delay, up to this many seconds, before the first run of periodic tasks, so "
          "that many services started together do not run them in lockstep.")
        .Min(0);
    // oslo.service's option: every service drains on SIGTERM (RPC servers finish the
    // requests they took, nova-api the HTTP requests in flight).
    s.Opt("graceful_shutdown_timeout", &DefaultOptions::graceful_shutdown_timeout, 60,
          "Seconds a service waits, after SIGTERM, for in-flight requests to finish before "
          "it exits anyway. 0 waits forever.")
        .Min(0);
}

}  // namespace nova::conf
