#include "nova/api/validation/schema.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>
#include <stdexcept>

#include <boost/regex.hpp>

#include "nova/api/validation/python_text.hpp"
#include "nova/api/validation/unicode.hpp"
#include "nova/common/error.hpp"
#include "formats.hpp"

namespace nova::api::validation {

namespace {

enum class Keyword {
    kType,
    kProperties,
    kPatternProperties,
    kAdditionalProperties,
    kRequired,
    kEnum,
    kMinimum,
    kMaximum,
    kMinLength,
    kMaxLength,
    kPattern,
    kPrintable,
    kFormat,
    kItems,
    kAdditionalItems,
    kMinItems,
    kMaxItems,
    kUniqueItems,
    kMinProperties,
    kMaxProperties,
    kAllOf,
    kAnyOf,
    kOneOf,
    kNot,
};

const std::set<std::string>& IgnoredKeywords() {
    static const std::set<std::string> kIgnored = {"description", "title", "default", "$schema",
                                                   "id", "exclusiveMinimum", "exclusiveMaximum"};
    return kIgnored;
}

constexpr auto kRegexFlags = boost::regex::perl;

// Python's re reads a '-' that follows a range inside a class ("[0-9-_]") as a literal;
// Boost refuses it. Escape such dashes so Nova's patterns keep their meaning.
std::string FromPythonPattern(const std::string& pattern) {
    std::string out;
    bool in_class = false;
    bool class_start = false;
    bool after_range = false;  // the previous class item closed a range
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        char c = pattern[i];
        if (c == '\\' && i + 1 < pattern.size()) {
            out += c;
            out += pattern[++i];
            after_range = false;
            class_start = false;
            continue;
        }
        if (!in_class) {
            if (c == '[') {
                in_class = true;
                class_start = true;
                after_range = false;
            }
            out += c;
            continue;
        }
        if (c == ']' && !class_start) {
            in_class = false;
            out += c;
            continue;
        }
        if (c == '^' && class_start && out.back() == '[') {
            out += c;
            continue;
        }
        class_start = false;
        if (c == '-' && after_range) {
            out += "\\-";
            after_range = false;
            continue;
        }
        if (c == '-' && i + 1 < pattern.size() && pattern[i + 1] != ']' && !out.empty() &&
            out.back() != '[') {
            out += c;
            out += pattern[++i];
            after_range = true;
            continue;
        }
        after_range = false;
        out += c;
    }
    return out;
}

boost::regex CompilePattern(const std::string& pattern) {
    return boost::regex(FromPythonPattern(pattern), kRegexFlags);
}

bool Search(const boost::regex& re, const std::string& text) {
    try {
        return boost::regex_search(text, re, boost::match_single_line);
    } catch (const std::runtime_error&) {
        return false;  // too complex to decide: treat as not matching
    }
}

bool IsType(const OrderedJson& v, const std::string& type) {
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "string") return v.is_string();
    if (type == "integer") return v.is_number_integer();  // bools are not numbers here
    if (type == "number") return v.is_number();
    if (type == "boolean") return v.is_boolean();
    if (type == "null") return v.is_null();
    return false;
}

// Python's == between decoded JSON values (1 == 1.0), used by enum and uniqueItems.
bool PyEqual(const OrderedJson& a, const OrderedJson& b) {
    if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
    if (a.type() != b.type()) return false;
    if (a.is_array()) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (!PyEqual(a[i], b[i])) return false;
        }
        return true;
    }
    if (a.is_object()) {
        if (a.size() != b.size()) return false;
        for (const auto& [key, value] : a.items()) {
            auto it = b.find(key);
            if (it == b.end() || !PyEqual(value, *it)) return false;
        }
        return true;
    }
    return a == b;
}

