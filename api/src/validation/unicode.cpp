#include "nova/api/validation/unicode.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include "nova/common/utf8.hpp"

namespace nova::api::validation {

namespace {

struct Run {
    char32_t start;
    CharClass cls;
};

constexpr Run kRuns[] = {
#include "unicode_classes.inc"
};

}  // namespace

CharClass ClassOf(char32_t cp) {
    if (cp > 0x10FFFF) return CharClass::kOther;
    // The last run starting at or before cp.
    auto it = std::upper_bound(std::begin(kRuns), std::end(kRuns), cp,
                               [](char32_t value, const Run& run) { return value < run.start; });
    return std::prev(it)->cls;
}

std::optional<std::u32string> DecodeUtf8(std::string_view text) {
    std::u32string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        auto c = static_cast<unsigned char>(text[i]);
        char32_t cp;
        int extra;
        if (c < 0x80) {
            cp = c;
            extra = 0;
        } else if ((c & 0xE0) == 0xC0) {
            cp = c & 0x1F;
            extra = 1;
        } else if ((c & 0xF0) == 0xE0) {
            cp = c & 0x0F;
            extra = 2;
        } else if ((c & 0xF8) == 0xF0) {
            cp = c & 0x07;
            extra = 3;
        } else {
            return std::nullopt;
        }
        if (extra > 0 && i + extra >= text.size()) return std::nullopt;  // truncated
        for (int k = 1; k <= extra; ++k) {
            auto cc = static_cast<unsigned char>(text[i + k]);
            if ((cc & 0xC0) != 0x80) return std::nullopt;
            cp = (cp << 6) | (cc & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
        static constexpr std::array<char32_t, 4> kMin = {0, 0x80, 0x800, 0x10000};
        if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return std::nullopt;
        }
        out.push_back(cp);
        i += extra + 1;
    }
    return out;
}

std::size_t CodePointCount(std::string_view text) {
    std::size_t n = 0;
    for (char c : text) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    }
    return n;
}

std::string PythonReprString(std::string_view utf8) {
    auto decoded = DecodeUtf8(utf8);
    std::u32string cps;
    if (decoded) {
        cps = std::move(*decoded);
    } else {
        // Not reachable from parsed JSON; show the bytes as Latin-1 rather than fail.
        for (char c : utf8) cps.push_back(static_cast<unsigned char>(c));
    }
    bool has_single = cps.find(U'\'') != std::u32string::npos;
    bool has_double = cps.find(U'"') != std::u32string::npos;
    char32_t quote = (has_single && !has_double) ? U'"' : U'\'';
    std::string out;
    out.reserve(utf8.size() + 2);
    out += static_cast<char>(quote);
    char buf[16];
    for (char32_t cp : cps) {
        if (cp == quote || cp == U'\\') {
            out += '\\';
            out += static_cast<char>(cp);
        } else if (cp == U'\t') {
            out += "\\t";
        } else if (cp == U'\n') {
            out += "\\n";
        } else if (cp == U'\r') {
            out += "\\r";
        } else if (cp == U' ' || (cp >= 0x20 && cp < 0x7F)) {
            out += static_cast<char>(cp);
        } else {
            CharClass cls = ClassOf(cp);
            if (cls == CharClass::kGraphic) {
                AppendUtf8(out, cp);
            } else if (cp < 0x100) {
                std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
                out += buf;
            } else if (cp < 0x10000) {
                std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
                out += buf;
            } else {
                std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(cp));
                out += buf;
            }
        }
    }
    out += static_cast<char>(quote);
    return out;
}

}  // namespace nova::api::validation
