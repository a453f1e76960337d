#pragma once
// Nova's pagination parameters (nova/api/openstack/common.py get_limit_and_marker): limit is
// capped at [api] max_limit (absent: max_limit); a limit that is not a non-negative integer
// is a 400 "Invalid input received: limit must be ...". The marker is returned as given; the
// caller answers 400 "marker [X] not found" when it names nothing.
#include <cstddef>
#include <optional>
#include <string>

#include "nova/api/http_message.hpp"

namespace nova::api {

struct Page {
    std::size_t limit;
    std::optional<std::string> marker;
};

Page LimitAndMarker(const QueryParams& query, int max_limit);

}  // namespace nova::api
