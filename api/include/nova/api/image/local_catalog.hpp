#pragma once
// The local image catalog: image records from a JSON file ([glance] local_catalog_file), for
// deployments without a Glance. The file holds {"images": [<Glance v2 image>, ...]}, the
// shape GET /v2/images returns, so a real Glance's listing can be saved as a catalog. Each
// record needs an "id" (a UUID) and should have a "name"; the other Glance fields default
// as Glance's would for an active public image (status "active", visibility "public",
// min_ram 0, min_disk 0).
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "nova/api/image/image_service.hpp"

namespace nova::api::image {

class LocalImageCatalog final : public ImageService {
public:
    // Loads `path`; throws InvalidConfiguration naming the file and the bad record.
    explicit LocalImageCatalog(std::string path);
    // From records already in memory (tests).
    explicit LocalImageCatalog(std::vector<Image> images);

    // Re-reads the file (SIGHUP); a file that no longer loads is reported by the exception
    // and the previous records stay.
    void Reload();

    Image Show(const RequestContext& context, const std::string& image_id) const override;
    std::vector<Image> List(const RequestContext& context, const ImageQuery& query) const override;

    static std::vector<Image> ParseCatalog(const std::string& text, const std::string& origin);

private:
    std::shared_ptr<const std::vector<Image>> Snapshot() const;

    std::string path_;
    mutable std::mutex mutex_;
    std::shared_ptr<const std::vector<Image>> images_;
};

}  // namespace nova::api::image
