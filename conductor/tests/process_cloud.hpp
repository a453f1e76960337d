#pragma once
// A cloud of real processes for functional tests: nova-conductor, nova-scheduler and
// nova-compute (fake driver) binaries against the test RabbitMQ (a control_exchange of its
// own) and MariaDB (scratch API, cell and cell0 databases). The test plays nova-api: it writes
// the BuildRequest and InstanceMapping and casts to the conductor, and reads the databases.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <list>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"
#include "nova/compute/rpcapi.hpp"
#include "nova/conductor/rpcapi.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/db/migration_store.hpp"
#include "nova/db/placement_store.hpp"
#include "nova/db/scheduling_store.hpp"
#include "nova/db/service_store.hpp"
#include "nova/objects/host_mapping.pb.h"
#include "nova/objects/instance_mapping.pb.h"
#include "nova/objects/object.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/scheduler/placement.hpp"
#include "nova/test/services.hpp"
#include "scratch_database.hpp"

namespace nova::testing {

using namespace std::chrono_literals;

class ProcessCloud {
public:
    struct Process {
        std::string name;
        pid_t pid = -1;
        std::string log;
    };

    ProcessCloud()
        : api_(db::testing::ScratchDatabase::Schema::kApi),
          cell_(db::testing::ScratchDatabase::Schema::kMain),
          cell0_(db::testing::ScratchDatabase::Schema::kMain),
          exchange_("ftest-" + GenerateUuidHex().substr(0, 12)),
          dir_(std::filesystem::temp_directory_path() / exchange_) {
        std::filesystem::create_directories(dir_);
        rpc::TransportOptions options;
        options.control_exchange = exchange_;
        transport_ = rpc::MakeTransport(test::Services::Get().TransportUrl(), options);
        messaging_.rpc_response_timeout = 60;
        messaging_.long_rpc_timeout = 120;
        context_.user_id = "user";
        context_.project_id = "project";

        db::CellMappingStore mappings(api_.pool(), clock_);
        objects::CellMapping cell0;
        cell0.set_uuid(db::kCell0Uuid);
        cell0.set_name("cell0");
        cell0.set_transport_url("none:///");
        cell0.set_database_connection(cell0_.url());
        cell0.set_disabled(false);
        mappings.Create(cell0);
        cell_mapping_.set_uuid(GenerateUuid());
        cell_mapping_.set_name("cell1");
        cell_mapping_.set_transport_url(test::Services::Get().TransportUrl());
        cell_mapping_.set_database_connection(cell_.url());
        cell_mapping_.set_disabled(false);
        mappings.Create(cell_mapping_);
    }

    ~ProcessCloud() {
        for (auto& p : processes_) Kill(p, SIGTERM);
    }

    ProcessCloud(const ProcessCloud&) = delete;
    ProcessCloud& operator=(const ProcessCloud&) = delete;

    // The [DEFAULT] and database sections every service shares; `defaults` is added to
    // [DEFAULT] and `extra` (other sections) appended.
    Process& Start(const std::string& binary, const std::string& name, const std::string& extra = "",
                   const std::string& defaults = "") {
        const auto conf = dir_ / (name + ".conf");
        std::ofstream(conf) << "[DEFAULT]\nhost = " << name << "\ntransport_url = "
                            << test::Services::Get().TransportUrl() << "\ncontrol_exchange = " << exchange_
                            << "\nreport_interval = 1\nperiodic_fuzzy_delay = 0\n"
                            << extra_default_ << "\n" << defaults << "\n"
                            << "[api_database]\nconnection = " << api_.url() << "\n"
                            << "[database]\nconnection = " << cell_.url() << "\n"
                            << extra;
        Process p{name, -1, (dir_ / (name + ".log")).string()};
        std::fflush(nullptr);
        const pid_t pid = ::fork();
        if (pid == 0) {
            int fd = ::open(p.log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            const std::string conf_path = conf.string();
            const std::string argv0 = std::filesystem::path(binary).filename().string();
            ::execl(binary.c_str(), argv0.c_str(), "--config-file", conf_path.c_str(), nullptr);
            ::_exit(127);
        }
        REQUIRE(pid > 0);
        p.pid = pid;
        processes_.push_back(p);
        return processes_.back();
    }

    // Stops a process: SIGTERM (graceful) or SIGKILL (a crash). Waits for it.
    void Kill(Process& p, int signal) {
        if (p.pid <= 0) return;
        ::kill(p.pid, signal);
        int status = 0;
        ::waitpid(p.pid, &status, 0);
        p.pid = -1;
    }
    Process& Find(const std::string& name) {
        for (auto& p : processes_) {
            if (p.name == name && p.pid > 0) return p;
        }
        FAIL("no running process " << name);
        throw std::logic_error("unreachable");
    }

    // Everything the processes logged (for failure messages).
    std::string Logs() const {
        std::string out;
        for (const auto& p : processes_) {
            std::ifstream in(p.log);
            std::stringstream s;
            s << in.rdbuf();
            std::string text = s.str();
            if (text.size() > 6000) text = "..." + text.substr(text.size() - 6000);
            out += "==== " + p.name + " (" + p.log + ")\n" + text + "\n";
        }
        return out;
    }

    template <class F>
    bool Eventually(F&& fn, std::chrono::seconds timeout = 30s) {
        const auto end = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < end) {
            try {
                if (fn()) return true;
            } catch (const std::exception&) {
                // not there yet (a row missing, a service still starting)
            }
            std::this_thread::sleep_for(100ms);
        }
        return false;
    }

