// The resources nova-api serves from its databases (flavors, key pairs, services,
// availability zones, hypervisors), driven over real HTTP and with Debian's openstackclient
// against the real binary on a throwaway API and cell database of the test MariaDB.
#include <doctest/doctest.h>

#include "../../common/db/tests/scratch_database.hpp"
#include <set>

#include "nova/api/validation/schema.hpp"
#include "nova/common/uuid.hpp"
#include "nova/db/aggregate_store.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/instance_action_store.hpp"
#include "nova/db/instance_group_store.hpp"
#include "nova/db/migration_store.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/db/quota_store.hpp"
#include "nova/db/service_store.hpp"
#include "nova/objects/object.hpp"
#include "process_support.hpp"

using namespace nova::api::testing;
using nova::Json;
using nova::db::testing::ScratchDatabase;
namespace db = nova::db;
namespace objects = nova::objects;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

Headers As(const std::string& token, const std::string& version = "") {
    Headers h = {{"X-Auth-Token", token}, {"Content-Type", "application/json"}};
    if (!version.empty()) h.emplace_back("OpenStack-API-Version", "compute " + version);
    return h;
}

// An API and a cell database (cell1 mapped in the first), and nova-api on them.
class Cloud {
public:
    Cloud()
        : api_db_(ScratchDatabase::Schema::kApi),
          cell_db_(ScratchDatabase::Schema::kMain),
          api_(std::string("[api_database]\nconnection = ") + api_db_.url() + "\n[database]\nconnection = " +
               cell_db_.url() + "\n[api]\nmax_limit = 1000\n") {
        objects::CellMapping cell;
        cell.set_uuid(nova::GenerateUuid());
        cell.set_name("cell1");
        cell.set_transport_url("rabbit://unused/");
        cell.set_database_connection(cell_db_.url());
        cell.set_disabled(false);
        db::CellMappingStore(api_db_.pool(), clock_).Create(cell);
        cell_ = cell;
        REQUIRE_MESSAGE(api_.WaitReady(), api_.Log());
    }

    Reply Call(const std::string& method, const std::string& path, const Headers& headers, const Json& body = nullptr) {
        return Client(api_.compute_port).Send(method, "/v2.1" + path, headers, body.is_null() ? "" : body.dump());
    }
    Reply Admin(const std::string& method, const std::string& path, const std::string& version = "",
                const Json& body = nullptr) {
        return Call(method, path, As("admin:admin", version), body);
    }
    // openstack <args> against this nova-api as admin; the output and exit code.
    std::string Openstack(const std::string& args, int* rc, const std::string& token = "admin:admin") {
        return Run("env -u OS_CLOUD -u OS_AUTH_URL /usr/bin/openstack --os-auth-type admin_token --os-token " + token +
                       " --os-endpoint http://127.0.0.1:" + std::to_string(api_.compute_port) + "/v2.1 " + args,
                   rc);
    }

    // Python with openstacksdk's connection `c` to this nova-api as admin.
    std::string Sdk(const std::string& code, int* rc) {
        std::ofstream(api_.dir() / "clouds.yaml")
            << "clouds:\n  nova-cpp:\n    auth_type: admin_token\n    auth:\n"
            << "      endpoint: http://127.0.0.1:" << api_.compute_port << "/v2.1\n      token: admin:admin\n"
            << "    compute_endpoint_override: http://127.0.0.1:" << api_.compute_port << "/v2.1\n";
        std::ofstream(api_.dir() / "sdk.py") << "import openstack\nc = openstack.connect(cloud='nova-cpp')\n" << code << "\n";
        return Run("env -u OS_CLOUD -u OS_AUTH_URL OS_CLIENT_CONFIG_FILE=" + (api_.dir() / "clouds.yaml").string() +
                       " /usr/bin/python3 " + (api_.dir() / "sdk.py").string(),
                   rc);
    }

    objects::Service AddService(const std::string& host, const std::string& binary, bool up = true) {
        objects::Service s;
        s.set_uuid(nova::GenerateUuid());
        s.set_host(host);
        s.set_binary(binary);
        s.set_topic(binary == "nova-compute" ? "compute" : binary.substr(5));
        s.set_report_count(1);
        s.set_disabled(false);
        nova::objects::SetNull(s, "disabled_reason");
        auto seen = std::chrono::system_clock::now() - (up ? std::chrono::seconds(0) : std::chrono::seconds(3600));
        s.mutable_last_seen_up()->set_seconds(std::chrono::duration_cast<std::chrono::seconds>(seen.time_since_epoch()).count());
        s.set_forced_down(false);
        s.set_version(61);
        db::ServiceStore(cell_db_.pool(), clock_).Create(s);
        if (binary == "nova-compute") {
            objects::HostMapping m;
            m.set_host(host);
            *m.mutable_cell_mapping() = cell_;
            db::HostMappingStore(api_db_.pool(), clock_).Create(m);
        }
        return s;
    }
    objects::ComputeNode AddNode(const objects::Service& service, const std::string& name) {
        objects::ComputeNode n;
        n.set_uuid(nova::GenerateUuid());
        n.set_service_id(service.id());
        n.set_host(service.host());
        n.set_hypervisor_hostname(name);
        n.set_vcpus(8);
        n.set_memory_mb(16384);
        n.set_local_gb(100);
        n.set_vcpus_used(2);
        n.set_memory_mb_used(2560);
        n.set_local_gb_used(10);
        n.set_hypervisor_type("QEMU");
        n.set_hypervisor_version(7002000);
        n.set_free_ram_mb(13824);
        n.set_free_disk_gb(90);
        n.set_current_workload(0);
        n.set_running_vms(1);
        n.set_cpu_info(R"({"arch": "x86_64", "model": "Nehalem", "vendor": "Intel"})");
        n.set_disk_available_least(80);
        n.set_host_ip("192.0.2.5");
        n.set_cpu_allocation_ratio(16.0);
        n.set_ram_allocation_ratio(1.5);
        n.set_disk_allocation_ratio(1.0);
        n.set_mapped(1);
        db::ComputeNodeStore(cell_db_.pool(), clock_).Create(n);
        return n;
    }
    objects::Instance AddInstance(const std::string& host, const std::string& name) {
        objects::Instance i;
        i.set_uuid(nova::GenerateUuid());
        i.set_host(host);
        i.set_display_name(name);
        i.set_project_id("demo");
        i.set_user_id("demo");
        i.set_vm_state("active");
        db::InstanceStore(cell_db_.pool(), clock_).Create(i);
        return i;
    }

    ScratchDatabase& api_db() { return api_db_; }
    ScratchDatabase& cell_db() { return cell_db_; }
    NovaApi& process() { return api_; }
    const nova::Clock& clock() const { return clock_; }

private:
    nova::SystemClock clock_;
    ScratchDatabase api_db_;
    ScratchDatabase cell_db_;
    NovaApi api_;
    objects::CellMapping cell_;
};

std::string ForbiddenMessage(const Reply& r) { return r.json()["forbidden"]["message"].get<std::string>(); }

}  // namespace

