#include "nova/conf/source.hpp"

#include <fstream>
#include <sstream>

#include "nova/common/error.hpp"

namespace nova::conf {
namespace {

std::string_view Trim(std::string_view s) {
    auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    auto last = s.find_last_not_of(" \t\r");
    return s.substr(first, last - first + 1);
}

[[noreturn]] void ParseError(const std::string& file, int line, const std::string& reason) {
    throw ConfigFileValueError({{"reason", file + ":" + std::to_string(line) + ": " + reason}});
}

std::string GroupKey(std::string_view group) {
    // oslo.config treats [DEFAULT] case-insensitively; other group names are as written.
    std::string g(group);
    std::string upper;
    for (char c : g) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return upper == "DEFAULT" ? upper : g;
}

}  // namespace

std::string RawValue::Origin() const {
    if (line <= 0) return file;
    return file + ":" + std::to_string(line);
}

std::string ConfigSource::NormaliseKey(std::string_view key) {
    std::string k(key);
    for (char& c : k) {
        if (c == '-') c = '_';
    }
    return k;
}

ConfigSource ConfigSource::FromFiles(const std::vector<std::string>& paths) {
    ConfigSource source;
    for (const auto& path : paths) {
        std::ifstream in(path);
        if (!in) {
            throw ConfigFileValueError(
                {{"reason", "Failed to open config file " + path + ": does not exist or is "
                            "not readable"}});
        }
        std::stringstream buffer;
        buffer << in.rdbuf();
        source.Parse(buffer.str(), path);
        source.files_.push_back(path);
    }
    return source;
}

ConfigSource ConfigSource::FromString(std::string_view ini_text, std::string_view name) {
    ConfigSource source;
    source.Parse(ini_text, std::string(name));
    return source;
}

void ConfigSource::Parse(std::string_view text, const std::string& name) {
    std::string group;
    RawValue* last = nullptr;  // for continuation lines
    int line_no = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        std::string_view trimmed = Trim(line);
        if (trimmed.empty()) {
            last = nullptr;
            if (end == text.size()) break;
            continue;
        }
        if (trimmed[0] == '#' || trimmed[0] == ';') {
            if (end == text.size()) break;
            continue;
        }
        // An indented line continues the previous value (Python's iniparser, as oslo uses).
        if ((line[0] == ' ' || line[0] == '\t') && last != nullptr) {
            last->text += "\n";
            last->text += trimmed;
            if (end == text.size()) break;
            continue;
        }
        if (trimmed[0] == '[') {
            if (trimmed.back() != ']' || trimmed.size() < 3) {
                ParseError(name, line_no, "invalid section header '" + std::string(trimmed) + "'");
            }
            group = GroupKey(Trim(trimmed.substr(1, trimmed.size() - 2)));
            last = nullptr;
            if (end == text.size()) break;
            continue;
        }
        auto sep = trimmed.find_first_of("=:");
        if (sep == std::string_view::npos) {
            ParseError(name, line_no, "expected 'name = value', found '" + std::string(trimmed) + "'");
        }
        if (group.empty()) {
            ParseError(name, line_no, "option '" + std::string(Trim(trimmed.substr(0, sep))) +
                                          "' appears before any [section]");
        }
        std::string key = NormaliseKey(Trim(trimmed.substr(0, sep)));
        if (key.empty()) ParseError(name, line_no, "empty option name");
        std::string value(Trim(trimmed.substr(sep + 1)));
        auto& list = values_[group][key];
        list.push_back(RawValue{std::move(value), name, line_no});
        last = &list.back();
        if (end == text.size()) break;
    }
}

void ConfigSource::Set(std::string_view group, std::string_view key, std::string text,
                       std::string origin) {
    values_[GroupKey(group)][NormaliseKey(key)].push_back(RawValue{std::move(text), std::move(origin), 0});
}

const std::vector<RawValue>* ConfigSource::Find(std::string_view group, std::string_view key) const {
    auto g = values_.find(GroupKey(group));
    if (g == values_.end()) return nullptr;
    auto k = g->second.find(NormaliseKey(key));
    if (k == g->second.end()) return nullptr;
    return &k->second;
}

const RawValue* ConfigSource::FindLast(std::string_view group, std::string_view key) const {
    const auto* all = Find(group, key);
    return all && !all->empty() ? &all->back() : nullptr;
}

std::string ConfigSource::Interpolate(std::string_view group, const RawValue& value) const {
    return Resolve(group, value.text, value, 0);
}

std::string ConfigSource::Resolve(std::string_view group, std::string_view text,
                                  const RawValue& origin, int depth) const {
    if (text.find('$') == std::string_view::npos) return std::string(text);
    if (depth > 16) {
        throw ConfigFileValueError(
            {{"reason", origin.Origin() + ": substitution nests too deeply (a cycle?)"}});
    }
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '$') {
            out += text[i];
            continue;
        }
        if (i + 1 < text.size() && text[i + 1] == '$') {
            out += '$';
            ++i;
            continue;
        }
        std::string ref;
        if (i + 1 < text.size() && text[i + 1] == '{') {
            auto close = text.find('}', i + 2);
            if (close == std::string_view::npos) {
                throw ConfigFileValueError(
                    {{"reason", origin.Origin() + ": unterminated ${ in '" + std::string(text) + "'"}});
            }
            ref = std::string(text.substr(i + 2, close - i - 2));
            i = close;
        } else {
            std::size_t j = i + 1;
            while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) ++j;
            ref = std::string(text.substr(i + 1, j - i - 1));
            i = j - 1;
        }
        if (ref.empty()) {
            out += '$';
            continue;
        }
        std::string ref_group(group);
        std::string ref_key = ref;
        if (auto dot = ref.find('.'); dot != std::string::npos) {
            ref_group = ref.substr(0, dot);
            ref_key = ref.substr(dot + 1);
        }
        const RawValue* target = FindLast(ref_group, ref_key);
        if (!target && ref.find('.') == std::string::npos) target = FindLast("DEFAULT", ref_key);
        if (!target) {
            throw ConfigFileValueError(
                {{"reason", origin.Origin() + ": cannot substitute $" + ref +
                                ": no such option is set in the configuration files"}});
        }
        out += Resolve(ref_group, target->text, *target, depth + 1);
    }
    return out;
}

}  // namespace nova::conf
