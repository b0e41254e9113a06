#!/usr/bin/env python3
# The event companion with an AMI source (docs/operations.md, "The event
# companion") through nginx and the pool against ami_double's call world
# (--world): the companion on /status and /metrics; a call made on the
# double appears in activecall with X-State-Age, walks its states and
# goes on hangup; ?fresh=1 asks the backend; the double drops its event
# connections and refuses new ones: the state is marked down and ages,
# the companion reconnects with its back-off and rebuilds (a call made
# while it was away is there); SIGKILL: the master forks a new one;
# SIGHUP: a new generation's companion, the old one gone; a stopped
# companion: activecall answers from the backend after companion.timeout.
import json
import os
import re
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import evclient as E
import pbxtest as T

T.timeout(180)
t = T.Tap()
KEY = "companion-key-0123456789abcdef0123"
D = T.tmpdir("pbxapi-companion-")
SCEN = os.path.join(D, "scenario.json")
LOG = os.path.join(D, "ami.jsonl")
PORTF = os.path.join(D, "port")
WORLD = os.path.join(D, "world.sock")
T.write(SCEN, json.dumps({"auth_delay_ms": 0, "rules": []}))
T.spawn([os.path.join(T.BUILD, "doubles", "ami_double"), "--port-file",
         PORTF, "--scenario", SCEN, "--log", LOG, "--lifetime", "170",
         "--fixtures", os.path.join(T.SHARED, "fixtures", "ami"),
         "--world", WORLD], log=os.path.join(D, "double.out"))
T.wait_for(lambda: os.path.exists(PORTF) and os.path.exists(WORLD),
           what="ami_double")
PORT = int(T.read(PORTF))
ctl = E.Control(WORLD)
# Calls to 200 ring after 200 ms and are answered 400 ms later; they
# end when the test hangs them up.  A rule makes the world answer
# CoreShowChannels (not the fixture's channels).
ctl.rule(dest="200", ring_ms=200, answer_ms=400, outcome="answer")

ami = {"AMI_HOST": "127.0.0.1", "AMI_PORT": str(PORT),
       "AMI_USERNAME": "admin", "AMI_SECRET": "amp111"}
pool = T.Pool(settings={"pm.max_children": "1", "events": "ami",
                        "events.backoff_max": "500ms",
                        "companion.timeout": "100ms"},
              env=dict(ami, API_SECRET_KEY=KEY))
web = T.Nginx(pool)


def until(fn, seconds=10):
    """fn()'s first true value within seconds, or None (an exception in
    fn counts as no value)."""
    end = time.monotonic() + seconds
    while True:
        try:
            v = fn()
            if v:
                return v
        except Exception:
            pass
        if time.monotonic() >= end:
            return None
        time.sleep(0.02)


def activecall(query=""):
    st, h, body = web.get("/api/api.php?cmd=activecall" + query,
                          {"Authorization": KEY})
    return st, h, json.loads(body)


def channels(doc):
    return [c for c in doc if isinstance(c, dict)]


def source():
    """The default tenant's source as /status?json shows it."""
    st, _, body = web.get("/status?json")
    c = json.loads(body).get("companion") or {}
    ts = [x for x in c.get("tenants", []) if x.get("tenant") == "default"]
    return c, (ts[0] if ts else {})


def metric(name):
    _, _, body = web.get("/metrics")
    m = re.search(r"^%s\{tenant=\"default\",backend=\"ami\"\} (\S+)$" % name,
                  body.decode(), re.M)
    return float(m.group(1)) if m else None


def live_chan(cid, pred=lambda c: True, seconds=10):
    """activecall's live answer once it has channel cid satisfying pred
    (None after seconds)."""
    def probe():
        st, h, doc = activecall()
        if st != 200 or "x-state-age" not in h:
            return None
        for c in channels(doc):
            if c["Channel"] == cid and pred(c):
                return h, doc
        return None
    return until(probe, seconds)


def requests_logged(action):
    return sum(1 for x in T.read(LOG).splitlines() if x.strip() and
               re.search(r"Action: %s" % action,
                         json.loads(x).get("raw", ""), re.I))


# -- the companion runs and is synced ---------------------------------
T.wait_for(lambda: pool.companions(), what="the companion")
first = pool.companions()[0]
T.wait_for(lambda: source()[1].get("state") == "connected", 10,
           what="the source connected")
