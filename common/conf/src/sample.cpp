#include "nova/conf/sample.hpp"

#include <sstream>

namespace nova::conf {
namespace {

// Wraps `text` into "# "-prefixed lines of at most 72 columns.
void WrapComment(std::ostringstream& out, const std::string& text) {
    std::istringstream words(text);
    std::string word;
    std::string line;
    while (words >> word) {
        if (!line.empty() && line.size() + 1 + word.size() > 70) {
            out << "# " << line << "\n";
            line.clear();
        }
        line += (line.empty() ? "" : " ") + word;
    }
    if (!line.empty()) out << "# " << line << "\n";
}

std::string FormatNumber(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

}  // namespace

std::string GenerateSample(const std::vector<GroupInfo>& groups) {
    std::ostringstream out;
    out << "# nova.conf sample for nova-cpp, generated from the option declarations in\n"
           "# common/conf (regenerate with: build/release/bin/nova-conf-sample > "
           "etc/nova/nova.conf.sample).\n"
           "# Group and option names are Nova's and oslo's, so an existing nova.conf works.\n";
    for (const auto& group : groups) {
        out << "\n[" << group.name << "]\n";
        if (!group.help.empty()) {
            out << "\n";
            WrapComment(out, group.help);
        }
        for (const auto& opt : group.options) {
            out << "\n";
            WrapComment(out, opt.help + " (" + std::string(OptTypeName(opt.type)) + ")");
            if (opt.min && opt.max) {
                out << "# Minimum value: " << FormatNumber(*opt.min) << "\n";
                out << "# Maximum value: " << FormatNumber(*opt.max) << "\n";
            } else if (opt.min) {
                out << "# Minimum value: " << FormatNumber(*opt.min) << "\n";
            } else if (opt.max) {
                out << "# Maximum value: " << FormatNumber(*opt.max) << "\n";
            }
            if (!opt.choices.empty()) {
                out << "# Possible values:\n";
                for (const auto& c : opt.choices) out << "#   " << c << "\n";
            }
            for (const auto& old : opt.deprecated_names) {
                out << "# Deprecated name: " << old << "\n";
            }
            if (opt.reloadable) out << "# Note: re-read on SIGHUP.\n";
            std::string value = opt.has_default ? opt.default_text : "<None>";
            out << "#" << opt.name << " =" << (value.empty() ? "" : " " + value) << "\n";
        }
    }
    return out.str();
}

}  // namespace nova::conf
