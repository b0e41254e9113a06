#!/usr/bin/env python3
# Scale-out through Redis (docs/operations.md, "Scale-out"): a real
# redis-server on a unix socket, two pbxapi instances (two masters, each
# behind its own nginx, nodes "hostA" and "hostB") whose companions
# follow one ARI double's call world.  Exactly one companion holds the
# tenant's events lease and /status on both hosts says which; the other
# stands by, its state down with the holder named.  A lease taken away
# in Redis stops the holder's source at once.  A companion killed with
# -9 is restarted by its master and takes its own lease back; with host
# A's companion stopped and its master killed, host B takes the lease
# once the TTL runs out, and follows the call world.  WCS startups are
# reserved in Redis: a callId placed through one host is 409 through the
# other, and an Idempotency-Key (WCS startup, ARI originate) retried on
# the other host answers as the first did, with one call placed.  The
# WCS call registry is in Redis: a call started through A is found,
# sent DTMF and terminated through B, its FINISH seen through both; the
# journal read through the host standing by has the holder's events.
# After the holder's host dies, a call started before is still followed
# by the survivor (its hangup shows FINISH there) and the journal's ids
# go on from the dead holder's.  Redis killed: startup, find and the
# journal answer a clear error.
import base64
import json
import os
import shutil
import signal
import socket
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import evclient as E
import pbxtest as T

T.timeout(150)
t = T.Tap()
if shutil.which("redis-server") is None:
    t.skip("Redis", "redis-server is not installed (deploy/debian-packages)")
    t.done()
    sys.exit(0)

TTL = 1.5
RETAIN = 4000  # wcs.retain, ms
D = T.tmpdir("pbxapi-scaleout-")
os.chmod(D, 0o755)
REDIS = T.Redis(D)
RSOCK = REDIS.sock
redis_cmd = REDIS.cmd


APORTF = os.path.join(D, "ari.port")
AWORLD = os.path.join(D, "ari.world")
T.spawn([os.path.join(T.BUILD, "doubles", "ari_double"), "--port-file",
         APORTF, "--world", AWORLD, "--lifetime", "145", "--log",
         os.path.join(D, "ari.jsonl"), "--fixtures",
         os.path.join(T.SHARED, "fixtures", "ari")],
        log=os.path.join(D, "ari.out"))
T.wait_for(lambda: T.read(APORTF).strip() and os.path.exists(AWORLD),
           what="ari_double")
APORT = T.read(APORTF).strip()
ctl = E.Control(AWORLD)


def host(node):
    pool = T.Pool(settings={"pm.max_children": "1",
                            "events.backoff_max": "500ms",
                            "companion.timeout": "500ms",
                            "redis": "unix:" + RSOCK,
                            "redis.timeout": "200ms",
                            "node": node,
                            "wcs.retain": "%dms" % RETAIN,
                            "events.lease_ttl": "%dms" % int(TTL * 1000)},
                  env={"events": "ari", "ARI_ENABLED": "true",
                       "token": "app:app-secret ari-control",
                       "ARI_PORT": APORT})
    return pool, T.Nginx(pool)


poolA, webA = host("hostA")
poolB, webB = host("hostB")


def tenant(web):
    try:
        st, _, body = web.get("/status?json", timeout=5)
        c = json.loads(body).get("companion") or {}
        ts = c.get("tenants") or []
        return ts[0] if ts else {}
    except Exception:
        return {}


def holders():
    return tenant(webA), tenant(webB)


def settled():
    a, b = holders()
    if "lease holder" not in a or "lease holder" not in b:
        return None
    if a["lease holder"] != b["lease holder"]:
        return None
    if a["lease mine"] == b["lease mine"]:
        return None
    return a, b


def poll_value(fn, seconds):
    """fn()'s first true value within seconds, or None."""
    end = time.monotonic() + seconds
    while True:
        v = fn()
        if v or time.monotonic() >= end:
            return v or None
        time.sleep(0.02)


def lease_key():
    return redis_cmd("GET", "pbxapi:lease:default")


