// Four real nova-scheduler processes on one `scheduler` queue (test RabbitMQ, MariaDB), driven
// through SchedulerRpcApi:
// - 2,000 concurrent select_destinations against hosts that hold fewer instances: every
//   request gets a host or NoValidHost, the successes equal the capacity, and the allocation
//   tables show no provider above (total - reserved) * allocation_ratio;
// - members of affinity and anti-affinity groups requested concurrently land where their
//   policy says;
// - SIGTERM to one scheduler while requests flow: what it took is answered, the rest is taken
//   by the other three, nothing times out.
#include <doctest/doctest.h>

#include <utility>  // before boost/asio/awaitable.hpp

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cmath>
#include <map>
#include <set>
#include <thread>

#include "cloud.hpp"
#include "nova/common/error.hpp"
#include "nova/db/instance_group_store.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/scheduler/rpcapi.hpp"
#include "nova/test/services.hpp"
#include "scheduler_processes.hpp"

using namespace nova;
using namespace nova::scheduler;
using namespace std::chrono_literals;
using nova::scheduler::testing::Cloud;
using nova::scheduler::testing::HostSpec;
using nova::scheduler::testing::SchedulerProcess;
namespace fs = std::filesystem;

namespace {

// A cloud, a private control exchange, `count` nova-scheduler processes and a client stub.
struct Cluster {
    Cloud cloud;
    std::string exchange = "nova-sched-mp-" + GenerateUuidHex().substr(0, 8);
    fs::path dir = fs::temp_directory_path() / exchange;
    std::shared_ptr<rpc::Transport> transport;
    conf::UpgradeLevelsOptions levels{};
    conf::MessagingOptions messaging{};
    std::unique_ptr<SchedulerRpcApi> api;
    std::vector<std::unique_ptr<SchedulerProcess>> schedulers;
    RequestContext ctx = RequestContext::Admin();

    Cluster() {
        cloud.MapCell();
        rpc::TransportOptions options;
        options.control_exchange = exchange;
        transport = rpc::MakeTransport(test::Services::Get().TransportUrl(), options);
        // A lost request fails the test by timing out. Long enough for a loaded 2-core box:
        // the call monitor (rpc_response_timeout) also covers the time a request waits in a
        // scheduler's queue before its handler starts sending heartbeats.
        messaging.rpc_response_timeout = 120;
        messaging.long_rpc_timeout = 180;
        api = std::make_unique<SchedulerRpcApi>(transport, levels, messaging);
        ctx.project_id = "project";
        ctx.user_id = "user";
    }
    ~Cluster() {
        schedulers.clear();  // SIGKILL what is left
        std::error_code ignored;
        fs::remove_all(dir, ignored);
    }

    void Start(int count, bool debug = false, int workers = 4) {
        nova::scheduler::testing::SchedulerProcessConfig config{
            .binary = NOVA_SCHEDULER_BINARY,
            .transport_url = test::Services::Get().TransportUrl(),
            .control_exchange = exchange,
            .api_database_url = cloud.api_url(),
            .cell_database_url = cloud.cell_url(),
            .workers = workers,
            // host_subset_size 2: schedulers that see the same weights do not all chase the
            // same host (the claims stay correct either way).
            .extra_conf = "[filter_scheduler]\nhost_subset_size = 2\n",
            .debug = debug};
        schedulers = nova::scheduler::testing::StartSchedulers(config, transport, "sched", count, dir);
    }

    // The warnings and errors of every scheduler's log.
    std::string Problems() const {
        std::string out;
        for (const auto& s : schedulers) {
            std::istringstream in(s->Log());
            for (std::string line; std::getline(in, line);) {
                if (line.find(" WARNING ") != std::string::npos || line.find(" ERROR ") != std::string::npos) {
                    out += s->host() + ": " + line + "\n";
                }
            }
        }
        return out.substr(0, 20000);
    }

