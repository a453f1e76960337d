"""Builds that fail: a reschedule onto an alternate after an injected spawn failure, every
host failing (ERROR with a fault, nothing held), and NoValidHost."""

import unittest

from harness import CloudTestCase

FAIL_IMAGE = "fake-fail-spawn"  # the catalog image whose spawns the fake driver fails


class BuildFailureTest(CloudTestCase):
    # No standard computes: two of our own. "bad-host" fails every spawn and has the most RAM,
    # so RAMWeigher picks it first; "good-host" is the alternate.
    # No quota on RAM, so that the "huge" flavor gets as far as the scheduler.
    cloud_options = {"fake_hosts": 0, "libvirt": False,
                     "conf_overrides": {"quota": {"ram": "-1"}}}

    @classmethod
    def prepare_cloud(cls):
        c = cls.cloud
        c.start_extra("nova-compute-bad", "nova-compute", {
            "DEFAULT": {"host": "bad-host", "compute_driver": "fake.FakeDriver"},
            "fake": {"fail_spawn": "true", "memory_mb": "1600000"}})
        c.start_extra("nova-compute-good", "nova-compute", {
            "DEFAULT": {"host": "good-host", "compute_driver": "fake.FakeDriver"},
            "fake": {"memory_mb": "800000"}})
        c.wait_services_up(["bad-host", "good-host"])
        c.discover_hosts()
        c.wait_hypervisors(2)
        c.manage("flavor", "create", "--name", "huge", "--ram", "100000000", "--vcpus", "1",
                 "--disk", "1", "--id", "99")

    def allocation_count(self, server_id):
        rows = self.cloud.sql("SELECT COUNT(*) FROM `%s`.allocations WHERE consumer_id = '%s'" % (
            self.cloud.db_names["api"], server_id))
        return int(rows.strip())

    def test_reschedule_lands_on_alternate(self):
        server = self.boot("e2e-resched")
        self.assertEqual(server["status"], "ACTIVE")
        view = self.server(server["id"])
        self.assertEqual(view["OS-EXT-SRV-ATTR:host"], "good-host")
        self.assertIn("Rescheduling the build", self.cloud.log_text("nova-compute-bad"))
        rows = self.cloud.sql(
            "SELECT rp.name FROM `%s`.allocations a JOIN `%s`.resource_providers rp "
            "ON rp.id = a.resource_provider_id WHERE a.consumer_id = '%s'" % (
                self.cloud.db_names["api"], self.cloud.db_names["api"], server["id"]))
        self.assertEqual(set(rows.split()), {"good-host"})  # the bad host's claim was released
        self.delete_and_wait(server["id"])

    def test_every_host_failing_ends_in_error(self):
        server = self.boot("e2e-allfail", image=FAIL_IMAGE, wait=False)
        final = self.cloud.wait_server(server["id"], statuses=("ERROR",))
        self.assertIn("fault", final)
        self.assertTrue(final["fault"]["message"])
        self.assertEqual(self.allocation_count(server["id"]), 0)
        self.delete_and_wait(server["id"])

    def test_no_valid_host(self):
        server = self.boot("e2e-novalid", flavor="huge", wait=False)
        final = self.cloud.wait_server(server["id"], statuses=("ERROR",))
        self.assertEqual(final["fault"]["code"], 500)
        self.assertIn("No valid host was found", final["fault"]["message"])
        self.assertEqual(self.allocation_count(server["id"]), 0)
        self.delete_and_wait(server["id"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
