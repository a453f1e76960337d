// nova-manage: database and cell administration (db sync, api_db sync, cell_v2 ..., service
// list, flavor create|list). Commands, messages and exit codes follow Nova's
// nova/cmd/manage.py (Zed) where Nova has the command.
#include <iostream>

#include "command.hpp"
#include "nova/common/error.hpp"
#include "nova/conf/bootstrap.hpp"

namespace {

using nova::manage::Command;

std::vector<Command> AllCommands() {
    std::vector<Command> all;
    for (auto part : {nova::manage::DbCommands(), nova::manage::CellV2Commands(),
                      nova::manage::ServiceCommands(), nova::manage::FlavorCommands()}) {
        all.insert(all.end(), part.begin(), part.end());
    }
    return all;
}

std::string CommandHelp() {
    std::string text = "commands:\n  version\n";
    for (const auto& c : AllCommands()) {
        text += std::string("  ") + c.category + " " + c.action + "  " + c.help + "\n";
    }
    return text;
}

// Options that take no value (argparse's store_true); anything that follows them on the
// command line is positional.
bool IsFlag(const std::string& name) {
    return name == "verbose" || name == "strict" || name == "by-service" || name == "disabled" ||
           name == "local_cell" || name == "force" || name == "private";
}

[[noreturn]] void Usage(const std::string& message) {
    std::cerr << "usage: nova-manage [-h] [--config-file PATH] <category> <action> [<args>]\n"
              << "nova-manage: error: " << message << "\n";
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    auto program = nova::conf::StartProgram(
        argc, argv,
        {"nova-manage", "Database and cell administration for nova-cpp.", true, CommandHelp()});
    const auto& positional = program.cli.positional;
    if (positional.empty()) Usage("the following arguments are required: category");
    if (positional[0] == "version") {
        std::cout << nova::conf::Version() << "\n";
        return 0;
    }
    if (positional.size() < 2) Usage("the following arguments are required: action");

    nova::manage::Args args;
    args.positional.assign(positional.begin() + 2, positional.end());
    for (const auto& [name, value] : program.cli.options) {
        if (IsFlag(name)) {
            args.flags.insert(name);
            if (!value.empty()) args.positional.push_back(value);
        } else {
            args.options[name] = value;
        }
    }
    for (const auto& command : AllCommands()) {
        if (positional[0] != command.category || positional[1] != command.action) continue;
        try {
            nova::manage::Context context(program);
            return command.fn(context, args);
        } catch (const std::exception& e) {
            const auto* nova_error = dynamic_cast<const nova::NovaError*>(&e);
            std::cout << "An error has occurred:\n"
                      << (nova_error ? std::string(nova_error->class_name()) + ": " : std::string())
                      << e.what() << "\n";
            return 255;
        }
    }
    Usage("invalid choice: '" + positional[0] + " " + positional[1] + "'");
}