r = poll_value(settled, 10)
t.ok(r, "both hosts name one lease holder, and exactly one holds it")
a, b = r or ({}, {})
holder = a.get("lease holder")
t.ok(holder in ("hostA", "hostB"), "the holder is a node: %r" % holder)
t.like(lease_key().decode(errors="replace"), holder or "?",
       "Redis's lease key holds the holder's node id")
first, other = (webA, webB) if holder == "hostA" else (webB, webA)
pfirst, pother = (poolA, poolB) if holder == "hostA" else (poolB, poolA)
fnode = holder
onode = "hostB" if holder == "hostA" else "hostA"
t.ok(T.poll(lambda: tenant(first).get("state") == "connected", 10),
     "the holder's source is connected")
so = tenant(other)
t.is_(so.get("state"), "down", "the other host's source stands by")
t.like(so.get("down reason", ""), "held by " + fnode,
       "its down reason names the holder")

# The lease taken away in Redis: the holder stops at once (its next
# renewal, within ttl/3) and stands by; nobody else may take it then.
redis_cmd("SET", "pbxapi:lease:default", "intruder", "PX", "3000")
t.ok(T.poll(lambda: tenant(first).get("state") == "down" and
            "intruder" in tenant(first).get("down reason", ""), TTL),
     "a lost lease stops the holder's source at its next renewal")
t.ok(not tenant(first).get("lease mine") and
     not tenant(other).get("lease mine"), "neither host holds it now")
# Back to a free key: one of them takes it within ttl/3.
redis_cmd("DEL", "pbxapi:lease:default")
r = poll_value(settled, 5)
t.ok(r, "once the key is free, one host takes the lease again")
holder = r[0]["lease holder"] if r else None
first, other = (webA, webB) if holder == "hostA" else (webB, webA)
pfirst, pother = (poolA, poolB) if holder == "hostA" else (poolB, poolA)
fnode, onode = holder, ("hostB" if holder == "hostA" else "hostA")
t.ok(T.poll(lambda: tenant(first).get("state") == "connected", 10),
     "the new holder's source is connected")

# WCS startup reservations are shared: a callId placed through one host
# is 409 through the other, and an Idempotency-Key retried on the other
# host answers as the first request did, placing no second call.
ctl.rule(dest="600", ring_ms=100, answer_ms=200, outcome="answer")


def startup(web, body, headers=None):
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    return web.request("POST", "/rest-api/call/startup", h,
                       json.dumps(body).encode())


def ari_requests(method, cid):
    n = 0
    for line in T.read(os.path.join(D, "ari.jsonl")).splitlines():
        try:
            x = json.loads(line)
        except ValueError:
            continue
        if x.get("method") == method and \
                (x.get("path", "") or x.get("uri", "")).startswith(
                    "/ari/channels" + ("" if cid.startswith("?") else "/") +
                    cid):
            n += 1
    return n


st, _, b = startup(webA, {"callId": "so-1", "callee": "600"})
t.is_(st, 200, "startup through host A: 200 (%s)" % b[:80])
st, _, b = startup(webB, {"callId": "so-1", "callee": "600"})
t.is_(st, 409, "the same callId through host B: 409")
IK = {"Idempotency-Key": "so-key-1"}
st1, _, _ = startup(webA, {"callId": "so-2", "callee": "600"}, IK)
st2, h2, _ = startup(webB, {"callId": "so-2", "callee": "600"}, IK)
t.is_((st1, st2), (200, 200), "a keyed startup on A, retried on B: 200 both")
t.is_(h2.get("idempotent-replayed"), "true", "B's answer is the replay")
t.is_(ari_requests("POST", "so-2"), 1, "one POST /ari/channels/so-2 at the double")
t.like(redis_cmd("HGET", "pbxapi:wcs:default:idem:wcs:so-key-1",
                 "status").decode(), "200",
       "the key's first status is in Redis")

# ARI's Idempotency-Key too: an originate through A retried through B
# gets A's status and body, and the double sees one originate.
AK = {"Authorization": "Basic " +
      base64.b64encode(b"app:app-secret").decode(),
      "Idempotency-Key": "so-ari-1"}
