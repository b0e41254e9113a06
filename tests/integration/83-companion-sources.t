#!/usr/bin/env python3
# The event companion with its three sources at once (docs/operations.md,
# "The event companion", "Event sources"): one pool with an AMI tenant,
# an ARI tenant (events = auto with ARI_ENABLED) and a FreeSWITCH tenant
# (events = esl), each against its double's call world: /status shows
# the three sources connected, a call made in each world reaches that
# tenant's channels on the companion's socket and no other's, and elastix
# activecall of the ARI tenant answers from its live state.
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import evclient as E  # noqa: E402
import fusionpbx as F  # noqa: E402
import pbxtest as T  # noqa: E402

T.timeout(150)
t = T.Tap()
D = T.tmpdir("pbxapi-sources-")


def double(name, extra):
    portf = os.path.join(D, name + ".port")
    world = os.path.join(D, name + ".world")
    T.spawn([os.path.join(T.BUILD, "doubles", name + "_double"),
             "--port-file", portf, "--world", world, "--lifetime", "140"] +
            extra, log=os.path.join(D, name + ".out"))
    T.wait_for(lambda: T.read(portf).strip(), what=name + " port")
    T.wait_socket(world)
    return int(T.read(portf).strip()), E.Control(world)


SCEN = os.path.join(D, "scenario.json")
T.write(SCEN, json.dumps({"auth_delay_ms": 0, "rules": []}))
ami_port, ami = double("ami", ["--scenario", SCEN, "--fixtures",
                               os.path.join(T.SHARED, "fixtures", "ami")])
ari_port, ari = double("ari", ["--fixtures",
                               os.path.join(T.SHARED, "fixtures", "ari")])


class WorldEsl(F.Esl):
    """The ESL double with its call world (-W)."""

    def start(self):
        self.world = os.path.join(self.dir, "world")
        argv = [os.path.join(T.BUILD, "doubles", "esl_double"), "-P",
                self.portfile, "-w", self.password, "-l", self.log,
                "-t", "140", "-s", self.scenario_file, "-W", self.world]
        self.proc = T.spawn(argv, log=os.path.join(self.dir, "stderr"))
        T.wait_for(lambda: os.path.exists(self.portfile), 10,
                   what="esl_double port file")
        self.port = int(T.read(self.portfile).strip())
        T.wait_socket(self.world)
        return self


esl_d = WorldEsl()
esl = E.Control(esl_d.world)
for ctl in (ami, ari, esl):
    ctl.rule(dest="200", ring_ms=100, answer_ms=100, outcome="answer")

TOK = {n: (n + "-tok-0123456789abcdef0123456789")[:40]
       for n in ("a", "r", "f")}
extra = ("[tenant a]\ntoken = %s\nevents = ami\nAMI_HOST = 127.0.0.1\n"
         "AMI_PORT = %d\nAMI_USERNAME = admin\nAMI_SECRET = amp111\n"
         "[tenant r]\ntoken = %s\nevents = auto\nARI_ENABLED = true\n"
         "ARI_PORT = %d\n"
         "[tenant f]\ntoken = %s\nevents = esl\nESL_HOST = 127.0.0.1\n"
         "ESL_PORT = %d\nESL_PASSWORD = ClueCon\n"
         "FUSIONPBX_CONFIG = /nonexistent/config.conf\n"
         % (TOK["a"], ami_port, TOK["r"], ari_port, TOK["f"], esl_d.port))
pool = T.Pool(settings={"pm.max_children": "1",
                        "events.backoff_max": "500ms"}, extra=extra)
web = T.Nginx(pool)


def sources():
    _, _, body = web.get("/status?json")
    c = json.loads(body).get("companion") or {}
    return {s["tenant"]: s for s in c.get("tenants", [])}


def local(line):
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


def names(tenant):
    ok, body = local("channels " + tenant)
    return [c["name"] for c in json.loads(body)["channels"]] if ok else []


T.wait_for(lambda: pool.companions(), what="the companion")
up = T.poll(lambda: all(s.get("state") == "connected"
                        for s in sources().values()) and
            len(sources()) == 3, 15)
src = sources()
t.ok(up, "three sources connected (%s)" %
     {k: v.get("state") for k, v in src.items()})
t.is_({k: v.get("backend") for k, v in src.items()},
      {"a": "ami", "r": "ari", "f": "esl"},
      "events = ami, auto with ARI_ENABLED, esl")

calls = {}
for tenant, ctl in (("a", ami), ("r", ari), ("f", esl)):
    cid = ctl.ok("call 200").strip()
    calls[tenant] = [c["name"] for c in ctl.state()["calls"]
                     if c["id"] == cid][0]
for tenant in ("a", "r", "f"):
    t.ok(T.poll(lambda: calls[tenant] in names(tenant), 10),
         "tenant %s: its world's call is in its channels (%s)" %
         (tenant, calls[tenant]))
others = {x: names(x) for x in ("a", "r", "f")}
t.ok(all(calls[x] not in others[y] for x in calls for y in others if x != y),
     "and in no other tenant's")

st, h, body = web.get("/api/api.php?cmd=activecall",
                      {"Authorization": TOK["r"]})
doc = json.loads(body) if st == 200 else []
t.ok(st == 200 and "x-state-age" in h, "ARI tenant: activecall from live "
     "state (%d, %s)" % (st, h.get("x-state-age")))
t.ok(any(isinstance(c, dict) and c.get("Channel") == calls["r"][:80]
         for c in doc), "ARI tenant: its call in the table")
t.is_(pool.stop(), 0, "the pool stops")
t.done()
