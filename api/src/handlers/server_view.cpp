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
#include "nova/common/json_escape.hpp"
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

const std::set<std::string>& ServerViewColumns() {
    static const std::set<std::string> columns = {
        "id", "uuid", "display_name", "display_description", "project_id", "user_id", "vm_state", "task_state",
        "power_state", "host", "node", "image_ref", "created_at", "updated_at", "access_ip_v4", "access_ip_v6",
        "auto_disk_config", "progress", "availability_zone", "config_drive", "key_name", "launched_at",
        "terminated_at", "reservation_id", "launch_index", "hostname", "kernel_id", "ramdisk_id",
        "root_device_name", "user_data", "locked", "locked_by", "deleted", "hidden"};
    return columns;
}

Json ServerBasicView(const ApiRequest& req, const objects::Instance& instance) {
    return {{"id", instance.uuid()},
            {"name", instance.display_name()},
            {"links", req.links.SelfAndBookmark("servers", instance.uuid())}};
}

Json ServerDetailView(const ApiRequest& req, const objects::Instance& inst, const ServerViewExtras& extras) {
    Json out = Json::object();
    out["server"] = ServerDetail(req, inst, extras);
    return out;
}

Json ServerDetail(const ApiRequest& req, const objects::Instance& inst, const ServerViewExtras& extras) {
    std::string text;
    JsonWriter w(text);
    WriteServerDetail(w, req, inst, extras);
    return Json::parse(text);
}

void JsonWriter::String(std::string_view v) {
    Separate();
    for (unsigned char c : v) {
        if (c >= 0x80) {  // not ASCII: as nlohmann writes it (invalid UTF-8 replaced)
            out_ += Json(std::string(v)).dump(-1, ' ', false, Json::error_handler_t::replace);
            return;
        }
    }
    out_ += '"';
    AppendJsonEscaped(out_, v);
    out_ += '"';
}

namespace {

void OptString(JsonWriter& w, bool has, const std::string& value) {
    if (has) {
        w.String(value);
    } else {
        w.Null();
    }
}

void Time(JsonWriter& w, const google::protobuf::Timestamp& t, bool set) {  // utils.isotime
    if (set) {
        w.String(timeutil::IsoZ(ToWallTime(t)));
    } else {
        w.Null();
    }
}

void MicroTime(JsonWriter& w, const google::protobuf::Timestamp& t, bool set) {  // IsoOrNull
    if (set) {
        w.String(IsoMicro(t));
    } else {
        w.Null();
    }
}

void BookmarkLinks(JsonWriter& w, const ApiRequest& req, std::string_view collection, std::string_view id) {
    w.BeginArray();
    w.BeginObject();
    w.Key("rel").String("bookmark");
    w.Key("href").String(req.links.Bookmark(collection, id));
    w.EndObject();
    w.EndArray();
}

}  // namespace

