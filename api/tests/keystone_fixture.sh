#!/usr/bin/env bash
# A throw-away Keystone (Debian's python3-keystone, Zed) on sqlite under uwsgi on loopback, for
# nova-api's Keystone tests (CTest fixture `keystone`; the test binary also runs it itself when
# the fixture has not). See ../shared/design/keystone.md for the pitfalls this avoids.
#
#   keystone_fixture.sh start <dir>   create (first time, ~40 s) or restart Keystone; idempotent
#   keystone_fixture.sh stop <dir>    stop it (by the PID in <dir>/uwsgi.pid)
#   keystone_fixture.sh wipe <dir>    stop it and remove <dir>
#
# Writes <dir>/env (KEY=VALUE): KEYSTONE_URL, NOVA_PORT, GLANCE_PORT (the ports nova-api must
# listen on: they are the compute and image endpoints of the catalog), and the accounts:
#   admin / secret   project admin, role admin
#   demo  / secret   project demo, roles member + reader
#   alt   / secret   project alt,  roles member + reader
#   nova  / secret   project service, roles admin + service (nova-api's service user)
set -euo pipefail
CMD=${1:?usage: keystone_fixture.sh start|stop|wipe <dir>}
KS=${2:?usage: keystone_fixture.sh start|stop|wipe <dir>}
KS=$(mkdir -p "$KS" && cd "$KS" && pwd)
PY=/usr/bin/python3

stop() {
  if [ -f "$KS/uwsgi.pid" ]; then
    pid=$(cat "$KS/uwsgi.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$KS/uwsgi.pid"
  fi
}

free_port() {
  $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

answers() { curl -sf -m 2 "http://127.0.0.1:$1/v3" >/dev/null 2>&1; }

case "$CMD" in
  stop) stop; exit 0 ;;
  wipe) stop; rm -rf "$KS"; exit 0 ;;
  start) ;;
  *) echo "keystone_fixture: unknown command $CMD" >&2; exit 2 ;;
esac

for tool in keystone-manage uwsgi curl; do
  command -v $tool >/dev/null || { echo "keystone_fixture: $tool is missing (scripts/install-deps)" >&2; exit 1; }
done

if [ -f "$KS/env" ] && [ -f "$KS/ready" ]; then
  # shellcheck disable=SC1091
  . "$KS/env"
  PORT=$KEYSTONE_PORT
  if answers "$PORT"; then echo "keystone_fixture: Keystone already answers on $PORT"; exit 0; fi
  FRESH=0
else
  rm -rf "$KS"; mkdir -p "$KS"
  PORT=$(free_port); NOVA_PORT=$(free_port); GLANCE_PORT=$(free_port)
  FRESH=1
fi

if [ $FRESH = 1 ]; then
  mkdir -p "$KS/fernet-keys" "$KS/credential-keys" "$KS/log"
  cat > "$KS/keystone.conf" <<EOF
[DEFAULT]
log_dir = $KS/log
[database]
connection = sqlite:///$KS/keystone.db
[token]
provider = fernet
expiration = 3600
[fernet_tokens]
key_repository = $KS/fernet-keys
[fernet_receipts]
key_repository = $KS/fernet-keys
[credential]
key_repository = $KS/credential-keys
[cache]
enabled = false
EOF
  C="--config-file $KS/keystone.conf"
  # Each keystone-manage run ends with a harmless eventlet traceback on stderr.
  keystone-manage $C db_sync >"$KS/log/manage.log" 2>&1 || true
  # WAL, or every write fails after 5 s with "database is locked".
  $PY -c "import sqlite3; sqlite3.connect('$KS/keystone.db').execute('PRAGMA journal_mode=WAL')"
  keystone-manage $C fernet_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)" >>"$KS/log/manage.log" 2>&1 || true
  keystone-manage $C credential_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)" >>"$KS/log/manage.log" 2>&1 || true
  keystone-manage $C bootstrap --bootstrap-password secret --bootstrap-username admin \
    --bootstrap-project-name admin --bootstrap-role-name admin --bootstrap-service-name keystone \
    --bootstrap-region-id RegionOne --bootstrap-admin-url "http://127.0.0.1:$PORT/v3" \
    --bootstrap-internal-url "http://127.0.0.1:$PORT/v3" --bootstrap-public-url "http://127.0.0.1:$PORT/v3" \
    >>"$KS/log/manage.log" 2>&1 || true
  [ -s "$KS/fernet-keys/0" ] || { echo "keystone_fixture: keystone-manage failed, see $KS/log/manage.log" >&2; exit 1; }