    // Waits until `binary` on `host` has its service record (the service consumes its topic
    // from then on: a message sent to a queue nobody declared yet is lost).
    void WaitForService(const std::string& binary, const std::string& host) {
        REQUIRE_MESSAGE(Eventually([&] {
                            db::ServiceStore(cell_.pool(), clock_).GetByHostAndBinary(host, binary);
                            return true;
                        }),
                        Logs());
    }

    // Waits for nova-compute hosts to register their nodes and providers, then maps them to
    // the cell (nova-manage cell_v2 discover_hosts). Returns host -> provider uuid.
    std::map<std::string, std::string> DiscoverHosts(const std::vector<std::string>& hosts) {
        std::map<std::string, std::string> providers;
        for (const auto& host : hosts) {
            REQUIRE_MESSAGE(Eventually([&] {
                                auto nodes = db::ComputeNodeStore(cell_.pool(), clock_).GetAllByHost(host);
                                if (nodes.empty()) return false;
                                scheduler::Placement placement(api_.pool(), clock_);
                                if (placement.GetUsages(nodes.front().uuid()).empty() &&
                                    !HasProvider(nodes.front().uuid())) {
                                    return false;
                                }
                                providers[host] = nodes.front().uuid();
                                return true;
                            }),
                            Logs());
            objects::HostMapping mapping;
            mapping.set_host(host);
            *mapping.mutable_cell_mapping() = cell_mapping_;
            try {
                db::HostMappingStore(api_.pool(), clock_).Create(mapping);
            } catch (const NovaError&) {
                // already mapped
            }
        }
        return providers;
    }

    // What nova-api does for one server: BuildRequest, InstanceMapping, then
    // schedule_and_build_instances. Returns the instance uuid.
    std::string Boot(const objects::Flavor& flavor, std::map<std::string, std::string> image_properties = {}) {
        const std::string uuid = GenerateUuid();
        objects::RequestSpec spec = Spec(flavor);
        spec.set_instance_uuid(uuid);
        objects::Instance instance;
        instance.set_uuid(uuid);
        instance.set_project_id("project");
        instance.set_user_id("user");
        instance.set_display_name("vm-" + uuid.substr(0, 8));
        instance.set_hostname("vm");
        instance.set_vm_state("building");
        instance.set_task_state("scheduling");
        instance.set_power_state(0);
        instance.set_instance_type_id(flavor.id());
        instance.set_vcpus(flavor.vcpus());
        instance.set_memory_mb(flavor.memory_mb());
        instance.set_root_gb(flavor.root_gb());
        instance.set_ephemeral_gb(flavor.ephemeral_gb());
        instance.set_image_ref("70a599e0-31e7-49b7-b260-868f441e862b");
        *instance.mutable_flavor() = flavor;
        for (const auto& [k, v] : image_properties) (*instance.mutable_system_metadata())["image_" + k] = v;
        instance.set_launch_index(0);
        objects::BuildRequest br;
        br.set_instance_uuid(uuid);
        br.set_project_id("project");
        *br.mutable_instance() = instance;
        db::BuildRequestStore(api_.pool(), clock_).Create(br);
        objects::InstanceMapping im;
        im.set_instance_uuid(uuid);
        im.set_project_id("project");
        im.set_user_id("user");
        im.set_queued_for_delete(false);
        objects::SetNull(im, "cell_mapping");
        db::InstanceMappingStore(api_.pool(), clock_).Create(im);
        specs_[uuid] = spec;
        ComputeTask().ScheduleAndBuildInstances(context_, {br}, {spec}, Json::object(), std::nullopt,
                                                Json::array(), Json(), Json(), Json());
        return uuid;
    }

