#include "nova/conf/bootstrap.hpp"

#include <cstdlib>
#include <iostream>

#include "nova/common/log.hpp"

namespace nova::conf {

void ExitOnConfigError(const Program& program, const std::exception& error) {
    std::cerr << program.info.name << ": configuration error: " << error.what() << "\n";
    std::exit(1);
}

Program StartProgram(int argc, char** argv, ProgramInfo info) {
    Program program;
    program.info = std::move(info);
    program.cli = ParseCommandLine(argc, argv, program.info);
    try {
        program.source = LoadConfig(program.cli, program.info);
        program.logging = Load<LoggingOptions>(program.source);
        log::Setup(program.info.name, program.logging);
    } catch (const std::exception& e) {
        ExitOnConfigError(program, e);
    }
    return program;
}

void Program::Reload() {
    auto& logger = log::Get("nova.conf");
    try {
        ConfigSource fresh = LoadConfig(cli, info);
        LoggingOptions fresh_logging = Load<LoggingOptions>(fresh);
        log::Reload(fresh_logging);
        source = std::move(fresh);
        logging = std::move(fresh_logging);
        NOVA_LOG_INFO(logger, log::kNoContext, "Reloaded configuration from {} file(s)",
                      cli.config_files.size());
    } catch (const std::exception& e) {
        NOVA_LOG_ERROR(logger, log::kNoContext,
                       "Configuration reload failed, keeping the previous settings: {}", e.what());
    }
}

}  // namespace nova::conf
