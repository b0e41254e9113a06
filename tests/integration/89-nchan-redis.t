#!/usr/bin/env python3
# nchan's message store in Redis across two hosts (docs/operations.md,
# "Scale-out", the live events bullet): the shipped
# deploy/nginx/pbxapi-events*.conf with their Redis lines uncommented as
# their comments tell an operator (the upstream with a redis:// URL, every
# nchan_redis_pass), pointed at a redis-server this test starts on a free
# loopback port.  Two hosts, each a pbxapi pool (node hostA, hostB; the
# same redis; events on one shared ami_double call world) behind its own
# nginx with nchan, each companion publishing to its own host's nchan.
# Host A starts first and holds the tenant's events lease.
#
# What it proves:
# - an SSE subscriber on host B (and one of /events, the token's own
#   tenant, on B) gets a call's events that only host A's companion
#   published, to host A's nchan: in the journal's order, each once; a
#   WebSocket subscriber on A gets them too.  B's companion publishes
#   nothing meanwhile (its publisher metric stays 0), so B's subscribers
#   can only have had them through Redis.
# - resume across hosts: a subscriber of B disconnects, a call's events
#   are published through A, it comes back on A with B's Last-Event-ID
#   and gets exactly the missed events, none twice (nchan's buffer and
#   its message ids are Redis's, the same on every host).
# - failover: host A's companion stopped and its master and companion
#   killed (nginx A stays up); B takes the lease, publishes to B's nchan,
#   and a subscriber still connected to A's nginx gets the new events,
#   whose journal ids go on above A's.
# - the buffer outlives nginx: host B's nginx restarted, a subscriber
#   resumes on B with the id of a message A's nginx delivered and gets
#   the messages after it (from Redis; nginx's memory was emptied).
import json
import os
import re
import shutil
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import evclient as E
import pbxtest as T

T.timeout(120)
if T.nchan_module() is None:
    print("1..0 # SKIP nginx's nchan module (libnginx-mod-nchan) is not "
          "installed (%s)" % T.NCHAN_SO)
    sys.exit(0)
if shutil.which("redis-server") is None:
    print("1..0 # SKIP redis-server is not installed "
          "(deploy/debian-packages)")
    sys.exit(0)

t = T.Tap()
KEY = "nchan-redis-key-0123456789abcdef01"
TTL = 1.5
D = T.tmpdir("pbxapi-nchan-redis-")
REDIS = T.Redis(D, tcp=True)
RPORT = REDIS.port
redis_cmd = REDIS.cmd


# One call world: both hosts' companions would follow the same PBX.
portf = os.path.join(D, "ami.port")
world = os.path.join(D, "ami.world")
scen = os.path.join(D, "ami.json")
T.write(scen, json.dumps({"auth_delay_ms": 0, "rules": []}))
T.spawn([os.path.join(T.BUILD, "doubles", "ami_double"), "--port-file",
         portf, "--scenario", scen, "--log", os.path.join(D, "ami.jsonl"),
         "--lifetime", "115", "--fixtures",
         os.path.join(T.SHARED, "fixtures", "ami"), "--world", world],
        log=os.path.join(D, "ami.out"))
T.wait_for(lambda: os.path.exists(portf) and os.path.exists(world),
           what="ami_double")
ctl = E.Control(world)
ctl.rule(dest="200", ring_ms=100, answer_ms=200, outcome="answer")


# The Redis lines of the shipped snippets, as their comments give them.
UPSTREAM = ("#upstream pbxapi_nchan_redis {\n"
            "#    nchan_redis_server redis://10.0.0.5:6379;\n#}\n")
PASS = "#nchan_redis_pass pbxapi_nchan_redis;"


def shipped(name, pubsock, log):
    """A shipped snippet with its Redis lines turned on, as an operator
    would (the upstream pointed at this test's Redis), and its paths
    pointed at this host's temp dir."""
    text = T.read(os.path.join(T.ROOT, "deploy", "nginx", name))
    if UPSTREAM in text:
        text = text.replace(UPSTREAM, UPSTREAM.replace("#", "").replace(
            "10.0.0.5:6379", "127.0.0.1:%d" % RPORT))
    text = text.replace(PASS, PASS[1:])
    text = text.replace("unix:/run/pbxapi-nchan/nchan.sock",
                        "unix:" + pubsock)
    return text.replace("/var/log/nginx/access.log", log)


