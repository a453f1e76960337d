#include "server_view.hpp"

#include <google/protobuf/timestamp.pb.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <regex>

#include "common.hpp"
#include "nova/api/server_status.hpp"
#include "nova/common/error.hpp"
#include "nova/common/time.hpp"
#include "nova/objects/object.hpp"

namespace nova::api::handlers {

namespace {

std::optional<std::string> Opt(const objects::Instance& inst, std::string_view field) {
    if (!objects::IsSet(inst, field) || objects::IsNull(inst, field)) return std::nullopt;
    Json v = objects::FieldToPrimitive(inst, field);
    if (v.is_null()) return std::nullopt;
    if (v.is_string()) return v.get<std::string>();
    return v.dump();
}

Json OptJson(const objects::Instance& inst, std::string_view field) {
    auto v = Opt(inst, field);
    return v ? Json(*v) : Json();
}

// utils.isotime: seconds and "Z".
Json IsoTime(const google::protobuf::Timestamp* t, bool set) {
    if (t == nullptr || !set) return nullptr;
    return timeutil::IsoZ(ToWallTime(*t));
}

std::optional<std::string> TaskState(const objects::Instance& inst) {
    return inst.has_task_state() ? std::optional<std::string>(inst.task_state()) : std::nullopt;
}

}  // namespace

std::string GenerateHostId(const std::string& host, const std::string& project_id) {
    if (host.empty()) return "";
    std::string data = project_id + host;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha224(), nullptr);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < size; ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 0xf]);
    }
    return out;
}

std::string InstanceName(const objects::Instance& instance) {
    if (!instance.has_id()) return "";
    char buf[32];
    std::snprintf(buf, sizeof buf, "instance-%08llx", static_cast<unsigned long long>(instance.id()));
    return buf;
}

Json ServerBasicView(const ApiRequest& req, const objects::Instance& instance) {
    return {{"id", instance.uuid()},
            {"name", instance.display_name()},
            {"links", req.links.SelfAndBookmark("servers", instance.uuid())}};
}

