#pragma once
// HTTP requests and responses as the API layers see them: plain values, independent of the
// server library, so that routing, auth and handlers are tested without sockets.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nova/common/json.hpp"

namespace nova::api {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
    std::string method;        // "GET"
    std::string target;        // as sent: "/v2.1/servers?limit=1"
    std::string path;          // percent-decoded, without the query: "/v2.1/servers"
    std::string query_string;  // raw, after '?'
    HeaderList headers;
    std::string body;
    std::string remote_address;
    std::string scheme = "http";

    // The header's value; repeated headers joined with ',' (as WSGI folds them).
    std::optional<std::string> Header(std::string_view name) const;
    bool HasHeader(std::string_view name) const;
    // scheme://host (the Host header, else the server's address).
    std::string HostUrl() const;
    // HostUrl() + target: webob's req.url.
    std::string Url() const;

    // Fills path and query_string from target. False when the path is not valid
    // percent-encoding.
    bool SplitTarget();
};

struct HttpResponse {
    int status = 200;
    HeaderList headers;
    std::string body;

    void SetHeader(std::string name, std::string value);  // replaces
    void AddHeader(std::string name, std::string value);  // appends (Vary twice)
    void RemoveHeader(std::string_view name);
    std::optional<std::string> Header(std::string_view name) const;
    void SetJson(const Json& value, std::string_view content_type = "application/json");

    // For the access log (not sent): the microversion served, "-" when none.
    std::string log_microversion = "-";
};

bool HeaderNameEquals(std::string_view a, std::string_view b);

// Percent-decoding ('+' stays '+'); nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space = false);
// Python's urllib.parse.quote_plus (safe: letters, digits, "_.-~").
std::string QuotePlus(std::string_view text);

// Query parameters in the order given, keys and values decoded, blank values kept (webob's
// req.GET). nullopt when a key or value is not valid UTF-8 after decoding.
using QueryParams = std::vector<std::pair<std::string, std::string>>;
std::optional<QueryParams> ParseQueryString(std::string_view query);

}  // namespace nova::api
