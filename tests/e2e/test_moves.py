"""Resize (confirm and revert) and cold migration across fake hosts: the server's host,
flavor and the hypervisors' usage at every step."""

import unittest

from harness import CloudTestCase


class MoveTest(CloudTestCase):
    # Three hosts; a resize never stays on its host (Nova's default).
    cloud_options = {"fake_hosts": 3, "libvirt": False}

    def allocations(self, server_id):
        """The server's resource usage as the scheduler's claims hold it, via the API DB."""
        rows = self.cloud.sql(
            "SELECT rp.name, a.resource_class, a.used FROM `%s`.allocations a "
            "JOIN `%s`.resource_providers rp ON rp.id = a.resource_provider_id "
            "WHERE a.consumer_id = '%s'" % (self.cloud.db_names["api"], self.cloud.db_names["api"],
                                            server_id))
        return sorted(tuple(line.split("\t")) for line in rows.splitlines())

    def resize(self, sid, flavor):
        self.cloud.openstack("server", "resize", "--flavor", flavor, "--wait", sid)
        server = self.wait_state(sid, "VERIFY_RESIZE")
        return server

    def test_resize_confirm(self):
        sid = self.boot("e2e-resize-confirm")["id"]
        source = self.server(sid)["OS-EXT-SRV-ATTR:host"]
        server = self.resize(sid, "m1.small")
        dest = server["OS-EXT-SRV-ATTR:host"]
        self.assertNotEqual(dest, source)
        self.assertEqual(server["flavor"]["original_name"], "m1.small")
        # While it waits for confirmation the migration record holds the source claim.
        status, migs, _ = self.cloud.api("GET", "/os-migrations?instance_uuid=" + sid)
        self.assertEqual(migs["migrations"][0]["status"], "finished")
        self.assertEqual(migs["migrations"][0]["source_compute"], source)
        self.cloud.openstack("server", "resize", "confirm", sid)
        server = self.wait_state(sid, "ACTIVE")
        self.assertEqual(server["OS-EXT-SRV-ATTR:host"], dest)
        self.assertEqual(server["flavor"]["original_name"], "m1.small")
        alloc = self.allocations(sid)
        self.assertIn((dest, "MEMORY_MB", "2048"), alloc)
        self.assertFalse([a for a in alloc if a[0] == source])
        status, migs, _ = self.cloud.api("GET", "/os-migrations?instance_uuid=" + sid)
        self.assertEqual(migs["migrations"][0]["status"], "confirmed")
        self.delete_and_wait(sid)
        self.assertEqual(self.allocations(sid), [])

    def test_resize_revert(self):
        sid = self.boot("e2e-resize-revert")["id"]
        source = self.server(sid)["OS-EXT-SRV-ATTR:host"]
        server = self.resize(sid, "m1.small")
        self.assertNotEqual(server["OS-EXT-SRV-ATTR:host"], source)
        self.cloud.openstack("server", "resize", "revert", sid)
        server = self.wait_state(sid, "ACTIVE")
        self.assertEqual(server["OS-EXT-SRV-ATTR:host"], source)
        self.assertEqual(server["flavor"]["original_name"], "m1.tiny")
        alloc = self.allocations(sid)
        self.assertEqual({a[0] for a in alloc}, {source})
        self.assertIn((source, "MEMORY_MB", "512"), alloc)
        status, migs, _ = self.cloud.api("GET", "/os-migrations?instance_uuid=" + sid)
        self.assertEqual(migs["migrations"][0]["status"], "reverted")
        self.delete_and_wait(sid)

    def test_cold_migrate(self):
        sid = self.boot("e2e-migrate")["id"]
        source = self.server(sid)["OS-EXT-SRV-ATTR:host"]
        self.cloud.openstack("server", "migrate", "--wait", sid)
        server = self.wait_state(sid, "VERIFY_RESIZE")
        dest = server["OS-EXT-SRV-ATTR:host"]
        self.assertNotEqual(dest, source)
        self.assertEqual(server["flavor"]["original_name"], "m1.tiny")
        self.cloud.openstack("server", "resize", "confirm", sid)
        self.wait_state(sid, "ACTIVE")
        # (running_vms of the hypervisors follows at the next resource audit, as in Nova.)
        self.assertEqual({a[0] for a in self.allocations(sid)}, {dest})
        self.delete_and_wait(sid)


if __name__ == "__main__":
    unittest.main(verbosity=2)
