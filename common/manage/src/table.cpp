#include "table.hpp"

#include <algorithm>

namespace nova::manage {

namespace {

// Display width in characters (UTF-8 continuation bytes do not count).
std::size_t Width(const std::string& s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// prettytable's centring: with an odd excess, odd-length text gets the extra space on the
// right, even-length text on the left.
std::string Centre(const std::string& text, std::size_t width) {
    const std::size_t excess = width - Width(text);
    std::size_t left = excess / 2;
    std::size_t right = excess / 2;
    if (excess % 2) {
        if (Width(text) % 2) {
            ++right;
        } else {
            ++left;
        }
    }
    return std::string(left, ' ') + text + std::string(right, ' ');
}

}  // namespace

std::string Table::Render() const {
    std::vector<std::size_t> widths;
    for (const auto& h : header_) widths.push_back(Width(h));
    for (const auto& row : rows_) {
        for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
            widths[i] = std::max(widths[i], Width(row[i]));
        }
    }
    std::string rule = "+";
    for (auto w : widths) rule += std::string(w + 2, '-') + "+";
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out = "|";
        for (std::size_t i = 0; i < widths.size(); ++i) {
            out += " " + Centre(i < cells.size() ? cells[i] : "", widths[i]) + " |";
        }
        return out + "\n";
    };
    std::string out = rule + "\n" + line(header_) + rule + "\n";
    for (const auto& row : rows_) out += line(row);
    return out + rule;
}

std::string MaskPasswordInUrl(const std::string& url) {
    // urlparse: scheme ":" ["//" netloc] path ["?" query]; urlunparse drops an empty "//".
    auto colon = url.find(':');
    if (colon == std::string::npos) return url;
    std::string scheme = url.substr(0, colon);
    std::string rest = url.substr(colon + 1);
    std::string netloc;
    if (rest.rfind("//", 0) == 0) {
        auto end = rest.find_first_of("/?#", 2);
        netloc = rest.substr(2, end == std::string::npos ? std::string::npos : end - 2);
        rest = end == std::string::npos ? "" : rest.substr(end);
    }
    // re.sub(':.*@', ':****@', netloc): from the first ':' to the last '@'.
    auto first = netloc.find(':');
    auto at = netloc.rfind('@');
    if (first != std::string::npos && at != std::string::npos && first < at) {
        netloc = netloc.substr(0, first) + ":****@" + netloc.substr(at + 1);
    }
    if (netloc.empty()) return scheme + ":" + rest;
    return scheme + "://" + netloc + rest;
}

}  // namespace nova::manage