// Nova's minimum/maximum see numbers given as strings: Python's int(x), else float(x).
std::optional<OrderedJson> NumberFrom(const OrderedJson& v) {
    if (v.is_boolean()) return OrderedJson(v.get<bool>() ? 1 : 0);
    if (v.is_number_integer()) return v;
    if (v.is_number_float()) {
        double d = v.get<double>();
        if (std::isnan(d)) return v;
        if (std::isinf(d)) return v;
        return OrderedJson(static_cast<std::int64_t>(std::trunc(d)));
    }
    if (!v.is_string()) return std::nullopt;
    std::string text = v.get<std::string>();
    auto first = text.find_first_not_of(" \t\n\r\f\v");
    if (first == std::string::npos) return std::nullopt;
    text = text.substr(first, text.find_last_not_of(" \t\n\r\f\v") - first + 1);
    static const boost::regex kInt(R"(^[+-]?[0-9]+(_[0-9]+)*$)");
    static const boost::regex kFloat(
        R"(^[+-]?(([0-9]+(_[0-9]+)*)?\.?[0-9]+(_[0-9]+)*([eE][+-]?[0-9]+)?|[0-9]+(_[0-9]+)*\.|inf|infinity|nan)$)",
        boost::regex::perl | boost::regex::icase);
    std::string digits;
    for (char c : text) {
        if (c != '_') digits += c;
    }
    if (boost::regex_match(text, kInt)) {
        errno = 0;
        long long n = std::strtoll(digits.c_str(), nullptr, 10);
        if (errno == ERANGE) return OrderedJson(std::strtod(digits.c_str(), nullptr));
        return OrderedJson(static_cast<std::int64_t>(n));
    }
    if (boost::regex_match(text, kFloat)) return OrderedJson(std::strtod(digits.c_str(), nullptr));
    return std::nullopt;
}

double AsDouble(const OrderedJson& v) { return v.get<double>(); }

std::string ExtrasMessage(std::vector<std::string> extras) {
    std::sort(extras.begin(), extras.end());
    std::string joined;
    for (const auto& e : extras) {
        if (!joined.empty()) joined += ", ";
        joined += PythonReprString(e);
    }
    return joined + (extras.size() == 1 ? " was" : " were");
}

}  // namespace

struct Schema::Node {
    OrderedJson source;
    std::vector<Keyword> order;
    std::vector<std::string> types;
    std::vector<std::pair<std::string, std::unique_ptr<Node>>> properties;
    struct PatternProperty {
        std::string text;
        boost::regex re;
        std::unique_ptr<Node> schema;
    };
    std::vector<PatternProperty> pattern_properties;
    bool additional_allowed = true;
    std::unique_ptr<Node> additional_schema;
    std::vector<std::string> required;
    OrderedJson enum_values;
    OrderedJson minimum, maximum;
    bool exclusive_minimum = false, exclusive_maximum = false;
    std::size_t min_length = 0, max_length = 0, min_items = 0, max_items = 0;
    std::size_t min_properties = 0, max_properties = 0;
    std::string pattern_text;
    boost::regex pattern;
    std::string format;
    std::unique_ptr<Node> items;
    std::vector<std::unique_ptr<Node>> item_list;
    bool items_is_list = false;
    bool additional_items_allowed = true;
    std::unique_ptr<Node> additional_items_schema;
    bool unique_items = false;
    std::vector<std::unique_ptr<Node>> all_of, any_of, one_of;
    std::unique_ptr<Node> not_schema;
};

