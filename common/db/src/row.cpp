#include <charconv>
#include <cstdlib>

#include "nova/common/error.hpp"
#include "nova/common/time.hpp"
#include "nova/db/session.hpp"

namespace nova::db {

const std::optional<std::string>& Row::Raw(std::string_view column) const {
    for (std::size_t i = 0; i < columns_->size(); ++i) {
        if ((*columns_)[i] == column) return values_[i];
    }
    throw DBError({{"reason", "result has no column '" + std::string(column) + "'"}});
}

bool Row::Has(std::string_view column) const {
    for (const auto& c : *columns_) {
        if (c == column) return true;
    }
    return false;
}

bool Row::IsNull(std::string_view column) const { return !Raw(column).has_value(); }

const std::string& Row::String(std::string_view column) const {
    const auto& v = Raw(column);
    if (!v) throw DBError({{"reason", "column '" + std::string(column) + "' is NULL"}});
    return *v;
}

std::int64_t Row::Int(std::string_view column) const {
    const auto& text = String(column);
    std::int64_t out = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc() || end != text.data() + text.size()) {
        throw DBError({{"reason", "column '" + std::string(column) + "' is not an integer"}});
    }
    return out;
}

double Row::Double(std::string_view column) const {
    const auto& text = String(column);
    char* end = nullptr;
    double out = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0') {
        throw DBError({{"reason", "column '" + std::string(column) + "' is not a number"}});
    }
    return out;
}

bool Row::Bool(std::string_view column) const { return Int(column) != 0; }

WallTime Row::Time(std::string_view column) const {
    auto t = timeutil::Parse(String(column));
    if (!t) throw DBError({{"reason", "column '" + std::string(column) + "' is not a datetime"}});
    return *t;
}

std::optional<std::string> Row::OptString(std::string_view column) const { return Raw(column); }

std::optional<std::int64_t> Row::OptInt(std::string_view column) const {
    if (IsNull(column)) return std::nullopt;
    return Int(column);
}

std::optional<WallTime> Row::OptTime(std::string_view column) const {
    if (IsNull(column)) return std::nullopt;
    return Time(column);
}

}  // namespace nova::db
