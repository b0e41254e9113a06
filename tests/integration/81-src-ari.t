#!/usr/bin/env python3
# The ARI event source (fcgi/companion/src_ari.c) against the ARI
# double's call world, run by tests/tools/evsource (each sink callback a
# JSON line): the rebuild lists a call that exists (begin_sync, created,
# end_sync), an origination's life arrives in order (dial, Ringing, Up,
# answer, dial_end ANSWER, created, hangup, destroyed with its cause),
# DTMF and hold on the live call, a stop is seen within a second; the
# double dropping every websocket makes the source say down and return
# E_BACKEND; while the double refuses, a new run fails before any sync;
# once it accepts again, a new run rebuilds with the call still up.
# A stop during the handshake or the channel list is seen within a
# second.  Bad credentials are the 401 said.  With ARI_EVENTS_KEEPALIVE 1 a quiet
# double that answers pings keeps the source; stalled ("stall MS": no
# pong, no event) it is E_TIMEOUT within about two seconds; a bad
# ARI_EVENTS_KEEPALIVE is E_BADREQ.
import base64
import json
import os
import select
import signal
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import evclient as E
import pbxtest as T

T.timeout(120)
t = T.Tap()
D = T.tmpdir("pbxapi-srcari-")
PORTF = os.path.join(D, "port")
WORLD = os.path.join(D, "world")
CTLF = os.path.join(D, "control")
T.spawn([os.path.join(T.BUILD, "doubles", "ari_double"), "--port-file",
         PORTF, "--world", WORLD, "--control", CTLF, "--lifetime", "115",
         "--log",
         os.path.join(D, "world.jsonl"), "--fixtures",
         os.path.join(T.SHARED, "fixtures", "ari")],
        log=os.path.join(D, "double.out"))
T.wait_for(lambda: T.read(PORTF).strip(), what="ari_double port")
PORT = T.read(PORTF).strip()
T.wait_for(lambda: os.path.exists(WORLD), what="world socket")
ctl = E.Control(WORLD)
CONF = os.path.join(D, "pbxapi.conf")
T.write(CONF, "[tenant t1]\nARI_ENABLED = true\nARI_PORT = %s\n"
        "[tenant bad]\nARI_PORT = %s\nARI_SECRET = wrong\n"
        "[tenant badapp]\nARI_EVENTS_APP = a/b\n"
        "[tenant ka]\nARI_PORT = %s\nARI_EVENTS_KEEPALIVE = 1\n"
        "[tenant ka0]\nARI_PORT = %s\nARI_EVENTS_KEEPALIVE = 0\n"
        "[tenant kabig]\nARI_PORT = %s\nARI_EVENTS_KEEPALIVE = 3601\n"
        % (PORT, PORT, PORT, PORT, PORT))
AUTH = "Basic " + base64.b64encode(b"ari_user:ari_password").decode()
EVSOURCE = os.path.join(T.BUILD, "tools", "evsource")


def ari(method, path):
    req = urllib.request.Request("http://127.0.0.1:%s/ari%s" % (PORT, path),
                                 method=method, headers={"Authorization": AUTH})
    with urllib.request.urlopen(req, timeout=5) as r:
        body = r.read()
        return json.loads(body) if body else None


class Source:
    """evsource running: its JSON lines read with deadlines."""

    def __init__(self, tenant="t1", threaded=False):
        self.p = subprocess.Popen([EVSOURCE, "-t", "100"] +
                                  (["-T"] if threaded else []) +
                                  [CONF, tenant, "ari"],
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE,
                                  start_new_session=True)
        T._procs.append(self.p)
        self.buf = b""
        self.lines = []

    def next(self, timeout=10):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if not r:
                return None
            data = os.read(self.p.stdout.fileno(), 65536)
            if not data:
                return None
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\n")
        ev = json.loads(line)
        self.lines.append(ev)
        return ev

    def until(self, pred, timeout=10):
        """Lines read through the first matching one (None: no match)."""
        got = []
        deadline = time.monotonic() + timeout
        while True:
            ev = self.next(max(0.0, deadline - time.monotonic()))
            if ev is None:
                t.diag("no match after %r" % got[-8:])
                return None
            got.append(ev)
            if pred(ev):
                return got

    def finish(self, timeout=10):
        """The return line, the exit status and stderr."""
        last = self.until(lambda e: e.get("cb") == "return", timeout)
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            rc = None
        return (last or [None])[-1], rc, self.p.stderr.read().decode()


def cb(name):
    return lambda e: e.get("cb") == name


def ev_of(cid, typ):
    return lambda e: (e.get("cb") == "event" and e.get("type") == typ and
                      e.get("chan", {}).get("id") == cid)


