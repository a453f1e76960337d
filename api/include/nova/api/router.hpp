#pragma once
// The route table of /v2.1 (Nova's ROUTE_LIST with its ProjectMapper): each route exists
// both as /<path> and as /{project_id}/<path>, where the project segment must match
// [0-9a-f-]+. A literal segment wins over a variable ("/servers/detail" before
// "/servers/{id}"). A path that matches no route, or a route without the method, is a 404.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nova/api/handler.hpp"

namespace nova::api {

class RouteTable {
public:
    // Throws std::invalid_argument for malformed templates, overlapping version ranges of one
    // method, path and action, or a body schema on a method without a body.
    void Add(RouteSpec spec);

    struct Match {
        // Every declaration for this method and path (several for actions and microversioned
        // handlers); the caller picks by action and version.
        std::vector<const RouteSpec*> candidates;
        PathParams params;
        std::optional<std::string> project_id;  // the URL's {project_id}, when present
        bool is_action = false;                 // dispatched on the body's key
    };

    // `path` is relative to the API root ("/servers/detail", "/abc123/servers").
    std::optional<Match> Find(std::string_view method, std::string_view path) const;

    const std::vector<std::unique_ptr<RouteSpec>>& routes() const { return routes_; }

private:
    struct Template {
        std::string method;
        std::vector<std::string> segments;  // "{name}" for variables
        std::vector<const RouteSpec*> specs;
    };
    std::optional<Match> FindPlain(std::string_view method,
                                   const std::vector<std::string_view>& segments,
                                   std::size_t first) const;

    std::vector<std::unique_ptr<RouteSpec>> routes_;
    std::vector<Template> templates_;
};

}  // namespace nova::api
