// nova-api with [api] auth_strategy = keystone against Debian's real Keystone (sqlite, uwsgi,
// loopback; keystone_fixture.sh): openstackclient with password auth through Keystone's
// catalog, Nova's default policy for two member projects and an admin, project isolation,
// 401 for bad tokens, and a Keystone that stops. Needs the test MariaDB (scripts/services).
#include <doctest/doctest.h>

#include "../../common/db/tests/scratch_database.hpp"

#include <map>

#include "nova/common/uuid.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/instance_action_store.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/db/service_store.hpp"
#include "nova/db/placement_store.hpp"
#include "nova/objects/host_mapping.pb.h"
#include "nova/objects/object.hpp"
#include "nova/rpc/client.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/test/services.hpp"
#include "discover_hosts.hpp"
#include "process_support.hpp"

using namespace nova::api::testing;
using nova::Json;
using nova::db::testing::ScratchDatabase;
namespace db = nova::db;
namespace objects = nova::objects;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

// The Keystone of keystone_fixture.sh: started here when the CTest fixture has not (running
// the binary by hand), and then stopped again at exit.
class Keystone {
public:
    static Keystone& Get() {
        static Keystone keystone;
        return keystone;
    }
    ~Keystone() {
        if (started_here_) Run(std::string(NOVA_KEYSTONE_FIXTURE) + " stop " + NOVA_KEYSTONE_DIR);
    }

    std::string Env(const std::string& key) const { return env_.at(key); }
    int port() const { return std::stoi(Env("KEYSTONE_PORT")); }
    std::string url() const { return Env("KEYSTONE_URL"); }

    void Stop() { CHECK(Command("stop") == 0); }
    void Start() { CHECK(Command("start") == 0); }

    // A project-scoped token of `user` (password "secret", project of the same name).
    std::string Token(const std::string& user) {
        Json body = {{"auth",
                      {{"identity",
                        {{"methods", {"password"}},
                         {"password", {{"user", {{"name", user}, {"domain", {{"id", "default"}}}, {"password", "secret"}}}}}}},
                       {"scope", {{"project", {{"name", user}, {"domain", {{"id", "default"}}}}}}}}}};
        auto reply = Client(port()).Send("POST", "/v3/auth/tokens", {{"Content-Type", "application/json"}}, body.dump());
        REQUIRE_MESSAGE(reply.status == 201, reply.body);
        return reply.header("X-Subject-Token");
    }
    void Revoke(const std::string& token) {
        auto reply = Client(port()).Send("DELETE", "/v3/auth/tokens",
                                         {{"X-Auth-Token", Token("admin")}, {"X-Subject-Token", token}});
        REQUIRE_MESSAGE(reply.status == 204, reply.body);
    }

private:
    Keystone() {
        fs::path env = fs::path(NOVA_KEYSTONE_DIR) / "env";
        bool answering = false;
        if (fs::exists(env)) {
            Load(env);
            answering = ::system(("curl -sf -m 2 " + url() + " >/dev/null").c_str()) == 0;
        }
        if (!answering) {
            int rc = Command("start");
            REQUIRE_MESSAGE(rc == 0, "keystone_fixture.sh start failed");
            started_here_ = true;
            Load(env);
        }
    }
    int Command(const std::string& what) {
        int rc = -1;
        std::string out = Run(std::string(NOVA_KEYSTONE_FIXTURE) + " " + what + " " + NOVA_KEYSTONE_DIR, &rc);
        if (rc != 0) MESSAGE(out);
        return rc;
    }
    void Load(const fs::path& file) {
        std::ifstream in(file);
        std::string line;
        while (std::getline(in, line)) {
            auto eq = line.find('=');
            if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
            env_[line.substr(0, eq)] = line.substr(eq + 1);
        }
    }

    std::map<std::string, std::string> env_;
    bool started_here_ = false;
};

