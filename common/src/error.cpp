#include "nova/common/error.hpp"

#include <cmath>
#include <cstdio>
#include <functional>
#include <unordered_map>

namespace nova {

NovaError::NovaError(InitTag, Init init) : kwargs_(std::move(init.kwargs)), code_(init.code) {
    if (!kwargs_.is_object()) {
        kwargs_ = Json::object();
    }
    if (init.message) {
        message_ = std::move(*init.message);
    } else if (auto formatted = FormatPercentTemplate(init.message_template, kwargs_)) {
        message_ = std::move(*formatted);
    } else {
        // Nova logs the mismatch and falls back to the unformatted template.
        message_ = std::string(init.message_template);
    }
    if (!kwargs_.contains("code")) {
        kwargs_["code"] = code_;
    }
}

namespace {

std::string PythonFloat(double d) {
    if (std::isnan(d)) return "nan";
    if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
    // Python prints the shortest repr that round-trips; %.17g then trimming is close enough
    // for messages, and integral floats keep their ".0" as Python's do.
    char buf[64];
    for (int precision = 1; precision <= 17; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*g", precision, d);
        if (std::strtod(buf, nullptr) == d) break;
    }
    std::string s = buf;
    if (s.find_first_of(".eninf") == std::string::npos) s += ".0";
    return s;
}

void AppendPython(std::string& out, const Json& v, bool repr) {
    switch (v.type()) {
        case Json::value_t::null:
            out += "None";
            return;
        case Json::value_t::boolean:
            out += v.get<bool>() ? "True" : "False";
            return;
        case Json::value_t::number_integer:
            out += std::to_string(v.get<std::int64_t>());
            return;
        case Json::value_t::number_unsigned:
            out += std::to_string(v.get<std::uint64_t>());
            return;
        case Json::value_t::number_float:
            out += PythonFloat(v.get<double>());
            return;
        case Json::value_t::string:
            if (repr) {
                out += '\'';
                for (char c : v.get_ref<const std::string&>()) {
                    if (c == '\'' || c == '\\') out += '\\';
                    out += c;
                }
                out += '\'';
            } else {
                out += v.get_ref<const std::string&>();
            }
            return;
        case Json::value_t::array: {
            out += '[';
            bool first = true;
            for (const auto& e : v) {
                if (!first) out += ", ";
                first = false;
                AppendPython(out, e, true);
            }
            out += ']';
            return;
        }
        case Json::value_t::object: {
            out += '{';
            bool first = true;
            for (const auto& [k, e] : v.items()) {
                if (!first) out += ", ";
                first = false;
                AppendPython(out, Json(k), true);
                out += ": ";
                AppendPython(out, e, true);
            }
            out += '}';
            return;
        }
        default:
            out += v.dump();
    }
}

}  // namespace

std::string PythonStr(const Json& value) {
    std::string out;
    AppendPython(out, value, false);
    return out;
}

std::string PythonRepr(const Json& value) {
    std::string out;
    AppendPython(out, value, true);
    return out;
}

std::optional<std::string> FormatPercentTemplate(std::string_view tmpl, const Json& kwargs) {
    std::string out;
    out.reserve(tmpl.size() + 32);
    for (std::size_t i = 0; i < tmpl.size(); ++i) {
        char c = tmpl[i];
        if (c != '%') {
            out += c;
            continue;
        }
        if (i + 1 >= tmpl.size()) return std::nullopt;
        if (tmpl[i + 1] == '%') {
            out += '%';
            ++i;
            continue;
        }
        if (tmpl[i + 1] != '(') return std::nullopt;
        std::size_t close = tmpl.find(')', i + 2);
        if (close == std::string_view::npos || close + 1 >= tmpl.size()) return std::nullopt;
        std::string key(tmpl.substr(i + 2, close - i - 2));
        char conv = tmpl[close + 1];
        if (!kwargs.is_object() || !kwargs.contains(key)) return std::nullopt;
        const Json& value = kwargs.at(key);
        switch (conv) {
            case 's':
                AppendPython(out, value, false);
                break;
            case 'r':
                AppendPython(out, value, true);
                break;
            case 'd':
            case 'i':
                if (value.is_number_integer()) {
                    AppendPython(out, value, false);
                } else if (value.is_number_float()) {
                    out += std::to_string(static_cast<std::int64_t>(value.get<double>()));
                } else if (value.is_boolean()) {
                    out += value.get<bool>() ? "1" : "0";
                } else {
                    return std::nullopt;  // Python raises TypeError here
                }
                break;
            default:
                return std::nullopt;
        }
        i = close + 1;
    }
    return out;
}

namespace {

using ErrorFactory = std::function<std::unique_ptr<NovaError>(std::string, Json)>;

const std::unordered_map<std::string_view, ErrorFactory>& Registry() {
    static const std::unordered_map<std::string_view, ErrorFactory> registry = [] {
        std::unordered_map<std::string_view, ErrorFactory> r;
        r.emplace(NovaError::kClassName, [](std::string m, Json k) {
            return std::make_unique<NovaError>(NovaError::WithMessage(std::move(m), std::move(k)));
        });
#define NOVA_REGISTER_ERROR_(Name, ...)                          \
    r.emplace(Name::kClassName, [](std::string m, Json k) {      \
        return std::make_unique<Name>(Name::WithMessage(std::move(m), std::move(k))); \
    });
        NOVA_ERROR_LIST(NOVA_REGISTER_ERROR_)
#undef NOVA_REGISTER_ERROR_
        return r;
    }();
    return registry;
}

}  // namespace

std::unique_ptr<NovaError> MakeErrorByName(std::string_view class_name, std::string message,
                                           Json kwargs) {
    const auto& registry = Registry();
    auto it = registry.find(class_name);
    if (it == registry.end()) return nullptr;
    return it->second(std::move(message), std::move(kwargs));
}

}  // namespace nova
