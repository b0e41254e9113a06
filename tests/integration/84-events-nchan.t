#!/usr/bin/env python3
# Pushing events through nginx's nchan module (docs/operations.md,
# "Pushing events"), with the shipped deploy/nginx/pbxapi-events*.conf in
# the real nginx: two tenants, each with the companion's AMI source on an
# ami_double call world of its own, and events.publish to nchan's unix
# socket.  An SSE and a WebSocket subscriber of tenant A get A's call
# events in the journal's order, each once, and none of B's; B's
# subscriber gets B's call and none of A's.  A missing, unknown, other
# tenant's or scope-less token gets 401/403 and no stream.  An SSE
# subscriber that disconnects and comes back with Last-Event-ID gets
# exactly the events it missed, none twice; a WebSocket resumes the same
# with ?last_event_id=.  A new subscriber gets no old event.  GET /events
# with no tenant subscribes to the token's own tenant (nginx's
# auth_request, then the tenant pbxapi names).  nginx
# restarting: the publisher reconnects and events made after it is back
# arrive.
import json
import os
import re
import socket
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import evclient as E
import pbxtest as T

T.timeout(150)
if T.nchan_module() is None:
    print("1..0 # SKIP nginx's nchan module (libnginx-mod-nchan) is not "
          "installed (%s)" % T.NCHAN_SO)
    sys.exit(0)

t = T.Tap()
KEY_A = "events-key-a-0123456789abcdef0123"
KEY_B = "events-key-b-0123456789abcdef0123"
EVONLY_A = "events-only-a-0123456789abcdef012"  # scope events
WRITE_A = "write-only-a-0123456789abcdef0123"  # scope write: no events
D = T.tmpdir("pbxapi-nchan-")
PUBSOCK = os.path.join(D, "nchan.sock")


def double(tag):
    """An ami_double with a call world; returns (port, control)."""
    portf = os.path.join(D, tag + ".port")
    world = os.path.join(D, tag + ".world")
    scen = os.path.join(D, tag + ".json")
    T.write(scen, json.dumps({"auth_delay_ms": 0, "rules": []}))
    T.spawn([os.path.join(T.BUILD, "doubles", "ami_double"), "--port-file",
             portf, "--scenario", scen, "--log",
             os.path.join(D, tag + ".jsonl"), "--lifetime", "145",
             "--fixtures", os.path.join(T.SHARED, "fixtures", "ami"),
             "--world", world], log=os.path.join(D, tag + ".out"))
    T.wait_for(lambda: os.path.exists(portf) and os.path.exists(world),
               what="ami_double " + tag)
    ctl = E.Control(world)
    ctl.rule(dest="200", ring_ms=100, answer_ms=200, outcome="answer")
    return int(T.read(portf)), ctl


def ami_env(port):
    return {"AMI_HOST": "127.0.0.1", "AMI_PORT": str(port),
            "AMI_USERNAME": "admin", "AMI_SECRET": "amp111"}


port_a, ctl_a = double("a")
port_b, ctl_b = double("b")
extra = "[tenant beta]\nAPI_SECRET_KEY = %s\n" % KEY_B
extra += "".join("%s = %s\n" % kv for kv in ami_env(port_b).items())
env_a = dict(ami_env(port_a), API_SECRET_KEY=KEY_A)
pool = T.Pool(settings={"pm.max_children": "2", "events": "ami",
                        "events.backoff_max": "500ms",
                        "events.publish": "unix:" + PUBSOCK},
              env=env_a,
              extra="token = %s events\ntoken = %s write\n" % (EVONLY_A,
                                                              WRITE_A)
              + extra)


def shipped(name):
    text = T.read(os.path.join(T.ROOT, "deploy", "nginx", name))
    return (text.replace("unix:/run/pbxapi-nchan/nchan.sock", "unix:" + PUBSOCK)
            .replace("/var/log/nginx/access.log",
                     os.path.join(D, "events-access.log")))


