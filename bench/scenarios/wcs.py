"""WCS find_all with 100 live calls (issue 11): 100 calls placed with
POST /rest-api/call/startup through the ARI double's call world,
answered and up, then POST /rest-api/call/find_all and /call/find of
one callId (both answered from the companion's WCS registry) under wrk,
against the libfcgi hello-world responder behind the same nginx, and
the companion's local round trip for the same verbs (bench/companion.c
asking the pool's companion, as a worker does)."""
import json
import os
import re
import statistics
import subprocess

import lib
import evclient as E  # noqa: E402 (tests/lib, on the path by lib)
from lib import T

WORKERS = 2
CALLS = 100
ONE = "bench-wcs-050"


def double(d):
    """The ARI double with a call world where 600 answers at once and
    stays up; (port, control)."""
    portf, world = os.path.join(d, "ari.port"), os.path.join(d, "ari.world")
    T.spawn([os.path.join(T.BUILD, "doubles", "ari_double"), "--port-file",
             portf, "--world", world, "--lifetime", "1800", "--fixtures",
             os.path.join(T.SHARED, "fixtures", "ari")],
            log=os.path.join(d, "ari.out"))
    T.wait_for(lambda: T.read(portf).strip() and os.path.exists(world),
               what="ari_double")
    ctl = E.Control(world)
    ctl.rule(dest="600", ring_ms=0, answer_ms=0, outcome="answer")
    return int(T.read(portf)), ctl


