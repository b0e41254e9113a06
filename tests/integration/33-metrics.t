#!/usr/bin/env python3
# Prometheus /metrics (issue 12) through nginx and the shipped snippet:
# requests of several dialects and statuses move pbxapi_requests_total
# and the latency histograms by exactly what was sent; the AMI backend's
# connects, pooled connections and operations are counted per tenant;
# promtool check metrics passes on every scrape; a killed worker, a
# request_terminate_timeout and a SIGUSR2 reload move the pool counters,
# which survive them; /metrics follows the status access rule (403
# outside status.allow, status.token lets in); X-Request-Id equals the id
# of the request's access line; a slow request's slow-log line has the
# per-backend breakdown; the lighttpd and Apache snippets route /metrics.
import json
import os
import re
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(120)
t = T.Tap()
KEY = "metrics-key-0123456789abcdef0123456789"
STOK = "metrics-status-token-0123456789abcdef"
D = T.tmpdir("pbxapi-metrics-")
SCEN = os.path.join(D, "scenario.json")
LOG = os.path.join(D, "ami.jsonl")
PORTF = os.path.join(D, "port")
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def scenario(rules=()):
    T.write(SCEN + ".tmp", json.dumps({"auth_delay_ms": 0,
                                       "rules": list(rules)}))
    os.rename(SCEN + ".tmp", SCEN)


scenario()
T.spawn([os.path.join(T.BUILD, "doubles", "ami_double"), "--port-file",
         PORTF, "--scenario", SCEN, "--log", LOG, "--lifetime", "110",
         "--fixtures", os.path.join(T.SHARED, "fixtures", "ami")],
        log=os.path.join(D, "double.out"))
T.wait_for(lambda: os.path.exists(PORTF), what="ami_double port file")
AMI = {"AMI_HOST": "127.0.0.1", "AMI_PORT": T.read(PORTF).strip(),
       "AMI_USERNAME": "admin", "AMI_SECRET": "amp111",
       "AMI_CONF_PATH": "/nonexistent"}

# One worker, so that connects and pooled connections are exact.
pool = T.Pool(settings={"pm.max_children": "1", "backend_timeout": "10s",
                        "request_slowlog_timeout": "300ms",
                        "request_terminate_timeout": "2s",
                        "status.token": STOK},
              env=dict(AMI, API_SECRET_KEY=KEY))
web = T.Nginx(pool)
AUTH = {"Authorization": "Bearer " + STOK}

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$')


def scrape(headers=None):
    """Returns (status, headers, text, {series: value})."""
    st, hdr, data = web.get("/metrics", headers)
    text = data.decode("utf-8", "replace")
    vals = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m and not line.startswith("#"):
            vals[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return st, hdr, text, vals


def promtool(text, name):
    if not os.access(PROMTOOL, os.X_OK):
        t.skip(name, "promtool not installed")
        return
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(),
                       capture_output=True)
    t.ok(p.returncode == 0, name)
    if p.returncode != 0:
        t.diag((p.stdout + p.stderr).decode())


def req_series(dialect, cmd, tenant, code):
    return ('pbxapi_requests_total{dialect="%s",command="%s",tenant="%s",'
            'code="%d"}' % (dialect, cmd, tenant, code))


def delta(before, after, series):
    return after.get(series, 0) - before.get(series, 0)


def hist_ok(vals, name, labels):
    """Buckets cumulative and ending at +Inf == _count."""
    les = ["0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
           "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"]
    got = [vals.get('%s_bucket{%s,le="%s"}' % (name, labels, le))
           for le in les]
    if None in got:
        return False
    mono = all(a <= b for a, b in zip(got, got[1:]))
    return mono and got[-1] == vals.get("%s_count{%s}" % (name, labels))


# The scrape itself: format, headers, promtool.
st, hdr, text0, v0 = scrape()
t.is_(st, 200, "/metrics from 127.0.0.1: 200")
t.is_(hdr.get("content-type"), "text/plain; version=0.0.4; charset=utf-8",
      "the exposition format's Content-Type")
t.like(text0, "# TYPE pbxapi_requests_total counter", "TYPE lines")
promtool(text0, "promtool check metrics passes on a fresh pool")

# Requests of several dialects and statuses.
sent = {}


def count(st, dialect, cmd, tenant):
    k = req_series(dialect, cmd, tenant, st)
    sent[k] = sent.get(k, 0) + 1


for _ in range(3):
    st, _, _ = web.get("/api/api.php?cmd=sippeers", {"Authorization": KEY})
    t.is_(st, 200, "elastix sippeers: 200")
    count(st, "elastix", "sippeers", "default")
for _ in range(2):
    st, _, _ = web.get("/api/api.php?cmd=sippeers", {"Authorization": "x"})
    t.is_(st, 401, "elastix with a wrong key: 401")
    count(st, "elastix", "-", "-")
