// nova-manage: database and cell administration (db sync, cell_v2, service list, ...).
#include <iostream>

#include "nova/common/log.hpp"
#include "nova/conf/bootstrap.hpp"

int main(int argc, char** argv) {
    auto program = nova::conf::StartProgram(
        argc, argv,
        {"nova-manage", "Database and cell administration for nova-cpp.", true,
         "commands arrive with the data layer (issue #4): api_db sync, db sync, db version,\n"
         "cell_v2 map_cell0|create_cell|list_cells|discover_hosts|list_hosts, service list\n"});
    // The commands land with the data layer (issue #4); until then say so and fail.
    std::cerr << "nova-manage " << nova::conf::Version()
              << ": no commands are built yet (issue #4)\n";
    return 1;
}
