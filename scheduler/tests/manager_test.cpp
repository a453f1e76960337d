// SchedulerManager behind the real SchedulerRpcApi stub on the in-memory transport, with its
// Scheduler on MariaDB: Selection lists, legacy host dicts, NoValidHost by name, and the
// fanout casts refreshing the host-state cache.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "cloud.hpp"
#include "manager.hpp"
#include "nova/common/error.hpp"
#include "nova/objects/object.hpp"
#include "nova/rpc/client.hpp"
#include "nova/rpc/server.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/scheduler/rpcapi.hpp"

using namespace nova;
using namespace nova::scheduler;
using namespace std::chrono_literals;
using nova::scheduler::testing::Cloud;

namespace {

struct Harness {
    Cloud cloud;
    Placement placement{cloud.api(), cloud.clock()};
    // A long cache TTL: only the casts make new hosts visible.
    std::unique_ptr<HostManager> hosts = cloud.MakeHostManager(cloud.api(), cloud.cell(), 3600);
    Scheduler scheduler{DefaultSchedulerConfig(), placement, *hosts, cloud.clock(), 7};
    SchedulerManager manager{scheduler, *hosts};
    std::shared_ptr<rpc::Transport> transport =
        rpc::MakeTransport("fake:///" + GenerateUuid(), rpc::TransportOptions{});
    std::unique_ptr<rpc::Server> server;
    conf::UpgradeLevelsOptions levels{};
    conf::MessagingOptions messaging{};
    RequestContext ctx = RequestContext::Admin();

    Harness() {
        messaging.rpc_response_timeout = 60;
        messaging.long_rpc_timeout = 1800;
        auto endpoints = manager.Endpoints();
        endpoints.push_back(rpc::BaseApiEndpoint("nova-scheduler"));
        server = std::make_unique<rpc::Server>(
            transport, rpc::ServerTarget{.topic = "scheduler", .server = "sched1"},
            std::move(endpoints), 2);
        server->Start();
    }
    SchedulerRpcApi Api() { return SchedulerRpcApi(transport, levels, messaging); }
};

}  // namespace

TEST_CASE("select_destinations over RPC: claimed host first, then alternates") {
    Harness h;
    auto big = h.cloud.AddHost("big", {.memory_mb = 8192});
    h.cloud.AddHost("small", {.memory_mb = 4096});
    auto api = h.Api();
    auto uuid = GenerateUuid();
    auto result = api.SelectDestinations(h.ctx, Cloud::Spec(1, 1024, 1), {uuid}, true);
    REQUIRE(result.size() == 1);
    REQUIRE(result[0].size() == 2);
    CHECK(result[0][0].service_host() == "big");
    CHECK(result[0][0].compute_node_uuid() == big);
    CHECK(result[0][1].service_host() == "small");
    CHECK(h.placement.GetAllocations(uuid).count(big) == 1);

    auto single = api.SelectDestinations(h.ctx, Cloud::Spec(1, 1024, 1), {GenerateUuid()}, false);
    REQUIRE(single.size() == 1);
    CHECK(single[0].size() == 1);
}

TEST_CASE("select_destinations with return_objects false answers Nova's legacy host dicts") {
    Harness h;
    h.cloud.AddHost("only", {.memory_mb = 8192});
    rpc::Client client(h.transport, rpc::Target{.topic = "scheduler", .version = "4.0"});
    auto spec = Cloud::Spec(1, 512, 1);
    spec.set_num_instances(2);
    Json reply = client.Prepare({.version = "4.5"})
                     .Call(h.ctx, "select_destinations",
                           {{"spec_obj", objects::ToPrimitive(spec)},
                            {"instance_uuids", Json::array({GenerateUuid(), GenerateUuid()})},
                            {"return_objects", false},
                            {"return_alternates", true}});
    REQUIRE(reply.is_array());
    REQUIRE(reply.size() == 2);
    CHECK(reply[0].at("host") == "only");
    CHECK(reply[0].at("nodename") == "only");
    CHECK(reply[0].contains("limits"));
}

TEST_CASE("NoValidHost crosses the wire by name and releases nothing it did not claim") {
    Harness h;
    h.cloud.AddHost("tiny", {.memory_mb = 512});
    auto api = h.Api();
    CHECK_THROWS_AS(api.SelectDestinations(h.ctx, Cloud::Spec(1, 4096, 1), {GenerateUuid()}, true),
                    NoValidHost);
}

TEST_CASE("baseapi ping answers as nova-scheduler") {
    Harness h;
    rpc::Client client(h.transport, rpc::Target{.topic = "scheduler", .namespace_ = "baseapi",
                                                .version = "1.0"});
    auto reply = client.Prepare({}).Call(h.ctx, "ping", {{"arg", "hello"}});
    CHECK(reply.at("service") == "nova-scheduler");
    CHECK(reply.at("arg") == "hello");
}

TEST_CASE("fanout casts drop the cached host states so new hosts and aggregates show up") {
    Harness h;
    h.cloud.AddHost("first", {.memory_mb = 2048});
    auto api = h.Api();
    // Fills the cache with "first" only.
    api.SelectDestinations(h.ctx, Cloud::Spec(1, 512, 1), {GenerateUuid()}, false);
    h.cloud.AddHost("second", {.memory_mb = 16384});
    // "second" has providers in placement but is not in the cached host states yet.
    CHECK_THROWS_AS(api.SelectDestinations(h.ctx, Cloud::Spec(1, 8192, 1), {GenerateUuid()}, false),
                    NoValidHost);

    SUBCASE("sync_instance_info") { api.SyncInstanceInfo(h.ctx, "second", {}); }
    SUBCASE("update_instance_info") { api.UpdateInstanceInfo(h.ctx, "second", objects::InstanceList()); }
    SUBCASE("delete_instance_info") { api.DeleteInstanceInfo(h.ctx, "second", GenerateUuid()); }
    SUBCASE("update_aggregates") { api.UpdateAggregates(h.ctx, {objects::Aggregate()}); }
    SUBCASE("delete_aggregate") { api.DeleteAggregate(h.ctx, objects::Aggregate()); }

    std::vector<std::vector<objects::Selection>> result;
    for (int i = 0; i < 200 && result.empty(); ++i) {
        try {
            result = api.SelectDestinations(h.ctx, Cloud::Spec(1, 8192, 1), {GenerateUuid()}, false);
        } catch (const NoValidHost&) {
            std::this_thread::sleep_for(20ms);
        }
    }
    REQUIRE(result.size() == 1);
    CHECK(result[0][0].service_host() == "second");
}
