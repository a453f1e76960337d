#include "compute_api.hpp"

#include <google/protobuf/timestamp.pb.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <exception>
#include <functional>
#include <iterator>
#include <mutex>
#include <random>
#include <set>

#include "handlers/cells.hpp"
#include "handlers/quotas.hpp"
#include "handlers/server_view.hpp"
#include "handlers/service_info.hpp"
#include "instance_notifications.hpp"
#include "nova/api/fault.hpp"
#include "nova/api/policy.hpp"
#include "nova/common/error.hpp"
#include "nova/common/log.hpp"
#include "nova/common/time.hpp"
#include "nova/common/uuid.hpp"
#include "nova/compute/rpcapi.hpp"
#include "nova/conductor/rpcapi.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/flavor_store.hpp"
#include "nova/db/instance_action_store.hpp"
#include "nova/db/instance_group_store.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/db/keypair_store.hpp"
#include "nova/db/migration_store.hpp"
#include "nova/db/quota_store.hpp"
#include "nova/db/scheduling_store.hpp"
#include "nova/db/service_store.hpp"
#include "nova/objects/object.hpp"
#include "nova/scheduler/placement.hpp"

namespace nova::api {

namespace {

spdlog::logger& Log() { return log::Get("nova.compute.api"); }

std::random_device& Entropy() {
    static thread_local std::random_device device;
    return device;
}

std::string RandomFrom(std::string_view alphabet, std::size_t length) {
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::string out;
    for (std::size_t i = 0; i < length; ++i) out.push_back(alphabet[pick(Entropy())]);
    return out;
}

objects::Flavor FlavorFor(const RequestContext& context, FlavorCache& flavors, db::Pool& api, const Clock& clock,
                          const std::string& flavor_id) {
    auto flavor = flavors.Get(api, clock, flavor_id);
    // Nova's get_flavor_by_flavor_id(read_deleted="no") then _validate_and_build_base_options:
    // a disabled flavor, or a private one the project has no access to, is "not found".
    bool allowed = flavor.is_public() || context.is_admin ||
                   std::find(flavor.projects().begin(), flavor.projects().end(), context.project_id) !=
                       flavor.projects().end();
    if (!allowed || flavor.disabled()) throw FlavorNotFound({{"flavor_id", flavor_id}});
    return flavor;
}

// Nova's boot_meta as the conductor and compute receive it.
Json ImageDict(const image::Image& image) {
    Json d = {{"id", image.id},
              {"name", image.name ? Json(*image.name) : Json()},
              {"status", image.status},
              {"min_ram", image.min_ram},
              {"min_disk", image.min_disk},
              {"size", image.size ? Json(*image.size) : Json()},
              {"disk_format", image.disk_format ? Json(*image.disk_format) : Json()},
              {"container_format", image.container_format ? Json(*image.container_format) : Json()},
              {"checksum", image.checksum ? Json(*image.checksum) : Json()},
              {"owner", image.owner ? Json(*image.owner) : Json()},
              {"created_at", image.created_at},
              {"updated_at", image.updated_at},
              {"properties", image.properties.is_object() ? image.properties : Json::object()}};
    return d;
}

std::string PropertyString(const Json& value) {
    if (value.is_string()) return value.get<std::string>();
    return value.dump();
}

// Nova's utils.get_system_metadata_from_image: image_<key> for the image's fields and
// properties that are kept (min_ram, min_disk, disk_format, container_format, properties).
void ImageSystemMetadata(const image::Image& image, objects::Instance& instance) {
    auto& sm = *instance.mutable_system_metadata();
    sm["image_base_image_ref"] = image.id;
    sm["image_min_ram"] = std::to_string(image.min_ram);
    sm["image_min_disk"] = std::to_string(image.min_disk);
    if (image.disk_format) sm["image_disk_format"] = *image.disk_format;
    if (image.container_format) sm["image_container_format"] = *image.container_format;
    if (image.properties.is_object()) {
        for (const auto& [k, v] : image.properties.items()) {
            if (!v.is_null()) sm["image_" + k] = PropertyString(v);
        }
    }
}

std::optional<std::string> ImageProperty(const image::Image& image, const char* key) {
    if (image.properties.is_object() && image.properties.contains(key) && image.properties[key].is_string()) {
        return image.properties[key].get<std::string>();
    }
    return std::nullopt;
}

// RequestSpec.scheduler_hints is a dict of lists of strings (RequestSpec._from_hints).
void SetSchedulerHints(objects::RequestSpec& spec, const Json& hints) {
    if (!hints.is_object() || hints.empty()) {
        objects::SetNull(spec, "scheduler_hints");
        return;
    }
    auto* fields = spec.mutable_scheduler_hints()->mutable_struct_value()->mutable_fields();
    for (const auto& [key, value] : hints.items()) {
        auto* list = (*fields)[key].mutable_list_value();
        auto add = [&](const Json& v) { list->add_values()->set_string_value(v.is_string() ? v.get<std::string>() : v.dump()); };
        if (value.is_array()) {
            for (const auto& v : value) add(v);
        } else {
            add(value);
        }
    }
}

void SetOptional(objects::Instance& instance, std::string_view field, const std::optional<std::string>& value) {
    if (value) {
        objects::FieldFromPrimitive(instance, field, *value);
    } else {
        objects::SetNull(instance, field);
    }
}

}  // namespace

// --- pure helpers --------------------------------------------------------------------------

std::string SanitizeHostname(const std::string& name) {
    std::string s;
    for (unsigned char c : name) {
        if (c >= 0x80) continue;  // encode('latin-1', 'ignore') then \w keeps ASCII here
        if (c == ' ' || c == '_' || c == '.') {
            s.push_back('-');
        } else if (std::isalnum(c) || c == '-') {
            s.push_back(static_cast<char>(std::tolower(c)));
        }
    }
    if (s.size() > 63) s.resize(63);
    auto begin = s.find_first_not_of(".-");
    if (begin == std::string::npos) return "";
    auto end = s.find_last_not_of(".-");
    return s.substr(begin, end - begin + 1);
}

std::string GeneratePassword(std::size_t length) {
    // Nova's default symbol groups, without look-alikes (0, 1, I, O, l).
    return RandomFrom("23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", length);
}

std::string NewReservationId() { return "r-" + RandomFrom("abcdefghijklmnopqrstuvwxyz0123456789", 8); }

// The resources a create counts (InstancesWithinQuota checks these and no others).
constexpr const char* kCountedResources[] = {"instances", "cores", "ram"};

std::int64_t InstancesWithinQuota(const std::map<std::string, std::int64_t>& limits,
                                  const std::map<std::string, std::int64_t>& used, std::int64_t vcpus,
                                  std::int64_t memory_mb, std::int64_t min_count, std::int64_t max_count) {
    auto limit_of = [&](const char* r) { auto it = limits.find(r); return it == limits.end() ? -1 : it->second; };
    auto used_of = [&](const char* r) { auto it = used.find(r); return it == used.end() ? 0 : it->second; };
    for (;;) {
        std::map<std::string, std::int64_t> deltas = {
            {"instances", max_count}, {"cores", max_count * vcpus}, {"ram", max_count * memory_mb}};
        std::vector<std::string> overs;  // sorted, as Nova's OverQuota carries them
        for (const char* r : {"cores", "instances", "ram"}) {
            auto limit = limit_of(r);
            if (limit >= 0 && used_of(r) + deltas[r] > limit) overs.push_back(r);
        }
        if (overs.empty()) return max_count;
        // get_headroom, with Nova's treatment of unlimited cores/ram.
        std::map<std::string, double> headroom;
        for (const char* r : {"instances", "cores", "ram"}) {
            headroom[r] = static_cast<double>(limit_of(r) - used_of(r));
        }
        if (limit_of("cores") == -1) {
            headroom["cores"] = deltas["cores"] ? headroom["instances"] * static_cast<double>(deltas["cores"]) /
                                                      static_cast<double>(deltas["instances"])
                                                : headroom["instances"];
        }
        if (limit_of("ram") == -1) {
            headroom["ram"] = deltas["ram"] ? headroom["instances"] * static_cast<double>(deltas["ram"]) /
                                                  static_cast<double>(deltas["instances"])
                                            : headroom["instances"];
        }
        double allowed = limit_of("instances") == -1 ? 1e18 : headroom["instances"];
        if (vcpus) allowed = std::min(allowed, std::floor(headroom["cores"] / static_cast<double>(vcpus)));
        if (memory_mb) allowed = std::min(allowed, std::floor(headroom["ram"] / static_cast<double>(memory_mb)));
        auto allowed_count = static_cast<std::int64_t>(allowed);
        if (allowed_count > 0 && min_count <= allowed_count && allowed_count <= max_count) {
            max_count = allowed_count;  // Nova retries with what fits
            continue;
        }
        std::string requested_instances =
            min_count == max_count ? std::to_string(min_count) : std::to_string(min_count) + "-" + std::to_string(max_count);
        std::map<std::string, std::string> requested = {{"instances", requested_instances},
                                                        {"cores", std::to_string(max_count * vcpus)},
                                                        {"ram", std::to_string(max_count * memory_mb)}};
        std::string o, req, use, allow;
        for (const auto& r : overs) {
            auto sep = o.empty() ? "" : ", ";
            o += sep + r;
            req += sep + requested[r];
            use += sep + std::to_string(limit_of(r.c_str()) - static_cast<std::int64_t>(headroom[r]));
            allow += sep + std::to_string(limit_of(r.c_str()));
        }
        throw TooManyInstances({{"overs", o}, {"req", req}, {"used", use}, {"allowed", allow}});
    }
}

// --- lookups -------------------------------------------------------------------------------

Server ComputeApi::Get(const RequestContext& context, const std::string& uuid, bool read_deleted) const {
    return Find(context, uuid, [&](db::Pool& pool) {
        return db::InstanceStore(pool, deps_.clock).GetByUuid(uuid, read_deleted);
    });
}

Server ComputeApi::GetForView(const RequestContext& context, const std::string& uuid) const {
    static const std::vector<std::string> columns(handlers::ServerViewColumns().begin(), handlers::ServerViewColumns().end());
    return Find(context, uuid, [&](db::Pool& pool) {
        return db::InstanceStore(pool, deps_.clock).GetForView(uuid, columns);
    });
}

Server ComputeApi::Find(const RequestContext& context, const std::string& uuid,
                        const std::function<objects::Instance(db::Pool&)>& load) const {
    db::InstanceMappingStore mappings(*deps_.api_db, deps_.clock);
    auto not_found = [&] { return InstanceNotFound({{"instance_id", uuid}}); };
    // Project isolation (Nova reads instances project_only): a user context does not find
    // another project's server, in a cell or still a build request.
    auto visible = [&](Server s) {
        if (!ProjectVisible(context, s.instance.project_id())) throw not_found();
        return s;
    };
    // The instance read from one cell, when it is there and not hidden (the source copy of a
    // cross-cell move).
    auto from_cell = [&](objects::CellMapping cell) -> std::optional<Server> {
        try {
            Server s;
            s.cell = std::move(cell);
            s.pool = &deps_.cells->PoolFor(*s.cell);
            s.instance = load(*s.pool);
            if (!s.instance.hidden()) return s;
        } catch (const InstanceNotFound&) {
        }
        return std::nullopt;
    };
    if (auto cell = cell_cache_.Find(uuid)) {
        if (auto found = from_cell(std::move(*cell))) return visible(std::move(*found));
        cell_cache_.Forget(uuid);  // moved or deleted: ask the mapping
    } else {
        // With a single cell (besides cell0) a placed instance can only be there: look first,
        // and read the mapping only when it is not (cell0, a BuildRequest, deleted). This
        // saves a statement on every first show of an instance (a cold cache).
        std::optional<objects::CellMapping> only;
        int cells = 0;
        for (auto& c : deps_.cells->AllCached(std::chrono::seconds(10))) {
            if (c.mapping.uuid() == db::kCell0Uuid) continue;
            ++cells;
            only = std::move(c.mapping);
        }
        if (cells == 1) {
            if (auto found = from_cell(*only)) {
                cell_cache_.Remember(uuid, *only);
                return visible(std::move(*found));
            }
        }
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
        objects::InstanceMapping mapping;
        try {
            mapping = mappings.GetByInstanceUuid(uuid);
        } catch (const InstanceMappingNotFound&) {
            throw not_found();
        }
        bool in_cell = objects::IsSet(mapping, "cell_mapping") && !objects::IsNull(mapping, "cell_mapping") &&
                       !mapping.cell_mapping().uuid().empty();
        if (in_cell) {
            Server s;
            s.cell = mapping.cell_mapping();
            s.pool = &deps_.cells->PoolFor(*s.cell);
            s.instance = load(*s.pool);
            cell_cache_.Remember(uuid, *s.cell);
            return visible(std::move(s));
        }
        try {
            auto br = db::BuildRequestStore(*deps_.api_db, deps_.clock).GetByInstanceUuid(uuid);
            Server s;
            s.instance = br.instance();
            if (!s.instance.has_created_at() && br.has_created_at()) *s.instance.mutable_created_at() = br.created_at();
            for (const auto& t : br.tags().objects()) s.tags.push_back(t.tag());
            return visible(std::move(s));
        } catch (const BuildRequestNotFound&) {
            // The conductor may just have placed it (it drops the BuildRequest after pointing
            // the mapping at the cell), or it was deleted: look at the mapping once more.
        }
    }
    throw not_found();
}

// --- create --------------------------------------------------------------------------------

ComputeApi::QuotaScope ComputeApi::InstanceQuota(const RequestContext& context) const {
    handlers::QuotaLimits quotas(*deps_.api_db, deps_.clock, deps_.options.quota_defaults);
    auto found = quotas.ForUser(context.project_id, context.user_id);
    QuotaScope scope;
    scope.limits = std::move(found.limits);
    // Nova counts per user only when the user has limits of its own for these resources
    // (and then those are the limits that apply to instances, cores and ram).
    if (found.per_user_instances) scope.user = context.user_id;
    return scope;
}

std::map<std::string, std::int64_t> ComputeApi::InstanceUsage(db::Session& api, const std::string& project_id,
                                                              const std::optional<std::string>& user) const {
    // The BuildRequests first, then the cells without those instances: an instance the
    // conductor moves into its cell between the two reads is counted once, as a BuildRequest.
    std::map<std::string, std::int64_t> used{{"instances", 0}, {"cores", 0}, {"ram", 0}};
    auto pending_uuids = db::BuildRequestStore::GetPendingUuids(api, project_id);
    std::map<std::string, PendingInfo> pending;
    std::vector<std::string> unknown;
    {
        std::lock_guard lock(pending_mutex_);
        auto& known = pending_[project_id];
        for (const auto& uuid : pending_uuids) {
            if (auto it = known.find(uuid); it != known.end()) {
                pending.emplace(uuid, it->second);
            } else {
                unknown.push_back(uuid);
            }
        }
    }
    for (const auto& p : db::BuildRequestStore::GetPending(api, project_id, unknown)) {
        pending[p.instance_uuid] = {p.user_id, p.vcpus, p.memory_mb};
    }
    for (const auto& [uuid, p] : pending) {
        if (user && p.user_id != *user) continue;
        used["instances"] += 1;
        used["cores"] += p.vcpus;
        used["ram"] += p.memory_mb;
    }
    {
        // Keep only what is still pending (the rest is in a cell or deleted).
        std::lock_guard lock(pending_mutex_);
        pending_[project_id] = pending;
    }
    for (auto& cell : deps_.cells->AllCached(std::chrono::seconds(10))) {
        auto usage = db::InstanceStore(*cell.pool, deps_.clock).CountUsage(project_id, user, pending_uuids);
        used["instances"] += usage.instances;
        used["cores"] += usage.cores;
        used["ram"] += usage.ram;
    }
    return used;
}

struct ComputeApi::Reservation {
    std::string user_id;
    const QuotaScope* quota = nullptr;
    std::int64_t vcpus = 0;
    std::int64_t memory_mb = 0;
    std::int64_t min_count = 1;
    std::int64_t max_count = 1;
    std::optional<std::int64_t> group_room;  // free places in the server group, when limited
    // Whether any of instances, cores and ram is limited. When none is, no count can refuse
    // the create (Nova would count and find it within the unlimited quota), so it is written
    // without the project's lock, at once and alongside the project's other creates.
    bool counted = true;
    std::function<void(std::int64_t)> build;  // (re)builds the records for that many instances
    std::vector<objects::RequestSpec>* specs = nullptr;
    std::vector<objects::BuildRequest>* build_requests = nullptr;
    std::vector<objects::InstanceMapping>* mappings = nullptr;
    // Set by the thread that wrote its batch.
    std::exception_ptr error;
    bool done = false;
    // How it went, for the log: the batch's size and its lock, count and write times (ms).
    std::size_t batch = 0;
    double lock_ms = 0, count_ms = 0, write_ms = 0;
};

// Group commit for creates: the first waiting thread of a project takes every create of that
// project waiting in this process, writes them in one transaction and wakes their threads;
// those arriving meanwhile form the next batch. One lock, one count and three INSERTs serve
// the batch, so a burst of creates no longer queues one transaction per create on the lock.
class ComputeApi::ReservationQueue {
public:
    void Run(const std::string& project_id, Reservation& r, const ComputeApi& api) {
        if (!r.counted) {
            api.WriteReservations(project_id, {&r}, false);
            if (r.error) std::rethrow_exception(r.error);
            return;
        }
        std::unique_lock lock(mutex_);
        waiting_[project_id].push_back(&r);
        for (;;) {
            if (r.done) break;
            if (!busy_.contains(project_id)) {
                busy_.insert(project_id);
                auto& queue = waiting_[project_id];
                std::vector<Reservation*> batch;
                const std::size_t n = std::min(queue.size(), kMaxBatch);
                batch.assign(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
                queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
                if (queue.empty()) waiting_.erase(project_id);
                lock.unlock();
                std::exception_ptr failed;
                try {
                    api.WriteReservations(project_id, batch);
                } catch (...) {
                    failed = std::current_exception();
                }
                lock.lock();
                for (auto* b : batch) {
                    if (failed) b->error = failed;
                    b->done = true;
                }
                busy_.erase(project_id);
                changed_.notify_all();
                continue;
            }
            changed_.wait(lock);
        }
        lock.unlock();
        if (r.error) std::rethrow_exception(r.error);
    }

private:
    static constexpr std::size_t kMaxBatch = 64;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::string, std::vector<Reservation*>> waiting_;
    std::set<std::string> busy_;
};

ComputeApi::ComputeApi(handlers::HandlerDeps& deps) : deps_(deps), reservations_(std::make_unique<ReservationQueue>()) {}
ComputeApi::~ComputeApi() = default;

void ComputeApi::WriteReservations(const std::string& project_id, const std::vector<Reservation*>& batch,
                                   bool counted) const {
    const auto now = timeutil::FloorSeconds(deps_.clock.Now());  // DATETIME columns keep seconds
    db::RequestSpecStore spec_store(*deps_.api_db, deps_.clock);
    db::BuildRequestStore br_store(*deps_.api_db, deps_.clock);
    db::InstanceMappingStore mapping_store(*deps_.api_db, deps_.clock);
    // The records of the reservations a batch accepts, written together.
    struct Records {
        std::vector<objects::RequestSpec*> specs;
        std::vector<objects::BuildRequest*> requests;
        std::vector<objects::InstanceMapping*> mappings;
        void Add(Reservation& r) {
            for (std::size_t i = 0; i < r.build_requests->size(); ++i) {
                specs.push_back(&(*r.specs)[i]);
                requests.push_back(&(*r.build_requests)[i]);
                mappings.push_back(&(*r.mappings)[i]);
            }
        }
    };
    auto write = [&](db::Session& s, const Records& records) {
        spec_store.CreateMany(s, records.specs, now);
        br_store.CreateMany(s, records.requests, now);
        mapping_store.CreateMany(s, records.mappings, now);
    };
    // Runs again from the start when the pool retries it (deadlock, lost connection).
    using Ms = std::chrono::duration<double, std::milli>;
    auto t0 = MonoClock::now();
    MonoTime locked{}, counted_at{};
    if (!counted) {
        // Nothing to read first: the three INSERTs and the COMMIT go to MariaDB in one round
        // trip (each round trip of a create waits its turn behind the builds' queries).
        deps_.api_db->TransactionInOneTrip([&](db::Session& s) {
            locked = counted_at = MonoClock::now();
            Records records;
            for (auto* r : batch) {
                r->error = nullptr;
                if (r->group_room && static_cast<std::int64_t>(r->build_requests->size()) > *r->group_room) {
                    r->error = std::make_exception_ptr(HttpFault(403, "Quota exceeded, too many servers in group"));
                    continue;
                }
                records.Add(*r);
            }
            write(s, records);
        });
    } else {
        deps_.api_db->Transaction([&](db::Session& s) {
            db::QuotaStore::LockProject(s, project_id, now);
            locked = MonoClock::now();
            // Usage by counting scope (the project, or one user when it has limits of its own),
            // counted when first needed, plus what this batch accepted before.
            std::map<std::optional<std::string>, std::map<std::string, std::int64_t>> used;
            struct Accepted {
                const std::string* user;
                std::int64_t instances, cores, ram;
            };
            std::vector<Accepted> accepted;
            auto in_scope = [](const std::optional<std::string>& scope, const std::string& user) {
                return !scope || *scope == user;
            };
            auto add = [](std::map<std::string, std::int64_t>& u, const Accepted& a) {
                u["instances"] += a.instances;
                u["cores"] += a.cores;
                u["ram"] += a.ram;
            };
            Records records;
            for (auto* r : batch) {
                r->error = nullptr;
                const auto& scope = r->quota->user;
                auto it = used.find(scope);
                if (it == used.end()) {
                    it = used.emplace(scope, InstanceUsage(s, project_id, scope)).first;
                    for (const auto& a : accepted) {
                        if (in_scope(scope, *a.user)) add(it->second, a);
                    }
                }
                try {
                    auto allowed = InstancesWithinQuota(r->quota->limits, it->second, r->vcpus, r->memory_mb,
                                                        r->min_count, r->max_count);
                    if (r->group_room && allowed > *r->group_room) {
                        throw HttpFault(403, "Quota exceeded, too many servers in group");
                    }
                    if (allowed != static_cast<std::int64_t>(r->build_requests->size())) r->build(allowed);
                } catch (...) {
                    r->error = std::current_exception();
                    continue;
                }
                const auto n = static_cast<std::int64_t>(r->build_requests->size());
                Accepted a{&r->user_id, n, n * r->vcpus, n * r->memory_mb};
                accepted.push_back(a);
                for (auto& [other, u] : used) {
                    if (in_scope(other, r->user_id)) add(u, a);
                }
                records.Add(*r);
            }
            counted_at = MonoClock::now();
            write(s, records);
        });
    }
    if (counted) {
        // The next count of this project knows these without reading their JSON (and
        // forgets them then). Not kept for unlimited creates, which no count would prune.
        std::lock_guard lock(pending_mutex_);
        auto& known = pending_[project_id];
        for (auto* r : batch) {
            if (r->error) continue;
            for (const auto& br : *r->build_requests) {
                known[br.instance_uuid()] = {r->user_id, r->vcpus, r->memory_mb};
            }
        }
    }
    auto t1 = MonoClock::now();
    for (auto* r : batch) {
        r->batch = batch.size();
        r->lock_ms = Ms(locked - t0).count();
        r->count_ms = Ms(counted_at - locked).count();
        r->write_ms = Ms(t1 - counted_at).count();
    }
}

CreateResult ComputeApi::Create(const RequestContext& context, const CreateRequest& request) const {
    const auto begun = MonoClock::now();
    const auto& compute_task = ComputeTask();
    auto flavor = FlavorFor(context, flavors_, *deps_.api_db, deps_.clock, request.flavor_id);

    std::optional<image::Image> image;
    if (!request.image_id.empty()) {
        image = images_.Show(deps_.images, deps_.clock, context, request.image_id);
        if (image->status != "active") throw ImageNotActive({{"image_id", request.image_id}});
        if (image->min_ram > flavor.memory_mb()) throw FlavorMemoryTooSmall();
        if (flavor.root_gb() != 0 && image->min_disk > flavor.root_gb()) throw FlavorDiskTooSmall();
        if (flavor.root_gb() != 0 && image->size && *image->size > flavor.root_gb() * 1024 * 1024 * 1024) {
            throw HttpFault(400, "Flavor's disk is too small for requested image. Flavor disk is " +
                                     std::to_string(flavor.root_gb() * 1024 * 1024 * 1024) + " bytes, image is " +
                                     std::to_string(*image->size) + " bytes.");
        }
    }

    std::optional<objects::KeyPair> keypair;
    if (request.key_name) keypair = db::KeyPairStore(*deps_.api_db, deps_.clock).GetByName(context.user_id, *request.key_name);

    // Metadata items quota (Nova's _check_metadata_properties_quota).
    const auto limits_asked = MonoClock::now();
    auto quota = InstanceQuota(context);
    const auto limits_read = MonoClock::now();
    const auto& limits = quota.limits;
    if (auto it = limits.find("metadata_items"); it != limits.end() && it->second >= 0 &&
                                                 static_cast<std::int64_t>(request.metadata.size()) > it->second) {
        throw MetadataLimitExceeded({{"allowed", it->second}});
    }

    // The server group of the "group" hint (Nova's _get_requested_instance_group); its
    // server_group_members quota is checked once the number of instances is known.
    std::optional<objects::InstanceGroup> group;
    if (request.scheduler_hints.is_object() && request.scheduler_hints.contains("group") &&
        request.scheduler_hints["group"].is_string()) {
        db::InstanceGroupStore groups(*deps_.api_db, deps_.clock);
        group = groups.GetByUuid(request.scheduler_hints["group"].get<std::string>());
    }

    CreateResult result;
    result.reservation_id = NewReservationId();
    std::vector<objects::BuildRequest> build_requests;
    std::vector<objects::RequestSpec> specs;
    std::vector<objects::InstanceMapping> mappings;
    std::int64_t count = 0;

    // The records of `n` instances (built before the quota lock, so that the lock is held
    // only for the database round trips).
    auto build = [&](std::int64_t n) {
        count = n;
        build_requests.clear();
        specs.clear();
        mappings.clear();
        result.instances.clear();
        for (std::int64_t index = 0; index < count; ++index) {
            const std::string uuid = GenerateUuid();

            objects::RequestSpec spec;
            spec.set_instance_uuid(uuid);
            *spec.mutable_flavor() = flavor;
            spec.set_project_id(context.project_id);
            spec.set_user_id(context.user_id);
            spec.set_num_instances(count);
            spec.set_is_bfv(false);
            if (request.availability_zone) {
                spec.set_availability_zone(*request.availability_zone);
            } else {
                objects::SetNull(spec, "availability_zone");
            }
            if (request.forced_host && !request.requested_destination) {
                spec.add_force_hosts(*request.forced_host);
                if (request.forced_node) spec.add_force_nodes(*request.forced_node);
            } else if (request.forced_host || request.forced_node) {
                auto* dest = spec.mutable_requested_destination();
                if (request.forced_host) dest->set_host(*request.forced_host);
                if (request.forced_node) {
                    dest->set_node(*request.forced_node);
                } else {
                    objects::SetNull(*dest, "node");
                }
            }
            SetSchedulerHints(spec, request.scheduler_hints);
            if (group) {
                *spec.mutable_instance_group() = *group;
            } else {
                objects::SetNull(spec, "instance_group");
            }
            spec.mutable_security_groups();

            objects::Instance inst;
            inst.set_uuid(uuid);
            inst.set_user_id(context.user_id);
            inst.set_project_id(context.project_id);
            SetOptional(inst, "image_ref", image ? std::optional<std::string>(image->id) : std::optional<std::string>(""));
            SetOptional(inst, "kernel_id", image ? ImageProperty(*image, "kernel_id") : std::nullopt);
            SetOptional(inst, "ramdisk_id", image ? ImageProperty(*image, "ramdisk_id") : std::nullopt);
            inst.set_launch_index(index);
            SetOptional(inst, "key_name", request.key_name);
            SetOptional(inst, "key_data", keypair ? std::optional<std::string>(keypair->public_key()) : std::nullopt);
            inst.set_power_state(0);
            inst.set_vm_state("building");
            inst.set_task_state("scheduling");
            inst.set_memory_mb(flavor.memory_mb());
            inst.set_vcpus(flavor.vcpus());
            inst.set_root_gb(flavor.root_gb());
            inst.set_ephemeral_gb(flavor.ephemeral_gb());
            inst.set_instance_type_id(flavor.id());
            SetOptional(inst, "user_data", request.user_data);
            inst.set_reservation_id(result.reservation_id);
            SetOptional(inst, "availability_zone", request.availability_zone);
            std::string display_name = request.name;
            std::string hostname = SanitizeHostname(display_name);
            if (hostname.empty()) {
                hostname = "Server-" + uuid;
            } else if (count > 1) {
                hostname += "-" + std::to_string(index + 1);
            }
            if (count > 1) display_name += "-" + std::to_string(index + 1);
            inst.set_display_name(display_name);
            inst.set_hostname(hostname);
            SetOptional(inst, "display_description", request.description);
            inst.set_locked(false);
            objects::SetNull(inst, "locked_by");
            SetOptional(inst, "os_type", image ? ImageProperty(*image, "os_type") : std::nullopt);
            SetOptional(inst, "architecture", image ? ImageProperty(*image, "architecture") : std::nullopt);
            SetOptional(inst, "vm_mode", image ? ImageProperty(*image, "hw_vm_mode") : std::nullopt);
            objects::SetNull(inst, "root_device_name");
            inst.set_config_drive(request.config_drive ? "True" : "");
            SetOptional(inst, "access_ip_v4", request.access_ip_v4);
            SetOptional(inst, "access_ip_v6", request.access_ip_v6);
            inst.set_auto_disk_config(request.auto_disk_config);
            inst.set_progress(0);
            inst.set_shutdown_terminate(false);
            inst.set_disable_terminate(false);
            objects::SetNull(inst, "cell_name");
            objects::SetNull(inst, "ephemeral_key_uuid");
            for (const auto& [k, v] : request.metadata) (*inst.mutable_metadata())[k] = v;
            if (image) ImageSystemMetadata(*image, inst);
            (*inst.mutable_system_metadata())["owner_user_name"] = context.user_name;
            (*inst.mutable_system_metadata())["owner_project_name"] = context.project_name;
            auto* cache = inst.mutable_info_cache();
            cache->set_instance_uuid(uuid);
            cache->set_network_info("[]");
            inst.mutable_security_groups();
            *inst.mutable_flavor() = flavor;
            objects::SetNull(inst, "old_flavor");
            objects::SetNull(inst, "new_flavor");
            if (keypair) {
                *inst.mutable_keypairs()->add_objects() = *keypair;
            } else {
                inst.mutable_keypairs();
            }
            for (const auto& tag : request.tags) {
                auto* t = inst.mutable_tags()->add_objects();
                t->set_resource_id(uuid);
                t->set_tag(tag);
            }
            inst.mutable_tags();
            objects::SetNull(inst, "launched_at");
            objects::SetNull(inst, "terminated_at");
            objects::SetNull(inst, "host");
            objects::SetNull(inst, "node");
            inst.set_deleted(false);
            inst.set_cleaned(false);
            inst.set_hidden(false);

            objects::BuildRequest br;
            br.set_instance_uuid(uuid);
            br.set_project_id(context.project_id);
            *br.mutable_instance() = inst;
            *br.mutable_tags() = inst.tags();
            br.mutable_block_device_mappings();

            objects::InstanceMapping mapping;
            mapping.set_instance_uuid(uuid);
            mapping.set_project_id(context.project_id);
            mapping.set_user_id(context.user_id);
            mapping.set_queued_for_delete(false);
            objects::SetNull(mapping, "cell_mapping");

            build_requests.push_back(std::move(br));
            specs.push_back(std::move(spec));
            mappings.push_back(std::move(mapping));
            result.instances.push_back(std::move(inst));
        }
    };
    build(request.max_count);

    // Count, check and write the records under the project's quota lock, so that concurrent
    // creates of a project, in this process or another nova-api, each count those before it
    // (Nova leaves that race to the conductor's recheck, which puts the overshoot in ERROR).
    // The creates that wait meanwhile in this process are written together, in one
    // transaction, by whichever of their threads gets the lock.
    Reservation reservation;
    reservation.user_id = context.user_id;
    reservation.quota = &quota;
    reservation.vcpus = flavor.vcpus();
    reservation.memory_mb = flavor.memory_mb();
    reservation.min_count = request.min_count;
    reservation.max_count = request.max_count;
    reservation.counted = std::any_of(std::begin(kCountedResources), std::end(kCountedResources), [&](const char* r) {
        auto it = limits.find(r);
        return it != limits.end() && it->second >= 0;
    });
    if (group) {
        if (auto it = limits.find("server_group_members"); it != limits.end() && it->second >= 0) {
            reservation.group_room = it->second - static_cast<std::int64_t>(group->members_size());
        }
    }
    reservation.build = build;
    reservation.specs = &specs;
    reservation.build_requests = &build_requests;
    reservation.mappings = &mappings;
    const auto started = MonoClock::now();
    reservations_->Run(context.project_id, reservation, *this);
    for (std::size_t i = 0; i < build_requests.size(); ++i) {
        if (build_requests[i].has_created_at()) *result.instances[i].mutable_created_at() = build_requests[i].created_at();
    }
    if (group) {
        std::vector<std::string> uuids;
        for (const auto& br : build_requests) uuids.push_back(br.instance_uuid());
        db::InstanceGroupStore(*deps_.api_db, deps_.clock).AddMembers(group->uuid(), uuids);
    }

    const auto written = MonoClock::now();
    Json tags;
    if (!request.tags.empty()) tags = objects::FieldToPrimitive(result.instances.front(), "tags");
    Json networks;  // no networking service: nothing to allocate
    compute_task.ScheduleAndBuildInstances(context, build_requests, specs, image ? ImageDict(*image) : Json::object(),
                                           request.admin_password, Json::array(), networks, Json(), tags);
    using Ms = std::chrono::duration<double, std::milli>;
    NOVA_LOG_INFO(Log(), context, "{} instance(s) of reservation {} sent to the conductor (checks and objects {:.1f} ms, "
                  "of which quota limits {:.1f} ms; quota and records {:.1f} ms: batch of {}, lock {:.1f} ms, "
                  "count {:.1f} ms, write {:.1f} ms; cast {:.1f} ms)", count, result.reservation_id,
                  Ms(started - begun).count(), Ms(limits_read - limits_asked).count(),
                  Ms(written - started).count(), reservation.batch, reservation.lock_ms,
                  reservation.count_ms, reservation.write_ms, Ms(MonoClock::now() - written).count());
    return result;
}

// --- delete --------------------------------------------------------------------------------

void ComputeApi::Delete(const RequestContext& context, Server& server) const {
    const auto& rule = RuleFor("delete");
    db::InstanceMappingStore mappings(*deps_.api_db, deps_.clock);
    auto queue_for_delete = [&] {
        try {
            auto mapping = mappings.GetByInstanceUuid(server.instance.uuid());
            mapping.set_queued_for_delete(true);
            objects::MarkChanged(mapping, "queued_for_delete");
            mappings.Save(mapping);
        } catch (const InstanceMappingNotFound&) {
        }
    };
    if (server.building()) {
        CheckInstanceState(StateViewOf(server.instance), rule, context.is_admin);
        try {
            db::BuildRequestStore(*deps_.api_db, deps_.clock).Destroy(server.instance.uuid());
            // Stopped before a cell: the conductor finds no BuildRequest and builds nothing.
            // If it had created the instance already, it is deleted here too.
            try {
                auto again = Get(context, server.instance.uuid());
                if (!again.building()) {
                    // Nova's _delete_while_booting: the instance the conductor had made
                    // already, destroyed inside notify_about_instance_delete.
                    NotifyInstanceAction(deps_.notifier, context, again.instance, "delete", "start");
                    db::InstanceStore(*again.pool, deps_.clock).Destroy(again.instance);
                    NotifyInstanceAction(deps_.notifier, context, again.instance, "delete", "end");
                }
            } catch (const InstanceNotFound&) {
            }
            scheduler::Placement(*deps_.api_db, deps_.clock).RemoveClaim(server.instance.uuid());
            queue_for_delete();
            return;
        } catch (const BuildRequestNotFound&) {
            // Placed in the meantime: delete it in its cell.
            server = Get(context, server.instance.uuid());
            if (server.building()) return;
        }
    }
    CheckInstanceState(StateViewOf(server.instance), rule, context.is_admin);
    RecordAction(context, server, "delete");
    queue_for_delete();

    bool local = !server.instance.has_host() || server.instance.host().empty();
    if (!local) {
        try {
            auto service = db::ServiceStore(*server.pool, deps_.clock)
                               .GetByHostAndBinary(server.instance.host(), "nova-compute");
            if (!handlers::ServiceIsUp(service, deps_)) {
                NOVA_LOG_WARN(Log(), context, "instance {}: compute host {} is down, deleting locally",
                              server.instance.uuid(), server.instance.host());
                local = true;
            }
        } catch (const NovaError&) {
            local = true;  // no compute service record: nobody could delete it
        }
    }
    if (local) {
        LocalDelete(context, server);
        return;
    }
    server.instance.set_task_state("deleting");
    db::InstanceStore(*server.pool, deps_.clock).Save(server.instance);
    ComputeRpc().TerminateInstance(context, server.instance, Json::array());
}

void ComputeApi::LocalDelete(const RequestContext& context, Server& server) const {
    db::InstanceStore store(*server.pool, deps_.clock);
    auto& inst = server.instance;
    // Nova's notify_about_instance_delete around _local_delete: instance.delete.start with
    // the instance as it was, instance.delete.end once it is destroyed (also when the destroy
    // failed: Nova sends the end from a finally).
    NotifyInstanceAction(deps_.notifier, context, inst, "delete", "start");
    struct End {
        const rpc::Notifier* notifier_;
        const RequestContext& context_;
        const objects::Instance& instance_;
        ~End() { NotifyInstanceAction(notifier_, context_, instance_, "delete", "end"); }
    } end{deps_.notifier, context, inst};
    inst.set_vm_state("deleted");
    objects::SetNull(inst, "task_state");
    inst.set_power_state(0);
    objects::FieldFromPrimitive(inst, "terminated_at", timeutil::IsoZ(deps_.clock.Now()));
    store.Save(inst);
    store.Destroy(inst);
    scheduler::Placement(*deps_.api_db, deps_.clock).RemoveClaim(inst.uuid());
    NOVA_LOG_INFO(Log(), context, "instance {} deleted locally (no compute to do it)", inst.uuid());
}

// --- update --------------------------------------------------------------------------------

void ComputeApi::Update(const RequestContext&, Server& server, const Json& changes) const {
    auto& inst = server.instance;
    if (changes.contains("name")) inst.set_display_name(changes["name"].get<std::string>());
    if (changes.contains("description")) {
        SetOptional(inst, "display_description",
                    changes["description"].is_null() ? std::nullopt
                                                     : std::optional<std::string>(changes["description"].get<std::string>()));
    }
    if (changes.contains("accessIPv4")) {
        const auto& v = changes["accessIPv4"];
        SetOptional(inst, "access_ip_v4", v.is_string() && !v.get<std::string>().empty() ? std::optional<std::string>(v.get<std::string>()) : std::nullopt);
    }
    if (changes.contains("accessIPv6")) {
        const auto& v = changes["accessIPv6"];
        SetOptional(inst, "access_ip_v6", v.is_string() && !v.get<std::string>().empty() ? std::optional<std::string>(v.get<std::string>()) : std::nullopt);
    }
    if (changes.contains("OS-DCF:diskConfig")) inst.set_auto_disk_config(changes["OS-DCF:diskConfig"] == "AUTO");
    if (changes.contains("hostname")) inst.set_hostname(changes["hostname"].get<std::string>());
    if (server.building()) {
        // Nova updates the BuildRequest's instance while it is not in a cell.
        db::BuildRequestStore store(*deps_.api_db, deps_.clock);
        try {
            auto br = store.GetByInstanceUuid(inst.uuid());
            *br.mutable_instance() = inst;
            store.Save(br);
            return;
        } catch (const BuildRequestNotFound&) {
            // Placed meanwhile: update it in its cell.
            auto placed = Get(RequestContext::Admin(), inst.uuid());
            if (placed.building()) throw InstanceNotFound({{"instance_id", inst.uuid()}});
            Update(RequestContext::Admin(), placed, changes);
            server = std::move(placed);
            return;
        }
    }
    db::InstanceStore(*server.pool, deps_.clock).Save(inst);
}

// --- state-checked operations --------------------------------------------------------------

void ComputeApi::RecordAction(const RequestContext& context, const Server& server, std::string_view action) const {
    objects::InstanceAction a;
    a.set_instance_uuid(server.instance.uuid());
    a.set_action(std::string(action));
    a.set_request_id(context.request_id);
    if (!context.user_id.empty()) a.set_user_id(context.user_id);
    if (!context.project_id.empty()) a.set_project_id(context.project_id);
    db::InstanceActionStore(*server.pool, deps_.clock).ActionStart(a);
}

void ComputeApi::Begin(const RequestContext& context, Server& server, std::string_view method,
                       std::optional<std::string_view> action) const {
    const auto& rule = RuleFor(method);
    CheckInstanceState(StateViewOf(server.instance), rule, context.is_admin);
    if (server.building()) {
        // Not in a cell yet: Nova's check fails on vm_state building before this.
        throw InstanceInvalidState({{"attr", "vm_state"},
                                    {"instance_uuid", server.instance.uuid()},
                                    {"state", server.instance.vm_state()},
                                    {"method", std::string(method)}});
    }
    if (rule.new_task_state) {
        db::InstanceExpectations expected;
        if (rule.task_states) {
            expected.task_state = db::InstanceExpectations::States{};
            for (const auto& t : *rule.task_states) {
                expected.task_state->push_back(t ? std::optional<std::string>(std::string(*t)) : std::nullopt);
            }
        }
        server.instance.set_task_state(std::string(*rule.new_task_state));
        try {
            db::InstanceStore(*server.pool, deps_.clock).Save(server.instance, expected);
        } catch (const UnexpectedTaskStateError&) {
            // Lost a race with another operation: report the state it found, as Nova does.
            auto now = db::InstanceStore(*server.pool, deps_.clock).GetByUuid(server.instance.uuid());
            throw InstanceInvalidState({{"attr", "task_state"},
                                        {"instance_uuid", now.uuid()},
                                        {"state", now.has_task_state() ? Json(now.task_state()) : Json()},
                                        {"method", std::string(method)}});
        }
    }
    if (auto name = action ? action : rule.instance_action) RecordAction(context, server, *name);
}

void ComputeApi::Reboot(const RequestContext& context, Server& server, bool hard) const {
    Begin(context, server, hard ? "_hard_reboot" : "_soft_reboot");
    ComputeRpc().RebootInstance(context, server.instance, Json(), hard ? "HARD" : "SOFT");
}

void ComputeApi::Stop(const RequestContext& context, Server& server) const {
    Begin(context, server, "stop");
    ComputeRpc().StopInstance(context, server.instance, true, true);
}

void ComputeApi::Start(const RequestContext& context, Server& server) const {
    Begin(context, server, "start");
    ComputeRpc().StartInstance(context, server.instance);
}

void ComputeApi::Pause(const RequestContext& context, Server& server) const {
    Begin(context, server, "pause");
    ComputeRpc().PauseInstance(context, server.instance);
}

void ComputeApi::Unpause(const RequestContext& context, Server& server) const {
    Begin(context, server, "unpause");
    ComputeRpc().UnpauseInstance(context, server.instance);
}

void ComputeApi::Suspend(const RequestContext& context, Server& server) const {
    Begin(context, server, "suspend");
    ComputeRpc().SuspendInstance(context, server.instance);
}

void ComputeApi::Resume(const RequestContext& context, Server& server) const {
    Begin(context, server, "resume");
    ComputeRpc().ResumeInstance(context, server.instance);
}

void ComputeApi::Lock(const RequestContext& context, Server& server, std::optional<std::string> reason) const {
    if (server.building()) {
        throw InstanceInvalidState({{"attr", "vm_state"}, {"instance_uuid", server.instance.uuid()},
                                    {"state", server.instance.vm_state()}, {"method", "lock"}});
    }
    auto& inst = server.instance;
    inst.set_locked(true);
    inst.set_locked_by(inst.project_id() == context.project_id ? "owner" : "admin");
    if (reason) (*inst.mutable_system_metadata())["locked_reason"] = *reason;
    RecordAction(context, server, "lock");
    db::InstanceStore(*server.pool, deps_.clock).Save(inst);
}

void ComputeApi::Unlock(const RequestContext& context, Server& server) const {
    if (server.building()) {
        throw InstanceInvalidState({{"attr", "vm_state"}, {"instance_uuid", server.instance.uuid()},
                                    {"state", server.instance.vm_state()}, {"method", "unlock"}});
    }
    auto& inst = server.instance;
    inst.set_locked(false);
    objects::SetNull(inst, "locked_by");
    inst.mutable_system_metadata()->erase("locked_reason");
    objects::MarkChanged(inst, "system_metadata");
    RecordAction(context, server, "unlock");
    db::InstanceStore(*server.pool, deps_.clock).Save(inst);
}

void ComputeApi::Resize(const RequestContext& context, Server& server, const std::optional<std::string>& flavor_id,
                        const std::optional<std::string>& host) const {
    const auto& compute_task = ComputeTask();
    auto& inst = server.instance;
    objects::Flavor new_flavor = inst.flavor();
    if (flavor_id) {
        new_flavor = FlavorFor(context, flavors_, *deps_.api_db, deps_.clock, *flavor_id);
        if (new_flavor.id() == inst.flavor().id()) throw CannotResizeToSameFlavor();
        // Upsizing needs quota for the difference (Nova's _check_quota_for_upsize).
        std::int64_t dcores = new_flavor.vcpus() - inst.flavor().vcpus();
        std::int64_t dram = new_flavor.memory_mb() - inst.flavor().memory_mb();
        if (dcores > 0 || dram > 0) {
            handlers::QuotaLimits quotas(*deps_.api_db, deps_.clock, deps_.options.quota_defaults);
            auto limits = quotas.ForProject(context.project_id);
            auto used = handlers::QuotaUsage(deps_, context.project_id, std::nullopt, context.user_id);
            std::vector<std::pair<std::string, std::int64_t>> over;
            for (auto [r, d] : {std::pair<std::string, std::int64_t>{"cores", dcores}, {"ram", dram}}) {
                if (d > 0 && limits[r] >= 0 && used[r] + d > limits[r]) over.emplace_back(r, d);
            }
            if (!over.empty()) {
                std::string o, req, use, allow;
                for (const auto& [r, d] : over) {
                    auto sep = o.empty() ? "" : ", ";
                    o += sep + r;
                    req += sep + std::to_string(d);
                    use += sep + std::to_string(used[r]);
                    allow += sep + std::to_string(limits[r]);
                }
                throw TooManyInstances({{"overs", o}, {"req", req}, {"used", use}, {"allowed", allow}});
            }
        }
    }
    if (host && host->empty()) throw HttpFault(400, "The host can not be empty.");
    Begin(context, server, flavor_id ? "resize" : "migrate");
    auto spec = db::RequestSpecStore(*deps_.api_db, deps_.clock).GetByInstanceUuid(inst.uuid());
    spec.clear_ignore_hosts();
    if (host) {
        auto* dest = spec.mutable_requested_destination();
        dest->set_host(*host);
        objects::SetNull(*dest, "node");
    } else {
        objects::SetNull(spec, "requested_destination");
    }
    try {
        compute_task.MigrateServer(context, inst, Json::object(), new_flavor, true, spec, std::nullopt, false);
    } catch (const NovaError& e) {
        // The conductor put the instance back; Nova answers NoValidHost with a 400.
        if (e.class_name() == "NoValidHost") throw HttpFault(400, e.message());
        throw;
    }
}

void ComputeApi::ConfirmResize(const RequestContext& context, Server& server) const {
    const auto& rule = RuleFor("confirm_resize");
    CheckInstanceState(StateViewOf(server.instance), rule, context.is_admin);
    if (server.building()) throw HttpFault(400, "Instance has not been resized.");
    db::MigrationStore migrations(*server.pool, deps_.clock);
    objects::Migration migration;
    try {
        migration = migrations.GetByInstanceAndStatus(server.instance.uuid(), "finished");
    } catch (const NovaError&) {
        throw HttpFault(400, "Instance has not been resized.");
    }
    migration.set_status("confirming");
    migrations.Save(migration);
    RecordAction(context, server, "confirmResize");
    ComputeRpc().ConfirmResize(context, server.instance, migration, migration.source_compute(), true);
}

void ComputeApi::RevertResize(const RequestContext& context, Server& server) const {
    const auto& rule = RuleFor("revert_resize");
    CheckInstanceState(StateViewOf(server.instance), rule, context.is_admin);
    if (server.building()) throw HttpFault(400, "Instance has not been resized.");
    db::MigrationStore migrations(*server.pool, deps_.clock);
    objects::Migration migration;
    try {
        migration = migrations.GetByInstanceAndStatus(server.instance.uuid(), "finished");
    } catch (const NovaError&) {
        throw HttpFault(400, "Instance has not been resized.");
    }
    Begin(context, server, "revert_resize");
    migration.set_status("reverting");
    migrations.Save(migration);
    auto spec = db::RequestSpecStore(*deps_.api_db, deps_.clock).GetByInstanceUuid(server.instance.uuid());
    ComputeRpc().RevertResize(context, server.instance, migration, migration.dest_compute(), spec);
}

std::string ComputeApi::GetConsoleOutput(const RequestContext& context, Server& server, std::optional<int> length) const {
    if (server.building() || !server.instance.has_host() || server.instance.host().empty()) {
        throw InstanceNotReady({{"instance_id", server.instance.uuid()}});
    }
    return ComputeRpc().GetConsoleOutput(context, server.instance, length);
}

void ComputeApi::ResetState(const RequestContext& context, Server& server, const std::string& state) const {
    if (server.building()) {
        throw InstanceInvalidState({{"attr", "vm_state"}, {"instance_uuid", server.instance.uuid()},
                                    {"state", server.instance.vm_state()}, {"method", "reset_state"}});
    }
    server.instance.set_vm_state(state);
    objects::SetNull(server.instance, "task_state");
    RecordAction(context, server, "resetState");
    db::InstanceStore(*server.pool, deps_.clock).Save(server.instance);
}

void ComputeApi::UpdateMetadata(const RequestContext& context, Server& server,
                                const std::map<std::string, std::string>& metadata, bool replace) const {
    CheckInstanceState(StateViewOf(server.instance), RuleFor("update_instance_metadata"), context.is_admin);
    auto& md = *server.instance.mutable_metadata();
    if (replace) md.clear();
    for (const auto& [k, v] : metadata) md[k] = v;
    handlers::QuotaLimits quotas(*deps_.api_db, deps_.clock, deps_.options.quota_defaults);
    auto limits = quotas.ForProject(context.project_id, context.user_id);
    if (auto it = limits.find("metadata_items"); it != limits.end() && it->second >= 0 &&
                                                 static_cast<std::int64_t>(md.size()) > it->second) {
        throw MetadataLimitExceeded({{"allowed", it->second}});
    }
    objects::MarkChanged(server.instance, "metadata");
    db::InstanceStore(*server.pool, deps_.clock).Save(server.instance);
}

void ComputeApi::DeleteMetadataKey(const RequestContext& context, Server& server, const std::string& key) const {
    CheckInstanceState(StateViewOf(server.instance), RuleFor("delete_instance_metadata"), context.is_admin);
    auto& md = *server.instance.mutable_metadata();
    if (!md.contains(key)) throw HttpFault(404, "Metadata item was not found");
    md.erase(key);
    objects::MarkChanged(server.instance, "metadata");
    db::InstanceStore(*server.pool, deps_.clock).Save(server.instance);
}

std::string ComputeApi::HostStatus(const Server& server) const {
    if (server.building() || !server.instance.has_host() || server.instance.host().empty()) return "";
    try {
        auto service = db::ServiceStore(*server.pool, deps_.clock).GetByHostAndBinary(server.instance.host(), "nova-compute");
        if (service.forced_down()) return "DOWN";
        if (!handlers::ServiceIsUp(service, deps_)) return "DOWN";
        if (service.disabled()) return "MAINTENANCE";
        return "UP";
    } catch (const NovaError&) {
        return "UNKNOWN";
    }
}

const conductor::ComputeTaskRpcApi& ComputeApi::ComputeTask() const {
    if (deps_.compute_task == nullptr) {
        throw HttpFault(503, "nova-api has no messaging transport ([DEFAULT] transport_url): servers cannot be "
                             "created, resized or migrated");
    }
    return *deps_.compute_task;
}

const compute::ComputeRpcApi& ComputeApi::ComputeRpc() const {
    if (deps_.compute_rpc == nullptr) {
        throw HttpFault(503, "nova-api has no messaging transport ([DEFAULT] transport_url): the compute "
                             "service cannot be reached");
    }
    return *deps_.compute_rpc;
}

}  // namespace nova::api
