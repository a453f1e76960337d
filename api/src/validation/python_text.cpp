#include "nova/api/validation/python_text.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "nova/api/validation/unicode.hpp"

namespace nova::api::validation {

std::string PythonFloatRepr(double value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";
    // The shortest decimal digits that read back as the same double, then laid out as
    // Python's repr() lays them out: positional for 1e-4 <= |x| < 1e16, exponent otherwise.
    char buf[64];
    for (int precision = 1; precision <= 17; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*e", precision - 1, value);
        if (std::strtod(buf, nullptr) == value) break;
    }
    std::string text = buf;
    std::string sign;
    if (text[0] == '-') {
        sign = "-";
        text.erase(0, 1);
    }
    auto e = text.find('e');
    int exponent = std::atoi(text.c_str() + e + 1);
    std::string digits;
    for (std::size_t i = 0; i < e; ++i) {
        if (text[i] != '.') digits += text[i];
    }
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    int decpt = exponent + 1;
    std::string out = sign;
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            out += "0." + std::string(static_cast<std::size_t>(-decpt), '0') + digits;
        } else if (static_cast<std::size_t>(decpt) >= digits.size()) {
            out += digits + std::string(decpt - digits.size(), '0') + ".0";
        } else {
            out += digits.substr(0, decpt) + "." + digits.substr(decpt);
        }
    } else {
        out += digits.substr(0, 1);
        if (digits.size() > 1) out += "." + digits.substr(1);
        char exp_text[16];
        std::snprintf(exp_text, sizeof exp_text, "e%c%02d", exponent < 0 ? '-' : '+',
                      exponent < 0 ? -exponent : exponent);
        out += exp_text;
    }
    return out;
}

namespace {

void Append(std::string& out, const OrderedJson& v, bool repr) {
    switch (v.type()) {
        case OrderedJson::value_t::null:
            out += "None";
            return;
        case OrderedJson::value_t::boolean:
            out += v.get<bool>() ? "True" : "False";
            return;
        case OrderedJson::value_t::number_integer:
            out += std::to_string(v.get<std::int64_t>());
            return;
        case OrderedJson::value_t::number_unsigned:
            out += std::to_string(v.get<std::uint64_t>());
            return;
        case OrderedJson::value_t::number_float:
            out += PythonFloatRepr(v.get<double>());
            return;
        case OrderedJson::value_t::string:
            if (repr) {
                out += PythonReprString(v.get_ref<const std::string&>());
            } else {
                out += v.get_ref<const std::string&>();
            }
            return;
        case OrderedJson::value_t::array: {
            out += '[';
            bool first = true;
            for (const auto& item : v) {
                if (!first) out += ", ";
                first = false;
                Append(out, item, true);
            }
            out += ']';
            return;
        }
        case OrderedJson::value_t::object: {
            out += '{';
            bool first = true;
            for (const auto& [key, item] : v.items()) {
                if (!first) out += ", ";
                first = false;
                out += PythonReprString(key);
                out += ": ";
                Append(out, item, true);
            }
            out += '}';
            return;
        }
        default:
            out += v.dump();
    }
}

}  // namespace

std::string PythonRepr(const OrderedJson& value) {
    std::string out;
    Append(out, value, true);
    return out;
}

std::string PythonStr(const OrderedJson& value) {
    std::string out;
    Append(out, value, false);
    return out;
}

}  // namespace nova::api::validation
