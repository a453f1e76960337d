#include "nova/conf/sample.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "nova/conf/all_groups.hpp"

namespace nova::conf {

TEST_CASE("the sample lists every option with its help, constraints and default") {
    std::string sample = GenerateSample(AllGroups());
    CHECK(sample.find("[DEFAULT]") != std::string::npos);
    CHECK(sample.find("[oslo_messaging_rabbit]") != std::string::npos);
    CHECK(sample.find("[api_database]") != std::string::npos);
    CHECK(sample.find("#report_interval = 10\n") != std::string::npos);
    CHECK(sample.find("#host = <current_hostname>\n") != std::string::npos);
    CHECK(sample.find("#transport_url = <None>\n") != std::string::npos);
    CHECK(sample.find("#   round-robin\n") != std::string::npos);
    CHECK(sample.find("# Minimum value: 1\n#report_interval") != std::string::npos);
    for (const auto& line : [&] {
             std::vector<std::string> lines;
             std::istringstream in(sample);
             for (std::string l; std::getline(in, l);) lines.push_back(l);
             return lines;
         }()) {
        // "#name = default" lines print the default whole, as oslo-config-generator does
        // (Nova's enabled_filters default is longer than a line).
        const bool option_line = line.starts_with("#") && !line.starts_with("# ") &&
                                 line.find(" = ") != std::string::npos;
        CHECK_MESSAGE((option_line || line.size() <= 100), line);
    }
}

TEST_CASE("etc/nova/nova.conf.sample is current (regenerate with nova-conf-sample)") {
    std::ifstream in(std::string(NOVA_SOURCE_DIR) + "/etc/nova/nova.conf.sample");
    REQUIRE_MESSAGE(in.good(), "etc/nova/nova.conf.sample is missing");
    std::stringstream checked_in;
    checked_in << in.rdbuf();
    CHECK_MESSAGE(checked_in.str() == GenerateSample(AllGroups()),
                  "etc/nova/nova.conf.sample is stale: run build/release/bin/nova-conf-sample > "
                  "etc/nova/nova.conf.sample");
}

}  // namespace nova::conf
