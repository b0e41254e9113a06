#!/usr/bin/env python3
# The FreeSWITCH event source (fcgi/companion/src_esl.c) against the ESL
# double's call world, run by tests/tools/evsource: the subscription and
# the rebuild it sends; the sync (begin, one created per live channel,
# end); a call's life as events (created, ringing, answer, dtmf, hold,
# hangup with its Q.850 cause, destroyed); the backend dropping the
# connection (down, the source returns E_BACKEND) and the rebuild when
# it runs again, as the companion restarts it; an event that comes
# before show channels is answered is delivered before the sync; the stop
# flag is seen within a second; a refused connection and a wrong
# password are clear errors; the settings from FusionPBX's config.conf;
# a tenant that is one domain of a shared FreeSWITCH sees its own.
import json
import os
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T  # noqa: E402
import fusionpbx as F  # noqa: E402
import evclient as E  # noqa: E402

T.timeout(120)
t = T.Tap()
TOOL = os.path.join(T.BUILD, "tools", "evsource")


class WorldEsl(F.Esl):
    """The ESL double with its call world's control socket (--world)."""

    def start(self):
        self.world = os.path.join(self.dir, "world")
        if os.path.exists(self.portfile):
            os.unlink(self.portfile)
        argv = [os.path.join(T.BUILD, "doubles", "esl_double"), "-P",
                self.portfile, "-w", self.password, "-l", self.log,
                "-t", "0", "-s", self.scenario_file, "-W", self.world]
        self.proc = T.spawn(argv, log=os.path.join(self.dir, "stderr"))
        T.wait_for(lambda: os.path.exists(self.portfile), 10,
                   what="esl_double port file")
        self.port = int(T.read(self.portfile).strip())
        T.wait_socket(self.world)
        return self

    def commands(self):
        out = []
        for line in T.read(self.log).splitlines():
            try:
                d = json.loads(line)
            except ValueError:
                continue
            if "command" in d:
                out.append(d["command"])
        return out


class Source:
    """evsource running src_esl for a tenant with the given settings: its
    JSON lines (one a sink callback, the last its return), read with a
    deadline."""

    n = 0

    def __init__(self, esl, password="ClueCon", port=None, keys=None):
        if keys is None:
            keys = {"ESL_HOST": "127.0.0.1",
                    "ESL_PORT": str(port if port is not None else esl.port),
                    "ESL_PASSWORD": password,
                    # not the machine's config.conf: the keys are all
                    "FUSIONPBX_CONFIG": "/nonexistent/config.conf"}
        Source.n += 1
        conf = os.path.join(esl.dir, "evsource-%d.conf" % Source.n)
        T.write(conf, "[tenant fpx]\n" + "".join(
            "%s = %s\n" % kv for kv in keys.items()))
        self.p = subprocess.Popen([TOOL, conf, "fpx", "esl"],
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL,
                                  start_new_session=True)
        T._procs.append(self.p)
        self.buf = b""

    def line(self, timeout):
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
        ln, _, self.buf = self.buf.partition(b"\n")
        return json.loads(ln.decode())

    def until(self, pred, timeout=10):
        """The lines read through the first one pred holds for, or None."""
        deadline = time.monotonic() + timeout
        got = []
        while True:
            d = self.line(max(0.0, deadline - time.monotonic()))
            if d is None:
                return None
            got.append(d)
            if pred(d):
                return got

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)


def cb(name):
    return lambda d: d.get("cb") == name


def is_ev(type_, cid=None):
    return lambda d: d.get("cb") == "event" and d["type"] == type_ and (
        cid is None or d.get("chan", {}).get("id") == cid)


def of(lines, cid):
    return [d for d in (lines or []) if d.get("cb") == "event" and
            d.get("chan", {}).get("id") == cid]


def sync_of(lines):
    """The channel ids created between the sync's begin and end."""
    ids, inside = [], False
    for d in lines or []:
        if d.get("cb") == "begin_sync":
            ids, inside = [], True
        elif d.get("cb") == "end_sync":
            return ids if inside else None
        elif inside and d.get("cb") == "event" and d["type"] == "created":
            ids.append(d["chan"]["id"])
    return None


if not os.access(TOOL, os.X_OK):
    t.skip("the FreeSWITCH source", "tests/tools/evsource is not built")
    t.done()

