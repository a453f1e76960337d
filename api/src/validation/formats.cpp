#include "formats.hpp"

#include <arpa/inet.h>

#include <set>

#include <boost/regex.hpp>

#include "nova/api/validation/schema.hpp"
#include "nova/api/validation/unicode.hpp"

namespace nova::api::validation {

namespace {

constexpr const char* kNameReason = "printable characters. Can not start or end with whitespace.";
constexpr const char* kNameSpacesReason =
    "printable characters with at least one non space character";
constexpr const char* kAzNameReason =
    "printable characters except :.Can not start or end with whitespace.";
constexpr const char* kAzNameSpacesReason =
    "printable characters except :, with at least one non space character";

std::string InvalidName(const std::string& reason) {
    return "An invalid 'name' value was provided. The name must be: " + reason;
}

// Nova builds its name regexes from the code points below U+FFFF only.
bool InNameRange(char32_t cp) { return cp < 0xFFFF; }

bool Printable(char32_t cp, bool allow_colon) {
    if (!InNameRange(cp) || (!allow_colon && cp == U':')) return false;
    CharClass cls = ClassOf(cp);
    return cls == CharClass::kGraphic || cls == CharClass::kSpace;
}

bool Graphic(char32_t cp, bool allow_colon) {
    if (!InNameRange(cp) || (!allow_colon && cp == U':')) return false;
    return ClassOf(cp) == CharClass::kGraphic;
}

// name_with_leading_trailing_spaces: printable, with at least one non-space character.
bool IsPrintableWithSpaces(const std::u32string& text, bool allow_colon) {
    bool any_graphic = false;
    for (char32_t cp : text) {
        if (!Printable(cp, allow_colon)) return false;
        any_graphic = any_graphic || Graphic(cp, allow_colon);
    }
    return any_graphic;
}

bool IsKeypairName(const std::string& text, const std::string& extra_chars) {
    for (char c : text) {
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  extra_chars.find(c) != std::string::npos;
        if (!ok) return false;
    }
    return true;
}

bool IsDateTime(const std::string& text) {
    // iso8601.parse_date as oslo's parse_isotime uses it: a date, optionally a time
    // (T or space), optionally a zone.
    static const boost::regex kIso(
        R"(^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,]\d+)?)?)?)?)"
        R"(\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?$)");
    boost::smatch m;
    if (!boost::regex_match(text, m, kIso)) return false;
    int month = std::stoi(m[2]);
    int day = std::stoi(m[3]);
    if (month < 1 || month > 12 || day < 1 || day > 31) return false;
    if (m[4].matched && std::stoi(m[4]) > 23) return false;
    if (m[5].matched && std::stoi(m[5]) > 59) return false;
    if (m[6].matched && std::stoi(m[6]) > 59) return false;
    return true;
}

bool IsIpv4(const std::string& text) {
    in_addr addr{};
    return inet_pton(AF_INET, text.c_str(), &addr) == 1;
}

bool IsIpv6(const std::string& text) {
    in6_addr addr{};
    return inet_pton(AF_INET6, text.c_str(), &addr) == 1;
}

bool IsCidr(const std::string& text) {
    auto slash = text.find('/');
    if (slash == std::string::npos) return false;
    for (char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) return false;
    }
    std::string address = text.substr(0, slash);
    std::string prefix = text.substr(slash + 1);
    if (prefix.empty() || prefix.size() > 3 ||
        prefix.find_first_not_of("0123456789") != std::string::npos) {
        return false;
    }
    int bits = std::stoi(prefix);
    if (IsIpv4(address)) return bits <= 32;
    if (IsIpv6(address)) return bits <= 128;
    return false;
}

// base64.b64decode without validate: characters outside the alphabet are dropped; the data
// characters must then fill whole groups of four, short groups completed by '=' padding.
bool IsBase64(const std::string& text) {
    std::size_t data = 0;
    std::size_t pads = 0;
    for (char c : text) {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/') {
            if (pads > 0) return false;  // data after padding
            ++data;
        } else if (c == '=') {
            ++pads;
        }
    }
    switch (data % 4) {
        case 0: return true;
        case 2: return pads >= 2;
        case 3: return pads >= 1;
        default: return false;
    }
}

