#pragma once
// What every nova-manage command gets: its arguments, the loaded options, and pools to the
// API and cell databases (opened on first use).
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/conf/bootstrap.hpp"
#include "nova/conf/database.hpp"
#include "nova/conf/default.hpp"
#include "nova/conf/messaging.hpp"
#include "nova/db/pool.hpp"

namespace nova::manage {

struct Args {
    std::vector<std::string> positional;  // after category and action
    std::map<std::string, std::string> options;  // --name value
    std::set<std::string> flags;  // --verbose and the like

    std::optional<std::string> Option(const std::string& name) const;
    bool Flag(const std::string& name) const { return flags.contains(name); }
};

class Context {
public:
    explicit Context(const conf::Program& program);

    // The [api_database] / [database] pools; InvalidInput when the connection is not set.
    db::Pool& Api();
    db::Pool& Main();
    // A pool for a cell database (by its URL, cached).
    db::Pool& Cell(const std::string& url);

    const conf::DatabaseOptions& database() const { return database_; }
    const conf::DatabaseOptions& api_database() const { return api_database_; }
    const conf::MessagingOptions& messaging() const { return messaging_; }
    const conf::DefaultOptions& defaults() const { return defaults_; }
    const Clock& clock() const { return clock_; }

private:
    conf::DatabaseOptions database_;
    conf::DatabaseOptions api_database_;
    conf::MessagingOptions messaging_;
    conf::DefaultOptions defaults_;
    SystemClock clock_;
    std::unique_ptr<db::Pool> api_;
    std::unique_ptr<db::Pool> main_;
    std::map<std::string, std::unique_ptr<db::Pool>> cells_;
};

using CommandFn = int (*)(Context&, const Args&);

struct Command {
    const char* category;
    const char* action;
    CommandFn fn;
    const char* help;
};

// The commands, by category (db_commands.cpp, cell_v2_commands.cpp, service_commands.cpp,
// flavor_commands.cpp).
std::vector<Command> DbCommands();
std::vector<Command> CellV2Commands();
std::vector<Command> ServiceCommands();
std::vector<Command> FlavorCommands();

}  // namespace nova::manage
