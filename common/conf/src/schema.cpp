#include "nova/conf/schema.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace nova::conf {

std::string_view OptTypeName(OptType type) {
    switch (type) {
        case OptType::kString: return "string value";
        case OptType::kInteger: return "integer value";
        case OptType::kFloat: return "floating point value";
        case OptType::kBoolean: return "boolean value";
        case OptType::kList: return "list value";
        case OptType::kMultiString: return "multi valued";
        case OptType::kDict: return "dict value";
    }
    return "value";
}

namespace detail {
namespace {

std::string Lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string Trimmed(std::string_view s) {
    auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    auto last = s.find_last_not_of(" \t");
    return std::string(s.substr(first, last - first + 1));
}

std::string FormatNumber(double v) {
    if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
    std::ostringstream os;
    os << v;
    return os.str();
}

}  // namespace

std::optional<std::string> ParseInto(std::string_view text, bool& out) {
    std::string v = Lower(text);
    if (v == "true" || v == "yes" || v == "on" || v == "1") {
        out = true;
    } else if (v == "false" || v == "no" || v == "off" || v == "0") {
        out = false;
    } else {
        return "not a boolean (true/false, yes/no, on/off, 1/0)";
    }
    return std::nullopt;
}

std::optional<std::string> ParseInto(std::string_view text, long long& out) {
    std::string v = Trimmed(text);
    if (v.empty()) return "not an integer";
    errno = 0;
    char* end = nullptr;
    long long parsed = std::strtoll(v.c_str(), &end, 10);
    if (end != v.c_str() + v.size()) return "not an integer";
    if (errno == ERANGE) return "out of range";
    out = parsed;
    return std::nullopt;
}

std::optional<std::string> ParseInto(std::string_view text, double& out) {
    std::string v = Trimmed(text);
    if (v.empty()) return "not a number";
    errno = 0;
    char* end = nullptr;
    double parsed = std::strtod(v.c_str(), &end);
    if (end != v.c_str() + v.size() || !std::isfinite(parsed)) return "not a number";
    if (errno == ERANGE) return "out of range";
    out = parsed;
    return std::nullopt;
}

std::optional<std::string> ParseInto(std::string_view text, std::string& out) {
    out = std::string(text);
    return std::nullopt;
}

std::optional<std::string> ParseInto(std::string_view text, std::vector<std::string>& out) {
    out.clear();
    std::string v = Trimmed(text);
    // oslo.config's List type also accepts the bracketed form [a, b].
    if (v.size() >= 2 && v.front() == '[' && v.back() == ']') v = Trimmed(v.substr(1, v.size() - 2));
    if (v.empty()) return std::nullopt;
    std::size_t start = 0;
    while (true) {
        auto comma = v.find(',', start);
        std::string item = Trimmed(std::string_view(v).substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (item.size() >= 2 && (item.front() == '"' || item.front() == '\'') && item.back() == item.front()) {
            item = item.substr(1, item.size() - 2);
        }
        out.push_back(std::move(item));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return std::nullopt;
}

std::optional<std::string> ParseInto(std::string_view text, std::map<std::string, std::string>& out) {
    out.clear();
    std::vector<std::string> items;
    ParseInto(text, items);
    for (const auto& item : items) {
        auto colon = item.find(':');
        if (colon == std::string::npos) return "dict entry '" + item + "' is not key:value";
        std::string key = Trimmed(std::string_view(item).substr(0, colon));
        if (key.empty()) return "dict entry '" + item + "' has an empty key";
        out[key] = Trimmed(std::string_view(item).substr(colon + 1));
    }
    return std::nullopt;
}

std::optional<std::string> CheckNumber(double value, const OptionInfo& info) {
    if (info.min && value < *info.min) {
        return "should be greater than or equal to " + FormatNumber(*info.min);
    }
    if (info.max && value > *info.max) {
        return "should be less than or equal to " + FormatNumber(*info.max);
    }
    return std::nullopt;
}

std::optional<std::string> CheckChoice(const std::string& value, const OptionInfo& info) {
    if (info.choices.empty()) return std::nullopt;
    if (std::find(info.choices.begin(), info.choices.end(), value) != info.choices.end()) {
        return std::nullopt;
    }
    std::string list;
    for (const auto& c : info.choices) list += (list.empty() ? "" : ", ") + c;
    return "valid values are [" + list + "]";
}

std::string DefaultText(bool v) { return v ? "true" : "false"; }
std::string DefaultText(long long v) { return std::to_string(v); }
std::string DefaultText(double v) {
    std::ostringstream os;
    os << v;
    std::string s = os.str();
    if (s.find_first_of(".e") == std::string::npos) s += ".0";
    return s;
}
std::string DefaultText(const std::string& v) { return v; }
std::string DefaultText(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& item : v) out += (out.empty() ? "" : ",") + item;
    return out;
}
std::string DefaultText(const std::map<std::string, std::string>& v) {
    std::string out;
    for (const auto& [k, item] : v) out += (out.empty() ? "" : ",") + k + ":" + item;
    return out;
}

void ThrowBadValue(std::string_view group, const OptionInfo& info, const RawValue& raw,
                   std::string_view reason) {
    std::string shown = info.secret ? std::string("****") : raw.text;
    throw ConfigFileValueError(
        {{"reason", raw.Origin() + ": [" + std::string(group) + "] " + info.name + " = '" + shown +
                        "': " + std::string(reason) + " (" + std::string(OptTypeName(info.type)) +
                        ")"}});
}

}  // namespace detail
}  // namespace nova::conf
