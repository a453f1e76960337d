// nova-manage as an operator runs it: the real binary against throwaway databases, checking
// Nova's messages and exit codes.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "../../db/tests/scratch_database.hpp"
#include "nova/common/uuid.hpp"
#include "nova/db/migrations.hpp"
#include "nova/db/service_store.hpp"
#include "nova/test/services.hpp"

using namespace nova;
using nova::db::testing::ScratchDatabase;

namespace {

struct Result {
    int rc;
    std::string out;
};

class Manage {
public:
    Manage(const std::string& api_url, const std::string& cell_url) {
        conf_ = std::filesystem::temp_directory_path() / ("nova-manage-" + GenerateUuidHex() + ".conf");
        std::ofstream(conf_) << "[DEFAULT]\ntransport_url = " << test::Services::Get().TransportUrl()
                             << "\n[api_database]\nconnection = " << api_url
                             << "\n[database]\nconnection = " << cell_url << "\n";
    }
    ~Manage() { std::filesystem::remove(conf_); }

    Result Run(const std::string& args) const {
        std::string cmd = std::string(NOVA_MANAGE_BIN) + " --config-file " + conf_.string() + " " + args +
                          " 2>/dev/null";
        FILE* p = popen(cmd.c_str(), "r");
        REQUIRE(p != nullptr);
        std::string out;
        char buf[4096];
        while (auto n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
        int status = pclose(p);
        return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
    }

private:
    std::filesystem::path conf_;
};

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("nova-manage: database sync, cells v2 and services, with Nova's exit codes") {
    ScratchDatabase api;
    ScratchDatabase cell;
    ScratchDatabase cell0;
    Manage manage(api.url(), cell.url());

    CHECK(manage.Run("api_db version").out == "0\n");
    auto r = manage.Run("db sync");
    CHECK(r.rc == 1);
    CHECK(Has(r.out, "ERROR: Could not access cell0."));

    CHECK(manage.Run("api_db sync").rc == 0);
    CHECK(manage.Run("api_db sync").rc == 0);  // again: nothing to do
    CHECK(manage.Run("api_db version").out == std::to_string(db::HeadVersion(db::Database::kApi)) + "\n");

    r = manage.Run("db sync");
    CHECK(r.rc == 0);
    CHECK(Has(r.out, "WARNING: cell0 mapping not found - not syncing cell0."));
    CHECK(manage.Run("db version").out == std::to_string(db::HeadVersion(db::Database::kMain)) + "\n");

    CHECK(manage.Run("cell_v2 map_cell0 --database_connection " + cell0.url()).rc == 0);
    r = manage.Run("cell_v2 map_cell0 --database_connection " + cell0.url());
    CHECK(r.rc == 0);
    CHECK(Has(r.out, "Cell0 is already setup"));
    CHECK(manage.Run("db sync").rc == 0);
    CHECK(db::CurrentVersion(cell0.pool()) == db::HeadVersion(db::Database::kMain));

    r = manage.Run("cell_v2 create_cell --name cell1 --verbose");
    CHECK(r.rc == 0);
    CHECK(Has(r.out, "--transport-url not provided in the command line"));
    r = manage.Run("cell_v2 create_cell --name cell1");
    CHECK(r.rc == 2);
    CHECK(Has(r.out, "already exists for another cell with uuid"));

    const auto& password = test::Services::Get().Value("NOVA_DB_PASSWORD");
    r = manage.Run("cell_v2 list_cells");
    CHECK(r.rc == 0);
    CHECK(Has(r.out, "| cell0 | 00000000-0000-0000-0000-000000000000 |"));
    CHECK(Has(r.out, "none:/"));
    CHECK(Has(r.out, "nova:****@"));
    CHECK_FALSE(Has(r.out, password));
    CHECK(Has(manage.Run("cell_v2 list_cells --verbose").out, password));

    // A compute node registers in cell1; discover_hosts maps it once.
    db::ComputeNodeStore nodes(cell.pool(), cell.clock());
    objects::ComputeNode node;
    node.set_uuid(GenerateUuid());
    node.set_host("cn1");
    node.set_hypervisor_hostname("cn1");
    for (auto setter : {&objects::ComputeNode::set_vcpus, &objects::ComputeNode::set_memory_mb,
                        &objects::ComputeNode::set_local_gb, &objects::ComputeNode::set_vcpus_used,
                        &objects::ComputeNode::set_memory_mb_used, &objects::ComputeNode::set_local_gb_used,
                        &objects::ComputeNode::set_hypervisor_version}) {
        (node.*setter)(1);
    }
    node.set_hypervisor_type("fake");
    node.set_cpu_info("{}");
    nodes.Create(node);
    db::ServiceStore services(cell.pool(), cell.clock());
    objects::Service svc;
    svc.set_host("cn1");
    svc.set_binary("nova-compute");
    svc.set_topic("compute");
    svc.set_report_count(1);
    services.Create(svc);

    r = manage.Run("cell_v2 discover_hosts --verbose");
    CHECK(r.rc == 0);
    CHECK(Has(r.out, "Skipping cell0 since it does not contain hosts."));
    CHECK(Has(r.out, "Creating host mapping for compute host 'cn1': " + node.uuid()));
    CHECK(manage.Run("cell_v2 discover_hosts --strict").rc == 1);  // nothing new
    CHECK(nodes.GetByUuid(node.uuid()).mapped() == 1);

    r = manage.Run("cell_v2 list_hosts");
    CHECK(r.rc == 0);
    CHECK(Has(r.out, "|   cell1   |"));  // centred under "Cell Name"
    CHECK(Has(r.out, "cn1"));
    r = manage.Run("cell_v2 list_hosts --cell_uuid no-such-cell");
    CHECK(r.rc == 1);
    CHECK(r.out == "Cell with uuid no-such-cell was not found.\n");

    r = manage.Run("service list");
    CHECK(r.rc == 0);
    CHECK(Has(r.out, "nova-compute"));
    CHECK(Has(r.out, "| enabled |"));
    CHECK(Has(r.out, "|   up  |"));

    r = manage.Run("flavor create --name m1.tiny --ram 512 --vcpus 1 --disk 1 --id 1");
    CHECK(r.rc == 0);
    CHECK(r.out == "1\n");
    CHECK(manage.Run("flavor create --name m1.tiny --ram 512 --vcpus 1").rc == 2);
    CHECK(manage.Run("flavor create --name m1.bad --ram lots --vcpus 1").rc == 255);
    r = manage.Run("flavor list");
    CHECK(Has(r.out, "m1.tiny"));
    CHECK(Has(r.out, "512"));

    CHECK(manage.Run("cell_v2 no_such_action").rc == 2);
    CHECK(manage.Run("api_db sync notanumber").rc == 255);
}