// An API and a cell database, one compute service with its node, and nova-api on the ports the
// Keystone catalog names, validating tokens against it. With `services`: also cell0, the test
// RabbitMQ, and the real conductor, scheduler and compute ([fake] hosts = 2) binaries.
class Cloud {
public:
    explicit Cloud(int token_cache_time = 300, bool services = false)
        : keystone_(Keystone::Get()),
          services_(services),
          exchange_("itest-keystone-" + std::to_string(::getpid())),
          transport_url_(services ? nova::test::Services::Get().TransportUrl() : std::string()),
          api_db_(ScratchDatabase::Schema::kApi),
          cell_db_(ScratchDatabase::Schema::kMain),
          api_(Conf(token_cache_time)) {
        if (services_) {
            cell0_db_ = std::make_unique<ScratchDatabase>(ScratchDatabase::Schema::kMain);
            objects::CellMapping cell0;
            cell0.set_uuid(db::kCell0Uuid);
            cell0.set_name("cell0");
            cell0.set_transport_url("none:///");
            cell0.set_database_connection(cell0_db_->url());
            cell0.set_disabled(false);
            db::CellMappingStore(api_db_.pool(), clock_).Create(cell0);
        }
        cell_.set_uuid(nova::GenerateUuid());
        cell_.set_name("cell1");
        cell_.set_transport_url(services_ ? transport_url_ : "rabbit://unused/");
        cell_.set_database_connection(cell_db_.url());
        cell_.set_disabled(false);
        db::CellMappingStore(api_db_.pool(), clock_).Create(cell_);
        REQUIRE_MESSAGE(api_.WaitReady(), api_.Log());
        REQUIRE(api_.compute_port == std::stoi(keystone_.Env("NOVA_PORT")));
        if (services_) StartServices();
    }

    std::string Logs() {
        std::string out = api_.Log();
        if (conductor_) out += "\n--- conductor\n" + conductor_->Log();
        if (scheduler_) out += "\n--- scheduler\n" + scheduler_->Log();
        if (compute_) out += "\n--- compute\n" + compute_->Log();
        return out;
    }

    Keystone& keystone() { return keystone_; }
    NovaApi& process() { return api_; }

    Reply Call(const std::string& method, const std::string& path, const std::string& token,
               const Json& body = nullptr, const std::string& version = "") {
        Headers h = {{"Content-Type", "application/json"}};
        if (!token.empty()) h.emplace_back("X-Auth-Token", token);
        if (!version.empty()) h.emplace_back("OpenStack-API-Version", "compute " + version);
        return Client(api_.compute_port).Send(method, "/v2.1" + path, h, body.is_null() ? "" : body.dump());
    }

    // openstack <args> as `user` (password auth through Keystone, compute endpoint from the
    // catalog).
    std::string Openstack(const std::string& user, const std::string& args, int* rc) {
        return Run("env -u OS_CLOUD -u OS_TOKEN -u OS_AUTH_TYPE -u OS_ENDPOINT OS_AUTH_URL=" + keystone_.url() +
                       " OS_USERNAME=" + user + " OS_PASSWORD=secret OS_PROJECT_NAME=" + user +
                       " OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_IDENTITY_API_VERSION=3"
                       " OS_REGION_NAME=RegionOne OS_INTERFACE=public /usr/bin/openstack " + args,
                   rc);
    }