st, _, _ = web.get("/api/api.php?cmd=nosuchcmd", {"Authorization": KEY})
t.ok(st >= 400, "elastix unknown command: %d" % st)
count(st, "elastix", "-", "default")
st, _, _ = web.get("/ari/channels")
t.is_(st, 401, "ARI without credentials: 401")
count(st, "ari", "-", "-")
st, _, _ = web.get("/openapi.json")
t.is_(st, 200, "openapi.json: 200")
count(st, "openapi", "openapi", "-")

st, _, text1, v1 = scrape()
for k, n in sorted(sent.items()):
    t.is_(delta(v0, v1, k), n, "%s moved by %d" % (k, n))
t.is_(delta(v0, v1, req_series("status", "metrics", "-", 200)), 1,
      "the previous scrape counted once (after its own reply)")
dur = 'dialect="elastix",command="sippeers"'
t.is_(delta(v0, v1, "pbxapi_request_duration_seconds_count{%s}" % dur), 3,
      "latency histogram of elastix sippeers: 3 observations")
t.ok(hist_ok(v1, "pbxapi_request_duration_seconds", dur),
     "its buckets are cumulative and +Inf equals _count")
t.ok(v1.get("pbxapi_request_duration_seconds_sum{%s}" % dur, 0) > 0,
     "and _sum is positive")
bk = 'tenant="default",backend="ami"'
t.is_(delta(v0, v1, "pbxapi_backend_connects_total{%s}" % bk), 1,
      "one AMI connect for three requests (kept by the one worker)")
t.is_(v1.get("pbxapi_backend_connections{%s}" % bk), 1,
      "one pooled AMI connection")
t.is_(delta(v0, v1, "pbxapi_backend_connect_failures_total{%s}" % bk), 0,
      "no connect failures")
# Each sippeers: the login (first only) and one SIPpeers action.
t.is_(delta(v0, v1, "pbxapi_backend_operation_duration_seconds_count{%s}"
            % bk), 4, "AMI operations: one login and three actions")
t.ok(hist_ok(v1, "pbxapi_backend_operation_duration_seconds", bk),
     "AMI operation histogram consistent")
t.is_(sum(v for k, v in v1.items() if k.startswith("pbxapi_workers{")), 1,
      "pbxapi_workers counts the one pool worker")
t.is_(v1.get('pbxapi_workers{state="running"}'), 1,
      "running: the one scraping")
promtool(text1, "promtool check metrics passes after traffic")

# The shipped lighttpd and Apache snippets route /metrics to the pool.
lt = T.Lighttpd(pool)
st, hdr, data = lt.get("/metrics")
t.is_((st, hdr.get("content-type")),
      (200, "text/plain; version=0.0.4; charset=utf-8"),
      "/metrics through the lighttpd snippet")
why = T.Apache.missing()
if why:
    t.skip("/metrics through the Apache snippet", why)
else:
    ap = T.Apache(pool)
    st, hdr, data = ap.get("/metrics")
    t.is_((st, hdr.get("content-type")),
          (200, "text/plain; version=0.0.4; charset=utf-8"),
          "/metrics through the Apache snippet")

# X-Request-Id equals the id of the access line.
st, hdr, _ = web.get("/api/api.php?cmd=sippeers", {"Authorization": "bad"})
rid = hdr.get("x-request-id", "")
t.ok(re.fullmatch(r"[0-9a-f]{32}", rid) is not None,
     "X-Request-Id is nginx's $request_id (%r)" % rid)
T.wait_for(lambda: rid and rid in T.read(pool.access_log),
           what="access line of %s" % rid)
line = [ln for ln in T.read(pool.access_log).splitlines() if rid in ln][0]
t.is_(line.split()[1], rid, "the access line's second field is that id")
t.like(line, '"GET /api/api.php" 401', "and it is that request's line")
st, hdr, _ = web.get("/metrics")
t.ok(re.fullmatch(r"[0-9a-f]{32}", hdr.get("x-request-id", "")),
     "X-Request-Id on /metrics too")

# The AMI server closes mid-reply: the connection is dropped, the next
# request reconnects.
_, _, _, va = scrape()
scenario([{"action": "*", "fault": "close-mid-reply", "bytes": 12,
           "times": 1}])
st, _, _ = web.get("/api/api.php?cmd=sippeers", {"Authorization": KEY})
t.is_(st, 503, "AMI closed mid-reply: 503")
scenario()
st, _, _ = web.get("/api/api.php?cmd=sippeers", {"Authorization": KEY})
t.is_(st, 200, "the next sippeers: 200")
_, _, _, vb = scrape()
t.is_(delta(va, vb, "pbxapi_backend_dropped_total{%s}" % bk), 1,
      "the broken connection dropped: +1")
t.is_(delta(va, vb, "pbxapi_backend_reconnects_total{%s}" % bk), 1,
      "and a reconnect: +1")
t.is_(delta(va, vb, "pbxapi_backend_connects_total{%s}" % bk), 1,
      "which is a connect")
t.is_(delta(va, vb, req_series("elastix", "sippeers", "default", 503)), 1,
      "the 503 counted")

# A worker killed: crashed and spawned move; its pooled connection goes.
_, _, _, v1 = scrape()
old = pool.workers()
os.kill(old[0], signal.SIGKILL)
T.wait_for(lambda: pool.workers() and pool.workers() != old,
           what="a new worker")