pub_text = T.read(os.path.join(T.ROOT, "deploy", "nginx",
                               "pbxapi-events-publish.conf"))
sub_text = T.read(os.path.join(T.ROOT, "deploy", "nginx",
                               "pbxapi-events.conf"))
n_sub_locations = len(re.findall(r"^\s*nchan_subscriber\b", sub_text, re.M))
t.ok(UPSTREAM in pub_text and pub_text.count(PASS) == 1,
     "the publisher snippet has the commented upstream and one "
     "nchan_redis_pass (in the publisher location)")
t.is_(sub_text.count(PASS), n_sub_locations,
      "the subscriber snippet has a commented nchan_redis_pass in each of "
      "its %d subscriber locations" % n_sub_locations)


class Host:
    """One pbxapi host: its pool and its nginx with nchan on Redis."""

    def __init__(self, node, port):
        self.node = node
        self.pubsock = os.path.join(D, node + "-nchan.sock")
        self.pool = T.Pool(
            settings={"pm.max_children": "1", "events": "ami",
                      "events.backoff_max": "500ms",
                      "companion.timeout": "500ms",
                      "events.publish": "unix:" + self.pubsock,
                      "redis": "127.0.0.1:%d" % RPORT,
                      "redis.timeout": "200ms", "node": node,
                      "events.lease_ttl": "%dms" % int(TTL * 1000)},
            env={"AMI_HOST": "127.0.0.1", "AMI_PORT": port,
                 "AMI_USERNAME": "admin", "AMI_SECRET": "amp111",
                 "API_SECRET_KEY": KEY})
        log = os.path.join(D, node + "-events-access.log")
        self.web = T.Nginx(
            self.pool, modules=[T.nchan_module()],
            http_extra=shipped("pbxapi-events-publish.conf", self.pubsock,
                               log),
            locations=shipped("pbxapi-events.conf", self.pubsock, log))

    def tenant(self):
        try:
            st, _, body = self.web.get("/status?json", timeout=5)
            c = json.loads(body).get("companion") or {}
            ts = c.get("tenants") or []
            return ts[0] if ts else {}
        except Exception:
            return {}

    def metric(self, name):
        _, _, body = self.web.get("/metrics")
        m = re.search(r"^%s (\S+)$" % name, body.decode(), re.M)
        return float(m.group(1)) if m else None

    def journal(self, since=0):
        """The tenant's journal through this host's companion (the
        shared one, in Redis)."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(os.path.join(self.pool.dir, "pbxapi-companion.sock"))
        s.sendall(("journal default %d\n" % since).encode())
        buf = b""
        while b"\n" not in buf:
            buf += s.recv(65536)
        line, _, body = buf.partition(b"\n")
        n = int(line.split()[1])
        while len(body) < n:
            body += s.recv(65536)
        s.close()
        return json.loads(body)["events"]

    def subscribers(self, channel="default"):
        """nchan's channel info through this host's publisher socket: in
        Redis mode the count of every host's subscribers."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(self.pubsock)
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

    def sse(self, path, headers=None):
        return E.SSE(self.web.port, path, headers)

    def ws(self, path, headers=None):
        return E.WebSocket("127.0.0.1", self.web.port, path, headers)


def poll_value(fn, seconds):
    """fn()'s first true value within seconds, or None."""
    end = time.monotonic() + seconds
    while True:
        v = fn()
        if v or time.monotonic() >= end:
            return v or None
        time.sleep(0.05)


def data(ev):
    return ev.get("data", ev)


def read_until(sub, want, seconds=10, strict=False):
    """Events sub gets through the last of want (journal events), or what
    came by the deadline.  Unless strict, those journaled before want's
    first are left out (A's rebuild, peers and queue members, may still
    be on its way to nchan when a new subscriber comes in)."""
    got = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ev = sub.next(max(0.0, end - time.monotonic()))
        if ev is None:
            break
        if strict or data(ev).get("id", 0) >= want[0]["id"]:
            got.append(ev)
        if data(ev).get("id") == want[-1]["id"]:
            break
    return got


def ids(evs):
    return [data(e).get("id") for e in evs]


