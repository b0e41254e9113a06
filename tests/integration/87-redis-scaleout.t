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
# the other host answers as the first did, with one call placed.
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
D = T.tmpdir("pbxapi-scaleout-")
os.chmod(D, 0o755)
RSOCK = os.path.join(D, "redis.sock")
T.spawn(["redis-server", "--port", "0", "--unixsocket", RSOCK,
         "--unixsocketperm", "777", "--save", "", "--appendonly", "no",
         "--dir", D], log=os.path.join(D, "redis.out"))
T.wait_socket(RSOCK)


def redis_cmd(*args):
    """One RESP command; returns the raw reply bytes."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(RSOCK)
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    s.sendall(out)
    data = s.recv(65536)
    s.close()
    return data


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
t.done()
