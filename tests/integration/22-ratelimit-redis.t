#!/usr/bin/env python3
# Rate limits shared through Redis (docs/operations.md, "Rate limits"): a
# real redis-server on a unix socket and TWO pools, each behind its own
# nginx, configured with the same `redis`.  Requests split across the two
# hosts trip a token's limit at exactly its burst, the tenant's bucket
# spans its tokens, the concurrent-call cap spans the hosts, and SCRIPT
# FLUSH is survived (EVALSHA falls back to EVAL).  Then Redis is killed:
# requests still answer at once (redis.fail open, no limit); a pool with
# redis.fail closed pointed at a Redis that accepts and never answers
# replies 503 within the timeout.  Rates are 1 per hour: no refill.
import json
import os
import shutil
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(150)
t = T.Tap()
if shutil.which("redis-server") is None:
    t.skip("Redis", "redis-server is not installed (deploy/debian-packages)")
    t.done()
    sys.exit(0)

D = T.tmpdir("pbxapi-rlr-")
os.chmod(D, 0o755)
redis = T.Redis(D)
RSOCK = redis.sock
redis_cmd = redis.cmd


SCEN = os.path.join(D, "scenario.json")
LOG = os.path.join(D, "ami.jsonl")
PORTF = os.path.join(D, "port")
T.write(SCEN, json.dumps({"auth_delay_ms": 0, "rules": []}))
T.spawn([os.path.join(T.BUILD, "doubles", "ami_double"), "--port-file",
         PORTF, "--scenario", SCEN, "--log", LOG, "--lifetime", "140",
         "--fixtures", os.path.join(T.SHARED, "fixtures", "ami")],
        log=os.path.join(D, "double.out"))
T.wait_for(lambda: os.path.exists(PORTF), what="ami_double port file")
ami = {"AMI_HOST": "127.0.0.1", "AMI_PORT": T.read(PORTF).strip(),
       "AMI_USERNAME": "admin", "AMI_SECRET": "amp111",
       "AMI_CONF_PATH": "/nonexistent"}
TENANTS = {
    "s": ["s1", "s2"],
    "f": ["f1"],
    "oc": ["c1"],
}
TOK = {}
extra = ""
for name, toks in TENANTS.items():
    extra += "[tenant %s]\n" % name
    for k in toks:
        TOK[k] = (k + "-tok-0123456789abcdef0123456789")[:40]
        extra += "token = %s\n" % TOK[k]
    extra += "".join("%s = %s\n" % kv for kv in ami.items())
    if name == "oc":
        extra += ("limit.token = off\nlimit.tenant = off\n"
                  "limit.originate = 1/1h burst 5\n"
                  "limit.originate_concurrent = 2\n"
                  "limit.originate_hold = 1h\n")
LIMITS = {"limit.token": "1/1h burst 4", "limit.tenant": "1/1h burst 6",
          "backend_timeout": "2s", "redis": "unix:" + RSOCK}
pools = [T.Pool(settings=LIMITS, extra=extra) for _ in range(2)]
webs = [T.Nginx(p) for p in pools]


def req(host, tok, cmd="sippeers", body=None, web=None):
    w = web or webs[host]
    h = {"Authorization": TOK[tok]}
    t0 = time.time()
    if body is None:
        st, hdr, data = w.get("/api/api.php?cmd=" + cmd, h)
    else:
        st, hdr, data = w.post("/api/api.php?cmd=" + cmd, body, h,
                               "application/x-www-form-urlencoded")
    return st, hdr, data, time.time() - t0


def lim(hdr):
    return hdr.get("ratelimit-limit"), hdr.get("ratelimit-remaining")


# --- one token across two hosts: 4 (its burst), then 429 on both
for i in range(4):
    st, hdr, _, _ = req(i % 2, "s1")
    t.is_((st, lim(hdr)), (200, ("4", str(3 - i))),
          "s1 on host %d: 200, %d of 4 left" % (i % 2 + 1, 3 - i))
for h in (0, 1):
    st, hdr, data, _ = req(h, "s1")
    ra = int(hdr.get("retry-after", "0"))
    t.is_((st, lim(hdr)), (429, ("4", "0")),
          "s1 on host %d: 429 at the burst" % (h + 1))
    t.ok(3500 <= ra <= 3600, "s1 on host %d: Retry-After %d" % (h + 1, ra))
    t.like(data.decode(), "token rate limit", "s1: the token's limit")