namespace {

using Node = Schema::Node;

[[noreturn]] void Bad(const std::string& what) {
    throw std::invalid_argument("invalid schema: " + what);
}

std::size_t Count(const OrderedJson& v, const char* keyword) {
    if (!v.is_number_integer() || v.get<long long>() < 0) {
        Bad(std::string(keyword) + " must be a non-negative integer");
    }
    return v.get<std::size_t>();
}

std::unique_ptr<Node> Compile(const OrderedJson& schema);

std::vector<std::unique_ptr<Node>> CompileList(const OrderedJson& list, const char* keyword) {
    if (!list.is_array() || list.empty()) Bad(std::string(keyword) + " must be a non-empty list");
    std::vector<std::unique_ptr<Node>> out;
    for (const auto& s : list) out.push_back(Compile(s));
    return out;
}

std::unique_ptr<Node> Compile(const OrderedJson& schema) {
    if (!schema.is_object()) Bad("a schema must be an object: " + schema.dump());
    auto node = std::make_unique<Node>();
    node->source = schema;
    for (const auto& [key, value] : schema.items()) {
        if (key == "type") {
            if (value.is_string()) {
                node->types.push_back(value.get<std::string>());
            } else if (value.is_array()) {
                for (const auto& t : value) node->types.push_back(t.get<std::string>());
            } else {
                Bad("type must be a string or a list");
            }
            static const std::set<std::string> kTypes = {"object", "array",   "string", "integer",
                                                         "number", "boolean", "null"};
            for (const auto& t : node->types) {
                if (!kTypes.count(t)) Bad("unknown type " + t);
            }
            node->order.push_back(Keyword::kType);
        } else if (key == "properties") {
            if (!value.is_object()) Bad("properties must be an object");
            for (const auto& [name, sub] : value.items()) {
                node->properties.emplace_back(name, Compile(sub));
            }
            node->order.push_back(Keyword::kProperties);
        } else if (key == "patternProperties") {
            if (!value.is_object()) Bad("patternProperties must be an object");
            for (const auto& [text, sub] : value.items()) {
                node->pattern_properties.push_back({text, CompilePattern(text), Compile(sub)});
            }
            node->order.push_back(Keyword::kPatternProperties);
        } else if (key == "additionalProperties") {
            if (value.is_boolean()) {
                node->additional_allowed = value.get<bool>();
            } else {
                node->additional_schema = Compile(value);
            }
            node->order.push_back(Keyword::kAdditionalProperties);
        } else if (key == "required") {
            if (!value.is_array()) Bad("required must be a list");
            for (const auto& r : value) node->required.push_back(r.get<std::string>());
            node->order.push_back(Keyword::kRequired);
        } else if (key == "enum") {
            if (!value.is_array()) Bad("enum must be a list");
            node->enum_values = value;
            node->order.push_back(Keyword::kEnum);
        } else if (key == "minimum" || key == "maximum") {
            if (!value.is_number()) Bad(key + " must be a number");
            if (key == "minimum") {
                node->minimum = value;
                node->exclusive_minimum = schema.value("exclusiveMinimum", false);
                node->order.push_back(Keyword::kMinimum);
            } else {
                node->maximum = value;
                node->exclusive_maximum = schema.value("exclusiveMaximum", false);
                node->order.push_back(Keyword::kMaximum);
            }
        } else if (key == "minLength") {
            node->min_length = Count(value, "minLength");
            node->order.push_back(Keyword::kMinLength);
        } else if (key == "maxLength") {
            node->max_length = Count(value, "maxLength");
            node->order.push_back(Keyword::kMaxLength);
        } else if (key == "pattern") {
            node->pattern_text = value.get<std::string>();
            node->pattern = CompilePattern(node->pattern_text);
            node->order.push_back(Keyword::kPattern);
        } else if (key == "printable") {
            if (value != true) Bad("printable must be true");
            node->order.push_back(Keyword::kPrintable);
        } else if (key == "format") {
            node->format = value.get<std::string>();
            if (!IsKnownFormat(node->format)) Bad("unsupported format " + node->format);
            node->order.push_back(Keyword::kFormat);
        } else if (key == "items") {
            if (value.is_array()) {
                node->items_is_list = true;
                for (const auto& s : value) node->item_list.push_back(Compile(s));
            } else {
                node->items = Compile(value);
            }
            node->order.push_back(Keyword::kItems);
        } else if (key == "additionalItems") {
            if (value.is_boolean()) {
                node->additional_items_allowed = value.get<bool>();
            } else {
                node->additional_items_schema = Compile(value);
            }
            node->order.push_back(Keyword::kAdditionalItems);
        } else if (key == "minItems") {
            node->min_items = Count(value, "minItems");
            node->order.push_back(Keyword::kMinItems);
        } else if (key == "maxItems") {
            node->max_items = Count(value, "maxItems");
            node->order.push_back(Keyword::kMaxItems);
        } else if (key == "uniqueItems") {
            node->unique_items = value.get<bool>();
            node->order.push_back(Keyword::kUniqueItems);
        } else if (key == "minProperties") {
            node->min_properties = Count(value, "minProperties");
            node->order.push_back(Keyword::kMinProperties);
        } else if (key == "maxProperties") {
            node->max_properties = Count(value, "maxProperties");
            node->order.push_back(Keyword::kMaxProperties);
        } else if (key == "allOf") {
            node->all_of = CompileList(value, "allOf");
            node->order.push_back(Keyword::kAllOf);
        } else if (key == "anyOf") {
            node->any_of = CompileList(value, "anyOf");
            node->order.push_back(Keyword::kAnyOf);
        } else if (key == "oneOf") {
            node->one_of = CompileList(value, "oneOf");
            node->order.push_back(Keyword::kOneOf);
        } else if (key == "not") {
            node->not_schema = Compile(value);
            node->order.push_back(Keyword::kNot);
        } else if (!IgnoredKeywords().count(key)) {
            Bad("unsupported keyword " + key);
        }
    }
    return node;
}

class Checker {
public:
    explicit Checker(bool relax) : relax_(relax) {}

