#include "nova/db/url.hpp"

#include <cctype>
#include <charconv>

#include "nova/common/error.hpp"

namespace nova::db {

namespace {

[[noreturn]] void Bad(const std::string& why) {
    throw InvalidInput({{"reason", "database URL: " + why}});
}

std::string PercentDecode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%') {
            if (i + 2 >= text.size()) Bad("bad %-escape");
            int v = 0;
            auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, v, 16);
            if (ec != std::errc() || end != text.data() + i + 3) Bad("bad %-escape");
            out.push_back(static_cast<char>(v));
            i += 2;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

std::string PercentEncode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    return out;
}

}  // namespace

DbUrl DbUrl::Parse(std::string_view url) {
    DbUrl u;
    auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos || scheme_end == 0) Bad("no scheme (mysql+pymysql://...)");
    u.driver = std::string(url.substr(0, scheme_end));
    if (u.driver != "mysql" && u.driver.rfind("mysql+", 0) != 0) {
        Bad("unsupported driver '" + u.driver + "' (only MySQL/MariaDB URLs are supported)");
    }
    auto rest = url.substr(scheme_end + 3);
    std::string_view query;
    if (auto q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    auto slash = rest.find('/');
    std::string_view netloc = rest.substr(0, slash);
    if (slash != std::string_view::npos) u.database = PercentDecode(rest.substr(slash + 1));
    if (auto at = netloc.rfind('@'); at != std::string_view::npos) {
        auto userinfo = netloc.substr(0, at);
        netloc = netloc.substr(at + 1);
        auto colon = userinfo.find(':');
        u.user = PercentDecode(userinfo.substr(0, colon));
        if (colon != std::string_view::npos) u.password = PercentDecode(userinfo.substr(colon + 1));
    }
    if (!netloc.empty()) {
        std::string_view host = netloc;
        if (netloc.front() == '[') {  // [ipv6]:port
            auto close = netloc.find(']');
            if (close == std::string_view::npos) Bad("unterminated [ in host");
            host = netloc.substr(1, close - 1);
            netloc = netloc.substr(close + 1);
            if (!netloc.empty() && netloc.front() != ':') Bad("junk after ]");
        } else if (auto colon = netloc.rfind(':'); colon != std::string_view::npos) {
            host = netloc.substr(0, colon);
            netloc = netloc.substr(colon);
        } else {
            netloc = {};
        }
        u.host = std::string(host);
        if (!netloc.empty()) {
            auto port_text = netloc.substr(1);
            auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), u.port);
            if (ec != std::errc() || end != port_text.data() + port_text.size() || u.port <= 0 ||
                u.port > 65535) {
                Bad("bad port '" + std::string(port_text) + "'");
            }
        }
    }
    while (!query.empty()) {
        auto amp = query.find('&');
        auto pair = query.substr(0, amp);
        auto eq = pair.find('=');
        if (eq == std::string_view::npos) Bad("query parameter without '='");
        u.query[PercentDecode(pair.substr(0, eq))] = PercentDecode(pair.substr(eq + 1));
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
    if (auto it = u.query.find("unix_socket"); it != u.query.end()) u.unix_socket = it->second;
    if (u.host.empty() && u.unix_socket.empty()) u.host = "localhost";
    if (u.database.empty()) Bad("no database name");
    return u;
}

std::string DbUrl::ToString() const {
    std::string out = driver + "://";
    if (!user.empty()) {
        out += PercentEncode(user);
        if (!password.empty()) out += ":" + PercentEncode(password);
        out += "@";
    }
    if (!host.empty() && !(unix_socket.size() && host == "localhost")) {
        out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
        if (port != 3306) out += ":" + std::to_string(port);
    }
    out += "/" + PercentEncode(database);
    char sep = '?';
    for (const auto& [k, v] : query) {
        out += sep + PercentEncode(k) + "=" + (k == "unix_socket" ? v : PercentEncode(v));
        sep = '&';
    }
    return out;
}

std::string DbUrl::Redacted() const {
    DbUrl copy = *this;
    if (!copy.password.empty()) copy.password = "****";
    auto text = copy.ToString();
    // PercentEncode turned the stars into %2A: show them as stars.
    if (auto pos = text.find("%2A%2A%2A%2A"); pos != std::string::npos) text.replace(pos, 12, "****");
    return text;
}

DbUrl DbUrl::WithDatabase(std::string name) const {
    DbUrl copy = *this;
    copy.database = std::move(name);
    return copy;
}

}  // namespace nova::db
