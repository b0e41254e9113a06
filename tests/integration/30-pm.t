#!/usr/bin/env python3
# The process manager: crashed workers are replaced, SIGHUP under load
# loses no request, a bad reload keeps the running configuration, SIGUSR1
# reopens logs, max_requests recycles workers, dynamic spares, status and
# ping, privileges, graceful and fast stops, -t.
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

t = T.Tap(timeout=120)
KEY = "pm-key-0123456789abcdef"
A = {"Authorization": KEY}
PATH = "/api/api.php?cmd=systemresources"

pool = T.Pool(settings={"pm": "static", "pm.max_children": "3"},
              env={"API_SECRET_KEY": KEY})
# nginx keeps connections here (fastcgi_keep_conn): the reloads below
# must hand them back without failing a request (31-pm-pressure.t has
# the shipped configuration).
web = T.Nginx(pool, keep_conn=3)
pool.wait_workers(3)
t.is_(len(pool.workers()), 3, "static: pm.max_children workers")

# Workers run unprivileged.
uid = os.stat("/proc/%d" % pool.workers()[0]).st_uid
t.ok(uid != 0, "workers do not run as root (uid %d)" % uid)

# A worker killed with SIGKILL is replaced at once; nothing fails after.
victim = pool.workers()[0]
os.kill(victim, signal.SIGKILL)
t.ok(T.poll(lambda: victim not in pool.workers() and
            len(pool.workers()) == 3, 5), "the killed worker was replaced")
codes = [web.get(PATH, A)[0] for _ in range(60)]
t.is_(codes.count(200), 60, "60 requests after the kill all succeed")
t.like(pool.log(), "exited on signal 9", "the crash is logged")


def hammer(stop, results, method="GET"):
    c = http.client.HTTPConnection("127.0.0.1", web.port, timeout=10)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    while not stop.is_set():
        try:
            # nginx retries a GET on a broken kept connection, never a
            # POST: both must come through.
            if method == "POST":
                c.request("POST", PATH, body="a=1", headers=dict(A, **form))
            else:
                c.request("GET", PATH, headers=A)
            r = c.getresponse()
            r.read()
            results.append(r.status)
        except Exception as e:
            results.append(repr(e))
            c.close()
            c = http.client.HTTPConnection("127.0.0.1", web.port,
                                           timeout=10)
    c.close()


def status():
    st, _, body = web.json("/status?json&full")
    return body


# SIGHUP under load: five reloads while 8 clients keep requesting (GET
# and POST) on kept-alive connections.
gen0 = status()["generation"]
stop = threading.Event()
results = []
threads = [threading.Thread(target=hammer, args=(stop, results,
                                                  ("GET", "POST")[i % 2]))
           for i in range(8)]
for th in threads:
    th.start()
time.sleep(0.5)
for i in range(5):
    pool.kill(signal.SIGHUP)
    time.sleep(0.4)
time.sleep(0.5)
stop.set()
for th in threads:
    th.join()
bad = [r for r in results if r != 200]
t.ok(len(results) > 200, "load ran (%d requests)" % len(results))
t.is_(bad[:5], [], "no request failed during 5 reloads (%d failed)" %
      len(bad))
T.wait_for(lambda: {p["generation"] for p in status()["processes"]} ==
           {gen0 + 5}, 10, what="old generations gone")
st = status()
t.is_(st["generation"], gen0 + 5, "five new generations")
t.is_({p["generation"] for p in st["processes"]}, {gen0 + 5},
      "only the newest generation runs")
t.is_(len(st["processes"]), 3, "with pm.max_children workers")

# An invalid configuration on SIGHUP: logged, the old one keeps running.
good = T.read(pool.conf)
T.write(pool.conf, good + "pm.max_children = lots\n")
pool.kill(signal.SIGHUP)
pool.wait_log("reload failed, keeping the running configuration")
t.like(pool.log(), "'pm.max_children': 'lots' is not a number",
       "the reason is in the log")
t.is_(web.get(PATH, A)[0], 200, "still serving after a bad reload")
t.is_(status()["generation"], gen0 + 5, "no new generation")
T.write(pool.conf, good)

# SIGUSR1 reopens the logs (after rotation).
os.rename(pool.error_log, pool.error_log + ".1")
os.rename(pool.access_log, pool.access_log + ".1")
pool.kill(signal.SIGUSR1)
T.wait_for(lambda: os.path.exists(pool.error_log), 5, what="new error log")
# A request the old generation was already reading may still land in the
# old file; the new generation writes to the new one.
t.ok(T.poll(lambda: web.get(PATH, A) and
            "cmd=systemresources" in T.read(pool.access_log), 5),
     "SIGUSR1: access log reopened (new requests are logged in it)")

