#pragma once
// The "format" checks of Nova's request schemas (nova/api/validation/validators.py).
#include <optional>
#include <string>

#include "nova/api/validation/python_text.hpp"

namespace nova::api::validation {

struct FormatResult {
    bool ok = true;
    // For the name formats, Nova reports InvalidName's message instead of jsonschema's.
    std::optional<std::string> cause;
};

bool IsKnownFormat(const std::string& format);
FormatResult CheckFormat(const std::string& format, const OrderedJson& instance);

}  // namespace nova::api::validation