    std::string Logs() const {
        std::string out;
        for (const auto& s : schedulers) out += "==== " + s->host() + "\n" + s->Log();
        return out;
    }
};

// What one request came back with.
struct Outcome {
    std::string node;  // the chosen compute node (provider) uuid; empty when refused
    bool refused = false;
    std::string error;  // anything else
};

boost::asio::awaitable<void> SelectOne(Cluster& c, std::string uuid, objects::RequestSpec spec,
                                       std::map<std::string, Outcome>& outcomes) {
    Outcome o;
    try {
        std::vector<std::string> uuids{uuid};  // a braced list in a co_await trips g++ 12
        auto sel = co_await c.api->AsyncSelectDestinations(c.ctx, std::move(spec), uuids, true);
        o.node = sel.at(0).at(0).compute_node_uuid();
    } catch (const NoValidHost&) {
        o.refused = true;
    } catch (const std::exception& e) {
        o.error = e.what();
    }
    outcomes[uuid] = o;
}

// Sends one select_destinations per uuid, all at once, and waits for every answer.
std::map<std::string, Outcome> SelectAll(Cluster& c, const std::vector<std::pair<std::string, objects::RequestSpec>>& requests) {
    std::map<std::string, Outcome> outcomes;
    boost::asio::io_context io;
    for (const auto& [uuid, spec] : requests) {
        boost::asio::co_spawn(io, SelectOne(c, uuid, spec, outcomes), boost::asio::detached);
    }
    io.run();
    return outcomes;
}

// Usage above capacity per provider and class, read from the placement tables.
struct TableCheck {
    int over_capacity = 0;
    std::map<std::string, std::int64_t> vcpu_used;  // provider uuid -> used VCPU
    std::map<std::string, std::string> provider_of;  // consumer -> provider uuid
};

TableCheck CheckTables(Cloud& cloud) {
    TableCheck out;
    std::map<std::pair<std::int64_t, std::string>, std::int64_t> used;
    for (const auto& row : cloud.api().Query(
             "SELECT `resource_provider_id`, `resource_class`, SUM(`used`) AS `used` FROM `allocations`"
             " GROUP BY `resource_provider_id`, `resource_class`")) {
        used[{row.Int("resource_provider_id"), row.String("resource_class")}] = row.Int("used");
    }
    for (const auto& row : cloud.api().Query(
             "SELECT i.`resource_provider_id`, p.`uuid`, i.`resource_class`, i.`total`, i.`reserved`,"
             " i.`allocation_ratio` FROM `inventories` i"
             " JOIN `resource_providers` p ON p.`id` = i.`resource_provider_id`")) {
        const auto key = std::make_pair(row.Int("resource_provider_id"), row.String("resource_class"));
        const std::int64_t u = used.count(key) ? used.at(key) : 0;
        // The ratio column is a FLOAT: 1.5 and 2.0 are exact, and the epsilon covers the rest.
        const double capacity =
            static_cast<double>(row.Int("total") - row.Int("reserved")) * row.Double("allocation_ratio");
        if (static_cast<double>(u) > capacity + 1e-6) {
            ++out.over_capacity;
            MESSAGE("provider " << row.String("uuid") << " " << key.second << " used " << u
                                << " > capacity " << capacity);
        }
        if (key.second == "VCPU") out.vcpu_used[row.String("uuid")] = u;
    }
    for (const auto& row : cloud.api().Query(
             "SELECT DISTINCT a.`consumer_id`, p.`uuid` FROM `allocations` a"
             " JOIN `resource_providers` p ON p.`id` = a.`resource_provider_id`")) {
        out.provider_of[row.String("consumer_id")] = row.String("uuid");
    }
    return out;
}

// How many 1 vCPU / 512 MB / 1 GB instances a host of `spec` holds: the same arithmetic as
// placement's capacity, written out again.
std::int64_t Slots(const HostSpec& spec) {
    auto cap = [](std::int64_t total, std::int64_t reserved, double ratio) {
        return static_cast<std::int64_t>(std::floor(static_cast<double>(total - reserved) * ratio));
    };
    const std::int64_t vcpu = cap(spec.vcpus, spec.reserved_vcpus, spec.cpu_ratio);
    const std::int64_t ram = cap(spec.memory_mb, spec.reserved_memory_mb, spec.ram_ratio) / 512;
    const std::int64_t disk = cap(spec.disk_gb, (spec.reserved_disk_mb + 1023) / 1024, spec.disk_ratio);
    return std::min({vcpu, ram, disk});
}

}  // namespace