TEST_CASE("flavors over HTTP: create, views per microversion, filters, paging, extra specs, access") {
    Cloud cloud;
    Json tiny = {{"flavor", {{"name", "m1.tiny"}, {"ram", 512}, {"vcpus", 1}, {"disk", 1}, {"id", "1"}}}};
    auto created = cloud.Admin("POST", "/flavors", "", tiny);
    REQUIRE_MESSAGE(created.status == 200, created.body);
    auto f = created.json()["flavor"];
    CHECK(f["id"] == "1");
    CHECK(f["swap"] == "");
    CHECK(f["rxtx_factor"] == 1.0);
    CHECK(f["os-flavor-access:is_public"] == true);
    CHECK(f["OS-FLV-DISABLED:disabled"] == false);
    CHECK(f["links"][0]["href"].get<std::string>().find("/v2.1/flavors/1") != std::string::npos);
    CHECK_FALSE(f.contains("description"));

    // Nova's answers to duplicates, bad bodies and members.
    auto dup = cloud.Admin("POST", "/flavors", "", tiny);
    CHECK(dup.status == 409);
    CHECK(dup.json()["conflictingRequest"]["message"] == "Flavor with ID 1 already exists.");
    tiny["flavor"]["id"] = "2";
    CHECK(cloud.Admin("POST", "/flavors", "", tiny).json()["conflictingRequest"]["message"] ==
          "Flavor with name m1.tiny already exists.");
    auto bad = cloud.Admin("POST", "/flavors", "", {{"flavor", {{"name", "x"}, {"ram", 0}, {"vcpus", 1}, {"disk", 1}}}});
    CHECK(bad.status == 400);
    CHECK(bad.json()["badRequest"]["message"].get<std::string>().find("Invalid input for field/attribute ram") == 0);
    auto member = cloud.Call("POST", "/flavors", As("demo:demo"), {{"flavor", {{"name", "y"}, {"ram", 1}, {"vcpus", 1}, {"disk", 1}}}});
    CHECK(member.status == 403);
    CHECK(ForbiddenMessage(member) == "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed.");

    // A generated id, a description at 2.55, a private flavor, swap.
    auto small = cloud.Admin("POST", "/flavors", "2.55",
                             {{"flavor", {{"name", "m1.small"}, {"ram", 2048}, {"vcpus", 2}, {"disk", 20}, {"swap", 512},
                                          {"description", "small one"}}}});
    REQUIRE(small.status == 200);
    auto small_id = small.json()["flavor"]["id"].get<std::string>();
    CHECK(nova::api::validation::IsUuidLike(small_id));
    CHECK(small.json()["flavor"]["description"] == "small one");
    CHECK(small.json()["flavor"]["swap"] == 512);
    auto priv = cloud.Admin("POST", "/flavors", "",
                            {{"flavor", {{"name", "private"}, {"ram", 4096}, {"vcpus", 4}, {"disk", 40}, {"id", "p1"},
                                         {"os-flavor-access:is_public", false}}}});
    REQUIRE(priv.status == 200);

    // Lists: members see public flavors only; admins choose with is_public (OSC sends None).
    auto names = [](const Reply& r) {
        std::vector<std::string> out;
        auto body = r.json();
        for (const auto& x : body["flavors"]) out.push_back(x["name"]);
        return out;
    };
    // The default order is flavorid ascending (the generated uuid sorts before "1" here).
    CHECK(names(cloud.Call("GET", "/flavors", As("demo:demo"))) ==
          (small_id < "1" ? std::vector<std::string>{"m1.small", "m1.tiny"} : std::vector<std::string>{"m1.tiny", "m1.small"}));
    auto sorted = names(cloud.Admin("GET", "/flavors?is_public=None&sort_key=memory_mb&sort_dir=desc"));
    CHECK(sorted == std::vector<std::string>{"private", "m1.small", "m1.tiny"});
    CHECK(names(cloud.Admin("GET", "/flavors?is_public=false")) == std::vector<std::string>{"private"});
    CHECK(cloud.Admin("GET", "/flavors?is_public=maybe").json()["badRequest"]["message"] == "Invalid is_public filter [maybe]");
    CHECK(names(cloud.Admin("GET", "/flavors/detail?minRam=1024&is_public=none")).size() == 2);
    CHECK(cloud.Admin("GET", "/flavors?minDisk=abc").json()["badRequest"]["message"] == "Invalid minDisk filter [abc]");
    CHECK(cloud.Admin("GET", "/flavors?sort_key=bogus").status == 400);
    CHECK(cloud.Admin("GET", "/flavors?foo=1", "2.74").status == 200);
    CHECK(cloud.Admin("GET", "/flavors?foo=1", "2.75").status == 400);

    // Paging: a full page has a next link with the last flavorid as marker.
    auto page = cloud.Admin("GET", "/flavors?limit=1&sort_key=memory_mb");
    REQUIRE(page.json()["flavors"].size() == 1);
    CHECK(page.json()["flavors"][0]["id"] == "1");
    auto next = page.json()["flavors_links"][0]["href"].get<std::string>();
    CHECK(next.find("marker=1") != std::string::npos);
    auto page2 = cloud.Admin("GET", "/flavors?limit=1&sort_key=memory_mb&marker=1");
    CHECK(page2.json()["flavors"][0]["id"] == small_id);
    CHECK(cloud.Admin("GET", "/flavors?marker=nope").json()["badRequest"]["message"] == "marker [nope] not found");

    // Views: swap "" below 2.75 and 0 from it; extra_specs inline from 2.61.
    CHECK(cloud.Admin("GET", "/flavors/1", "2.74").json()["flavor"]["swap"] == "");
    CHECK(cloud.Admin("GET", "/flavors/1", "2.75").json()["flavor"]["swap"] == 0);
    CHECK_FALSE(cloud.Admin("GET", "/flavors/1", "2.60").json()["flavor"].contains("extra_specs"));
    CHECK(cloud.Admin("GET", "/flavors/1", "2.61").json()["flavor"]["extra_specs"] == Json::object());
    CHECK(cloud.Admin("GET", "/flavors/1", "2.55").json()["flavor"]["description"].is_null());
    auto missing = cloud.Admin("GET", "/flavors/nope");
    CHECK(missing.status == 404);
    CHECK(missing.json()["itemNotFound"]["message"] == "Flavor nope could not be found.");
    CHECK(cloud.Call("GET", "/flavors/p1", As("demo:demo")).status == 404);

    // PUT description (2.55 only).
    CHECK(cloud.Admin("PUT", "/flavors/1", "2.54", {{"flavor", {{"description", "d"}}}}).status == 404);
    auto described = cloud.Admin("PUT", "/flavors/1", "2.55", {{"flavor", {{"description", "the tiny one"}}}});
    CHECK(described.json()["flavor"]["description"] == "the tiny one");

    // Extra specs.
    auto specs = cloud.Admin("POST", "/flavors/1/os-extra_specs", "", {{"extra_specs", {{"hw:cpu_policy", "dedicated"}, {"quota:cpu_shares", 1024}}}});
    CHECK(specs.status == 200);
    CHECK(specs.json()["extra_specs"]["quota:cpu_shares"] == 1024);
    CHECK(cloud.Admin("GET", "/flavors/1/os-extra_specs").json()["extra_specs"] ==
          Json({{"hw:cpu_policy", "dedicated"}, {"quota:cpu_shares", "1024"}}));
    CHECK(cloud.Admin("GET", "/flavors/1/os-extra_specs/hw:cpu_policy").json() == Json({{"hw:cpu_policy", "dedicated"}}));
    CHECK(cloud.Admin("PUT", "/flavors/1/os-extra_specs/hw:cpu_policy", "", {{"hw:mem_page_size", "large"}}).json()["badRequest"]["message"] ==
          "Request body and URI mismatch");
    CHECK(cloud.Admin("PUT", "/flavors/1/os-extra_specs/hw:cpu_policy", "", {{"hw:cpu_policy", "shared"}}).status == 200);
    CHECK(cloud.Call("GET", "/flavors/1/os-extra_specs", As("demo:demo")).status == 200);
    CHECK(cloud.Call("PUT", "/flavors/1/os-extra_specs/a", As("demo:demo"), {{"a", "b"}}).status == 403);
    CHECK(cloud.Admin("DELETE", "/flavors/1/os-extra_specs/hw:cpu_policy").status == 200);
    auto gone = cloud.Admin("DELETE", "/flavors/1/os-extra_specs/hw:cpu_policy");
    CHECK(gone.status == 404);
    CHECK(gone.json()["itemNotFound"]["message"] == "Flavor 1 has no extra specs with key hw:cpu_policy.");
    CHECK(cloud.Admin("GET", "/flavors/detail?sort_key=memory_mb", "2.61").json()["flavors"][0]["extra_specs"] ==
          Json({{"quota:cpu_shares", "1024"}}));

    // Access to the private flavor.
    CHECK(cloud.Admin("GET", "/flavors/1/os-flavor-access").json()["itemNotFound"]["message"] ==
          "Access list not available for public flavors.");
    CHECK(cloud.Admin("POST", "/flavors/1/action", "2.7", {{"addTenantAccess", {{"tenant", "demo"}}}}).status == 409);
    auto added = cloud.Admin("POST", "/flavors/p1/action", "", {{"addTenantAccess", {{"tenant", "demo"}}}});
    CHECK(added.json() == Json({{"flavor_access", {{{"flavor_id", "p1"}, {"tenant_id", "demo"}}}}}));
    CHECK(cloud.Admin("POST", "/flavors/p1/action", "", {{"addTenantAccess", {{"tenant", "demo"}}}}).status == 409);
    CHECK(cloud.Call("GET", "/flavors/p1", As("demo:demo")).status == 200);
    CHECK(names(cloud.Call("GET", "/flavors", As("demo:demo"))).size() == 3);
    CHECK(cloud.Admin("GET", "/flavors/p1/os-flavor-access").json()["flavor_access"].size() == 1);
    CHECK(cloud.Admin("POST", "/flavors/p1/action", "", {{"removeTenantAccess", {{"tenant", "demo"}}}}).json()["flavor_access"] ==
          Json::array());
    CHECK(cloud.Admin("POST", "/flavors/p1/action", "", {{"removeTenantAccess", {{"tenant", "demo"}}}}).status == 404);

    CHECK(cloud.Call("DELETE", "/flavors/1", As("demo:demo")).status == 403);
    CHECK(cloud.Admin("DELETE", "/flavors/1").status == 202);
    CHECK(cloud.Admin("DELETE", "/flavors/1").status == 404);
}

