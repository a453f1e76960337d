"""A nova-cpp cloud on this machine: configuration, databases, processes, clients.

One implementation for everything that runs the real binaries as separate processes: the
all-in-one (`scripts/cloud`, which `scripts/aio` calls) and the end-to-end suite
(tests/e2e). A cloud lives in a state directory: its nova.conf, image catalog, clouds.yaml,
logs and one PID file per service. RabbitMQ and MariaDB come from a `scripts/services`
profile (its env file); a cloud gets its own vhost and its own three databases there, so
several clouds can share one broker and one database server.

Runs with Debian's /usr/bin/python3 (it drives /usr/bin/openstack and nothing else outside
the standard library).
"""

import json
import os
import shlex
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid

# The demo image of the local image catalog (Glance v2 shape); fixed ids so that a second
# `up` finds the same records.
DEMO_IMAGES = [
    {"id": "6f1c9a3e-0b7d-4c52-9a57-2f0e8d1b4c10", "name": "cirros-0.6.2", "status": "active",
     "visibility": "public", "disk_format": "qcow2", "container_format": "bare",
     "min_ram": 0, "min_disk": 1, "size": 21430272, "created_at": "2026-01-01T00:00:00Z",
     "hw_disk_bus": "virtio", "os_distro": "cirros"},
    # Spawns of this image fail on the fake driver (its property); for failure demos and tests.
    {"id": "0b9f4c1d-7a2e-4e8b-8c3d-5a6e7f809102", "name": "fake-fail-spawn", "status": "active",
     "visibility": "public", "disk_format": "raw", "container_format": "bare",
     "min_ram": 0, "min_disk": 0, "size": 1024, "created_at": "2026-01-01T00:00:00Z",
     "fake_fail_spawn": "true"},
]

# Flavors of a fresh cloud: name, ram MB, vcpus, disk GB, id.
DEMO_FLAVORS = [
    ("m1.tiny", 512, 1, 1, "1"),
    ("m1.small", 2048, 1, 20, "2"),
    ("m1.medium", 4096, 2, 40, "3"),
    ("m1.large", 8192, 4, 80, "4"),
]

RPC_BINARIES = ("nova-conductor", "nova-scheduler", "nova-compute")


# On one machine nova-api's requests are latency-bound and the work behind them (conductor,
# scheduler, computes) is not: builds queued during a burst of requests catch up when it ends.
# So the background services yield the CPU to nova-api when both want it. Each service is a
# session of its own, hence a scheduler autogroup of its own (kernel.sched_autogroup_enabled),
# and a group's weight is set by its nice value: +10 is about a tenth of nova-api's. systemd
# deployments weight their units the same way (CPUWeight= in etc/systemd).
BACKGROUND_NICE = 10

# Run in front of a background service's binary, after setsid: sets the new session's
# autogroup nice (or, without autogroups, the process's own) and execs the service in its
# place, so the recorded PID stays the service's. A shell, not a preexec_fn: no Python runs
# between fork and exec in a process that may have threads.
YIELD_CPU_TO_API = (
    'if [ "$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null)" = 1 ] && '
    'echo %d 2>/dev/null > /proc/self/autogroup; then exec "$@"; fi; exec nice -n %d "$@"'
    % (BACKGROUND_NICE, BACKGROUND_NICE))


class CloudError(RuntimeError):
    """A step of bringing the cloud up or down failed; the message says which and why."""