TEST_CASE("four nova-scheduler processes, 2,000 concurrent requests, never above capacity") {
    Cluster c;
    // Three shapes of host, each limited by another class (and its reserved amount and ratio):
    // 20 x 14 (VCPU) + 20 x 21 (MEMORY_MB) + 20 x 10 (DISK_GB) = 900 instances for 2,000 requests.
    const std::vector<HostSpec> shapes{
        {.vcpus = 8, .memory_mb = 1 << 20, .disk_gb = 10000, .cpu_ratio = 2.0, .reserved_vcpus = 1},
        {.vcpus = 64, .memory_mb = 8192, .disk_gb = 10000, .cpu_ratio = 4.0, .ram_ratio = 1.5,
         .reserved_memory_mb = 1024},
        {.vcpus = 16, .memory_mb = 1 << 20, .disk_gb = 12, .reserved_disk_mb = 2048}};
    std::int64_t capacity = 0;
    std::map<std::string, std::int64_t> slots_of;
    for (int i = 0; i < 60; ++i) {
        const auto& shape = shapes[static_cast<std::size_t>(i % 3)];
        slots_of[c.cloud.AddHost("mp-" + std::to_string(i), shape)] = Slots(shape);
        capacity += Slots(shape);
    }
    REQUIRE(capacity == 900);
    c.Start(4);

    constexpr int kRequests = 2000;
    std::vector<std::pair<std::string, objects::RequestSpec>> requests;
    for (int i = 0; i < kRequests; ++i) requests.emplace_back(GenerateUuid(), Cloud::Spec(1, 512, 1));
    const auto t0 = std::chrono::steady_clock::now();
    auto outcomes = SelectAll(c, requests);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    int placed = 0, refused = 0, errors = 0;
    for (const auto& [uuid, o] : outcomes) {
        if (!o.node.empty()) ++placed;
        if (o.refused) ++refused;
        if (!o.error.empty()) {
            if (++errors <= 5) MESSAGE(uuid << ": " << o.error);
        }
    }
    MESSAGE(kRequests << " requests in " << seconds << " s: " << placed << " placed, " << refused << " refused");
    REQUIRE(outcomes.size() == kRequests);
    CHECK_MESSAGE(errors == 0, c.Logs().substr(0, 20000));
    CHECK(placed + refused == kRequests);
    CHECK(placed == capacity);  // a refusal only when everything is full

    auto tables = CheckTables(c.cloud);
    CHECK(tables.over_capacity == 0);
    std::int64_t vcpus = 0;
    for (const auto& [rp, used] : tables.vcpu_used) {
        vcpus += used;
        CHECK(used == slots_of.at(rp));  // every host full, none beyond
    }
    CHECK(vcpus == placed);
    // Every placed instance holds its allocation on the node its selection named; the refused
    // ones hold nothing.
    int mismatched = 0, leaked = 0;
    for (const auto& [uuid, o] : outcomes) {
        auto it = tables.provider_of.find(uuid);
        if (!o.node.empty()) mismatched += it == tables.provider_of.end() || it->second != o.node;
        if (o.refused) leaked += it != tables.provider_of.end();
    }
    CHECK(mismatched == 0);
    CHECK(leaked == 0);
    for (auto& s : c.schedulers) CHECK_MESSAGE(!s->Exited(), s->Log());
}

TEST_CASE("four nova-scheduler processes keep affinity and anti-affinity under concurrency") {
    Cluster c;
    constexpr int kHosts = 8;
    for (int i = 0; i < kHosts; ++i) c.cloud.AddHost("grp-" + std::to_string(i), {.vcpus = 64, .memory_mb = 1 << 20, .disk_gb = 10000});
    c.Start(4);

    db::InstanceGroupStore store(c.cloud.api(), c.cloud.clock());
    auto make_group = [&](const std::string& policy, int members) {
        objects::InstanceGroup g;
        g.set_uuid(GenerateUuid());
        g.set_name(policy + "-" + g.uuid());
        g.set_project_id("project");
        g.set_user_id("user");
        g.set_policy(policy);
        for (int m = 0; m < members; ++m) g.add_members(GenerateUuid());
        store.Create(g);
        return g;
    };
    std::vector<objects::InstanceGroup> anti, affinity;
    for (int i = 0; i < 8; ++i) anti.push_back(make_group("anti-affinity", 5));
    for (int i = 0; i < 8; ++i) affinity.push_back(make_group("affinity", 5));
    // More members than hosts: exactly one per host, the rest refused.
    auto crowded = make_group("anti-affinity", kHosts + 4);

    // Every member of every group is its own request, all in flight together, interleaved so
    // that members of one group reach different schedulers at the same moment.
    std::vector<std::pair<std::string, objects::RequestSpec>> requests;
    std::vector<const objects::InstanceGroup*> all;
    for (const auto& g : anti) all.push_back(&g);
    for (const auto& g : affinity) all.push_back(&g);
    all.push_back(&crowded);
    for (int m = 0; m < kHosts + 4; ++m) {
        for (const auto* g : all) {
            if (m >= g->members_size()) continue;
            auto spec = Cloud::Spec(1, 512, 1);
            *spec.mutable_instance_group() = *g;
            requests.emplace_back(g->members(m), spec);
        }
    }
    auto outcomes = SelectAll(c, requests);
    REQUIRE(outcomes.size() == requests.size());
    int errors = 0;
    for (const auto& [uuid, o] : outcomes) {
        if (!o.error.empty() && ++errors <= 5) MESSAGE(uuid << ": " << o.error);
    }
    CHECK(errors == 0);

    auto tables = CheckTables(c.cloud);
    CHECK(tables.over_capacity == 0);
    for (const auto& g : anti) {
        std::set<std::string> hosts;
        for (const auto& m : g.members()) {
            CHECK_MESSAGE(!outcomes[m].node.empty(), "anti-affinity member refused: " << m);
            CHECK(tables.provider_of[m] == outcomes[m].node);
            hosts.insert(outcomes[m].node);
        }
        CHECK(hosts.size() == static_cast<std::size_t>(g.members_size()));  // all apart
    }
    for (const auto& g : affinity) {
        std::set<std::string> hosts;
        for (const auto& m : g.members()) {
            CHECK_MESSAGE(!outcomes[m].node.empty(), "affinity member refused: " << m << "\n" << c.Problems());
            CHECK(tables.provider_of[m] == outcomes[m].node);
            hosts.insert(outcomes[m].node);
        }
        CHECK(hosts.size() == 1);  // all together
    }
    std::set<std::string> crowded_hosts;
    int crowded_placed = 0, crowded_refused = 0;
    for (const auto& m : crowded.members()) {
        if (outcomes[m].refused) ++crowded_refused;
        if (!outcomes[m].node.empty()) {
            ++crowded_placed;
            crowded_hosts.insert(tables.provider_of[m]);
        }
    }
    CHECK(crowded_placed == kHosts);
    CHECK(crowded_refused == 4);
    CHECK(crowded_hosts.size() == static_cast<std::size_t>(kHosts));
}