# --- the tenant's bucket spans its tokens and the hosts: 6 - 4 = 2 left
st, hdr, _, _ = req(1, "s2")
t.is_((st, lim(hdr)), (200, ("6", "1")), "s2 on host 2: the tenant's 1 left")
st, hdr, _, _ = req(0, "s2")
t.is_((st, lim(hdr)), (200, ("6", "0")), "s2 on host 1: 0 left")
st, hdr, data, _ = req(1, "s2")
t.is_(st, 429, "s2 on host 2: 429 by the tenant")
t.like(data.decode(), "tenant rate limit", "s2: the tenant's limit")
keys = redis_cmd("KEYS", "pbxapi:rl:*")
t.like(keys.decode(), "pbxapi:rl:ten:s", "the tenant's bucket is in Redis")
t.like(keys.decode(), "pbxapi:rl:tok:s/", "the tokens' buckets too")

# --- SCRIPT FLUSH: the next take runs by EVAL and counts on
st, hdr, _, _ = req(0, "f1")
t.is_((st, lim(hdr)), (200, ("4", "3")), "f1 on host 1: 3 left")
t.is_(redis_cmd("SCRIPT", "FLUSH"), b"+OK\r\n", "SCRIPT FLUSH")
st, hdr, _, _ = req(0, "f1")
t.is_((st, lim(hdr)), (200, ("4", "2")), "f1 after the flush: 2 left")
st, hdr, _, _ = req(1, "f1")
t.is_((st, lim(hdr)), (200, ("4", "1")), "f1 on host 2: 1 left")

# --- concurrent calls across the hosts: 2, then 429
CALL = "channel=Local%2F600%40test&extension=600&context=test"
for h in (0, 1):
    st, hdr, data, _ = req(h, "c1", "originatecall", CALL)
    t.is_((st, data), (200, b'{"status":"CALL INITIATED","code":200}'),
          "c1 call on host %d: CALL INITIATED" % (h + 1))
st, hdr, data, _ = req(0, "c1", "originatecall", CALL)
t.is_((st, lim(hdr)), (429, ("2", "0")), "c1 third call: 429, cap 2")
ra = int(hdr.get("retry-after", "0"))
t.ok(3500 <= ra <= 3600, "c1 third call: Retry-After %d" % ra)
t.like(redis_cmd("ZCARD", "pbxapi:rl:calls:oc").decode(), ":2",
       "two calls held in Redis")

# --- Redis killed: fail open, at once, logged
redis.kill()
for h in (0, 1):
    st, hdr, _, dt = req(h, "s1")
    t.is_((st, lim(hdr)), (200, (None, None)),
          "Redis down, host %d: s1 answers 200 unlimited" % (h + 1))
    t.ok(dt < 1.5, "Redis down, host %d: in %.3f s" % (h + 1, dt))
for p in pools:
    T.wait_for(lambda: "rate limit store" in p.log(),
               what="the store failure logged")
t.ok(all("rate limit store" in p.log() for p in pools),
     "both hosts log the store failure")


# --- redis.fail closed against a Redis that never answers: 503 in time
HOLE = os.path.join(D, "hole.sock")
hole = socket.socket(socket.AF_UNIX)
hole.bind(HOLE)
os.chmod(HOLE, 0o777)
hole.listen(16)
held = []


def swallow():
    while True:
        try:
            held.append(hole.accept()[0])
        except OSError:
            return


threading.Thread(target=swallow, daemon=True).start()
closed = T.Pool(settings=dict(LIMITS, redis="unix:" + HOLE,
                              **{"redis.fail": "closed",
                                 "redis.timeout": "100ms"}), extra=extra)
cweb = T.Nginx(closed)
st, hdr, data, dt = req(0, "f1", web=cweb)
t.is_(st, 503, "stalled Redis, redis.fail closed: 503")
t.like(data.decode(), "rate limit store unavailable", "503: says why")
t.ok(dt < 1.5, "stalled Redis: answered in %.3f s (timeout 100 ms)" % dt)
t.ok(len(held) >= 1, "the pool did connect to the stalled Redis")
st, hdr, data, dt = req(0, "f1", web=cweb)
t.is_(st, 503, "stalled Redis again: 503")
t.ok(dt < 1.5, "again in %.3f s" % dt)
t.done()