    std::optional<SchemaError> Check(const Node& node, OrderedJson& instance) {
        for (Keyword kw : node.order) {
            if (auto error = CheckKeyword(node, kw, instance)) return error;
        }
        return std::nullopt;
    }

private:
    SchemaError Fail(const OrderedJson& instance, std::string message,
                     std::optional<std::string> cause = std::nullopt) {
        return SchemaError{path_, instance, std::move(message), std::move(cause)};
    }

    std::optional<SchemaError> Descend(const Node& node, OrderedJson& instance,
                                       OrderedJson path_element) {
        path_.push_back(std::move(path_element));
        auto error = Check(node, instance);
        path_.pop_back();
        return error;
    }

    bool Valid(const Node& node, OrderedJson& instance) {
        auto saved = path_;
        bool ok = !Check(node, instance).has_value();
        path_ = std::move(saved);
        return ok;
    }

    std::vector<std::string> Extras(const Node& node, const OrderedJson& instance) {
        std::vector<std::string> extras;
        for (const auto& [key, value] : instance.items()) {
            bool declared = std::any_of(node.properties.begin(), node.properties.end(),
                                        [&](const auto& p) { return p.first == key; });
            if (declared) continue;
            bool patterned = std::any_of(node.pattern_properties.begin(),
                                         node.pattern_properties.end(),
                                         [&](const auto& p) { return Search(p.re, key); });
            if (!patterned) extras.push_back(key);
        }
        return extras;
    }

