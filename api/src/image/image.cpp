#include <set>
#include <stdexcept>

#include "nova/api/image/image_service.hpp"

namespace nova::api::image {

namespace {

// Glance's base properties (glance/api/v2/images.py get_base_properties); anything else in
// a document is a custom property.
const std::set<std::string>& BaseProperties() {
    static const std::set<std::string> kBase = {
        "id",         "name",         "status",     "visibility",   "protected",  "os_hidden",
        "checksum",   "os_hash_algo", "os_hash_value", "owner",     "size",       "virtual_size",
        "min_ram",    "min_disk",     "created_at", "updated_at",   "disk_format",
        "container_format", "tags",   "direct_url", "locations",    "self",       "file",
        "schema",     "stores"};
    return kBase;
}

std::optional<std::string> OptString(const Json& doc, const char* key) {
    auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) throw std::invalid_argument(std::string(key) + " must be a string");
    return it->get<std::string>();
}

std::optional<std::int64_t> OptInt(const Json& doc, const char* key) {
    auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) return std::nullopt;
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
        throw std::invalid_argument(std::string(key) + " must be a non-negative integer");
    }
    return it->get<std::int64_t>();
}

template <class T>
Json OrNull(const std::optional<T>& v) {
    return v ? Json(*v) : Json(nullptr);
}

}  // namespace

Image Image::FromGlance(const Json& doc) {
    if (!doc.is_object()) throw std::invalid_argument("an image must be a JSON object");
    Image image;
    auto id = OptString(doc, "id");
    if (!id || id->empty()) throw std::invalid_argument("id is required");
    image.id = *id;
    image.name = OptString(doc, "name");
    image.status = OptString(doc, "status").value_or("active");
    static const std::set<std::string> kStatuses = {
        "queued", "saving", "uploading", "importing", "active", "killed", "deleted",
        "pending_delete", "deactivated"};
    if (!kStatuses.count(image.status)) throw std::invalid_argument("unknown status " + image.status);
    image.visibility = OptString(doc, "visibility").value_or("public");
    static const std::set<std::string> kVisibilities = {"public", "community", "shared", "private"};
    if (!kVisibilities.count(image.visibility)) {
        throw std::invalid_argument("unknown visibility " + image.visibility);
    }
    image.owner = OptString(doc, "owner");
    image.min_ram = OptInt(doc, "min_ram").value_or(0);
    image.min_disk = OptInt(doc, "min_disk").value_or(0);
    image.size = OptInt(doc, "size");
    image.virtual_size = OptInt(doc, "virtual_size");
    image.disk_format = OptString(doc, "disk_format");
    image.container_format = OptString(doc, "container_format");
    image.checksum = OptString(doc, "checksum");
    image.os_hash_algo = OptString(doc, "os_hash_algo");
    image.os_hash_value = OptString(doc, "os_hash_value");
    image.is_protected = doc.value("protected", false);
    image.os_hidden = doc.value("os_hidden", false);
    image.created_at = OptString(doc, "created_at").value_or("");
    image.updated_at = OptString(doc, "updated_at").value_or(image.created_at);
    if (auto tags = doc.find("tags"); tags != doc.end() && !tags->is_null()) {
        if (!tags->is_array()) throw std::invalid_argument("tags must be a list");
        for (const auto& t : *tags) image.tags.push_back(t.get<std::string>());
    }
    for (const auto& [key, value] : doc.items()) {
        if (!BaseProperties().count(key)) image.properties[key] = value;
    }
    return image;
}

Json Image::ToGlance() const {
    Json doc = properties.is_object() ? properties : Json::object();
    doc["id"] = id;
    doc["name"] = OrNull(name);
    doc["status"] = status;
    doc["visibility"] = visibility;
    doc["owner"] = OrNull(owner);
    doc["min_ram"] = min_ram;
    doc["min_disk"] = min_disk;
    doc["size"] = OrNull(size);
    doc["virtual_size"] = OrNull(virtual_size);
    doc["disk_format"] = OrNull(disk_format);
    doc["container_format"] = OrNull(container_format);
    doc["checksum"] = OrNull(checksum);
    doc["os_hash_algo"] = OrNull(os_hash_algo);
    doc["os_hash_value"] = OrNull(os_hash_value);
    doc["protected"] = is_protected;
    doc["os_hidden"] = os_hidden;
    doc["created_at"] = created_at;
    doc["updated_at"] = updated_at;
    doc["tags"] = tags;
    doc["self"] = "/v2/images/" + id;
    doc["file"] = "/v2/images/" + id + "/file";
    doc["schema"] = "/v2/schemas/image";
    return doc;
}

bool VisibleTo(const Image& image, const RequestContext& context) {
    if (image.visibility == "public" || image.visibility == "community") return true;
    if (context.is_admin) return true;
    return image.owner && !context.project_id.empty() && *image.owner == context.project_id;
}

}  // namespace nova::api::image
