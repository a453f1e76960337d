// The real nova-api binary, started on free loopback ports with a local image catalog, driven
// over HTTP, by Debian's openstackclient and openstacksdk, and with bad input; then stopped
// with SIGTERM. No broker or database is involved yet.
#include <doctest/doctest.h>

#include <signal.h>

#include "process_support.hpp"

using namespace nova::api::testing;
using nova::Json;

TEST_CASE("nova-api process: versions, negotiation, auth and faults over real HTTP") {
    NovaApi api;
    REQUIRE_MESSAGE(api.WaitReady(), api.Log());
    int port = api.compute_port;

    auto root = Get(port, "/");
    CHECK(root.status == 200);
    CHECK(root.json()["versions"][1]["version"] == "2.93");

    Client conn(port);  // one keep-alive connection for the rest
    auto v21 = conn.Send("GET", "/v2.1");
    CHECK(v21.status == 200);
    CHECK(v21.json()["version"]["links"][0]["href"] == "http://127.0.0.1:" + std::to_string(port) + "/v2.1/");
    CHECK(v21.header("OpenStack-API-Version") == "compute 2.1");
    CHECK(v21.count("Vary") == 2);
    CHECK(v21.header("x-compute-request-id").rfind("req-", 0) == 0);
    CHECK(conn.Send("GET", "/v2.1/").status == 200);
    CHECK(conn.Send("GET", "/v2").json()["version"]["id"] == "v2.0");
    CHECK(conn.Send("GET", "/nowhere").status == 300);

    auto no_token = conn.Send("GET", "/v2.1/servers");
    CHECK(no_token.status == 204);  // and the connection stays usable after a 204
    CHECK(no_token.header("X-Auth-Token") == "admin:admin");

    auto bad = conn.Send("GET", "/v2.1/", {{"OpenStack-API-Version", "compute 2.x"}});
    CHECK(bad.status == 400);
    CHECK(bad.json()["badRequest"]["message"] ==
          "API Version String 2.x is of invalid format. Must be of format MajorNum.MinorNum.");
    auto high = conn.Send("GET", "/v2.1/versions/v2.1", {{"X-Auth-Token", "demo:demo"}, {"OpenStack-API-Version", "compute 2.200"}});
    CHECK(high.status == 406);
    CHECK(high.header("OpenStack-API-Version") == "compute 2.200");
    auto latest = conn.Send("GET", "/v2.1/versions/v2.1", {{"X-Auth-Token", "demo:demo"}, {"OpenStack-API-Version", "compute latest"}});
    CHECK(latest.status == 200);
    CHECK(latest.header("X-OpenStack-Nova-API-Version") == "2.93");
    auto scoped = conn.Send("GET", "/v2.1/0abc/", {{"X-Auth-Token", "demo:0abc"}});
    CHECK(scoped.status == 200);
    CHECK(conn.Send("GET", "/v2.1/0abc/", {{"X-Auth-Token", "demo:1def"}}).status == 400);
    auto unknown = conn.Send("GET", "/v2.1/nosuchthing", kAdmin);
    CHECK(unknown.status == 404);
    CHECK(unknown.json()["itemNotFound"]["message"] == "The resource could not be found.");
    CHECK(conn.Send("DELETE", "/v2.1/versions/v2.1", kAdmin).status == 404);

    // Global request id in, our own request id out; the access log has both.
    auto traced = conn.Send("GET", "/v2.1/versions/v2.1",
                            {{"X-Auth-Token", "admin:admin"}, {"X-OpenStack-Request-ID", "req-0f1e2d3c-4b5a-4968-8776-655443322110"}});
    CHECK(traced.header("x-openstack-request-id") != "req-0f1e2d3c-4b5a-4968-8776-655443322110");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::string log = api.Log();
    CHECK(log.find("[req-0f1e2d3c-4b5a-4968-8776-655443322110 " + traced.header("x-openstack-request-id") +
                   " admin admin - - -]") != std::string::npos);
    CHECK(log.find("\"GET /v2.1/versions/v2.1\" status: 200") != std::string::npos);
}

