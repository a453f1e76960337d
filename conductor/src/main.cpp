// nova-conductor: Orchestrates builds and migrations; does database work for computes.
#include "nova/common/log.hpp"
#include "nova/conf/bootstrap.hpp"

int main(int argc, char** argv) {
    auto program = nova::conf::StartProgram(
        argc, argv, {"nova-conductor", "Orchestrates builds and migrations; does database work for computes.", false, ""});
    auto& logger = nova::log::Get("nova.cmd.conductor");
    // The service itself lands with its issue (#7); until then the binary only checks its
    // command line and configuration, and says plainly that it does nothing more.
    NOVA_LOG_ERROR(logger, nova::log::kNoContext,
                   "nova-conductor {}: the service is not built yet (issue #7); exiting",
                   nova::conf::Version());
    return 1;
}