# A call that is up before the source starts: the rebuild must show it.
ctl.rule(dest="300", ring_ms=50, answer_ms=50)
held = ari("POST", "/channels?endpoint=PJSIP/300&app=pbxapi&callerId=3000")
HELD = held["id"]
T.wait_for(lambda: any(c["id"] == HELD and c["state"] == "Up"
                       for c in ari("GET", "/channels")), what="call up")

src = Source()
got = src.until(cb("end_sync"))
t.ok(got is not None and got[0].get("cb") == "begin_sync",
     "rebuild: begin_sync first")
created = [e for e in (got or []) if e.get("type") == "created"]
t.is_([e["chan"]["id"] for e in created], [HELD],
      "rebuild: the call that exists, once")
t.is_(created[0]["chan"].get("state") if created else None, "Up",
      "rebuild: its state")
t.is_(created[0]["chan"].get("caller_num") if created else None, "3000",
      "rebuild: its caller number")

# An origination's life, in order.
ctl.rule(dest="200", ring_ms=100, answer_ms=150, hangup_after_ms=300,
         cause=16)
before = int(time.time() * 1000)
chan = ari("POST", "/channels?endpoint=PJSIP/200&app=pbxapi&callerId=100")
CID = chan["id"]
life = src.until(ev_of(CID, "destroyed"))
t.ok(life is not None, "the call's events through destroyed")
life = [e for e in (life or []) if e.get("chan", {}).get("id") == CID]
seq = [e["type"] + ("/" + e["chan"]["state"] if e["type"] == "state" else "")
       for e in life]
t.diag("sequence: %s" % " ".join(seq))


def at(name):
    return seq.index(name) if name in seq else -1


t.is_(seq[0] if seq else None, "dial", "first: dial")
t.ok(0 < at("state/Ringing") < at("state/Up") < at("answer"),
     "then state Ringing, state Up, answer")
t.ok(at("answer") < at("dial_end") and
     life[at("dial_end")].get("dialstatus") == "ANSWER",
     "dial_end ANSWER after the answer")
t.ok(0 < at("created") < at("hangup"), "created (StasisStart) before hangup")
t.ok(at("hangup") < at("destroyed") == len(seq) - 1,
     "hangup, then destroyed last")
t.is_(life[-1].get("cause") if life else None, 16, "destroyed: cause 16")
t.ok(bool(life and life[-1].get("cause_txt")), "destroyed: cause_txt")
t.is_(life[0].get("peer") if life else None, CID,
      "dial: the dialled channel is the peer")
ts = [e.get("ts_ms", 0) for e in life]
t.ok(ts == sorted(ts) and ts and before - 1000 <= ts[0] <= ts[-1] <=
     int(time.time() * 1000) + 1000, "timestamps in ms, in order, now")
t.ok(all(e.get("backend") == "ari" for e in life), "backend ari")

# DTMF and hold on the call that stays.
ctl.ok("dtmf %s 7" % HELD)
got = src.until(ev_of(HELD, "dtmf"))
t.is_(got[-1].get("digit") if got else None, "7", "dtmf: the digit")
ctl.ok("hold %s" % HELD)
t.ok(src.until(ev_of(HELD, "hold")) is not None, "hold")
ctl.ok("unhold %s" % HELD)
t.ok(src.until(ev_of(HELD, "unhold")) is not None, "unhold")

# The backend drops every websocket: down, then the source returns.
ctl.ok("drop")
got = src.until(cb("down"))
t.ok(got is not None, "drop: down said")
last, rc, err = src.finish()
t.is_(last.get("rc") if last else None, "E_BACKEND", "drop: E_BACKEND")
t.ok("closed" in (last or {}).get("err", ""), "drop: the reason (%s)" %
     (last or {}).get("err"))
t.is_(rc, 1, "drop: evsource exits 1")
t.ok("E_BACKEND" in err, "drop: the reason on stderr")

# While the double refuses, a run fails before any sync.
ctl.ok("refuse 60000")
src = Source()
last, rc, err = src.finish()
t.ok(not any(e.get("cb") in ("begin_sync", "down") for e in src.lines),
     "refused: no sync, no down")
t.ok(last is not None and last.get("rc") in ("E_BACKEND", "E_PROTO"),
     "refused: an error (%s: %s)" % ((last or {}).get("rc"),
                                     (last or {}).get("err")))
t.is_(rc, 1, "refused: evsource exits 1")

# Accepting again: a new run rebuilds, the held call still there.
ctl.ok("refuse 0")
src = Source()
got = src.until(cb("end_sync"))
t.is_([e["chan"]["id"] for e in (got or []) if e.get("type") == "created"],
      [HELD], "accepted again: a new run rebuilds the held call")
