#include "nova/common/log.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nova/common/uuid.hpp"

namespace nova {
namespace {

std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string TempPath(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("nova-log-test-" + GenerateUuidHex()) / name)
        .string();
}

}  // namespace

TEST_CASE("log lines have oslo.log's shape, with context and instance") {
    log::Options options;
    options.log_file = TempPath("a.log");
    log::Setup("test", options);
    RequestContext ctx;
    ctx.user_id = "admin";
    ctx.project_id = "demo";
    ctx.request_id = "req-6255f322-1032-446e-9db0-7ab983eb2483";
    auto& logger = log::Get("nova.test.shape");
    NOVA_LOG_INFO(logger, ctx, "hello {}", 42);
    NOVA_LOG_WARN(logger, (log::WithInstance{&ctx, "7976944f-cfcc-46e8-b59a-a573b37cbd8d"}), "spawned");
    NOVA_LOG_ERROR(logger, log::kNoContext, "no context");
    NOVA_LOG_DEBUG(logger, log::kNoContext, "hidden at INFO");
    std::string text = ReadFile(options.log_file);
    CHECK(text.find(" INFO nova.test.shape [None req-6255f322-1032-446e-9db0-7ab983eb2483 admin "
                    "demo - - -] hello 42\n") != std::string::npos);
    CHECK(text.find(" WARNING nova.test.shape [None req-6255f322-1032-446e-9db0-7ab983eb2483 "
                    "admin demo - - -] [instance: 7976944f-cfcc-46e8-b59a-a573b37cbd8d] spawned") !=
          std::string::npos);
    CHECK(text.find(" ERROR nova.test.shape [-] no context") != std::string::npos);
    CHECK(text.find("hidden") == std::string::npos);
    // time, pid: "2026-11-25 08:53:12.185 4242 INFO"
    auto pid = std::to_string(::getpid());
    CHECK(text.find(" " + pid + " INFO ") != std::string::npos);
    std::filesystem::remove_all(std::filesystem::path(options.log_file).parent_path());
}

TEST_CASE("levels follow debug and per-logger settings, and reload applies") {
    log::Options options;
    options.log_file = TempPath("b.log");
    options.default_log_levels = {"nova.quiet=ERROR"};
    log::Setup("test", options);
    auto& loud = log::Get("nova.loud");
    auto& quiet_child = log::Get("nova.quiet.child");
    NOVA_LOG_WARN(quiet_child, log::kNoContext, "suppressed warning");
    NOVA_LOG_DEBUG(loud, log::kNoContext, "debug before");
    options.debug = true;
    options.default_log_levels = {};
    log::Reload(options);
    NOVA_LOG_DEBUG(loud, log::kNoContext, "debug after");
    NOVA_LOG_WARN(quiet_child, log::kNoContext, "warning after");
    std::string text = ReadFile(options.log_file);
    CHECK(text.find("suppressed warning") == std::string::npos);
    CHECK(text.find("debug before") == std::string::npos);
    CHECK(text.find(" DEBUG nova.loud [-] debug after") != std::string::npos);
    CHECK(text.find("warning after") != std::string::npos);
    std::filesystem::remove_all(std::filesystem::path(options.log_file).parent_path());
}

TEST_CASE("reload reopens a rotated log file") {
    log::Options options;
    options.log_file = TempPath("c.log");
    log::Setup("test", options);
    auto& logger = log::Get("nova.rotate");
    NOVA_LOG_INFO(logger, log::kNoContext, "first");
    std::filesystem::rename(options.log_file, options.log_file + ".1");
    log::Reload(options);
    NOVA_LOG_INFO(logger, log::kNoContext, "second");
    CHECK(ReadFile(options.log_file + ".1").find("first") != std::string::npos);
    CHECK(ReadFile(options.log_file).find("second") != std::string::npos);
    CHECK(ReadFile(options.log_file).find("first") == std::string::npos);
    std::filesystem::remove_all(std::filesystem::path(options.log_file).parent_path());
}

TEST_CASE("a bad level is refused") {
    log::Options options;
    options.default_log_levels = {"nova=LOUD"};
    CHECK_THROWS_AS(log::Setup("test", options), std::invalid_argument);
    options.default_log_levels = {"nova"};
    CHECK_THROWS_AS(log::Setup("test", options), std::invalid_argument);
    log::Setup("test", log::Options{});
}

}  // namespace nova
