#include <doctest/doctest.h>

#include "nova/common/error.hpp"
#include "nova/db/url.hpp"

using namespace nova;
using nova::db::DbUrl;

TEST_CASE("Nova's TCP URL form") {
    auto u = DbUrl::Parse("mysql+pymysql://nova:s3cr%40t@10.0.0.5:3307/nova_api?charset=utf8");
    CHECK(u.driver == "mysql+pymysql");
    CHECK(u.user == "nova");
    CHECK(u.password == "s3cr@t");
    CHECK(u.host == "10.0.0.5");
    CHECK(u.port == 3307);
    CHECK(u.database == "nova_api");
    CHECK(u.query.at("charset") == "utf8");
    CHECK(u.unix_socket.empty());
    CHECK(DbUrl::Parse(u.ToString()).password == "s3cr@t");
    CHECK(u.Redacted() == "mysql+pymysql://nova:****@10.0.0.5:3307/nova_api?charset=utf8");
}

TEST_CASE("default port, IPv6 and the unix socket form") {
    auto u = DbUrl::Parse("mysql+pymysql://root:pw@db.example.org/nova");
    CHECK(u.port == 3306);
    CHECK(u.host == "db.example.org");
    auto v6 = DbUrl::Parse("mysql://u:p@[fd00::5]:3310/nova");
    CHECK(v6.host == "fd00::5");
    CHECK(v6.port == 3310);
    CHECK(DbUrl::Parse(v6.ToString()).host == "fd00::5");
    auto s = DbUrl::Parse("mysql+pymysql://nova:pw@/nova_cell0?unix_socket=/run/mysqld/mysqld.sock");
    CHECK(s.unix_socket == "/run/mysqld/mysqld.sock");
    CHECK(s.database == "nova_cell0");
    CHECK(DbUrl::Parse(s.ToString()).unix_socket == "/run/mysqld/mysqld.sock");
    CHECK(s.WithDatabase("nova").database == "nova");
}

TEST_CASE("bad URLs are refused, without echoing the password") {
    CHECK_THROWS_AS(DbUrl::Parse("nova_api"), InvalidInput);
    CHECK_THROWS_AS(DbUrl::Parse("sqlite:///nova.db"), InvalidInput);
    CHECK_THROWS_AS(DbUrl::Parse("mysql://u:p@h:99999/db"), InvalidInput);
    CHECK_THROWS_AS(DbUrl::Parse("mysql://u:p@h:3306/"), InvalidInput);
    try {
        DbUrl::Parse("mysql://u:topsecret@h:notaport/db");
        FAIL("accepted");
    } catch (const InvalidInput& e) {
        CHECK(std::string(e.what()).find("topsecret") == std::string::npos);
    }
}