Json ServerDetailView(const ApiRequest& req, const objects::Instance& inst, const ServerViewExtras& extras) {
    const std::string status = StatusFromState(inst.vm_state(), TaskState(inst));
    Json s = Json::object();
    s["id"] = inst.uuid();
    s["name"] = inst.display_name();
    s["status"] = status;
    s["tenant_id"] = inst.project_id();
    s["user_id"] = inst.user_id();
    Json md = Json::object();
    for (const auto& [k, v] : inst.metadata()) md[k] = v;
    s["metadata"] = md;
    s["hostId"] = GenerateHostId(Opt(inst, "host").value_or(""), inst.project_id());
    // image: {id, links} or "" when booted from a volume.
    auto image_ref = Opt(inst, "image_ref");
    if (image_ref && !image_ref->empty()) {
        std::string id = *image_ref;
        if (auto slash = id.rfind('/'); slash != std::string::npos) id = id.substr(slash + 1);
        s["image"] = {{"id", id}, {"links", Json::array({{{"rel", "bookmark"}, {"href", req.links.Bookmark("images", id)}}})}};
    } else {
        s["image"] = "";
    }
    if (!objects::IsSet(inst, "flavor")) {
        s["flavor"] = Json::object();
    } else if (req.AtLeast(2, 47)) {
        const auto& f = inst.flavor();
        Json fd = {{"vcpus", f.vcpus()}, {"ram", f.memory_mb()}, {"disk", f.root_gb()},
                   {"ephemeral", f.ephemeral_gb()}, {"swap", f.swap()}, {"original_name", f.name()}};
        if (extras.flavor_extra_specs) {
            Json specs = Json::object();
            for (const auto& [k, v] : f.extra_specs()) specs[k] = v;
            fd["extra_specs"] = specs;
        }
        s["flavor"] = fd;
    } else {
        const std::string id = inst.flavor().flavorid();
        s["flavor"] = {{"id", id}, {"links", Json::array({{{"rel", "bookmark"}, {"href", req.links.Bookmark("flavors", id)}}})}};
    }
    s["created"] = IsoTime(&inst.created_at(), inst.has_created_at());
    s["updated"] = IsoTime(&inst.updated_at(), inst.has_updated_at());
    s["addresses"] = Json::object();  // no networking service: no ports, no addresses
    auto v4 = Opt(inst, "access_ip_v4");
    auto v6 = Opt(inst, "access_ip_v6");
    s["accessIPv4"] = v4 ? *v4 : "";
    s["accessIPv6"] = v6 ? *v6 : "";
    s["links"] = req.links.SelfAndBookmark("servers", inst.uuid());
    s["OS-DCF:diskConfig"] = inst.auto_disk_config() ? "AUTO" : "MANUAL";
    if ((status == "ERROR" || status == "DELETED") && objects::IsSet(inst, "fault") && !objects::IsNull(inst, "fault") &&
        inst.has_fault()) {
        const auto& f = inst.fault();
        Json fault = {{"code", f.code()},
                      {"created", IsoTime(&f.created_at(), f.has_created_at())},
                      {"message", f.message()}};
        if (f.has_details() && !f.details().empty() && (extras.is_admin || f.code() != 500)) fault["details"] = f.details();
        s["fault"] = fault;
    }
    static const std::vector<std::string> kProgress = {"ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING"};
    if (std::find(kProgress.begin(), kProgress.end(), status) != kProgress.end()) {
        s["progress"] = inst.has_progress() ? inst.progress() : 0;
    }
    auto az = Opt(inst, "availability_zone");
    s["OS-EXT-AZ:availability_zone"] = az ? *az : "";
    s["config_drive"] = OptJson(inst, "config_drive");
    s["key_name"] = OptJson(inst, "key_name");
    s["OS-SRV-USG:launched_at"] = IsoOrNull(&inst.launched_at(), inst.has_launched_at());
    s["OS-SRV-USG:terminated_at"] = IsoOrNull(&inst.terminated_at(), inst.has_terminated_at());
    if (inst.has_security_groups() && inst.security_groups().objects_size() > 0) {
        Json groups = Json::array();
        for (const auto& g : inst.security_groups().objects()) groups.push_back({{"name", g.name()}});
        s["security_groups"] = groups;
    }
    if (extras.extended_attrs) {
        s["OS-EXT-SRV-ATTR:host"] = OptJson(inst, "host");
        s["OS-EXT-SRV-ATTR:instance_name"] = InstanceName(inst);
        s["OS-EXT-SRV-ATTR:hypervisor_hostname"] = OptJson(inst, "node");
        if (req.AtLeast(2, 3)) {
            s["OS-EXT-SRV-ATTR:reservation_id"] = OptJson(inst, "reservation_id");
            s["OS-EXT-SRV-ATTR:launch_index"] = inst.has_launch_index() ? Json(inst.launch_index()) : Json();
            s["OS-EXT-SRV-ATTR:hostname"] = OptJson(inst, "hostname");
            s["OS-EXT-SRV-ATTR:kernel_id"] = OptJson(inst, "kernel_id");
            s["OS-EXT-SRV-ATTR:ramdisk_id"] = OptJson(inst, "ramdisk_id");
            s["OS-EXT-SRV-ATTR:root_device_name"] = OptJson(inst, "root_device_name");
            s["OS-EXT-SRV-ATTR:user_data"] = OptJson(inst, "user_data");
        }
    }
    s["OS-EXT-STS:task_state"] = OptJson(inst, "task_state");
    s["OS-EXT-STS:vm_state"] = OptJson(inst, "vm_state");
    s["OS-EXT-STS:power_state"] = inst.has_power_state() ? Json(inst.power_state()) : Json();
    s["os-extended-volumes:volumes_attached"] = Json::array();  // no block storage service
    if (req.AtLeast(2, 16) && extras.host_status) s["host_status"] = *extras.host_status;
    if (req.AtLeast(2, 9)) s["locked"] = inst.has_locked_by() && !inst.locked_by().empty();
    if (req.AtLeast(2, 73)) {
        auto it = inst.system_metadata().find("locked_reason");
        s["locked_reason"] = it == inst.system_metadata().end() ? Json() : Json(it->second);
    }
    if (req.AtLeast(2, 19)) s["description"] = OptJson(inst, "display_description");
    if (req.AtLeast(2, 26)) s["tags"] = extras.tags;
    if (req.AtLeast(2, 63)) s["trusted_image_certificates"] = nullptr;
    if (req.AtLeast(2, 90) && !extras.extended_attrs) s["OS-EXT-SRV-ATTR:hostname"] = OptJson(inst, "hostname");
    if (req.AtLeast(2, 71) && extras.server_groups) s["server_groups"] = *extras.server_groups;
    return {{"server", s}};
}