def a_call(via):
    """A call on the world, answered and hung up; returns its journal
    events as via's companion reads them from Redis once the holder
    journaled its end."""
    js = via.journal()
    mark = js[-1]["id"] if js else 0
    cid = ctl.ok("call 200 cid=5551234").strip()
    T.wait_for(lambda: any((e.get("channel") or {}).get("state") == "Up"
                           for e in via.journal(mark)), 10, what="call up")
    ctl.ok("hangup %s" % cid)
    T.wait_for(lambda: any(e["type"] == "destroyed"
                           for e in via.journal(mark)), 10,
               what="call destroyed in the journal")
    return via.journal(mark)


# -- two hosts; A takes the lease first ---------------------------------
port = T.read(portf).strip()
A = Host("hostA", port)
T.wait_for(lambda: A.tenant().get("lease mine") is True and
           A.tenant().get("state") == "connected", 15,
           what="host A holding the lease, connected")
B = Host("hostB", port)
T.wait_for(lambda: B.tenant().get("lease holder") == "hostA", 15,
           what="host B naming hostA the holder")
t.is_((A.tenant().get("lease mine"), B.tenant().get("lease mine"),
       B.tenant().get("state")), (True, False, "down"),
      "host A holds the events lease; host B stands by")

# -- 2. B's subscribers get what A published; A's WebSocket too ---------
# /events first, alone: B's nchan then makes the channel from that
# location, so only its own nchan_redis_pass can bring it A's messages.
# (Without it the channel is of B's memory, and B's /events/default
# subscriber below, sharing it, gets nothing either.)
own_b = B.sse("/events?token=" + KEY)
t.is_(own_b.status, 200, "SSE of /events (the token's tenant) on B: 200")
t.ok(T.poll(lambda: A.subscribers() == 1, 10),
     "B's /events subscriber is counted in Redis (A's nchan sees it)")
sse_b = B.sse("/events/default", {"Authorization": KEY})
t.is_(sse_b.status, 200, "SSE on host B: 200")
ws_a = A.ws("/events/default", {"Authorization": "Bearer " + KEY})
t.like(ws_a.status, "101", "WebSocket on host A: 101")
# nchan counts a channel's subscribers in Redis: A's publisher socket
# sees B's subscribers once they are in (publish nothing before).
t.ok(T.poll(lambda: A.subscribers() == 3, 10),
     "A's nchan counts all 3 subscribers of both hosts (Redis's count: %d)"
     % A.subscribers())
pub_b0 = B.metric("pbxapi_events_published_total")
pub_a0 = A.metric("pbxapi_events_published_total")
want = a_call(A)
t.ok(len(want) >= 4, "the call made %d journal events" % len(want))
got = read_until(sse_b, want)
t.is_(ids(got), ids(want),
      "SSE on B: the events A published to A's nchan, in order, each once")
t.is_([data(e) for e in got], want, "SSE on B: each is the journal's JSON")
t.is_([e.get("event") for e in got], [e["type"] for e in want],
      "SSE on B: event: is the event's type")
got_own = read_until(own_b, want)
t.is_(ids(got_own), ids(want),
      "SSE of /events on B: the same events, in order, each once")
got_ws = read_until(ws_a, want)
t.is_(ids(got_ws), ids(want),
      "WebSocket on A: the same events, in order, each once")
t.is_(sse_b.next(1), None, "SSE on B: nothing more")
t.ok(A.metric("pbxapi_events_published_total") >= pub_a0 + len(want),
     "host A's companion published them")
t.is_(B.metric("pbxapi_events_published_total"), pub_b0,
      "host B's companion published none (B's subscribers had them "
      "through Redis only)")

# -- 3. resume across hosts ---------------------------------------------
resume_at = got[-1]["id"] if got else "0:0"
t.like(resume_at, r":", "nchan's message id (Redis mode): %s" % resume_at)
# own_b (B's /events) stays: then the only subscriber on B's nchan, it
# gets the call through Redis on its own.
sse_b.close()
T.wait_for(lambda: A.subscribers() == 2, 10, what="B's SSE gone")
missed = a_call(A)
T.wait_for(lambda: A.metric("pbxapi_events_publish_queued") == 0, 10,
           what="A's publisher queue empty")
# The WebSocket on A had them as they came: then nchan has them all.
t.is_(ids(read_until(ws_a, missed)), ids(missed),
      "WebSocket on A: the call made while B's subscriber was away")
