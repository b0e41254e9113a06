#!/usr/bin/env python3
# Rate limits per host (docs/operations.md, "Rate limits") through nginx
# and a pool of two workers: a token limited to a burst of 3 gets exactly
# three 200s (RateLimit-* headers counting down) then a 429 in the elastix
# shape with Retry-After; the tenant's bucket applies across two of its
# tokens; another tenant is unaffected; a tenant without limits gets no
# headers; the originate rate and the concurrent-call cap trip on
# originatecall (the AMI double sees no Originate for a refused one) while
# reads go on.  Rates are 1 per hour, so nothing refills during the test.
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(120)
t = T.Tap()
D = T.tmpdir("pbxapi-rl-")
SCEN = os.path.join(D, "scenario.json")
LOG = os.path.join(D, "ami.jsonl")
PORTF = os.path.join(D, "port")
FX = os.path.join(T.SHARED, "fixtures", "ami")
T.write(SCEN, json.dumps({"auth_delay_ms": 0, "rules": []}))
T.spawn([os.path.join(T.BUILD, "doubles", "ami_double"), "--port-file",
         PORTF, "--scenario", SCEN, "--log", LOG, "--lifetime", "110",
         "--fixtures", FX], log=os.path.join(D, "double.out"))
T.wait_for(lambda: os.path.exists(PORTF), what="ami_double port file")
ami = {"AMI_HOST": "127.0.0.1", "AMI_PORT": T.read(PORTF).strip(),
       "AMI_USERNAME": "admin", "AMI_SECRET": "amp111",
       "AMI_CONF_PATH": "/nonexistent"}

# Tenant: (tokens, its own limit.* lines).
TENANTS = {
    "a": (["a1", "a2"], {}),
    "b": (["b1"], {}),
    "free": (["f1"], {"limit.token": "off", "limit.tenant": "off"}),
    "o": (["o1"], {"limit.token": "off", "limit.tenant": "off",
                   "limit.originate": "1/1h burst 3"}),
    "oc": (["c1"], {"limit.token": "off", "limit.tenant": "off",
                    "limit.originate_concurrent": "2",
                    "limit.originate_hold": "1h"}),
}
TOK = {}
extra = ""
for name, (toks, lim) in TENANTS.items():
    extra += "[tenant %s]\n" % name
    for k in toks:
        TOK[k] = (k + "-tok-0123456789abcdef0123456789")[:40]
        extra += "token = %s\n" % TOK[k]
    extra += "".join("%s = %s\n" % kv for kv in dict(ami, **lim).items())
pool = T.Pool(settings={"limit.token": "1/1h burst 3",
                        "limit.tenant": "1/1h burst 5",
                        "backend_timeout": "2s"}, extra=extra)
web = T.Nginx(pool)
t.is_(len(pool.workers()), 2, "two workers share the buckets")


def req(cmd, tok, body=None):
    h = {"Authorization": TOK.get(tok, tok)}
    path = "/api/api.php?cmd=" + cmd
    if body is None:
        return web.get(path, h)
    return web.post(path, body, h, "application/x-www-form-urlencoded")


def headers(hdr):
    return tuple(hdr.get("ratelimit-" + k) for k in
                 ("limit", "remaining", "reset"))


def originates():
    n = 0
    for line in T.read(LOG).splitlines():
        if line.strip() and "Action: Originate" in \
                json.loads(line).get("raw", ""):
            n += 1
    return n


def is_429(r, name, limit, what):
    st, hdr, data = r
    t.is_(st, 429, name + ": 429")
    t.is_(hdr.get("ratelimit-limit"), str(limit), name + ": RateLimit-Limit")
    t.is_(hdr.get("ratelimit-remaining"), "0", name + ": none remaining")
    ra = int(hdr.get("retry-after", "0"))
    # One interval (3600 s) less the test's elapsed time, rounded up.
    t.ok(3500 <= ra <= 3600, "%s: Retry-After %d within an hour" % (name, ra))
    t.is_(hdr.get("content-type"), "application/json", name + ": JSON")
    try:
        msg = json.loads(data).get("error", "")
    except ValueError:
        msg = data
    t.like(str(msg), what, name + ": the message names the limit")


