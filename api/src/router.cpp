#include "nova/api/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace nova::api {

namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
    std::vector<std::string_view> segments;
    if (!path.empty() && path.front() == '/') path.remove_prefix(1);
    std::size_t start = 0;
    while (true) {
        auto slash = path.find('/', start);
        segments.push_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return segments;
}

bool IsVariable(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool IsProjectId(std::string_view segment) {
    if (segment.empty()) return false;
    for (char c : segment) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-')) return false;
    }
    return true;
}

bool Overlaps(const RouteSpec& a, const RouteSpec& b) {
    return a.min_version <= b.max_version && b.min_version <= a.max_version;
}

}  // namespace

const std::string& PathParams::Get(std::string_view name) const {
    for (const auto& [key, value] : values_) {
        if (key == name) return value;
    }
    throw std::out_of_range("no path parameter " + std::string(name));
}

std::optional<std::string> ApiRequest::QueryValue(std::string_view name) const {
    std::optional<std::string> last;
    for (const auto& [key, value] : query) {
        if (key == name) last = value;
    }
    return last;
}

std::vector<std::string> ApiRequest::QueryValues(std::string_view name) const {
    std::vector<std::string> values;
    for (const auto& [key, value] : query) {
        if (key == name) values.push_back(value);
    }
    return values;
}

VersionedSchema AllVersions(validation::OrderedJson schema) {
    return {std::make_shared<const validation::Schema>(std::move(schema)), kMinApiVersion,
            kMaxApiVersion};
}

VersionedSchema Versions(validation::OrderedJson schema, ApiVersion min, ApiVersion max) {
    return {std::make_shared<const validation::Schema>(std::move(schema)), min, max};
}

void RouteTable::Add(RouteSpec spec) {
    if (spec.path.empty() || spec.path.front() != '/') {
        throw std::invalid_argument("route path must start with '/': " + spec.path);
    }
    if (!spec.handler) throw std::invalid_argument("route without handler: " + spec.path);
    if (spec.min_version > spec.max_version) {
        throw std::invalid_argument("empty version range: " + spec.method + " " + spec.path);
    }
    if (!spec.body_schemas.empty() && spec.method != "POST" && spec.method != "PUT") {
        throw std::invalid_argument("a body schema on " + spec.method + " " + spec.path);
    }
    std::vector<std::string> segments;
    for (auto s : SplitPath(spec.path)) segments.emplace_back(s);
    auto it = std::find_if(templates_.begin(), templates_.end(), [&](const Template& t) {
        return t.method == spec.method && t.segments == segments;
    });
    if (it == templates_.end()) {
        templates_.push_back({spec.method, segments, {}});
        it = std::prev(templates_.end());
    }
    for (const RouteSpec* other : it->specs) {
        if (other->action.empty() != spec.action.empty()) {
            throw std::invalid_argument("mixing action and plain routes: " + spec.path);
        }
        if (other->action == spec.action && Overlaps(*other, spec)) {
            throw std::invalid_argument("overlapping versions for " + spec.method + " " +
                                        spec.path + " " + spec.action);
        }
    }
    routes_.push_back(std::make_unique<RouteSpec>(std::move(spec)));
    it->specs.push_back(routes_.back().get());
}

std::optional<RouteTable::Match> RouteTable::FindPlain(std::string_view method,
                                                       const std::vector<std::string_view>& segments,
                                                       std::size_t first) const {
    std::size_t count = segments.size() - first;
    const Template* best = nullptr;
    int best_score = -1;
    for (const auto& t : templates_) {
        if (t.segments.size() != count) continue;
        int score = 0;
        bool ok = true;
        for (std::size_t i = 0; i < count && ok; ++i) {
            const std::string& want = t.segments[i];
            std::string_view have = segments[first + i];
            if (IsVariable(want)) {
                ok = !have.empty();
            } else {
                ok = want == have;
                // Literals weigh more the earlier they come: "/servers/detail" beats
                // "/servers/{id}", "/os-services/disable" beats "/os-services/{id}".
                score += ok ? 1 << (count - i) : 0;
            }
        }
        if (!ok) continue;
        if (t.method != method) continue;
        if (score > best_score) {
            best = &t;
            best_score = score;
        }
    }
    if (!best) return std::nullopt;  // a known path with another method is a 404, as in Zed
    Match match;
    match.candidates = best->specs;
    match.is_action = !best->specs.front()->action.empty();
    for (std::size_t i = 0; i < count; ++i) {
        const std::string& want = best->segments[i];
        if (IsVariable(want)) {
            match.params.Set(want.substr(1, want.size() - 2), std::string(segments[first + i]));
        }
    }
    return match;
}

std::optional<RouteTable::Match> RouteTable::Find(std::string_view method,
                                                  std::string_view path) const {
    auto segments = SplitPath(path);
    if (auto plain = FindPlain(method, segments, 0)) return plain;
    if (segments.size() >= 2 && IsProjectId(segments[0])) {
        if (auto scoped = FindPlain(method, segments, 1)) {
            scoped->project_id = std::string(segments[0]);
            return scoped;
        }
    }
    return std::nullopt;
}

}  // namespace nova::api
