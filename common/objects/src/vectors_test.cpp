// Every nova_object in the recorded Nova Zed traffic (../shared/vectors/nova-zed-rpc) reads
// into our objects and writes back to an equivalent primitive at the same version.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "nova/objects/object.hpp"

using namespace nova;
using namespace nova::objects;

namespace {

// ../shared/vectors next to the checkout (CI's layout), or next to any parent directory (a
// worktree under the project's directory); NOVA_VECTORS_DIR overrides.
std::filesystem::path VectorsDir() {
    if (const char* env = std::getenv("NOVA_VECTORS_DIR")) return env;
    for (auto dir = std::filesystem::path(NOVA_SOURCE_DIR); dir.has_relative_path();
         dir = dir.parent_path()) {
        auto candidate = dir.parent_path() / "shared" / "vectors" / "nova-zed-rpc";
        if (std::filesystem::is_directory(candidate)) return candidate;
    }
    FAIL("no shared/vectors/nova-zed-rpc beside " << NOVA_SOURCE_DIR << " or its parents");
    return {};
}

// nova_object.changes is a set: compare it sorted, everywhere in the tree.
Json Canonical(Json j) {
    if (j.is_object()) {
        for (auto& [k, v] : j.items()) {
            v = Canonical(v);
            if (k == "nova_object.changes" && v.is_array()) std::sort(v.begin(), v.end());
        }
    } else if (j.is_array()) {
        for (auto& v : j) v = Canonical(v);
    }
    return j;
}

struct Walk {
    std::map<std::string, int> seen;  // "Name version" -> count
    int failures = 0;

    void Visit(const Json& j, const std::string& where) {
        if (j.is_object()) {
            if (j.contains("nova_object.name")) {
                Check(j, where);
                return;  // children were checked as part of their parent
            }
            for (const auto& [k, v] : j.items()) Visit(v, where);
        } else if (j.is_array()) {
            for (const auto& v : j) Visit(v, where);
        } else if (j.is_string()) {
            // oslo.message, and failure texts, are JSON inside a string.
            const auto& s = j.get_ref<const std::string&>();
            if (!s.empty() && s.front() == '{' && s.find("nova_object") != std::string::npos) {
                auto inner = Json::parse(s, nullptr, false);
                if (!inner.is_discarded()) Visit(inner, where);
            }
        }
    }

    void Check(const Json& primitive, const std::string& where) {
        std::string name = primitive.value("nova_object.name", "?");
        std::string version = primitive.value("nova_object.version", "?");
        ++seen[name + " " + version];
        try {
            auto object = FromPrimitiveAny(primitive);
            Json back = ToPrimitive(*object);
            if (Canonical(back) != Canonical(primitive)) {
                ++failures;
                FAIL_CHECK(where << ": " << name << " " << version << " differs\n  got:  "
                                 << back.dump() << "\n  want: " << primitive.dump());
            }
        } catch (const std::exception& e) {
            ++failures;
            FAIL_CHECK(where << ": " << name << " " << version << ": " << e.what());
        }
    }
};

}  // namespace

TEST_CASE("every nova_object recorded from Nova Zed round-trips") {
    Walk walk;
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(VectorsDir())) {
        const auto path = entry.path();
        std::ifstream in(path);
        if (path.extension() == ".json") {
            walk.Visit(Json::parse(in), path.filename().string());
            ++files;
        } else if (path.extension() == ".jsonl") {
            std::string line;
            int n = 0;
            while (std::getline(in, line)) {
                walk.Visit(Json::parse(line), path.filename().string() + ":" + std::to_string(++n));
            }
            ++files;
        }
    }
    CHECK(files > 40);
    int total = 0;
    for (const auto& [kind, count] : walk.seen) total += count;
    MESSAGE("objects checked: " << total << " top-level, kinds: " << walk.seen.size());
    // Instance, Flavor, RequestSpec, ComputeNode, Service, Selection... all appear.
    for (const char* kind : {"Instance 2.7", "RequestSpec 1.14", "ComputeNode 1.19",
                             "Service 1.22", "BuildRequest 1.3", "InstanceList 2.6",
                             "MigrationList 1.5", "Selection 1.1"}) {
        CHECK_MESSAGE(walk.seen.contains(kind), kind);
    }
    CHECK(walk.failures == 0);
}