bool IsUri(const std::string& text) {
    static const boost::regex kUri(R"(^[A-Za-z][A-Za-z0-9+.\-]*://[^/?#\s]+[^\s]*$)");
    return boost::regex_match(text, kUri);
}

bool IsRegex(const std::string& text) {
    if (text.empty()) return false;
    try {
        boost::regex re(text, boost::regex::perl);
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace

bool IsUuidLike(const std::string& text) {
    // oslo_utils.uuidutils.is_uuid_like: urn:/uuid: prefixes, braces and dashes do not count;
    // what is left must be 32 hex digits.
    std::string s = text;
    for (const char* prefix : {"urn:", "uuid:"}) {
        std::size_t at;
        while ((at = s.find(prefix)) != std::string::npos) s.erase(at, std::string(prefix).size());
    }
    while (!s.empty() && (s.front() == '{' || s.front() == '}')) s.erase(0, 1);
    while (!s.empty() && (s.back() == '{' || s.back() == '}')) s.pop_back();
    std::string hex;
    for (char c : s) {
        if (c != '-') hex += c;
    }
    if (hex.size() != 32) return false;
    return hex.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
}

bool IsPrintableName(const std::u32string& text, bool allow_colon) {
    if (text.empty()) return true;  // the length checks refuse empty names
    for (char32_t cp : text) {
        if (!Printable(cp, allow_colon)) return false;
    }
    return Graphic(text.front(), allow_colon) && Graphic(text.back(), allow_colon);
}

bool IsPrintableText(const std::u32string& text) {
    for (char32_t cp : text) {
        if (!Printable(cp, true)) return false;
    }
    return true;
}

bool IsKnownFormat(const std::string& format) {
    static const std::set<std::string> kFormats = {
        "uuid",     "name",      "name_with_leading_trailing_spaces",
        "az_name",  "az_name_with_leading_trailing_spaces",
        "keypair_name_20", "keypair_name_292", "date-time", "regex", "ipv4", "ipv6", "cidr",
        "base64",   "uri"};
    return kFormats.count(format) > 0;
}

FormatResult CheckFormat(const std::string& format, const OrderedJson& instance) {
    if (format == "name" || format == "az_name" || format == "name_with_leading_trailing_spaces" ||
        format == "az_name_with_leading_trailing_spaces") {
        bool az = format.rfind("az_", 0) == 0;
        bool spaces = format.find("leading_trailing") != std::string::npos;
        const char* reason = az ? (spaces ? kAzNameSpacesReason : kAzNameReason)
                                : (spaces ? kNameSpacesReason : kNameReason);
        bool ok = false;
        if (instance.is_string()) {
            auto cps = DecodeUtf8(instance.get_ref<const std::string&>());
            ok = cps && (spaces ? IsPrintableWithSpaces(*cps, !az) : IsPrintableName(*cps, !az));
        }
        if (ok) return {};
        return {false, InvalidName(reason)};
    }
    if (format == "keypair_name_20" || format == "keypair_name_292") {
        std::string extra = format == "keypair_name_20" ? "_- " : "@._- ";
        if (instance.is_string() && IsKeypairName(instance.get<std::string>(), extra)) return {};
        return {false, InvalidName("Only expected characters: [" + extra +
                                   "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ]")};
    }
    if (!instance.is_string()) {
        // jsonschema's own formats pass other types; Nova's refuse them.
        bool passes = format == "ipv4" || format == "ipv6" || format == "uri" || format == "cidr";
        return {passes, std::nullopt};
    }
    const std::string& text = instance.get_ref<const std::string&>();
    bool ok = true;
    if (format == "uuid") ok = IsUuidLike(text);
    else if (format == "date-time") ok = IsDateTime(text);
    else if (format == "regex") ok = IsRegex(text);
    else if (format == "ipv4") ok = IsIpv4(text);
    else if (format == "ipv6") ok = IsIpv6(text);
    else if (format == "cidr") ok = IsCidr(text);
    else if (format == "base64") ok = IsBase64(text);
    else if (format == "uri") ok = IsUri(text);
    return {ok, std::nullopt};
}

}  // namespace nova::api::validation
