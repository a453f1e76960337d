#include "nova/compute/rpcapi.hpp"

#include "nova/common/error.hpp"
#include "nova/objects/object.hpp"

namespace nova::compute {

namespace {

Json SelectionsToPrimitive(const std::vector<objects::Selection>& selections) {
    Json list = Json::array();
    for (const auto& selection : selections) list.push_back(objects::ToPrimitive(selection));
    return list;
}

// Nova's SERVICE_VERSION_HISTORY: 56 introduced compute RPC 6.0, 64 (Zed) 6.1.
constexpr std::int64_t kFirstServiceVersionOf60 = 56;
constexpr std::int64_t kFirstServiceVersionOf61 = 64;

std::optional<std::string> ResolveComputeCap(const conf::UpgradeLevelsOptions& upgrade_levels,
                                             const std::function<std::int64_t()>& minimum) {
    if (upgrade_levels.compute != "auto") {
        return rpc::ResolveVersionCap(upgrade_levels.compute, ComputeRpcApi::ReleaseCaps());
    }
    if (!minimum) {
        throw InvalidInput({{"reason",
                             "[upgrade_levels] compute = auto needs the nova-compute service "
                             "versions, which this service cannot read"}});
    }
    return ComputeRpcApi::CapForServiceVersion(minimum());
}

}  // namespace

const rpc::ReleaseCaps& ComputeRpcApi::ReleaseCaps() {
    static const rpc::ReleaseCaps caps{
        {"icehouse", "3.23"}, {"juno", "3.35"},   {"kilo", "4.0"},     {"liberty", "4.5"},
        {"mitaka", "4.11"},   {"newton", "4.13"}, {"ocata", "4.13"},   {"pike", "4.17"},
        {"queens", "5.0"},    {"rocky", "5.0"},   {"stein", "5.1"},    {"train", "5.3"},
        {"ussuri", "5.11"},   {"victoria", "5.12"}, {"wallaby", "6.0"}, {"xena", "6.0"},
        {"yoga", "6.0"},      {"zed", "6.1"}};
    return caps;
}

std::string ComputeRpcApi::CapForServiceVersion(std::int64_t minimum_version) {
    if (minimum_version >= kFirstServiceVersionOf61) return "6.1";
    if (minimum_version >= kFirstServiceVersionOf60) return "6.0";
    throw TooOldComputeService({{"oldest_supported_version", "Wallaby"},
                                {"scope", "deployment"},
                                {"min_service_level", minimum_version},
                                {"oldest_supported_service", kFirstServiceVersionOf60}});
}

ComputeRpcApi::ComputeRpcApi(std::shared_ptr<rpc::Transport> transport,
                             const conf::UpgradeLevelsOptions& upgrade_levels,
                             const conf::MessagingOptions& /*messaging*/,
                             std::function<std::int64_t()> minimum_compute_service_version)
    : version_cap_(ResolveComputeCap(upgrade_levels, minimum_compute_service_version)),
      client_(std::move(transport), rpc::Target{.topic = kTopic, .version = "6.0"}, version_cap_) {}

rpc::Client ComputeRpcApi::At(const std::string& host, const char* version) const {
    return client_.Prepare({.server = host, .version = version});
}

const std::string& ComputeRpcApi::HostOf(const objects::Instance& instance) {
    if (instance.host().empty()) {
        throw NovaError::WithMessage("Unable to find host for Instance " + instance.uuid());
    }
    return instance.host();
}

void ComputeRpcApi::BuildAndRunInstance(
    const RequestContext& context, const objects::Instance& instance, const std::string& host,
    Json image, const objects::RequestSpec& request_spec, Json filter_properties,
    std::optional<std::string> admin_password, Json injected_files, Json requested_networks,
    Json security_groups, Json block_device_mapping, const std::string& node, Json limits,
    const std::vector<objects::Selection>& host_list) const {
    At(host).Cast(context, "build_and_run_instance",
                  {{"instance", objects::ToPrimitive(instance)},
                   {"image", std::move(image)},
                   {"request_spec", objects::ToPrimitive(request_spec)},
                   {"filter_properties", std::move(filter_properties)},
                   {"admin_password", admin_password ? Json(*admin_password) : Json()},
                   {"injected_files", std::move(injected_files)},
                   {"requested_networks", std::move(requested_networks)},
                   {"security_groups", std::move(security_groups)},
                   {"block_device_mapping", std::move(block_device_mapping)},
                   {"node", node},
                   {"limits", std::move(limits)},
                   {"host_list", SelectionsToPrimitive(host_list)},
                   {"accel_uuids", Json::array()}});
}

void ComputeRpcApi::TerminateInstance(const RequestContext& context,
                                      const objects::Instance& instance, Json bdms) const {
    At(HostOf(instance)).Cast(context, "terminate_instance",
                              {{"instance", objects::ToPrimitive(instance)}, {"bdms", std::move(bdms)}});
}

void ComputeRpcApi::RebootInstance(const RequestContext& context, const objects::Instance& instance,
                                   Json block_device_info, const std::string& reboot_type) const {
    At(HostOf(instance)).Cast(context, "reboot_instance",
                              {{"instance", objects::ToPrimitive(instance)},
                               {"block_device_info", std::move(block_device_info)},
                               {"reboot_type", reboot_type}});
}

void ComputeRpcApi::StopInstance(const RequestContext& context, const objects::Instance& instance,
                                 bool clean_shutdown, bool do_cast) const {
    Json args{{"instance", objects::ToPrimitive(instance)}, {"clean_shutdown", clean_shutdown}};
    auto client = At(HostOf(instance));
    if (do_cast) {
        client.Cast(context, "stop_instance", std::move(args));
    } else {
        client.Call(context, "stop_instance", std::move(args));
    }
}

namespace {
void CastInstanceOnly(const rpc::Client& client, const RequestContext& context,
                      const char* method, const objects::Instance& instance) {
    client.Cast(context, method, {{"instance", objects::ToPrimitive(instance)}});
}
}  // namespace

void ComputeRpcApi::StartInstance(const RequestContext& context, const objects::Instance& instance) const {
    CastInstanceOnly(At(HostOf(instance)), context, "start_instance", instance);
}
void ComputeRpcApi::PauseInstance(const RequestContext& context, const objects::Instance& instance) const {
    CastInstanceOnly(At(HostOf(instance)), context, "pause_instance", instance);
}
void ComputeRpcApi::UnpauseInstance(const RequestContext& context, const objects::Instance& instance) const {
    CastInstanceOnly(At(HostOf(instance)), context, "unpause_instance", instance);
}
void ComputeRpcApi::SuspendInstance(const RequestContext& context, const objects::Instance& instance) const {
    CastInstanceOnly(At(HostOf(instance)), context, "suspend_instance", instance);
}
void ComputeRpcApi::ResumeInstance(const RequestContext& context, const objects::Instance& instance) const {
    CastInstanceOnly(At(HostOf(instance)), context, "resume_instance", instance);
}

void ComputeRpcApi::PrepResize(const RequestContext& context, const objects::Instance& instance,
                               Json image, const objects::Flavor& flavor, const std::string& host,
                               const objects::Migration& migration,
                               const objects::RequestSpec& request_spec, Json filter_properties,
                               const std::string& node, bool clean_shutdown,
                               const std::vector<objects::Selection>& host_list) const {
    At(host).Cast(context, "prep_resize",
                  {{"instance", objects::ToPrimitive(instance)},
                   {"flavor", objects::ToPrimitive(flavor)},
                   {"image", std::move(image)},
                   {"request_spec", objects::ToPrimitive(request_spec)},
                   {"filter_properties", std::move(filter_properties)},
                   {"node", node},
                   {"migration", objects::ToPrimitive(migration)},
                   {"clean_shutdown", clean_shutdown},
                   {"host_list", SelectionsToPrimitive(host_list)}});
}

void ComputeRpcApi::ResizeInstance(const RequestContext& context, const objects::Instance& instance,
                                   const objects::Migration& migration, Json image,
                                   const objects::Flavor& flavor,
                                   const objects::RequestSpec& request_spec,
                                   bool clean_shutdown) const {
    At(HostOf(instance)).Cast(context, "resize_instance",
                              {{"instance", objects::ToPrimitive(instance)},
                               {"migration", objects::ToPrimitive(migration)},
                               {"image", std::move(image)},
                               {"flavor", objects::ToPrimitive(flavor)},
                               {"clean_shutdown", clean_shutdown},
                               {"request_spec", objects::ToPrimitive(request_spec)}});
}

void ComputeRpcApi::FinishResize(const RequestContext& context, const objects::Instance& instance,
                                 const objects::Migration& migration, Json image, Json disk_info,
                                 const std::string& host,
                                 const objects::RequestSpec& request_spec) const {
    At(host).Cast(context, "finish_resize",
                  {{"instance", objects::ToPrimitive(instance)},
                   {"migration", objects::ToPrimitive(migration)},
                   {"image", std::move(image)},
                   {"disk_info", std::move(disk_info)},
                   {"request_spec", objects::ToPrimitive(request_spec)}});
}

void ComputeRpcApi::ConfirmResize(const RequestContext& context, const objects::Instance& instance,
                                  const objects::Migration& migration, const std::string& host,
                                  bool cast) const {
    Json args{{"instance", objects::ToPrimitive(instance)},
              {"migration", objects::ToPrimitive(migration)}};
    auto client = At(host.empty() ? HostOf(instance) : host);
    if (cast) {
        client.Cast(context, "confirm_resize", std::move(args));
    } else {
        client.Call(context, "confirm_resize", std::move(args));
    }
}

void ComputeRpcApi::RevertResize(const RequestContext& context, const objects::Instance& instance,
                                 const objects::Migration& migration, const std::string& host,
                                 const objects::RequestSpec& request_spec) const {
    At(host.empty() ? HostOf(instance) : host)
        .Cast(context, "revert_resize",
              {{"instance", objects::ToPrimitive(instance)},
               {"migration", objects::ToPrimitive(migration)},
               {"request_spec", objects::ToPrimitive(request_spec)}});
}

void ComputeRpcApi::FinishRevertResize(const RequestContext& context,
                                       const objects::Instance& instance,
                                       const objects::Migration& migration,
                                       const std::string& host,
                                       const objects::RequestSpec& request_spec) const {
    At(host.empty() ? HostOf(instance) : host)
        .Cast(context, "finish_revert_resize",
              {{"instance", objects::ToPrimitive(instance)},
               {"migration", objects::ToPrimitive(migration)},
               {"request_spec", objects::ToPrimitive(request_spec)}});
}

std::string ComputeRpcApi::GetConsoleOutput(const RequestContext& context,
                                            const objects::Instance& instance,
                                            std::optional<int> tail_length) const {
    auto output = At(HostOf(instance))
                      .Call(context, "get_console_output",
                            {{"instance", objects::ToPrimitive(instance)},
                             {"tail_length", tail_length ? Json(*tail_length) : Json()}});
    return output.is_string() ? output.get<std::string>() : std::string();
}

std::string ComputeRpcApi::GetHostUptime(const RequestContext& context, const std::string& host) const {
    auto uptime = At(host).Call(context, "get_host_uptime", Json::object());
    return uptime.is_string() ? uptime.get<std::string>() : std::string();
}

}  // namespace nova::compute
