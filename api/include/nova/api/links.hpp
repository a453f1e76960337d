#pragma once
// Links in responses, as Nova builds them (nova/api/openstack/common.py ViewBuilder):
//   self      <application url>/<project?>/<collection>/<id>
//   bookmark  <application url without the version>/<project?>/<collection>/<id>
//   next      <application url>/<project?>/<collection>?<sorted query, marker=<last id>>
// [api] compute_link_prefix replaces the scheme and host (and prefixes the path).
#include <optional>
#include <string>
#include <string_view>

#include "nova/api/http_message.hpp"
#include "nova/common/json.hpp"

namespace nova::api {

class LinkBuilder {
public:
    // `application_url`: scheme://host/v2.1 as the request reached us. `project_id`: the
    // project to put in links (Nova puts the context's project when it appears in the URL).
    LinkBuilder(std::string application_url, std::string project_id,
                std::optional<std::string> link_prefix, QueryParams query, int max_limit);

    std::string Self(std::string_view collection, std::string_view id) const;
    std::string Bookmark(std::string_view collection, std::string_view id) const;
    // [{"rel": "self", ...}, {"rel": "bookmark", ...}]
    Json SelfAndBookmark(std::string_view collection, std::string_view id) const;
    // The "next" link for a page, when Nova adds one: the page is full, i.e. its size equals
    // min(limit or max_limit, max_limit) and is not 0. `last_id` is the last item's id.
    std::optional<Json> NextLinks(std::string_view collection, std::size_t page_size,
                                  std::string_view last_id) const;
    // <application url with the prefix applied>: the base of self links.
    const std::string& ApplicationUrl() const { return prefixed_; }

private:
    std::string prefixed_;
    std::string bookmark_base_;
    std::string project_id_;
    QueryParams query_;
    int max_limit_;
};

// Nova's url_join: parts joined by '/', each stripped of '/'; a trailing empty part keeps a
// trailing slash.
std::string UrlJoin(std::initializer_list<std::string_view> parts);
// Nova's _update_link_prefix.
std::string ApplyLinkPrefix(const std::string& url, const std::optional<std::string>& prefix);

}  // namespace nova::api
