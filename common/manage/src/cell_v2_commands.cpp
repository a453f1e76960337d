// nova-manage cell_v2 ...: cells v2 mappings (nova/cmd/manage.py's CellV2Commands, Zed): the
// same messages and exit codes.
#include <algorithm>
#include <iostream>

#include "command.hpp"
#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/service_store.hpp"
#include "nova/db/url.hpp"
#include "nova/objects/object.hpp"
#include "table.hpp"

namespace nova::manage {

namespace {

std::optional<std::string> ValidTransportUrl(Context& ctx, std::optional<std::string> url) {
    if (!url) {
        if (!ctx.messaging().transport_url) {
            std::cout << "Must specify --transport-url if [DEFAULT]/transport_url is not set in "
                         "the configuration file.\n";
            return std::nullopt;
        }
        std::cout << "--transport-url not provided in the command line, using the value "
                     "[DEFAULT]/transport_url from the configuration file\n";
        url = ctx.messaging().transport_url;
    }
    auto scheme_end = url->find("://");
    if (scheme_end == std::string::npos || scheme_end == 0) {
        std::cout << "Invalid transport URL: Invalid transport URL: " << *url << "\n";
        return std::nullopt;
    }
    return url;
}

std::optional<std::string> ValidDatabaseUrl(Context& ctx, std::optional<std::string> url) {
    if (!url) {
        if (!ctx.database().connection) {
            std::cout << "Must specify --database_connection if [database]/connection is not set "
                         "in the configuration file.\n";
            return std::nullopt;
        }
        std::cout << "--database_connection not provided in the command line, using the value "
                     "[database]/connection from the configuration file\n";
        return ctx.database().connection;
    }
    return url;
}

int MapCell0(Context& ctx, const Args& args) {
    auto url = args.Option("database_connection");
    if (!url) {
        // Same server and scheme as [database]/connection, database name + "_cell0".
        if (!ctx.database().connection) {
            throw InvalidInput({{"reason", "[database]/connection is not set"}});
        }
        auto main = db::DbUrl::Parse(*ctx.database().connection);
        url = main.WithDatabase(main.database + "_cell0").ToString();
    }
    objects::CellMapping cell0;
    cell0.set_uuid(db::kCell0Uuid);
    cell0.set_name("cell0");
    cell0.set_transport_url("none:///");
    cell0.set_database_connection(*url);
    try {
        db::CellMappingStore(ctx.Api(), ctx.clock()).Create(cell0);
    } catch (const DBDuplicateEntry&) {
        std::cout << "Cell0 is already setup\n";
    }
    return 0;
}

int CreateCell(Context& ctx, const Args& args) {
    auto transport = ValidTransportUrl(ctx, args.Option("transport-url"));
    if (!transport) return 1;
    auto database = ValidDatabaseUrl(ctx, args.Option("database_connection"));
    if (!database) return 1;
    db::CellMappingStore cells(ctx.Api(), ctx.clock());
    for (const auto& cell : cells.GetAll()) {
        if (cell.database_connection() == *database || cell.transport_url() == *transport) {
            std::cout << "The specified transport_url and/or database_connection combination "
                         "already exists for another cell with uuid "
                      << cell.uuid() << ".\n";
            return 2;
        }
    }
    objects::CellMapping cell;
    cell.set_uuid(GenerateUuid());
    if (auto name = args.Option("name")) {
        cell.set_name(*name);
    } else {
        objects::SetNull(cell, "name");
    }
    cell.set_transport_url(*transport);
    cell.set_database_connection(*database);
    cell.set_disabled(args.Flag("disabled"));
    cells.Create(cell);
    if (args.Flag("verbose")) std::cout << cell.uuid() << "\n";
    return 0;
}

int ListCells(Context& ctx, const Args& args) {
    auto cells = db::CellMappingStore(ctx.Api(), ctx.clock()).GetAll();
    std::stable_sort(cells.begin(), cells.end(),
                     [](const auto& a, const auto& b) { return a.name() < b.name(); });
    Table table({"Name", "UUID", "Transport URL", "Database Connection", "Disabled"});
    const bool verbose = args.Flag("verbose");
    for (const auto& cell : cells) {
        table.AddRow({cell.name(), cell.uuid(),
                      verbose ? cell.transport_url() : MaskPasswordInUrl(cell.transport_url()),
                      verbose ? cell.database_connection()
                              : MaskPasswordInUrl(cell.database_connection()),
                      PyBool(cell.disabled())});
    }
    std::cout << table.Render() << "\n";
    return 0;
}

int DiscoverHosts(Context& ctx, const Args& args) {
    const bool verbose = args.Flag("verbose");
    auto status = [verbose](const std::string& msg) {
        if (verbose) std::cout << msg << "\n";
    };
    db::CellMappingStore cells(ctx.Api(), ctx.clock());
    db::HostMappingStore hosts(ctx.Api(), ctx.clock());
    std::vector<objects::CellMapping> mappings;
    if (auto uuid = args.Option("cell_uuid")) {
        mappings.push_back(cells.GetByUuid(*uuid));
    } else {
        mappings = cells.GetAll();
        status("Found " + std::to_string(mappings.size()) + " cell mappings.");
    }
    int added_total = 0;
    try {
        for (const auto& cm : mappings) {
            if (cm.uuid() == db::kCell0Uuid) {
                status("Skipping cell0 since it does not contain hosts.");
                continue;
            }
            if (cm.has_name() && !cm.name().empty()) {
                status("Getting computes from cell '" + cm.name() + "': " + cm.uuid());
            } else {
                status("Getting computes from cell: " + cm.uuid());
            }
            auto& pool = ctx.Cell(cm.database_connection());
            int added = 0;
            auto map_host = [&](const std::string& host) {
                objects::HostMapping mapping;
                mapping.set_host(host);
                *mapping.mutable_cell_mapping() = cm;
                hosts.Create(mapping);
                ++added;
            };
            auto is_mapped = [&](const std::string& host) {
                try {
                    hosts.GetByHost(host);
                    return true;
                } catch (const HostMappingNotFound&) {
                    return false;
                }
            };
            if (args.Flag("by-service")) {
                for (const auto& service : db::ServiceStore(pool, ctx.clock()).GetByBinary("nova-compute")) {
                    if (is_mapped(service.host())) continue;
                    status("Creating host mapping for service " + service.host());
                    map_host(service.host());
                }
            } else {
                db::ComputeNodeStore nodes(pool, ctx.clock());
                for (auto& node : nodes.GetAllByNotMapped(1)) {
                    status("Checking host mapping for compute host '" + node.host() + "': " + node.uuid());
                    if (is_mapped(node.host())) continue;
                    status("Creating host mapping for compute host '" + node.host() + "': " + node.uuid());
                    map_host(node.host());
                    node.set_mapped(1);
                    nodes.Save(node);
                }
            }
            status("Found " + std::to_string(added) + " unmapped computes in cell: " + cm.uuid());
            added_total += added;
        }
    } catch (const HostMappingExists& e) {
        std::cout << "ERROR: Duplicate host mapping was encountered. This command should be run "
                     "once after all compute hosts have been deployed and should not be run in "
                     "parallel. When run in parallel, the commands will collide with each other "
                     "trying to map the same hosts in the database at the same time. Error: "
                  << e.what() << "\n";
        return 2;
    }
    if (args.Flag("strict")) return added_total == 0 ? 1 : 0;
    return 0;
}

int ListHosts(Context& ctx, const Args& args) {
    db::HostMappingStore hosts(ctx.Api(), ctx.clock());
    std::vector<objects::HostMapping> mappings;
    if (auto uuid = args.Option("cell_uuid")) {
        try {
            db::CellMappingStore(ctx.Api(), ctx.clock()).GetByUuid(*uuid);
        } catch (const CellMappingNotFound&) {
            std::cout << "Cell with uuid " << *uuid << " was not found.\n";
            return 1;
        }
        mappings = hosts.GetByCell(*uuid);
    } else {
        mappings = hosts.GetAll();
    }
    std::sort(mappings.begin(), mappings.end(),
              [](const auto& a, const auto& b) { return a.host() < b.host(); });
    Table table({"Cell Name", "Cell UUID", "Hostname"});
    for (const auto& m : mappings) {
        table.AddRow({m.cell_mapping().has_name() ? m.cell_mapping().name() : "None",
                      m.cell_mapping().uuid(), m.host()});
    }
    std::cout << table.Render() << "\n";
    return 0;
}

}  // namespace

std::vector<Command> CellV2Commands() {
    return {
        {"cell_v2", "map_cell0", MapCell0, "[--database_connection URL]  Create the cell0 mapping."},
        {"cell_v2", "create_cell", CreateCell,
         "[--name N] [--transport-url URL] [--database_connection URL] [--verbose] [--disabled]"},
        {"cell_v2", "list_cells", ListCells, "[--verbose]  List the cells."},
        {"cell_v2", "discover_hosts", DiscoverHosts,
         "[--cell_uuid U] [--verbose] [--strict] [--by-service]  Map new compute hosts."},
        {"cell_v2", "list_hosts", ListHosts, "[--cell_uuid U]  List the mapped hosts."},
    };
}

}  // namespace nova::manage
