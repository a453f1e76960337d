// nova-manage db ... and api_db ...: schema sync and version (nova/cmd/manage.py's DbCommands
// and ApiDbCommands).
#include <charconv>
#include <iostream>

#include "command.hpp"
#include "nova/common/error.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/migrations.hpp"

namespace nova::manage {

namespace {

std::optional<int> VersionArg(const Args& args) {
    if (args.positional.empty()) return std::nullopt;
    const auto& text = args.positional.front();
    int v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) {
        throw InvalidInput({{"reason", "version must be an integer, got '" + text + "'"}});
    }
    return v;
}

int DbSync(Context& ctx, const Args& args) {
    auto version = VersionArg(args);
    if (!args.Flag("local_cell")) {
        // Nova syncs cell0 first, found through its mapping in the API database.
        try {
            db::CellMappingStore cells(ctx.Api(), ctx.clock());
            auto cell0 = cells.GetByUuid(db::kCell0Uuid);
            db::Sync(ctx.Cell(cell0.database_connection()), db::Database::kMain, version);
        } catch (const CellMappingNotFound&) {
            std::cout << "WARNING: cell0 mapping not found - not syncing cell0.\n";
        } catch (const std::exception& e) {
            std::cout << "ERROR: Could not access cell0.\n"
                         "Has the nova_api database been created?\n"
                         "Has the nova_cell0 database been created?\n"
                         "Has \"nova-manage api_db sync\" been run?\n"
                         "Has \"nova-manage cell_v2 map_cell0\" been run?\n"
                         "Is [api_database]/connection set in nova.conf?\n"
                         "Is the cell0 database connection URL correct?\n"
                         "Error: "
                      << e.what() << "\n";
            return 1;
        }
    }
    db::Sync(ctx.Main(), db::Database::kMain, version);
    return 0;
}

int DbVersion(Context& ctx, const Args&) {
    std::cout << db::CurrentVersion(ctx.Main()) << "\n";
    return 0;
}

int ApiDbSync(Context& ctx, const Args& args) {
    db::Sync(ctx.Api(), db::Database::kApi, VersionArg(args));
    return 0;
}

int ApiDbVersion(Context& ctx, const Args&) {
    std::cout << db::CurrentVersion(ctx.Api()) << "\n";
    return 0;
}

}  // namespace

std::vector<Command> DbCommands() {
    return {
        {"db", "sync", DbSync,
         "[VERSION] [--local_cell]  Sync cell0 and the main database up to VERSION (default: latest)."},
        {"db", "version", DbVersion, "Print the current main database version."},
        {"api_db", "sync", ApiDbSync, "[VERSION]  Sync the API database up to VERSION (default: latest)."},
        {"api_db", "version", ApiDbVersion, "Print the current API database version."},
    };
}

}  // namespace nova::manage
