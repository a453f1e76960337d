#include "sql_literals.hpp"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "nova/common/time.hpp"

namespace nova::db::detail {

namespace {

void AppendLiteral(std::string& out, const Param& param) {
    std::visit(
        [&out](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) {
                out += "NULL";
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
                out += std::to_string(v);
            } else if constexpr (std::is_same_v<T, double>) {
                if (!std::isfinite(v)) throw std::invalid_argument("a SQL value cannot be NaN or infinite");
                out += fmt::format("{:.17g}", v);
            } else if constexpr (std::is_same_v<T, bool>) {
                out += v ? "1" : "0";
            } else if constexpr (std::is_same_v<T, std::string>) {
                static constexpr char kHex[] = "0123456789ABCDEF";
                out += "_utf8mb4 X'";
                for (unsigned char c : v) {
                    out += kHex[c >> 4];
                    out += kHex[c & 0x0F];
                }
                out += '\'';
            } else {
                out += '\'' + timeutil::Sql(v) + '\'';
            }
        },
        param);
}

}  // namespace

std::string WithLiterals(std::string_view sql, const Params& params) {
    std::string out;
    out.reserve(sql.size() + 64);
    std::size_t next = 0;
    char quote = 0;  // the quote character of the literal or name being copied, if any
    for (std::size_t i = 0; i < sql.size(); ++i) {
        const char c = sql[i];
        if (quote) {
            out += c;
            if (c == '\\' && quote != '`' && i + 1 < sql.size()) {
                out += sql[++i];  // an escaped character, the quote included
            } else if (c == quote) {
                quote = 0;  // a doubled quote closes and reopens: the same result
            }
        } else if (c == '\'' || c == '"' || c == '`') {
            quote = c;
            out += c;
        } else if (c == '?') {
            if (next == params.size()) {
                throw std::invalid_argument("more placeholders than values in: " + std::string(sql));
            }
            AppendLiteral(out, params[next++]);
        } else {
            out += c;
        }
    }
    if (quote) throw std::invalid_argument("unterminated quote in: " + std::string(sql));
    if (next != params.size()) throw std::invalid_argument("more values than placeholders in: " + std::string(sql));
    return out;
}

}  // namespace nova::db::detail
