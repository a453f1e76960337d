// The servers API end to end: the real nova-api, nova-conductor, nova-scheduler and
// nova-compute ([fake] hosts = 4) binaries on throwaway API, cell and cell0 databases of the
// test MariaDB and a private exchange of the test RabbitMQ. A POST /servers reaches ACTIVE,
// actions change the state, DELETE removes it; openstackclient drives the same; bad input is
// a 4xx that writes nothing.
#include <doctest/doctest.h>

#include "../../common/db/tests/scratch_database.hpp"
#include <atomic>
#include <mutex>
#include <set>

#include "nova/common/uuid.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/instance_action_store.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/db/placement_store.hpp"
#include "nova/db/scheduling_store.hpp"
#include "nova/db/service_store.hpp"
#include "nova/objects/host_mapping.pb.h"
#include "nova/objects/object.hpp"
#include "nova/rpc/client.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/rpc/wire.hpp"
#include "nova/test/services.hpp"
#include "discover_hosts.hpp"
#include "process_support.hpp"

using namespace nova::api::testing;
using nova::Json;
using nova::db::testing::ScratchDatabase;
namespace db = nova::db;
namespace objects = nova::objects;
using namespace std::chrono_literals;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

Headers As(const std::string& token, const std::string& version = "") {
    Headers h = {{"X-Auth-Token", token}, {"Content-Type", "application/json"}};
    if (!version.empty()) h.emplace_back("OpenStack-API-Version", "compute " + version);
    return h;
}

const char* kImage = "70a599e0-31e7-49b7-b260-868f441e862b";  // process_support's catalog

std::string CommonConf(const std::string& transport_url, const std::string& exchange, const std::string& api_url,
                       const std::string& cell_url) {
    return "[DEFAULT]\ntransport_url = " + transport_url + "\ncontrol_exchange = " + exchange +
           "\nreport_interval = 1\nperiodic_fuzzy_delay = 0\n"
           "[api_database]\nconnection = " + api_url + "\n[database]\nconnection = " + cell_url + "\n";
}

// API, cell1 and cell0 databases; the four service binaries; cell and host mappings.
class Cloud {
public:
    Cloud()
        : exchange_("itest-servers-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++)),
          transport_url_(nova::test::Services::Get().TransportUrl()),
          api_(CommonConf(transport_url_, exchange_, api_db_.url(), cell_db_.url()) + "[api]\nmax_limit = 1000\n") {
        db::CellMappingStore mappings(api_db_.pool(), clock_);
        objects::CellMapping cell0;
        cell0.set_uuid(db::kCell0Uuid);
        cell0.set_name("cell0");
        cell0.set_transport_url("none:///");
        cell0.set_database_connection(cell0_db_.url());
        cell0.set_disabled(false);
        mappings.Create(cell0);
        cell_.set_uuid(nova::GenerateUuid());
        cell_.set_name("cell1");
        cell_.set_transport_url(transport_url_);
        cell_.set_database_connection(cell_db_.url());
        cell_.set_disabled(false);
        mappings.Create(cell_);
        REQUIRE_MESSAGE(api_.WaitReady(), api_.Log());

        const std::string common = CommonConf(transport_url_, exchange_, api_db_.url(), cell_db_.url());
        conductor_ = std::make_unique<ServiceProcess>(NOVA_CONDUCTOR_BINARY, "nova-conductor", api_.dir(),
                                               common + "[DEFAULT]\nhost = itest-conductor\n");
        // The conductor's queue must exist before a compute calls it (an unroutable call
        // would wait out its timeout): ping it until it answers.
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
                                               common + "[DEFAULT]\nhost = itest-scheduler\n");
        compute_ = std::make_unique<ServiceProcess>(
            NOVA_COMPUTE_BINARY, "nova-compute", api_.dir(),
            common + "[DEFAULT]\nhost = itest-compute\ncompute_driver = fake.FakeDriver\n"
                     "[fake]\nhosts = 4\nhost_prefix = fake-\n");

        const std::string discovered = DiscoverComputeHosts(api_db_.pool(), cell_db_.pool(), cell_, clock_, 4);
        REQUIRE_MESSAGE(discovered.empty(), discovered << "\n" << Logs());
        auto flavor = Admin("POST", "/flavors", "2.1",
                            {{"flavor", {{"name", "m1.small"}, {"ram", 512}, {"vcpus", 1}, {"disk", 1}, {"id", "small"}}}});
        REQUIRE_MESSAGE(flavor.status == 200, flavor.body);
    }

    Reply Call(const std::string& method, const std::string& path, const Headers& headers, const Json& body = nullptr) {
        return Client(api_.compute_port).Send(method, "/v2.1" + path, headers, body.is_null() ? "" : body.dump());
    }
    Reply Raw(const std::string& method, const std::string& path, const Headers& headers, const std::string& body) {
        return Client(api_.compute_port).Send(method, "/v2.1" + path, headers, body);
    }
    Reply Admin(const std::string& method, const std::string& path, const std::string& version = "", const Json& body = nullptr) {
        return Call(method, path, As("admin:admin", version), body);
    }
    Reply Demo(const std::string& method, const std::string& path, const std::string& version = "", const Json& body = nullptr) {
        return Call(method, path, As("demo:demo", version), body);
    }
    // openstack <args> as `token`, with the image service at nova-api's local Glance endpoint.
    std::string Openstack(const std::string& args, int* rc, const std::string& token = "demo:demo") {
        std::ofstream(api_.dir() / "clouds.yaml")
            << "clouds:\n  nova-cpp:\n    auth_type: admin_token\n    auth:\n"
            << "      endpoint: http://127.0.0.1:" << api_.compute_port << "/v2.1\n      token: " << token << "\n"
            << "    compute_endpoint_override: http://127.0.0.1:" << api_.compute_port << "/v2.1\n"
            << "    image_endpoint_override: http://127.0.0.1:" << api_.glance_port << "\n";
        return Run("env -u OS_CLOUD -u OS_AUTH_URL OS_CLIENT_CONFIG_FILE=" + (api_.dir() / "clouds.yaml").string() +
                       " /usr/bin/openstack --os-cloud nova-cpp " + args + " 2>&1",
                   rc);
    }