void WriteServerDetail(JsonWriter& w, const ApiRequest& req, const objects::Instance& inst,
                       const ServerViewExtras& extras) {
    const std::string status = StatusFromState(inst.vm_state(), TaskState(inst));
    w.BeginObject();
    w.Key("id").String(inst.uuid());
    w.Key("name").String(inst.display_name());
    w.Key("status").String(status);
    w.Key("tenant_id").String(inst.project_id());
    w.Key("user_id").String(inst.user_id());
    w.Key("metadata").BeginObject();
    for (const auto& [k, v] : std::map<std::string, std::string>(inst.metadata().begin(), inst.metadata().end())) {
        w.Key(k).String(v);
    }
    w.EndObject();
    w.Key("hostId").String(GenerateHostId(inst.has_host() ? inst.host() : std::string(), inst.project_id()));
    // image: {id, links} or "" when booted from a volume.
    w.Key("image");
    if (inst.has_image_ref() && !inst.image_ref().empty()) {
        std::string_view id = inst.image_ref();
        if (auto slash = id.rfind('/'); slash != std::string_view::npos) id = id.substr(slash + 1);
        w.BeginObject();
        w.Key("id").String(id);
        w.Key("links");
        BookmarkLinks(w, req, "images", id);
        w.EndObject();
    } else {
        w.String("");
    }
    w.Key("flavor").BeginObject();
    if (!objects::IsSet(inst, "flavor")) {
    } else if (req.AtLeast(2, 47)) {
        const auto& f = inst.flavor();
        w.Key("vcpus").Int(f.vcpus());
        w.Key("ram").Int(f.memory_mb());
        w.Key("disk").Int(f.root_gb());
        w.Key("ephemeral").Int(f.ephemeral_gb());
        w.Key("swap").Int(f.swap());
        w.Key("original_name").String(f.name());
        if (extras.flavor_extra_specs) {
            w.Key("extra_specs").BeginObject();
            for (const auto& [k, v] : std::map<std::string, std::string>(f.extra_specs().begin(), f.extra_specs().end())) {
                w.Key(k).String(v);
            }
            w.EndObject();
        }
    } else {
        const std::string& id = inst.flavor().flavorid();
        w.Key("id").String(id);
        w.Key("links");
        BookmarkLinks(w, req, "flavors", id);
    }
    w.EndObject();
    w.Key("created");
    Time(w, inst.created_at(), inst.has_created_at());
    w.Key("updated");
    Time(w, inst.updated_at(), inst.has_updated_at());
    w.Key("addresses").BeginObject().EndObject();  // no networking service: no ports, no addresses
    w.Key("accessIPv4").String(inst.has_access_ip_v4() ? inst.access_ip_v4() : std::string());
    w.Key("accessIPv6").String(inst.has_access_ip_v6() ? inst.access_ip_v6() : std::string());
    w.Key("links").BeginArray();
    w.BeginObject();
    w.Key("rel").String("self");
    w.Key("href").String(req.links.Self("servers", inst.uuid()));
    w.EndObject();
    w.BeginObject();
    w.Key("rel").String("bookmark");
    w.Key("href").String(req.links.Bookmark("servers", inst.uuid()));
    w.EndObject();
    w.EndArray();
    w.Key("OS-DCF:diskConfig").String(inst.auto_disk_config() ? "AUTO" : "MANUAL");
    if ((status == "ERROR" || status == "DELETED") && objects::IsSet(inst, "fault") && !objects::IsNull(inst, "fault") &&
        inst.has_fault()) {
        const auto& f = inst.fault();
        w.Key("fault").BeginObject();
        w.Key("code").Int(f.code());
        w.Key("created");
        Time(w, f.created_at(), f.has_created_at());
        w.Key("message").String(f.message());
        if (f.has_details() && !f.details().empty() && (extras.is_admin || f.code() != 500)) {
            w.Key("details").String(f.details());
        }
        w.EndObject();
    }
    static const std::vector<std::string> kProgress = {"ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING"};
    if (std::find(kProgress.begin(), kProgress.end(), status) != kProgress.end()) {
        w.Key("progress").Int(inst.has_progress() ? inst.progress() : 0);
    }
    w.Key("OS-EXT-AZ:availability_zone").String(inst.has_availability_zone() ? inst.availability_zone() : std::string());
    w.Key("config_drive");
    OptString(w, inst.has_config_drive(), inst.config_drive());
    w.Key("key_name");
    OptString(w, inst.has_key_name(), inst.key_name());
    w.Key("OS-SRV-USG:launched_at");
    MicroTime(w, inst.launched_at(), inst.has_launched_at());
    w.Key("OS-SRV-USG:terminated_at");
    MicroTime(w, inst.terminated_at(), inst.has_terminated_at());
    if (inst.has_security_groups() && inst.security_groups().objects_size() > 0) {
        w.Key("security_groups").BeginArray();
        for (const auto& g : inst.security_groups().objects()) {
            w.BeginObject();
            w.Key("name").String(g.name());
            w.EndObject();
        }
        w.EndArray();
    }
    if (extras.extended_attrs) {
        w.Key("OS-EXT-SRV-ATTR:host");
        OptString(w, inst.has_host(), inst.host());
        w.Key("OS-EXT-SRV-ATTR:instance_name").String(InstanceName(inst));
        w.Key("OS-EXT-SRV-ATTR:hypervisor_hostname");
        OptString(w, inst.has_node(), inst.node());
        if (req.AtLeast(2, 3)) {
            w.Key("OS-EXT-SRV-ATTR:reservation_id");
            OptString(w, inst.has_reservation_id(), inst.reservation_id());
            w.Key("OS-EXT-SRV-ATTR:launch_index");
            if (inst.has_launch_index()) {
                w.Int(inst.launch_index());
            } else {
                w.Null();
            }
            w.Key("OS-EXT-SRV-ATTR:hostname");
            OptString(w, inst.has_hostname(), inst.hostname());
            w.Key("OS-EXT-SRV-ATTR:kernel_id");
            OptString(w, inst.has_kernel_id(), inst.kernel_id());
            w.Key("OS-EXT-SRV-ATTR:ramdisk_id");
            OptString(w, inst.has_ramdisk_id(), inst.ramdisk_id());
            w.Key("OS-EXT-SRV-ATTR:root_device_name");
            OptString(w, inst.has_root_device_name(), inst.root_device_name());
            w.Key("OS-EXT-SRV-ATTR:user_data");
            OptString(w, inst.has_user_data(), inst.user_data());
        }
    }
    w.Key("OS-EXT-STS:task_state");
    OptString(w, inst.has_task_state(), inst.task_state());
    w.Key("OS-EXT-STS:vm_state");
    OptString(w, inst.has_vm_state(), inst.vm_state());
    w.Key("OS-EXT-STS:power_state");
    if (inst.has_power_state()) {
        w.Int(inst.power_state());
    } else {
        w.Null();
    }
    w.Key("os-extended-volumes:volumes_attached").BeginArray().EndArray();  // no block storage service
    if (req.AtLeast(2, 16) && extras.host_status) w.Key("host_status").String(*extras.host_status);
    if (req.AtLeast(2, 9)) w.Key("locked").Bool(inst.has_locked_by() && !inst.locked_by().empty());
    if (req.AtLeast(2, 73)) {
        auto it = inst.system_metadata().find("locked_reason");
        w.Key("locked_reason");
        if (it == inst.system_metadata().end()) {
            w.Null();
        } else {
            w.String(it->second);
        }
    }
    if (req.AtLeast(2, 19)) {
        w.Key("description");
        OptString(w, inst.has_display_description(), inst.display_description());
    }
    if (req.AtLeast(2, 26)) {
        w.Key("tags").BeginArray();
        for (const auto& t : extras.tags) w.String(t);
        w.EndArray();
    }
    if (req.AtLeast(2, 63)) w.Key("trusted_image_certificates").Null();
    if (req.AtLeast(2, 90) && !extras.extended_attrs) {
        w.Key("OS-EXT-SRV-ATTR:hostname");
        OptString(w, inst.has_hostname(), inst.hostname());
    }
    if (req.AtLeast(2, 71) && extras.server_groups) {
        w.Key("server_groups").BeginArray();
        for (const auto& g : *extras.server_groups) w.String(g);
        w.EndArray();
    }
    w.EndObject();
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
