#pragma once
// Image metadata for the compute API (Nova's nova.image.glance.API): status, min_ram,
// min_disk, properties. Two implementations: GlanceImageService (a Glance v2 client on
// [glance] api_servers) and LocalImageCatalog (a file of image records named by
// [glance] local_catalog_file, the all-in-one's default).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nova/common/context.hpp"
#include "nova/common/json.hpp"

namespace nova::api::image {

struct Image {
    std::string id;
    std::optional<std::string> name;
    std::string status = "active";
    std::string visibility = "public";  // public, community, shared, private
    std::optional<std::string> owner;
    std::int64_t min_ram = 0;   // MiB
    std::int64_t min_disk = 0;  // GiB
    std::optional<std::int64_t> size;
    std::optional<std::int64_t> virtual_size;
    std::optional<std::string> disk_format;
    std::optional<std::string> container_format;
    std::optional<std::string> checksum;
    std::optional<std::string> os_hash_algo;
    std::optional<std::string> os_hash_value;
    bool is_protected = false;
    bool os_hidden = false;
    std::string created_at;
    std::string updated_at;
    std::vector<std::string> tags;
    // Everything else Glance shows (kernel_id, hw_disk_bus, os_distro, ...).
    Json properties = Json::object();

    // From a Glance v2 image document (custom properties are top-level keys there). Throws
    // std::invalid_argument naming the field when the document is not an image.
    static Image FromGlance(const Json& document);
    // The Glance v2 document, as GET /v2/images/{id} shows it.
    Json ToGlance() const;
};

struct ImageQuery {
    std::optional<std::string> name{};
    std::optional<std::string> status{};
    std::optional<std::string> visibility{};  // nullopt: what the caller may see, as Glance lists
    std::optional<std::string> owner{};
    std::vector<std::string> tags{};          // all must be present
    bool hidden = false;                      // Glance's os_hidden filter: hidden images only
    std::optional<std::string> marker{};      // an image id: start after it
    std::optional<std::size_t> limit{};
};

class ImageService {
public:
    ImageService() = default;
    ImageService(const ImageService&) = delete;
    ImageService& operator=(const ImageService&) = delete;
    virtual ~ImageService() = default;

    // Throws ImageNotFound (also when the context may not see it), ImageNotAuthorized,
    // GlanceConnectionFailed.
    virtual Image Show(const RequestContext& context, const std::string& image_id) const = 0;
    // The images the context may see that match `query`, newest first. Throws MarkerNotFound
    // for an unknown marker, GlanceConnectionFailed.
    virtual std::vector<Image> List(const RequestContext& context, const ImageQuery& query) const = 0;
};

// Glance's visibility rules for a context: public and community images for everyone,
// private and shared ones for their owner's project and for admins.
bool VisibleTo(const Image& image, const RequestContext& context);

}  // namespace nova::api::image
