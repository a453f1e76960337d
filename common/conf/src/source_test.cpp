#include "nova/conf/source.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"

namespace nova::conf {

TEST_CASE("INI values keep their file and line, later values win") {
    auto src = ConfigSource::FromString(
        "# comment\n[DEFAULT]\nhost = h1\n\n[database]\nconnection=mysql://a\n"
        "[DEFAULT]\nhost = h2\n; other comment\n",
        "nova.conf");
    const RawValue* host = src.FindLast("DEFAULT", "host");
    REQUIRE(host);
    CHECK(host->text == "h2");
    CHECK(host->Origin() == "nova.conf:8");
    CHECK(src.Find("DEFAULT", "host")->size() == 2);
    CHECK(src.FindLast("database", "connection")->text == "mysql://a");
    CHECK(src.FindLast("database", "nothing") == nullptr);
    CHECK(src.FindLast("nogroup", "x") == nullptr);
}

TEST_CASE("DEFAULT is case-insensitive, dashes equal underscores, continuation lines join") {
    auto src = ConfigSource::FromString("[default]\nlog-file = a\nlist = a,\n  b\n");
    CHECK(src.FindLast("DEFAULT", "log_file")->text == "a");
    CHECK(src.FindLast("DEFAULT", "list")->text == "a,\nb");
}

TEST_CASE("parse errors name the file and line") {
    auto expect_error = [](const char* text, const char* fragment) {
        try {
            ConfigSource::FromString(text, "bad.conf");
            FAIL("no error for: " << text);
        } catch (const ConfigFileValueError& e) {
            CHECK_MESSAGE(std::string(e.what()).find(fragment) != std::string::npos, e.what());
        }
    };
    expect_error("[DEFAULT]\nno equals sign\n", "bad.conf:2: expected 'name = value'");
    expect_error("host = x\n", "bad.conf:1: option 'host' appears before any [section]");
    expect_error("[DEFAULT\n", "bad.conf:1: invalid section header");
}

TEST_CASE("several files merge in order") {
    auto dir = std::filesystem::temp_directory_path() / ("nova-conf-" + GenerateUuidHex());
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "a.conf") << "[DEFAULT]\nhost = a\ndebug = true\n";
    std::ofstream(dir / "b.conf") << "[DEFAULT]\nhost = b\n";
    auto src = ConfigSource::FromFiles({(dir / "a.conf").string(), (dir / "b.conf").string()});
    CHECK(src.FindLast("DEFAULT", "host")->text == "b");
    CHECK(src.FindLast("DEFAULT", "debug")->text == "true");
    CHECK(src.files().size() == 2);
    CHECK_THROWS_AS(ConfigSource::FromFiles({(dir / "missing.conf").string()}), ConfigFileValueError);
    std::filesystem::remove_all(dir);
}

TEST_CASE("substitution: $name, ${name}, ${group.name}, $$") {
    auto src = ConfigSource::FromString(
        "[DEFAULT]\nstate_path = /var/lib/nova\ninstances_path = $state_path/instances\n"
        "price = $$5\n[libvirt]\nimages = ${state_path}/img\nother = ${DEFAULT.instances_path}/x\n"
        "bad = $nothing\n");
    CHECK(src.Interpolate("DEFAULT", *src.FindLast("DEFAULT", "instances_path")) ==
          "/var/lib/nova/instances");
    CHECK(src.Interpolate("DEFAULT", *src.FindLast("DEFAULT", "price")) == "$5");
    CHECK(src.Interpolate("libvirt", *src.FindLast("libvirt", "images")) == "/var/lib/nova/img");
    CHECK(src.Interpolate("libvirt", *src.FindLast("libvirt", "other")) ==
          "/var/lib/nova/instances/x");
    CHECK_THROWS_AS(src.Interpolate("libvirt", *src.FindLast("libvirt", "bad")), ConfigFileValueError);
}

TEST_CASE("substitution cycles are reported, not looped") {
    auto src = ConfigSource::FromString("[DEFAULT]\na = $b\nb = $a\n");
    CHECK_THROWS_AS(src.Interpolate("DEFAULT", *src.FindLast("DEFAULT", "a")), ConfigFileValueError);
}

}  // namespace nova::conf
