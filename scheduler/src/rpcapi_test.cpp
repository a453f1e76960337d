// The scheduler stub on the in-memory transport.
#include "nova/scheduler/rpcapi.hpp"

#include <doctest/doctest.h>

#include <utility>  // before boost/asio/awaitable.hpp

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <map>
#include <thread>

#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"
#include "nova/objects/object.hpp"
#include "nova/rpc/server.hpp"
#include "nova/rpc/transport.hpp"

using namespace std::chrono_literals;

namespace nova::scheduler {
namespace {

conf::MessagingOptions TestMessagingOptions() {
    conf::MessagingOptions options{};
    options.rpc_response_timeout = 60;
    options.long_rpc_timeout = 1800;
    return options;
}

struct Fixture {
    std::shared_ptr<rpc::Transport> transport =
        rpc::MakeTransport("fake:///" + GenerateUuid(), rpc::TransportOptions{});
    conf::UpgradeLevelsOptions levels{};
    conf::MessagingOptions messaging = TestMessagingOptions();
    RequestContext ctx = RequestContext::Admin();
    Json last_args;

    std::unique_ptr<rpc::Server> Serve(std::function<Json(const Json&)> select) {
        rpc::Endpoint endpoint(std::nullopt, "4.5");
        endpoint.Add("select_destinations", [this, select](const RequestContext&, const Json& args) {
            last_args = args;
            return select(args);
        });
        auto server = std::make_unique<rpc::Server>(
            transport, rpc::ServerTarget{.topic = "scheduler", .server = "sched1"},
            std::vector<rpc::Endpoint>{endpoint}, 2);
        server->Start();
        return server;
    }
};

TEST_CASE("select_destinations sends 4.5 with Nova's arguments and returns Selection lists") {
    Fixture f;
    auto server = f.Serve([](const Json& args) {
        Json out = Json::array();
        for (const auto& uuid : args.at("instance_uuids")) {
            objects::Selection chosen, alternate;
            chosen.set_service_host("host1");
            chosen.set_allocation_request(uuid.get<std::string>());
            alternate.set_service_host("host2");
            out.push_back({objects::ToPrimitive(chosen), objects::ToPrimitive(alternate)});
        }
        return out;
    });
    SchedulerRpcApi api(f.transport, f.levels, f.messaging);
    objects::RequestSpec spec;
    spec.set_num_instances(2);
    auto selections = api.SelectDestinations(f.ctx, spec, {"u1", "u2"}, true);
    REQUIRE(selections.size() == 2);
    CHECK(selections[0][0].service_host() == "host1");
    CHECK(selections[1][0].allocation_request() == "u2");
    CHECK(selections[1][1].service_host() == "host2");
    CHECK(f.last_args.at("return_objects") == true);
    CHECK(f.last_args.at("return_alternates") == true);
    CHECK(f.last_args.at("spec_obj").at("nova_object.name") == "RequestSpec");
}

TEST_CASE("NoValidHost raised by the scheduler comes back as itself") {
    Fixture f;
    auto server = f.Serve([](const Json&) -> Json {
        throw NoValidHost({{"reason", "There are not enough hosts available."}});
    });
    SchedulerRpcApi api(f.transport, f.levels, f.messaging);
    CHECK_THROWS_WITH_AS(api.SelectDestinations(f.ctx, objects::RequestSpec(), {"u1"}, false),
                         "No valid host was found. There are not enough hosts available.",
                         NoValidHost);
}

TEST_CASE("the awaitable select_destinations keeps many requests in flight on one thread") {
    Fixture f;
    auto server = f.Serve([](const Json& args) -> Json {
        const auto uuid = args.at("instance_uuids").at(0).get<std::string>();
        if (uuid.ends_with("7")) throw NoValidHost({{"reason", "full"}});
        objects::Selection chosen;
        chosen.set_service_host("host-" + uuid);
        return Json::array({Json::array({objects::ToPrimitive(chosen)})});
    });
    SchedulerRpcApi api(f.transport, f.levels, f.messaging);
    boost::asio::io_context io;
    std::map<std::string, std::string> hosts;
    int refused = 0;
    auto one = [](SchedulerRpcApi& stub, const RequestContext& ctx, std::string uuid,
                  std::map<std::string, std::string>& out, int& refusals) -> boost::asio::awaitable<void> {
        try {
            // (A braced list inside a co_await expression trips g++ 12: built before.)
            std::vector<std::string> uuids{uuid};
            auto selections = co_await stub.AsyncSelectDestinations(ctx, objects::RequestSpec(), uuids, false);
            out[uuid] = selections.at(0).at(0).service_host();
        } catch (const NoValidHost&) {
            ++refusals;
        }
    };
    for (int i = 0; i < 20; ++i) {
        boost::asio::co_spawn(io, one(api, f.ctx, "u" + std::to_string(i), hosts, refused),
                              boost::asio::detached);
    }
    io.run();
    CHECK(refused == 2);  // u7 and u17
    REQUIRE(hosts.size() == 18);
    CHECK(hosts.at("u3") == "host-u3");
}

TEST_CASE("a cap below 4.5 cannot ask for Selection objects") {
    Fixture f;
    f.levels.scheduler = "pike";
    SchedulerRpcApi api(f.transport, f.levels, f.messaging);
    CHECK_THROWS_AS(api.SelectDestinations(f.ctx, objects::RequestSpec(), {"u1"}, true),
                    SelectionObjectsWithOldRPCVersionNotSupported);
}

TEST_CASE("aggregate and instance-info updates fan out to every scheduler") {
    Fixture f;
    std::atomic<int> first{0}, second{0};
    auto make = [&](const std::string& name, std::atomic<int>& counter) {
        rpc::Endpoint endpoint(std::nullopt, "4.5");
        for (auto* method : {"update_aggregates", "delete_aggregate", "update_instance_info",
                             "delete_instance_info", "sync_instance_info"}) {
            endpoint.AddCast(method, [&counter](const RequestContext&, const Json&) { ++counter; });
        }
        auto server = std::make_unique<rpc::Server>(
            f.transport, rpc::ServerTarget{.topic = "scheduler", .server = name},
            std::vector<rpc::Endpoint>{endpoint}, 1);
        server->Start();
        return server;
    };
    auto s1 = make("sched1", first);
    auto s2 = make("sched2", second);
    SchedulerRpcApi api(f.transport, f.levels, f.messaging);
    api.UpdateAggregates(f.ctx, {objects::Aggregate()});
    api.DeleteAggregate(f.ctx, objects::Aggregate());
    api.UpdateInstanceInfo(f.ctx, "host1", objects::InstanceList());
    api.DeleteInstanceInfo(f.ctx, "host1", "u1");
    api.SyncInstanceInfo(f.ctx, "host1", {"u1"});
    for (int i = 0; i < 500 && (first < 5 || second < 5); ++i) std::this_thread::sleep_for(10ms);
    CHECK(first == 5);
    CHECK(second == 5);
}

}  // namespace
}  // namespace nova::scheduler