fi

# Processes without threads (sqlite objects cannot cross threads); HTTP/1.1 for keep-alive.
# One process is not enough: a client's idle keep-alive connection holds a uwsgi worker, so
# nova-api's validation would wait behind openstackclient's open connection.
setsid uwsgi --plugin python3 --http11-socket "127.0.0.1:$PORT" --wsgi-file /usr/bin/keystone-wsgi-public \
  --env "OS_KEYSTONE_CONFIG_DIR=$KS" --processes 4 --master --die-on-term \
  --logto "$KS/log/uwsgi.log" --pidfile "$KS/uwsgi.pid" </dev/null >/dev/null 2>&1 &
for _ in $(seq 120); do answers "$PORT" && break; sleep 0.5; done
answers "$PORT" || { echo "keystone_fixture: Keystone does not answer on $PORT, see $KS/log" >&2; stop; exit 1; }

if [ $FRESH = 1 ]; then
  # The accounts and the catalog, through Keystone's REST API (one admin token; much faster
  # than one `openstack` process per step).
  KEYSTONE_URL=http://127.0.0.1:$PORT/v3 NOVA_PORT=$NOVA_PORT GLANCE_PORT=$GLANCE_PORT $PY - <<'EOF'
import json, os, urllib.request
url = os.environ["KEYSTONE_URL"]
def call(method, path, body=None, token=None):
    req = urllib.request.Request(url + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"Content-Type": "application/json"})
    if token: req.add_header("X-Auth-Token", token)
    with urllib.request.urlopen(req, timeout=60) as r:
        data = r.read()
        return r.headers, (json.loads(data) if data else None)
auth = {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "domain": {"id": "default"}, "password": "secret"}}},
                 "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
headers, _ = call("POST", "/auth/tokens", auth)
token = headers["X-Subject-Token"]
roles = {r["name"]: r["id"] for r in call("GET", "/roles", token=token)[1]["roles"]}
for name in ("member", "reader", "service"):
    if name not in roles:
        roles[name] = call("POST", "/roles", {"role": {"name": name}}, token)[1]["role"]["id"]
for stype, name, port, path in (("compute", "nova", os.environ["NOVA_PORT"], "/v2.1"), ("image", "glance", os.environ["GLANCE_PORT"], "")):
    sid = call("POST", "/services", {"service": {"type": stype, "name": name}}, token)[1]["service"]["id"]
    call("POST", "/endpoints", {"endpoint": {"service_id": sid, "interface": "public", "region_id": "RegionOne",
                                             "url": "http://127.0.0.1:%s%s" % (port, path)}}, token)
def project(name):
    return call("POST", "/projects", {"project": {"name": name, "domain_id": "default"}}, token)[1]["project"]["id"]
def user(name, project_id, role_names):
    uid = call("POST", "/users", {"user": {"name": name, "password": "secret", "domain_id": "default",
                                           "default_project_id": project_id}}, token)[1]["user"]["id"]
    for r in role_names:
        call("PUT", "/projects/%s/users/%s/roles/%s" % (project_id, uid, roles[r]), token=token)
    return uid
ids = {}
for p in ("demo", "alt"):
    ids[p + "_project"] = project(p)
    ids[p + "_user"] = user(p, ids[p + "_project"], ["member", "reader"])
ids["service_project"] = project("service")
user("nova", ids["service_project"], ["admin", "service"])
projects = call("GET", "/projects?name=admin", token=token)[1]["projects"]
ids["admin_project"] = projects[0]["id"]
with open(os.environ.get("IDS_FILE", "/dev/stdout"), "w") as f:
    for k, v in ids.items():
        f.write("%s=%s\n" % (k.upper(), v))
EOF
fi > "$KS/ids.tmp" || { echo "keystone_fixture: creating the accounts failed" >&2; stop; exit 1; }

if [ $FRESH = 1 ]; then
  {
    echo "# Written by keystone_fixture.sh"
    echo "KEYSTONE_PORT=$PORT"
    echo "KEYSTONE_URL=http://127.0.0.1:$PORT/v3"
    echo "NOVA_PORT=$NOVA_PORT"
    echo "GLANCE_PORT=$GLANCE_PORT"
    cat "$KS/ids.tmp"
  } > "$KS/env"
  touch "$KS/ready"
fi
rm -f "$KS/ids.tmp"
echo "keystone_fixture: Keystone answers on http://127.0.0.1:$PORT/v3 ($KS)"