# --- a token: 3, then 429 (token burst 3 is tighter than the tenant's 5)
for i in range(3):
    st, hdr, _ = req("sippeers", "a1")
    t.is_(st, 200, "a1 read %d: 200" % (i + 1))
    t.is_(headers(hdr)[:2], ("3", str(2 - i)),
          "a1 read %d: RateLimit-Limit 3, Remaining %d" % (i + 1, 2 - i))
    reset = int(hdr.get("ratelimit-reset", "0"))
    t.ok(3600 * (i + 1) - 100 <= reset <= 3600 * (i + 1),
         "a1 read %d: Reset %d (full again in %d h)" % (i + 1, reset, i + 1))
    t.ok("retry-after" not in hdr, "a1 read %d: no Retry-After" % (i + 1))
is_429(req("sippeers", "a1"), "a1 read 4", 3, "token rate limit")

# --- the tenant: a2 has its own token bucket but shares a's 5
st, hdr, _ = req("sippeers", "a2")
t.is_((st, headers(hdr)[:2]), (200, ("5", "1")),
      "a2 read 1: 200, the tenant's bucket is tighter (1 of 5 left)")
st, hdr, _ = req("sippeers", "a2")
t.is_((st, headers(hdr)[:2]), (200, ("5", "0")), "a2 read 2: 200, 0 left")
is_429(req("sippeers", "a2"), "a2 read 3", 5, "tenant rate limit")

# --- another tenant is unaffected, a limit-free one has no headers
st, hdr, _ = req("sippeers", "b1")
t.is_((st, headers(hdr)[:2]), (200, ("3", "2")), "tenant b: untouched")
st, hdr, _ = req("sippeers", "f1")
t.is_((st, headers(hdr)), (200, (None, None, None)),
      "a tenant without limits: 200, no RateLimit headers")
# A request that fails authentication takes nothing and says nothing.
st, hdr, _ = req("sippeers", "no-such-token-0123456789abcdef")
t.is_((st, headers(hdr)), (401, (None, None, None)),
      "unauthenticated: 401 without RateLimit headers")

# --- the originate rate: 3 calls, then 429, reads go on
CALL = "channel=Local%2F600%40test&extension=600&context=test"
before = originates()
for i in range(3):
    st, hdr, data = req("originatecall", "o1", CALL)
    t.is_((st, data), (200, b'{"status":"CALL INITIATED","code":200}'),
          "o1 call %d: CALL INITIATED" % (i + 1))
T.wait_for(lambda: originates() == before + 3, what="3 Originate frames")
is_429(req("originatecall", "o1", CALL), "o1 call 4", 3,
       "originate rate limit")
st, hdr, _ = req("sippeers", "o1")
t.is_((st, headers(hdr)), (200, (None, None, None)),
      "o1: reads go on (the originate bucket is not theirs)")
t.is_(originates(), before + 3, "the refused call never reached AMI")

# --- concurrent calls: 2 held for an hour, the third refused
before = originates()
for i in range(2):
    st, hdr, data = req("originatecall", "c1", CALL)
    t.is_((st, hdr.get("ratelimit-limit"), hdr.get("ratelimit-remaining")),
          (200, "2", str(1 - i)), "c1 call %d: 200, %d left" % (i + 1, 1 - i))
st, hdr, data = req("originatecall", "c1", CALL)
t.is_((st, hdr.get("ratelimit-limit"), hdr.get("ratelimit-remaining")),
      (429, "2", "0"), "c1 call 3: 429, cap 2")
ra = int(hdr.get("retry-after", "0"))
t.ok(3500 <= ra <= 3600, "c1 call 3: Retry-After %d, when the first "
     "call's hold ends" % ra)
t.like(data.decode(), "calls in progress", "c1 call 3: says why")
st, _, _ = req("sippeers", "c1")
t.is_(st, 200, "c1: reads go on")
T.wait_for(lambda: originates() == before + 2, what="2 Originate frames")
t.is_(originates(), before + 2, "the refused call never reached AMI")

access = T.read(pool.access_log)
t.like(access, " 429 ", "the access log records the 429s")
t.is_(len(pool.workers()), 2, "the workers live on")
t.done()