ari("DELETE", "/channels/%s" % HELD)
got = src.until(ev_of(HELD, "destroyed"))
t.ok(got is not None and any(e.get("type") == "hangup" for e in got),
     "a hangup through the REST API: hangup, destroyed")

# A stop is seen within a second, without down.
start = time.monotonic()
src.p.send_signal(signal.SIGTERM)
last, rc, err = src.finish(5)
took = time.monotonic() - start
t.is_(last.get("rc") if last else None, "E_OK", "stop: E_OK")
t.is_(rc, 0, "stop: exit 0")
t.ok(took < 1.5, "stop seen in %.2f s" % took)
t.ok(not any(e.get("cb") == "down" for e in src.lines), "stop: no down")

# A stop while a step blocks (the handshake, the channel list: 3 s
# each) is seen within a second too: the steps watch the flag.  The
# source runs on a thread that takes no signal (-T), as in the
# companion, so that the flag alone must stop it.
LOG = os.path.join(D, "world.jsonl")


def requests(path):
    return sum(1 for x in T.read(LOG).splitlines()
               if json.loads(x).get("method") == "GET" and
               json.loads(x).get("path", "").startswith(path))


for fault, path, step in (("stall", "/ari/events", "the handshake"),
                          ("length-mismatch", "/ari/channels",
                           "the channel list")):
    T.write(CTLF, "fault=%s\n" % fault)
    seen = requests(path)
    src = Source(threaded=True)
    T.wait_for(lambda: requests(path) > seen, 10, what=path + " asked")
    start = time.monotonic()
    src.p.send_signal(signal.SIGTERM)
    last, rc, err = src.finish(5)
    took = time.monotonic() - start
    t.is_((last.get("rc") if last else None, rc), ("E_OK", 0),
          "stop during %s: E_OK, exit 0" % step)
    t.ok(took < 1.5, "stop during %s seen in %.2f s" % (step, took))
    t.ok(not any(e.get("cb") in ("begin_sync", "down") for e in src.lines),
         "stop during %s: no sync, no down" % step)
T.write(CTLF, "")

# Bad credentials: the handshake's 401 said.
src = Source("bad")
last, rc, err = src.finish()
t.ok(last is not None and "401" in last.get("err", ""),
     "bad secret: %s" % (last or {}).get("err"))
t.is_(rc, 1, "bad secret: exit 1")
src = Source("badapp")
last, rc, err = src.finish()
t.is_(last.get("rc") if last else None, "E_BADREQ",
      "a bad ARI_EVENTS_APP: E_BADREQ")
t.ok("ARI_EVENTS_APP" in (last or {}).get("err", ""), "and says so")

# Keepalive: a quiet Asterisk that answers pings keeps the source; one
# that stops answering (and sending) is given up within twice
# ARI_EVENTS_KEEPALIVE and a step.


def pings(answered):
    return sum(1 for x in T.read(LOG).splitlines()
               if json.loads(x).get("ws") == "ping" and
               json.loads(x)["answered"] == answered)


ka = Source("ka")
t.ok(ka.until(cb("end_sync")) is not None, "keepalive 1: synced")
base = pings(True)
T.wait_for(lambda: pings(True) >= base + 2, 10, what="two pings answered")
quiet = []
while True:
    ev = ka.next(0.05)
    if ev is None:
        break
    quiet.append(ev)
t.ok(ka.p.poll() is None and
     not [e for e in quiet if e.get("cb") in ("down", "return")],
     "a quiet Asterisk that answers pings: the source stays")
ctl.ok("stall 60000")
start = time.monotonic()
got = ka.until(cb("return"), 10)
took = time.monotonic() - start
ctl.ok("stall 0")
t.is_(got[-1].get("rc") if got else None, "E_TIMEOUT",
      "one that stops answering: E_TIMEOUT")
t.is_(got[-1].get("err") if got else None,
      "no answer to a websocket ping in 1 s", "and says so")
t.ok(got and any(e.get("cb") == "down" for e in got), "down said first")
t.ok(0.8 <= took < 3.0,
     "after twice ARI_EVENTS_KEEPALIVE and a step at most (%.2f s)" % took)
t.ok(pings(False) >= 1, "the unanswered ping was sent")
for tenant, val in (("ka0", "0"), ("kabig", "3601")):
    last, rc, err = Source(tenant).finish()
    t.is_(last.get("rc") if last else None, "E_BADREQ",
          "ARI_EVENTS_KEEPALIVE %s: E_BADREQ" % val)
    t.is_((last or {}).get("err"),
          "ARI_EVENTS_KEEPALIVE '%s' is not 1 to 3600 seconds" % val,
          "ARI_EVENTS_KEEPALIVE %s: says so" % val)

t.done()