    // The server's status once it is no longer `transient` (or the last one seen).
    std::string WaitStatus(const std::string& id, const std::set<std::string>& transient, std::chrono::seconds limit = 30s) {
        std::string status;
        auto deadline = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < deadline) {
            auto r = Demo("GET", "/servers/" + id, "2.1");
            if (r.status == 404) return "GONE";
            status = r.json()["server"]["status"].get<std::string>();
            auto task = r.json()["server"]["OS-EXT-STS:task_state"];
            if (!transient.contains(status) && task.is_null()) return status;
            std::this_thread::sleep_for(100ms);
        }
        return status;
    }

    std::string Logs() { return api_.Log() + "\n--- conductor\n" + conductor_->Log() + "\n--- scheduler\n" + scheduler_->Log() +
                                "\n--- compute\n" + compute_->Log(); }

    // API database rows that a create would have written.
    std::size_t ApiRows() {
        auto rows = api_db_.pool().Query(
            "SELECT (SELECT COUNT(*) FROM build_requests) + (SELECT COUNT(*) FROM request_specs) + "
            "(SELECT COUNT(*) FROM instance_mappings) AS n",
            {});
        return static_cast<std::size_t>(rows.front().Int("n"));
    }

    // Another nova-api process on the same databases and exchange (as a second API node).
    std::unique_ptr<NovaApi> AnotherApi(const std::string& extra_conf = "") {
        auto api = std::make_unique<NovaApi>(CommonConf(transport_url_, exchange_, api_db_.url(), cell_db_.url()) +
                                             "[api]\nmax_limit = 1000\n" + extra_conf);
        REQUIRE_MESSAGE(api->WaitReady(), api->Log());
        return api;
    }
    // An instance of project `demo` in the cell that never got a host (vm_state error), with
    // its mapping: what a local delete in nova-api removes. Returns its uuid.
    std::string CreateHostlessInstance() {
        const std::string uuid = nova::GenerateUuid();
        objects::Instance instance;
        instance.set_uuid(uuid);
        instance.set_project_id("demo");
        instance.set_user_id("demo");
        instance.set_display_name("lost");
        instance.set_vm_state("error");
        instance.set_locked(false);
        db::InstanceStore(cell_db_.pool(), clock_).Create(instance);
        objects::InstanceMapping mapping;
        mapping.set_instance_uuid(uuid);
        mapping.set_project_id("demo");
        mapping.set_user_id("demo");
        mapping.set_queued_for_delete(false);
        *mapping.mutable_cell_mapping() = cell_;
        db::InstanceMappingStore(api_db_.pool(), clock_).Create(mapping);
        return uuid;
    }

    int port() const { return api_.compute_port; }
    const std::string& exchange() const { return exchange_; }
    const std::string& transport_url() const { return transport_url_; }

    ScratchDatabase& api_db() { return api_db_; }
    ScratchDatabase& cell_db() { return cell_db_; }
    const objects::CellMapping& cell() const { return cell_; }
    const nova::Clock& clock() const { return clock_; }

private:
    static inline int counter_ = 0;
    nova::SystemClock clock_;
    ScratchDatabase api_db_{ScratchDatabase::Schema::kApi};
    ScratchDatabase cell_db_{ScratchDatabase::Schema::kMain};
    ScratchDatabase cell0_db_{ScratchDatabase::Schema::kMain};
    std::string exchange_;
    std::string transport_url_;
    NovaApi api_;
    objects::CellMapping cell_;
    std::unique_ptr<ServiceProcess> conductor_, scheduler_, compute_;
};

Json BootBody(const std::string& name, const Json& extra = Json::object()) {
    Json server = {{"name", name}, {"imageRef", kImage}, {"flavorRef", "small"}, {"networks", "none"}};
    for (const auto& [k, v] : extra.items()) server[k] = v;
    return {{"server", server}};
}

}  // namespace