def post_script(d, name, body):
    """A wrk script POSTing body as JSON."""
    path = os.path.join(d, name + ".lua")
    T.write(path, 'wrk.method = "POST"\nwrk.body = %s\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            % json.dumps(body))
    return path


def local(pool, verb, n=5000):
    """bench/companion asking the pool's companion verb n times:
    {'p50_us', 'p99_us', 'mean_us', 'bytes', 'line'}."""
    out = subprocess.run(
        [os.path.join(T.BUILD, "bench", "companion"), "0", str(n)],
        env=dict(os.environ, COMPANION_SOCKET=os.path.join(
            pool.dir, "pbxapi-companion.sock"), VERB=verb),
        capture_output=True, text=True, check=True).stdout.strip()
    m = re.search(r"reply (\d+) bytes.*mean ([\d.]+) us, p50 ([\d.]+) us, "
                  r"p99 ([\d.]+) us", out)
    return {"bytes": int(m.group(1)), "mean_us": float(m.group(2)),
            "p50_us": float(m.group(3)), "p99_us": float(m.group(4)),
            "line": out}


def established(web):
    st, _, body = web.request("POST", "/rest-api/call/find_all",
                              {"Content-Type": "application/json"}, b"{}")
    if st != 200:
        return 0
    return sum(1 for c in json.loads(body) if c["status"] == "ESTABLISHED")


def run():
    d = T.tmpdir("pbxapi-bench-wcs-")
    port, ctl = double(d)
    pool = T.Pool(settings={"pm": "static",
                            "pm.max_children": str(WORKERS),
                            "log_level": "info", "access_log": "off"},
                  env={"events": "ari", "ARI_ENABLED": "true",
                       "ARI_PORT": str(port), "ARI_EVENTS_APP": "wcsgw",
                       "API_SECRET_KEY": "bench-wcs-key-0123456789abcdef"})
    http, server = lib.hello(WORKERS)
    web = T.Nginx(pool, server_extra=server, http_extra=http)
    base = "http://127.0.0.1:%d" % web.port
    T.wait_for(lambda: '"connected"' in lib.companion_ask(
        pool, "status")[1].decode(), 15, what="the companion's ARI source")
    for i in range(CALLS):
        st, _, body = web.request(
            "POST", "/rest-api/call/startup",
            {"Content-Type": "application/json"},
            json.dumps({"callId": "bench-wcs-%03d" % i, "callee": "600",
                        "sipLogin": "10009", "visibleName": "WCS_10009",
                        "hasAudio": "true", "hasVideo": "false"}).encode())
        if st != 200:
            raise RuntimeError("startup %d: %d %r" % (i, st, body))
    T.wait_for(lambda: established(web) == CALLS, 30,
               what="%d calls ESTABLISHED" % CALLS)
    live = sum(1 for c in ctl.state()["calls"] if c["state"] == "Up")
    reqs = [("find_all", post_script(d, "find_all", "{}")),
            ("find callId", post_script(d, "find", json.dumps(
                {"callId": ONE})))]
    url = base + "/rest-api/call/find_all"
    sizes = {}
    for name, script in reqs:
        body = "{}" if name == "find_all" else json.dumps({"callId": ONE})
        st, hd, b = web.request("POST", "/rest-api/call/" + (
            "find_all" if name == "find_all" else "find"),
            {"Content-Type": "application/json"}, body.encode())
        sizes[name] = (st, len(b), hd.get("x-state-age"))
    runs = {}
    for rnd in range(lib.ROUNDS):
        for conns in (lib.CONNECTIONS, 1):
            for name, script in reqs:
                u = url if name == "find_all" else base + \
                    "/rest-api/call/find"
                runs.setdefault((name, conns), []).append(
                    lib.wrk(u, connections=conns, script=script))
            runs.setdefault(("hello", conns), []).append(max(
                (lib.wrk(base + loc, connections=conns)
                 for loc in ("/hello", "/hello-keep")),
                key=lambda r: r["rps"]))
    loc = {"find_all": local(pool, "wcs.find default -"),
           "find callId": local(pool, "wcs.find default callId=" + ONE)}
    # A worker that gets no answer from the companion within
    # companion.timeout answers 503 (WCS has no backend to fall back to).
    log = pool.log()
    unavailable = (log.count("event companion unavailable"),
                   len(re.findall(r"wcs: companion .*timed out", log)))
    text = report(runs, sizes, loc, live, unavailable)
    ctl.close()
    pool.stop()
    lib.report_section("wcs", text)
    return text


def report(runs, sizes, loc, live, unavailable):
    # One find_all alone takes 1 / (its 1-connection rate) seconds.
    alone_us = 1e6 / max(statistics.median(
        r["rps"] for r in runs[("find_all", 1)]), 1e-9)
    share = 100.0 * loc["find_all"]["p50_us"] / alone_us
    rows = []
    for conns in (lib.CONNECTIONS, 1):
        ceil = runs[("hello", conns)]
        for name in ("find_all", "find callId", "hello"):
            rs = runs[(name, conns)]
            if name == "hello":
                rows.append("| hello-world responder (ceiling; its "
                            "body is a 401), %d conn. | %s | | %s | | "
                            "%d / |" % (
                                conns, lib.spread([r["rps"] for r in rs]),
                                lib.spread([r["p99_ms"] for r in rs],
                                           "%.2f"),
                                sum(r["errors"] for r in rs)))
                continue
            rows.append("| `%s` (%d, %d bytes), %d conn. | %s | %s | %s | "
                        "%s | %d / %d |" % (
                            name, sizes[name][0], sizes[name][1], conns,
                            lib.spread([r["rps"] for r in rs]),
                            lib.spread([100.0 * r["rps"] / max(c["rps"],
                                                               1e-9)
                                        for r, c in zip(rs, ceil)],
                                       "%.0f%%"),
                            lib.spread([r["p99_ms"] for r in rs], "%.2f"),
                            lib.spread([r["p99_ms"] / max(c["p99_ms"], 1e-9)
                                        for r, c in zip(rs, ceil)],
                                       "%.1fx"),
                            sum(r["errors"] for r in rs),
                            sum(r["non2xx"] for r in rs)))
    return lib.reflow("""## WCS find_all with 100 live calls

%d calls placed with `POST /rest-api/call/startup` (ARI, `events =
ari`) to the ARI double's call world, where the callee answers at once
and stays up (%d channels Up in the double's world at the start of the
measurement); all %d `ESTABLISHED` in the companion's WCS registry.
`POST /rest-api/call/find_all` (body `{}`) and `POST
/rest-api/call/find` of one callId, both answered from the registry
(one `wcs.find` round trip to the companion each), against the libfcgi
hello-world responder behind the same nginx (the better of a new and a
kept FastCGI connection, run right after each pbxapi run).  %d pbxapi
workers, wrk with %d connections, then with 1, %d s a run, %d rounds:
each cell is the median of the rounds (min-max); "of ceiling" and
"p99 vs ceiling" compare each run with the responder's run of the same
round.

| request | per second | of ceiling | p99 ms | p99 vs ceiling | errors / non-2xx |
|---|---|---|---|---|---|
%s

The companion's side alone, the same verbs asked of the pool's
companion over its local socket one after the other by
bench/companion.c (`COMPANION_SOCKET=... VERB=...`, a worker's
client code without the worker): `wcs.find default -` (find_all) %d
bytes, p50 %.0f us, p99 %.0f us; `wcs.find default callId=%s` %d bytes,
p50 %.0f us, p99 %.0f us.  So of a find_all's time alone (the
1-connection row: 1000 / its rate in ms), the companion's round trip is
about %.0f%%; the rest is the worker
writing the reply and nginx and FastCGI moving its %d bytes.

Non-2xx answers of pbxapi: %d in all.  The pool logged %d 503s "event
companion unavailable" (the calls' startup and the wait for them
included), %d of them with the reason "timed out": the worker had no
answer from the companion within `companion.timeout` (50 ms as shipped),
and the WCS registry has no backend to fall back to.  Under load the
companion shares the two CPUs with nginx, wrk, the workers and the other
work on the machine; alone, its find_all answer's p99 is a few ms
(above).

Machine: %s at the end of the run; other engineers' builds and test
suites were running at the same time, so absolute figures are low and
noisy, and the spread of the rounds is the measure of that noise.
""" % (CALLS, live, CALLS, WORKERS, lib.CONNECTIONS, lib.DURATION,
       lib.ROUNDS, "\n".join(rows),
       loc["find_all"]["bytes"], loc["find_all"]["p50_us"],
       loc["find_all"]["p99_us"], ONE, loc["find callId"]["bytes"],
       loc["find callId"]["p50_us"], loc["find callId"]["p99_us"],
       share, sizes["find_all"][1],
       sum(r["non2xx"] for (n, _), rs in runs.items() if n != "hello"
           for r in rs), unavailable[0], unavailable[1], lib.machine()))