    std::optional<SchemaError> CheckKeyword(const Node& node, Keyword kw, OrderedJson& instance) {
        switch (kw) {
            case Keyword::kType: {
                for (const auto& t : node.types) {
                    if (IsType(instance, t)) return std::nullopt;
                }
                std::string reprs;
                for (const auto& t : node.types) {
                    if (!reprs.empty()) reprs += ", ";
                    reprs += PythonReprString(t);
                }
                return Fail(instance, PythonRepr(instance) + " is not of type " + reprs);
            }
            case Keyword::kProperties:
                if (!instance.is_object()) return std::nullopt;
                for (const auto& [name, sub] : node.properties) {
                    auto it = instance.find(name);
                    if (it == instance.end()) continue;
                    if (auto e = Descend(*sub, *it, name)) return e;
                }
                return std::nullopt;
            case Keyword::kPatternProperties:
                if (!instance.is_object()) return std::nullopt;
                for (const auto& pp : node.pattern_properties) {
                    for (auto& [key, value] : instance.items()) {
                        if (Search(pp.re, key)) {
                            if (auto e = Descend(*pp.schema, value, key)) return e;
                        }
                    }
                }
                return std::nullopt;
            case Keyword::kAdditionalProperties: {
                if (!instance.is_object()) return std::nullopt;
                auto extras = Extras(node, instance);
                if (extras.empty()) return std::nullopt;
                if (node.additional_schema) {
                    std::sort(extras.begin(), extras.end());
                    for (const auto& extra : extras) {
                        if (auto e = Descend(*node.additional_schema, instance[extra], extra)) {
                            return e;
                        }
                    }
                    return std::nullopt;
                }
                if (node.additional_allowed) return std::nullopt;
                if (relax_) {
                    // Nova's legacy v2 mode drops what it does not know, unless the schema
                    // names patterns (metadata), where extras stay errors.
                    if (node.pattern_properties.empty()) {
                        for (const auto& extra : extras) instance.erase(extra);
                        return std::nullopt;
                    }
                    return Fail(instance, "Additional properties are not allowed (" +
                                              ExtrasMessage(extras) + " unexpected)");
                }
                if (!node.pattern_properties.empty()) {
                    std::sort(extras.begin(), extras.end());
                    std::string joined;
                    for (const auto& e : extras) {
                        if (!joined.empty()) joined += ", ";
                        joined += PythonReprString(e);
                    }
                    std::vector<std::string> patterns;
                    for (const auto& pp : node.pattern_properties) patterns.push_back(pp.text);
                    std::sort(patterns.begin(), patterns.end());
                    std::string pattern_list;
                    for (const auto& p : patterns) {
                        if (!pattern_list.empty()) pattern_list += ", ";
                        pattern_list += PythonReprString(p);
                    }
                    return Fail(instance, joined + (extras.size() == 1 ? " does" : " do") +
                                              " not match any of the regexes: " + pattern_list);
                }
                return Fail(instance, "Additional properties are not allowed (" +
                                          ExtrasMessage(extras) + " unexpected)");
            }
            case Keyword::kRequired:
                if (!instance.is_object()) return std::nullopt;
                for (const auto& name : node.required) {
                    if (!instance.contains(name)) {
                        return Fail(instance, PythonReprString(name) + " is a required property");
                    }
                }
                return std::nullopt;
            case Keyword::kEnum:
                for (const auto& candidate : node.enum_values) {
                    // True is not 1 here (jsonschema keeps booleans apart from 0 and 1).
                    if (candidate.is_boolean() != instance.is_boolean()) continue;
                    if (PyEqual(candidate, instance)) return std::nullopt;
                }
                return Fail(instance, PythonRepr(instance) + " is not one of " +
                                          PythonRepr(node.enum_values));
            case Keyword::kMinimum:
            case Keyword::kMaximum: {
                auto number = NumberFrom(instance);
                if (!number) return std::nullopt;
                double value = AsDouble(*number);
                if (kw == Keyword::kMinimum) {
                    double limit = AsDouble(node.minimum);
                    bool failed = node.exclusive_minimum ? value <= limit : value < limit;
                    if (!failed) return std::nullopt;
                    return Fail(instance, PythonRepr(*number) + " is " +
                                              (node.exclusive_minimum ? "less than or equal to"
                                                                      : "less than") +
                                              " the minimum of " + PythonRepr(node.minimum));
                }
                double limit = AsDouble(node.maximum);
                bool failed = node.exclusive_maximum ? value >= limit : value > limit;
                if (!failed) return std::nullopt;
                return Fail(instance, PythonRepr(*number) + " is " +
                                          (node.exclusive_maximum ? "greater than or equal to"
                                                                  : "greater than") +
                                          " the maximum of " + PythonRepr(node.maximum));
            }
            case Keyword::kMinLength:
                if (instance.is_string() &&
                    CodePointCount(instance.get_ref<const std::string&>()) < node.min_length) {
                    return Fail(instance, PythonRepr(instance) + " is too short");
                }
                return std::nullopt;
            case Keyword::kMaxLength:
                if (instance.is_string() &&
                    CodePointCount(instance.get_ref<const std::string&>()) > node.max_length) {
                    return Fail(instance, PythonRepr(instance) + " is too long");
                }
                return std::nullopt;
            case Keyword::kPattern:
                if (instance.is_string() &&
                    !Search(node.pattern, instance.get_ref<const std::string&>())) {
                    return Fail(instance, PythonRepr(instance) + " does not match " +
                                              PythonReprString(node.pattern_text));
                }
                return std::nullopt;
            case Keyword::kPrintable:
                if (instance.is_string()) {
                    auto cps = DecodeUtf8(instance.get_ref<const std::string&>());
                    if (!cps || !IsPrintableText(*cps)) {
                        return Fail(instance, PythonRepr(instance) +
                                                  " does not match '^[<printable characters>]*$'");
                    }
                }
                return std::nullopt;
            case Keyword::kFormat: {
                FormatResult result = CheckFormat(node.format, instance);
                if (result.ok) return std::nullopt;
                return Fail(instance,
                            PythonRepr(instance) + " is not a " + PythonReprString(node.format),
                            std::move(result.cause));
            }
            case Keyword::kItems:
                if (!instance.is_array()) return std::nullopt;
                if (node.items_is_list) {
                    for (std::size_t i = 0; i < instance.size() && i < node.item_list.size(); ++i) {
                        if (auto e = Descend(*node.item_list[i], instance[i], i)) return e;
                    }
                } else {
                    for (std::size_t i = 0; i < instance.size(); ++i) {
                        if (auto e = Descend(*node.items, instance[i], i)) return e;
                    }
                }
                return std::nullopt;
            case Keyword::kAdditionalItems: {
                if (!instance.is_array() || !node.items_is_list) return std::nullopt;
                std::size_t declared = node.item_list.size();
                if (node.additional_items_schema) {
                    for (std::size_t i = declared; i < instance.size(); ++i) {
                        if (auto e = Descend(*node.additional_items_schema, instance[i], i)) {
                            return e;
                        }
                    }
                    return std::nullopt;
                }
                if (node.additional_items_allowed || instance.size() <= declared) {
                    return std::nullopt;
                }
                std::string joined;
                for (std::size_t i = declared; i < instance.size(); ++i) {
                    if (!joined.empty()) joined += ", ";
                    joined += PythonRepr(instance[i]);
                }
                return Fail(instance, "Additional items are not allowed (" + joined +
                                          (instance.size() - declared == 1 ? " was" : " were") +
                                          " unexpected)");
            }
            case Keyword::kMinItems:
                if (instance.is_array() && instance.size() < node.min_items) {
                    return Fail(instance, PythonRepr(instance) + " is too short");
                }
                return std::nullopt;
            case Keyword::kMaxItems:
                if (instance.is_array() && instance.size() > node.max_items) {
                    return Fail(instance, PythonRepr(instance) + " is too long");
                }
                return std::nullopt;
            case Keyword::kUniqueItems:
                if (node.unique_items && instance.is_array()) {
                    for (std::size_t i = 0; i < instance.size(); ++i) {
                        for (std::size_t j = i + 1; j < instance.size(); ++j) {
                            if (PyEqual(instance[i], instance[j])) {
                                return Fail(instance, PythonRepr(instance) +
                                                          " has non-unique elements");
                            }
                        }
                    }
                }
                return std::nullopt;
            case Keyword::kMinProperties:
                if (instance.is_object() && instance.size() < node.min_properties) {
                    return Fail(instance, PythonRepr(instance) + " does not have enough properties");
                }
                return std::nullopt;
            case Keyword::kMaxProperties:
                if (instance.is_object() && instance.size() > node.max_properties) {
                    return Fail(instance, PythonRepr(instance) + " has too many properties");
                }
                return std::nullopt;
            case Keyword::kAllOf:
                for (const auto& sub : node.all_of) {
                    if (auto e = Check(*sub, instance)) return e;
                }
                return std::nullopt;
            case Keyword::kAnyOf:
                for (const auto& sub : node.any_of) {
                    if (Valid(*sub, instance)) return std::nullopt;
                }
                return Fail(instance,
                            PythonRepr(instance) + " is not valid under any of the given schemas");
            case Keyword::kOneOf: {
                std::vector<const Node*> valid;
                for (const auto& sub : node.one_of) {
                    if (Valid(*sub, instance)) valid.push_back(sub.get());
                }
                if (valid.empty()) {
                    return Fail(instance, PythonRepr(instance) +
                                              " is not valid under any of the given schemas");
                }
                if (valid.size() > 1) {
                    // jsonschema lists the later matches, then the first one.
                    std::string reprs;
                    for (std::size_t i = 1; i < valid.size(); ++i) {
                        if (!reprs.empty()) reprs += ", ";
                        reprs += PythonRepr(valid[i]->source);
                    }
                    reprs += ", " + PythonRepr(valid[0]->source);
                    return Fail(instance, PythonRepr(instance) + " is valid under each of " + reprs);
                }
                return std::nullopt;
            }
            case Keyword::kNot:
                if (Valid(*node.not_schema, instance)) {
                    return Fail(instance, PythonRepr(instance) + " should not be valid under " +
                                              PythonRepr(node.not_schema->source));
                }
                return std::nullopt;
        }
        return std::nullopt;
    }