esl = WorldEsl()
w = E.Control(esl.world)
w.rule(dest="600", ring_ms=20, answer_ms=20, hangup_ms=0, outcome="answer")
w.rule(dest="601", ring_ms=100, answer_ms=150, hangup_ms=0,
       outcome="answer")
pre = w.ok("call 600 id=pre-1 cid=1002")
T.wait_for(lambda: [c for c in w.state()["calls"]
                    if c["id"] == "pre-1" and c["state"] == "Up"], 10,
           what="the first call answered")

# ---- the subscription and the rebuild ----
src = Source(esl)
lines = src.until(cb("end_sync"))
t.is_(sync_of(lines), ["pre-1"], "the sync holds the live channel only")
first = [d for d in (lines or []) if d.get("type") == "created"]
t.ok(first and first[0]["chan"]["state"] == "Up" and
     first[0]["chan"]["exten"] == "600" and
     first[0]["chan"]["caller_num"] == "1002" and
     first[0]["backend"] == "esl",
     "the synced channel: Up, its exten, caller, backend esl")
cmds = esl.commands()
sub = [c for c in cmds if c.startswith("event json ")]
t.ok(sub and "CHANNEL_CREATE" in sub[0] and "CHANNEL_HANGUP" in sub[0] and
     "CHANNEL_DESTROY" in sub[0] and "CUSTOM sofia::register" in sub[0],
     "subscribed with event json and the channel events")
t.ok("api show channels as json" in cmds and sub and
     cmds.index(sub[0]) < cmds.index("api show channels as json"),
     "show channels asked after the subscription")

# ---- a call's life ----
w.ok("call 601 id=new-1 cid=1003")
got = of(src.until(is_ev("answer", "new-1")), "new-1")
t.is_([d["type"] for d in got], ["created", "state", "answer"],
      "created, ringing, answered in order")
t.is_([d["chan"]["state"] for d in got], ["Down", "Ringing", "Up"],
      "Down, Ringing, Up")
t.ok(got and all(d.get("ts_ms", 0) > 1500000000000 for d in got),
     "events carry FreeSWITCH's timestamp in ms")

w.ok("dtmf new-1 7")
got = src.until(is_ev("dtmf", "new-1"))
t.ok(got and got[-1]["digit"] == "7" and got[-1]["duration_ms"] == 250,
     "dtmf: the digit, 2000 samples as 250 ms")
w.ok("hold new-1")
t.ok(src.until(is_ev("hold", "new-1")) is not None, "hold")
w.ok("unhold new-1")
t.ok(src.until(is_ev("unhold", "new-1")) is not None, "unhold")

w.ok("bridge new-1 pre-1")
got = src.until(is_ev("bridge_enter", "pre-1"))
t.is_([(d["chan"]["id"], d["chan"].get("bridge")) for d in (got or [])
       if d.get("type") == "bridge_enter"],
      [("new-1", "new-1"), ("pre-1", "new-1")],
      "a bridge: both legs enter the bridge named after the A leg")
w.ok("bridge new-1")
got = src.until(is_ev("bridge_leave", "pre-1"))
t.is_([(d["chan"]["id"], d["chan"].get("bridge")) for d in (got or [])
       if d.get("type") == "bridge_leave"],
      [("new-1", ""), ("pre-1", "")], "and both leave it")

w.ok("hangup new-1 USER_BUSY")
got = src.until(is_ev("destroyed", "new-1"))
hang = [d for d in (got or []) if d.get("type") == "hangup"]
t.ok(hang and hang[0]["cause"] == 17 and hang[0]["cause_txt"] == "USER_BUSY",
     "hangup: cause 17, USER_BUSY")
t.ok(got and got[-1].get("cause") == 17, "destroyed: cause 17")
t.ok(got and not [d for d in got if d.get("type") == "update"],
     "CHANNEL_HANGUP_COMPLETE adds nothing")

# ---- the backend drops the connection: down, return, rebuild ----
w.ok("drop")
got = src.until(cb("return"))
t.ok(got and [d for d in got if d.get("cb") == "down"],
     "the sink is told: down")
t.ok(got and got[-1]["rc"] == "E_BACKEND" and "closed" in got[-1]["err"],
     "the source returns E_BACKEND with the reason")