comp, src = source()
t.is_(comp.get("role"), "companion", "/status: a companion slot")
t.is_(comp.get("pid"), first, "/status: its pid")
t.is_(src.get("backend"), "ami", "/status: the tenant's source is AMI")
t.ok(src.get("synced") is True and src.get("age") == 0,
     "/status: synced, age 0")
t.is_(metric("pbxapi_companion_up"), 1.0, "/metrics: companion up")
t.like(web.get("/status")[2].decode(),
       "companion tenant default: state=connected synced=yes age=0",
       "/status (text): the tenant's source")
logins = [json.loads(x).get("raw", "") for x in T.read(LOG).splitlines()
          if "Events: call,system,agent" in x]
t.ok(len(logins) >= 1, "the companion logs in with Events: call,system,agent")
t.ok(requests_logged("CoreShowChannels") >= 1,
     "the companion rebuilt with CoreShowChannels")

# -- the local interface, as a worker speaks it ------------------------
def local(line):
    """One request on the companion's socket: (ok, body)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(os.path.join(pool.dir, "pbxapi-companion.sock"))
    s.sendall(line.encode() + b"\n")
    buf = b""
    while b"\n" not in buf:
        buf += s.recv(65536)
    head, _, body = buf.partition(b"\n")
    word, n = head.decode().split(" ")
    while len(body) < int(n):
        body += s.recv(65536)
    s.close()
    return word == "OK", body.decode()


ok, body = local("peers default")
peers = json.loads(body) if ok else {}
t.ok(any(p["peer"] == "PJSIP/102" for p in peers.get("peers", [])),
     "peers: PJSIPShowContacts listed at the rebuild (%s)" % body[:200])
t.ok(any(m["queue"] == "sales" and m["member"] == "PJSIP/101"
         for m in peers.get("queue_members", [])),
     "peers: QueueStatus' members listed at the rebuild")
ok, body = local("journal default 0")
j = json.loads(body) if ok else {}
ids = [e["id"] for e in j.get("events", [])]
t.ok(ids and ids == sorted(ids) and ids[-1] == j.get("last") and
     all(b - a == 1 for a, b in zip(ids, ids[1:])),
     "journal: consecutive ids up to 'last' (%d events)" % len(ids))
t.is_(local("channels nosuch"), (False, "no events for tenant 'nosuch'"),
      "an unknown tenant: ERR with the reason")
t.is_(local("bogus"), (False, "unknown verb 'bogus'"), "an unknown verb: ERR")

# -- a call: created, ringing, up, gone -------------------------------
cid = ctl.ok("call 200 cid=5551234").strip()
name = [c for c in ctl.state()["calls"] if c["id"] == cid][0]["name"]
got = live_chan(name)
t.ok(got is not None, "activecall from live state shows the new call")
if got:
    h, doc = got
    t.ok(re.fullmatch(r"\d+\.\d{3}", h["x-state-age"]) is not None,
         "X-State-Age: seconds with 3 decimals (%s)" % h["x-state-age"])
    c = [x for x in channels(doc) if x["Channel"] == name][0]
    t.is_(list(c.keys()), ["Channel", "Context", "Extension", "Prio",
                           "State", "Application", "Data", "CallerID",
                           "Duration", "Accountcode", "PeerAccount",
                           "BridgeID"], "the reference's columns, in order")
    t.is_(c["CallerID"], "5551234", "its caller id")
    t.ok(doc[-3:] == ["1 active channel", "1 active call",
                      doc[-1]] and doc[-1].endswith("processed"),
         "the three summary lines (%r)" % doc[-3:])
t.ok(live_chan(name, lambda c: c["State"] == "Up") is not None,
     "the call goes Up in activecall")
ctl.ok("hangup %s" % cid)
gone = until(lambda: (lambda r: r if "x-state-age" in r[1] and
                       not channels(r[2]) else None)(activecall()), 10)
t.ok(gone is not None, "after the hangup activecall has no channel")
t.ok(metric("pbxapi_companion_events_total") >= 4,
     "/metrics: events counted")

# -- ?fresh=1 asks the backend -----------------------------------------
before = requests_logged("Command")
st, h, doc = activecall("&fresh=1")
t.is_(st, 200, "fresh=1: 200")
t.ok("x-state-age" not in h, "fresh=1: no X-State-Age (the backend's)")
t.ok(requests_logged("Command") == before + 1,
     "fresh=1: the double got the Command action")

# -- the double drops the companion: down, ages, comes back -----------
syncs = src.get("syncs", 0)
ctl.ok("refuse 1500")
ctl.ok("drop")
down = until(lambda: (lambda s: s if s.get("state") != "connected"
                       else None)(source()[1]), 5)
t.ok(down is not None, "dropped: the source is no longer connected")
if down:
    t.ok(down.get("synced") is False, "dropped: not synced")
a1 = until(lambda: (lambda s: s.get("age") if s.get("age") and
                     s.get("state") != "connected" else None)(source()[1]), 3)
t.ok(a1 is not None and a1 > 0, "dropped: the state ages (%r)" % a1)
a2 = until(lambda: (lambda s: s.get("age") if s.get("age") and a1 and
                    s["age"] > a1 else None)(source()[1]), 3)
t.ok(a2 is not None, "dropped: and keeps ageing (%r > %r)" % (a2, a1))
st, h, _ = activecall()
t.ok("x-state-age" not in h,
     "not synced: activecall does not answer from the state")
cid2 = ctl.ok("call 200 cid=5559876").strip()
name2 = [c for c in ctl.state()["calls"] if c["id"] == cid2][0]["name"]
t.ok(source()[1].get("state") != "connected",
     "the second call is made while the companion is away")
back = until(lambda: (lambda s: s if s.get("state") == "connected" and
                       s.get("syncs", 0) > syncs else None)(source()[1]), 15)
t.ok(back is not None, "the companion reconnects after the refusal ends")
t.ok(live_chan(name2) is not None,
     "the call made while it was away is there after the rebuild")
t.ok((metric("pbxapi_companion_reconnects_total") or 0) >= 1,
     "/metrics: reconnects counted")
t.like(pool.log(), "tenant 'default': ami events: ",
       "the lost connection is logged, with the next try's delay")
ctl.ok("hangup %s" % cid2)

# -- a stopped companion: the backend answers --------------------------
os.kill(first, signal.SIGSTOP)
try:
    t0 = time.monotonic()
    st, h, doc = activecall()
    took = time.monotonic() - t0
    t.is_(st, 200, "companion stopped: activecall still answers")
    t.ok("x-state-age" not in h, "companion stopped: from the backend")
    t.ok(took < 5, "companion stopped: within the deadlines (%.2fs)" % took)
finally:
    os.kill(first, signal.SIGCONT)
T.wait_for(lambda: live_chan(name2, seconds=0.5) is not None or
           "x-state-age" in activecall()[1], 10, what="live again")
t.ok("x-state-age" in activecall()[1], "companion resumed: live again")

# -- SIGKILL: the master forks a new one -------------------------------
os.kill(first, signal.SIGKILL)
again = until(lambda: [p for p in pool.companions() if p != first], 10)
t.ok(again, "SIGKILL: a new companion (%r)" % again)
T.wait_for(lambda: source()[1].get("state") == "connected", 10,
           what="the new companion connected")
t.ok("x-state-age" in activecall()[1], "the new companion answers")
t.like(pool.log(), "companion %d exited on signal 9" % first,
       "the master logged the companion's death")

# -- SIGHUP: a new generation's companion, the old one retires ---------
old = pool.companions()[0]
pool.kill(signal.SIGHUP)
new = until(lambda: [p for p in pool.companions() if p != old], 10)
t.ok(new, "SIGHUP: a new companion (%r)" % new)
t.ok(until(lambda: old not in pool.companions(), 10),
     "SIGHUP: the old companion is gone")
t.ok(until(lambda: source()[0].get("generation") == 2, 10),
     "/status: the companion of generation 2")
T.wait_for(lambda: source()[1].get("state") == "connected", 10,
           what="the reloaded companion connected")
t.ok("x-state-age" in activecall()[1], "the reloaded companion answers")

# -- the pool stops: so does the companion -----------------------------
last = pool.companions()
t.is_(pool.stop(), 0, "the pool stops")
t.ok(all(not os.path.exists("/proc/%d" % p) for p in last),
     "the companion stopped with it")
t.done()
