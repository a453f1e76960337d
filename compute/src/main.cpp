// nova-compute: Runs instances on this host through a virt driver.
#include "nova/common/log.hpp"
#include "nova/conf/bootstrap.hpp"

int main(int argc, char** argv) {
    auto program = nova::conf::StartProgram(
        argc, argv, {"nova-compute", "Runs instances on this host through a virt driver.", false, ""});
    auto& logger = nova::log::Get("nova.cmd.compute");
    // The service itself lands with its issue (#6); until then the binary only checks its
    // command line and configuration, and says plainly that it does nothing more.
    NOVA_LOG_ERROR(logger, nova::log::kNoContext,
                   "nova-compute {}: the service is not built yet (issue #6); exiting",
                   nova::conf::Version());
    return 1;
}
