#include "nova/objects/version.hpp"

#include <charconv>

#include "nova/common/error.hpp"

namespace nova::objects {

namespace {

bool ParsePart(std::string_view text, int& out) {
    if (text.empty() || text.size() > 6) return false;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size() && out >= 0;
}

}  // namespace

ObjectVersion ObjectVersion::Parse(std::string_view text) {
    ObjectVersion v;
    auto dot = text.find('.');
    if (dot == std::string_view::npos || !ParsePart(text.substr(0, dot), v.major) ||
        !ParsePart(text.substr(dot + 1), v.minor)) {
        throw InvalidInput({{"reason", "not an object version: '" + std::string(text) + "'"}});
    }
    return v;
}

std::string ObjectVersion::ToString() const {
    return std::to_string(major) + "." + std::to_string(minor);
}

}  // namespace nova::objects
