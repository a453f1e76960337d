// nova-api: OpenStack Compute API (REST v2.1 with microversions).
#include "nova/common/log.hpp"
#include "nova/conf/bootstrap.hpp"

int main(int argc, char** argv) {
    auto program = nova::conf::StartProgram(
        argc, argv, {"nova-api", "OpenStack Compute API (REST v2.1 with microversions).", false, ""});
    auto& logger = nova::log::Get("nova.cmd.api");
    // The service itself lands with its issue (#8); until then the binary only checks its
    // command line and configuration, and says plainly that it does nothing more.
    NOVA_LOG_ERROR(logger, nova::log::kNoContext,
                   "nova-api {}: the service is not built yet (issue #8); exiting",
                   nova::conf::Version());
    return 1;
}
