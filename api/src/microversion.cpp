#include "nova/api/microversion.hpp"

#include <charconv>
#include <vector>

namespace nova::api {

namespace {

std::string_view Trim(std::string_view s) {
    constexpr std::string_view kSpace = " \t\r\n\f\v";
    auto first = s.find_first_not_of(kSpace);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        auto at = s.find(sep, start);
        parts.push_back(s.substr(start, at == std::string_view::npos ? at : at - start));
        if (at == std::string_view::npos) break;
        start = at + 1;
    }
    return parts;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

bool ParseNumber(std::string_view digits, int& out) {
    if (digits.empty()) return false;
    for (char c : digits) {
        if (c < '0' || c > '9') return false;
    }
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return ec == std::errc() && ptr == digits.data() + digits.size();
}

// microversion_parse.check_standard_header: the last "<service> <version>" entry naming
// compute; entries without a space are skipped.
std::optional<std::string> ComputeEntry(const std::string& header) {
    auto entries = Split(header, ',');
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
        std::string_view entry = Trim(*it);
        auto space = entry.find_first_of(" \t");
        if (space == std::string_view::npos) continue;
        std::string_view service = entry.substr(0, space);
        std::string_view version = Trim(entry.substr(space));
        if (version.empty()) continue;
        if (EqualsIgnoreCase(service, "compute")) return std::string(version);
    }
    return std::nullopt;
}

}  // namespace

std::string ApiVersion::ToString() const {
    return std::to_string(major) + "." + std::to_string(minor);
}

std::optional<ApiVersion> ApiVersion::Parse(std::string_view text) {
    auto dot = text.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    std::string_view major = text.substr(0, dot);
    std::string_view minor = text.substr(dot + 1);
    // No leading zeros, except a minor of exactly "0".
    if (major.empty() || major[0] == '0') return std::nullopt;
    if (minor.empty() || (minor[0] == '0' && minor.size() > 1)) return std::nullopt;
    ApiVersion v;
    if (!ParseNumber(major, v.major) || !ParseNumber(minor, v.minor)) return std::nullopt;
    return v;
}

VersionNegotiation NegotiateVersion(const std::optional<std::string>& standard,
                                    const std::optional<std::string>& legacy) {
    std::optional<std::string> text;
    if (standard) text = ComputeEntry(*standard);
    if (!text && legacy) {
        auto values = Split(*legacy, ',');
        text = std::string(Trim(values.back()));
    }
    VersionNegotiation result;
    if (!text) {
        result.version = kDefaultApiVersion;
        return result;
    }
    result.requested = *text;
    if (*text == "latest") {
        result.version = kMaxApiVersion;
        return result;
    }
    auto parsed = ApiVersion::Parse(*text);
    if (!parsed) {
        result.outcome = VersionNegotiation::Outcome::kInvalidFormat;
        return result;
    }
    result.version = *parsed;
    if (*parsed < kMinApiVersion || *parsed > kMaxApiVersion) {
        result.outcome = VersionNegotiation::Outcome::kOutOfRange;
    }
    return result;
}

}  // namespace nova::api
