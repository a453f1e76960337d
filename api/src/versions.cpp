#include "nova/api/versions.hpp"

#include <stdexcept>

#include "nova/api/links.hpp"
#include "nova/api/microversion.hpp"

namespace nova::api {

namespace {

constexpr std::string_view kDocs = "http://docs.openstack.org/";

Json Version(std::string_view id) {
    if (id == "v2.0") {
        return Json{{"id", "v2.0"},
                    {"status", "SUPPORTED"},
                    {"version", ""},
                    {"min_version", ""},
                    {"updated", "2011-01-21T11:33:21Z"},
                    {"links", Json::array({{{"rel", "describedby"}, {"type", "text/html"}, {"href", kDocs}}})},
                    {"media-types",
                     Json::array({{{"base", "application/json"},
                                   {"type", "application/vnd.openstack.compute+json;version=2"}}})}};
    }
    if (id == "v2.1") {
        return Json{{"id", "v2.1"},
                    {"status", "CURRENT"},
                    {"version", kMaxApiVersion.ToString()},
                    {"min_version", kMinApiVersion.ToString()},
                    {"updated", "2013-07-23T11:33:21Z"},
                    {"links", Json::array({{{"rel", "describedby"}, {"type", "text/html"}, {"href", kDocs}}})},
                    {"media-types",
                     Json::array({{{"base", "application/json"},
                                   {"type", "application/vnd.openstack.compute+json;version=2.1"}}})}};
    }
    throw std::out_of_range("unknown API version " + std::string(id));
}

std::string VersionPath(std::string_view id) { return id == "v2.1" ? "v2.1" : "v2"; }

}  // namespace

bool IsKnownVersionId(std::string_view id) { return id == "v2.0" || id == "v2.1"; }

Json VersionDocument(std::string_view id, const std::string& application_url) {
    Json version = Version(id);
    std::string self = application_url;
    while (!self.empty() && self.back() == '/') self.pop_back();
    version["links"].insert(version["links"].begin(), Json{{"rel", "self"}, {"href", self + "/"}});
    return Json{{"version", std::move(version)}};
}

Json VersionsDocument(const std::string& host_url) {
    Json versions = Json::array();
    for (std::string_view id : {"v2.0", "v2.1"}) {
        Json v = Version(id);
        versions.push_back({{"id", v["id"]},
                            {"status", v["status"]},
                            {"version", v["version"]},
                            {"min_version", v["min_version"]},
                            {"updated", v["updated"]},
                            {"links", Json::array({{{"rel", "self"},
                                                    {"href", UrlJoin({host_url, VersionPath(id), ""})}}})}});
    }
    return Json{{"versions", std::move(versions)}};
}

Json ChoicesDocument(const std::string& host_url, std::string_view path) {
    Json choices = Json::array();
    for (std::string_view id : {"v2.0", "v2.1"}) {
        Json v = Version(id);
        std::string href = path.empty() ? UrlJoin({host_url, VersionPath(id), ""})
                                        : UrlJoin({host_url, VersionPath(id), path});
        choices.push_back({{"id", v["id"]},
                           {"status", v["status"]},
                           {"links", Json::array({{{"rel", "self"}, {"href", href}}})},
                           {"media-types", v["media-types"]}});
    }
    return Json{{"choices", std::move(choices)}};
}

}  // namespace nova::api
