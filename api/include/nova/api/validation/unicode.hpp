#pragma once
// Unicode facts that Nova's request validation depends on, from the same Unicode database
// as Debian's Python (tools/gen_unicode_classes.py): which characters are "printable" for
// names, and how Python's repr() escapes a string.
#include <optional>
#include <string>
#include <string_view>

namespace nova::api::validation {

enum class CharClass : unsigned char {
    kOther,    // categories C*: control, format, surrogate, private use, unassigned
    kSpace,    // Zs: space separators
    kLineSep,  // Zl, Zp
    kGraphic,  // letters, marks, numbers, punctuation, symbols
};

CharClass ClassOf(char32_t cp);

// The code points of UTF-8 text, or nullopt when the text is not valid UTF-8.
std::optional<std::u32string> DecodeUtf8(std::string_view text);
// Number of code points (Python's len() of the decoded str); invalid bytes count one each.
std::size_t CodePointCount(std::string_view text);

// Python's repr() of a str: quotes chosen as Python chooses them, and \n, \x01, \u2028 ...
// escapes for what str.isprintable() rejects.
std::string PythonReprString(std::string_view utf8);

}  // namespace nova::api::validation