TEST_CASE("nova-api process: bad input gets a clear 4xx and the process carries on") {
    NovaApi api;
    REQUIRE_MESSAGE(api.WaitReady(), api.Log());
    int port = api.compute_port;

    // A body over [oslo_middleware] max_request_body_size (4096 here), with Content-Length.
    {
        Client c(port);
        auto r = c.Send("POST", "/v2.1/servers", kAdmin, std::string(5000, 'x'));
        CHECK(r.status == 413);
        CHECK(r.json()["overLimit"]["message"] == "Request is too large. Larger than max_request_body_size (4096).");
    }
    // ... and chunked, without a length.
    {
        Client c(port);
        std::string raw = "POST /v2.1/servers HTTP/1.1\r\nHost: x\r\nX-Auth-Token: admin:admin\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n";
        for (int i = 0; i < 10; ++i) raw += "3e8\r\n" + std::string(1000, '{') + "\r\n";
        raw += "0\r\n\r\n";
        asio::write(c.stream(), asio::buffer(raw));
        CHECK(c.Read().status == 413);
    }
    // Not HTTP at all, an oversized header, a malformed escape in the path.
    {
        Client c(port);
        asio::write(c.stream(), asio::buffer(std::string("BLAH BLAH\r\n\r\n")));
        CHECK(c.Read().status == 400);
    }
    {
        Client c(port);
        asio::write(c.stream(), asio::buffer("GET /v2.1/ HTTP/1.1\r\nHost: x\r\nX-Auth-Token: " +
                                             std::string(70000, 'a') + "\r\n\r\n"));
        CHECK(c.Read().status == 400);
    }
    CHECK(Get(port, "/v2.1/versions/%zz", kAdmin).status == 400);
    CHECK(Get(port, "/v2.1/versions/v9", kAdmin).status == 404);
    CHECK(Get(port, "/v2.1/versions/%E2%98%83", kAdmin).status == 404);
    CHECK(Get(port, "/v2.1/versions/v2.1", {{"X-Auth-Token", "admin:admin"}, {"X-OpenStack-Nova-API-Version", "1.1"}}).status == 406);
    // A client that goes away in the middle of a request.
    {
        Client c(port);
        asio::write(c.stream(), asio::buffer(std::string("POST /v2.1/servers HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a")));
    }
    // Still serving.
    auto after = Get(port, "/v2.1/versions/v2.1", kAdmin);
    CHECK(after.status == 200);
    CHECK_FALSE(api.Exited());
}