// --- filters ---------------------------------------------------------------------------------

std::optional<std::string> ColumnText(const objects::Instance& instance, const std::string& column) {
    if (column == "locked") return instance.locked() ? "1" : "0";
    if (column == "launched_at" || column == "terminated_at" || column == "created_at" || column == "updated_at") {
        const google::protobuf::Timestamp* t = column == "launched_at"     ? &instance.launched_at()
                                               : column == "terminated_at" ? &instance.terminated_at()
                                               : column == "created_at"    ? &instance.created_at()
                                                                           : &instance.updated_at();
        bool set = column == "launched_at"     ? instance.has_launched_at()
                   : column == "terminated_at" ? instance.has_terminated_at()
                   : column == "created_at"    ? instance.has_created_at()
                                               : instance.has_updated_at();
        if (!set) return std::nullopt;
        return timeutil::Sql(ToWallTime(*t));
    }
    return Opt(instance, column);
}

bool MatchesFilters(const objects::Instance& instance, const std::vector<std::string>& tags,
                    const ServerFilters& filters) {
    if (filters.match_nothing) return false;
    for (const auto& [column, values] : filters.exact) {
        auto v = ColumnText(instance, column);
        bool any = false;
        for (const auto& want : values) {
            if (v ? *v == want : (want == "None" || want.empty())) {
                any = true;
                break;
            }
        }
        if (!any) return false;
    }
    for (const auto& [column, pattern] : filters.regex) {
        auto v = ColumnText(instance, column);
        if (!v) return false;
        std::regex re(pattern, std::regex::ECMAScript | std::regex::icase);
        if (!std::regex_search(*v, re)) return false;
    }
    if (filters.changes_since || filters.changes_before) {
        if (!instance.has_updated_at()) return false;
        auto updated = ToWallTime(instance.updated_at());
        if (filters.changes_since && updated < *filters.changes_since) return false;
        if (filters.changes_before && updated > *filters.changes_before) return false;
    }
    auto has = [&](const std::string& t) { return std::find(tags.begin(), tags.end(), t) != tags.end(); };
    if (!filters.tags.empty() && !std::all_of(filters.tags.begin(), filters.tags.end(), has)) return false;
    if (!filters.tags_any.empty() && !std::any_of(filters.tags_any.begin(), filters.tags_any.end(), has)) return false;
    if (!filters.not_tags.empty() && std::all_of(filters.not_tags.begin(), filters.not_tags.end(), has)) return false;
    if (!filters.not_tags_any.empty() && std::any_of(filters.not_tags_any.begin(), filters.not_tags_any.end(), has)) {
        return false;
    }
    if (filters.locked && instance.locked() != *filters.locked) return false;
    return true;
}

