#pragma once
// Compute API microversions (api-surface.md §2): "2.N" versions, the supported range, and
// the negotiation of a request's version from its headers, exactly as Nova does it.
#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace nova::api {

struct ApiVersion {
    int major = 0;
    int minor = 0;

    auto operator<=>(const ApiVersion&) const = default;
    bool IsNull() const { return major == 0 && minor == 0; }
    std::string ToString() const;
    // "X.Y" matching ^([1-9]\d*)\.([1-9]\d*|0)$, else nullopt.
    static std::optional<ApiVersion> Parse(std::string_view text);
};

inline constexpr ApiVersion kMinApiVersion{2, 1};
inline constexpr ApiVersion kMaxApiVersion{2, 93};  // Zed
inline constexpr ApiVersion kDefaultApiVersion = kMinApiVersion;

// The outcome of reading a request's version headers.
struct VersionNegotiation {
    enum class Outcome { kOk, kInvalidFormat, kOutOfRange };
    Outcome outcome = Outcome::kOk;
    ApiVersion version;     // kOk: the version to serve; kOutOfRange: the one asked for
    std::string requested;  // the header's text, for the error messages
};

// `standard` is the folded value of OpenStack-API-Version (repeated headers joined by ','),
// `legacy` that of X-OpenStack-Nova-API-Version; nullopt when absent. The standard header's
// last "compute X.Y" entry wins (service name case-insensitive); without one, the legacy
// header's last value is used; without either, 2.1. "latest" (exactly) is the maximum.
VersionNegotiation NegotiateVersion(const std::optional<std::string>& standard,
                                    const std::optional<std::string>& legacy);

}  // namespace nova::api