TEST_CASE("nova-api process: the local Glance endpoint for clients") {
    NovaApi api;
    REQUIRE_MESSAGE(api.WaitReady(), api.Log());
    int glance = api.glance_port;

    CHECK(Get(glance, "/").status == 300);
    CHECK(Get(glance, "/versions").json()["versions"][0]["id"] == "v2.15");
    auto list = Get(glance, "/v2/images?name=cirros", kAdmin);
    CHECK(list.status == 200);
    REQUIRE(list.json()["images"].size() == 1);
    CHECK(list.json()["images"][0]["min_ram"] == 64);
    CHECK(list.json()["first"] == "/v2/images?name=cirros");
    CHECK(Get(glance, "/v2/images?name=nope").json()["images"].empty());
    auto show = Get(glance, "/v2/images/70a599e0-31e7-49b7-b260-868f441e862b");
    CHECK(show.json()["name"] == "cirros");
    CHECK(show.json()["status"] == "active");
    auto missing = Get(glance, "/v2/images/cirros");
    CHECK(missing.status == 404);
    CHECK(missing.json()["message"] == "No image found with ID cirros");
    CHECK(Client(glance).Send("DELETE", "/v2/images/70a599e0-31e7-49b7-b260-868f441e862b").status == 405);
    CHECK(Get(glance, "/v2/images?limit=-1").status == 400);

    // Debian's openstackclient and openstacksdk, through a clouds.yaml with the image
    // endpoint override (clients.md B).
    std::ofstream(api.dir() / "clouds.yaml")
        << "clouds:\n  nova-cpp:\n    auth_type: admin_token\n    auth:\n"
        << "      endpoint: http://127.0.0.1:" << api.compute_port << "/v2.1\n      token: admin:admin\n"
        << "    compute_endpoint_override: http://127.0.0.1:" << api.compute_port << "/v2.1\n"
        << "    image_endpoint_override: http://127.0.0.1:" << glance << "\n";
    std::string env = "env -u OS_CLOUD -u OS_AUTH_URL OS_CLIENT_CONFIG_FILE=" + (api.dir() / "clouds.yaml").string() + " ";
    int rc = -1;
    std::string listed = Run(env + "/usr/bin/openstack --os-cloud nova-cpp image list -f json", &rc);
    CHECK_MESSAGE(rc == 0, listed);
    auto images = Json::parse(listed, nullptr, false);
    REQUIRE_FALSE(images.is_discarded());
    REQUIRE(images.size() == 1);
    CHECK(images[0]["Name"] == "cirros");
    std::string shown = Run(env + "/usr/bin/openstack --os-cloud nova-cpp image show cirros -f json", &rc);
    CHECK_MESSAGE(rc == 0, shown);
    CHECK(Json::parse(shown, nullptr, false)["id"] == "70a599e0-31e7-49b7-b260-868f441e862b");
    Run(env + "/usr/bin/openstack --os-cloud nova-cpp image show no-such-image", &rc);
    CHECK(rc != 0);
    // openstacksdk's discovery: GET /v2.1 without a token.
    std::string discovered = Run(env + "/usr/bin/python3 -c \"import openstack; d = openstack.connect(cloud='nova-cpp')"
                                       ".compute.get_endpoint_data(); print(d.min_microversion, d.max_microversion)\"",
                                 &rc);
    CHECK_MESSAGE(rc == 0, discovered);
    CHECK(discovered.find("(2, 1) (2, 93)") != std::string::npos);
}

TEST_CASE("nova-api process: SIGHUP reloads, SIGTERM drains and exits") {
    NovaApi api;
    REQUIRE_MESSAGE(api.WaitReady(), api.Log());
    // A second image appears in the catalog; SIGHUP makes it visible.
    std::ofstream(api.dir() / "images.json")
        << R"({"images": [{"id": "70a599e0-31e7-49b7-b260-868f441e862b", "name": "cirros"},
                          {"id": "a0a599e0-31e7-49b7-b260-868f441e862b", "name": "fedora"}]})";
    CHECK(Get(api.glance_port, "/v2/images?name=fedora").json()["images"].empty());
    api.Signal(SIGHUP);
    bool reloaded = false;
    for (int i = 0; i < 80 && !reloaded; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
        reloaded = Get(api.glance_port, "/v2/images?name=fedora").json()["images"].size() == 1;
    }
    CHECK(reloaded);

    Client idle(api.compute_port);  // an idle keep-alive connection must not hold the stop
    CHECK(idle.Send("GET", "/v2.1/").status == 200);
    api.Signal(SIGTERM);
    CHECK(api.WaitExit(10) == 0);
    CHECK(api.Log().find("nova-api stopped") != std::string::npos);
}

TEST_CASE("nova-api process: configuration it cannot serve stops it at startup") {
    NovaApi keystone("[api]\nauth_strategy = keystone\n");
    CHECK(keystone.WaitExit(10) == 1);
    CHECK(keystone.Log().find("[keystone_authtoken] auth_url must be set when [api] auth_strategy = keystone") !=
          std::string::npos);

    NovaApi bad_port("[DEFAULT]\nosapi_compute_listen_port = 70000\n");
    CHECK(bad_port.WaitExit(10) == 1);
    CHECK(bad_port.Log().find("osapi_compute_listen_port") != std::string::npos);
}