web = T.Nginx(pool, modules=[T.nchan_module()],
              http_extra=shipped("pbxapi-events-publish.conf"),
              locations=shipped("pbxapi-events.conf"))


def SSE(path, headers=None, timeout=10):
    """An SSE subscriber of this test's nginx (evclient.SSE)."""
    return E.SSE(web.port, path, headers, timeout)


def journal(tenant, since=0):
    """The companion's journal of tenant after since (its local socket)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(os.path.join(pool.dir, "pbxapi-companion.sock"))
    s.sendall(("journal %s %d\n" % (tenant, since)).encode())
    buf = b""
    while b"\n" not in buf:
        buf += s.recv(65536)
    line, _, body = buf.partition(b"\n")
    n = int(line.split()[1])
    while len(body) < n:
        body += s.recv(65536)
    s.close()
    return json.loads(body)["events"]


def status_tenants():
    st, _, body = web.get("/status?json")
    c = json.loads(body).get("companion") or {}
    return {x.get("tenant"): x for x in c.get("tenants", [])}


def metric(name):
    _, _, body = web.get("/metrics")
    m = re.search(r"^%s (\S+)$" % name, body.decode(), re.M)
    return float(m.group(1)) if m else None


def call(ctl):
    """Makes a call on a world, answered; returns its id and its events'
    channel name."""
    cid = ctl.ok("call 200 cid=5551234").strip()
    return cid


def read_until(sub, pred, seconds=10):
    """Events sub gets until pred(event data) holds, or what came by
    the deadline (the last one then fails pred)."""
    got = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ev = sub.next(max(0.0, end - time.monotonic()))
        if ev is None:
            break
        got.append(ev)
        if pred(ev.get("data", ev)):
            break
    return got


def quiet(sub):
    """No event within a second (the peer closing counts as none)."""
    try:
        return sub.next(1) is None
    except EOFError:
        return True


def data(ev):
    return ev.get("data", ev)


# -- the companion runs both sources, and publishes -------------------
T.wait_for(lambda: all(x.get("state") == "connected" for x in
                       status_tenants().values()) and
           len(status_tenants()) == 2, 15, what="both sources connected")
t.ok(metric("pbxapi_events_publish_queued") is not None,
     "/metrics: the publisher's families are there")

# -- refused subscribers ---------------------------------------------
for label, path, hdr, want in (
        ("no token", "/events/default", {}, 401),
        ("an unknown token", "/events/default?token=nope-0123456789", {},
         401),
        ("tenant B's token on A's channel", "/events/default",
         {"Authorization": KEY_B}, 403),
        ("a token without events or read", "/events/default",
         {"Authorization": WRITE_A}, 403),
        ("no token on /events", "/events", {}, 401),
        ("an unknown token on /events", "/events?token=nope-0123456789",
         {}, 401),
        ("a token without events or read on /events", "/events",
         {"Authorization": WRITE_A}, 403)):
    s = SSE(path, hdr)
    t.is_(s.status, want, "SSE with %s: %d" % (label, want))
    t.ok("text/event-stream" not in s.head.lower() and quiet(s),
         "SSE with %s: no stream" % label)
    s.close()
st, _, _ = web.get("/events/default", {"Authorization": KEY_A})
t.is_(st, 403, "a plain GET (long-polling, not offered) is refused: 403")
try:
    E.WebSocket("127.0.0.1", web.port, "/events/default")
    t.ok(False, "WebSocket without a token is refused")
except E.Closed as e:
    t.like(str(e), "handshake refused", "WebSocket without a token is "
           "refused (%s)" % e)

# -- subscribers of A (SSE, ?token= and Bearer; WebSocket) and of B ----
sse_a = SSE("/events/default?token=" + EVONLY_A)
t.is_(sse_a.status, 200, "SSE of A with an events-scope ?token=: 200")
t.like(sse_a.head.lower(), "content-type: text/event-stream",
       "SSE: text/event-stream")
ws_a = E.WebSocket("127.0.0.1", web.port, "/events/default",
                   {"Authorization": "Bearer " + KEY_A})
t.like(ws_a.status, "101", "WebSocket of A with Bearer (read scope): 101")
sse_b = SSE("/events/beta", {"Authorization": KEY_B})
t.is_(sse_b.status, 200, "SSE of B: 200")
own_a = SSE("/events?token=" + EVONLY_A)
t.is_(own_a.status, 200, "SSE of /events with A's token: 200")
own_b = E.WebSocket("127.0.0.1", web.port, "/events",
                    {"Authorization": KEY_B})
t.like(own_b.status, "101", "WebSocket of /events with B's token: 101")


def pub_info(channel):
    """nchan's channel info from the publisher socket (GET)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(PUBSOCK)
    s.sendall(("GET /pub/%s HTTP/1.0\r\n\r\n" % channel).encode())
    buf = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    s.close()
    m = re.search(rb"active subscribers: (\d+)", buf)
    return int(m.group(1)) if m else 0


