#include "nova/api/http_message.hpp"

#include <cctype>

#include "nova/api/validation/unicode.hpp"

namespace nova::api {

bool HeaderNameEquals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

std::optional<std::string> HttpRequest::Header(std::string_view name) const {
    std::optional<std::string> value;
    for (const auto& [key, v] : headers) {
        if (!HeaderNameEquals(key, name)) continue;
        if (value) {
            *value += ",";
            *value += v;
        } else {
            value = v;
        }
    }
    return value;
}

bool HttpRequest::HasHeader(std::string_view name) const {
    for (const auto& [key, v] : headers) {
        if (HeaderNameEquals(key, name)) return true;
    }
    return false;
}

std::string HttpRequest::HostUrl() const {
    auto host = Header("Host");
    return scheme + "://" + (host && !host->empty() ? *host : std::string("localhost"));
}

std::string HttpRequest::Url() const { return HostUrl() + target; }

bool HttpRequest::SplitTarget() {
    auto q = target.find('?');
    std::string_view raw_path = std::string_view(target).substr(0, q);
    query_string = q == std::string::npos ? std::string() : target.substr(q + 1);
    auto decoded = PercentDecode(raw_path);
    if (!decoded) return false;
    path = std::move(*decoded);
    return true;
}

void HttpResponse::SetHeader(std::string name, std::string value) {
    RemoveHeader(name);
    headers.emplace_back(std::move(name), std::move(value));
}

void HttpResponse::AddHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
}

void HttpResponse::RemoveHeader(std::string_view name) {
    std::erase_if(headers, [&](const auto& h) { return HeaderNameEquals(h.first, name); });
}

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (HeaderNameEquals(key, name)) return value;
    }
    return std::nullopt;
}

void HttpResponse::SetJson(const Json& value, std::string_view content_type) {
    body = value.dump(-1, ' ', false, Json::error_handler_t::replace);
    SetHeader("Content-Type", std::string(content_type));
}

namespace {
int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) return std::nullopt;
            int hi = HexValue(text[i + 1]);
            int lo = HexValue(text[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

std::string QuotePlus(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~') {
            out += ch;
        } else if (c == ' ') {
            out += '+';
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

std::optional<QueryParams> ParseQueryString(std::string_view query) {
    QueryParams params;
    std::size_t start = 0;
    while (start <= query.size()) {
        auto amp = query.find_first_of("&;", start);
        std::string_view pair =
            query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
        start = amp == std::string_view::npos ? query.size() + 1 : amp + 1;
        if (pair.empty()) continue;
        auto eq = pair.find('=');
        // A malformed escape is kept as text, as Python's unquote does.
        auto decode = [](std::string_view part) {
            auto d = PercentDecode(part, true);
            if (d) return *d;
            std::string s(part);
            for (auto& c : s) {
                if (c == '+') c = ' ';
            }
            return s;
        };
        std::string key = decode(pair.substr(0, eq));
        std::string value = eq == std::string_view::npos ? std::string() : decode(pair.substr(eq + 1));
        if (!validation::DecodeUtf8(key) || !validation::DecodeUtf8(value)) return std::nullopt;
        params.emplace_back(std::move(key), std::move(value));
    }
    return params;
}

}  // namespace nova::api
