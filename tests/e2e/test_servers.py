"""A user's day with servers: boot, list, show, delete and the lifecycle actions, through
`openstack`, on the fake driver and on libvirt (test:///default)."""

import unittest

from harness import CloudTestCase


class ServerLifecycleTest(CloudTestCase):

    def test_boot_list_show_delete(self):
        server = self.boot("e2e-basic")
        self.assertEqual(server["status"], "ACTIVE")
        listed = self.cloud.openstack("server", "list", "-f", "json")
        self.assertIn("e2e-basic", [s["Name"] for s in listed])
        shown = self.cloud.openstack("server", "show", server["id"], "-f", "json")
        self.assertEqual(shown["OS-EXT-STS:vm_state"], "active")
        self.assertIn(shown["OS-EXT-STS:power_state"], (1, "Running"))  # raw in -f json
        self.assertTrue(shown["OS-EXT-SRV-ATTR:host"].startswith(("fake-host-", "aio-")))
        view = self.server(server["id"])
        self.assertEqual(view["flavor"]["original_name"], "m1.tiny")  # 2.47 embedded flavor
        self.assertEqual(view["image"]["id"], "6f1c9a3e-0b7d-4c52-9a57-2f0e8d1b4c10")
        # The hypervisor it runs on counts it.
        status, hyps, _ = self.cloud.api("GET", "/os-hypervisors/detail", version="2.87")
        self.assertEqual(status, 200)
        used = {h["hypervisor_hostname"]: h["running_vms"] for h in hyps["hypervisors"]}
        self.assertGreaterEqual(used[view["OS-EXT-SRV-ATTR:hypervisor_hostname"]], 1)
        self.delete_and_wait(server["id"])
        listed = self.cloud.openstack("server", "list", "-f", "json")
        self.assertNotIn("e2e-basic", [s["Name"] for s in listed])

    def test_power_actions_on_fake(self):
        sid = self.boot("e2e-power")["id"]
        self.cloud.openstack("server", "reboot", "--wait", sid)
        self.assertEqual(self.wait_state(sid, "ACTIVE")["OS-EXT-STS:power_state"], 1)
        self.cloud.openstack("server", "reboot", "--hard", "--wait", sid)
        self.wait_state(sid, "ACTIVE")
        self.cloud.openstack("server", "stop", sid)
        self.assertEqual(self.wait_state(sid, "SHUTOFF")["OS-EXT-STS:power_state"], 4)
        # Stopping a stopped server is refused with Nova's 409.
        reply = self.action(sid, {"os-stop": None}, expect=409)
        self.assertIn("while it is in vm_state stopped", reply["conflictingRequest"]["message"])
        self.cloud.openstack("server", "start", sid)
        self.wait_state(sid, "ACTIVE")
        self.cloud.openstack("server", "pause", sid)
        self.assertEqual(self.wait_state(sid, "PAUSED")["OS-EXT-STS:power_state"], 3)
        self.cloud.openstack("server", "unpause", sid)
        self.wait_state(sid, "ACTIVE")
        self.cloud.openstack("server", "suspend", sid)
        self.wait_state(sid, "SUSPENDED")
        self.cloud.openstack("server", "resume", sid)
        self.wait_state(sid, "ACTIVE")
        # The actions were recorded, newest first, with their request ids.
        status, body, _ = self.cloud.api("GET", "/servers/%s/os-instance-actions" % sid)
        self.assertEqual(status, 200, body)
        actions = [a["action"] for a in body["instanceActions"]]
        for expected in ("create", "reboot", "stop", "start", "pause", "unpause", "suspend", "resume"):
            self.assertIn(expected, actions)
        self.assertTrue(all(a["request_id"].startswith("req-") for a in body["instanceActions"]))
        self.delete_and_wait(sid)

    def test_libvirt_server(self):
        # Forced onto the libvirt host (admin's zone:host form): a domain in test:///default.
        server = self.boot("e2e-libvirt", extra=["--availability-zone", "nova:aio-libvirt"])
        view = self.server(server["id"])
        self.assertEqual(view["OS-EXT-SRV-ATTR:host"], "aio-libvirt")
        self.assertEqual(view["OS-EXT-SRV-ATTR:instance_name"][:9], "instance-")
        self.cloud.openstack("server", "stop", server["id"])
        self.wait_state(server["id"], "SHUTOFF")
        self.cloud.openstack("server", "start", server["id"])
        self.wait_state(server["id"], "ACTIVE")
        out = self.cloud.openstack("console", "log", "show", server["id"])
        self.assertEqual(out.returncode, 0)
        self.delete_and_wait(server["id"])

    def test_multi_create_and_list_paging(self):
        status, body, _ = self.cloud.api("POST", "/servers", {"server": {
            "name": "e2e-multi", "flavorRef": "1", "imageRef": "6f1c9a3e-0b7d-4c52-9a57-2f0e8d1b4c10",
            "networks": "none", "min_count": 3, "max_count": 3, "return_reservation_id": True}})
        self.assertEqual(status, 202, body)
        self.assertTrue(body["reservation_id"].startswith("r-"))
        status, listed, _ = self.cloud.api(
            "GET", "/servers/detail?reservation_id=%s" % body["reservation_id"])
        self.assertEqual(status, 200, listed)
        ids = [s["id"] for s in listed["servers"]]
        self.assertEqual(len(ids), 3)
        for sid in ids:
            self.cloud.wait_server(sid)
        # Paging: limit 2 gives a next link whose marker continues the list.
        status, page, _ = self.cloud.api("GET", "/servers?limit=2&name=e2e-multi")
        self.assertEqual(len(page["servers"]), 2)
        self.assertEqual(page["servers_links"][0]["rel"], "next")
        marker = page["servers"][-1]["id"]
        status, rest, _ = self.cloud.api("GET", "/servers?limit=2&name=e2e-multi&marker=" + marker)
        self.assertEqual(len(rest["servers"]), 1)
        for sid in ids:
            self.cloud.openstack("server", "delete", sid)
        for sid in ids:
            self.cloud.wait_gone(sid)

    def test_bad_requests_change_nothing(self):
        before = len(self.cloud.api("GET", "/servers")[1]["servers"])
        cases = [
            ({"server": {"name": "x", "flavorRef": "1"}}, 400),  # no imageRef, no networks
            ({"server": {"name": "x", "flavorRef": "1", "imageRef": "not-a-uuid",
                         "networks": "none"}}, 400),
            ({"server": {"name": "x", "flavorRef": "999", "networks": "none",
                         "imageRef": "6f1c9a3e-0b7d-4c52-9a57-2f0e8d1b4c10"}}, 400),
            ({"server": {"name": "", "flavorRef": "1", "networks": "none",
                         "imageRef": "6f1c9a3e-0b7d-4c52-9a57-2f0e8d1b4c10"}}, 400),
            ({"server": {"name": "x", "flavorRef": "1", "networks": "none", "bogus": 1,
                         "imageRef": "6f1c9a3e-0b7d-4c52-9a57-2f0e8d1b4c10"}}, 400),
        ]
        for body, expect in cases:
            status, reply, _ = self.cloud.api("POST", "/servers", body)
            self.assertEqual(status, expect, (body, reply))
            self.assertIn("message", reply["badRequest"])
        status, reply, _ = self.cloud.api("GET", "/servers/00000000-0000-4000-8000-000000000000")
        self.assertEqual(status, 404)
        status, reply, _ = self.cloud.api("GET", "/servers?limit=-1")
        self.assertEqual(status, 400)
        self.assertEqual(len(self.cloud.api("GET", "/servers")[1]["servers"]), before)
        # Everything still answers.
        self.assertEqual(self.cloud.api("GET", "/flavors")[0], 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