t.is_(src.p.wait(5), 1, "evsource exits 1 then")
src = Source(esl)
t.is_(sync_of(src.until(cb("end_sync"))), ["pre-1"],
      "run again, it rebuilds: new-1 is gone")

# ---- an event before show channels' answer comes before the sync ----
# (FreeSWITCH runs an api on the thread that writes the events, so what
# comes before the answer happened before the list: the sync stands over
# it.  The double's delay lets events through meanwhile, as a stand-in.)
esl.scenario("delay 600\n")
w.ok("drop")
src.until(cb("return"))
src = Source(esl)
T.wait_for(lambda: esl.commands().count("api show channels as json") >= 3,
           10, what="the third show channels")
w.ok("call 600 id=held-1 cid=1004")
lines = src.until(cb("end_sync"))
begins = [i for i, d in enumerate(lines or []) if d.get("cb") == "begin_sync"]
made = [i for i, d in enumerate(lines or []) if
        is_ev("created", "held-1")(d) and "ts_ms" in d]
t.ok(begins and made and made[0] < begins[0],
     "the CREATE that came before the answer is delivered before the sync")
esl.scenario("")

# ---- stop ----
start = time.monotonic()
src.stop()
got = src.until(cb("return"), 5)
took = time.monotonic() - start
t.ok(got and got[-1]["rc"] == "E_OK", "stopped: E_OK")
t.ok(took < 1.0, "the stop flag is seen within a second (%.2fs)" % took)
t.is_(src.p.wait(5), 0, "evsource exits 0")

# ---- errors ----
bad = Source(esl, port=T.closed_port())
got = bad.until(cb("return"))
t.ok(got and got[-1]["rc"] == "E_BACKEND" and
     "cannot connect" in got[-1]["err"],
     "a refused connection: E_BACKEND, cannot connect")
t.ok(got and len(got) == 1, "no sync, no down without a connection")
bad = Source(esl, password="wrong")
got = bad.until(cb("return"))
t.ok(got and got[-1]["rc"] == "E_BACKEND" and
     "password" in got[-1]["err"], "a wrong password: E_BACKEND, says so")

esl.scenario("reply show -ERR show is not allowed\n")
got = Source(esl).until(cb("return"))
t.ok(got and got[-1]["rc"] == "E_PROTO" and got[-1]["err"] ==
     "show channels: not a channel list: '-ERR show is not allowed'",
     "show channels refused: E_PROTO with FreeSWITCH's first line")
t.ok(got and not [d for d in got if d.get("cb") in ("begin_sync", "down")],
     "no sync, and no down before one")
esl.scenario("")

# ---- keepalive: a silent FreeSWITCH is asked, one that does not answer
# is gone ----
base = {"ESL_HOST": "127.0.0.1", "ESL_PORT": str(esl.port),
        "ESL_PASSWORD": "ClueCon",
        "FUSIONPBX_CONFIG": "/nonexistent/config.conf"}
ka = Source(esl, keys=dict(base, ESL_KEEPALIVE="1"))
ka.until(cb("end_sync"))
asked = esl.commands().count("api status")
T.wait_for(lambda: esl.commands().count("api status") >= asked + 2, 10,
           what="two keepalives")
seen = []
while True:
    d = ka.line(0.05)
    if d is None:
        break
    seen.append(d)
t.ok(ka.p.poll() is None and
     not [d for d in seen if d.get("cb") in ("down", "return")],
     "a quiet FreeSWITCH that answers api status: the source stays")
esl.scenario("fault cmd=status stall\n")
start = time.monotonic()
got = ka.until(cb("return"), 10)
took = time.monotonic() - start
t.ok(got and got[-1]["rc"] == "E_TIMEOUT" and "keepalive" in got[-1]["err"],
     "one that does not answer: E_TIMEOUT, says so")
t.ok(took < 4.0, "within ESL_KEEPALIVE twice and a step (%.1fs)" % took)
esl.scenario("")
got = Source(esl, keys=dict(base, ESL_KEEPALIVE="0")).until(cb("return"))
t.ok(got and got[-1]["rc"] == "E_BADREQ" and
     "ESL_KEEPALIVE" in got[-1]["err"], "ESL_KEEPALIVE 0: E_BADREQ, says so")

