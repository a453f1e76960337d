#pragma once
// The first lines of every nova-* main(): parse the command line, load the configuration
// files, set up logging. A configuration error is printed (naming file, line, group and
// option) and the process exits 1: no half-working startups.
#include "nova/conf/cli.hpp"
#include "nova/conf/logging.hpp"
#include "nova/conf/schema.hpp"
#include "nova/conf/source.hpp"

namespace nova::conf {

struct Program {
    ProgramInfo info;
    CommandLine cli;
    ConfigSource source;
    LoggingOptions logging;

    // Re-reads the configuration files and applies the reloadable logging options (SIGHUP).
    // A file that no longer parses is logged and the old settings stay.
    void Reload();
};

Program StartProgram(int argc, char** argv, ProgramInfo info);

// Loads an option group, turning a ConfigFileValueError into the same exit as StartProgram.
template <class Options>
Options LoadOrExit(const Program& program, std::string_view group = Options::kGroup);

[[noreturn]] void ExitOnConfigError(const Program& program, const std::exception& error);

template <class Options>
Options LoadOrExit(const Program& program, std::string_view group) {
    try {
        return Load<Options>(program.source, group);
    } catch (const std::exception& e) {
        ExitOnConfigError(program, e);
    }
}

}  // namespace nova::conf