OPATH = "/ari/channels?endpoint=PJSIP%2F600&app=pbxapi"
n0 = ari_requests("POST", "?endpoint=")
st1, _, b1 = webA.request("POST", OPATH, AK, b"")
st2, h2, b2 = webB.request("POST", OPATH, AK, b"")
t.is_(st1, 200, "ARI originate with a key through A: 200 (%s)" % b1[:80])
t.ok(b1.startswith(b"{") and (st2, b2) == (st1, b1),
     "retried through B: the same status and body")
t.is_(h2.get("idempotent-replayed"), "true", "B's answer is the replay")
t.is_(ari_requests("POST", "?endpoint=") - n0, 1,
      "one originate at the double")


# -- The WCS registry in Redis: any host finds, acts on, sees the end --


def wcs(web, method, body=None):
    """POST /rest-api/call/METHOD: (status, headers, parsed body)."""
    st, h, b = web.request("POST", "/rest-api/call/" + method,
                           {"Content-Type": "application/json"},
                           json.dumps(body or {}).encode())
    try:
        doc = json.loads(b) if b else None
    except ValueError:
        doc = b
    return st, h, doc


def status_on(web, cid):
    st, _, doc = wcs(web, "find", {"callId": cid})
    if st != 200 or not isinstance(doc, list) or len(doc) != 1:
        return None
    return doc[0].get("status")


def companion(pool, line):
    """One request on pool's companion socket: (ok, body)."""
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


def journal(pool, since=0):
    ok, body = companion(pool, "journal default %d" % since)
    try:
        return json.loads(body) if ok else {"error": body}
    except ValueError:
        return {"error": body}


t.ok(T.poll(lambda: status_on(webA, "so-1") == "ESTABLISHED", 10),
     "so-1, started through A: ESTABLISHED through A")
t.ok(T.poll(lambda: status_on(webB, "so-1") == "ESTABLISHED", 10),
     "so-1 found through B, ESTABLISHED")
# Through the host standing by: the holder adopts it from Redis.
st, _, _ = wcs(other, "startup", {"callId": "so-3", "callee": "600",
                                  "visibleName": "Three"})
t.is_(st, 200, "so-3 started through the host standing by (%s)" % onode)
t.ok(T.poll(lambda: status_on(first, "so-3") == "ESTABLISHED", 10),
     "the holder (%s) follows so-3 from Redis: ESTABLISHED" % fnode)
st, _, doc = wcs(webB, "find_all")
ids = sorted(c.get("callId") for c in doc) if st == 200 and \
    isinstance(doc, list) else doc
t.ok(isinstance(ids, list) and {"so-1", "so-2", "so-3"} <= set(ids),
     "find_all through B lists the calls of both hosts: %r" % (ids,))
c3 = [c for c in doc if c.get("callId") == "so-3"] if isinstance(
    ids, list) else []
t.is_((c3[0].get("callee"), c3[0].get("visibleName"), c3[0].get("sipStatus"),
       len(c3[0])) if c3 else None, ("600", "Three", 200, 25),
      "so-3's Call object: callee, visibleName, sipStatus 200, 25 keys")
st, _, _ = wcs(webB, "send_dtmf", {"callId": "so-1", "dtmf": "12"})
t.is_(st, 200, "send_dtmf through B on A's call: 200")
t.is_(ari_requests("POST", "so-1/dtmf"), 1,
      "one POST /ari/channels/so-1/dtmf at the double")
st, _, _ = wcs(webB, "terminate", {"callId": "so-1"})
t.is_(st, 200, "terminate through B of the call started through A: 200")
t.is_(ari_requests("DELETE", "so-1"), 1,
      "one DELETE /ari/channels/so-1 at the double")
t.ok(T.poll(lambda: status_on(webB, "so-1") == "FINISH", 10),
     "so-1: FINISH through B")
t.is_(status_on(webA, "so-1"), "FINISH", "so-1: FINISH through A too")
st, _, _ = wcs(webA, "terminate", {"callId": "so-1"})
t.is_(st, 404, "a finished call cannot be terminated again: 404")
ttl = redis_cmd("PTTL", "pbxapi:wcs:default:call:so-1").decode()
t.ok(ttl.startswith(":") and 0 < int(ttl[1:].strip()) <= RETAIN,
     "the finished call's record expires within wcs.retain (%s ms)" %
     ttl.strip())
