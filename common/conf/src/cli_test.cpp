#include "nova/conf/cli.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "nova/common/uuid.hpp"
#include "nova/conf/default.hpp"
#include "nova/conf/logging.hpp"

namespace nova::conf {
namespace {

CommandLine Parse(std::vector<std::string> args, bool positional = false) {
    std::vector<char*> argv;
    static std::string name = "nova-test";
    argv.push_back(name.data());
    for (auto& a : args) argv.push_back(a.data());
    return ParseCommandLine(static_cast<int>(argv.size()), argv.data(),
                            ProgramInfo{"nova-test", "Test.", positional, ""});
}

}  // namespace

TEST_CASE("config files, config dir and log flags are read in order") {
    auto dir = std::filesystem::temp_directory_path() / ("nova-cli-" + GenerateUuidHex());
    std::filesystem::create_directories(dir / "d");
    std::ofstream(dir / "a.conf") << "[DEFAULT]\nhost = a\nreport_interval = 5\n";
    std::ofstream(dir / "d" / "20-b.conf") << "[DEFAULT]\nhost = b\n";
    std::ofstream(dir / "d" / "10-c.conf") << "[DEFAULT]\nhost = c\nreport_interval = 7\n";
    std::ofstream(dir / "d" / "ignored.txt") << "[DEFAULT]\nhost = z\n";
    auto cli = Parse({"--config-file", (dir / "a.conf").string(), "--config-dir=" + (dir / "d").string(),
                      "-d", "--log-file", "x.log"});
    REQUIRE(cli.config_files.size() == 3);
    auto source = LoadConfig(cli, ProgramInfo{"nova-test", "", false, ""});
    auto def = Load<DefaultOptions>(source);
    CHECK(def.host == "b");
    CHECK(def.report_interval == 7);
    auto logging = Load<LoggingOptions>(source);
    CHECK(logging.debug);
    CHECK(logging.log_file == "x.log");
    std::filesystem::remove_all(dir);
}

TEST_CASE("positional programs get their arguments and --name value pairs") {
    auto cli = Parse({"cell_v2", "create_cell", "--name", "cell1", "--verbose"}, true);
    CHECK(cli.positional == std::vector<std::string>{"cell_v2", "create_cell"});
    REQUIRE(cli.options.size() == 2);
    CHECK(cli.options[0] == std::pair<std::string, std::string>{"name", "cell1"});
    CHECK(cli.options[1] == std::pair<std::string, std::string>{"verbose", ""});
}

TEST_CASE("the version is the project's") { CHECK(std::string(Version()).size() >= 5); }

}  // namespace nova::conf