# nchan adds a subscriber after the authorisation: publish nothing until
# all five are in (nchan's channel info says so).
T.wait_for(lambda: pub_info("default") == 3 and pub_info("beta") == 2, 10,
           what="nchan's subscribers registered")

mark_a = journal("default")[-1]["id"] if journal("default") else 0
mark_b = journal("beta")[-1]["id"] if journal("beta") else 0
cid_a = call(ctl_a)
T.wait_for(lambda: any((e.get("channel") or {}).get("state") == "Up"
                       for e in journal("default", mark_a)),
           10, what="A's call up")
ctl_a.ok("hangup %s" % cid_a)
T.wait_for(lambda: any(e["type"] == "destroyed"
                       for e in journal("default", mark_a)), 10,
           what="A's call destroyed in the journal")
want_a = journal("default", mark_a)
last_a = want_a[-1]["id"]
t.ok(len(want_a) >= 4, "A's call made %d journal events" % len(want_a))

got = read_until(sse_a, lambda d: d["id"] == last_a)
t.is_([data(e)["id"] for e in got], [e["id"] for e in want_a],
      "SSE of A: the call's events, in the journal's order, each once")
t.is_([e.get("event") for e in got], [e["type"] for e in want_a],
      "SSE of A: event: is the event's type")
t.ok(all(e.get("id") for e in got), "SSE of A: every message has an id:")
t.is_([data(e) for e in got], want_a,
      "SSE of A: each message is the journal's JSON")
gotw = read_until(ws_a, lambda d: d["id"] == last_a)
t.is_([data(e)["id"] for e in gotw], [e["id"] for e in want_a],
      "WebSocket of A: the same events, in order, each once")
got_own = read_until(own_a, lambda d: d["id"] == last_a)
t.is_([data(e) for e in got_own], want_a,
      "SSE of /events with A's token: A's events, in order, each once")
t.is_(sse_b.next(1.5), None, "SSE of B: none of A's events")
t.is_(own_b.frame(0.5), None, "WebSocket of /events with B's token: none "
      "of A's events")

# B's own call reaches B and not A.
mark_b = journal("beta")[-1]["id"] if journal("beta") else 0
cid_b = call(ctl_b)
T.wait_for(lambda: any(e["type"] == "created"
                       for e in journal("beta", mark_b)), 10,
           what="B's call in B's journal")
ctl_b.ok("hangup %s" % cid_b)
T.wait_for(lambda: any(e["type"] == "destroyed"
                       for e in journal("beta", mark_b)), 10,
           what="B's call destroyed")
want_b = journal("beta", mark_b)
got_b = read_until(sse_b, lambda d: d["id"] == want_b[-1]["id"])
t.is_([data(e)["id"] for e in got_b], [e["id"] for e in want_b],
      "SSE of B: B's call's events, in order")
got_ownb = read_until(own_b, lambda d: d["id"] == want_b[-1]["id"])
t.is_([data(e)["id"] for e in got_ownb], [e["id"] for e in want_b],
      "WebSocket of /events with B's token: B's events, in order")
