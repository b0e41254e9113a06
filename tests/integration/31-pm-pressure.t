#!/usr/bin/env python3
# The pool under pressure (issue 8): half-sent FastCGI requests cannot
# hold the pool (request_read_timeout, busy accounting, the dynamic pool
# grows, status answers from its own worker); a worker killed under POST
# load fails only the request it was answering, with and without
# fastcgi_keep_conn; a request_terminate_timeout kill under load fails
# only the hung request; reloads under load fail none.
import http.client
import os
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(150)
t = T.Tap()
KEY = "pressure-key-0123456789abcdef"
A = {"Authorization": KEY}
PATH = "/api/api.php?cmd=systemresources"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def half_sent(sock_path):
    """A FastCGI connection that sends BEGIN_REQUEST and 20 of the 100
    bytes its PARAMS record announces, then holds still."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    begin = struct.pack(">BBHHBB", 1, 1, 1, 8, 0, 0) + \
        struct.pack(">HB5x", 1, 0)
    params = struct.pack(">BBHHBB", 1, 4, 1, 100, 0, 0) + b"\x0e\x03REQUEST_METH"
    s.sendall(begin + params[:8 + 20])
    return s


def closed_by_server(s, seconds=30):
    """True when the server closes s (end of file) within seconds."""
    s.settimeout(seconds)
    try:
        while True:
            b = s.recv(4096)
            if not b:
                return True
    except socket.timeout:
        return False
    except OSError:
        return True
    finally:
        s.close()


def load(web, stop, results, method):
    """One client requesting PATH in a loop on a kept-alive HTTP
    connection; records each status (or the exception)."""
    c = http.client.HTTPConnection("127.0.0.1", web.port, timeout=30)
    while not stop.is_set():
        try:
            if method == "POST":
                c.request("POST", PATH, body="a=1", headers=dict(A, **FORM))
            else:
                c.request("GET", PATH, headers=A)
            r = c.getresponse()
            r.read()
            results.append(r.status)
        except Exception as e:
            results.append(repr(e))
            c.close()
            c = http.client.HTTPConnection("127.0.0.1", web.port,
                                           timeout=30)
    c.close()


def under_load(web, action, clients=8):
    """Runs action() while `clients` clients (half GET, half POST) load
    the pool; returns the statuses they got."""
    stop = threading.Event()
    results = []
    threads = [threading.Thread(target=load, args=(
        web, stop, results, ("POST", "GET")[i % 2])) for i in range(clients)]
    for th in threads:
        th.start()
    T.wait_for(lambda: len(results) >= 50, 20, what="load running")
    action()
    n = len(results)
    T.wait_for(lambda: len(results) >= n + 50, 20, what="load after")
    stop.set()
    for th in threads:
        th.join()
    return results


# --- Half-sent requests, dynamic pool -----------------------------------
pool = T.Pool(settings={"pm": "dynamic", "pm.max_children": "8",
                        "pm.start_servers": "2", "pm.min_spare_servers": "1",
                        "pm.max_spare_servers": "3",
                        "request_read_timeout": "3s"},
              env={"API_SECRET_KEY": KEY}, status_listen=True)
web = T.Nginx(pool)
pool.wait_workers(2)
t.is_(len(pool.status_workers()), 1, "pm.status_listen: a status worker")
held = [half_sent(pool.sock) for _ in range(4)]
# Each held connection makes its worker busy (Reading); the dynamic pool
# forks others while it has room.


def busy():
    st, _, s = web.json("/status?json&full")
    return st == 200 and sum(p["state"].startswith("Reading")
                             for p in s["processes"]) == 4


t.ok(T.poll(busy, 10), "4 half-sent connections: 4 workers Reading")
st, _, body = web.get(PATH, A)
t.is_(st, 200, "a normal request is answered while they hold (dynamic)")
st, _, s = web.json("/status?json")
t.ok(s["total processes"] > 4, "the pool grew past the held workers (%d)"
     % s["total processes"])
t.ok(all(closed_by_server(s) for s in held),
     "each half-sent connection is closed by pbxapi")
t.like(pool.log(), "no complete request within request_read_timeout",
       "the close is logged")
t.is_(web.get(PATH, A)[0], 200, "the pool serves on")

# A body that stops short: the read deadline covers it too.
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(pool.sock)
env = b"".join(bytes([len(k), len(v)]) + k + v for k, v in (
    (b"REQUEST_METHOD", b"POST"), (b"CONTENT_LENGTH", b"100"),
    (b"SCRIPT_NAME", b"/api/api.php"), (b"QUERY_STRING", b"cmd=x")))
s.sendall(struct.pack(">BBHHBB", 1, 1, 1, 8, 0, 0) + struct.pack(">HB5x", 1, 0)
          + struct.pack(">BBHHBB", 1, 4, 1, len(env), 0, 0) + env
          + struct.pack(">BBHHBB", 1, 4, 1, 0, 0, 0)
          + struct.pack(">BBHHBB", 1, 5, 1, 10, 0, 0) + b"a=12345678")
t.ok(closed_by_server(s), "a request whose body stops short is closed")
t.ok(T.poll(lambda: "request body not received within "
            "request_read_timeout" in pool.log(), 10), "and logged")
pool.stop()

# --- Half-sent requests, static pool: more than one per worker ----------
pool = T.Pool(settings={"pm": "static", "pm.max_children": "2",
                        "request_read_timeout": "3s"},
              env={"API_SECRET_KEY": KEY}, status_listen=True)
web = T.Nginx(pool)
pool.wait_workers(2)
held = [half_sent(pool.sock) for _ in range(5)]


def saturated():
    st, _, s = web.json("/status?json")
    return st == 200 and s["active processes"] == 2 and \
        s["idle processes"] == 0


t.ok(T.poll(saturated, 10),
     "status answers from its own worker while both workers are held")
t.is_(web.get("/ping")[:3:2], (200, b"pong"), "ping too")
st, _, body = web.get(PATH, A, timeout=60)
t.is_(st, 200, "a normal request is answered once the deadline frees "
      "a worker (5 half-sent on 2 workers)")
t.ok(all(closed_by_server(s) for s in held), "all 5 are closed")
pool.stop()

# --- kill -9 of a worker under load: only its request fails --------------
for keep in (False, True):
    how = "with fastcgi_keep_conn" if keep else "as shipped"
    pool = T.Pool(settings={"pm": "static", "pm.max_children": "4"},
                  env={"API_SECRET_KEY": KEY})
    web = T.Nginx(pool, keep_conn=4 if keep else False)
    pool.wait_workers(4)
    kills = []

    def kill3():
        for _ in range(3):
            victim = pool.workers()[0]
            os.kill(victim, signal.SIGKILL)
            kills.append(victim)
            T.wait_for(lambda: victim not in pool.workers() and
                       len(pool.workers()) == 4, 10, what="replacement")

    results = under_load(web, kill3)
    bad = [r for r in results if r != 200]
    t.ok(len(bad) <= len(kills),
         "%s: 3 kills under load (%d requests, half POST) fail at most "
         "the 3 requests in flight (%d failed: %s)" %
         (how, len(results), len(bad), sorted(set(map(str, bad)))))
    t.like(pool.log(), "exited on signal 9", "%s: the kills are logged" % how)
    pool.stop()

# --- Reloads under load, as shipped: none fails ---------------------------
pool = T.Pool(settings={"pm": "static", "pm.max_children": "3"},
              env={"API_SECRET_KEY": KEY})
web = T.Nginx(pool)


def reload5():
    for _ in range(5):
        pool.kill(signal.SIGHUP)
        time.sleep(0.3)


results = under_load(web, reload5)
bad = [r for r in results if r != 200]
t.is_(bad[:5], [], "5 reloads under load (%d requests): none failed"
      % len(results))
pool.stop()

# --- request_terminate_timeout under load: only the hung request ---------
D = T.tmpdir("pbxapi-pressure-")
CTL = os.path.join(D, "control")
PORTF = os.path.join(D, "port")
T.write(CTL, "fault=stall\n")
T.spawn([os.path.join(T.BUILD, "doubles", "ari_double"), "--port-file",
         PORTF, "--control", CTL, "--lifetime", "140", "--fixtures",
         os.path.join(T.SHARED, "fixtures", "ari")],
        log=os.path.join(D, "double.out"))
T.wait_for(lambda: T.read(PORTF).strip(), what="ari_double port")
pool = T.Pool(settings={"pm": "static", "pm.max_children": "3",
                        "backend_timeout": "60s",
                        "request_terminate_timeout": "2s"},
              env={"API_SECRET_KEY": KEY, "ARI_ENABLED": "true",
                   "ARI_PORT": T.read(PORTF).strip()})
web = T.Nginx(pool)
hung = []


def terminate():
    hung.append(web.get("/api/api.php?cmd=arichannels", A, timeout=30)[0])


results = under_load(web, terminate, clients=4)
t.is_(hung, [504], "the hung request is answered 504")
bad = [r for r in results if r != 200]
t.is_(bad[:5], [], "the load beside it (%d requests) lost none" %
      len(results))
t.ok(T.poll(lambda: "terminated after request_terminate_timeout" in
            pool.log(), 10), "the terminated worker is logged")
t.done()