    bool relax_;
    std::vector<OrderedJson> path_;
};

}  // namespace

Schema::Schema(OrderedJson schema) : source_(std::move(schema)), root_(Compile(source_)) {}
Schema::~Schema() = default;
Schema::Schema(Schema&&) noexcept = default;
Schema& Schema::operator=(Schema&&) noexcept = default;

std::optional<SchemaError> Schema::FirstError(OrderedJson& instance,
                                              bool relax_additional_properties) const {
    Checker checker(relax_additional_properties);
    return checker.Check(*root_, instance);
}

bool Schema::DeclaresParameter(const std::string& name) const {
    for (const auto& [declared, sub] : root_->properties) {
        if (declared == name) return true;
    }
    for (const auto& pp : root_->pattern_properties) {
        // Python's re.match: anchored at the start.
        try {
            if (boost::regex_search(name, pp.re, boost::match_continuous | boost::match_single_line)) {
                return true;
            }
        } catch (const std::runtime_error&) {
        }
    }
    return false;
}

std::string BodyErrorDetail(const SchemaError& error) {
    if (error.cause) return *error.cause;
    if (error.path.empty()) return error.message;
    return "Invalid input for field/attribute " + PythonStr(error.path.back()) +
           ". Value: " + PythonStr(error.instance) + ". " + error.message;
}

std::string QueryErrorDetail(const SchemaError& error) {
    if (error.cause) return *error.cause;
    if (error.path.empty()) return error.message;
    return "Invalid input for query parameters " + PythonStr(error.path.front()) +
           ". Value: " + PythonStr(error.instance) + ". " + error.message;
}

void Schema::ValidateBody(OrderedJson& body, bool legacy_v2) const {
    if (auto error = FirstError(body, legacy_v2)) {
        throw ValidationError({{"detail", BodyErrorDetail(*error)}});
    }
}

void Schema::ValidateQuery(OrderedJson& params) const {
    if (auto error = FirstError(params, false)) {
        throw ValidationError({{"detail", QueryErrorDetail(*error)}});
    }
}

}  // namespace nova::api::validation