def read_env_file(path):
    values = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, value = line.split("=", 1)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            values[key] = value
    return values


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pid_alive(pid):
    """Whether a process runs (for processes that are not our children, which init reaps)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Cloud:
    """One cloud. `name` picks the vhost and database names; `state_dir` holds the rest.

    compute processes: one on the libvirt driver (test:///default) when `libvirt` is true,
    and one with `fake_hosts` fake hosts (0: none). `conf_overrides` maps group -> {option:
    value} and is applied to every service's nova.conf.
    """

    def __init__(self, root, services_env, state_dir, name, *, api_port=None, glance_port=None,
                 fake_hosts=4, libvirt=True, conf_overrides=None, db_names=None, vhost=None):
        self.root = root
        self.bin = os.path.join(root, "build", "release", "bin")
        self.env = read_env_file(services_env)
        self.state = os.path.abspath(state_dir)
        self.name = name
        self.api_port = api_port or free_port()
        self.glance_port = glance_port or free_port()
        self.fake_hosts = fake_hosts
        self.libvirt = libvirt
        self.overrides = conf_overrides or {}
        self.db_names = db_names or {"api": name + "_api", "cell0": name + "_cell0",
                                     "cell1": name + "_cell1"}
        self.vhost = vhost or name
        self.children = {}  # name -> Popen, for the processes this Python process started
        self.log_dir = os.path.join(self.state, "log")
        self.pid_dir = os.path.join(self.state, "pids")
        self.conf_path = os.path.join(self.state, "nova.conf")
        self.clouds_yaml = os.path.join(self.state, "clouds.yaml")
        self.catalog_path = os.path.join(self.state, "images.json")

    # ---- addresses ----------------------------------------------------------------------
    @property
    def endpoint(self):
        return "http://127.0.0.1:%d/v2.1" % self.api_port

    @property
    def image_endpoint(self):
        return "http://127.0.0.1:%d" % self.glance_port

    def db_url(self, key):
        e = self.env
        return "mysql+pymysql://%s:%s@127.0.0.1:%s/%s?charset=utf8" % (
            e["NOVA_DB_USER"], e["NOVA_DB_PASSWORD"], e["NOVA_DB_PORT"], self.db_names[key])

    @property
    def transport_url(self):
        e = self.env
        return "rabbit://%s:%s@127.0.0.1:%s/%s" % (
            e["NOVA_RABBIT_USER"], e["NOVA_RABBIT_PASSWORD"], e["NOVA_RABBIT_PORT"], self.vhost)

    # ---- configuration ------------------------------------------------------------------
    def conf_groups(self):
        """The cloud's nova.conf as {group: {option: value}} (etc/nova/nova-aio.conf shows it)."""
        groups = {
            "DEFAULT": {
                "host": "aio",
                "transport_url": self.transport_url,
                "state_path": self.state,
                "osapi_compute_listen": "127.0.0.1",
                "osapi_compute_listen_port": str(self.api_port),
                "report_interval": "10",
                "service_down_time": "60",
                "graceful_shutdown_timeout": "30",
            },
            "api": {"auth_strategy": "noauth2"},
            "api_database": {"connection": self.db_url("api")},
            "database": {"connection": self.db_url("cell1")},
            "glance": {"local_catalog_file": self.catalog_path, "local_api_listen": "127.0.0.1",
                       "local_api_listen_port": str(self.glance_port)},
            "libvirt": {"virt_type": "qemu", "connection_uri": "test:///default"},
        }
        for group, options in self.overrides.items():
            groups.setdefault(group, {}).update({k: str(v) for k, v in options.items()})
        return groups

    @staticmethod
    def render_ini(groups):
        lines = ["# Written by scripts/lib/novacloud.py; edit the cloud's settings there."]
        for group, options in groups.items():
            lines.append("")
            lines.append("[%s]" % group)
            lines.extend("%s = %s" % (k, v) for k, v in options.items())
        return "\n".join(lines) + "\n"

    def compute_conf(self, kind):
        """The extra config file of one of the standard compute processes: host and driver."""
        if kind == "libvirt":
            groups = {"DEFAULT": {"host": "aio-libvirt", "compute_driver": "libvirt.LibvirtDriver",
                                  "instances_path": os.path.join(self.state, "instances")}}
        else:
            groups = {"DEFAULT": {"host": "aio-fake", "compute_driver": "fake.FakeDriver"},
                      "fake": {"hosts": str(self.fake_hosts), "host_prefix": "fake-host-"}}
        for group, options in self.overrides.get("compute:" + kind, {}).items():
            groups.setdefault(group, {}).update({k: str(v) for k, v in options.items()})
        return self.write_extra_conf("nova-compute-" + kind, groups)

    def write_extra_conf(self, name, groups):
        """A second --config-file for one process (its host, driver, ...); returns its path."""
        path = os.path.join(self.state, name + ".conf")
        with open(path, "w") as f:
            f.write(self.render_ini(groups))
        return path

    def start_extra(self, name, binary, groups):
        """Starts one more service process (a second scheduler, a compute of its own, ...)
        with `groups` layered over nova.conf."""
        return self.start_process(name, binary, self.write_extra_conf(name, groups))

    def write_files(self):
        for d in (self.state, self.log_dir, self.pid_dir, os.path.join(self.state, "instances")):
            os.makedirs(d, exist_ok=True)
        groups = self.conf_groups()
        # compute:<kind> entries are per-process overrides, not nova.conf groups.
        groups = {g: o for g, o in groups.items() if not g.startswith("compute:")}
        with open(self.conf_path, "w") as f:
            f.write(self.render_ini(groups))
        os.chmod(self.conf_path, 0o600)
        with open(self.catalog_path, "w") as f:
            json.dump({"images": DEMO_IMAGES}, f, indent=1)
        with open(self.clouds_yaml, "w") as f:
            f.write(self.clouds_yaml_text())

    def clouds_yaml_text(self, token="admin:admin", cloud="nova-cpp"):
        # noauth2 takes "<user>:<project>" tokens; admin_token sends one verbatim. The image
        # endpoint is nova-api's read-only Glance v2 of the local catalog (clients.md B).
        return ("clouds:\n"
                "  %s:\n"
                "    auth_type: admin_token\n"
                "    auth:\n"
                "      endpoint: %s\n"
                "      token: %s\n"
                "    compute_endpoint_override: %s\n"
                "    image_endpoint_override: %s\n") % (cloud, self.endpoint, token, self.endpoint,
                                                         self.image_endpoint)

    # ---- broker and databases -----------------------------------------------------------
    def rabbitmqctl(self, *args):
        cmd = shlex.split(self.env["NOVA_RABBITMQCTL"]) + list(args)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise CloudError("rabbitmqctl %s failed: %s" % (" ".join(args), r.stderr.strip()))
        return r.stdout

    def sql(self, statement):
        e = self.env
        cmd = ["mariadb", "-h", "127.0.0.1", "-P", e["NOVA_DB_PORT"], "-u", e["NOVA_DB_USER"],
               "-p" + e["NOVA_DB_PASSWORD"], "--batch", "--skip-column-names", "-e", statement]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise CloudError("SQL failed (%s): %s" % (statement[:80], r.stderr.strip()))
        return r.stdout

    def create_vhost(self):
        if self.vhost == self.env.get("NOVA_RABBIT_VHOST"):
            return
        existing = self.rabbitmqctl("list_vhosts", "--quiet", "--no-table-headers").split()
        if self.vhost not in existing:
            self.rabbitmqctl("add_vhost", self.vhost)
        self.rabbitmqctl("set_permissions", "-p", self.vhost, self.env["NOVA_RABBIT_USER"],
                         ".*", ".*", ".*")

    def delete_vhost(self):
        if self.vhost == self.env.get("NOVA_RABBIT_VHOST"):
            return
        if self.vhost in self.rabbitmqctl("list_vhosts", "--quiet", "--no-table-headers").split():
            self.rabbitmqctl("delete_vhost", self.vhost)

    def create_databases(self):
        for db in self.db_names.values():
            self.sql("CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4" % db)

    def drop_databases(self):
        for db in self.db_names.values():
            self.sql("DROP DATABASE IF EXISTS `%s`" % db)

    def manage(self, *args, check=True):
        cmd = [os.path.join(self.bin, "nova-manage"), "--config-file", self.conf_path] + list(args)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if check and r.returncode != 0:
            raise CloudError("nova-manage %s failed (exit %d): %s" % (
                " ".join(args), r.returncode, (r.stderr or r.stdout).strip()))
        return r

    def setup_databases(self):
        """Nova's install steps: api_db sync, map_cell0, create cell1, db sync (idempotent)."""
        self.create_databases()
        self.manage("api_db", "sync")
        cells = self.manage("cell_v2", "list_cells").stdout
        if " cell0 " not in cells:
            self.manage("cell_v2", "map_cell0", "--database_connection", self.db_url("cell0"))
        if " cell1 " not in cells:
            self.manage("cell_v2", "create_cell", "--name", "cell1",
                        "--transport-url", self.transport_url,
                        "--database_connection", self.db_url("cell1"))
        self.manage("db", "sync")

    def create_flavors(self):
        existing = self.manage("flavor", "list").stdout
        for name, ram, vcpus, disk, flavor_id in DEMO_FLAVORS:
            if (" %s " % name) in existing:
                continue
            self.manage("flavor", "create", "--name", name, "--ram", str(ram), "--vcpus", str(vcpus),
                        "--disk", str(disk), "--id", flavor_id)

    def discover_hosts(self):
        return self.manage("cell_v2", "discover_hosts", "--verbose").stdout

    # ---- processes ----------------------------------------------------------------------
    def pid_file(self, name):
        return os.path.join(self.pid_dir, name + ".pid")

    def pid_of(self, name):
        child = self.children.get(name)
        if child:
            return child.pid if child.poll() is None else None
        try:
            with open(self.pid_file(name)) as f:
                pid = int(f.read().strip() or 0)
        except (OSError, ValueError):
            return None
        return pid if pid and pid_alive(pid) else None

    def exit_code(self, name):
        """The exit status of a service this process started and that has ended, else None."""
        child = self.children.get(name)
        return child.poll() if child else None

    def service_names(self):
        names = []
        for f in sorted(os.listdir(self.pid_dir)) if os.path.isdir(self.pid_dir) else []:
            if f.endswith(".pid"):
                names.append(f[:-4])
        return names

    def start_process(self, name, binary, extra_conf=None):
        """Starts one service as its own session; returns its PID (an old one if it runs).
        Every service but nova-api runs with the background share of the CPU."""
        pid = self.pid_of(name)
        if pid:
            return pid
        cmd = [os.path.join(self.bin, binary), "--config-file", self.conf_path]
        if extra_conf:
            cmd += ["--config-file", extra_conf]
        cmd += ["--log-file", os.path.join(self.log_dir, name + ".log")]
        if binary != "nova-api":
            cmd = ["/bin/sh", "-c", YIELD_CPU_TO_API, "sh"] + cmd
        out = open(os.path.join(self.log_dir, name + ".out"), "ab")
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        out.close()
        self.children[name] = proc
        with open(self.pid_file(name), "w") as f:
            f.write("%d\n" % proc.pid)
        time.sleep(0.2)
        if proc.poll() is not None:
            raise CloudError("%s exited at once with %d; see %s" % (
                name, proc.returncode, os.path.join(self.log_dir, name + ".out")))
        return proc.pid

    def start_services(self):
        """Starts every service in Nova's order: conductor, scheduler, API, computes."""
        self.start_process("nova-conductor", "nova-conductor")
        self.start_process("nova-scheduler", "nova-scheduler")
        self.start_process("nova-api", "nova-api")
        self.wait_api()
        if self.libvirt:
            self.start_process("nova-compute-libvirt", "nova-compute", self.compute_conf("libvirt"))
        if self.fake_hosts:
            self.start_process("nova-compute-fake", "nova-compute", self.compute_conf("fake"))

    def stop_process(self, name, timeout=45):
        """SIGTERM, wait for the drain, SIGKILL after `timeout`; returns how it ended."""
        pid = self.pid_of(name)
        child = self.children.pop(name, None)
        if not pid:
            _remove(self.pid_file(name))
            if child and child.returncode:
                return "had exited with %d" % child.returncode
            return "not running"
        os.kill(pid, signal.SIGTERM)
        deadline = time.time() + timeout
        while time.time() < deadline:
            code = child.poll() if child else (None if pid_alive(pid) else 0)
            if code is not None:
                _remove(self.pid_file(name))
                return "stopped" if code == 0 else "exited with %d" % code
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
        if child:
            child.wait()
        _remove(self.pid_file(name))
        return "killed after %ds" % timeout

    def stop_services(self):
        # Reverse of the start order: API first (no new work), computes, then the RPC core.
        order = ["nova-api"] + [n for n in self.service_names() if n.startswith("nova-compute")]
        order += [n for n in self.service_names() if n not in order]
        return {name: self.stop_process(name) for name in order}

    def log_text(self, name):
        try:
            with open(os.path.join(self.log_dir, name + ".log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    # ---- waiting and the API ------------------------------------------------------------
    def api(self, method, path, body=None, token="admin:admin", version="2.latest", timeout=30):
        """One compute API request; returns (status, parsed body or None, headers)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.endpoint + path, data=data, method=method)
        req.add_header("X-Auth-Token", token)
        req.add_header("OpenStack-API-Version", "compute " + version.replace("2.latest", "latest"))
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None), dict(r.headers)
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw.decode(errors="replace")
            return e.code, parsed, dict(e.headers)

    def wait_api(self, timeout=60):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            if not self.pid_of("nova-api"):
                raise CloudError("nova-api exited; see %s" % os.path.join(self.log_dir, "nova-api.out"))
            try:
                with urllib.request.urlopen(self.endpoint, timeout=2) as r:
                    if r.status == 200:
                        return
            except (OSError, urllib.error.URLError) as e:
                last = e
            time.sleep(0.2)
        raise CloudError("nova-api did not answer on %s in %ds (%s)" % (self.endpoint, timeout, last))

    def compute_services(self):
        status, body, _ = self.api("GET", "/os-services")
        if status != 200:
            raise CloudError("GET /os-services answered %d: %s" % (status, body))
        return body["services"]

    def wait_services_up(self, expected_hosts, timeout=90):
        """Waits until conductor, scheduler and a compute on each expected host report up."""
        deadline = time.time() + timeout
        missing = None
        while time.time() < deadline:
            up = {(s["binary"], s["host"]) for s in self.compute_services() if s["state"] == "up"}
            binaries = {b for b, _ in up}
            missing = [b for b in ("nova-conductor", "nova-scheduler") if b not in binaries]
            missing += ["nova-compute@" + h for h in expected_hosts if ("nova-compute", h) not in up]
            if not missing:
                return
            for name in self.service_names():
                if not self.pid_of(name):
                    raise CloudError("%s exited; see %s" % (name, os.path.join(self.log_dir, name + ".out")))
            time.sleep(0.5)
        raise CloudError("services not up after %ds: %s" % (timeout, ", ".join(missing)))

    def compute_hosts(self):
        hosts = []
        if self.libvirt:
            hosts.append("aio-libvirt")
        if self.fake_hosts == 1:
            hosts.append("aio-fake")
        elif self.fake_hosts:
            hosts += ["fake-host-%d" % i for i in range(self.fake_hosts)]
        return hosts

    def wait_hypervisors(self, count, timeout=60):
        deadline = time.time() + timeout
        seen = 0
        while time.time() < deadline:
            status, body, _ = self.api("GET", "/os-hypervisors")
            if status == 200:
                seen = len(body["hypervisors"])
                if seen >= count:
                    return
            time.sleep(0.5)
        raise CloudError("%d of %d hypervisors registered after %ds" % (seen, count, timeout))

    def wait_server(self, server_id, statuses=("ACTIVE",), timeout=60, token="admin:admin"):
        """Polls GET /servers/{id} until its status is one of `statuses` (ERROR ends early)."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            status, body, _ = self.api("GET", "/servers/" + server_id, token=token)
            if status == 200:
                last = body["server"]
                if last["status"] in statuses:
                    return last
                if last["status"] == "ERROR" and "ERROR" not in statuses:
                    raise CloudError("server %s went to ERROR: %s" % (server_id, last.get("fault")))
            elif status == 404 and "DELETED" in statuses:
                return None
            time.sleep(0.2)
        raise CloudError("server %s not %s after %ds (last: %s)" % (
            server_id, "/".join(statuses), timeout, last and last.get("status")))

    def wait_gone(self, server_id, timeout=60):
        return self.wait_server(server_id, statuses=("DELETED",), timeout=timeout)

    # ---- the openstack client ------------------------------------------------------------
    def openstack(self, *args, token="admin:admin", microversion="2.latest", check=True):
        """Runs Debian's `openstack` against this cloud; JSON-formatting commands parsed."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        yaml_path = self.clouds_yaml
        if token != "admin:admin":
            yaml_path = os.path.join(self.state, "clouds-%s.yaml" % token.replace(":", "_"))
            with open(yaml_path, "w") as f:
                f.write(self.clouds_yaml_text(token=token))
        env["OS_CLIENT_CONFIG_FILE"] = yaml_path
        cmd = ["/usr/bin/openstack", "--os-cloud", "nova-cpp",
               "--os-compute-api-version", microversion]
        cmd += list(args)
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=180)
        if check and r.returncode != 0:
            raise CloudError("openstack %s failed (exit %d): %s" % (
                " ".join(args), r.returncode, (r.stderr or r.stdout).strip()[-2000:]))
        if "-f" in args and "json" in args and r.returncode == 0 and r.stdout.strip():
            return json.loads(r.stdout)
        return r

    # ---- whole-cloud steps ----------------------------------------------------------------
    def up(self, progress=print):
        progress("configuration in %s" % self.state)
        self.write_files()
        progress("RabbitMQ vhost %s" % self.vhost)
        self.create_vhost()
        progress("databases %s (nova-manage api_db sync, cell_v2 map_cell0/create_cell, db sync)"
                 % ", ".join(self.db_names.values()))
        self.setup_databases()
        progress("services: nova-conductor, nova-scheduler, nova-api, nova-compute")
        self.start_services()
        hosts = self.compute_hosts()
        progress("waiting for every service to report up (%d compute hosts)" % len(hosts))
        self.wait_services_up(hosts)
        progress("mapping compute hosts into cell1 (nova-manage cell_v2 discover_hosts)")
        self.discover_hosts()
        self.wait_hypervisors(len(hosts))
        progress("flavors %s" % ", ".join(f[0] for f in DEMO_FLAVORS))
        self.create_flavors()

    def down(self, purge=False):
        result = self.stop_services()
        if purge:
            self.drop_databases()
            self.delete_vhost()
        return result


def _remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def new_name(prefix="e2e"):
    return "%s_%s" % (prefix, uuid.uuid4().hex[:10])
