#!/usr/bin/env python3
# Health checks (issue 12) through nginx and the shipped snippet:
# /healthz answers 200 from the pool (and from the status worker while
# every pool worker is held); /readyz probes each tenant's configured
# backends (AMI double up, a refusing port down, a listener that never
# answers within ready.probe_timeout), keeps each result ready.cache,
# and both follow the status access rule (403 outside status.allow).
import json
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(120)
t = T.Tap()
KEY = "health-key-0123456789abcdef0123456789"
STOK = "status-token-0123456789abcdef"
D = T.tmpdir("pbxapi-health-")
SCEN = os.path.join(D, "scenario.json")
LOG = os.path.join(D, "ami.jsonl")
PORTF = os.path.join(D, "port")

T.write(SCEN, json.dumps({"auth_delay_ms": 0, "rules": []}))
T.spawn([os.path.join(T.BUILD, "doubles", "ami_double"), "--port-file",
         PORTF, "--scenario", SCEN, "--log", LOG, "--lifetime", "110",
         "--fixtures", os.path.join(T.SHARED, "fixtures", "ami")],
        log=os.path.join(D, "double.out"))
T.wait_for(lambda: os.path.exists(PORTF), what="ami_double port file")
PORT = int(T.read(PORTF))
CLOSED = T.closed_port()
AMI = {"AMI_HOST": "127.0.0.1", "AMI_PORT": str(PORT),
       "AMI_USERNAME": "admin", "AMI_SECRET": "amp111",
       "AMI_CONF_PATH": "/nonexistent"}


class Stall:
    """A listening socket that accepts, counts and never answers."""

    def __init__(self):
        self.s = socket.socket()
        self.s.bind(("127.0.0.1", 0))
        self.s.listen(64)
        self.port = self.s.getsockname()[1]
        self.accepted = 0
        self.held = []
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            c, _ = self.s.accept()
            self.accepted += 1
            self.held.append(c)


def logins():
    """AMI connections the double has seen (each logs in first)."""
    try:
        lines = T.read(LOG).splitlines()
    except OSError:
        return 0
    return len({json.loads(x).get("conn") for x in lines if x.strip()})


def half_sent(sock_path):
    """A FastCGI request that stops in its PARAMS: holds a worker."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    begin = struct.pack(">BBHHBB", 1, 1, 1, 8, 0, 0) + \
        struct.pack(">HB5x", 1, 0)
    params = struct.pack(">BBHHBB", 1, 4, 1, 100, 0, 0) + b"\x0e\x03REQ"
    s.sendall(begin + params[:8 + 8])
    return s


# ---- 1: the pool's own socket (no pm.status_listen), one worker ----
pool = T.Pool(settings={"pm.max_children": "1", "ready.cache": "30s"},
              env=dict(AMI, API_SECRET_KEY=KEY))
web = T.Nginx(pool)

st, hdr, h = web.json("/healthz")
t.is_(st, 200, "healthz: 200 through nginx, from a pool worker")
t.is_(h.get("status"), "ok", "healthz: status ok")
t.is_(h.get("pid"), pool.pid, "healthz: the master's pid")
t.ok(isinstance(h.get("uptime"), int) and "version" in h,
     "healthz: uptime and version")
t.like(hdr.get("cache-control", ""), "no-store", "healthz: not cached")

st, _, r = web.json("/readyz")
t.is_(st, 200, "readyz: 200 with the AMI up")
t.is_(r, {"status": "ready", "tenants": {"default": {"ami": "up"}}},
      "readyz: the default tenant's AMI (elastix defaults) up")
n0 = logins()
t.is_(n0, 1, "readyz: one AMI connection, logged in")
for _ in range(10):
    st, _, r = web.json("/readyz")
t.is_(st, 200, "readyz: 200 ten times more")
t.is_(logins(), n0, "readyz: ten more checks, no new AMI connection")
st, _, _ = web.json("/ping")
t.is_(st, 200, "ping still answers next to them")
web.stop()
pool.stop()

# ---- 2: pm.status_listen, tenants down and stalled, restricted ----
stall = Stall()
extra = ("[tenant down]\ntoken = down-tok-0123456789abcdef0123\n"
         "AMI_HOST = 127.0.0.1\nAMI_PORT = %d\n"
         "[tenant stats]\ntoken = stats-tok-0123456789abcdef012\n"
         "RECORDING_DB_HOST = 127.0.0.1\nRECORDING_DB_PORT = %d\n"
         "RECORDING_DB_PASSWORD = x\n" % (CLOSED, stall.port))
pool = T.Pool(settings={"pm": "static", "pm.max_children": "2",
                        "status.allow": "192.0.2.1",
                        "status.token": STOK,
                        "ready.probe_timeout": "700ms",
                        "ready.cache": "3s"},
              env=dict(AMI, API_SECRET_KEY=KEY), extra=extra,
              status_listen=True)
web = T.Nginx(pool)
AUTH = {"Authorization": "Bearer " + STOK}

for path in ("/healthz", "/readyz"):
    st, _, b = web.json(path)
    t.is_(st, 403, "%s outside status.allow without the token: 403" % path)
st, _, h = web.json("/healthz", AUTH)
t.is_((st, h.get("status")), (200, "ok"),
      "healthz with status.token: 200 from the status worker")

t0 = time.time()
st, _, r = web.json("/readyz", AUTH)
took = time.time() - t0
t.is_(st, 503, "readyz: 503 with a backend down")
t.is_(r.get("status"), "not ready", "readyz: not ready")
tn = r.get("tenants", {})
t.is_(tn.get("default"), {"ami": "up"}, "readyz: default's AMI up")
t.is_(tn.get("down"), {"ami": "down"}, "readyz: the refused AMI down")
t.is_(tn.get("stats"), {"pgsql xivo_stats": "timeout"},
      "readyz: the stalled stats database timed out")
t.ok(took < 1.5, "readyz answered within the probe deadline (%.2fs)"
     % took)
t.ok(str(CLOSED) not in json.dumps(r) and "127.0.0.1" not in json.dumps(r),
     "readyz: no hosts or ports in the body")
t.ok(T.poll(lambda: "readyz: tenant 'down': ami:" in pool.log()),
     "readyz: the reason is in the log")

t.is_(stall.accepted, 1, "one probe of the stalled database")
t0 = time.time()
for _ in range(8):
    st, _, r = web.json("/readyz", AUTH)
took = time.time() - t0
t.is_(stall.accepted, 1,
      "8 more checks within ready.cache: no new probe (one worker)")
t.ok(took < 1.0, "cached answers are quick (%.2fs for 8)" % took)
t.is_(r["tenants"]["stats"], {"pgsql xivo_stats": "timeout"},
      "the cached result still says timeout")
time.sleep(3.2)
web.json("/readyz", AUTH)
t.is_(stall.accepted, 2, "after ready.cache: probed again, once")

held = [half_sent(pool.sock) for _ in range(4)]
time.sleep(0.3)
t0 = time.time()
st, _, h = web.json("/healthz", AUTH)
t.is_((st, h.get("status")), (200, "ok"),
      "healthz answers while both pool workers are held")
t.ok(time.time() - t0 < 2, "at once (%.2fs)" % (time.time() - t0))
for s in held:
    s.close()
web.stop()
pool.stop()
t.done()