# ---- the settings from FusionPBX's config.conf, the keys first ----
conf = os.path.join(esl.dir, "config.conf")
T.write(conf, "#switch\nswitch.event_socket.host = 127.0.0.1\n"
        "switch.event_socket.port = %d\n"
        "switch.event_socket.password = ClueCon\n" % esl.port)
fromconf = Source(esl, keys={"FUSIONPBX_CONFIG": conf})
t.ok(fromconf.until(cb("end_sync")) is not None,
     "host, port and password from config.conf")
fromconf.stop()
fromconf.p.wait(5)
keyfirst = Source(esl, keys={"FUSIONPBX_CONFIG": conf,
                             "ESL_PORT": str(T.closed_port())})
got = keyfirst.until(cb("return"))
t.ok(got and "cannot connect" in got[-1]["err"],
     "the tenant's ESL_PORT wins over config.conf")

# ---- a tenant that is one domain (FUSIONPBX_DOMAIN) ----
def row(uuid, ctx, presence):
    return json.dumps({"uuid": uuid, "direction": "inbound",
                       "created_epoch": "1700000000",
                       "name": "sofia/internal/" + presence,
                       "state": "CS_EXECUTE", "cid_num": "1002",
                       "dest": "9176", "context": ctx,
                       "presence_id": presence, "callstate": "ACTIVE"})


def inject(name, uuid, **h):
    body = dict({"Event-Name": name, "Unique-ID": uuid,
                 "Event-Date-Timestamp": "1700000000000000",
                 "Channel-Call-State": "DOWN", "Call-Direction": "inbound"},
                **h)
    js = json.dumps(body)
    w.inject("Content-Length: %d\nContent-Type: text/event-json\n\n%s" %
             (len(js.encode()), js))


D = "pbx.example.com"
esl.scenario("channel %s\nchannel %s\n" % (
    row("row-d", D, "1002@" + D),
    row("row-o", "other.example.org", "1@other.example.org")))
keys = {"ESL_HOST": "127.0.0.1", "ESL_PORT": str(esl.port),
        "ESL_PASSWORD": "ClueCon", "FUSIONPBX_DOMAIN": D,
        "FUSIONPBX_CONFIG": "/nonexistent/config.conf"}
dom = Source(esl, keys=keys)
t.is_(sync_of(dom.until(cb("end_sync"))), ["row-d"],
      "the sync holds the domain's channel only (not another domain's, "
      "not the default context's)")
w.ok("call 601 id=dflt-1 cid=1005")
inject("CHANNEL_CREATE", "inj-o", **{"Caller-Context": "other.example.org"})
inject("CHANNEL_CREATE", "inj-p", **{"Caller-Context": "public"})
inject("CHANNEL_ANSWER", "inj-p", **{"Caller-Context": D,
                                     "variable_domain_name": D,
                                     "Channel-Call-State": "ACTIVE"})
got = dom.until(is_ev("answer", "inj-p"))
ids = set(d.get("chan", {}).get("id") for d in (got or [])
          if d.get("cb") == "event")
t.is_([(d["type"], d["chan"]["accountcode"]) for d in of(got, "inj-p")],
      [("created", D), ("answer", D)],
      "a call transferred into the domain is created, then answered")
t.ok(got is not None and "inj-o" not in ids and "dflt-1" not in ids,
     "another domain's and the default context's events are not the "
     "tenant's")
for host in ("other.example.org", D):
    js = json.dumps({"Event-Name": "CUSTOM",
                     "Event-Subclass": "sofia::register",
                     "profile-name": "internal", "from-user": "1002",
                     "from-host": host})
    w.inject("Content-Length: %d\nContent-Type: text/event-json\n\n%s" %
             (len(js), js))
peers = [(d["peer"], d["peer_state"]) for d in
         dom.until(lambda d: d.get("type") == "peer") or []
         if d.get("type") == "peer"]
t.is_(peers, [("sofia/internal/1002@" + D, "online")],
      "sofia::register: the domain's peer online, not another's")
dom.stop()
dom.p.wait(5)
esl.scenario("")
keys["FUSIONPBX_DOMAIN"] = "pbx.example.com/XML"
got = Source(esl, keys=keys).until(cb("return"))
t.ok(got and got[-1]["rc"] == "E_BADREQ" and
     "not a domain name" in got[-1]["err"],
     "a FUSIONPBX_DOMAIN that is no domain name: E_BADREQ, says so")

w.close()
t.done()
