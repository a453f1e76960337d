// nova-scheduler: Chooses hosts for instances (select_destinations).
#include "nova/common/log.hpp"
#include "nova/conf/bootstrap.hpp"

int main(int argc, char** argv) {
    auto program = nova::conf::StartProgram(
        argc, argv, {"nova-scheduler", "Chooses hosts for instances (select_destinations).", false, ""});
    auto& logger = nova::log::Get("nova.cmd.scheduler");
    // The service itself lands with its issue (#5); until then the binary only checks its
    // command line and configuration, and says plainly that it does nothing more.
    NOVA_LOG_ERROR(logger, nova::log::kNoContext,
                   "nova-scheduler {}: the service is not built yet (issue #5); exiting",
                   nova::conf::Version());
    return 1;
}
