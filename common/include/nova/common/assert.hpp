#pragma once
// Bugs and broken invariants, as opposed to expected failures (NovaError):
//   NOVA_CHECK(cond, msg)  - every build: log critical with the location, then abort.
//   NOVA_ASSERT(cond)      - debug builds only.
#include <cassert>
#include <string_view>

namespace nova::detail {
[[noreturn]] void CheckFailed(std::string_view condition, std::string_view message,
                              const char* file, int line);
}  // namespace nova::detail

#define NOVA_CHECK(cond, message)                                                  \
    do {                                                                           \
        if (!(cond)) ::nova::detail::CheckFailed(#cond, (message), __FILE__, __LINE__); \
    } while (0)

#define NOVA_ASSERT(cond) assert(cond)