TEST_CASE("servers: boot to ACTIVE, show/list/detail, actions with Nova's state rules, delete") {
    Cloud cloud;
    auto created = cloud.Demo("POST", "/servers", "2.37", BootBody("vm-one", {{"metadata", {{"role", "web"}}}}));
    REQUIRE_MESSAGE(created.status == 202, created.body);
    const auto server = created.json()["server"];
    const std::string id = server["id"].get<std::string>();
    CHECK(nova::IsUuidLike(id));
    CHECK(server["adminPass"].get<std::string>().size() == 12);
    CHECK(server["OS-DCF:diskConfig"] == "MANUAL");
    CHECK(server["links"][0]["rel"] == "self");
    CHECK(created.header("Location").find("/servers/" + id) != std::string::npos);

    // BUILD from the BuildRequest (or already from the cell), then ACTIVE on a fake host.
    auto shown = cloud.Demo("GET", "/servers/" + id, "2.47");
    REQUIRE(shown.status == 200);
    CHECK(shown.json()["server"]["name"] == "vm-one");
    CHECK(shown.json()["server"]["flavor"]["original_name"] == "m1.small");
    CHECK(shown.json()["server"]["flavor"]["ram"] == 512);
    CHECK(shown.json()["server"]["metadata"]["role"] == "web");
    REQUIRE_MESSAGE(cloud.WaitStatus(id, {"BUILD"}) == "ACTIVE", cloud.Logs());

    auto detail = cloud.Admin("GET", "/servers/" + id, "2.73").json()["server"];
    CHECK(detail["OS-EXT-SRV-ATTR:host"].get<std::string>().rfind("fake-", 0) == 0);
    CHECK(detail["OS-EXT-SRV-ATTR:hypervisor_hostname"].is_string());
    CHECK(detail["OS-EXT-SRV-ATTR:instance_name"].get<std::string>().rfind("instance-", 0) == 0);
    CHECK(detail["OS-EXT-STS:vm_state"] == "active");
    CHECK(detail["OS-EXT-STS:power_state"] == 1);
    CHECK(detail["hostId"].get<std::string>().size() == 56);
    CHECK(detail["host_status"] == "UP");
    CHECK(detail["locked"] == false);
    CHECK(detail["locked_reason"].is_null());
    CHECK(detail["image"]["id"] == kImage);
    CHECK(detail["flavor"]["vcpus"] == 1);
    CHECK(detail["addresses"] == Json::object());
    CHECK(detail["OS-SRV-USG:launched_at"].is_string());
    // A non-admin sees neither the extended attributes nor the host status.
    auto mine = cloud.Demo("GET", "/servers/" + id, "2.73").json()["server"];
    CHECK_FALSE(mine.contains("OS-EXT-SRV-ATTR:host"));
    CHECK_FALSE(mine.contains("host_status"));
    CHECK(mine["image"]["links"][0]["rel"] == "bookmark");

    // Lists, filters, paging.
    auto list = cloud.Demo("GET", "/servers").json()["servers"];
    REQUIRE(list.size() == 1);
    CHECK(list[0]["id"] == id);
    CHECK(list[0].size() == 3);  // id, name, links
    CHECK(cloud.Demo("GET", "/servers?name=^vm-o").json()["servers"].size() == 1);
    CHECK(cloud.Demo("GET", "/servers?name=nomatch").json()["servers"].empty());
    CHECK(cloud.Demo("GET", "/servers/detail?status=ACTIVE").json()["servers"].size() == 1);
    CHECK(cloud.Demo("GET", "/servers/detail?status=SHUTOFF").json()["servers"].empty());
    CHECK(cloud.Demo("GET", "/servers?flavor=small").json()["servers"].size() == 1);
    CHECK(cloud.Demo("GET", "/servers?flavor=nosuch").json()["servers"].empty());
    CHECK(cloud.Demo("GET", std::string("/servers?image=") + kImage).json()["servers"].size() == 1);
    auto bad_status = cloud.Demo("GET", "/servers?status=BOGUS", "2.38");
    CHECK(bad_status.status == 400);
    CHECK(bad_status.json()["badRequest"]["message"] == "Invalid status value");
    CHECK(cloud.Demo("GET", "/servers?status=BOGUS", "2.37").json()["servers"].empty());
    CHECK(cloud.Admin("GET", "/servers").json()["servers"].empty());  // admin's own project
    CHECK(cloud.Admin("GET", "/servers?all_tenants=1").json()["servers"].size() == 1);
    CHECK(cloud.Demo("GET", "/servers?all_tenants=1").status == 403);

    // Actions: stop/start, reboot, pause/unpause, the 409s of Nova's state rules.
    auto action = [&](const Json& body, const std::string& version = "2.1") {
        return cloud.Demo("POST", "/servers/" + id + "/action", version, body);
    };
    REQUIRE(action({{"os-stop", nullptr}}).status == 202);
    CHECK_MESSAGE(cloud.WaitStatus(id, {"ACTIVE"}) == "SHUTOFF", cloud.Logs());
    auto again = action({{"os-stop", nullptr}});
    CHECK(again.status == 409);
    CHECK(again.json()["conflictingRequest"]["message"] ==
          "Cannot 'stop' instance " + id + " while it is in vm_state stopped");
    CHECK(action({{"pause", nullptr}}).status == 409);
    REQUIRE(action({{"os-start", nullptr}}).status == 202);
    CHECK(cloud.WaitStatus(id, {"SHUTOFF"}) == "ACTIVE");
    REQUIRE(action({{"reboot", {{"type", "HARD"}}}}).status == 202);
    CHECK(cloud.WaitStatus(id, {"HARD_REBOOT", "REBOOT"}) == "ACTIVE");
    CHECK(action({{"reboot", {{"type", "sideways"}}}}).status == 400);
    REQUIRE(action({{"pause", nullptr}}).status == 202);
    CHECK(cloud.WaitStatus(id, {"ACTIVE"}) == "PAUSED");
    REQUIRE(action({{"unpause", nullptr}}).status == 202);
    CHECK(cloud.WaitStatus(id, {"PAUSED"}) == "ACTIVE");
    REQUIRE(action({{"suspend", nullptr}}).status == 202);
    CHECK(cloud.WaitStatus(id, {"ACTIVE"}) == "SUSPENDED");
    REQUIRE(action({{"resume", nullptr}}).status == 202);
    CHECK(cloud.WaitStatus(id, {"SUSPENDED"}) == "ACTIVE");
    auto console = action({{"os-getConsoleOutput", {{"length", 5}}}});
    CHECK_MESSAGE(console.status == 200, console.body);
    CHECK(console.json()["output"].is_string());

    // Lock (2.73 reason): the owner's delete is refused while an admin's lock holds.
    REQUIRE(cloud.Admin("POST", "/servers/" + id + "/action", "2.73", {{"lock", {{"locked_reason", "maintenance"}}}}).status == 202);
    auto locked = cloud.Demo("GET", "/servers/" + id, "2.73").json()["server"];
    CHECK(locked["locked"] == true);
    CHECK(locked["locked_reason"] == "maintenance");
    auto refused = cloud.Demo("DELETE", "/servers/" + id);
    CHECK(refused.status == 409);
    CHECK(refused.json()["conflictingRequest"]["message"] == "Instance " + id + " is locked");
    CHECK(cloud.Demo("POST", "/servers/" + id + "/action", "2.1", {{"unlock", nullptr}}).status == 403);  // admin's lock
    REQUIRE(cloud.Admin("POST", "/servers/" + id + "/action", "2.1", {{"unlock", nullptr}}).status == 202);

    // Metadata and update.
    CHECK(cloud.Demo("POST", "/servers/" + id + "/metadata", "2.1", {{"metadata", {{"tier", "gold"}}}}).json()["metadata"] ==
          Json({{"role", "web"}, {"tier", "gold"}}));
    CHECK(cloud.Demo("GET", "/servers/" + id + "/metadata/tier").json()["meta"]["tier"] == "gold");
    CHECK(cloud.Demo("PUT", "/servers/" + id + "/metadata/tier", "2.1", {{"meta", {{"other", "x"}}}}).status == 400);
    CHECK(cloud.Demo("DELETE", "/servers/" + id + "/metadata/tier").status == 204);
    CHECK(cloud.Demo("GET", "/servers/" + id + "/metadata/tier").status == 404);
    auto renamed = cloud.Demo("PUT", "/servers/" + id, "2.19", {{"server", {{"name", "vm-renamed"}, {"description", "d"}}}});
    REQUIRE_MESSAGE(renamed.status == 200, renamed.body);
    CHECK(renamed.json()["server"]["name"] == "vm-renamed");
    CHECK(cloud.Demo("GET", "/servers/" + id, "2.19").json()["server"]["description"] == "d");

    // Resize and its follow-ups keep Nova's checks: same flavor, nothing to confirm.
    auto same = action({{"resize", {{"flavorRef", "small"}}}});
    CHECK(same.status == 400);
    CHECK(same.json()["badRequest"]["message"] == "When resizing, instances must change flavor!");
    CHECK(action({{"resize", {{"flavorRef", "nosuch"}}}}).json()["badRequest"]["message"] == "Unable to locate requested flavor.");
    auto confirm = action({{"confirmResize", nullptr}});
    CHECK(confirm.status == 409);
    CHECK(confirm.json()["conflictingRequest"]["message"] ==
          "Cannot 'confirmResize' instance " + id + " while it is in vm_state active");
    CHECK(action({{"revertResize", nullptr}}).status == 409);
    CHECK(action({{"migrate", nullptr}}).status == 403);  // admin only

    // Every action was recorded with its request id.
    auto actions = cloud.Demo("GET", "/servers/" + id + "/os-instance-actions").json()["instanceActions"];
    std::set<std::string> names;
    for (const auto& a : actions) names.insert(a["action"].get<std::string>());
    for (const char* want : {"create", "stop", "start", "reboot", "pause", "unpause", "suspend", "resume", "lock", "unlock"}) {
        CHECK_MESSAGE(names.contains(want), want);
    }

    // Delete: 204, then gone (404 with Nova's text) and the allocation freed.
    REQUIRE(cloud.Demo("DELETE", "/servers/" + id).status == 204);
    CHECK_MESSAGE(cloud.WaitStatus(id, {"ACTIVE"}) == "GONE", cloud.Logs());
    auto gone = cloud.Demo("GET", "/servers/" + id);
    CHECK(gone.status == 404);
    CHECK(gone.json()["itemNotFound"]["message"] == "Instance " + id + " could not be found.");
    CHECK(cloud.Demo("GET", "/servers").json()["servers"].empty());
    CHECK(cloud.Admin("GET", "/servers/detail?all_tenants=1&deleted=true").json()["servers"].size() == 1);
    bool freed = false;
    for (int i = 0; i < 100 && !freed; ++i) {
        auto rows = cloud.api_db().pool().Query("SELECT COUNT(*) AS n FROM allocations WHERE consumer_id = ?", {id});
        freed = rows.front().Int("n") == 0;
        if (!freed) std::this_thread::sleep_for(100ms);
    }
    CHECK(freed);
}

