#pragma once
// Image metadata as the creates of one nova-api process read it. Nova asks Glance for the
// image on every create (GET /v2/images/{id}: an HTTP round trip and a JSON document, on the
// API's handler thread); in a boot storm that is hundreds of requests a second for the same
// few images, on the path of every POST and on a machine whose cores the builds already
// contend for. So an active image is kept for a short TTL (2 s by default): an image
// deactivated, deleted or changed in Glance meanwhile is seen by the creates within the TTL,
// as a create that arrived just before the change would have seen it. Only active images
// are kept (what a create accepts; anything else is asked again), per project and admin flag
// (what Glance shows depends on the caller: private, shared and community images), and any
// error (not found, not authorized, Glance unreachable) is never kept.
#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "nova/api/image/image_service.hpp"
#include "nova/common/clock.hpp"
#include "nova/common/context.hpp"

namespace nova::api {

class ImageCache {
public:
    explicit ImageCache(MonoClock::duration ttl = std::chrono::seconds(2), std::size_t capacity = 1000)
        : ttl_(ttl), capacity_(capacity) {}

    image::Image Show(const image::ImageService& images, const Clock& clock, const RequestContext& context,
                      const std::string& image_id) {
        std::string key = context.project_id;
        key += context.is_admin ? '\1' : '\0';
        key += image_id;
        const auto now = clock.Monotonic();
        {
            std::lock_guard lock(mu_);
            if (auto it = entries_.find(key); it != entries_.end() && now - it->second.loaded < ttl_) {
                return it->second.image;
            }
        }
        auto image = images.Show(context, image_id);  // outside the lock: a Glance round trip
        if (image.status == "active") {
            std::lock_guard lock(mu_);
            if (entries_.size() >= capacity_) entries_.clear();
            entries_.insert_or_assign(std::move(key), Entry{image, now});
        }
        return image;
    }

private:
    struct Entry {
        image::Image image;
        MonoTime loaded;
    };
    const MonoClock::duration ttl_;
    const std::size_t capacity_;
    std::mutex mu_;
    std::map<std::string, Entry> entries_;
};

}  // namespace nova::api
