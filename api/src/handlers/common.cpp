#include "common.hpp"

#include <google/protobuf/timestamp.pb.h>

#include <algorithm>
#include <cctype>

#include "nova/common/time.hpp"

namespace nova::api::handlers {

namespace {
std::string LowerTrimmed(const std::string& text) {
    auto begin = text.find_first_not_of(" \t\r\n");
    auto end = text.find_last_not_of(" \t\r\n");
    std::string s = begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}
}  // namespace

std::optional<bool> BoolFromString(const std::string& text, bool strict) {
    auto s = LowerTrimmed(text);
    for (const char* t : {"1", "t", "true", "on", "y", "yes"}) {
        if (s == t) return true;
    }
    for (const char* f : {"0", "f", "false", "off", "n", "no"}) {
        if (s == f) return false;
    }
    if (strict) return std::nullopt;
    return false;
}

bool IsNoneString(const std::string& text) { return LowerTrimmed(text) == "none" && text.size() == 4; }

WallTime ToWallTime(const google::protobuf::Timestamp& t) {
    return WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::seconds(t.seconds()) +
                                                                   std::chrono::nanoseconds(t.nanos())));
}

std::string IsoMicro(const google::protobuf::Timestamp& t) { return timeutil::IsoMicro(ToWallTime(t)); }

Json IsoOrNull(const google::protobuf::Timestamp* t, bool set) {
    if (t == nullptr || !set) return nullptr;
    return IsoMicro(*t);
}

Json DefaultTarget(const ApiRequest& req) {
    return {{"project_id", req.context.project_id}, {"user_id", req.context.user_id}};
}

}  // namespace nova::api::handlers
