#pragma once
// The main loop of a service process (oslo.service's ServiceLauncher): SIGHUP reloads,
// SIGTERM/SIGINT stop gracefully within [DEFAULT] graceful_shutdown_timeout.
//
//   int main(int argc, char** argv) {
//       service::BlockServiceSignals();        // first, before any thread exists
//       auto program = conf::StartProgram(argc, argv, {...});
//       ... build the transport, the manager and the Service ...
//       return service::RunUntilSignalled(program, service, graceful_shutdown_timeout);
//   }
#include <chrono>

namespace nova::conf {
struct Program;
}

namespace nova::service {

class Service;

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread and every thread it starts later,
// so that only RunUntilSignalled receives them (synchronously, with sigwait).
void BlockServiceSignals();

// Caps glibc's malloc arenas at `max_arenas` (mallopt(M_ARENA_MAX)); 0 or less leaves glibc's
// own limit (8 per core, or the MALLOC_ARENA_MAX environment variable). Call it before the
// process starts any thread: glibc gives a thread that allocates while another holds the
// main arena an arena of its own (64 MiB of address space, whose touched pages stay resident
// after the thread goes idle), up to the limit. Returns false when glibc refused the value.
bool LimitMallocArenas(int max_arenas);

// Starts the service and waits for signals: SIGHUP re-reads the configuration files and
// resets the manager; SIGTERM or SIGINT stops the service (it finishes what is in flight).
// If stopping takes longer than `graceful_shutdown_timeout` (zero: no limit) the process
// exits at once with status 1, as oslo.service does. Returns the exit status: 0 after a
// clean stop, 1 when Start() failed.
int RunUntilSignalled(conf::Program& program, Service& service,
                      std::chrono::seconds graceful_shutdown_timeout);

}  // namespace nova::service
