#include "table.hpp"

#include <doctest/doctest.h>

using namespace nova::manage;

TEST_CASE("tables look like prettytable's") {
    Table t({"Name", "UUID"});
    t.AddRow({"cell0", "00000000-0000-0000-0000-000000000000"});
    t.AddRow({"cell1", "ab"});
    CHECK(t.Render() ==
          "+-------+--------------------------------------+\n"
          "|  Name |                 UUID                 |\n"
          "+-------+--------------------------------------+\n"
          "| cell0 | 00000000-0000-0000-0000-000000000000 |\n"
          "| cell1 |                  ab                  |\n"
          "+-------+--------------------------------------+");
    Table empty({"Cell Name", "Hostname"});
    CHECK(empty.Render() ==
          "+-----------+----------+\n"
          "| Cell Name | Hostname |\n"
          "+-----------+----------+\n"
          "+-----------+----------+");
}

TEST_CASE("passwords are masked as nova-manage masks them") {
    CHECK(MaskPasswordInUrl("rabbit://nova:secret@127.0.0.1:5672/nova") ==
          "rabbit://nova:****@127.0.0.1:5672/nova");
    CHECK(MaskPasswordInUrl("mysql+pymysql://nova:p@ss@db/nova?charset=utf8") ==
          "mysql+pymysql://nova:****@db/nova?charset=utf8");
    CHECK(MaskPasswordInUrl("none:///") == "none:/");
}