_, _, text2, v2 = scrape()
t.is_(delta(v1, v2, "pbxapi_workers_crashed_total"), 1,
      "SIGKILL of a worker: crashed +1")
t.is_(delta(v1, v2, "pbxapi_workers_spawned_total"), 1,
      "and one spawned to replace it")
t.is_(v2.get("pbxapi_backend_connections{%s}" % bk), 0,
      "a dead worker's pooled connection is not counted")
t.is_(delta(v1, v2, req_series("elastix", "sippeers", "default", 200)), 0,
      "request counters survive the worker")
t.is_(v2.get(req_series("elastix", "sippeers", "default", 200)),
      v0.get(req_series("elastix", "sippeers", "default", 200), 0) + 4,
      "and keep their value")

# A slow request that ends by request_terminate_timeout: the fresh
# worker connects (login) and its Status stalls.  The slow log names
# the backend time so far; the worker answers 504 and exits.
scenario([{"action": "Status", "fault": "stall"}])
before_log = len(pool.log())
st, hdr, _ = web.get("/api/api.php?cmd=channelstatus",
                     {"Authorization": KEY})
t.is_(st, 504, "stalled AMI action: 504 after request_terminate_timeout")
scenario()
rid = hdr.get("x-request-id", "")
t.ok(re.fullmatch(r"[0-9a-f]{32}", rid) is not None,
     "the worker's own 504 carries X-Request-Id too")
T.wait_for(lambda: rid and rid in T.read(pool.access_log),
           what="access line of %s" % rid)
line = [ln for ln in T.read(pool.access_log).splitlines() if rid in ln][0]
t.like(line, '%s - "GET /api/api.php" 504 - ' % rid,
       "the master logs the timed-out request's access line: %s" % line)
T.wait_for(lambda: "slow request" in pool.log()[before_log:],
           what="slow log line")
slow = [ln for ln in pool.log()[before_log:].splitlines()
        if "slow request" in ln][0]
t.like(slow, "command channelstatus", "slow log line: %s" % slow)
m = re.search(r"backends=ami:(\d+)/([0-9.]+)ms$", slow)
t.ok(m is not None, "it ends with the per-backend breakdown")
if m:
    t.is_(m.group(1), "2", "two AMI operations: the login and Status")
    t.ok(200.0 <= float(m.group(2)) <= 2000.0,
         "their time (%s ms) is the elapsed part of the request"
         % m.group(2))
T.wait_for(lambda: len(pool.workers()) == 1 and
           scrape()[3].get("pbxapi_workers_timed_out_total", 0) >
           v2.get("pbxapi_workers_timed_out_total", 0),
           what="the timed-out worker reaped")
_, _, text3, v3 = scrape()
t.is_(delta(v2, v3, "pbxapi_workers_timed_out_total"), 1,
      "timed out +1")
t.is_(delta(v2, v3, "pbxapi_terminated_requests_total"), 1,
      "terminated requests +1")
t.is_(delta(v2, v3, "pbxapi_slow_requests_total"), 1, "slow requests +1")
t.is_(delta(v2, v3, "pbxapi_workers_crashed_total"), 0,
      "a timeout is no crash")
t.is_(delta(v2, v3, req_series("elastix", "channelstatus", "default",
                               504)), 1,
      "the request it ended counts as a 504 (the master counts it)")
t.is_(delta(v2, v3, "pbxapi_request_duration_seconds_count{dialect="
            '"elastix",command="channelstatus"}'), 1,
      "and in the latency histogram")
t.is_(delta(v2, v3, "pbxapi_backend_connects_total{%s}" % bk), 1,
      "the fresh worker's connect counted")
promtool(text3, "promtool check metrics passes after the pool events")

# SIGUSR2 reloads (php-fpm's signal), here with a status.allow that no
# longer holds 127.0.0.1: /metrics is refused without the token.
pool.write_conf({"status.allow": "192.0.2.1"})
pool.kill(signal.SIGUSR2)
T.wait_for(lambda: scrape(AUTH)[3].get("pbxapi_generation") == 2,
           what="generation 2")
_, _, text4, v4 = scrape(AUTH)
t.is_(delta(v3, v4, "pbxapi_reloads_total"), 1, "SIGUSR2: reloads +1")
t.is_(delta(v3, v4, "pbxapi_workers_spawned_total"), 1,
      "a new generation of one worker spawned")
t.is_(v4.get(req_series("elastix", "sippeers", "default", 200)),
      v3.get(req_series("elastix", "sippeers", "default", 200)),
      "request counters survive the reload")
st, _, text, _ = scrape()
t.is_(st, 403, "outside status.allow, without the token: 403")
t.ok("pbxapi_" not in text, "and no metric in the body")
st, _, _, _ = scrape({"Authorization": "Bearer wrong"})
t.is_(st, 403, "a wrong token: 403")
st, _, text, _ = scrape(AUTH)
t.is_(st, 200, "status.token: 200")
promtool(text4, "promtool check metrics passes after the reload")

pool.stop()
web.stop()
t.done()
