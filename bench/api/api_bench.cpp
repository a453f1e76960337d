// nova-api under 10,000 servers: GET /servers/detail?limit=1000 (p50, p99), GET /servers/{id}
// with 16 concurrent keep-alive clients (req/s, p50), and nova-api's RSS before and after.
// The servers are written straight into throwaway API and cell databases of the test MariaDB
// (instances with their extra/metadata rows, and instance mappings), as placed servers.
//   nova-api-bench [servers=10000] [clients=16] [seconds=10]
#define DOCTEST_CONFIG_IMPLEMENT
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <iostream>
#include <mutex>

#include "nova/common/uuid.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/objects/object.hpp"
#include "process_support.hpp"
#include "scratch_database.hpp"

using namespace nova;
using namespace nova::api::testing;
using nova::db::testing::ScratchDatabase;
using Steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

long RssKiB(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

// CPU time (user + system) a process has used so far, in seconds; -1 when it cannot be read.
double CpuSeconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto paren = text.rfind(')');  // the command name may hold spaces
    if (paren == std::string::npos) return -1;
    std::istringstream fields(text.substr(paren + 2));
    std::string skip;
    for (int i = 3; i < 14; ++i) fields >> skip;  // state .. cmajflt: fields 3-13
    long utime = 0, stime = 0;
    fields >> utime >> stime;
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// The test MariaDB's pid (scripts/services writes it under the profile's state directory).
pid_t MariadbPid() {
    const char* state = std::getenv("NOVA_STATE_DIR");
    std::string dir = state ? state : "";
    if (dir.empty()) {
        if (const char* env = std::getenv("NOVA_SERVICES_ENV")) dir = fs::path(env).parent_path().string();
    }
    std::ifstream in(fs::path(dir) / "mariadb" / "mariadb.pid");
    pid_t pid = 0;
    in >> pid;
    return pid;
}

double Percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
    const int servers = argc > 1 ? std::atoi(argv[1]) : 10000;
    const int clients = argc > 2 ? std::atoi(argv[2]) : 16;
    const int seconds = argc > 3 ? std::atoi(argv[3]) : 10;
    SystemClock clock;
    ScratchDatabase api_db(ScratchDatabase::Schema::kApi);
    ScratchDatabase cell_db(ScratchDatabase::Schema::kMain);
    objects::CellMapping cell;
    cell.set_uuid(GenerateUuid());
    cell.set_name("cell1");
    cell.set_transport_url("none:///");
    cell.set_database_connection(cell_db.url());
    cell.set_disabled(false);
    db::CellMappingStore(api_db.pool(), clock).Create(cell);

    auto t0 = Steady::now();
    std::vector<std::string> uuids;
    db::InstanceStore instances(cell_db.pool(), clock);
    db::InstanceMappingStore mappings(api_db.pool(), clock);
    for (int i = 0; i < servers; ++i) {
        objects::Instance inst;
        inst.set_uuid(GenerateUuid());
        inst.set_project_id("demo");
        inst.set_user_id("demo");
        inst.set_display_name("bench-" + std::to_string(i));
        inst.set_hostname("bench-" + std::to_string(i));
        inst.set_host("fake-" + std::to_string(i % 4));
        inst.set_node("fake-" + std::to_string(i % 4));
        inst.set_vm_state("active");
        inst.set_power_state(1);
        inst.set_image_ref("70a599e0-31e7-49b7-b260-868f441e862b");
        inst.set_vcpus(1);
        inst.set_memory_mb(512);
        inst.set_root_gb(1);
        inst.set_locked(false);
        auto* f = inst.mutable_flavor();
        f->set_id(1);
        f->set_flavorid("small");
        f->set_name("m1.small");
        f->set_vcpus(1);
        f->set_memory_mb(512);
        f->set_root_gb(1);
        f->set_ephemeral_gb(0);
        f->set_swap(0);
        (*inst.mutable_metadata())["role"] = "bench";
        instances.Create(inst);
        objects::InstanceMapping m;
        m.set_instance_uuid(inst.uuid());
        m.set_project_id("demo");
        m.set_user_id("demo");
        m.set_queued_for_delete(false);
        *m.mutable_cell_mapping() = cell;
        mappings.Create(m);
        uuids.push_back(inst.uuid());
    }
    std::cout << "seeded " << servers << " servers in "
              << std::chrono::duration<double>(Steady::now() - t0).count() << " s\n";

    NovaApi api("[api_database]\nconnection = " + api_db.url() + "\n[database]\nconnection = " + cell_db.url() +
                "\n[DEFAULT]\nosapi_compute_handler_threads = 16\n");
    if (!api.WaitReady()) {
        std::cerr << api.Log();
        return 1;
    }
    if (std::getenv("NOVA_API_BENCH_HOLD")) {  // leave it up for manual requests
        std::cout << "nova-api on port " << api.compute_port << std::endl;
        std::this_thread::sleep_for(std::chrono::seconds(std::atoi(std::getenv("NOVA_API_BENCH_HOLD"))));
    }
    std::cout << "nova-api RSS idle: " << RssKiB(api.pid()) / 1024.0 << " MiB\n";
    const std::vector<std::pair<std::string, std::string>> headers = {{"X-Auth-Token", "demo:demo"},
                                                                     {"OpenStack-API-Version", "compute 2.1"}};

    // (a) GET /servers/detail?limit=1000, sequential, 20 times.
    {
        Client c(api.compute_port);
        std::vector<double> ms;
        for (int i = 0; i < 20; ++i) {
            auto s = Steady::now();
            auto r = c.Send("GET", "/v2.1/servers/detail?limit=1000", headers, "");
            ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - s).count());
            if (r.status != 200 || r.json()["servers"].size() != std::min<std::size_t>(1000, uuids.size())) {
                std::cerr << "unexpected detail answer " << r.status << "\n";
                return 1;
            }
        }
        std::cout << "GET /servers/detail?limit=1000: p50 " << Percentile(ms, 0.5) << " ms, p99 " << Percentile(ms, 0.99)
                  << " ms (20 requests)\n";
        std::cout << "nova-api RSS after the lists: " << RssKiB(api.pid()) / 1024.0 << " MiB\n";
    }

    // (b) GET /servers/{id}, `clients` keep-alive clients for `seconds`.
    {
        std::atomic<long> done{0};
        std::atomic<bool> failed{false};
        std::mutex mu;
        std::vector<double> all;
        auto until = Steady::now() + std::chrono::seconds(seconds);
        const pid_t db_pid = MariadbPid();
        const double api_cpu0 = CpuSeconds(api.pid()), db_cpu0 = db_pid ? CpuSeconds(db_pid) : -1,
                     client_cpu0 = CpuSeconds(::getpid());
        std::vector<std::thread> threads;
        for (int t = 0; t < clients; ++t) {
            threads.emplace_back([&, t] {
                Client c(api.compute_port);
                std::vector<double> ms;
                std::size_t i = static_cast<std::size_t>(t);
                while (Steady::now() < until) {
                    auto s = Steady::now();
                    auto r = c.Send("GET", "/v2.1/servers/" + uuids[i % uuids.size()], headers, "");
                    ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - s).count());
                    if (r.status != 200) failed = true;
                    ++done;
                    i += 7919;
                }
                std::lock_guard lock(mu);
                all.insert(all.end(), ms.begin(), ms.end());
            });
        }
        for (auto& t : threads) t.join();
        if (failed) {
            std::cerr << "a GET /servers/{id} failed\n";
            return 1;
        }
        std::cout << "GET /servers/{id}, " << clients << " clients: " << static_cast<double>(done) / seconds
                  << " req/s, p50 " << Percentile(all, 0.5) << " ms, p99 " << Percentile(all, 0.99) << " ms\n";
        // Where the CPU went, per request: what decides the rate when the three share the cores.
        auto per_request = [&](double before, double after) {
            return before < 0 || after < 0 ? -1.0 : (after - before) * 1e6 / static_cast<double>(done);
        };
        const double api_us = per_request(api_cpu0, CpuSeconds(api.pid()));
        const double db_us = db_pid ? per_request(db_cpu0, CpuSeconds(db_pid)) : -1;
        const double client_us = per_request(client_cpu0, CpuSeconds(::getpid()));
        std::cout << "CPU per GET /servers/{id}: nova-api " << api_us << " us, mariadbd " << db_us
                  << " us, bench client " << client_us << " us (total " << api_us + db_us + client_us
                  << " us; loadavg " << [] {
                         std::ifstream in("/proc/loadavg");
                         std::string l;
                         std::getline(in, l);
                         return l;
                     }() << ")\n";
    }
    std::cout << "nova-api RSS after: " << RssKiB(api.pid()) / 1024.0 << " MiB\n";
    return 0;
}
