#pragma once
// "major.minor" object versions, compared as numbers ("1.10" > "1.9").
#include <compare>
#include <string>
#include <string_view>

namespace nova::objects {

struct ObjectVersion {
    int major = 1;
    int minor = 0;

    // Throws InvalidInput for anything but two non-negative integers joined by a dot.
    static ObjectVersion Parse(std::string_view text);
    std::string ToString() const;
    auto operator<=>(const ObjectVersion&) const = default;
};

}  // namespace nova::objects
