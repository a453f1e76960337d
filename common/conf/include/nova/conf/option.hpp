#pragma once
// How an option is described: once, next to the struct member that holds it, in
// `<Options>::Declare(Schema<Options>&)`. The description drives parsing, validation, the
// error messages and etc/nova/nova.conf.sample.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nova::conf {

enum class OptType { kString, kInteger, kFloat, kBoolean, kList, kMultiString, kDict };

std::string_view OptTypeName(OptType type);  // "string value", "integer value", ...

struct OptionInfo {
    std::string name;
    OptType type = OptType::kString;
    std::string help;
    std::string default_text;  // as the sample shows it; empty means <None>
    bool has_default = false;
    std::optional<double> min;
    std::optional<double> max;
    std::vector<std::string> choices;
    std::vector<std::string> deprecated_names;  // old names still read, oslo-style
    bool secret = false;        // never printed
    bool reloadable = false;    // re-read on SIGHUP (oslo.config's mutable)
};

struct GroupInfo {
    std::string name;
    std::string help;
    std::vector<OptionInfo> options;
};

}  // namespace nova::conf