TEST_CASE("servers: multi-create, reservation id, paging, quota, and bad input that writes nothing") {
    Cloud cloud;
    auto multi = cloud.Demo("POST", "/servers", "2.37",
                            BootBody("many", {{"min_count", 3}, {"return_reservation_id", true}}));
    REQUIRE_MESSAGE(multi.status == 202, multi.body);
    const std::string rid = multi.json()["reservation_id"].get<std::string>();
    CHECK(rid.rfind("r-", 0) == 0);
    CHECK(rid.size() == 10);
    auto all = cloud.Demo("GET", "/servers/detail?reservation_id=" + rid).json()["servers"];
    REQUIRE(all.size() == 3);
    std::set<std::string> names;
    for (const auto& s : all) names.insert(s["name"].get<std::string>());
    CHECK(names == std::set<std::string>{"many-1", "many-2", "many-3"});

    // Paging across the servers: limit 2, the next link, the marker.
    auto page1 = cloud.Demo("GET", "/servers?limit=2").json();
    REQUIRE(page1["servers"].size() == 2);
    REQUIRE(page1.contains("servers_links"));
    CHECK(page1["servers_links"][0]["href"].get<std::string>().find("marker=" + page1["servers"][1]["id"].get<std::string>()) !=
          std::string::npos);
    auto page2 = cloud.Demo("GET", "/servers?limit=2&marker=" + page1["servers"][1]["id"].get<std::string>()).json();
    REQUIRE(page2["servers"].size() == 1);
    CHECK_FALSE(page2.contains("servers_links"));
    auto bad_marker = cloud.Demo("GET", "/servers?marker=00000000-0000-0000-0000-000000000001");
    CHECK(bad_marker.status == 400);
    CHECK(bad_marker.json()["badRequest"]["message"] == "marker [00000000-0000-0000-0000-000000000001] not found");
    for (const auto& s : all) CHECK(cloud.WaitStatus(s["id"].get<std::string>(), {"BUILD"}) == "ACTIVE");
    auto sorted = cloud.Demo("GET", "/servers/detail?sort_key=display_name&sort_dir=asc").json()["servers"];
    REQUIRE(sorted.size() == 3);
    CHECK(sorted[0]["name"] == "many-1");
    CHECK(sorted[2]["name"] == "many-3");

    // Quota: instances = 3 for the project; the fourth is refused with Nova's 403 text.
    REQUIRE(cloud.Admin("PUT", "/os-quota-sets/demo", "2.1", {{"quota_set", {{"instances", 3}}}}).status == 200);
    const auto rows_before = cloud.ApiRows();
    auto over = cloud.Demo("POST", "/servers", "2.37", BootBody("one-too-many"));
    CHECK(over.status == 403);
    CHECK(over.json()["forbidden"]["message"] == "Quota exceeded for instances: Requested 1, but already used 3 of 3 instances");

    // Bad input: each a 400 with nothing written.
    auto bad = [&](const std::string& body, const std::string& version = "2.37") {
        return cloud.Raw("POST", "/servers", As("demo:demo", version), body);
    };
    auto malformed = bad("{\"server\": ");
    CHECK(malformed.status == 400);
    CHECK(malformed.json()["badRequest"]["message"] == "Malformed request body");
    CHECK(bad(BootBody("x", {{"flavorRef", Json::array()}}).dump()).status == 400);
    auto unknown = bad(BootBody("x", {{"colour", "red"}}).dump());
    CHECK(unknown.status == 400);
    CHECK(unknown.json()["badRequest"]["message"].get<std::string>().find("Additional properties are not allowed") !=
          std::string::npos);
    auto image = bad(BootBody("x", {{"imageRef", "not-a-uuid"}}).dump());
    CHECK(image.status == 400);
    auto no_image = bad(BootBody("x", {{"imageRef", "11111111-2222-3333-4444-555555555555"}}).dump());
    CHECK(no_image.status == 400);
    CHECK(no_image.json()["badRequest"]["message"] == "Can not find requested image");
    auto no_flavor = bad(BootBody("x", {{"flavorRef", "nosuch"}}).dump());
    CHECK(no_flavor.status == 400);
    CHECK(no_flavor.json()["badRequest"]["message"] == "Flavor nosuch could not be found.");
    auto no_key = bad(BootBody("x", {{"key_name", "nokey"}}).dump());
    CHECK(no_key.status == 400);
    CHECK(no_key.json()["badRequest"]["message"] == "Invalid key_name provided.");
    auto no_networks = bad(Json{{"server", {{"name", "x"}, {"imageRef", kImage}, {"flavorRef", "small"}}}}.dump());
    CHECK(no_networks.status == 400);
    CHECK(bad(BootBody("x", {{"min_count", 0}}).dump()).status == 400);
    CHECK(bad(BootBody("x", {{"min_count", 3}, {"max_count", 2}}).dump()).json()["badRequest"]["message"] ==
          "min_count must be <= max_count");
    CHECK(bad(BootBody("", {}).dump()).status == 400);
    CHECK(bad(BootBody("x", {{"description", "d"}}).dump(), "2.18").status == 400);  // description from 2.19
    CHECK(bad(BootBody("x", {{"tags", {"a"}}}).dump(), "2.51").status == 400);      // tags from 2.52
    CHECK(cloud.ApiRows() == rows_before);

    // Lookups and lists with bad parameters.
    CHECK(cloud.Demo("GET", "/servers/not-a-uuid").status == 404);
    CHECK(cloud.Demo("GET", "/servers?limit=-1").status == 400);
    CHECK(cloud.Demo("GET", "/servers?limit=abc").status == 400);
    CHECK(cloud.Demo("GET", "/servers?limit=99999999999").status == 200);
    CHECK(cloud.Demo("GET", "/servers?sort_key=bogus").status == 400);
    CHECK(cloud.Demo("GET", "/servers?sort_dir=sideways").status == 400);
    CHECK(cloud.Demo("GET", "/servers?bogus=1", "2.75").status == 400);
    CHECK(cloud.Demo("GET", "/servers?bogus=1", "2.74").status == 200);
    CHECK(cloud.Admin("GET", "/servers?all_tenants=1&bogus=1&node=.", "2.74").json()["servers"].size() == 3);
    CHECK(cloud.Admin("GET", "/servers?all_tenants=1&host=nohost").json()["servers"].empty());
    CHECK(cloud.Demo("GET", "/servers?changes-since=yesterday").status == 400);
    auto action_unknown = cloud.Demo("POST", "/servers/" + all[0]["id"].get<std::string>() + "/action", "2.1", {{"fly", nullptr}});
    CHECK(action_unknown.status == 400);
    CHECK(cloud.Demo("POST", "/servers/" + all[0]["id"].get<std::string>() + "/action", "2.1", {{"os-resetState", {{"state", "active"}}}})
              .status == 403);  // admin only
}

