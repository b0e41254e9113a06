#!/usr/bin/env python3
# ARI GET /ari/channels from the event companion's live state
# (docs/ari.md, "Live state"): an ARI tenant whose events come from the
# ARI double's call world answers the list from memory with X-State-Age,
# the same JSON, key for key, as the double's own GET /ari/channels; a
# hangup takes the call away; ?fresh=1 goes to the double (its request
# log), without the parameter; a stopped companion: the backend answers.
# A tenant whose ARI is translated to AMI answers from its AMI events'
# state, compared with the AMI translation of the same world (but the
# application: ami_double sends no Newexten, so its events never say
# what CoreShowChannels does; and creationtime, whole seconds there).
import base64
import json
import os
import signal
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import evclient as E  # noqa: E402
import pbxtest as T  # noqa: E402

T.timeout(150)
t = T.Tap()
D = T.tmpdir("pbxapi-arilive-")


def double(name, extra):
    portf = os.path.join(D, name + ".port")
    world = os.path.join(D, name + ".world")
    T.spawn([os.path.join(T.BUILD, "doubles", name + "_double"),
             "--port-file", portf, "--world", world, "--lifetime", "140",
             "--log", os.path.join(D, name + ".log")] + extra,
            log=os.path.join(D, name + ".out"))
    T.wait_for(lambda: T.read(portf).strip(), what=name + " port")
    T.wait_socket(world)
    return int(T.read(portf).strip()), E.Control(world)


SCEN = os.path.join(D, "scenario.json")
T.write(SCEN, json.dumps({"auth_delay_ms": 0, "rules": []}))
ami_port, ami = double("ami", ["--scenario", SCEN, "--fixtures",
                               os.path.join(T.SHARED, "fixtures", "ami")])
ari_port, ari = double("ari", ["--fixtures",
                               os.path.join(T.SHARED, "fixtures", "ari")])
for ctl in (ami, ari):
    ctl.rule(dest="200", ring_ms=100, answer_ms=100, outcome="answer")
ARILOG = os.path.join(D, "ari.log")
DIRECT = {"X-Test": "direct"}  # the test's own requests to the double


def basic(user, pw):
    return {"Authorization": "Basic " +
            base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()}


R = basic("r", "r-secret")
A = basic("a", "a-secret")
extra = ("[tenant r]\ntoken = r:r-secret ari-read\nevents = auto\n"
         "ARI_ENABLED = true\nARI_PORT = %d\n"
         "[tenant a]\ntoken = a:a-secret ari-read\nevents = ami\n"
         "ARI_BACKEND = ami\nAMI_HOST = 127.0.0.1\nAMI_PORT = %d\n"
         "AMI_USERNAME = admin\nAMI_SECRET = amp111\n"
         % (ari_port, ami_port))
pool = T.Pool(settings={"pm.max_children": "1",
                        "events.backoff_max": "500ms",
                        "companion.timeout": "100ms"}, extra=extra)
web = T.Nginx(pool)


def sources():
    _, _, body = web.get("/status?json")
    c = json.loads(body).get("companion") or {}
    return {s["tenant"]: s for s in c.get("tenants", [])}


def listing(who=R, query=""):
    st, h, body = web.get("/ari/channels" + query, who)
    return st, h, json.loads(body) if st == 200 else body


def direct():
    """The double's own GET /ari/channels, as Asterisk answers it."""
    q = urllib.request.Request(
        "http://127.0.0.1:%d/ari/channels" % ari_port,
        headers=dict(basic("ari_user", "ari_password"), **DIRECT))
    with urllib.request.urlopen(q, timeout=5) as f:
        return json.loads(f.read())


def backend_lists():
    """The GET /ari/channels requests pbxapi sent the ARI double."""
    reqs = [json.loads(x) for x in T.read(ARILOG).splitlines()
            if x.startswith("{\"conn\"")]
    return [x["path"] for x in reqs
            if x.get("method") == "GET" and
            list(DIRECT.items())[0] not in
            [tuple(h) for h in x.get("headers", [])] and
            x.get("path", "").startswith("/ari/channels") and
            not x["path"].startswith("/ari/channels/")]


T.wait_for(lambda: pool.companions(), what="the companion")
up = T.poll(lambda: len(sources()) == 2 and
            all(s.get("synced") for s in sources().values()), 15)
t.ok(up, "both sources synced (%s)" %
     {k: v.get("state") for k, v in sources().items()})

# -- an ARI tenant's call, from live state ------------------------------
cid = ari.ok("call 200 app=pbxapi").strip()


def up_call():
    return [c for c in ari.state()["calls"]
            if c["id"] == cid and c["state"] == "Up"]


t.ok(E.wait_until(up_call, 10), "the world answered the call")
n_before = len(backend_lists())
same = E.wait_until(lambda: (lambda r: r if r[0] == 200 and
                             r[2] == direct() else None)(listing()), 10)
