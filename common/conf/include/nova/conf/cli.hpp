#pragma once
// The command line every nova-* binary accepts (oslo.config's and oslo.log's flags):
//   --config-file PATH (repeatable, merged in order), --config-dir DIR, --debug/-d,
//   --nodebug, --log-file PATH, --log-dir DIR, --help/-h, --version.
// Anything else that does not start with '-' is positional (nova-manage's category, action
// and arguments); programs that take positional arguments accept "--name value" pairs too.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nova/conf/source.hpp"

namespace nova::conf {

struct ProgramInfo {
    std::string name;         // "nova-compute"
    std::string description;  // one line for --help
    bool takes_positional = false;
    std::string positional_help;  // extra --help text (nova-manage's commands)
};

struct CommandLine {
    std::vector<std::string> config_files;  // explicit, or oslo's default search when empty
    std::vector<std::string> positional;
    std::vector<std::pair<std::string, std::string>> options;  // --name value (positional programs)
    std::optional<bool> debug;
    std::optional<std::string> log_file;
    std::optional<std::string> log_dir;
};

// Parses argv. --help and --version print and exit 0; an unknown flag or a missing value
// prints usage to stderr and exits 2 (as argparse does).
CommandLine ParseCommandLine(int argc, char** argv, const ProgramInfo& program);

// Files from the command line (or oslo's default locations: ~/.nova/, ~/, /etc/nova/, /etc/
// for nova.conf and <program>.conf), then --config-dir's *.conf in name order, then the
// command-line overrides.
ConfigSource LoadConfig(const CommandLine& cli, const ProgramInfo& program);

// The project's version string.
const char* Version();

}  // namespace nova::conf
