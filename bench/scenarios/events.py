"""Events to SSE subscribers (issue 11): the time from the backend
writing an event to each of 100 Server-Sent Events subscribers of the
tenant receiving it, through the real nginx with nchan and the shipped
deploy/nginx/pbxapi-events*.conf, the pool with the companion's AMI
source on an ami_double call world, and events.publish to nchan.  The
ceiling of the same run: the same event's JSON POSTed straight to
nchan's publisher location (as fcgi/companion/publish.c does) and
received by the same 100 subscribers.  bench/evsub.c does the sending
and the receiving, on one clock."""
import json
import os
import subprocess

import lib
import evclient as E  # noqa: E402 (tests/lib, on the path by lib)
from lib import T

SUBSCRIBERS = 100
RATES = (50, 200)
SECONDS = int(os.environ.get("BENCH_EVENTS_SECONDS", "20"))
ROUNDS = max(2, lib.ROUNDS)
KEY = "bench-events-key-0123456789abcdef"
TOKEN = "bench-events-token-0123456789abcd"  # scope events

# A caller id change of the live call, in the header order of
# shared/fixtures/ami/Events_Originate_Hangup.txt; the marker is its
# caller id name.
FRAME = ("Event: NewCallerid\r\nPrivilege: call,all\r\nSystemName: pbxtest"
         "\r\nChannel: %(name)s\r\nChannelState: 6\r\nChannelStateDesc: Up"
         "\r\nCallerIDNum: 5551000\r\nCallerIDName: @SEQ@\r\n"
         "ConnectedLineNum: 200\r\nConnectedLineName: <unknown>\r\n"
         "Language: en\r\nAccountCode: \r\nContext: default\r\n"
         "Exten: 200\r\nPriority: 1\r\nUniqueid: %(id)s\r\n"
         "Linkedid: %(id)s\r\nCID-CallingPres: 0 (Presentation Allowed, "
         "Not Screened)\r\n\r\n")


def double(d):
    """An ami_double with a call world and one answered call in it;
    (port, control, the call's {"id", "name"})."""
    portf, world = os.path.join(d, "ami.port"), os.path.join(d, "ami.world")
    scen = os.path.join(d, "ami.json")
    T.write(scen, json.dumps({"auth_delay_ms": 0, "rules": []}))
    T.spawn([os.path.join(T.BUILD, "doubles", "ami_double"), "--port-file",
             portf, "--scenario", scen, "--lifetime", "1800", "--fixtures",
             os.path.join(T.SHARED, "fixtures", "ami"), "--world", world],
            log=os.path.join(d, "ami.out"))
    T.wait_for(lambda: os.path.exists(portf) and os.path.exists(world),
               what="ami_double")
    ctl = E.Control(world)
    ctl.rule(dest="200", ring_ms=0, answer_ms=0, outcome="answer")
    cid = ctl.ok("call 200 cid=5551000").strip()

    def up():
        return next((c for c in ctl.state()["calls"]
                     if c["id"] == cid and c["state"] == "Up"), None)
    T.wait_for(up, what="the call up")
    return int(T.read(portf)), world, up()