st, _, doc = wcs(webB, "find", {"callee": "600", "status": "ESTABLISHED"})
t.is_(sorted(c.get("callId") for c in doc) if st == 200 else st,
      ["so-2", "so-3"], "find's filters apply to the shared registry")
st, _, _ = wcs(webB, "terminate", {"callId": "no-such-call"})
t.is_(st, 404, "terminate of an unknown callId through B: 404")

ok, m = companion(pfirst, "metrics")
mv = dict(line.rsplit(" ", 1) for line in m.splitlines()
          if line.startswith("pbxapi_redis_"))
t.ok(ok and int(mv.get("pbxapi_redis_writes_total", 0)) > 0 and
     int(mv.get("pbxapi_redis_lookups_total", 0)) > 0 and
     mv.get("pbxapi_redis_write_dropped_total") == "0" and
     mv.get("pbxapi_redis_write_errors_total") == "0",
     "the holder's metrics: writes and lookups, none dropped or failed (%r)"
     % mv)

# The journal: read through the host standing by, from Redis.
jo = journal(pother)
evs = jo.get("events") or []
jids = [e.get("id") for e in evs]
t.ok(any(e.get("type") == "destroyed" and
         (e.get("channel") or {}).get("id") == "so-1" for e in evs),
     "the journal through %s has the holder's events (so-1 destroyed)" %
     onode)
t.ok(len(jids) > 3 and jids == list(range(jids[0], jids[0] + len(jids))),
     "its ids are consecutive (%d events)" % len(jids))
t.is_(jo.get("last"), jids[-1] if jids else None,
      "its last is the newest event's id")
jh = journal(pfirst)
t.is_([e.get("id") for e in jh.get("events") or []][:len(jids)], jids,
      "the holder answers the same events")
t.is_(len((journal(pother, jids[-2]) if len(jids) > 1 else {})
          .get("events") or []), 1 if len(jids) > 1 else None,
      "journal SINCE: the events after SINCE only")

# kill -9 the holder's companion: its master starts another, which
# takes its own node's lease back before it expires.
old = pfirst.companions()
t.is_(len(old), 1, "one companion on the holder")
for p in old:
    os.kill(p, signal.SIGKILL)
t.ok(T.poll(lambda: pfirst.companions() and pfirst.companions() != old, 10),
     "the master restarted its companion")
t.ok(T.poll(lambda: tenant(first).get("lease mine") is True and
            tenant(first).get("state") == "connected", 10),
     "the restarted companion holds the lease again and is connected")
t.is_(tenant(other).get("lease holder"), fnode,
      "the other host still names the same holder")

# SIGHUP on the holder: its new companion takes the lease over from the
# old one at once, and the old one, retiring, leaves it alone (the key
# holds the node and the companion's run): the key is never missing nor
# another host's meanwhile, and the other host never takes over.
def lease_node():
    v = lease_key()
    if not v or v.startswith(b"$-1"):
        return "missing"
    return fnode if (b"\r\n" + fnode.encode() + b"\n") in v else "other"


old = pfirst.companions()
seen = []
pfirst.kill(signal.SIGHUP)
end = time.monotonic() + 15
gone_at = None
while time.monotonic() < end:
    seen.append(lease_node())
    if gone_at is None and pfirst.companions() and \
            not set(pfirst.companions()) & set(old):
        gone_at = time.monotonic()
    if gone_at is not None and time.monotonic() - gone_at > 2 * TTL:
        break
    time.sleep(0.02)
t.ok(gone_at is not None, "SIGHUP: a new companion, the old one gone")
t.is_(sorted(set(seen)), [fnode],
      "SIGHUP: the lease stayed %s's in all %d samples" % (fnode, len(seen)))
t.ok(tenant(first).get("lease mine") is True and
     tenant(first).get("state") == "connected" and
     tenant(other).get("lease mine") is False,
     "SIGHUP: the new companion holds it and is connected, the other "
     "host stands by")

# A call started through the holder before its host dies.
ctl.rule(dest="601", ring_ms=50, answer_ms=50, outcome="answer")
st, _, _ = wcs(first, "startup", {"callId": "so-f", "callee": "601"})
t.is_(st, 200, "so-f started through the holder %s" % fnode)
t.ok(T.poll(lambda: status_on(other, "so-f") == "ESTABLISHED", 10),
     "so-f ESTABLISHED, seen through %s" % onode)