st, h, live = same or listing()
t.ok(same is not None, "the live list equals the double's own, key for key "
     "and value for value")
t.ok("x-state-age" in h, "with X-State-Age (%s)" % h.get("x-state-age"))
t.is_(h.get("x-state-age"), "0.000", "0.000 while synced")
t.is_(h.get("cache-control"), "no-cache, no-store", "Cache-Control as ARI's")
mine = [c for c in live if c.get("id") == cid] if isinstance(live, list) \
    else []
t.ok(mine and mine[0]["state"] == "Up", "the call is in it, Up")
t.is_([list(c.keys()) for c in mine],
      [["id", "name", "state", "protocol_id", "caller", "connected",
        "accountcode", "dialplan", "creationtime", "language"]],
      "a Channel's keys in Asterisk's order")
t.ok(mine and json.dumps(mine[0], separators=(",", ":")).encode()
     in web.get("/ari/channels", R)[2],
     "written as Asterisk writes it (no blanks, the same order)")
t.is_(len(backend_lists()), n_before, "the backend was not asked")

# -- ?fresh=1: the backend, without the parameter -----------------------
st, h, fresh = listing(query="?fresh=1")
t.is_(st, 200, "?fresh=1 answers")
t.ok("x-state-age" not in h, "?fresh=1: no X-State-Age")
asked = backend_lists()[n_before:]
t.is_(asked, ["/ari/channels"],
      "?fresh=1 reached the double as GET /ari/channels, no fresh")
t.is_(fresh, live, "and the backend's list is the live one")
t.is_(listing(query="?fresh=no")[1].get("x-state-age"), "0.000",
      "?fresh=no: live (ARI's false words)")
st, _, body = listing(query="?fresh=maybe")
t.is_(st, 400, "?fresh=maybe: 400 (%r)" % body)

# -- hangup --------------------------------------------------------------
ari.ok("hangup %s" % cid)
gone = E.wait_until(lambda: (lambda r: r if r[0] == 200 and cid not in
                             [c["id"] for c in r[2]] else None)(listing()),
                    10)
t.ok(gone is not None and "x-state-age" in gone[1],
     "after the hangup the call leaves the live list")
t.is_(gone[2] if gone else None, direct(), "which is the double's again")

# -- a stopped companion: the backend answers ----------------------------
cid2 = ari.ok("call 200").strip()
E.wait_until(lambda: cid2 in [c["id"] for c in listing()[2]], 10)
comp = pool.companions()[0]
n_before = len(backend_lists())
os.kill(comp, signal.SIGSTOP)
try:
    st, h, body = listing()
    t.is_(st, 200, "companion stopped: the list still answers")
    t.ok("x-state-age" not in h, "companion stopped: without X-State-Age")
    t.is_(len(backend_lists()), n_before + 1, "from the backend")
    t.ok(cid2 in [c["id"] for c in body], "with the call")
finally:
    os.kill(comp, signal.SIGCONT)
t.ok(E.wait_until(lambda: "x-state-age" in listing()[1], 10),
     "companion resumed: live again")
ari.ok("hangup %s" % cid2)

# -- an ARI-over-AMI tenant, from its AMI events' state ------------------
acid = ami.ok("call 200").strip()
aname = [c["name"] for c in ami.state()["calls"] if c["id"] == acid][0]


def ami_pair():
    st, h, live = listing(A)
    st2, h2, fresh = listing(A, "?fresh=1")
    if st != 200 or st2 != 200 or not any(c["name"] == aname for c in live):
        return None
    return h, live, h2, fresh


E.wait_until(lambda: [c for c in ami.state()["calls"]
                      if c["id"] == acid and c["state"] == "Up"], 10)


def masked(chans):
    """The channels without what the AMI events cannot say."""
    return [dict(c, creationtime=None,
                 dialplan=dict(c["dialplan"], app_name=None, app_data=None))
            for c in chans]


pair = E.wait_until(lambda: (lambda p: p if p and masked(p[1]) ==
                             masked(p[3]) else None)(ami_pair()), 10) \
    or ami_pair()
t.ok(pair and "x-state-age" in pair[0] and "x-state-age" not in pair[2],
     "AMI tenant: from its live state, ?fresh=1 from AMI")
t.is_(masked(pair[1]) if pair else None, masked(pair[3]) if pair else [],
      "AMI tenant: live equals the AMI translation (but the application "
      "and creationtime)")
t.ok(pair and all(c["creationtime"][:16] == f["creationtime"][:16]
                  for c, f in zip(pair[1], pair[3])),
     "and creationtime to the minute (%s / %s)" %
     ([c["creationtime"] for c in pair[1]] if pair else None,
      [c["creationtime"] for c in pair[3]] if pair else None))
ami.ok("hangup %s" % acid)
t.is_(pool.stop(), 0, "the pool stops")
t.done()
