#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

#include "nova/common/time.hpp"
#include "sql_literals.hpp"

using namespace nova;
using namespace nova::db;
using detail::WithLiterals;

TEST_CASE("sql literals: every kind of value in place of its placeholder") {
    const auto when = *timeutil::Parse("2026-11-30T13:45:07Z");
    CHECK(WithLiterals("INSERT INTO `t` (`a`, `b`, `c`, `d`, `e`, `f`) VALUES (?, ?, ?, ?, ?, ?)",
                       {nullptr, std::int64_t{-42}, 0.5, true, std::string("ab"), when}) ==
          "INSERT INTO `t` (`a`, `b`, `c`, `d`, `e`, `f`) VALUES "
          "(NULL, -42, 0.5, 1, _utf8mb4 X'6162', '2026-11-30 13:45:07')");
    CHECK(WithLiterals("SELECT ?", {false}) == "SELECT 0");
    CHECK(WithLiterals("SELECT ?", {std::string()}) == "SELECT _utf8mb4 X''");
}

TEST_CASE("sql literals: a string value is hex, whatever bytes it holds") {
    CHECK(WithLiterals("INSERT INTO `t` (`v`) VALUES (?)", {std::string("'; --\\?`\"")}) ==
          "INSERT INTO `t` (`v`) VALUES (_utf8mb4 X'273B202D2D5C3F6022')");
    CHECK(WithLiterals("SELECT ?", {std::string("\xF0\x9F\x98\x80", 4) + '\0'}) == "SELECT _utf8mb4 X'F09F988000'");
}

TEST_CASE("sql literals: a question mark inside quotes is not a placeholder") {
    CHECK(WithLiterals("SELECT '?', \"?\", `a?`, 'it''s ?', 'x\\'?' FROM t WHERE a = ?", {std::int64_t{1}}) ==
          "SELECT '?', \"?\", `a?`, 'it''s ?', 'x\\'?' FROM t WHERE a = 1");
}

TEST_CASE("sql literals: placeholders and values must pair up") {
    CHECK_THROWS_AS(WithLiterals("SELECT ?, ?", {std::int64_t{1}}), std::invalid_argument);
    CHECK_THROWS_AS(WithLiterals("SELECT ?", {std::int64_t{1}, std::int64_t{2}}), std::invalid_argument);
    CHECK_THROWS_AS(WithLiterals("SELECT 'open ?", {std::int64_t{1}}), std::invalid_argument);
    CHECK_THROWS_AS(WithLiterals("SELECT ?", {std::nan("")}), std::invalid_argument);
}
