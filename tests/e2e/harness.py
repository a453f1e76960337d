"""The end-to-end suite's fixture: one whole nova-cpp cloud per test module.

Every service is the real binary in its own process, on the RabbitMQ and MariaDB of the
`test` profile of scripts/services (NOVA_SERVICES_ENV names its env file), in a vhost and
three databases of its own that are dropped afterwards. Users' actions go through Debian's
`openstack` client; checks that need exact fields read the compute API directly.
Logs stay in build/e2e/<cloud>/log for a failed run.
"""

import os
import sys
import time
import unittest

ROOT = os.environ.get("NOVA_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
import novacloud  # noqa: E402

CloudError = novacloud.CloudError


def services_env():
    path = os.environ.get("NOVA_SERVICES_ENV") or os.path.join(ROOT, ".state", "test", "env")
    if not os.path.exists(path):
        raise RuntimeError("%s is missing: run scripts/services start --profile test" % path)
    return path


def make_cloud(**kwargs):
    name = novacloud.new_name("e2e")
    state = os.path.join(ROOT, "build", "e2e", name)
    overrides = kwargs.pop("conf_overrides", {})
    base = {"DEFAULT": {"debug": "true", "report_interval": "2", "service_down_time": "8",
                        "graceful_shutdown_timeout": "20"}}
    for group, options in overrides.items():
        base.setdefault(group, {}).update(options)
    return novacloud.Cloud(ROOT, services_env(), state, name, conf_overrides=base, **kwargs)


class CloudTestCase(unittest.TestCase):
    """Brings a cloud up in setUpClass and down (databases and vhost dropped) after."""

    cloud_options = {"fake_hosts": 4, "libvirt": True}
    cloud = None

    @classmethod
    def setUpClass(cls):
        cls.cloud = make_cloud(**cls.cloud_options)
        try:
            cls.cloud.up(progress=lambda text: print("  cloud: " + text, flush=True))
            cls.prepare_cloud()
        except Exception:
            cls.dump_logs()
            cls.cloud.down(purge=True)
            raise

    @classmethod
    def prepare_cloud(cls):
        """Hook for a module's extra setup after the standard cloud is up."""

    @classmethod
    def tearDownClass(cls):
        if cls.cloud:
            stopped = cls.cloud.down(purge=True)
            print("  cloud down: %s" % stopped, flush=True)

    @classmethod
    def dump_logs(cls, lines=15):
        names = sorted(f[:-4] for f in os.listdir(cls.cloud.log_dir) if f.endswith(".log"))
        for name in names:
            text = cls.cloud.log_text(name)
            if text:
                print("---- last lines of %s.log ----" % name)
                print("\n".join(text.splitlines()[-lines:]))

    def run(self, result=None):
        # Logs of the failing services, printed right after a failing test.
        before = len(result.failures) + len(result.errors) if result else 0
        outcome = super().run(result)
        if result and len(result.failures) + len(result.errors) > before:
            self.dump_logs()
        return outcome

    # ---- helpers the tests share --------------------------------------------------------------
    def boot(self, name, flavor="m1.tiny", image="cirros-0.6.2", wait=True, extra=()):
        """`openstack server create` as a user types it; returns the server (json)."""
        args = ["server", "create", "--flavor", flavor, "--image", image, "--nic", "none"]
        args += list(extra)
        if wait:
            args.append("--wait")
        args += [name, "-f", "json"]
        return self.cloud.openstack(*args, microversion="2.37")

    def server(self, server_id):
        status, body, _ = self.cloud.api("GET", "/servers/" + server_id)
        self.assertEqual(status, 200, body)
        return body["server"]

    def action(self, server_id, body, expect=202):
        status, reply, _ = self.cloud.api("POST", "/servers/%s/action" % server_id, body)
        self.assertEqual(status, expect, reply)
        return reply

    def wait_state(self, server_id, status, task_state=None, timeout=60):
        """Waits for a status with task_state cleared (the operation finished)."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            last = self.server(server_id)
            if last["status"] == status and last.get("OS-EXT-STS:task_state") == task_state:
                return last
            time.sleep(0.2)
        self.fail("server %s not %s/%s after %ds: %s/%s" % (
            server_id, status, task_state, timeout, last and last["status"],
            last and last.get("OS-EXT-STS:task_state")))

    def delete_and_wait(self, server_id):
        self.cloud.openstack("server", "delete", "--wait", server_id)
        status, body, _ = self.cloud.api("GET", "/servers/" + server_id)
        self.assertEqual(status, 404, body)