# ping and status, restricted by status.allow / status.token.
st, hdr, body = web.get("/ping")
t.is_((st, body), (200, b"pong"), "ping answers pong")
st, hdr, body = web.get("/status")
t.like(body.decode(), "process manager:      static", "status text")
s = status()
for k in ("pool", "process manager", "start time", "start since",
          "accepted conn", "listen queue", "max listen queue",
          "listen queue len", "idle processes", "active processes",
          "total processes", "max active processes",
          "max children reached", "slow requests"):
    t.ok(k in s, "status has php-fpm's field '%s'" % k)
for k in ("pid", "state", "start time", "start since", "requests",
          "request duration", "request method", "request URI",
          "content length", "user", "script", "last request cpu",
          "last request memory"):
    t.ok(k in s["processes"][0], "full status has '%s'" % k)
t.ok(s["accepted conn"] >= 60, "accepted conn counts requests")

locked = T.Pool(settings={"status.allow": "10.9.8.7",
                          "status.token": "status-secret"},
                env={"API_SECRET_KEY": KEY})
wl = T.Nginx(locked)
t.is_(wl.get("/status")[0], 403, "status from an address not allowed: 403")
t.is_(wl.get("/ping")[0], 403, "ping too")
t.is_(wl.get("/status", {"Authorization": "Bearer status-secret"})[0], 200,
      "status.token opens it")
t.is_(wl.get("/status", {"Authorization": KEY})[0], 403,
      "an API key without the admin scope does not")

# max_requests recycles workers; dynamic mode keeps spares.
dyn = T.Pool(settings={"pm": "dynamic", "pm.max_children": "4",
                       "pm.start_servers": "2", "pm.min_spare_servers": "1",
                       "pm.max_spare_servers": "2", "pm.max_requests": "5"},
             env={"API_SECRET_KEY": KEY})
wd = T.Nginx(dyn)
dyn.wait_workers(2)
first = set(dyn.workers())
codes = [wd.get(PATH, A)[0] for _ in range(30)]
t.is_(codes.count(200), 30, "30 requests with max_requests = 5")
T.wait_for(lambda: len(dyn.workers()) >= 1, 5)
# The workers share one accept queue, so which of them served the 30 is
# the kernel's choice: at least one first worker served its 5 and left,
# and no worker has served more than max_requests.
t.ok(first - set(dyn.workers()), "a first worker was recycled")
full = json.loads(wd.get("/status?json&full")[2])
t.ok(all(p["requests"] <= 5 for p in full["processes"]),
     "no worker served more than max_requests")
t.ok(1 <= len(dyn.workers()) <= 4, "dynamic: within the bounds")
for w in dyn.workers():
    os.kill(w, signal.SIGKILL)
t.ok(T.poll(lambda: len(dyn.workers()) >= 1, 5),
     "dynamic: min_spare_servers restored")

# Graceful and fast stops.
t0 = time.time()
rc = dyn.stop(signal.SIGQUIT)
t.is_(rc, 0, "SIGQUIT: graceful stop exits 0")
t.ok(time.time() - t0 < 3, "and promptly when idle")
t.like(dyn.log(), "graceful stop", "logged")
t0 = time.time()
locked.stop(signal.SIGTERM)
t.ok(time.time() - t0 < 3, "SIGTERM: fast stop")
t.ok(not os.path.exists("/proc/%d" % locked.pid), "master gone")

# -t checks the configuration.
r = subprocess.run([pool.binary, "-t", "-c", pool.conf], capture_output=True,
                   text=True)
t.is_(r.returncode, 0, "-t on a good configuration: exit 0")
t.like(r.stderr, "test is successful", "-t says so")
bad = os.path.join(pool.dir, "bad.conf")
T.write(bad, "pm = dynamic\npm.start_servers = 9\npm.max_children = 4\n")
r = subprocess.run([pool.binary, "-t", "-c", bad], capture_output=True,
                   text=True)
t.is_(r.returncode, 1, "-t on a bad configuration: exit 1")
t.like(r.stderr, "pm.start_servers", "and names the setting")
T.write(bad, "listen = /tmp/x.sock\nno_such_setting = 1\n")
r = subprocess.run([pool.binary, "-t", "-c", bad], capture_output=True,
                   text=True)
t.like(r.stderr, "bad.conf:2: unknown setting 'no_such_setting'",
       "-t points at file and line")
if T.IS_ROOT:
    T.write(bad, "listen = /tmp/x.sock\n")
    r = subprocess.run([pool.binary, "-t", "-c", bad], capture_output=True,
                       text=True)
    t.like(r.stderr, "refusing to run workers as root",
           "root without 'user' is refused")
else:
    t.skip("root without 'user' is refused", "not root")
t.done()