t.is_(ids(read_until(own_b, missed)), ids(missed),
      "SSE of /events on B, alone on B's nchan now: the same call")
own_b.close()
back = A.sse("/events/default", {"Authorization": KEY,
                                 "Last-Event-ID": resume_at})
t.is_(back.status, 200, "back on host A with B's Last-Event-ID: 200")
again = read_until(back, missed, strict=True)
t.is_(ids(again), ids(missed),
      "resumed on A: exactly the %d missed events, in order" % len(missed))
t.is_(back.next(1), None, "resumed on A: nothing twice, nothing more")
# What made that possible: each message is a key of Redis's, named by
# the id the subscribers see (nchan's own layout, {channel:/ID}:msg:ID).
t.ok(again and all(redis_cmd("EXISTS", "{channel:/default}:msg:" +
                             e["id"]) == b":1\r\n" for e in again),
     "nchan keeps each resumed message in Redis under its message id")

# -- 4. failover: host A's pbxapi dies, its nginx stays -----------------
# back (on A's nginx) stays subscribed.  A's companion is stopped first
# so that it cannot give the lease up on its way out: B takes it when
# the TTL runs out, as after a crash.
comp = A.pool.companions()
for p in comp:
    os.kill(p, signal.SIGSTOP)
last_a = int(redis_cmd("GET", "pbxapi:journal:default:seq")
             .split(b"\r\n")[1] or 0)
A.pool.proc.send_signal(signal.SIGKILL)
A.pool.proc.wait(5)
for p in comp:
    os.kill(p, signal.SIGKILL)
t.ok(T.poll(lambda: B.tenant().get("lease mine") is True and
            B.tenant().get("state") == "connected", TTL * 3 + 2),
     "host B took the lease after host A's pbxapi died")
a_call(B)
# Everything journaled since the last event back had: B's takeover (its
# rebuild) and the call.
after = B.journal(missed[-1]["id"])
t.diag("journaled by B: %s" % [e["type"] for e in after])
got = read_until(back, after, strict=True)
t.is_(ids(got), ids(after),
      "the subscriber still on A's nginx gets the events B published to "
      "B's nchan (its takeover's and a call's), in order, each once")
# B's ids go on above A's last (the journal's floor at a takeover); not
# always last + 1: B's companion, started after A's, counts from its own
# start time (µs), which is higher.
t.ok(ids(after) and ids(after) == sorted(set(ids(after))) and
     ids(after)[-1] > last_a,
     "their journal ids go on above A's last (%d -> %s), increasing" %
     (last_a, [i for i in ids(after) if i > last_a][:1]))
t.ok(B.metric("pbxapi_events_published_total") - pub_b0 >=
     len([i for i in ids(after) if i > last_a]),
     "host B's companion published them, to its own nchan")
t.is_(B.metric("pbxapi_events_publish_dropped_total"), 0.0,
      "host B's publisher dropped nothing")

# -- the buffer outlives nginx: B's nginx restarts (its memory is gone),
# and a subscriber resumes on B from a message A's nginx delivered.
t0 = time.monotonic()
B.web.restart()
t.diag("B's nginx restarted in %.2f s" % (time.monotonic() - t0))
mid = len(got) // 2
t.ok(got and all(e.get("id") for e in got), "A's subscriber has the "
     "messages' nchan ids")
since = got[mid]["id"] if got else "0:0"

def resumed():
    """A subscriber on B from since, once B's nchan is connected to
    Redis again (it answers 503 until then)."""
    s = B.sse("/events/default", {"Authorization": KEY,
                                  "Last-Event-ID": since})
    if s.status == 503:
        s.close()
        return None
    return s


t0 = time.monotonic()
rs = poll_value(resumed, 10)
t.is_(rs and rs.status, 200, "after B's nginx restarted: resumed on B: "
      "200 (nchan back on Redis after %.2f s)" % (time.monotonic() - t0))
rest = read_until(rs, after, strict=True)
t.is_(ids(rest), ids(got[mid + 1:]),
      "resumed on the restarted B from Redis: the %d messages after %s"
      % (len(got) - mid - 1, since))
t.ok(rs is not None and rs.next(1) is None, "and nothing more")
if rs:
    rs.close()
back.close()
ws_a.close()
t.done()
