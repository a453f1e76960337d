#include "nova/service/launcher.hpp"

#include <csignal>
#include <cstdlib>
#include <future>
#include <malloc.h>
#include <pthread.h>
#include <unistd.h>

#include "nova/common/log.hpp"
#include "nova/conf/bootstrap.hpp"
#include "nova/service/service.hpp"

namespace nova::service {

namespace {
spdlog::logger& Log() { return log::Get("nova.service"); }

sigset_t ServiceSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return set;
}
}  // namespace

bool LimitMallocArenas(int max_arenas) {
    if (max_arenas <= 0) return true;
    return ::mallopt(M_ARENA_MAX, max_arenas) == 1;
}

void BlockServiceSignals() {
    auto set = ServiceSignals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int RunUntilSignalled(conf::Program& program, Service& service,
                      std::chrono::seconds graceful_shutdown_timeout) {
    BlockServiceSignals();
    try {
        service.Start();
    } catch (const std::exception& e) {
        NOVA_LOG_CRITICAL(Log(), log::kNoContext, "{} failed to start: {}",
                          service.options().binary, e.what());
        service.Stop();
        return 1;
    }
    auto set = ServiceSignals();
    for (;;) {
        int signal = 0;
        if (sigwait(&set, &signal) != 0) continue;
        if (signal == SIGHUP) {
            NOVA_LOG_INFO(Log(), log::kNoContext, "Caught SIGHUP, reloading configuration");
            program.Reload();
            service.Reset();
            continue;
        }
        NOVA_LOG_INFO(Log(), log::kNoContext, "Caught {}, stopping children",
                      signal == SIGTERM ? "SIGTERM" : "SIGINT");
        break;
    }
    auto stopped = std::async(std::launch::async, [&service] { service.Stop(); });
    if (graceful_shutdown_timeout > std::chrono::seconds::zero() &&
        stopped.wait_for(graceful_shutdown_timeout) == std::future_status::timeout) {
        NOVA_LOG_ERROR(Log(), log::kNoContext,
                       "Graceful shutdown timeout exceeded, instantaneous exiting");
        std::_Exit(1);
    }
    stopped.get();
    return 0;
}

}  // namespace nova::service