    static objects::Flavor MakeFlavor(std::int64_t id, std::int64_t vcpus, std::int64_t memory_mb,
                                      std::int64_t root_gb) {
        objects::Flavor f;
        f.set_id(id);
        f.set_flavorid("flavor-" + std::to_string(id));
        f.set_name("f" + std::to_string(id));
        f.set_vcpus(vcpus);
        f.set_memory_mb(memory_mb);
        f.set_root_gb(root_gb);
        f.set_ephemeral_gb(0);
        f.set_swap(0);
        f.set_rxtx_factor(1.0);
        f.set_vcpu_weight(0);
        f.set_disabled(false);
        f.set_is_public(true);
        objects::SetEmpty(f, "extra_specs");
        return f;
    }
    static objects::RequestSpec Spec(const objects::Flavor& flavor) {
        objects::RequestSpec spec;
        *spec.mutable_flavor() = flavor;
        spec.set_project_id("project");
        spec.set_user_id("user");
        spec.set_num_instances(1);
        return spec;
    }

    objects::Instance Instance(const std::string& uuid) {
        return db::InstanceStore(cell_.pool(), clock_).GetByUuid(uuid);
    }
    void SaveInstance(objects::Instance& instance) { db::InstanceStore(cell_.pool(), clock_).Save(instance); }
    std::vector<objects::Migration> Migrations(const std::string& instance_uuid) {
        db::MigrationFilters filters;
        filters.instance_uuid = instance_uuid;
        return db::MigrationStore(cell_.pool(), clock_).GetByFilters(filters);
    }
    objects::Migration Migration(const std::string& uuid) {
        return db::MigrationStore(cell_.pool(), clock_).GetByUuid(uuid);
    }
    void SaveMigration(objects::Migration& migration) { db::MigrationStore(cell_.pool(), clock_).Save(migration); }
    // provider uuid -> resources of the consumer.
    std::map<std::string, scheduler::Resources> Allocations(const std::string& consumer) {
        return scheduler::Placement(api_.pool(), clock_).GetAllocations(consumer);
    }
    bool HasProvider(const std::string& uuid) {
        try {
            db::PlacementStore(api_.pool(), clock_).GetProvider(uuid);
            return true;
        } catch (const std::exception&) {
            return false;
        }
    }

    conductor::ComputeTaskRpcApi ComputeTask() const { return {transport_, levels_, messaging_}; }
    compute::ComputeRpcApi Compute() const {
        return {transport_, levels_, messaging_, [] { return std::int64_t{64}; }};
    }
    const objects::RequestSpec& SpecOf(const std::string& uuid) { return specs_.at(uuid); }

    // Lines added to every service's [DEFAULT] section.
    void SetExtraDefault(std::string text) { extra_default_ = std::move(text); }

    const RequestContext& context() const { return context_; }
    db::Pool& api() { return api_.pool(); }
    db::Pool& cell() { return cell_.pool(); }
    db::Pool& cell0() { return cell0_.pool(); }
    const Clock& clock() const { return clock_; }
    // The text process `name` logged so far.
    std::string LogOf(const std::string& name) const {
        std::string out;
        for (const auto& p : processes_) {
            if (p.name != name) continue;
            std::ifstream in(p.log);
            std::stringstream s;
            s << in.rdbuf();
            out += s.str();
        }
        return out;
    }
    const std::string& exchange() const { return exchange_; }
    std::shared_ptr<rpc::Transport> transport() const { return transport_; }

private:
    db::testing::ScratchDatabase api_;
    db::testing::ScratchDatabase cell_;
    db::testing::ScratchDatabase cell0_;
    SystemClock clock_;
    std::string exchange_;
    std::filesystem::path dir_;
    std::shared_ptr<rpc::Transport> transport_;
    conf::UpgradeLevelsOptions levels_{};
    conf::MessagingOptions messaging_{};
    RequestContext context_ = RequestContext::Admin();
    objects::CellMapping cell_mapping_;
    std::list<Process> processes_;
    std::map<std::string, objects::RequestSpec> specs_;
    std::string extra_default_;
};

}  // namespace nova::testing
