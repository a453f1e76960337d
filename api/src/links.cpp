#include "nova/api/links.hpp"

#include <algorithm>
#include <map>

#include <boost/regex.hpp>

namespace nova::api {

namespace {

struct SplitUrl {
    std::string scheme, netloc, path, rest;  // rest: "?query#fragment" as given
};

SplitUrl Split(const std::string& url) {
    SplitUrl out;
    std::string_view s = url;
    auto scheme_end = s.find("://");
    if (scheme_end != std::string_view::npos) {
        out.scheme = std::string(s.substr(0, scheme_end));
        s.remove_prefix(scheme_end + 3);
        auto slash = s.find_first_of("/?#");
        out.netloc = std::string(s.substr(0, slash));
        s = slash == std::string_view::npos ? std::string_view() : s.substr(slash);
    }
    auto query = s.find_first_of("?#");
    out.path = std::string(s.substr(0, query));
    if (query != std::string_view::npos) out.rest = std::string(s.substr(query));
    return out;
}

std::string Join(const SplitUrl& u) {
    std::string out;
    if (!u.scheme.empty()) out = u.scheme + "://" + u.netloc;
    return out + u.path + u.rest;
}

std::string RStripSlash(std::string s) {
    while (!s.empty() && s.back() == '/') s.pop_back();
    return s;
}

// Nova's remove_trailing_version_from_href: drops a final "vX" or "vX.Y" path segment.
std::string RemoveTrailingVersion(const std::string& url) {
    SplitUrl u = Split(url);
    auto slash = u.path.rfind('/');
    std::string last = slash == std::string::npos ? u.path : u.path.substr(slash + 1);
    static const boost::regex kVersion(R"(^v([0-9]+|[0-9]+\.[0-9]+)(/.*|$))");
    if (!boost::regex_match(last, kVersion)) return url;
    u.path = slash == std::string::npos ? std::string() : u.path.substr(0, slash);
    return Join(u);
}

}  // namespace

std::string UrlJoin(std::initializer_list<std::string_view> parts) {
    std::string out;
    bool first = true;
    for (std::string_view part : parts) {
        if (part.empty()) continue;
        while (!part.empty() && part.front() == '/') part.remove_prefix(1);
        while (!part.empty() && part.back() == '/') part.remove_suffix(1);
        if (!first) out += '/';
        out += part;
        first = false;
    }
    if (parts.size() > 0 && std::data(parts)[parts.size() - 1].empty()) out += '/';
    return out;
}

std::string ApplyLinkPrefix(const std::string& url, const std::optional<std::string>& prefix) {
    if (!prefix || prefix->empty()) return url;
    SplitUrl u = Split(url);
    SplitUrl p = Split(*prefix);
    u.scheme = p.scheme;
    u.netloc = p.netloc;
    u.path = p.path + u.path;
    return RStripSlash(Join(u));
}

LinkBuilder::LinkBuilder(std::string application_url, std::string project_id,
                         std::optional<std::string> link_prefix, QueryParams query, int max_limit)
    : prefixed_(ApplyLinkPrefix(application_url, link_prefix)),
      bookmark_base_(ApplyLinkPrefix(RemoveTrailingVersion(application_url), link_prefix)),
      project_id_(std::move(project_id)),
      query_(std::move(query)),
      max_limit_(max_limit) {}

std::string LinkBuilder::Self(std::string_view collection, std::string_view id) const {
    return UrlJoin({prefixed_, project_id_, collection, id});
}

std::string LinkBuilder::Bookmark(std::string_view collection, std::string_view id) const {
    return UrlJoin({bookmark_base_, project_id_, collection, id});
}

Json LinkBuilder::SelfAndBookmark(std::string_view collection, std::string_view id) const {
    return Json::array({{{"rel", "self"}, {"href", Self(collection, id)}},
                        {{"rel", "bookmark"}, {"href", Bookmark(collection, id)}}});
}

std::optional<Json> LinkBuilder::NextLinks(std::string_view collection, std::size_t page_size,
                                           std::string_view last_id) const {
    long long max_items = max_limit_;
    for (const auto& [key, value] : query_) {
        if (key != "limit") continue;
        try {
            std::size_t used = 0;
            long long limit = std::stoll(value, &used);
            if (used == value.size()) max_items = limit;
        } catch (const std::exception&) {
            max_items = max_limit_;
        }
    }
    max_items = std::min<long long>(max_items, max_limit_);
    if (max_items <= 0 || static_cast<std::size_t>(max_items) != page_size) return std::nullopt;
    // OrderedDict(sorted(request.params.items())): pairs sorted, the last of equal keys wins.
    QueryParams sorted = query_;
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::pair<std::string, std::string>> params;
    for (auto& [key, value] : sorted) {
        auto it = std::find_if(params.begin(), params.end(),
                               [&](const auto& p) { return p.first == key; });
        if (it != params.end()) {
            it->second = value;
        } else {
            params.emplace_back(key, value);
        }
    }
    auto marker = std::find_if(params.begin(), params.end(),
                               [](const auto& p) { return p.first == "marker"; });
    if (marker != params.end()) {
        marker->second = std::string(last_id);
    } else {
        params.emplace_back("marker", std::string(last_id));
    }
    std::string query;
    for (const auto& [key, value] : params) {
        if (!query.empty()) query += '&';
        query += QuotePlus(key) + "=" + QuotePlus(value);
    }
    std::string href = UrlJoin({prefixed_, project_id_, collection}) + "?" + query;
    return Json::array({{{"rel", "next"}, {"href", href}}});
}

}  // namespace nova::api
