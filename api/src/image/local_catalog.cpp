#include "nova/api/image/local_catalog.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "nova/api/validation/schema.hpp"
#include "nova/common/error.hpp"

namespace nova::api::image {

namespace {

void SortNewestFirst(std::vector<Image>& images) {
    // Glance's default order: created_at desc, then id desc.
    std::stable_sort(images.begin(), images.end(), [](const Image& a, const Image& b) {
        if (a.created_at != b.created_at) return a.created_at > b.created_at;
        return a.id > b.id;
    });
}

}  // namespace

std::vector<Image> LocalImageCatalog::ParseCatalog(const std::string& text, const std::string& origin) {
    Json doc = Json::parse(text, nullptr, false);
    if (doc.is_discarded()) {
        throw InvalidConfiguration::WithMessage("image catalog " + origin + " is not valid JSON");
    }
    if (!doc.is_object() || !doc.contains("images") || !doc["images"].is_array()) {
        throw InvalidConfiguration::WithMessage("image catalog " + origin +
                                                " must be an object with an \"images\" list");
    }
    std::vector<Image> images;
    std::set<std::string> ids;
    std::size_t index = 0;
    for (const auto& record : doc["images"]) {
        try {
            Image image = Image::FromGlance(record);
            if (!validation::IsUuidLike(image.id)) throw std::invalid_argument("id must be a UUID");
            if (!ids.insert(image.id).second) throw std::invalid_argument("duplicate id " + image.id);
            images.push_back(std::move(image));
        } catch (const std::invalid_argument& e) {
            throw InvalidConfiguration::WithMessage("image catalog " + origin + ": image #" +
                                                    std::to_string(index) + ": " + e.what());
        }
        ++index;
    }
    SortNewestFirst(images);
    return images;
}

LocalImageCatalog::LocalImageCatalog(std::string path) : path_(std::move(path)) { Reload(); }

LocalImageCatalog::LocalImageCatalog(std::vector<Image> images) {
    SortNewestFirst(images);
    images_ = std::make_shared<const std::vector<Image>>(std::move(images));
}

void LocalImageCatalog::Reload() {
    std::ifstream in(path_);
    if (!in) throw InvalidConfiguration::WithMessage("cannot read image catalog " + path_);
    std::stringstream text;
    text << in.rdbuf();
    auto images = std::make_shared<const std::vector<Image>>(ParseCatalog(text.str(), path_));
    std::lock_guard lock(mutex_);
    images_ = std::move(images);
}

std::shared_ptr<const std::vector<Image>> LocalImageCatalog::Snapshot() const {
    std::lock_guard lock(mutex_);
    return images_;
}

Image LocalImageCatalog::Show(const RequestContext& context, const std::string& image_id) const {
    auto images = Snapshot();
    for (const auto& image : *images) {
        if (image.id == image_id && VisibleTo(image, context)) return image;
    }
    throw ImageNotFound({{"image_id", image_id}});
}

std::vector<Image> LocalImageCatalog::List(const RequestContext& context, const ImageQuery& query) const {
    auto images = Snapshot();
    std::vector<Image> out;
    bool after_marker = !query.marker.has_value();
    bool marker_seen = false;
    for (const auto& image : *images) {
        if (!after_marker) {
            if (image.id == *query.marker) {
                after_marker = true;
                marker_seen = true;
            }
            continue;
        }
        if (!VisibleTo(image, context)) continue;
        if (query.visibility) {
            if (*query.visibility != "all" && image.visibility != *query.visibility) continue;
        } else if (image.visibility == "community" &&
                   !(image.owner && *image.owner == context.project_id)) {
            continue;  // Glance lists community images only when asked for them
        }
        if (image.os_hidden != query.hidden) continue;
        if (query.name && image.name != *query.name) continue;
        if (query.status && image.status != *query.status) continue;
        if (query.owner && image.owner != *query.owner) continue;
        bool tags_ok = std::all_of(query.tags.begin(), query.tags.end(), [&](const std::string& t) {
            return std::find(image.tags.begin(), image.tags.end(), t) != image.tags.end();
        });
        if (!tags_ok) continue;
        out.push_back(image);
        if (query.limit && out.size() >= *query.limit) break;
    }
    if (query.marker && !marker_seen) {
        throw MarkerNotFound({{"marker", *query.marker}});
    }
    return out;
}

}  // namespace nova::api::image
