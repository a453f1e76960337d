#include "nova/api/pagination.hpp"

#include <algorithm>
#include <cctype>

#include "nova/common/error.hpp"

namespace nova::api {

namespace {

std::optional<std::string> Last(const QueryParams& query, std::string_view name) {
    std::optional<std::string> value;
    for (const auto& [key, v] : query) {
        if (key == name) value = v;
    }
    return value;
}

// oslo strutils.validate_integer(value, name, min_value=0): Python's int() of the text.
long long ValidateInteger(const std::string& text, const std::string& name) {
    std::string s = text;
    auto first = s.find_first_not_of(" \t\n\r\f\v");
    auto last = s.find_last_not_of(" \t\n\r\f\v");
    s = first == std::string::npos ? std::string() : s.substr(first, last - first + 1);
    std::string digits;
    bool ok = !s.empty();
    std::size_t i = (ok && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
    if (i == s.size()) ok = false;
    for (; ok && i < s.size(); ++i) {
        if (std::isdigit(static_cast<unsigned char>(s[i]))) {
            digits += s[i];
        } else if (s[i] == '_' && i > 0 && std::isdigit(static_cast<unsigned char>(s[i - 1])) &&
                   i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
            continue;
        } else {
            ok = false;
        }
    }
    if (!ok) throw InvalidInput({{"reason", name + " must be an integer"}});
    bool negative = s[0] == '-';
    if (negative && digits.find_first_not_of('0') != std::string::npos) {
        throw InvalidInput({{"reason", name + " must be >= 0"}});
    }
    // Larger than any max_limit: cap instead of overflowing.
    if (digits.size() > 18) return std::numeric_limits<long long>::max();
    return std::stoll(digits);
}

}  // namespace

Page LimitAndMarker(const QueryParams& query, int max_limit) {
    Page page{static_cast<std::size_t>(max_limit), Last(query, "marker")};
    if (auto limit = Last(query, "limit")) {
        long long value = ValidateInteger(*limit, "limit");
        page.limit = static_cast<std::size_t>(std::min<long long>(value, max_limit));
    }
    return page;
}

}  // namespace nova::api