def evsub(web, pubsock, mode, target, template, rate, base):
    """One run of bench/evsub: SUBSCRIBERS subscribe, nchan registers
    them, then rate*SECONDS events go to target; its JSON result."""
    tpl = os.path.join(T.tmpdir("pbxapi-bench-evsub-"), "template")
    T.write(tpl, template)
    count = rate * SECONDS
    p = subprocess.Popen(
        [os.path.join(T.BUILD, "bench", "evsub"), "-p", str(web.port),
         "-u", "/events/default", "-H", "Authorization: Bearer " + TOKEN,
         "-n", str(SUBSCRIBERS), "-r", str(rate), "-c", str(count), "-b",
         str(base), "-m", mode, "-t", target, "-f", tpl, "-w", "5"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    if p.stdout.readline().strip() != "ready":
        raise RuntimeError("evsub: the subscribers did not subscribe")
    T.wait_for(lambda: lib.nchan_subscribers(pubsock, "default") ==
               SUBSCRIBERS, 20, what="nchan's %d subscribers" % SUBSCRIBERS)
    p.stdin.write("go\n")
    p.stdin.flush()
    out, _ = p.communicate(timeout=SECONDS * 3 + 60)
    if p.returncode != 0:
        raise RuntimeError("evsub failed (see its stderr)")
    res = json.loads(out)
    res["rate"] = rate
    # Until every subscriber is gone, nchan counts it: the next run
    # waits for exactly its own.
    T.wait_for(lambda: lib.nchan_subscribers(pubsock, "default") == 0, 20,
               what="nchan's subscribers gone")
    return res


def published_json(pool, base):
    """The journal's text of the companion's event with marker base, its
    marker made @SEQ@ again: the ceiling POSTs the same bytes."""
    mark = "bench-%07d" % base
    _, body = lib.companion_ask(pool, "journal default 0")
    for ev in json.loads(body)["events"]:
        if (ev.get("channel") or {}).get("caller_name") == mark:
            return json.dumps(ev, separators=(",", ":")).replace(
                mark, "@SEQ@")
    raise RuntimeError("no event %s in the companion's journal" % mark)


def metric(pool, name):
    """A value of the companion's metrics, or None."""
    for line in lib.companion_ask(pool, "metrics")[1].decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def row(name, r, ceil=None):
    ratio = ""
    if ceil:
        ratio = "%.1fx / %.1fx" % (r["p50_ms"] / max(ceil["p50_ms"], 1e-3),
                                   r["p99_ms"] / max(ceil["p99_ms"], 1e-3))
    return ("| %s | %d/s | %.2f | %.2f | %.2f | %.1f | %d / %d | %s | "
            "%.0f%%, %.1f ms |" % (
                name, r["rate"], r["p50_ms"], r["p95_ms"], r["p99_ms"],
                r["max_ms"], r["received"], r["expected"], ratio,
                100 * r["cpu_seconds"] / max(r["wall_seconds"], 1e-3),
                r["send_lag_max_ms"]))


def run():
    if T.nchan_module() is None:
        return ("events: skipped: nginx's nchan module (libnginx-mod-nchan)"
                " is not installed (%s)" % T.NCHAN_SO)
    d = T.tmpdir("pbxapi-bench-events-")
    pubsock = os.path.join(d, "nchan.sock")
    port, world, call = double(d)
    pool = T.Pool(settings={"pm.max_children": "2", "log_level": "warning",
                            "access_log": "off", "events": "ami",
                            "events.publish": "unix:" + pubsock},
                  env={"API_SECRET_KEY": KEY, "AMI_HOST": "127.0.0.1",
                       "AMI_PORT": str(port), "AMI_USERNAME": "admin",
                       "AMI_SECRET": "amp111"},
                  extra="token = %s events\n" % TOKEN)
    web = lib.events_nginx(pool, pubsock, d)
    T.wait_for(lambda: lib.companion_ask(pool, "status")[0] == "OK" and
               '"connected"' in lib.companion_ask(pool, "status")[1]
               .decode(), 15, what="the companion's AMI source connected")
    ctl_tpl = ("inject " + FRAME % call).replace("\\", "\\\\").replace(
        "\r", "\\r").replace("\n", "\\n")[len("inject "):]
    # One event through the companion, to take the JSON it publishes.
    E.Control(world).inject((FRAME % call).replace("@SEQ@", "bench-0000000"))
    T.wait_for(lambda: b"bench-0000000" in lib.companion_ask(
        pool, "journal default 0")[1], 10, what="the first event")
    pub_tpl = published_json(pool, 0)
    # ... and published: else the first subscribers would get it.
    T.wait_for(lambda: metric(pool, "pbxapi_events_published_total") >= 1
               and metric(pool, "pbxapi_events_publish_queued") == 0, 10,
               what="the first event published")
    runs = []
    base = 1
    for rnd in range(ROUNDS):
        for rate in RATES:
            c = evsub(web, pubsock, "ctl", world, ctl_tpl, rate, base)
            base += rate * SECONDS
            p = evsub(web, pubsock, "pub", pubsock, pub_tpl, rate, base)
            base += rate * SECONDS
            runs.append((rnd, c, p))
    text = report(runs, len(pub_tpl), len(FRAME % call),
                  metric(pool, "pbxapi_events_publish_dropped_total"))
    pool.stop()
    web.stop()
    lib.report_section("events", text)
    return text


def stalls(runs):
    """What the report says of the runs where evsub itself was stopped."""
    every = [r for _, c, p in runs for r in (c, p)]
    late = [r for r in every if r["send_lag_max_ms"] >= 50]
    quiet = [(c, p) for _, c, p in runs if c["send_lag_max_ms"] < 20 and
             p["send_lag_max_ms"] < 20]
    text = ("In %d of the %d runs evsub's timer (a tick every 5 or 20 ms) "
            "woke %s ms late at worst: the client itself was not run for "
            "that long (the machine busy, or the VM descheduled), and the "
            "max column sits near the same figure in those runs, on both "
            "paths: such maxima are a stall of the machine or the "
            "client, not of a path." % (len(late), len(every),
                        lib.spread([r["send_lag_max_ms"] for r in late],
                                   "%.0f") if late else "no"))
    if quiet:
        text += ("  In the %d pair%s of runs (same round, same rate) "
                 "where neither timer fell 20 ms behind, the companion's "
                 "path had a p99 of %s the ceiling's." % (
                     len(quiet), "s" if len(quiet) > 1 else "", ", ".join(
                     "%.1fx at %d/s" % (c["p99_ms"] / max(p["p99_ms"],
                                                          1e-3), c["rate"])
                     for c, p in quiet)))
    return text


def report(runs, jlen, flen, dropped):
    rows = []
    for rnd, c, p in runs:
        rows.append(row("AMI double -> companion -> nchan, round %d"
                        % (rnd + 1), c, p))
        rows.append(row("POST to nchan (ceiling), round %d" % (rnd + 1), p))
    summary = []
    for rate in RATES:
        cs = [c for _, c, _ in runs if c["rate"] == rate]
        ps = [p for _, _, p in runs if p["rate"] == rate]
        summary.append(
            "at %d/s p50 %s ms (ceiling %s), p99 %s ms (ceiling %s)" % (
                rate, lib.spread([x["p50_ms"] for x in cs], "%.2f"),
                lib.spread([x["p50_ms"] for x in ps], "%.2f"),
                lib.spread([x["p99_ms"] for x in cs], "%.2f"),
                lib.spread([x["p99_ms"] for x in ps], "%.2f")))
    missing = sum(c["missing"] + p["missing"] for _, c, p in runs)
    reconnects = sum(p["reconnects"] for _, _, p in runs)
    return lib.reflow("""## Events to SSE subscribers

%d Server-Sent Events subscribers of one tenant (`GET /events/default`,
a token with the events scope) on the real nginx with nchan and the
shipped `deploy/nginx/pbxapi-events*.conf`; the pool (2 workers) with
the companion's AMI source on an `ami_double` call world and
`events.publish` to nchan's unix socket.  bench/evsub.c (one process,
one thread, epoll) holds the subscribers and sends the events at a
steady rate, each with a marker: through the companion, a `NewCallerid`
AMI frame (%d bytes) of a live call whose caller id name is the marker,
written by the double (its control socket's `inject`) to the companion's
AMI connection, parsed, kept in the state and the journal and POSTed to
nchan (the event is %d bytes of JSON); as the ceiling, the same JSON
POSTed by evsub itself to nchan's publisher location on one kept
connection (opened again when nginx closes it after
`keepalive_requests`, %d times in this run, as the companion's publisher
does).  A sample is one event's time from evsub's send to one
subscriber's receipt of it, both on CLOCK_MONOTONIC; %d s at each rate,
%d rounds.  "ratio" is the p50 and p99 over the ceiling's of the same
round.  Received counts every (event, subscriber) pair once.

| path | rate | p50 ms | p95 ms | p99 ms | max ms | received / expected | ratio | evsub: CPU, send lag |
|---|---|---|---|---|---|---|---|---|
%s

Medians of the rounds (min-max): %s.  Events missing at some subscriber:
%d; `pbxapi_events_publish_dropped_total`: %s.

What the companion's path adds is the double's write and the AMI
connection, the companion's parsing, state, journal and publisher queue,
and its own POST; nchan's fan-out to %d subscribers is in both.  evsub's
own cost is in every sample, in both rows alike: the last column is its
CPU time (share of one CPU over the run) and how late, at worst, its
timer made an event after the schedule; it reads each subscriber's
stream once per wake-up, so a sample includes the time to reach that
subscriber's socket among the others that woke with it.

The tails are the machine's.  %s  Machine: %s at the end of the run;
other engineers' builds and test suites were running on it at the same
time.  Compare the two rows of a round, and read the p50.
""" % (SUBSCRIBERS, flen, jlen, reconnects, SECONDS, len(runs) // len(RATES),
       "\n".join(rows), "; ".join(summary), missing,
       "%.0f" % dropped if dropped is not None else "not reported",
       SUBSCRIBERS, stalls(runs), lib.machine()))