std::vector<SortKey> SortKeys(const std::vector<std::string>& keys, const std::vector<std::string>& dirs) {
    for (const auto& d : dirs) {
        if (d != "asc" && d != "desc") {
            throw InvalidInput({{"reason", "Unknown sort direction, must be 'desc' or 'asc'"}});
        }
    }
    if (dirs.size() > keys.size()) throw InvalidInput({{"reason", "Sort direction size exceeds sort key size"}});
    const std::string default_dir = dirs.empty() ? "desc" : dirs.front();
    std::vector<SortKey> out;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        out.push_back({keys[i], (i < dirs.size() ? dirs[i] : default_dir) == "desc"});
    }
    for (const char* key : {"created_at", "id"}) {
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) out.push_back({key, default_dir == "desc"});
    }
    return out;
}

namespace {

bool IsTimeColumn(const std::string& key) {
    return key == "created_at" || key == "updated_at" || key == "launched_at" || key == "terminated_at" ||
           key == "deleted_at";
}

const google::protobuf::Timestamp* TimeOf(const objects::Instance& i, const std::string& key) {
    if (key == "created_at") return i.has_created_at() ? &i.created_at() : nullptr;
    if (key == "updated_at") return i.has_updated_at() ? &i.updated_at() : nullptr;
    if (key == "launched_at") return i.has_launched_at() ? &i.launched_at() : nullptr;
    if (key == "terminated_at") return i.has_terminated_at() ? &i.terminated_at() : nullptr;
    return i.has_deleted_at() ? &i.deleted_at() : nullptr;
}

// <0, 0, >0 as MySQL orders one column ascending (NULL first).
int CompareColumn(const objects::Instance& a, const objects::Instance& b, const std::string& key) {
    if (key == "id") {
        if (a.has_id() != b.has_id()) return a.has_id() ? 1 : -1;
        return a.id() < b.id() ? -1 : a.id() > b.id() ? 1 : 0;
    }
    if (key == "uuid") return a.uuid().compare(b.uuid());
    if (IsTimeColumn(key)) {
        const auto* ta = TimeOf(a, key);
        const auto* tb = TimeOf(b, key);
        if (ta == nullptr || tb == nullptr) return (ta != nullptr) - (tb != nullptr);
        auto pa = std::pair(ta->seconds(), ta->nanos());
        auto pb = std::pair(tb->seconds(), tb->nanos());
        return pa < pb ? -1 : pb < pa ? 1 : 0;
    }
    auto value = [&](const objects::Instance& i) -> Json {
        if (!objects::IsSet(i, key) || objects::IsNull(i, key)) return Json();
        return objects::FieldToPrimitive(i, key);
    };
    Json va = value(a);
    Json vb = value(b);
    if (va == vb) return 0;
    if (va.is_null()) return -1;
    if (vb.is_null()) return 1;
    if (va.is_string() && vb.is_string()) {
        // As the cells' utf8mb4_general_ci columns compare (ASCII letters without case), so
        // that the merge across cells keeps the order each cell's SQL gave.
        const auto& sa = va.get_ref<const std::string&>();
        const auto& sb = vb.get_ref<const std::string&>();
        for (std::size_t i = 0; i < sa.size() && i < sb.size(); ++i) {
            int ca = std::tolower(static_cast<unsigned char>(sa[i]));
            int cb = std::tolower(static_cast<unsigned char>(sb[i]));
            if (ca != cb) return ca < cb ? -1 : 1;
        }
        return sa.size() < sb.size() ? -1 : sa.size() > sb.size() ? 1 : 0;
    }
    return va < vb ? -1 : 1;
}

}  // namespace

int CompareInstances(const objects::Instance& a, const objects::Instance& b, const std::vector<SortKey>& keys) {
    for (const auto& k : keys) {
        int c = CompareColumn(a, b, k.key);
        if (c != 0) return k.descending ? -c : c;
    }
    return 0;
}

void SortInstances(std::vector<const objects::Instance*>& instances, const std::vector<SortKey>& keys) {
    std::stable_sort(instances.begin(), instances.end(), [&](const objects::Instance* a, const objects::Instance* b) {
        int c = CompareInstances(*a, *b, keys);
        if (c != 0) return c < 0;
        return a->uuid() < b->uuid();
    });
}

}  // namespace nova::api::handlers