TEST_CASE("SIGTERM to one of four nova-scheduler processes while requests flow") {
    Cluster c;
    for (int i = 0; i < 20; ++i) {  // 5,120 instances of room: more than kCeiling
        c.cloud.AddHost("term-" + std::to_string(i), {.vcpus = 64, .memory_mb = 1 << 20, .disk_gb = 10000, .cpu_ratio = 4.0});
    }
    c.Start(4, /*debug=*/true);  // "Dispatching select_destinations" per request handled

    // 32 callers, each sending its next request when the previous one is answered, at least
    // 800 in all and on until 100 more went out after the stopped scheduler exited; the first
    // scheduler gets SIGTERM after 150 answers.
    constexpr int kCallers = 32;
    constexpr int kTotal = 800;
    constexpr int kAfterExit = 100;
    constexpr int kCeiling = 5000;  // a scheduler that never exits fails below, not here
    constexpr int kKillAfter = 150;
    auto& victim = *c.schedulers.front();
    std::atomic<bool> victim_gone{false};
    std::thread reaper;
    int sent = 0, answered = 0, placed = 0, sent_after_exit = 0;
    std::vector<std::string> errors;
    boost::asio::io_context io;
    for (int k = 0; k < kCallers; ++k) {
        boost::asio::co_spawn(
            io,
            [&]() -> boost::asio::awaitable<void> {
                while (sent < kCeiling && (sent < kTotal || sent_after_exit < kAfterExit)) {
                    ++sent;
                    if (victim_gone) ++sent_after_exit;
                    try {
                        std::vector<std::string> uuids{GenerateUuid()};
                        auto sel = co_await c.api->AsyncSelectDestinations(c.ctx, Cloud::Spec(1, 512, 1), uuids, true);
                        placed += !sel.empty();
                    } catch (const std::exception& e) {
                        errors.push_back(e.what());
                    }
                    if (++answered == kKillAfter) {
                        victim.Terminate();
                        reaper = std::thread([&] {
                            victim.Wait();
                            victim_gone = true;
                        });
                    }
                }
            },
            boost::asio::detached);
    }
    io.run();
    if (reaper.joinable()) reaper.join();

    CHECK(answered == sent);
    CHECK(sent >= kTotal);
    CHECK_MESSAGE(errors.empty(), (errors.empty() ? "" : errors.front()));
    CHECK(placed == sent);
    // It stopped cleanly, after finishing what it had taken.
    const int status = victim.Wait();
    CHECK_MESSAGE(WIFEXITED(status), victim.Log());
    CHECK_MESSAGE(WEXITSTATUS(status) == 0, victim.Log());
    CHECK(victim.CountLogLines("Caught SIGTERM") == 1);
    CHECK(victim.CountLogLines("RPC server for scheduler." + victim.host() + " stopped") == 1);
    // Requests went on after it was gone, and the other three took them.
    CHECK(sent_after_exit >= kAfterExit);
    int by_victim = victim.CountLogLines("Dispatching select_destinations");
    int by_others = 0;
    for (std::size_t i = 1; i < c.schedulers.size(); ++i) {
        by_others += c.schedulers[i]->CountLogLines("Dispatching select_destinations");
        CHECK(!c.schedulers[i]->Exited());
    }
    MESSAGE("handled by the stopped scheduler: " << by_victim << ", by the others: " << by_others
                                                 << ", sent after it exited: " << sent_after_exit);
    CHECK(by_victim > 0);
    CHECK(by_victim < sent);
    CHECK(by_victim + by_others == sent);  // each request handled exactly once
    CHECK(by_others >= sent_after_exit);
    auto tables = CheckTables(c.cloud);
    CHECK(tables.over_capacity == 0);
    CHECK(static_cast<int>(tables.provider_of.size()) == sent);
}
