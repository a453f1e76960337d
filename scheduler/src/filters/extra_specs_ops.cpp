// Nova's nova/scheduler/filters/extra_specs_ops.py: the little operator language of flavor
// extra specs matched against host capabilities and aggregate metadata.
#include <cstdlib>
#include <sstream>

#include "nova/scheduler/filters.hpp"

namespace nova::scheduler {

namespace {

// Python's float(): the whole text (surrounding spaces allowed) must be a number.
bool ToFloat(const std::string& text, double& out) {
    const char* begin = text.c_str();
    char* end = nullptr;
    out = std::strtod(begin, &end);
    if (end == begin) return false;
    while (*end == ' ' || *end == '\t' || *end == '\n') ++end;
    return *end == '\0';
}

std::vector<std::string> Split(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

}  // namespace

bool ExtraSpecMatch(const std::optional<std::string>& value, const std::string& req) {
    auto words = Split(req);
    std::string op;
    static const char* const kOps[] = {"=",   "<in>", "<all-in>", "==", "!=", ">=", "<=",
                                       "s==", "s!=",  "s<",       "s<=", "s>", "s>="};
    bool known = false;
    if (!words.empty()) {
        op = words.front();
        words.erase(words.begin());
        for (const char* k : kOps) known = known || op == k;
    }
    if (op != "<or>" && !known) return value && *value == req;
    if (!value) return false;
    const std::string& x = *value;
    if (op == "<or>") {
        // "<or> v1 <or> v2 <or> v3"
        std::size_t i = 0;
        while (i < words.size()) {
            if (words[i++] == x) return true;
            if (i >= words.size()) break;
            ++i;  // the next "<or>"
        }
        return false;
    }
    if (words.empty()) return false;
    if (op == "<all-in>") {
        for (const auto& w : words) {
            if (x.find(w) == std::string::npos) return false;
        }
        return true;
    }
    const std::string& y = words.front();
    if (op == "<in>") return x.find(y) != std::string::npos;
    if (op == "s==") return x == y;
    if (op == "s!=") return x != y;
    if (op == "s<") return x < y;
    if (op == "s<=") return x <= y;
    if (op == "s>") return x > y;
    if (op == "s>=") return x >= y;
    double a = 0, b = 0;
    // Nova raises ValueError on text that is not a number; a host that cannot be compared
    // does not match.
    if (!ToFloat(x, a) || !ToFloat(y, b)) return false;
    if (op == "=" || op == ">=") return a >= b;
    if (op == "==") return a == b;
    if (op == "!=") return a != b;
    if (op == "<=") return a <= b;
    return false;
}

}  // namespace nova::scheduler