TEST_CASE("servers with openstackclient: create --wait, list, show, stop, delete") {
    Cloud cloud;
    int rc = -1;
    auto out = cloud.Openstack(std::string("--os-compute-api-version 2.37 server create --image ") + kImage +
                                   " --flavor small --nic none --wait -f json osc-vm",
                               &rc);
    REQUIRE_MESSAGE(rc == 0, (out + cloud.Logs()));
    auto created = Json::parse(out.substr(out.find('{')));
    const std::string id = created["id"].get<std::string>();
    CHECK(created["status"] == "ACTIVE");
    CHECK(created["name"] == "osc-vm");

    out = cloud.Openstack("server list -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    auto list = Json::parse(out.substr(out.find('[')));
    REQUIRE(list.size() == 1);
    CHECK(list[0]["ID"] == id);
    CHECK(list[0]["Status"] == "ACTIVE");
    CHECK(list[0]["Flavor"] == "m1.small");

    out = cloud.Openstack("server show osc-vm -f json", &rc);  // by name: 404, then ?name=
    REQUIRE_MESSAGE(rc == 0, out);
    auto shown = Json::parse(out.substr(out.find('{')));
    CHECK(shown["id"] == id);
    CHECK(shown["OS-EXT-STS:vm_state"] == "active");

    out = cloud.Openstack("server stop osc-vm", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(cloud.WaitStatus(id, {"ACTIVE"}) == "SHUTOFF");

    out = cloud.Openstack("server delete --wait osc-vm", &rc);
    REQUIRE_MESSAGE(rc == 0, (out + cloud.Logs()));
    out = cloud.Openstack("server show " + id, &rc);
    CHECK(rc != 0);
    CHECK(out.find("No server with a name or ID of") != std::string::npos);
}

TEST_CASE("servers: delete before a cell (BuildRequest) and local delete of an instance without a host") {
    Cloud cloud;
    const auto& clock = cloud.clock();
    // A server the conductor has not placed yet: BuildRequest + InstanceMapping (no cell).
    const std::string pending = nova::GenerateUuid();
    objects::Instance inst;
    inst.set_uuid(pending);
    inst.set_project_id("demo");
    inst.set_user_id("demo");
    inst.set_display_name("pending");
    inst.set_vm_state("building");
    inst.set_task_state("scheduling");
    inst.set_locked(false);
    objects::BuildRequest br;
    br.set_instance_uuid(pending);
    br.set_project_id("demo");
    *br.mutable_instance() = inst;
    db::BuildRequestStore(cloud.api_db().pool(), clock).Create(br);
    objects::InstanceMapping im;
    im.set_instance_uuid(pending);
    im.set_project_id("demo");
    im.set_user_id("demo");
    im.set_queued_for_delete(false);
    objects::SetNull(im, "cell_mapping");
    db::InstanceMappingStore(cloud.api_db().pool(), clock).Create(im);

    auto shown = cloud.Demo("GET", "/servers/" + pending);
    REQUIRE(shown.status == 200);
    CHECK(shown.json()["server"]["status"] == "BUILD");
    CHECK(cloud.Demo("GET", "/servers").json()["servers"].size() == 1);
    auto paused = cloud.Demo("POST", "/servers/" + pending + "/action", "2.1", {{"pause", nullptr}});
    CHECK(paused.status == 409);
    CHECK(paused.json()["conflictingRequest"]["message"] ==
          "Cannot 'pause' instance " + pending + " while it is in vm_state building");
    auto renamed = cloud.Demo("PUT", "/servers/" + pending, "2.1", {{"server", {{"name", "renamed"}}}});
    REQUIRE_MESSAGE(renamed.status == 200, renamed.body);
    CHECK(renamed.json()["server"]["name"] == "renamed");
    CHECK(cloud.Demo("GET", "/servers/" + pending).json()["server"]["name"] == "renamed");
    REQUIRE(cloud.Demo("DELETE", "/servers/" + pending).status == 204);
    CHECK_THROWS_AS(db::BuildRequestStore(cloud.api_db().pool(), clock).GetByInstanceUuid(pending), nova::BuildRequestNotFound);
    CHECK(db::InstanceMappingStore(cloud.api_db().pool(), clock).GetByInstanceUuid(pending).queued_for_delete());
    CHECK(cloud.Demo("GET", "/servers/" + pending).status == 404);
    CHECK(cloud.Demo("GET", "/servers").json()["servers"].empty());

    // An instance in the cell that never got a host (ERROR): deleted by the API itself.
    const std::string orphan = cloud.CreateHostlessInstance();
    CHECK(cloud.Demo("GET", "/servers/" + orphan).json()["server"]["status"] == "ERROR");
    REQUIRE(cloud.Demo("DELETE", "/servers/" + orphan).status == 204);
    auto row = db::InstanceStore(cloud.cell_db().pool(), clock).GetByUuid(orphan, true);
    CHECK(row.vm_state() == "deleted");
    CHECK(row.deleted());
    CHECK(row.has_terminated_at());
    CHECK(cloud.Demo("GET", "/servers/" + orphan).status == 404);
    auto actions = db::InstanceActionStore(cloud.cell_db().pool(), clock).GetByInstanceUuid(orphan);
    REQUIRE(actions.size() == 1);
    CHECK(actions.front().action() == "delete");
}

// Issue 9: the API's quota check is exact under concurrency. 20 creates at once, split over
// two nova-api processes (each with several handler threads), against a quota of 10: 10 are
// accepted, 10 get Nova's 403, and the 10 accepted all become ACTIVE (none is left to the
// conductor's recheck, which would put it in ERROR). Once for instances, once for cores.
TEST_CASE("servers: 20 concurrent creates against a quota of 10 end with exactly 10 servers") {
    Cloud cloud;
    auto second = cloud.AnotherApi();
    const int ports[2] = {cloud.port(), second->compute_port};

    auto storm = [&](const std::string& token) {
        std::vector<Reply> replies(20);
        std::vector<std::thread> threads;
        std::atomic<int> ready{0};
        for (int i = 0; i < 20; ++i) {
            threads.emplace_back([&, i] {
                Client client(ports[i % 2]);  // connected before the start line
                ++ready;
                while (ready.load() < 20) std::this_thread::yield();
                try {
                    replies[i] = client.Send("POST", "/v2.1/servers", As(token, "2.37"),
                                             BootBody("storm-" + std::to_string(i)).dump());
                } catch (const std::exception& e) {
                    replies[i].body = e.what();
                }
            });
        }
        for (auto& t : threads) t.join();
        return replies;
    };
    auto check = [&](const std::string& token, const std::string& message) {
        auto replies = storm(token);
        int accepted = 0, refused = 0;
        for (const auto& r : replies) {
            if (r.status == 202) {
                ++accepted;
            } else if (r.status == 403) {
                ++refused;
                CHECK(r.json()["forbidden"]["message"] == message);
            } else {
                FAIL_CHECK("unexpected reply " << r.status << ": " << r.body);
            }
        }
        CHECK(accepted == 10);
        CHECK(refused == 10);
        auto servers = cloud.Call("GET", "/servers/detail", As(token, "2.37")).json()["servers"];
        CHECK(servers.size() == 10);
        for (const auto& s : servers) {
            auto status = cloud.WaitStatus(s["id"].get<std::string>(), {"BUILD"}, 60s);
            CHECK_MESSAGE(status == "ACTIVE", s["id"].get<std::string>() << " is " << status);
        }
        // And still 10 once every build is through the conductor.
        CHECK(cloud.Call("GET", "/servers/detail", As(token, "2.37")).json()["servers"].size() == 10);
    };

    SUBCASE("instances") {
        REQUIRE(cloud.Admin("PUT", "/os-quota-sets/demo", "2.1", {{"quota_set", {{"instances", 10}}}}).status == 200);
        check("demo:demo", "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances");
    }
    SUBCASE("cores") {
        // m1.small has 1 vCPU: 10 cores are 10 servers.
        REQUIRE(cloud.Admin("PUT", "/os-quota-sets/demo", "2.1",
                            {{"quota_set", {{"instances", 100}, {"cores", 10}}}}).status == 200);
        check("demo:demo", "Quota exceeded for cores: Requested 1, but already used 10 of 10 cores");
    }
}

TEST_CASE("servers: an instance buried in cell0 counts against the quota until it is deleted, and ram quota") {
    // Nova counts instances across every cell, cell0 included: a server that found no host
    // still holds its quota until its owner deletes it.
    Cloud cloud;
    REQUIRE(cloud.Admin("PUT", "/os-quota-sets/demo", "2.1",
                        {{"quota_set", {{"instances", 1}, {"cores", -1}, {"ram", -1}}}})
                .status == 200);
    auto huge = cloud.Admin("POST", "/flavors", "2.1",
                            {{"flavor", {{"name", "m1.huge"}, {"ram", 64 * 1024 * 1024}, {"vcpus", 1}, {"disk", 1}, {"id", "huge"}}}});
    REQUIRE_MESSAGE(huge.status == 200, huge.body);

    auto nowhere = cloud.Demo("POST", "/servers", "2.37", BootBody("nowhere", {{"flavorRef", "huge"}}));
    REQUIRE_MESSAGE(nowhere.status == 202, nowhere.body);
    const std::string id = nowhere.json()["server"]["id"].get<std::string>();
    REQUIRE_MESSAGE(cloud.WaitStatus(id, {"BUILD"}) == "ERROR", cloud.Logs());

    auto over = cloud.Demo("POST", "/servers", "2.37", BootBody("second"));
    CHECK(over.status == 403);
    CHECK(over.json()["forbidden"]["message"] == "Quota exceeded for instances: Requested 1, but already used 1 of 1 instances");
    auto limits = cloud.Demo("GET", "/limits", "2.1").json()["limits"]["absolute"];
    CHECK(limits["totalInstancesUsed"] == 1);

    REQUIRE(cloud.Demo("DELETE", "/servers/" + id, "2.1").status == 204);
    REQUIRE(cloud.WaitStatus(id, {"ERROR", "DELETED"}) == "GONE");
    auto after = cloud.Demo("POST", "/servers", "2.37", BootBody("second"));
    CHECK_MESSAGE(after.status == 202, after.body);

    // The MB of ram: "second" (512 MB) uses all of a 512 MB quota.
    REQUIRE(cloud.Admin("PUT", "/os-quota-sets/demo", "2.1", {{"quota_set", {{"instances", -1}, {"ram", 512}}}}).status == 200);
    auto no_ram = cloud.Demo("POST", "/servers", "2.37", BootBody("third"));
    CHECK(no_ram.status == 403);
    CHECK(no_ram.json()["forbidden"]["message"] == "Quota exceeded for ram: Requested 512, but already used 512 of 512 ram");
}

// Issue 8: server tags. Created with the server at 2.52 (the conductor writes them into the
// cell), shown from 2.26, changed through /servers/{id}/tags with Nova's codes and rules,
// filtered on in each cell's SQL, driven by openstackclient, and gone with the server.
TEST_CASE("server tags: create at 2.52, show from 2.26, tag CRUD, the 51st tag, filters, openstackclient") {
    Cloud cloud;
    CHECK(cloud.Demo("POST", "/servers", "2.51", BootBody("old", {{"tags", {"web"}}})).status == 400);
    auto created = cloud.Demo("POST", "/servers", "2.52", BootBody("tagged", {{"tags", {"web", "prod", "web"}}}));
    REQUIRE_MESSAGE(created.status == 202, created.body);
    const std::string id = created.json()["server"]["id"].get<std::string>();
    REQUIRE_MESSAGE(cloud.WaitStatus(id, {"BUILD"}) == "ACTIVE", cloud.Logs());
    auto other = cloud.Demo("POST", "/servers", "2.52", BootBody("plain"));
    REQUIRE(other.status == 202);
    const std::string plain = other.json()["server"]["id"].get<std::string>();
    REQUIRE_MESSAGE(cloud.WaitStatus(plain, {"BUILD"}) == "ACTIVE", cloud.Logs());

    // In the cell database, written by the conductor.
    auto rows = cloud.cell_db().pool().Query("SELECT tag FROM tags WHERE resource_id = ? ORDER BY tag", {id});
    REQUIRE(rows.size() == 2);
    CHECK(rows.rows[0].String("tag") == "prod");
    CHECK(rows.rows[1].String("tag") == "web");

    // The view: from 2.26, show and detail.
    CHECK_FALSE(cloud.Demo("GET", "/servers/" + id, "2.25").json()["server"].contains("tags"));
    CHECK(cloud.Demo("GET", "/servers/" + id, "2.26").json()["server"]["tags"] == Json::array({"prod", "web"}));
    CHECK(cloud.Demo("GET", "/servers/" + plain, "2.26").json()["server"]["tags"] == Json::array());
    const Json detail = cloud.Demo("GET", "/servers/detail", "2.26").json()["servers"];
    REQUIRE(detail.size() == 2);
    for (const auto& s : detail) {
        CHECK(s["tags"] == (s["id"] == id ? Json::array({"prod", "web"}) : Json::array()));
    }

    // /servers/{id}/tags: 404 below 2.26.
    const std::string tags = "/servers/" + id + "/tags";
    CHECK(cloud.Demo("GET", tags, "2.25").status == 404);
    auto listed = cloud.Demo("GET", tags, "2.26");
    REQUIRE(listed.status == 200);
    CHECK(listed.json() == Json{{"tags", {"prod", "web"}}});
    CHECK(cloud.Demo("GET", tags + "/web", "2.26").status == 204);
    auto missing = cloud.Demo("GET", tags + "/nope", "2.26");
    CHECK(missing.status == 404);
    CHECK(missing.json()["itemNotFound"]["message"] == "Server " + id + " has no tag 'nope'");
    auto added = cloud.Demo("PUT", tags + "/db", "2.26");
    CHECK(added.status == 201);
    CHECK(added.header("Location").find("/servers/" + id + "/tags/db") != std::string::npos);
    CHECK(cloud.Demo("PUT", tags + "/db", "2.26").status == 204);  // already there
    auto bad = cloud.Demo("PUT", tags + "/a,b", "2.26");
    CHECK(bad.status == 400);
    CHECK(bad.json()["badRequest"]["message"].get<std::string>().find(
              "Tag 'a,b' is invalid. It must be a non empty string without characters '/' and ','.") == 0);
    CHECK(cloud.Demo("PUT", tags + "/x", "2.26", {{"unexpected", 1}}).status == 400);  // no body allowed
    auto replaced = cloud.Demo("PUT", tags, "2.26", {{"tags", {"b", "a"}}});
    REQUIRE_MESSAGE(replaced.status == 200, replaced.body);
    CHECK(replaced.json() == Json{{"tags", {"a", "b"}}});
    CHECK(cloud.Demo("DELETE", tags + "/a", "2.26").status == 204);
    auto gone = cloud.Demo("DELETE", tags + "/a", "2.26");
    CHECK(gone.status == 404);
    CHECK(gone.json()["itemNotFound"]["message"] == "Instance " + id + " has no tag 'a'");
    CHECK(cloud.Demo("DELETE", tags, "2.26").status == 204);
    CHECK(cloud.Demo("GET", tags, "2.26").json() == Json{{"tags", Json::array()}});

    // At most 50: the 51st through PUT /tags is the schema's 400, through PUT /tags/{tag}
    // Nova's own message.
    Json fifty = Json::array();
    for (int i = 0; i < 50; ++i) fifty.push_back("t" + std::to_string(i));
    REQUIRE(cloud.Demo("PUT", tags, "2.26", {{"tags", fifty}}).status == 200);
    auto over = cloud.Demo("PUT", tags + "/t50", "2.26");
    CHECK(over.status == 400);
    CHECK(over.json()["badRequest"]["message"] == "The number of tags exceeded the per-server limit 50");
    auto fifty_one = fifty;
    fifty_one.push_back("t50");
    auto too_many = cloud.Demo("PUT", tags, "2.26", {{"tags", fifty_one}});
    CHECK(too_many.status == 400);
    CHECK(too_many.json()["badRequest"]["message"].get<std::string>().find("Invalid input for field/attribute tags.") == 0);
    CHECK(cloud.Demo("GET", tags, "2.26").json()["tags"].size() == 50);

    // Another project's server is a 403 (the rule is checked on the mapping's project, as in
    // Nova); the admin may; an unknown server is a 404.
    CHECK(cloud.Call("GET", tags, As("alt:alt", "2.26")).status == 403);
    CHECK(cloud.Admin("GET", tags, "2.26").status == 200);
    auto unknown = cloud.Demo("GET", "/servers/" + nova::GenerateUuid() + "/tags", "2.26");
    CHECK(unknown.status == 404);
    CHECK(unknown.json()["itemNotFound"]["message"].get<std::string>().find("has no mapping to a cell.") != std::string::npos);

    // vm_state: changes refused in ERROR (409 with Nova's text), allowed when stopped; a
    // locked server's tags may still change (Nova does not check the lock here).
    REQUIRE(cloud.Admin("POST", "/servers/" + plain + "/action", "2.1", {{"os-resetState", {{"state", "error"}}}}).status == 202);
    auto refused = cloud.Demo("PUT", "/servers/" + plain + "/tags", "2.26", {{"tags", {"x"}}});
    CHECK(refused.status == 409);
    CHECK(refused.json()["conflictingRequest"]["message"] ==
          "Cannot 'update tags' instance " + plain + " while it is in vm_state error");
    CHECK(cloud.Demo("PUT", "/servers/" + plain + "/tags/x", "2.26").status == 409);
    CHECK(cloud.Demo("DELETE", "/servers/" + plain + "/tags", "2.26").status == 409);
    CHECK(cloud.Demo("GET", "/servers/" + plain + "/tags", "2.26").status == 200);  // reading is fine
    REQUIRE(cloud.Admin("POST", "/servers/" + plain + "/action", "2.1", {{"os-resetState", {{"state", "active"}}}}).status == 202);
    REQUIRE(cloud.Demo("POST", "/servers/" + plain + "/action", "2.1", {{"lock", nullptr}}).status == 202);
    REQUIRE(cloud.Demo("POST", "/servers/" + plain + "/action", "2.1", {{"os-stop", nullptr}}).status == 409);  // locked
    CHECK(cloud.Demo("PUT", "/servers/" + plain + "/tags", "2.26", {{"tags", {"b", "c"}}}).status == 200);
    REQUIRE(cloud.Demo("POST", "/servers/" + plain + "/action", "2.1", {{"unlock", nullptr}}).status == 202);

    // Filters (2.26): tags = all of, tags-any = any of, not-tags = not all of, not-tags-any =
    // none of.
    REQUIRE(cloud.Demo("PUT", tags, "2.26", {{"tags", {"a", "b"}}}).status == 200);
    auto ids = [&](const std::string& query, const std::string& version = "2.26") {
        std::set<std::string> out;
        auto r = cloud.Demo("GET", "/servers?" + query, version);
        REQUIRE_MESSAGE(r.status == 200, r.body);
        const Json page = r.json()["servers"];
        for (const auto& s : page) out.insert(s["id"].get<std::string>());
        return out;
    };
    const std::set<std::string> both = {id, plain}, first = {id}, second = {plain}, none;
    CHECK(ids("tags=a,b") == first);
    CHECK(ids("tags=b") == both);
    CHECK(ids("tags=a,c") == none);
    CHECK(ids("tags-any=a,c") == both);
    CHECK(ids("tags-any=zzz") == none);
    CHECK(ids("not-tags=b,c") == first);
    CHECK(ids("not-tags=a,b") == second);
    CHECK(ids("not-tags-any=a") == second);
    CHECK(ids("not-tags-any=a,c") == none);
    CHECK(ids("tags=b&not-tags-any=c") == first);
    CHECK(ids("tags=a,b", "2.25") == both);  // not a filter before 2.26

    // openstackclient at 2.26.
    int rc = -1;
    auto out = cloud.Openstack("--os-compute-api-version 2.26 server set --tag osc " + id, &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(cloud.Demo("GET", tags + "/osc", "2.26").status == 204);
    out = cloud.Openstack("--os-compute-api-version 2.26 server list --tags osc -f json -c ID", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    auto osc_list = Json::parse(out.substr(out.find('[')));
    REQUIRE(osc_list.size() == 1);
    CHECK(osc_list[0]["ID"] == id);
    out = cloud.Openstack("--os-compute-api-version 2.26 server unset --tag osc " + id, &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(cloud.Demo("GET", tags + "/osc", "2.26").status == 404);

    // Deleted with the server.
    REQUIRE(cloud.Demo("DELETE", "/servers/" + id).status == 204);
    CHECK_MESSAGE(cloud.WaitStatus(id, {"ACTIVE"}) == "GONE", cloud.Logs());
    CHECK(cloud.Demo("GET", tags, "2.26").status == 404);
    bool removed = false;
    for (int i = 0; i < 100 && !removed; ++i) {
        removed = cloud.cell_db().pool().Query("SELECT COUNT(*) AS n FROM tags WHERE resource_id = ?", {id}).front().Int("n") == 0;
        if (!removed) std::this_thread::sleep_for(100ms);
    }
    CHECK(removed);
}

// A delete nova-api does itself (the instance has no host) sends Nova's versioned
// instance.delete.start and instance.delete.end from nova-api, around the destroy.
TEST_CASE("servers: a local delete sends instance.delete.start and .end (versioned, from nova-api)") {
    Cloud cloud;
    const std::string topic = "vn_itest_" + std::to_string(::getpid());
    nova::rpc::TransportOptions options;
    options.control_exchange = cloud.exchange();
    auto transport = nova::rpc::MakeTransport(cloud.transport_url(), options);
    std::mutex mu;
    std::vector<Json> got;
    auto sub = transport->SubscribeNotifications(cloud.exchange(), topic + ".info", [&](std::string body) {
        std::lock_guard lock(mu);
        got.push_back(nova::rpc::DecodeEnvelope(body));
        return true;
    });
    auto api = cloud.AnotherApi("[oslo_messaging_notifications]\ndriver = messagingv2\n"
                                "[notifications]\nnotification_format = versioned\nversioned_notifications_topics = " +
                                topic + "\n");

    const std::string orphan = cloud.CreateHostlessInstance();

    auto deleted = Client(api->compute_port).Send("DELETE", "/v2.1/servers/" + orphan, As("demo:demo"), "");
    REQUIRE_MESSAGE(deleted.status == 204, deleted.body);
    const std::string request_id = deleted.header("X-OpenStack-Request-Id");
    for (int i = 0; i < 100; ++i) {
        {
            std::lock_guard lock(mu);
            if (got.size() >= 2) break;
        }
        std::this_thread::sleep_for(100ms);
    }
    std::lock_guard lock(mu);
    REQUIRE_MESSAGE(got.size() == 2, api->Log());
    CHECK(got[0]["event_type"] == "instance.delete.start");
    CHECK(got[1]["event_type"] == "instance.delete.end");
    for (const auto& m : got) {
        CHECK(m["priority"] == "INFO");
        CHECK(m["publisher_id"].get<std::string>().rfind("nova-api:", 0) == 0);
        const auto& payload = m["payload"];
        CHECK(payload["nova_object.name"] == "InstanceActionPayload");
        CHECK(payload["nova_object.version"] == "1.8");
        CHECK(payload["nova_object.data"]["uuid"] == orphan);
        CHECK(payload["nova_object.data"]["tenant_id"] == "demo");
        CHECK(payload["nova_object.data"]["action_initiator_user"] == "demo");
        CHECK(payload["nova_object.data"]["request_id"] == request_id);
        CHECK(payload["nova_object.data"]["host"].is_null());
    }
    CHECK(got[0]["payload"]["nova_object.data"]["state"] == "error");
    CHECK(got[0]["payload"]["nova_object.data"]["deleted_at"].is_null());
    CHECK(got[1]["payload"]["nova_object.data"]["state"] == "deleted");
    CHECK(got[1]["payload"]["nova_object.data"]["terminated_at"].is_string());
    CHECK(got[1]["payload"]["nova_object.data"]["deleted_at"].is_string());
}