TEST_CASE("flavors with openstackclient") {
    Cloud cloud;
    int rc = -1;
    auto out = cloud.Openstack("flavor create --ram 1024 --disk 10 --vcpus 2 --id 42 --description 'for tests' osc.flavor -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    auto created = Json::parse(out, nullptr, false);
    CHECK(created["name"] == "osc.flavor");
    CHECK(created["ram"] == 1024);
    out = cloud.Openstack("flavor create --ram 256 --disk 1 --vcpus 1 --private osc.private -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);

    out = cloud.Openstack("flavor set --property hw:cpu_policy=dedicated osc.flavor", &rc);
    CHECK_MESSAGE(rc == 0, out);
    out = cloud.Openstack("flavor show osc.flavor -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    auto shown = Json::parse(out, nullptr, false);
    CHECK(shown["id"] == "42");
    CHECK(shown["vcpus"] == 2);
    CHECK(shown["description"] == "for tests");
    CHECK(shown["properties"]["hw:cpu_policy"] == "dedicated");

    out = cloud.Openstack("flavor list --all -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    auto listed = Json::parse(out, nullptr, false);
    REQUIRE(listed.size() == 2);
    std::set<std::string> listed_names;
    for (const auto& f : listed) listed_names.insert(f["Name"]);
    CHECK(listed_names == std::set<std::string>{"osc.flavor", "osc.private"});
    out = cloud.Openstack("flavor list -f json", &rc);
    CHECK(Json::parse(out, nullptr, false).size() == 1);

    out = cloud.Openstack("flavor delete osc.flavor", &rc);
    CHECK_MESSAGE(rc == 0, out);
    cloud.Openstack("flavor show osc.flavor", &rc);
    CHECK(rc != 0);
}

TEST_CASE("key pairs over HTTP: import, generate, per-user scope, paging, microversions") {
    Cloud cloud;
    const std::string pub =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHoxW4CJKy/wttO4mC9ugFYyQMKIvtVT21pZ2eFdr1DJ ed";
    auto imported = cloud.Call("POST", "/os-keypairs", As("demo:demo", "2.1"), {{"keypair", {{"name", "k1"}, {"public_key", pub}}}});
    REQUIRE_MESSAGE(imported.status == 200, imported.body);
    CHECK(imported.json()["keypair"] == Json({{"name", "k1"}, {"public_key", pub}, {"user_id", "demo"},
                                              {"fingerprint", "a8:ee:76:c4:40:bc:eb:ed:60:38:b0:63:8f:c2:b7:28"}}));
    auto dup = cloud.Call("POST", "/os-keypairs", As("demo:demo", "2.2"), {{"keypair", {{"name", "k1"}, {"public_key", pub}}}});
    CHECK(dup.status == 409);
    CHECK(dup.json()["conflictingRequest"]["message"] == "Key pair 'k1' already exists.");
    auto invalid = cloud.Call("POST", "/os-keypairs", As("demo:demo", "2.2"), {{"keypair", {{"name", "k9"}, {"public_key", "ssh-rsa nope"}}}});
    CHECK(invalid.status == 400);
    CHECK(invalid.json()["badRequest"]["message"] == "Keypair data is invalid: failed to generate fingerprint");

    // Generated before 2.92 (201 from 2.2 with type), refused without public_key from 2.92.
    auto generated = cloud.Call("POST", "/os-keypairs", As("demo:demo", "2.2"), {{"keypair", {{"name", "gen"}}}});
    REQUIRE(generated.status == 201);
    auto g = generated.json()["keypair"];
    CHECK(g["type"] == "ssh");
    CHECK(g["private_key"].get<std::string>().rfind("-----BEGIN RSA PRIVATE KEY-----", 0) == 0);
    CHECK(g["public_key"].get<std::string>().rfind("ssh-rsa ", 0) == 0);
    auto x509 = cloud.Call("POST", "/os-keypairs", As("demo:demo", "2.2"), {{"keypair", {{"name", "cert"}, {"type", "x509"}}}});
    REQUIRE(x509.status == 201);
    CHECK(x509.json()["keypair"]["public_key"].get<std::string>().rfind("-----BEGIN CERTIFICATE-----", 0) == 0);
    auto no_key = cloud.Call("POST", "/os-keypairs", As("demo:demo", "2.92"), {{"keypair", {{"name", "gen2"}}}});
    CHECK(no_key.status == 400);
    CHECK(no_key.json()["badRequest"]["message"].get<std::string>().find("'public_key' is a required property") != std::string::npos);
    CHECK(cloud.Call("POST", "/os-keypairs", As("demo:demo", "2.91"), {{"keypair", {{"name", "a.b@c"}, {"public_key", pub}}}}).status == 400);
    CHECK(cloud.Call("POST", "/os-keypairs", As("demo:demo", "2.92"), {{"keypair", {{"name", "a.b@c"}, {"public_key", pub}}}}).status == 201);

    // List (by name), show, per user.
    auto list = cloud.Call("GET", "/os-keypairs", As("demo:demo", "2.2")).json()["keypairs"];
    REQUIRE(list.size() == 4);
    CHECK(list[0]["keypair"]["name"] == "a.b@c");
    CHECK(list[0]["keypair"].contains("type"));
    CHECK_FALSE(cloud.Call("GET", "/os-keypairs", As("demo:demo", "2.1")).json()["keypairs"][0]["keypair"].contains("type"));
    CHECK(cloud.Call("GET", "/os-keypairs", As("other:demo")).json()["keypairs"].empty());
    auto shown = cloud.Call("GET", "/os-keypairs/k1", As("demo:demo", "2.2")).json()["keypair"];
    CHECK(shown["user_id"] == "demo");
    CHECK(shown["deleted"] == false);
    CHECK(shown["deleted_at"].is_null());
    CHECK(shown["type"] == "ssh");
    CHECK(shown["id"].is_number_integer());
    CHECK(shown["created_at"].get<std::string>().size() == 26);
    auto missing = cloud.Call("GET", "/os-keypairs/k1", As("other:demo"));
    CHECK(missing.status == 404);
    CHECK(missing.json()["itemNotFound"]["message"] == "Keypair k1 not found for user other");

    // 2.10: an admin acts for another user; a member may not.
    CHECK(cloud.Admin("GET", "/os-keypairs?user_id=demo", "2.10").json()["keypairs"].size() == 4);
    CHECK(cloud.Admin("GET", "/os-keypairs?user_id=demo", "2.9").json()["keypairs"].empty());
    auto foreign = cloud.Call("GET", "/os-keypairs?user_id=admin", As("demo:demo", "2.10"));
    CHECK(foreign.status == 403);
    CHECK(ForbiddenMessage(foreign) == "Policy doesn't allow os_compute_api:os-keypairs:index to be performed.");
    auto for_demo = cloud.Admin("POST", "/os-keypairs", "2.10", {{"keypair", {{"name", "by-admin"}, {"public_key", pub}, {"user_id", "demo"}}}});
    CHECK(for_demo.status == 201);
    CHECK(for_demo.json()["keypair"]["user_id"] == "demo");
    CHECK(cloud.Call("POST", "/os-keypairs", As("demo:demo", "2.10"), {{"keypair", {{"name", "x"}, {"public_key", pub}, {"user_id", "admin"}}}}).status == 403);

    // 2.35 paging by name.
    auto page = cloud.Call("GET", "/os-keypairs?limit=2", As("demo:demo", "2.35")).json();
    REQUIRE(page["keypairs"].size() == 2);
    CHECK(page["keypairs_links"][0]["href"].get<std::string>().find("marker=by-admin") != std::string::npos);
    auto page2 = cloud.Call("GET", "/os-keypairs?limit=2&marker=by-admin", As("demo:demo", "2.35")).json();
    CHECK(page2["keypairs"][0]["keypair"]["name"] == "cert");
    CHECK(cloud.Call("GET", "/os-keypairs?marker=zzz", As("demo:demo", "2.35")).json()["badRequest"]["message"] ==
          "Marker zzz could not be found.");
    CHECK(cloud.Call("GET", "/os-keypairs?limit=-1", As("demo:demo", "2.35")).status == 400);

    CHECK(cloud.Call("DELETE", "/os-keypairs/k1", As("demo:demo", "2.1")).status == 202);
    CHECK(cloud.Call("DELETE", "/os-keypairs/gen", As("demo:demo", "2.2")).status == 204);
    CHECK(cloud.Call("DELETE", "/os-keypairs/gen", As("demo:demo", "2.2")).status == 404);
    CHECK(cloud.Admin("DELETE", "/os-keypairs/cert?user_id=demo", "2.10").status == 204);
}

TEST_CASE("key pairs with openstackclient, and the key_pairs quota") {
    Cloud cloud;
    std::ofstream(cloud.process().dir() / "id.pub")
        << "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCyT4G1PpPh1WPUmWQZCEsTjjlOC+F3WqL9A///EbO9VzRpa+2zlIRgMa+hl7/pnvTZuv/"
           "psqxQcLGDvpLRqvGF5bTQ4So/DiBBs9g/ekHmohtUpf9PyWXxr8oY5M3h5y2zdeiXy6qOSFXJxAKEJpX6ABCff//JTSgZrtruuZ0t9w== test@nova\n";
    int rc = -1;
    auto out = cloud.Openstack("keypair create --public-key " + (cloud.process().dir() / "id.pub").string() + " mykey -f json", &rc, "demo:demo");
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(Json::parse(out, nullptr, false)["fingerprint"] == "01:d6:b4:eb:d1:39:b3:87:d0:29:c9:af:5e:8b:2e:e9");
    out = cloud.Openstack("keypair list -f json", &rc, "demo:demo");
    REQUIRE_MESSAGE(rc == 0, out);
    auto listed = Json::parse(out, nullptr, false);
    REQUIRE(listed.size() == 1);
    CHECK(listed[0]["Name"] == "mykey");
    CHECK(listed[0]["Fingerprint"] == "01:d6:b4:eb:d1:39:b3:87:d0:29:c9:af:5e:8b:2e:e9");
    out = cloud.Openstack("keypair show mykey -f json", &rc, "demo:demo");
    CHECK_MESSAGE(rc == 0, out);
    CHECK(Json::parse(out, nullptr, false)["user_id"] == "demo");
    out = cloud.Openstack("keypair delete mykey", &rc, "demo:demo");
    CHECK_MESSAGE(rc == 0, out);
    CHECK(Json::parse(cloud.Openstack("keypair list -f json", &rc, "demo:demo"), nullptr, false).empty());

    // A project limit of 1 key pair: the second is refused with Nova's 403.
    db::QuotaStore(cloud.api_db().pool(), cloud.clock()).CreateLimit("demo", "key_pairs", 1);
    const std::string pub = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHoxW4CJKy/wttO4mC9ugFYyQMKIvtVT21pZ2eFdr1DJ ed";
    CHECK(cloud.Call("POST", "/os-keypairs", As("demo:demo", "2.2"), {{"keypair", {{"name", "one"}, {"public_key", pub}}}}).status == 201);
    auto over = cloud.Call("POST", "/os-keypairs", As("demo:demo", "2.2"), {{"keypair", {{"name", "two"}, {"public_key", pub}}}});
    CHECK(over.status == 403);
    CHECK(ForbiddenMessage(over) == "Quota exceeded, too many key pairs.");
}

TEST_CASE("os-services and os-availability-zone over HTTP and with openstackclient") {
    Cloud cloud;
    auto compute1 = cloud.AddService("compute-1", "nova-compute");
    auto compute2 = cloud.AddService("compute-2", "nova-compute", /*up=*/false);
    auto conductor = cloud.AddService("controller", "nova-conductor");
    cloud.AddService("controller", "nova-osapi_compute");  // never listed

    auto list = cloud.Admin("GET", "/os-services", "2.1").json()["services"];
    REQUIRE(list.size() == 3);
    auto by_host = [&](const Json& services, const std::string& host, const std::string& binary) {
        for (const auto& s : services) {
            if (s["host"] == host && s["binary"] == binary) return s;
        }
        FAIL("no such service");
        return Json();
    };
    auto c1 = by_host(list, "compute-1", "nova-compute");
    CHECK(c1["id"] == compute1.id());
    CHECK(c1["zone"] == "nova");
    CHECK(c1["status"] == "enabled");
    CHECK(c1["state"] == "up");
    CHECK(c1["disabled_reason"].is_null());
    CHECK_FALSE(c1.contains("forced_down"));
    CHECK(by_host(list, "compute-2", "nova-compute")["state"] == "down");
    CHECK(by_host(list, "controller", "nova-conductor")["zone"] == "internal");
    CHECK(by_host(cloud.Admin("GET", "/os-services", "2.11").json()["services"], "compute-1", "nova-compute")["forced_down"] == false);
    CHECK(by_host(cloud.Admin("GET", "/os-services", "2.53").json()["services"], "compute-1", "nova-compute")["id"] == compute1.uuid());
    CHECK(cloud.Admin("GET", "/os-services?binary=nova-conductor").json()["services"].size() == 1);
    CHECK(cloud.Admin("GET", "/os-services?host=compute-2").json()["services"].size() == 1);
    auto denied = cloud.Call("GET", "/os-services", As("demo:demo"));
    CHECK(denied.status == 403);
    CHECK(ForbiddenMessage(denied) == "Policy doesn't allow os_compute_api:os-services:list to be performed.");

    // Before 2.53: actions on {host, binary}.
    auto disabled = cloud.Admin("PUT", "/os-services/disable-log-reason", "2.1",
                                {{"host", "compute-1"}, {"binary", "nova-compute"}, {"disabled_reason", "maintenance"}});
    CHECK(disabled.json() == Json({{"service", {{"host", "compute-1"}, {"binary", "nova-compute"}, {"status", "disabled"},
                                                {"disabled_reason", "maintenance"}}}}));
    CHECK(by_host(cloud.Admin("GET", "/os-services").json()["services"], "compute-1", "nova-compute")["disabled_reason"] == "maintenance");
    CHECK(cloud.Admin("PUT", "/os-services/enable", "2.1", {{"host", "compute-1"}, {"binary", "nova-compute"}}).json()["service"]["status"] == "enabled");
    // Below 2.11 the body schema has no forced_down (400, as Nova's validation answers first).
    CHECK(cloud.Admin("PUT", "/os-services/force-down", "2.10", {{"host", "compute-1"}, {"binary", "nova-compute"}, {"forced_down", true}}).status == 400);
    CHECK(cloud.Admin("PUT", "/os-services/force-down", "2.10", {{"host", "compute-1"}, {"binary", "nova-compute"}}).json()["itemNotFound"]["message"] == "Unknown action");
    CHECK(cloud.Admin("PUT", "/os-services/force-down", "2.11", {{"host", "compute-1"}, {"binary", "nova-compute"}, {"forced_down", true}}).json()["service"]["forced_down"] == true);
    CHECK(by_host(cloud.Admin("GET", "/os-services", "2.11").json()["services"], "compute-1", "nova-compute")["state"] == "down");
    auto conductor_update = cloud.Admin("PUT", "/os-services/disable", "2.1", {{"host", "controller"}, {"binary", "nova-conductor"}});
    CHECK(conductor_update.json()["badRequest"]["message"] ==
          "Updating a nova-conductor service is not supported. Only nova-compute services can be updated.");
    CHECK(cloud.Admin("PUT", "/os-services/disable", "2.1", {{"host", "nowhere"}, {"binary", "nova-compute"}}).status == 404);

    // 2.53: by uuid.
    auto put = cloud.Admin("PUT", "/os-services/" + compute1.uuid(), "2.53", {{"status", "disabled"}, {"disabled_reason", "rack move"}, {"forced_down", false}});
    REQUIRE_MESSAGE(put.status == 200, put.body);
    auto svc = put.json()["service"];
    CHECK(svc["id"] == compute1.uuid());
    CHECK(svc["status"] == "disabled");
    CHECK(svc["disabled_reason"] == "rack move");
    CHECK(svc["forced_down"] == false);
    CHECK(svc["state"] == "up");
    CHECK(cloud.Admin("PUT", "/os-services/" + compute1.uuid(), "2.53", Json::object()).json()["badRequest"]["message"] ==
          "No updates were requested. Fields 'status' or 'forced_down' should be specified.");
    CHECK(cloud.Admin("PUT", "/os-services/" + compute1.uuid(), "2.53", {{"status", "enabled"}, {"disabled_reason", "x"}}).json()["badRequest"]["message"] ==
          "Specifying 'disabled_reason' with status 'enabled' is invalid.");
    CHECK(cloud.Admin("PUT", "/os-services/" + conductor.uuid(), "2.53", {{"status", "disabled"}}).status == 400);
    CHECK(cloud.Admin("PUT", "/os-services/1", "2.53", {{"status", "disabled"}}).json()["badRequest"]["message"] == "Invalid uuid 1");
    CHECK(cloud.Admin("PUT", "/os-services/" + nova::GenerateUuid(), "2.53", {{"status", "disabled"}}).status == 404);

    // Availability zones: compute-1 is disabled, compute-2 enabled; an aggregate AZ moves compute-2.
    auto zones = cloud.Call("GET", "/os-availability-zone", As("demo:demo")).json()["availabilityZoneInfo"];
    CHECK(zones == Json::parse(R"([{"zoneName": "nova", "zoneState": {"available": true}, "hosts": null}])"));
    objects::Aggregate agg;
    agg.set_uuid(nova::GenerateUuid());
    agg.set_name("rack2");
    agg.add_hosts("compute-2");
    (*agg.mutable_metadata())["availability_zone"] = "az2";
    db::AggregateStore(cloud.api_db().pool(), cloud.clock()).Create(agg);
    zones = cloud.Call("GET", "/os-availability-zone", As("demo:demo")).json()["availabilityZoneInfo"];
    CHECK(zones == Json::parse(R"([{"zoneName": "az2", "zoneState": {"available": true}, "hosts": null},
                                   {"zoneName": "nova", "zoneState": {"available": false}, "hosts": null}])"));
    CHECK(cloud.Call("GET", "/os-availability-zone/detail", As("demo:demo")).status == 403);
    auto detail = cloud.Admin("GET", "/os-availability-zone/detail").json()["availabilityZoneInfo"];
    REQUIRE(detail.size() == 3);
    CHECK(detail[0]["zoneName"] == "az2");
    CHECK(detail[0]["hosts"]["compute-2"]["nova-compute"]["available"] == false);
    CHECK(detail[0]["hosts"]["compute-2"]["nova-compute"]["active"] == true);
    CHECK(detail[1]["zoneName"] == "internal");
    CHECK(detail[1]["hosts"]["controller"]["nova-conductor"]["available"] == true);
    CHECK_FALSE(detail[1]["hosts"]["controller"].contains("nova-osapi_compute"));
    CHECK(detail[2] == Json::parse(R"({"zoneName": "nova", "zoneState": {"available": false}, "hosts": null})"));

    // openstackclient.
    int rc = -1;
    auto out = cloud.Openstack("compute service list -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    auto osc = Json::parse(out, nullptr, false);
    REQUIRE(osc.size() == 3);
    std::map<std::string, Json> by_name;
    for (const auto& s : osc) by_name[s["Host"].get<std::string>() + "/" + s["Binary"].get<std::string>()] = s;
    CHECK(by_name["compute-1/nova-compute"]["Status"] == "disabled");
    CHECK(by_name["compute-2/nova-compute"]["Zone"] == "az2");
    CHECK(by_name["compute-2/nova-compute"]["State"] == "down");
    out = cloud.Openstack("compute service set --enable compute-1 nova-compute", &rc);
    CHECK_MESSAGE(rc == 0, out);
    out = cloud.Openstack("compute service set --disable --disable-reason drained compute-2 nova-compute", &rc);
    CHECK_MESSAGE(rc == 0, out);
    osc = Json::parse(cloud.Openstack("compute service list --long -f json", &rc), nullptr, false);
    for (const auto& s : osc) by_name[s["Host"].get<std::string>() + "/" + s["Binary"].get<std::string>()] = s;
    CHECK(by_name["compute-1/nova-compute"]["Status"] == "enabled");
    CHECK(by_name["compute-2/nova-compute"]["Status"] == "disabled");
    CHECK(by_name["compute-2/nova-compute"]["Disabled Reason"] == "drained");
    out = cloud.Openstack("availability zone list --compute -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    auto az = Json::parse(out, nullptr, false);
    // novaclient asks for the detail, so an admin also sees the internal zone.
    std::map<std::string, std::string> az_status;
    for (const auto& z : az) az_status[z["Zone Name"]] = z["Zone Status"];
    CHECK(az_status == std::map<std::string, std::string>{{"az2", "not available"}, {"internal", "available"}, {"nova", "available"}});

    // DELETE: refused while the compute hosts instances; then the service, its nodes,
    // aggregate membership and host mapping go.
    cloud.AddNode(compute2, "node-2");
    auto instance = cloud.AddInstance("compute-2", "vm");
    auto busy = cloud.Admin("DELETE", "/os-services/" + compute2.uuid(), "2.53");
    CHECK(busy.status == 409);
    CHECK(busy.json()["conflictingRequest"]["message"] ==
          "Unable to delete compute service that is hosting instances. Migrate or delete the instances first.");
    db::InstanceStore(cloud.cell_db().pool(), cloud.clock()).Destroy(instance);
    auto deleted = cloud.Admin("DELETE", "/os-services/" + compute2.uuid(), "2.53");
    CHECK_MESSAGE(deleted.status == 204, deleted.body);
    CHECK(cloud.Admin("GET", "/os-services").json()["services"].size() == 2);
    CHECK(db::AggregateStore(cloud.api_db().pool(), cloud.clock()).GetByUuid(agg.uuid()).hosts().empty());
    CHECK_THROWS(db::HostMappingStore(cloud.api_db().pool(), cloud.clock()).GetByHost("compute-2"));
    CHECK(db::ComputeNodeStore(cloud.cell_db().pool(), cloud.clock()).GetAllByHost("compute-2").empty());
    CHECK(cloud.Admin("DELETE", "/os-services/" + compute2.uuid(), "2.53").status == 404);
    CHECK(cloud.Admin("DELETE", "/os-services/abc", "2.1").status == 400);
    CHECK(cloud.Admin("DELETE", "/os-services/" + std::to_string(conductor.id()), "2.1").status == 204);
    CHECK(cloud.Call("DELETE", "/os-services/" + std::to_string(compute1.id()), As("demo:demo")).status == 403);
}

TEST_CASE("os-hypervisors over HTTP and with openstackclient") {
    Cloud cloud;
    auto compute1 = cloud.AddService("compute-1", "nova-compute");
    auto compute2 = cloud.AddService("compute-2", "nova-compute");
    auto node1 = cloud.AddNode(compute1, "node-1.example.org");
    auto node2 = cloud.AddNode(compute2, "node-2.example.org");
    // A node whose host has no compute service (deleted) is left out, as in Nova.
    objects::Service ghost;
    ghost.set_id(999);
    ghost.set_host("ghost");
    cloud.AddNode(ghost, "ghost-node");
    auto vm = cloud.AddInstance("compute-1", "vm-1");

    auto denied = cloud.Call("GET", "/os-hypervisors", As("demo:demo"));
    CHECK(denied.status == 403);
    CHECK(ForbiddenMessage(denied) == "Policy doesn't allow os_compute_api:os-hypervisors:list to be performed.");

    auto list = cloud.Admin("GET", "/os-hypervisors", "2.1").json();
    CHECK(list == Json({{"hypervisors", {{{"id", node1.id()}, {"hypervisor_hostname", "node-1.example.org"}, {"state", "up"}, {"status", "enabled"}},
                                         {{"id", node2.id()}, {"hypervisor_hostname", "node-2.example.org"}, {"state", "up"}, {"status", "enabled"}}}}}));

    auto d21 = cloud.Admin("GET", "/os-hypervisors/detail", "2.1").json()["hypervisors"][0];
    CHECK(d21["cpu_info"] == R"({"arch": "x86_64", "model": "Nehalem", "vendor": "Intel"})");
    CHECK(d21["vcpus"] == 8);
    CHECK(d21["memory_mb_used"] == 2560);
    CHECK(d21["disk_available_least"] == 80);
    CHECK(d21["hypervisor_type"] == "QEMU");
    CHECK(d21["host_ip"] == "192.0.2.5");
    CHECK(d21["service"] == Json({{"id", compute1.id()}, {"host", "compute-1"}, {"disabled_reason", nullptr}}));
    CHECK_FALSE(d21.contains("uptime"));
    auto d228 = cloud.Admin("GET", "/os-hypervisors/detail", "2.28").json()["hypervisors"][0];
    CHECK(d228["cpu_info"]["model"] == "Nehalem");
    auto d288 = cloud.Admin("GET", "/os-hypervisors/detail", "2.88").json()["hypervisors"][0];
    CHECK(d288["id"] == node1.uuid());
    CHECK(d288["service"]["id"] == compute1.uuid());
    CHECK(d288.contains("uptime"));
    for (const char* gone : {"vcpus", "memory_mb", "local_gb", "vcpus_used", "cpu_info", "running_vms", "disk_available_least"}) {
        CHECK_FALSE(d288.contains(gone));
    }

    // Show: integer ids below 2.53 (404 otherwise), uuids from it (400 otherwise).
    CHECK(cloud.Admin("GET", "/os-hypervisors/" + std::to_string(node2.id()), "2.1").json()["hypervisor"]["hypervisor_hostname"] == "node-2.example.org");
    CHECK(cloud.Admin("GET", "/os-hypervisors/abc", "2.1").json()["itemNotFound"]["message"] == "Hypervisor with ID 'abc' could not be found.");
    CHECK(cloud.Admin("GET", "/os-hypervisors/" + node2.uuid(), "2.53").json()["hypervisor"]["id"] == node2.uuid());
    CHECK(cloud.Admin("GET", "/os-hypervisors/12", "2.53").json()["badRequest"]["message"] == "Invalid uuid 12");
    auto with_servers = cloud.Admin("GET", "/os-hypervisors/" + node1.uuid() + "?with_servers=true", "2.53").json()["hypervisor"];
    CHECK(with_servers["servers"] == Json({{{"name", "vm-1"}, {"uuid", vm.uuid()}}}));
    CHECK(cloud.Admin("GET", "/os-hypervisors/" + node2.uuid() + "?with_servers=1", "2.75").json()["hypervisor"]["servers"] == Json::array());
    CHECK_FALSE(cloud.Admin("GET", "/os-hypervisors/" + node2.uuid() + "?with_servers=1", "2.74").json()["hypervisor"].contains("servers"));

    // 2.33 paging (ids), 2.53 paging (uuids) and the hostname pattern.
    auto page = cloud.Admin("GET", "/os-hypervisors?limit=1", "2.33").json();
    REQUIRE(page["hypervisors"].size() == 1);
    CHECK(page["hypervisors_links"][0]["href"].get<std::string>().find("marker=" + std::to_string(node1.id())) != std::string::npos);
    auto page2 = cloud.Admin("GET", "/os-hypervisors?limit=1&marker=" + node1.uuid(), "2.53").json();
    CHECK(page2["hypervisors"][0]["id"] == node2.uuid());
    CHECK(cloud.Admin("GET", "/os-hypervisors?marker=nope", "2.53").json()["badRequest"]["message"] == "marker [nope] not found");
    auto matched = cloud.Admin("GET", "/os-hypervisors?hypervisor_hostname_pattern=node-2", "2.53").json();
    CHECK(matched["hypervisors"].size() == 1);
    CHECK(cloud.Admin("GET", "/os-hypervisors?hypervisor_hostname_pattern=zzz", "2.53").json()["itemNotFound"]["message"] ==
          "No hypervisor matching 'zzz' could be found.");
    CHECK(cloud.Admin("GET", "/os-hypervisors?hypervisor_hostname_pattern=node&limit=1", "2.53").status == 400);
    CHECK(cloud.Admin("GET", "/os-hypervisors?foo=1", "2.53").status == 400);
    CHECK(cloud.Admin("GET", "/os-hypervisors/node/search", "2.1").json()["hypervisors"].size() == 2);
    CHECK(cloud.Admin("GET", "/os-hypervisors/node-1/servers", "2.1").json()["hypervisors"][0]["servers"][0]["uuid"] == vm.uuid());
    CHECK(cloud.Admin("GET", "/os-hypervisors/node/search", "2.53").status == 404);
    CHECK(cloud.Admin("GET", "/os-hypervisors/" + std::to_string(node1.id()) + "/uptime", "2.1").status == 501);
    CHECK(cloud.Admin("GET", "/os-hypervisors/9999/uptime", "2.1").status == 404);
    CHECK(cloud.Admin("GET", "/os-hypervisors/" + node1.uuid() + "/uptime", "2.88").status == 404);

    // Statistics until 2.87 (enabled computes only).
    cloud.Admin("PUT", "/os-services/disable", "2.1", {{"host", "compute-2"}, {"binary", "nova-compute"}});
    auto stats = cloud.Admin("GET", "/os-hypervisors/statistics", "2.87").json()["hypervisor_statistics"];
    CHECK(stats == Json({{"count", 1}, {"vcpus", 8}, {"memory_mb", 16384}, {"local_gb", 100}, {"vcpus_used", 2},
                         {"memory_mb_used", 2560}, {"local_gb_used", 10}, {"free_ram_mb", 13824}, {"free_disk_gb", 90},
                         {"current_workload", 0}, {"running_vms", 1}, {"disk_available_least", 80}}));
    auto gone = cloud.Admin("GET", "/os-hypervisors/statistics", "2.88");
    CHECK(gone.status == 404);
    CHECK(gone.json()["itemNotFound"]["message"] == "The resource could not be found.");
    CHECK(cloud.Admin("GET", "/os-hypervisors/detail", "2.53").json()["hypervisors"][1]["status"] == "disabled");

    int rc = -1;
    auto out = cloud.Openstack("hypervisor list -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    auto osc = Json::parse(out, nullptr, false);
    REQUIRE(osc.size() == 2);
    CHECK(osc[0]["Hypervisor Hostname"] == "node-1.example.org");
    CHECK(osc[0]["Hypervisor Type"] == "QEMU");
    CHECK(osc[0]["Host IP"] == "192.0.2.5");
    CHECK(osc[0]["State"] == "up");
    out = cloud.Openstack("hypervisor show node-2.example.org -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    auto shown = Json::parse(out, nullptr, false);
    CHECK(shown["id"] == node2.id());  // openstackclient stays at 2.1 here
    CHECK(shown["status"] == "disabled");
    CHECK(shown["service_host"] == "compute-2");
}

TEST_CASE("os-aggregates over HTTP and with openstackclient") {
    Cloud cloud;
    cloud.AddService("compute-1", "nova-compute");
    cloud.AddService("compute-2", "nova-compute");

    auto created = cloud.Admin("POST", "/os-aggregates", "2.41", {{"aggregate", {{"name", "rack1"}, {"availability_zone", "az1"}}}});
    REQUIRE_MESSAGE(created.status == 200, created.body);
    auto a = created.json()["aggregate"];
    CHECK(a["name"] == "rack1");
    CHECK(a["availability_zone"] == "az1");
    CHECK(a["deleted"] == false);
    CHECK(nova::api::validation::IsUuidLike(a["uuid"].get<std::string>()));
    CHECK_FALSE(a.contains("hosts"));
    CHECK_FALSE(a.contains("metadata"));
    auto id = std::to_string(a["id"].get<int>());
    CHECK(cloud.Admin("POST", "/os-aggregates", "", {{"aggregate", {{"name", "rack1"}}}}).json()["conflictingRequest"]["message"] ==
          "Aggregate rack1 already exists.");
    auto member = cloud.Call("GET", "/os-aggregates", As("demo:demo"));
    CHECK(member.status == 403);
    CHECK(ForbiddenMessage(member) == "Policy doesn't allow os_compute_api:os-aggregates:index to be performed.");
    CHECK_FALSE(cloud.Admin("GET", "/os-aggregates/" + id, "2.40").json()["aggregate"].contains("uuid"));
    CHECK(cloud.Admin("GET", "/os-aggregates/abc").json()["badRequest"]["message"] == "Invalid input received: id must be an integer");
    CHECK(cloud.Admin("GET", "/os-aggregates/999").json()["itemNotFound"]["message"] == "Aggregate 999 could not be found.");

    // Hosts: only mapped computes; a host may be in one zone only.
    auto added = cloud.Admin("POST", "/os-aggregates/" + id + "/action", "", {{"add_host", {{"host", "compute-1"}}}});
    REQUIRE_MESSAGE(added.status == 200, added.body);
    CHECK(added.json()["aggregate"]["hosts"] == Json({"compute-1"}));
    CHECK(added.json()["aggregate"]["metadata"] == Json({{"availability_zone", "az1"}}));
    CHECK(cloud.Admin("POST", "/os-aggregates/" + id + "/action", "", {{"add_host", {{"host", "compute-1"}}}}).json()["conflictingRequest"]["message"] ==
          "Aggregate " + id + " already has host compute-1.");
    CHECK(cloud.Admin("POST", "/os-aggregates/" + id + "/action", "", {{"add_host", {{"host", "nowhere"}}}}).json()["itemNotFound"]["message"] ==
          "Host 'nowhere' is not mapped to any cell");
    auto other = cloud.Admin("POST", "/os-aggregates", "", {{"aggregate", {{"name", "rack2"}, {"availability_zone", "az2"}}}}).json()["aggregate"];
    auto other_id = std::to_string(other["id"].get<int>());
    auto conflict = cloud.Admin("POST", "/os-aggregates/" + other_id + "/action", "", {{"add_host", {{"host", "compute-1"}}}});
    CHECK(conflict.status == 409);
    CHECK(conflict.json()["conflictingRequest"]["message"] ==
          "Cannot add host to aggregate " + other_id + ". Reason: One or more hosts already in availability zone(s) ['az1'].");
    auto empty_zone = cloud.Admin("POST", "/os-aggregates/" + id + "/action", "", {{"set_metadata", {{"metadata", {{"availability_zone", nullptr}}}}}});
    CHECK(empty_zone.json()["badRequest"]["message"] ==
          "Cannot update metadata of aggregate " + id + ". Reason: Aggregate rack1 does not support empty named availability zone.");
    auto meta = cloud.Admin("POST", "/os-aggregates/" + id + "/action", "", {{"set_metadata", {{"metadata", {{"ssd", "true"}, {"gpu", nullptr}}}}}});
    CHECK(meta.json()["aggregate"]["metadata"] == Json({{"availability_zone", "az1"}, {"ssd", "true"}}));
    CHECK(cloud.Admin("POST", "/os-aggregates/" + id + "/action", "", {{"set_metadata", {{"metadata", {{"ssd", nullptr}}}}}}).json()["aggregate"]["metadata"] ==
          Json({{"availability_zone", "az1"}}));

    // A zone change is refused while a host runs instances.
    cloud.AddInstance("compute-1", "vm");
    auto busy = cloud.Admin("PUT", "/os-aggregates/" + id, "", {{"aggregate", {{"availability_zone", "az9"}}}});
    CHECK(busy.json()["badRequest"]["message"] == "Cannot update aggregate " + id + ". Reason: One or more hosts contain instances in this zone.");
    auto renamed = cloud.Admin("PUT", "/os-aggregates/" + id, "", {{"aggregate", {{"name", " rack-one "}}}});
    CHECK(renamed.json()["aggregate"]["name"] == "rack-one");
    CHECK(cloud.Admin("PUT", "/os-aggregates/" + id, "", {{"aggregate", Json::object()}}).status == 400);

    // The services list shows the aggregate's zone.
    auto services = cloud.Admin("GET", "/os-services?host=compute-1").json()["services"];
    CHECK(services[0]["zone"] == "az1");

    auto not_empty = cloud.Admin("DELETE", "/os-aggregates/" + id);
    CHECK(not_empty.json()["badRequest"]["message"] == "Cannot remove host from aggregate " + id + ". Reason: Host aggregate is not empty.");
    CHECK(cloud.Admin("POST", "/os-aggregates/" + id + "/action", "", {{"remove_host", {{"host", "compute-2"}}}}).json()["itemNotFound"]["message"] ==
          "Cannot remove host compute-2 in aggregate " + id);
    CHECK(cloud.Admin("POST", "/os-aggregates/" + id + "/action", "", {{"remove_host", {{"host", "compute-1"}}}}).json()["aggregate"]["hosts"] ==
          Json::array());
    CHECK(cloud.Admin("DELETE", "/os-aggregates/" + id).status == 200);
    CHECK(cloud.Admin("GET", "/os-aggregates").json()["aggregates"].size() == 1);

    // openstackclient.
    int rc = -1;
    auto out = cloud.Openstack("aggregate create --zone az3 osc-agg -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(Json::parse(out, nullptr, false)["availability_zone"] == "az3");
    out = cloud.Openstack("aggregate add host osc-agg compute-2 -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    out = cloud.Openstack("aggregate set --property ssd=true osc-agg", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    out = cloud.Openstack("aggregate show osc-agg -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    auto shown = Json::parse(out, nullptr, false);
    CHECK(shown["hosts"] == Json({"compute-2"}));
    CHECK(shown["properties"]["ssd"] == "true");
    CHECK(shown["availability_zone"] == "az3");
    out = cloud.Openstack("aggregate list -f json", &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(Json::parse(out, nullptr, false).size() == 2);
}

TEST_CASE("os-server-groups over HTTP and with openstackclient") {
    Cloud cloud;
    auto v21 = cloud.Call("POST", "/os-server-groups", As("demo:demo", "2.1"), {{"server_group", {{"name", "g1"}, {"policies", {"affinity"}}}}});
    REQUIRE_MESSAGE(v21.status == 200, v21.body);
    CHECK(v21.json()["server_group"] == Json({{"id", v21.json()["server_group"]["id"]}, {"name", "g1"}, {"policies", {"affinity"}},
                                              {"metadata", Json::object()}, {"members", Json::array()}}));
    CHECK(cloud.Call("POST", "/os-server-groups", As("demo:demo", "2.14"), {{"server_group", {{"name", "g"}, {"policies", {"soft-affinity"}}}}}).status == 400);
    auto v215 = cloud.Call("POST", "/os-server-groups", As("demo:demo", "2.15"), {{"server_group", {{"name", "g2"}, {"policies", {"soft-affinity"}}}}});
    CHECK(v215.json()["server_group"]["project_id"] == "demo");
    auto v264 = cloud.Call("POST", "/os-server-groups", As("demo:demo", "2.64"),
                           {{"server_group", {{"name", "g3"}, {"policy", "anti-affinity"}, {"rules", {{"max_server_per_host", 2}}}}}});
    REQUIRE_MESSAGE(v264.status == 200, v264.body);
    auto g3 = v264.json()["server_group"];
    CHECK(g3["policy"] == "anti-affinity");
    CHECK(g3["rules"] == Json({{"max_server_per_host", 2}}));
    CHECK_FALSE(g3.contains("policies"));
    CHECK(cloud.Call("POST", "/os-server-groups", As("demo:demo", "2.64"),
                     {{"server_group", {{"name", "g4"}, {"policy", "affinity"}, {"rules", {{"max_server_per_host", 2}}}}}}).json()["badRequest"]["message"] ==
          "Only anti-affinity policy supports rules.");

    auto mine = cloud.Call("GET", "/os-server-groups", As("demo:demo", "2.64")).json()["server_groups"];
    REQUIRE(mine.size() == 3);
    CHECK(mine[0]["policy"] == "affinity");
    CHECK(mine[2]["rules"]["max_server_per_host"] == 2);
    CHECK(cloud.Call("GET", "/os-server-groups?limit=1&offset=1", As("demo:demo")).json()["server_groups"][0]["name"] == "g2");
    CHECK(cloud.Call("GET", "/os-server-groups", As("other:other")).json()["server_groups"].empty());
    CHECK(cloud.Call("GET", "/os-server-groups?all_projects=1", As("other:other")).json()["server_groups"].empty());
    CHECK(cloud.Admin("GET", "/os-server-groups?all_projects=1").json()["server_groups"].size() == 3);
    CHECK(cloud.Admin("GET", "/os-server-groups").json()["server_groups"].empty());

    auto id = g3["id"].get<std::string>();
    CHECK(cloud.Call("GET", "/os-server-groups/" + id, As("demo:demo", "2.13")).json()["server_group"]["user_id"] == "demo");
    auto foreign = cloud.Call("GET", "/os-server-groups/" + id, As("other:other"));
    CHECK(foreign.status == 403);
    CHECK(ForbiddenMessage(foreign) == "Policy doesn't allow os_compute_api:os-server-groups:show to be performed.");
    auto missing = cloud.Call("GET", "/os-server-groups/" + nova::GenerateUuid(), As("demo:demo"));
    CHECK(missing.status == 404);
    CHECK(cloud.Call("DELETE", "/os-server-groups/" + id, As("other:other")).status == 403);
    CHECK(cloud.Call("DELETE", "/os-server-groups/" + id, As("demo:demo")).status == 204);
    CHECK(cloud.Call("DELETE", "/os-server-groups/" + id, As("demo:demo")).status == 404);

    // Members: only instances that still exist.
    auto group = db::InstanceGroupStore(cloud.api_db().pool(), cloud.clock()).GetByUuid(v21.json()["server_group"]["id"]);
    auto alive = cloud.AddInstance("compute-1", "alive");
    auto dead = cloud.AddInstance("compute-1", "dead");
    for (const auto& inst : {alive, dead}) {
        objects::InstanceMapping m;
        m.set_instance_uuid(inst.uuid());
        m.set_project_id("demo");
        m.set_user_id("demo");
        *m.mutable_cell_mapping() = db::CellMappingStore(cloud.api_db().pool(), cloud.clock()).GetAll().front();
        m.set_queued_for_delete(false);
        db::InstanceMappingStore(cloud.api_db().pool(), cloud.clock()).Create(m);
    }
    db::InstanceGroupStore(cloud.api_db().pool(), cloud.clock()).AddMembers(group.uuid(), {alive.uuid(), dead.uuid()});
    db::InstanceStore(cloud.cell_db().pool(), cloud.clock()).Destroy(dead);
    CHECK(cloud.Call("GET", "/os-server-groups/" + group.uuid(), As("demo:demo")).json()["server_group"]["members"] == Json({alive.uuid()}));

    // The server_groups quota.
    db::QuotaStore(cloud.api_db().pool(), cloud.clock()).CreateLimit("demo", "server_groups", 2);
    auto over = cloud.Call("POST", "/os-server-groups", As("demo:demo", "2.64"), {{"server_group", {{"name", "g5"}, {"policy", "affinity"}}}});
    CHECK(over.status == 403);
    CHECK(ForbiddenMessage(over) == "Quota exceeded, too many server groups.");

    int rc = -1;
    auto out = cloud.Openstack("server group create --policy anti-affinity osc-group -f json", &rc, "admin:admin");
    REQUIRE_MESSAGE(rc == 0, out);
    auto created = Json::parse(out, nullptr, false);
    CHECK(created["name"] == "osc-group");
    CHECK(created["policy"] == "anti-affinity");
    out = cloud.Openstack("server group list -f json", &rc, "admin:admin");
    REQUIRE_MESSAGE(rc == 0, out);
    auto listed = Json::parse(out, nullptr, false);
    REQUIRE(listed.size() == 1);
    CHECK(listed[0]["Name"] == "osc-group");
    out = cloud.Openstack("server group list --all-projects -f json", &rc, "admin:admin");
    CHECK(Json::parse(out, nullptr, false).size() == 3);
    out = cloud.Openstack("server group delete osc-group", &rc, "admin:admin");
    CHECK_MESSAGE(rc == 0, out);
}

TEST_CASE("limits and os-quota-sets over HTTP and with openstackclient") {
    Cloud cloud;
    // Usage: two instances of demo (one soft-deleted, not counted) with 2 vcpus / 1 GiB each, a key pair, a group.
    for (const char* state : {"active", "active", "soft-delete"}) {
        objects::Instance i;
        i.set_uuid(nova::GenerateUuid());
        i.set_project_id("demo");
        i.set_user_id("demo");
        i.set_vcpus(2);
        i.set_memory_mb(1024);
        i.set_vm_state(state);
        db::InstanceStore(cloud.cell_db().pool(), cloud.clock()).Create(i);
    }
    cloud.Call("POST", "/os-keypairs", As("demo:demo", "2.2"),
               {{"keypair", {{"name", "k"}, {"public_key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHoxW4CJKy/wttO4mC9ugFYyQMKIvtVT21pZ2eFdr1DJ"}}}});
    cloud.Call("POST", "/os-server-groups", As("demo:demo", "2.64"), {{"server_group", {{"name", "g"}, {"policy", "affinity"}}}});

    auto limits = cloud.Call("GET", "/limits", As("demo:demo", "2.93")).json();
    CHECK(limits == Json::parse(R"({"limits": {"rate": [], "absolute": {
        "maxTotalInstances": 10, "maxTotalCores": 20, "maxTotalRAMSize": 51200, "maxServerMeta": 128,
        "maxTotalKeypairs": 100, "maxServerGroups": 10, "maxServerGroupMembers": 10,
        "totalRAMUsed": 2048, "totalCoresUsed": 4, "totalInstancesUsed": 2, "totalServerGroupsUsed": 1}}})"));
    auto old = cloud.Call("GET", "/limits", As("demo:demo", "2.1")).json()["limits"]["absolute"];
    CHECK(old["maxImageMeta"] == 128);
    CHECK(old["maxPersonality"] == 5);
    CHECK(old["maxTotalFloatingIps"] == -1);
    CHECK(old["totalSecurityGroupsUsed"] == 0);
    CHECK(cloud.Call("GET", "/limits?tenant_id=other", As("demo:demo")).status == 403);
    CHECK(cloud.Admin("GET", "/limits?tenant_id=demo").json()["limits"]["absolute"]["totalInstancesUsed"] == 2);

    auto shown = cloud.Call("GET", "/os-quota-sets/demo", As("demo:demo", "2.57")).json();
    CHECK(shown == Json::parse(R"({"quota_set": {"id": "demo", "instances": 10, "cores": 20, "ram": 51200,
        "metadata_items": 128, "key_pairs": 100, "server_groups": 10, "server_group_members": 10}})"));
    CHECK(cloud.Call("GET", "/os-quota-sets/demo", As("demo:demo", "2.1")).json()["quota_set"]["fixed_ips"] == -1);
    CHECK(cloud.Call("GET", "/os-quota-sets/demo", As("demo:demo", "2.36")).json()["quota_set"]["injected_file_path_bytes"] == 255);
    CHECK(cloud.Call("GET", "/os-quota-sets/other", As("demo:demo")).status == 403);
    CHECK(cloud.Call("GET", "/os-quota-sets/other/defaults", As("demo:demo")).json()["quota_set"]["id"] == "other");
    auto detail = cloud.Call("GET", "/os-quota-sets/demo/detail", As("demo:demo", "2.57")).json()["quota_set"];
    CHECK(detail["instances"] == Json({{"limit", 10}, {"in_use", 2}, {"reserved", 0}}));
    CHECK(detail["cores"]["in_use"] == 4);
    CHECK(detail["key_pairs"]["in_use"] == 1);

    // Updates: admin only, not below usage unless forced, -1 unlimited.
    auto member = cloud.Call("PUT", "/os-quota-sets/demo", As("demo:demo"), {{"quota_set", {{"instances", 5}}}});
    CHECK(member.status == 403);
    CHECK(ForbiddenMessage(member) == "Policy doesn't allow os_compute_api:os-quota-sets:update to be performed.");
    auto updated = cloud.Admin("PUT", "/os-quota-sets/demo", "2.57", {{"quota_set", {{"instances", 5}, {"cores", "-1"}}}});
    REQUIRE_MESSAGE(updated.status == 200, updated.body);
    CHECK(updated.json()["quota_set"]["instances"] == 5);
    CHECK(updated.json()["quota_set"]["cores"] == -1);
    CHECK_FALSE(updated.json()["quota_set"].contains("id"));
    auto below = cloud.Admin("PUT", "/os-quota-sets/demo", "", {{"quota_set", {{"instances", 1}}}});
    CHECK(below.json()["badRequest"]["message"] ==
          "Quota limit 1 for instances must be greater than or equal to already used and reserved 2.");
    CHECK(cloud.Admin("PUT", "/os-quota-sets/demo", "", {{"quota_set", {{"instances", 1}, {"force", true}}}}).json()["quota_set"]["instances"] == 1);
    CHECK(cloud.Admin("PUT", "/os-quota-sets/demo", "2.1", {{"quota_set", {{"networks", 1}}}}).json()["badRequest"]["message"] ==
          "The networks quota has been removed");
    CHECK(cloud.Admin("PUT", "/os-quota-sets/demo", "2.57", {{"quota_set", {{"injected_files", 1}}}}).status == 400);
    CHECK(cloud.Admin("PUT", "/os-quota-sets/demo?user_id=demo", "", {{"quota_set", {{"key_pairs", 50}}}}).json()["quota_set"]["key_pairs"] == 50);
    CHECK(cloud.Call("GET", "/os-quota-sets/demo", As("demo:demo")).json()["quota_set"]["key_pairs"] == 100);
    CHECK(cloud.Call("GET", "/os-quota-sets/demo?user_id=demo", As("demo:demo")).json()["quota_set"]["key_pairs"] == 50);
    CHECK(cloud.Call("GET", "/limits", As("demo:demo")).json()["limits"]["absolute"]["maxTotalInstances"] == 1);
    CHECK(cloud.Admin("DELETE", "/os-quota-sets/demo?user_id=demo").status == 202);
    CHECK(cloud.Call("GET", "/os-quota-sets/demo?user_id=demo", As("demo:demo")).json()["quota_set"]["key_pairs"] == 100);
    CHECK(cloud.Admin("DELETE", "/os-quota-sets/demo").status == 202);
    CHECK(cloud.Call("GET", "/os-quota-sets/demo", As("demo:demo")).json()["quota_set"]["instances"] == 10);

    // openstackclient's quota commands (and novaclient's CLI) resolve the project through
    // Keystone, which this cloud has not got; openstacksdk, under them, takes the id as given.
    int rc = -1;
    auto out = cloud.Sdk("c.compute.update_quota_set(c.compute.get_quota_set('demo'), instances=7, ram=4096); "
                         "q = c.compute.get_quota_set('demo'); print(q.instances, q.ram, q.cores); "
                         "print(c.compute.get_quota_set_defaults('demo').instances)",
                         &rc);
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(out == "7 4096 20\n10\n");
}

TEST_CASE("os-migrations and os-instance-actions read the cell's rows") {
    Cloud cloud;
    auto& cell = cloud.cell_db().pool();
    auto vm = cloud.AddInstance("compute-1", "vm");
    objects::InstanceMapping mapping;
    mapping.set_instance_uuid(vm.uuid());
    mapping.set_project_id("demo");
    mapping.set_user_id("demo");
    *mapping.mutable_cell_mapping() = db::CellMappingStore(cloud.api_db().pool(), cloud.clock()).GetAll().front();
    mapping.set_queued_for_delete(false);
    db::InstanceMappingStore(cloud.api_db().pool(), cloud.clock()).Create(mapping);

    auto add_migration = [&](const std::string& type, const std::string& status, const std::string& source, bool hidden = false) {
        objects::Migration m;
        m.set_uuid(nova::GenerateUuid());
        m.set_instance_uuid(vm.uuid());
        m.set_source_compute(source);
        m.set_dest_compute("compute-2");
        m.set_source_node(source + "-node");
        m.set_dest_node("compute-2-node");
        m.set_dest_host("192.0.2.2");
        m.set_old_instance_type_id(1);
        m.set_new_instance_type_id(2);
        m.set_status(status);
        m.set_migration_type(type);
        m.set_hidden(hidden);
        m.set_cross_cell_move(false);
        m.set_user_id("demo");
        m.set_project_id("demo");
        db::MigrationStore(cell, cloud.clock()).Create(m);
        return m;
    };
    auto resize = add_migration("resize", "finished", "compute-1");
    auto live = add_migration("live-migration", "running", "compute-3");
    add_migration("migration", "error", "compute-1", /*hidden=*/true);

    CHECK(cloud.Call("GET", "/os-migrations", As("demo:demo")).status == 403);
    auto v21 = cloud.Admin("GET", "/os-migrations", "2.1").json()["migrations"];
    REQUIRE(v21.size() == 2);
    CHECK(v21[0]["id"] == resize.id());
    CHECK(v21[0]["source_compute"] == "compute-1");
    CHECK(v21[0]["old_instance_type_id"] == 1);
    CHECK(v21[0]["created_at"].get<std::string>().size() == 26);
    CHECK_FALSE(v21[0].contains("migration_type"));
    CHECK_FALSE(v21[0].contains("uuid"));
    CHECK_FALSE(v21[0].contains("hidden"));
    CHECK_FALSE(v21[0].contains("memory_total"));
    auto v223 = cloud.Admin("GET", "/os-migrations", "2.23").json()["migrations"];
    CHECK(v223[0]["migration_type"] == "resize");
    CHECK_FALSE(v223[0].contains("links"));
    CHECK(v223[1]["links"][0]["href"].get<std::string>().find("/v2.1/servers/" + vm.uuid() + "/migrations/" + std::to_string(live.id())) !=
          std::string::npos);
    CHECK(cloud.Admin("GET", "/os-migrations?source_compute=compute-3", "2.1").json()["migrations"].size() == 1);
    CHECK(cloud.Admin("GET", "/os-migrations?host=compute-2", "2.1").json()["migrations"].size() == 2);
    CHECK(cloud.Admin("GET", "/os-migrations?status=running&migration_type=live-migration", "2.1").json()["migrations"].size() == 1);
    CHECK(cloud.Admin("GET", "/os-migrations?instance_uuid=" + nova::GenerateUuid(), "2.1").json()["migrations"].empty());

    // 2.59: newest first, uuid, paging by uuid; 2.80 user and project.
    auto v259 = cloud.Admin("GET", "/os-migrations?limit=1", "2.59").json();
    REQUIRE(v259["migrations"].size() == 1);
    CHECK(v259["migrations"][0]["uuid"] == live.uuid());
    CHECK(v259["migrations_links"][0]["href"].get<std::string>().find("marker=" + live.uuid()) != std::string::npos);
    CHECK(cloud.Admin("GET", "/os-migrations?marker=" + live.uuid(), "2.59").json()["migrations"][0]["uuid"] == resize.uuid());
    CHECK(cloud.Admin("GET", "/os-migrations?marker=nope", "2.59").json()["badRequest"]["message"] == "Marker nope could not be found.");
    CHECK(cloud.Admin("GET", "/os-migrations?foo=1", "2.59").status == 400);
    // changes-since looks at updated_at, which only an update sets (as in Nova).
    CHECK(cloud.Admin("GET", "/os-migrations?changes-since=2000-01-01T00:00:00Z", "2.59").json()["migrations"].empty());
    resize.set_status("confirmed");
    db::MigrationStore(cell, cloud.clock()).Save(resize);
    CHECK(cloud.Admin("GET", "/os-migrations?changes-since=2000-01-01T00:00:00Z", "2.59").json()["migrations"].size() == 1);
    CHECK(cloud.Admin("GET", "/os-migrations?changes-since=2999-01-01T00:00:00Z", "2.59").json()["migrations"].empty());
    CHECK(cloud.Admin("GET", "/os-migrations?changes-before=2000-01-01T00:00:00Z", "2.59").status == 400);
    CHECK(cloud.Admin("GET", "/os-migrations?changes-since=2001-01-01T00:00:00Z&changes-before=2000-01-01T00:00:00Z", "2.66").json()["badRequest"]["message"] ==
          "The value of changes-since must be less than or equal to changes-before.");
    CHECK_FALSE(cloud.Admin("GET", "/os-migrations", "2.79").json()["migrations"][0].contains("user_id"));
    CHECK(cloud.Admin("GET", "/os-migrations?project_id=demo", "2.80").json()["migrations"][0]["project_id"] == "demo");
    CHECK(cloud.Admin("GET", "/os-migrations?user_id=other", "2.80").json()["migrations"].empty());

    // Instance actions with events.
    db::InstanceActionStore actions(cell, cloud.clock());
    objects::InstanceAction create;
    create.set_action("create");
    create.set_instance_uuid(vm.uuid());
    create.set_request_id("req-11111111-1111-1111-1111-111111111111");
    create.set_user_id("demo");
    create.set_project_id("demo");
    actions.ActionStart(create);
    actions.EventStart(vm.uuid(), create.request_id(), "compute__do_build_and_run_instance", std::string("compute-1"));
    actions.EventFinish(vm.uuid(), create.request_id(), "compute__do_build_and_run_instance", "Error", std::string("Traceback..."));
    objects::InstanceAction stop = create;
    objects::Unset(stop, "id");
    stop.set_action("stop");
    stop.set_request_id("req-22222222-2222-2222-2222-222222222222");
    actions.ActionStart(stop);

    auto list = cloud.Call("GET", "/servers/" + vm.uuid() + "/os-instance-actions", As("demo:demo")).json()["instanceActions"];
    REQUIRE(list.size() == 2);
    CHECK(list[0]["action"] == "stop");
    CHECK(list[1]["request_id"] == create.request_id());
    CHECK_FALSE(list[0].contains("updated_at"));
    // Another project's server does not exist for a user context (Nova's project_only reads).
    CHECK(cloud.Call("GET", "/servers/" + vm.uuid() + "/os-instance-actions", As("other:other")).status == 404);
    auto missing = cloud.Call("GET", "/servers/" + nova::GenerateUuid() + "/os-instance-actions", As("demo:demo"));
    CHECK(missing.status == 404);
    auto paged = cloud.Call("GET", "/servers/" + vm.uuid() + "/os-instance-actions?limit=1", As("demo:demo", "2.58")).json();
    REQUIRE(paged["instanceActions"].size() == 1);
    CHECK(paged["instanceActions"][0].contains("updated_at"));
    CHECK(paged["links"][0]["href"].get<std::string>().find("marker=req-22222222") != std::string::npos);
    CHECK(cloud.Call("GET", "/servers/" + vm.uuid() + "/os-instance-actions?marker=req-22222222-2222-2222-2222-222222222222",
                     As("demo:demo", "2.58")).json()["instanceActions"][0]["action"] == "create");
    CHECK(cloud.Call("GET", "/servers/" + vm.uuid() + "/os-instance-actions?marker=x", As("demo:demo", "2.58")).status == 400);

    auto show_path = "/servers/" + vm.uuid() + "/os-instance-actions/" + create.request_id();
    CHECK_FALSE(cloud.Call("GET", show_path, As("demo:demo", "2.50")).json()["instanceAction"].contains("events"));
    auto member_events = cloud.Call("GET", show_path, As("demo:demo", "2.51")).json()["instanceAction"]["events"];
    REQUIRE(member_events.size() == 1);
    CHECK(member_events[0]["result"] == "Error");
    CHECK_FALSE(member_events[0].contains("traceback"));
    auto admin_events = cloud.Admin("GET", show_path, "2.84").json()["instanceAction"]["events"][0];
    CHECK(admin_events["traceback"] == "Traceback...");
    CHECK(admin_events["host"] == "compute-1");
    CHECK(admin_events["hostId"] == "abe76cbb3714026beae2e63d56421ffcba683f65bbe0f666ffb04347");  // sha224("demo" + "compute-1")
    CHECK(admin_events.contains("details"));
    auto member_262 = cloud.Call("GET", show_path, As("demo:demo", "2.62")).json()["instanceAction"]["events"][0];
    CHECK(member_262["hostId"] == admin_events["hostId"]);
    CHECK_FALSE(member_262.contains("host"));
    CHECK(cloud.Call("GET", "/servers/" + vm.uuid() + "/os-instance-actions/req-nope", As("demo:demo")).json()["itemNotFound"]["message"] ==
          "Action req-nope not found");

    // 2.21: a deleted server's actions stay readable.
    db::InstanceStore(cell, cloud.clock()).Destroy(vm);
    CHECK(cloud.Call("GET", "/servers/" + vm.uuid() + "/os-instance-actions", As("demo:demo", "2.20")).status == 404);
    CHECK(cloud.Call("GET", "/servers/" + vm.uuid() + "/os-instance-actions", As("demo:demo", "2.21")).json()["instanceActions"].size() == 2);
}