# The holder's host dies: its companion stopped (it cannot give the
# lease up), its master killed, then the companion too.  The other host
# takes the lease once the TTL runs out, and follows the world.
comp = pfirst.companions()
for p in comp:
    os.kill(p, signal.SIGSTOP)
t0 = time.monotonic()
pfirst.proc.send_signal(signal.SIGKILL)
pfirst.proc.wait(5)
for p in comp:
    os.kill(p, signal.SIGKILL)
# The dead holder's last journal id (the survivor waits for the TTL).
last_before = int(redis_cmd("GET", "pbxapi:journal:default:seq")
                  .split(b"\r\n")[1] or 0)
r = T.poll(lambda: tenant(other).get("lease mine") is True and
           tenant(other).get("state") == "connected", TTL * 3)
took = time.monotonic() - t0
t.ok(r, "host %s took the lease after %s died (%.2f s, ttl %.1f s)" %
     (onode, fnode, took, TTL))
t.ok(took < TTL + TTL / 3 + 1.0,
     "within ttl + ttl/3 (+1 s of polling): %.2f s" % took)
t.like(lease_key().decode(errors="replace"), onode,
       "Redis's lease key holds the new holder")
ctl.rule(dest="300", ring_ms=50, answer_ms=50)
AUTH = "Basic " + base64.b64encode(b"ari_user:ari_password").decode()
req = urllib.request.Request(
    "http://127.0.0.1:%s/ari/channels?endpoint=PJSIP/300&app=pbxapi"
    "&callerId=3000" % APORT, method="POST",
    headers={"Authorization": AUTH})
urllib.request.urlopen(req, timeout=5).read()
t.ok(T.poll(lambda: tenant(other).get("channels", 0) > 0, 10),
     "the new holder follows the call world (a new call's channel)")

# The survivor adopted so-f from Redis at its rebuild: a far-end hangup
# now shows FINISH through it.
t.is_(status_on(other, "so-f"), "ESTABLISHED",
      "so-f is still ESTABLISHED through the survivor")
ctl.ok("hangup so-f 16")
t.ok(T.poll(lambda: status_on(other, "so-f") == "FINISH", 10),
     "so-f's hangup after the failover: FINISH through the survivor")
jo = journal(pother)
after = [e.get("id") for e in jo.get("events") or []
         if e.get("id", 0) > last_before]
t.ok(after and min(after) == last_before + 1 and
     any((e.get("channel") or {}).get("id") == "so-f" and
         e.get("type") == "destroyed" for e in jo.get("events") or []),
     "the survivor's journal ids go on from the dead holder's (%d -> %s)"
     % (last_before, after[:1]))

# wcs.retain after its end, so-1 is gone from every host.
t.ok(T.poll(lambda: wcs(other, "find", {"callId": "so-1"})[0] == 404,
            RETAIN / 1000.0 + 2),
     "so-1 is gone from find once wcs.retain ran out")
wcs(other, "find_all")
t.is_(redis_cmd("ZSCORE", "pbxapi:wcs:default:calls", "so-1"), b"$-1\r\n",
      "and from the index, pruned by find_all's script")

# Redis gone: no startup (no duplicate risk), find and journal say why.
REDIS.kill()
st, _, doc = wcs(other, "startup", {"callId": "so-r", "callee": "600"})
t.ok(st in (502, 503) and "redis" in json.dumps(doc),
     "startup with Redis down: %s, the reason named (%s)" %
     (st, json.dumps(doc)[:120]))
t.ok(REDIS.sock not in json.dumps(doc) and "sock" not in json.dumps(doc),
     "and not Redis's address: that is for the log")
t.ok(T.poll(lambda: REDIS.sock in pother.log(), 5),
     "the companion's log names it")
st, _, doc = wcs(other, "find", {"callId": "so-f"})
t.ok(st in (502, 503) and "redis" in json.dumps(doc),
     "find with Redis down: %s and why, not a stale local answer" % st)
jo = journal(pother)
t.like(jo.get("error", ""), "the shared journal: redis",
       "journal with Redis down: the companion's error")
t.done()
