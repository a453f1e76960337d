#include "nova/conf/cli.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "nova/common/version.hpp"

namespace nova::conf {
namespace {

void PrintUsage(std::ostream& out, const ProgramInfo& program) {
    out << "usage: " << program.name
        << " [-h] [--version] [--config-file PATH] [--config-dir DIR] [--debug] "
           "[--log-file PATH] [--log-dir DIR]"
        << (program.takes_positional ? " <command> [<args>...]" : "") << "\n";
}

void PrintHelp(const ProgramInfo& program) {
    PrintUsage(std::cout, program);
    std::cout << "\n" << program.description << "\n\n"
              << "options:\n"
                 "  -h, --help            show this help message and exit\n"
                 "  --version             show program's version number and exit\n"
                 "  --config-file PATH    path to a config file to use; may be given several\n"
                 "                        times, later files override earlier ones. Default:\n"
                 "                        ~/.nova/nova.conf, ~/nova.conf, /etc/nova/nova.conf,\n"
                 "                        /etc/nova.conf (and <program>.conf) where they exist\n"
                 "  --config-dir DIR      read every *.conf in DIR after the config files\n"
                 "  -d, --debug           log at DEBUG level\n"
                 "  --nodebug             log at INFO level\n"
                 "  --log-file PATH       log to this file instead of stderr\n"
                 "  --log-dir DIR         base directory for a relative --log-file\n";
    if (!program.positional_help.empty()) std::cout << "\n" << program.positional_help;
}

[[noreturn]] void UsageError(const ProgramInfo& program, const std::string& message) {
    PrintUsage(std::cerr, program);
    std::cerr << program.name << ": error: " << message << "\n";
    std::exit(2);
}

std::vector<std::string> DefaultConfigFiles(const ProgramInfo& program) {
    std::vector<std::string> dirs;
    if (const char* home = std::getenv("HOME")) {
        dirs.push_back(std::string(home) + "/.nova");
        dirs.push_back(home);
    }
    dirs.push_back("/etc/nova");
    dirs.push_back("/etc");
    std::vector<std::string> found;
    for (const std::string& name : {std::string("nova.conf"), program.name + ".conf"}) {
        for (const auto& dir : dirs) {
            auto path = dir + "/" + name;
            if (std::filesystem::is_regular_file(path)) {
                found.push_back(path);
                break;
            }
        }
    }
    return found;
}

}  // namespace

const char* Version() { return kNovaVersion; }

CommandLine ParseCommandLine(int argc, char** argv, const ProgramInfo& program) {
    CommandLine cli;
    std::vector<std::string> config_dirs;
    auto value_of = [&](int& i, const std::string& flag, const std::string& arg) -> std::string {
        auto eq = arg.find('=');
        if (eq != std::string::npos) return arg.substr(eq + 1);
        if (i + 1 >= argc) UsageError(program, "argument " + flag + ": expected one argument");
        return argv[++i];
    };
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        std::string flag = arg.substr(0, arg.find('='));
        if (arg == "-h" || arg == "--help") {
            PrintHelp(program);
            std::exit(0);
        } else if (arg == "--version") {
            std::cout << Version() << "\n";
            std::exit(0);
        } else if (flag == "--config-file") {
            cli.config_files.push_back(value_of(i, flag, arg));
        } else if (flag == "--config-dir") {
            config_dirs.push_back(value_of(i, flag, arg));
        } else if (arg == "-d" || arg == "--debug") {
            cli.debug = true;
        } else if (arg == "--nodebug") {
            cli.debug = false;
        } else if (flag == "--log-file") {
            cli.log_file = value_of(i, flag, arg);
        } else if (flag == "--log-dir") {
            cli.log_dir = value_of(i, flag, arg);
        } else if (program.takes_positional && arg.rfind("--", 0) == 0 && arg.size() > 2) {
            std::string name = flag.substr(2);
            std::string value;
            if (arg.find('=') != std::string::npos) {
                value = arg.substr(arg.find('=') + 1);
            } else if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
                value = argv[++i];
            }
            cli.options.emplace_back(name, value);
        } else if (!arg.empty() && arg[0] == '-' && arg != "-") {
            UsageError(program, "unrecognized arguments: " + arg);
        } else if (program.takes_positional) {
            cli.positional.push_back(arg);
        } else {
            UsageError(program, "unrecognized arguments: " + arg);
        }
    }
    if (cli.config_files.empty()) cli.config_files = DefaultConfigFiles(program);
    for (const auto& dir : config_dirs) {
        if (!std::filesystem::is_directory(dir)) {
            UsageError(program, "argument --config-dir: " + dir + " is not a directory");
        }
        std::vector<std::string> files;
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            if (entry.is_regular_file() && entry.path().extension() == ".conf") {
                files.push_back(entry.path().string());
            }
        }
        std::sort(files.begin(), files.end());
        cli.config_files.insert(cli.config_files.end(), files.begin(), files.end());
    }
    return cli;
}

ConfigSource LoadConfig(const CommandLine& cli, const ProgramInfo&) {
    ConfigSource source = ConfigSource::FromFiles(cli.config_files);
    if (cli.debug) source.Set("DEFAULT", "debug", *cli.debug ? "true" : "false");
    if (cli.log_file) source.Set("DEFAULT", "log_file", *cli.log_file);
    if (cli.log_dir) source.Set("DEFAULT", "log_dir", *cli.log_dir);
    return source;
}

}  // namespace nova::conf