t.is_(sse_a.next(1.5), None, "SSE of A: none of B's events")
t.is_(ws_a.frame(0.5), None, "WebSocket of A: none of B's events")
t.is_(own_a.next(0.5), None, "SSE of /events with A's token: none of B's")
ws_a.close()
sse_b.close()
own_a.close()
own_b.close()

# -- disconnect, miss events, resume with Last-Event-ID ----------------
resume_at = got[-1]["id"]
sse_a.close()
T.wait_for(lambda: pub_info("default") == 0, 10,
           what="A's subscribers gone")
mark = journal("default")[-1]["id"]
cid = call(ctl_a)
T.wait_for(lambda: any(e["type"] == "created"
                       for e in journal("default", mark)), 10,
           what="a call while away")
ctl_a.ok("hangup %s" % cid)
T.wait_for(lambda: any(e["type"] == "destroyed"
                       for e in journal("default", mark)), 10,
           what="its end while away")
missed = journal("default", mark)
T.wait_for(lambda: metric("pbxapi_events_publish_queued") == 0, 10,
           what="the publisher's queue empty")
back = SSE("/events/default", {"Authorization": KEY_A,
                               "Last-Event-ID": resume_at})
t.is_(back.status, 200, "SSE resumes with Last-Event-ID: 200")
again = read_until(back, lambda d: d["id"] == missed[-1]["id"])
t.is_([data(e)["id"] for e in again], [e["id"] for e in missed],
      "resumed: exactly the %d missed events, in order" % len(missed))
t.is_(back.next(1), None, "resumed: nothing twice, nothing more")
# A WebSocket resumes from the same id with ?last_event_id= (a browser's
# WebSocket cannot set headers either).
wsr = E.WebSocket("127.0.0.1", web.port, "/events/default?last_event_id=" +
                  urllib.parse.quote(resume_at), {"Authorization": KEY_A})
againw = read_until(wsr, lambda d: d["id"] == missed[-1]["id"])
t.is_([data(e)["id"] for e in againw], [e["id"] for e in missed],
      "a WebSocket resumed with ?last_event_id=: the same missed events")
t.is_(wsr.frame(0.5), None, "and nothing more")
wsr.close()

# A new subscriber without Last-Event-ID starts with the next event.
fresh = SSE("/events/default", {"Authorization": KEY_A})
t.is_(fresh.next(1), None, "a new subscriber gets no old events")
fresh.close()

# -- nginx restarts: the publisher reconnects ---------------------------
pub0 = metric("pbxapi_events_published_total")
back.close()
web.restart()
T.wait_for(lambda: os.path.exists(PUBSOCK), 10, what="nchan's socket")
after = SSE("/events/default", {"Authorization": KEY_A})
t.is_(after.status, 200, "after nginx restarted: subscribed")
T.wait_for(lambda: pub_info("default") == 1, 10,
           what="the subscriber registered")
mark = journal("default")[-1]["id"]
cid = call(ctl_a)
T.wait_for(lambda: any(e["type"] == "created"
                       for e in journal("default", mark)), 10,
           what="a call after the restart")
ctl_a.ok("hangup %s" % cid)
T.wait_for(lambda: any(e["type"] == "destroyed"
                       for e in journal("default", mark)), 10,
           what="its end")
later = journal("default", mark)
got = read_until(after, lambda d: d["id"] == later[-1]["id"], 15)
t.is_([data(e)["id"] for e in got], [e["id"] for e in later],
      "after nginx restarted: the new events arrive, in order")
t.ok(metric("pbxapi_events_published_total") >= pub0 + len(later),
     "/metrics: published counted")
t.is_(metric("pbxapi_events_publish_dropped_total"), 0.0,
      "/metrics: nothing dropped")
after.close()
log = T.read(os.path.join(D, "events-access.log"))
t.ok("/events/default" in log and EVONLY_A not in log,
     "the access log has the subscriptions, never a ?token=")
t.done()
