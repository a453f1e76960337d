#include "nova/common/uuid.hpp"

#include <array>
#include <cctype>
#include <cstdint>
#include <random>

namespace nova {
namespace {

std::array<std::uint8_t, 16> RandomBytes() {
    // One generator per thread, seeded from the OS: ids must not repeat across processes.
    thread_local std::mt19937_64 engine = [] {
        std::random_device device;
        std::seed_seq seed{device(), device(), device(), device(), device(), device()};
        return std::mt19937_64(seed);
    }();
    std::array<std::uint8_t, 16> bytes{};
    for (int half = 0; half < 2; ++half) {
        std::uint64_t r = engine();
        for (int i = 0; i < 8; ++i) bytes[half * 8 + i] = static_cast<std::uint8_t>(r >> (i * 8));
    }
    bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
    bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
    return bytes;
}

std::string Format(bool dashes) {
    static constexpr char kHex[] = "0123456789abcdef";
    auto bytes = RandomBytes();
    std::string out;
    out.reserve(36);
    for (int i = 0; i < 16; ++i) {
        if (dashes && (i == 4 || i == 6 || i == 8 || i == 10)) out += '-';
        out += kHex[bytes[i] >> 4];
        out += kHex[bytes[i] & 0x0f];
    }
    return out;
}

}  // namespace

std::string GenerateUuid() { return Format(true); }
std::string GenerateUuidHex() { return Format(false); }
std::string GenerateRequestId() { return "req-" + GenerateUuid(); }

bool IsUuidLike(std::string_view text) {
    if (text.size() != 36) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash_position) {
            if (text[i] != '-') return false;
        } else if (!std::isxdigit(static_cast<unsigned char>(text[i]))) {
            return false;
        }
    }
    return true;
}

bool IsRequestIdLike(std::string_view text) {
    return text.size() == 40 && text.substr(0, 4) == "req-" && IsUuidLike(text.substr(4));
}

}  // namespace nova