    objects::Service AddCompute(const std::string& host) {
        objects::Service s;
        s.set_uuid(nova::GenerateUuid());
        s.set_host(host);
        s.set_binary("nova-compute");
        s.set_topic("compute");
        s.set_report_count(1);
        s.set_disabled(false);
        objects::SetNull(s, "disabled_reason");
        s.mutable_last_seen_up()->set_seconds(
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
        s.set_forced_down(false);
        s.set_version(61);
        db::ServiceStore(cell_db_.pool(), clock_).Create(s);
        objects::HostMapping m;
        m.set_host(host);
        *m.mutable_cell_mapping() = cell_;
        db::HostMappingStore(api_db_.pool(), clock_).Create(m);
        objects::ComputeNode n;
        n.set_uuid(nova::GenerateUuid());
        n.set_service_id(s.id());
        n.set_host(host);
        n.set_hypervisor_hostname(host + ".example.org");
        n.set_vcpus(8);
        n.set_memory_mb(16384);
        n.set_local_gb(100);
        n.set_vcpus_used(0);
        n.set_memory_mb_used(512);
        n.set_local_gb_used(0);
        n.set_hypervisor_type("QEMU");
        n.set_hypervisor_version(7002000);
        n.set_free_ram_mb(15872);
        n.set_free_disk_gb(100);
        n.set_current_workload(0);
        n.set_running_vms(0);
        n.set_cpu_info("{}");
        n.set_disk_available_least(100);
        n.set_host_ip("192.0.2.5");
        n.set_cpu_allocation_ratio(16.0);
        n.set_ram_allocation_ratio(1.5);
        n.set_disk_allocation_ratio(1.0);
        n.set_mapped(1);
        db::ComputeNodeStore(cell_db_.pool(), clock_).Create(n);
        return s;
    }

    // An instance of `project_id` in cell1, mapped, with one instance action.
    objects::Instance AddInstance(const std::string& project_id, const std::string& user_id) {
        objects::Instance i;
        i.set_uuid(nova::GenerateUuid());
        i.set_host("compute-1");
        i.set_display_name("vm-" + project_id.substr(0, 6));
        i.set_project_id(project_id);
        i.set_user_id(user_id);
        i.set_vm_state("active");
        auto* flavor = i.mutable_flavor();
        flavor->set_id(1);
        flavor->set_flavorid("100");
        flavor->set_name("m1.keystone");
        flavor->set_memory_mb(512);
        flavor->set_vcpus(1);
        flavor->set_root_gb(1);
        db::InstanceStore(cell_db_.pool(), clock_).Create(i);
        objects::InstanceMapping m;
        m.set_instance_uuid(i.uuid());
        m.set_project_id(project_id);
        m.set_user_id(user_id);
        *m.mutable_cell_mapping() = cell_;
        m.set_queued_for_delete(false);
        db::InstanceMappingStore(api_db_.pool(), clock_).Create(m);
        objects::InstanceAction a;
        a.set_action("create");
        a.set_instance_uuid(i.uuid());
        a.set_request_id(nova::GenerateRequestId());
        a.set_user_id(user_id);
        a.set_project_id(project_id);
        db::InstanceActionStore(cell_db_.pool(), clock_).ActionStart(a);
        return i;
    }

private:
    std::string Common() const {
        return "[DEFAULT]\ntransport_url = " + transport_url_ + "\ncontrol_exchange = " + exchange_ +
               "\nreport_interval = 1\nperiodic_fuzzy_delay = 0\n[api_database]\nconnection = " + api_db_.url() +
               "\n[database]\nconnection = " + cell_db_.url() + "\n";
    }

    void StartServices() {
        using namespace std::chrono_literals;
        conductor_ = std::make_unique<ServiceProcess>(NOVA_CONDUCTOR_BINARY, "nova-conductor", api_.dir(),
                                                      Common() + "[DEFAULT]\nhost = itest-conductor\n");
        {
            nova::rpc::TransportOptions options;
            options.control_exchange = exchange_;
            auto transport = nova::rpc::MakeTransport(transport_url_, options);
            nova::rpc::Client ping(transport, {.topic = "conductor", .namespace_ = "baseapi", .version = "1.1"},
                                   std::nullopt, 1000ms);
            Json pong;
            for (int attempt = 0; attempt < 60 && pong.is_null(); ++attempt) {
                try {
                    pong = ping.Call(nova::RequestContext::Admin(), "ping", {{"arg", "itest"}});
                } catch (const std::exception&) {
                    std::this_thread::sleep_for(250ms);
                }
            }
            REQUIRE_MESSAGE(!pong.is_null(), conductor_->Log());
        }
        scheduler_ = std::make_unique<ServiceProcess>(NOVA_SCHEDULER_BINARY, "nova-scheduler", api_.dir(),
                                                      Common() + "[DEFAULT]\nhost = itest-scheduler\n");
        compute_ = std::make_unique<ServiceProcess>(
            NOVA_COMPUTE_BINARY, "nova-compute", api_.dir(),
            Common() + "[DEFAULT]\nhost = itest-compute\ncompute_driver = fake.FakeDriver\n"
                       "[fake]\nhosts = 2\nhost_prefix = fake-\n");
        const std::string discovered = DiscoverComputeHosts(api_db_.pool(), cell_db_.pool(), cell_, clock_, 2);
        REQUIRE_MESSAGE(discovered.empty(), discovered << "\n" << Logs());
    }

    std::string Conf(int token_cache_time) const {
        std::ostringstream c;
        if (services_) c << Common();
        c << "[DEFAULT]\nosapi_compute_listen_port = " << keystone_.Env("NOVA_PORT") << "\n"
          << "[glance]\nlocal_api_listen_port = " << keystone_.Env("GLANCE_PORT") << "\n"
          << "[api]\nauth_strategy = keystone\n"
          << "[api_database]\nconnection = " << api_db_.url() << "\n"
          << "[database]\nconnection = " << cell_db_.url() << "\n"
          << "[keystone_authtoken]\nwww_authenticate_uri = " << keystone_.url() << "\nauth_url = " << keystone_.url()
          << "\nusername = nova\npassword = secret\nuser_domain_name = Default\nproject_name = service\n"
          << "project_domain_name = Default\nhttp_connect_timeout = 5\ntoken_cache_time = " << token_cache_time << "\n";
        return c.str();
    }

    Keystone& keystone_;
    bool services_;
    std::string exchange_;
    std::string transport_url_;
    nova::SystemClock clock_;
    ScratchDatabase api_db_;
    ScratchDatabase cell_db_;
    std::unique_ptr<ScratchDatabase> cell0_db_;
    NovaApi api_;
    objects::CellMapping cell_;
    std::unique_ptr<ServiceProcess> conductor_, scheduler_, compute_;
};

std::string ForbiddenMessage(const Reply& r) { return r.json()["forbidden"]["message"].get<std::string>(); }

std::vector<std::string> Names(const std::string& cli_json, const char* key = "Name") {
    std::vector<std::string> names;
    auto parsed = Json::parse(cli_json, nullptr, false);
    if (!parsed.is_array()) return {"<not a list: " + cli_json + ">"};
    for (const auto& item : parsed) names.push_back(item.value(key, ""));
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace

TEST_CASE("keystone: openstack through Keystone's catalog - admin-only APIs refuse members - key pairs per user") {
    Cloud cloud;
    cloud.AddCompute("compute-1");
    int rc = -1;

    // The admin creates a flavor; members see it and cannot create one.
    auto out = cloud.Openstack("admin", "flavor create --ram 512 --disk 1 --vcpus 1 --id 100 m1.keystone -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    out = cloud.Openstack("demo", "flavor list -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(Names(out) == std::vector<std::string>{"m1.keystone"});
    out = cloud.Openstack("alt", "flavor create --ram 512 --disk 1 --vcpus 1 m1.mine", &rc);
    CHECK(rc != 0);
    CHECK_MESSAGE(out.find("Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed.") !=
                      std::string::npos,
                  out);
    CHECK(out.find("403") != std::string::npos);
    out = cloud.Openstack("demo", "flavor delete m1.keystone", &rc);
    CHECK(rc != 0);

    // os-services and os-hypervisors: the admin only.
    out = cloud.Openstack("admin", "compute service list -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(Names(out, "Host") == std::vector<std::string>{"compute-1"});
    out = cloud.Openstack("demo", "compute service list", &rc);
    CHECK(rc != 0);
    CHECK_MESSAGE(out.find("Policy doesn't allow os_compute_api:os-services:list to be performed.") !=
                      std::string::npos,
                  out);
    out = cloud.Openstack("admin", "hypervisor list -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(Names(out, "Hypervisor Hostname") == std::vector<std::string>{"compute-1.example.org"});
    out = cloud.Openstack("alt", "hypervisor list", &rc);
    CHECK(rc != 0);
    CHECK_MESSAGE(out.find("Policy doesn't allow os_compute_api:os-hypervisors:list-detail to be performed.") !=
                      std::string::npos,
                  out);

    // Key pairs belong to the user who made them.
    out = cloud.Openstack("demo", "keypair create k-demo -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    out = cloud.Openstack("alt", "keypair create k-alt -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    out = cloud.Openstack("demo", "keypair list -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(Names(out) == std::vector<std::string>{"k-demo"});
    out = cloud.Openstack("alt", "keypair list -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(Names(out) == std::vector<std::string>{"k-alt"});
    cloud.Openstack("demo", "keypair show k-alt", &rc);
    CHECK(rc != 0);

    // The same over raw HTTP with the users' tokens: Nova's 403 bodies.
    auto demo = cloud.keystone().Token("demo");
    auto admin = cloud.keystone().Token("admin");
    std::string demo_project = cloud.keystone().Env("DEMO_PROJECT");
    std::string alt_project = cloud.keystone().Env("ALT_PROJECT");
    std::string alt_user = cloud.keystone().Env("ALT_USER");
    struct AdminOnly {
        std::string method, path, rule;
        Json body;
    };
    std::vector<AdminOnly> admin_only = {
        {"GET", "/os-services", "os_compute_api:os-services:list", nullptr},
        {"GET", "/os-hypervisors", "os_compute_api:os-hypervisors:list", nullptr},
        {"GET", "/os-aggregates", "os_compute_api:os-aggregates:index", nullptr},
        {"GET", "/os-migrations", "os_compute_api:os-migrations:index", nullptr},
        {"POST", "/flavors", "os_compute_api:os-flavor-manage:create",
         {{"flavor", {{"name", "x"}, {"ram", 64}, {"vcpus", 1}, {"disk", 0}}}}},
        {"DELETE", "/flavors/100", "os_compute_api:os-flavor-manage:delete", nullptr},
        {"PUT", "/os-quota-sets/" + demo_project, "os_compute_api:os-quota-sets:update",
         {{"quota_set", {{"instances", 50}}}}},
        {"GET", "/os-keypairs?user_id=" + alt_user, "os_compute_api:os-keypairs:index", nullptr},
    };
    for (const auto& call : admin_only) {
        CAPTURE(call.path);
        auto refused = cloud.Call(call.method, call.path, demo, call.body, "2.10");
        CHECK(refused.status == 403);
        CHECK(ForbiddenMessage(refused) == "Policy doesn't allow " + call.rule + " to be performed.");
    }
    CHECK(cloud.Call("GET", "/os-services", admin).status == 200);
    CHECK(cloud.Call("GET", "/os-aggregates", admin).status == 200);
    CHECK(cloud.Call("PUT", "/os-quota-sets/" + demo_project, admin, {{"quota_set", {{"instances", 50}}}}).status == 200);
    // A member reads its own project's quotas, not another project's.
    auto own = cloud.Call("GET", "/os-quota-sets/" + demo_project, demo);
    CHECK(own.status == 200);
    CHECK(own.json()["quota_set"]["instances"] == 50);
    auto other = cloud.Call("GET", "/os-quota-sets/" + alt_project, demo);
    CHECK(other.status == 403);
    CHECK(ForbiddenMessage(other) == "Policy doesn't allow os_compute_api:os-quota-sets:show to be performed.");
    // The admin sees any user's key pairs.
    auto alts = cloud.Call("GET", "/os-keypairs?user_id=" + alt_user, admin, nullptr, "2.10");
    REQUIRE(alts.status == 200);
    REQUIRE(alts.json()["keypairs"].size() == 1);
    CHECK(alts.json()["keypairs"][0]["keypair"]["name"] == "k-alt");
}

TEST_CASE("keystone: another project's server is not found but the admin sees it") {
    Cloud cloud;
    cloud.AddCompute("compute-1");
    auto& ks = cloud.keystone();
    auto alt_vm = cloud.AddInstance(ks.Env("ALT_PROJECT"), ks.Env("ALT_USER"));
    auto demo = ks.Token("demo");
    auto alt = ks.Token("alt");
    auto admin = ks.Token("admin");
    std::string path = "/servers/" + alt_vm.uuid() + "/os-instance-actions";

    auto hidden = cloud.Call("GET", path, demo);
    CHECK(hidden.status == 404);
    CHECK(hidden.json()["itemNotFound"]["message"] == "Instance " + alt_vm.uuid() + " could not be found.");
    auto mine = cloud.Call("GET", path, alt);
    REQUIRE(mine.status == 200);
    REQUIRE(mine.json()["instanceActions"].size() == 1);
    auto request_id = mine.json()["instanceActions"][0]["request_id"].get<std::string>();
    CHECK(cloud.Call("GET", path + "/" + request_id, demo).status == 404);
    CHECK(cloud.Call("GET", path + "/" + request_id, alt).status == 200);
    CHECK(cloud.Call("GET", path, admin).status == 200);
}

TEST_CASE("keystone: missing or garbage or revoked tokens get 401 with WWW-Authenticate") {
    Cloud cloud(/*token_cache_time=*/1);
    auto& ks = cloud.keystone();
    std::string challenge = "Keystone uri=\"" + ks.url() + "\"";
    for (const std::string token : {"", "garbage", "gAAAAABnot-a-real-fernet-token"}) {
        CAPTURE(token);
        auto r = cloud.Call("GET", "/flavors", token);
        CHECK(r.status == 401);
        CHECK(r.header("WWW-Authenticate") == challenge);
        CHECK(r.json()["error"]["message"] == "The request you have made requires authentication.");
    }
    // A token Keystone revoked stops working once the cache entry is gone (token_cache_time).
    auto demo = ks.Token("demo");
    CHECK(cloud.Call("GET", "/flavors", demo).status == 200);
    ks.Revoke(demo);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    auto revoked = cloud.Call("GET", "/flavors", demo);
    CHECK(revoked.status == 401);
    CHECK(revoked.header("WWW-Authenticate") == challenge);
    // The context carries Keystone's user and project.
    auto alt = ks.Token("alt");
    CHECK(cloud.Call("GET", "/flavors", alt).status == 200);
    CHECK(cloud.process().Log().find(ks.Env("ALT_USER") + " " + ks.Env("ALT_PROJECT")) != std::string::npos);
}

TEST_CASE("keystone: Keystone stopped - cached tokens still work and new ones get 503 quickly") {
    Cloud cloud;
    auto& ks = cloud.keystone();
    auto demo = ks.Token("demo");
    auto alt = ks.Token("alt");
    CHECK(cloud.Call("GET", "/flavors", demo).status == 200);  // cached from here on

    ks.Stop();
    struct Restart {
        Keystone& ks;
        ~Restart() { ks.Start(); }
    } restart{ks};
    CHECK(cloud.Call("GET", "/flavors", demo).status == 200);
    CHECK(cloud.Call("GET", "/os-keypairs", demo).status == 200);
    auto started = std::chrono::steady_clock::now();
    auto unavailable = cloud.Call("GET", "/flavors", alt);
    auto took = std::chrono::steady_clock::now() - started;
    CHECK(unavailable.status == 503);
    CHECK(unavailable.json()["message"] == "The Keystone service is temporarily unavailable.");
    CHECK(took < std::chrono::seconds(5));
    // Not a crash: the process still serves, and once Keystone is back the new token works.
    CHECK_FALSE(cloud.process().Exited());
    ks.Start();
    CHECK(cloud.Call("GET", "/flavors", alt).status == 200);
}

TEST_CASE("keystone: servers - a member sees and acts only on its own project's servers and the admin sees all") {
    Cloud cloud;
    cloud.AddCompute("compute-1");
    auto& ks = cloud.keystone();
    auto demo_vm = cloud.AddInstance(ks.Env("DEMO_PROJECT"), ks.Env("DEMO_USER"));
    auto alt_vm = cloud.AddInstance(ks.Env("ALT_PROJECT"), ks.Env("ALT_USER"));
    auto demo = ks.Token("demo");
    auto alt = ks.Token("alt");
    auto admin = ks.Token("admin");
    auto flavor = cloud.Call("POST", "/flavors", admin,
                             {{"flavor", {{"name", "m1.keystone"}, {"ram", 512}, {"vcpus", 1}, {"disk", 1}, {"id", "100"}}}});
    REQUIRE_MESSAGE(flavor.status == 200, flavor.body);
    auto ids = [](const Reply& r) {
        std::vector<std::string> out;
        if (r.status != 200) return std::vector<std::string>{"HTTP " + std::to_string(r.status) + " " + r.body};
        Json body = r.json();
        for (const auto& s : body["servers"]) out.push_back(s["id"].get<std::string>());
        std::sort(out.begin(), out.end());
        return out;
    };
    auto sorted = [](std::vector<std::string> v) {
        std::sort(v.begin(), v.end());
        return v;
    };

    // Lists: each member its own project; all_tenants is for admins.
    auto mine = cloud.Call("GET", "/servers", demo);
    REQUIRE_MESSAGE(mine.status == 200, mine.body);
    CHECK(ids(mine) == std::vector<std::string>{demo_vm.uuid()});
    CHECK(ids(cloud.Call("GET", "/servers/detail", alt)) == std::vector<std::string>{alt_vm.uuid()});
    for (const char* path : {"/servers?all_tenants=1", "/servers/detail?all_tenants=True"}) {
        CAPTURE(path);
        auto refused = cloud.Call("GET", path, demo);
        CHECK(refused.status == 403);
        CHECK(ForbiddenMessage(refused).find("get_all_tenants to be performed.") != std::string::npos);
        auto everything = cloud.Call("GET", path, admin);
        REQUIRE(everything.status == 200);
        CHECK(ids(everything) == sorted({demo_vm.uuid(), alt_vm.uuid()}));
    }
    // A member's tenant_id filter is ignored without all_tenants (Nova).
    CHECK(ids(cloud.Call("GET", "/servers?tenant_id=" + ks.Env("ALT_PROJECT"), demo)) ==
          std::vector<std::string>{demo_vm.uuid()});
    // The admin without all_tenants: its own project only.
    CHECK(ids(cloud.Call("GET", "/servers", admin)).empty());
    CHECK(ids(cloud.Call("GET", "/servers?all_tenants=1&tenant_id=" + ks.Env("ALT_PROJECT"), admin)) ==
          std::vector<std::string>{alt_vm.uuid()});

    // Another project's server does not exist for a member: show, update, actions, delete,
    // metadata, instance actions.
    std::string other = "/servers/" + alt_vm.uuid();
    struct Attempt {
        std::string method, path;
        Json body;
    };
    std::vector<Attempt> attempts = {
        {"GET", other, nullptr},
        {"PUT", other, {{"server", {{"name", "mine-now"}}}}},
        {"POST", other + "/action", {{"reboot", {{"type", "SOFT"}}}}},
        {"POST", other + "/action", {{"os-stop", nullptr}}},
        {"POST", other + "/action", {{"lock", nullptr}}},
        {"DELETE", other, nullptr},
        {"GET", other + "/metadata", nullptr},
        {"GET", other + "/os-instance-actions", nullptr},
    };
    for (const auto& a : attempts) {
        CAPTURE(a.method);
        CAPTURE(a.path);
        auto r = cloud.Call(a.method, a.path, demo, a.body);
        CHECK(r.status == 404);
    }
    auto shown = cloud.Call("GET", other, demo);
    CHECK(shown.json()["itemNotFound"]["message"] == "Instance " + alt_vm.uuid() + " could not be found.");
    // Its owner and the admin see it, unchanged.
    auto own = cloud.Call("GET", other, alt);
    REQUIRE_MESSAGE(own.status == 200, own.body);
    CHECK(own.json()["server"]["name"] == alt_vm.display_name());
    auto by_admin = cloud.Call("GET", other, admin);
    REQUIRE(by_admin.status == 200);
    CHECK(by_admin.json()["server"]["tenant_id"] == ks.Env("ALT_PROJECT"));

    // openstackclient with password auth: the same view.
    int rc = -1;
    auto out = cloud.Openstack("demo", "server list -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(Names(out, "ID") == std::vector<std::string>{demo_vm.uuid()});
    out = cloud.Openstack("admin", "server list --all-projects -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(Names(out, "ID") == sorted({demo_vm.uuid(), alt_vm.uuid()}));
    out = cloud.Openstack("demo", "server show " + alt_vm.uuid(), &rc);
    CHECK(rc != 0);
    out = cloud.Openstack("demo", "server list --all-projects", &rc);
    CHECK(rc != 0);
    CHECK_MESSAGE(out.find("Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be performed.") !=
                      std::string::npos,
                  out);
}

TEST_CASE("keystone: openstack with password auth boots - lists - deletes servers and projects stay apart") {
    Cloud cloud(300, /*services=*/true);
    auto& ks = cloud.keystone();
    int rc = -1;
    auto out = cloud.Openstack("admin", "flavor create --ram 512 --disk 1 --vcpus 1 --id 100 m1.keystone", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    std::string boot = "--os-compute-api-version 2.37 server create --image cirros --flavor m1.keystone --nic none --wait -f json ";
    out = cloud.Openstack("demo", boot + "vm-demo", &rc);
    REQUIRE_MESSAGE(rc == 0, (out + cloud.Logs()));
    auto demo_vm = Json::parse(out.substr(out.find('{')));
    CHECK(demo_vm["status"] == "ACTIVE");
    CHECK(demo_vm["project_id"] == ks.Env("DEMO_PROJECT"));
    CHECK(demo_vm["user_id"] == ks.Env("DEMO_USER"));
    out = cloud.Openstack("alt", boot + "vm-alt", &rc);
    REQUIRE_MESSAGE(rc == 0, (out + cloud.Logs()));
    auto alt_vm = Json::parse(out.substr(out.find('{')));
    const std::string alt_id = alt_vm["id"].get<std::string>();

    out = cloud.Openstack("demo", "server list -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(Names(out) == std::vector<std::string>{"vm-demo"});
    out = cloud.Openstack("admin", "server list --all-projects -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(Names(out) == std::vector<std::string>{"vm-alt", "vm-demo"});
    // demo cannot see, act on or delete alt's server.
    for (const std::string& args : {"server show " + alt_id, "server stop " + alt_id, "server delete " + alt_id}) {
        CAPTURE(args);
        out = cloud.Openstack("demo", args, &rc);
        CHECK(rc != 0);
        CHECK_MESSAGE(out.find("No server with a name or ID of") != std::string::npos, out);
    }
    auto demo = ks.Token("demo");
    auto r = cloud.Call("DELETE", "/servers/" + alt_id, demo);
    CHECK(r.status == 404);
    out = cloud.Openstack("alt", "server show -f json " + alt_id, &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(Json::parse(out.substr(out.find('{')))["status"] == "ACTIVE");

    out = cloud.Openstack("demo", "server delete --wait vm-demo", &rc);
    REQUIRE_MESSAGE(rc == 0, (out + cloud.Logs()));
    out = cloud.Openstack("admin", "server delete --wait " + alt_id, &rc);
    REQUIRE_MESSAGE(rc == 0, (out + cloud.Logs()));
    out = cloud.Openstack("admin", "server list --all-projects -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(Json::parse(out.substr(out.find('[')), nullptr, false).empty());
}
