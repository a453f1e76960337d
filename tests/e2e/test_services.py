"""Running the services as an operator does: a compute that stops is reported down after
service_down_time and no longer scheduled to; a second scheduler and conductor added while
builds flow take a share of the queues; SIGTERM drains every service cleanly."""

import concurrent.futures
import time
import unittest

from harness import CloudTestCase

IMAGE = "6f1c9a3e-0b7d-4c52-9a57-2f0e8d1b4c10"


class OperatorTest(CloudTestCase):
    # Two fake hosts in the standard compute process plus one compute of its own to stop.
    # report_interval 2 s and service_down_time 8 s come from the harness.
    # Quotas off: these tests boot more than the default 10 instances of one project.
    cloud_options = {"fake_hosts": 2, "libvirt": False,
                     "conf_overrides": {"quota": {"instances": "-1", "cores": "-1", "ram": "-1"}}}

    @classmethod
    def prepare_cloud(cls):
        c = cls.cloud
        c.start_extra("nova-compute-solo", "nova-compute", {
            "DEFAULT": {"host": "solo-host", "compute_driver": "fake.FakeDriver"},
            # The biggest host: the scheduler would pick it whenever it is up.
            "fake": {"memory_mb": "4000000"}})
        c.wait_services_up(["solo-host"])
        c.discover_hosts()
        c.wait_hypervisors(3)

    def post_server(self, name):
        status, body, _ = self.cloud.api("POST", "/servers", {"server": {
            "name": name, "flavorRef": "1", "imageRef": IMAGE, "networks": "none"}})
        self.assertEqual(status, 202, body)
        return body["server"]["id"]

    def boot_many(self, prefix, count, concurrency=8):
        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            ids = list(pool.map(self.post_server, ["%s-%d" % (prefix, i) for i in range(count)]))
        return [self.cloud.wait_server(sid, timeout=120) for sid in ids]

    def delete_all(self, servers):
        for s in servers:
            self.assertEqual(self.cloud.api("DELETE", "/servers/" + s["id"])[0], 204)
        for s in servers:
            self.cloud.wait_gone(s["id"])

    def state_of(self, host):
        for s in self.cloud.compute_services():
            if s["host"] == host and s["binary"] == "nova-compute":
                return s["state"]
        return None

    def test_1_stopped_compute_goes_down_and_is_not_scheduled(self):
        first = self.boot_many("e2e-before", 2)
        self.assertIn("solo-host", [s["OS-EXT-SRV-ATTR:host"] for s in first])
        self.assertEqual(self.cloud.stop_process("nova-compute-solo"), "stopped")
        deadline = time.time() + 30
        while self.state_of("solo-host") != "down" and time.time() < deadline:
            time.sleep(0.5)
        self.assertEqual(self.state_of("solo-host"), "down")
        after = self.boot_many("e2e-after", 4)
        self.assertNotIn("solo-host", [s["OS-EXT-SRV-ATTR:host"] for s in after])
        self.delete_all(after)
        # The servers on the stopped host are deleted locally by the API (no compute to ask).
        self.delete_all([s for s in first if s["OS-EXT-SRV-ATTR:host"] != "solo-host"])
        self.delete_all([s for s in first if s["OS-EXT-SRV-ATTR:host"] == "solo-host"])

    def test_2_second_scheduler_and_conductor_share_the_work(self):
        c = self.cloud
        # Traffic already flowing when they join.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            early = pool.submit(self.boot_many, "e2e-early", 6, 2)
            c.start_extra("nova-scheduler-2", "nova-scheduler", {"DEFAULT": {"host": "aio-2"}})
            c.start_extra("nova-conductor-2", "nova-conductor", {"DEFAULT": {"host": "aio-2"}})
            servers = early.result()
        deadline = time.time() + 30
        while time.time() < deadline:
            up = {(s["binary"], s["host"]) for s in c.compute_services() if s["state"] == "up"}
            if {("nova-scheduler", "aio-2"), ("nova-conductor", "aio-2")} <= up:
                break
            time.sleep(0.5)
        servers += self.boot_many("e2e-scale", 24, 16)
        self.assertTrue(all(s["status"] == "ACTIVE" for s in servers))
        for name, method in (("nova-scheduler-2", "select_destinations"),
                             ("nova-conductor-2", "schedule_and_build_instances")):
            self.assertIn("Dispatching " + method, c.log_text(name), name + " took no share")
        self.assertIn("Dispatching select_destinations", c.log_text("nova-scheduler"))
        self.delete_all(servers)

    def test_3_sigterm_drains_every_service(self):
        c = self.cloud
        results = c.stop_services()
        self.assertTrue(results)
        for name, how in results.items():
            self.assertEqual(how, "stopped", "%s: %s" % (name, how))
        for name in results:
            log = c.log_text(name)
            self.assertNotIn("Traceback", log)
            self.assertNotIn(" CRITICAL ", log)


if __name__ == "__main__":
    unittest.main(verbosity=2)
