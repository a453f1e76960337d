#pragma once
// Client stub of nova-compute (Nova's nova/compute/rpcapi.py ComputeAPI): topic "compute",
// target 6.0, every call directed at one host's queue (`compute.<host>`): the instance's
// host unless the method names another. Picks the version and the arguments; no logic.
//
// Version history (the 6.x line; 1.x-5.x are no longer on the wire):
//   6.0 - Remove 5.x compatibility
//   ... - Remove add_aggregate_host(), remove_aggregate_host(), test_get_console_pool_info(),
//         test_get_console_topic(), refresh_instance_security_rules()
//   ... - Remove request_spec argument from prep_snapshot_based_resize_at_dest() and
//         finish_snapshot_based_resize_at_dest()
//   ... - Remove instance argument from check_instance_shared_storage()
//   ... - Rename the instance_type argument of prep_resize() to flavor
//   ... - Rename the instance_type argument of resize_instance() to flavor
//   6.1 - Add reimage_boot_volume parameter to rebuild_instance()   (Zed)
// Wallaby, Xena and Yoga speak 6.0, Zed 6.1. None of the methods below changed in 6.1, so
// they are all sent at 6.0 and work against any 6.x compute.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nova/common/context.hpp"
#include "nova/conf/messaging.hpp"
#include "nova/conf/upgrade_levels.hpp"
#include "nova/objects/flavor.pb.h"
#include "nova/objects/instance.pb.h"
#include "nova/objects/migration.pb.h"
#include "nova/objects/request_spec.pb.h"
#include "nova/objects/selection.pb.h"
#include "nova/rpc/client.hpp"
#include "nova/rpc/version_cap.hpp"

namespace nova::rpc {
class Transport;
}

namespace nova::compute {

class ComputeRpcApi {
public:
    static constexpr const char* kTopic = "compute";
    static constexpr const char* kLatestVersion = "6.1";
    static const rpc::ReleaseCaps& ReleaseCaps();

    // [upgrade_levels] compute = <release> | X.Y | auto. "auto" caps at what the oldest
    // nova-compute service can take, from `minimum_compute_service_version` (the lowest
    // services.version among nova-compute records), asked once when the stub is built.
    ComputeRpcApi(std::shared_ptr<rpc::Transport> transport,
                  const conf::UpgradeLevelsOptions& upgrade_levels,
                  const conf::MessagingOptions& messaging,
                  std::function<std::int64_t()> minimum_compute_service_version = {});

    // The cap "auto" gives for a minimum nova-compute service version (Nova's
    // SERVICE_VERSION_HISTORY): 64 -> 6.1, 56..63 -> 6.0; older computes cannot be driven by
    // this release (TooOldComputeService).
    static std::string CapForServiceVersion(std::int64_t minimum_version);

    // Boot on `host`/`node`, with the remaining alternates for a reschedule. `image` is the
    // Glance image dict; `limits` the claim limits dict or null.
    void BuildAndRunInstance(const RequestContext& context, const objects::Instance& instance,
                             const std::string& host, Json image,
                             const objects::RequestSpec& request_spec, Json filter_properties,
                             std::optional<std::string> admin_password, Json injected_files,
                             Json requested_networks, Json security_groups,
                             Json block_device_mapping, const std::string& node, Json limits,
                             const std::vector<objects::Selection>& host_list) const;
    // `bdms`: a BlockDeviceMappingList primitive.
    void TerminateInstance(const RequestContext& context, const objects::Instance& instance,
                           Json bdms) const;
    // reboot_type "SOFT" or "HARD".
    void RebootInstance(const RequestContext& context, const objects::Instance& instance,
                        Json block_device_info, const std::string& reboot_type) const;
    // Nova's API casts; a caller that must wait for the stop (e.g. a shelve) calls.
    void StopInstance(const RequestContext& context, const objects::Instance& instance,
                      bool clean_shutdown = true, bool do_cast = true) const;
    void StartInstance(const RequestContext& context, const objects::Instance& instance) const;
    void PauseInstance(const RequestContext& context, const objects::Instance& instance) const;
    void UnpauseInstance(const RequestContext& context, const objects::Instance& instance) const;
    void SuspendInstance(const RequestContext& context, const objects::Instance& instance) const;
    void ResumeInstance(const RequestContext& context, const objects::Instance& instance) const;

    // Resize and cold migration, in Nova's order: the conductor casts prep_resize to the
    // destination, which casts resize_instance to the source, which casts finish_resize to
    // the destination; the API casts confirm_resize to the source or revert_resize to the
    // destination, which casts finish_revert_resize to the source.
    void PrepResize(const RequestContext& context, const objects::Instance& instance, Json image,
                    const objects::Flavor& flavor, const std::string& host,
                    const objects::Migration& migration, const objects::RequestSpec& request_spec,
                    Json filter_properties, const std::string& node, bool clean_shutdown,
                    const std::vector<objects::Selection>& host_list) const;
    void ResizeInstance(const RequestContext& context, const objects::Instance& instance,
                        const objects::Migration& migration, Json image,
                        const objects::Flavor& flavor, const objects::RequestSpec& request_spec,
                        bool clean_shutdown = true) const;
    void FinishResize(const RequestContext& context, const objects::Instance& instance,
                      const objects::Migration& migration, Json image, Json disk_info,
                      const std::string& host, const objects::RequestSpec& request_spec) const;
    void ConfirmResize(const RequestContext& context, const objects::Instance& instance,
                       const objects::Migration& migration, const std::string& host,
                       bool cast = true) const;
    void RevertResize(const RequestContext& context, const objects::Instance& instance,
                      const objects::Migration& migration, const std::string& host,
                      const objects::RequestSpec& request_spec) const;
    void FinishRevertResize(const RequestContext& context, const objects::Instance& instance,
                            const objects::Migration& migration, const std::string& host,
                            const objects::RequestSpec& request_spec) const;

    std::string GetConsoleOutput(const RequestContext& context, const objects::Instance& instance,
                                 std::optional<int> tail_length) const;
    // The host's `uptime` text (os-hypervisors uptime).
    std::string GetHostUptime(const RequestContext& context, const std::string& host) const;

    const std::optional<std::string>& version_cap() const { return version_cap_; }

private:
    // The client aimed at `host`'s queue at `version`.
    rpc::Client At(const std::string& host, const char* version = "6.0") const;
    static const std::string& HostOf(const objects::Instance& instance);

    std::optional<std::string> version_cap_;
    rpc::Client client_;
};

}  // namespace nova::compute
