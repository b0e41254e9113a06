"""pbxapi's 401 path against the minimal libfcgi responder."""
import os
import platform
import subprocess

import lib
from lib import T

WORKERS = 2
# Targets, as ratios to the hello-world ceiling of the same run.
RPS_MIN = 0.9   # throughput at least 0.9x the ceiling's
P99_MAX = 1.5   # p99 at most 1.5x the ceiling's


def met(ok):
    return "met" if ok else "not met"


def run():
    pool = T.Pool(settings={"pm": "static",
                            "pm.max_children": str(WORKERS),
                            "log_level": "warning", "access_log": "off"},
                  env={"API_SECRET_KEY": "bench-key-0123456789"})
    http, server = lib.hello(WORKERS)
    # pbxapi's locations are the shipped deploy/nginx/pbxapi.conf, as
    # T.Nginx includes it; the text says what that configures.
    web = T.Nginx(pool, server_extra=server, http_extra=http)
    fcgi = lib.fastcgi_settings(web, "= /api/api.php")
    base = "http://127.0.0.1:%d" % web.port
    lib.wrk(base + "/api/api.php?cmd=sippeers", duration=1)
    runs = lib.hello_runs(base)
    ceil = lib.hello_ceiling(base, runs)
    # The latency ceiling is the responder's lower p99 of the two: the
    # throughput ceiling may come from a run where libfcgi's accept loop
    # stalled on kept connections, and its p99 would make the target
    # empty.
    lat = min([r for r in runs if r["p99_ms"] > 0] or runs,
              key=lambda r: r["p99_ms"])
    ours = lib.best_of(lambda: lib.wrk(base + "/api/api.php?cmd=sippeers"))
    workers = pool.workers()
    rss = max(lib.rss_kb(p) for p in workers)
    # This run's responders only: their full path names this build.
    hello_pids = [int(x) for x in subprocess.run(
        ["pgrep", "-f", os.path.join(T.BUILD, "bench", "hello")],
        capture_output=True, text=True).stdout.split()]
    hello_rss = max([lib.rss_kb(p) for p in hello_pids] or [0])
    rps_ratio = ours["rps"] / max(ceil["rps"], 1e-9)
    p99_ratio = ours["p99_ms"] / max(lat["p99_ms"], 1e-9)
    via = {"/hello": "a new FastCGI connection per request",
           "/hello-keep": "`fastcgi_keep_conn on`, upstream `keepalive 8`"}
    text = """## 401 reject path vs. the libfcgi ceiling

`GET /api/api.php?cmd=sippeers` without a key (pbxapi: route, dialect,
401 in the reference's shape) against a hello-world libfcgi responder
returning the same bytes; both with %d processes behind the same nginx
on unix sockets, wrk with %d connections, %d s, median of %d runs.
Machine: %s, %d CPUs.

pbxapi is reached through the shipped `deploy/nginx/pbxapi.conf`, which
tests/lib/pbxtest.py includes under an `upstream pbxapi` of its own; for
`location = /api/api.php` the snippet configures %s.

The responder alone, with a new FastCGI connection per request and with
kept connections:

| responder | requests/s | p99 | errors / non-2xx |
|---|---|---|---|
%s

The throughput ceiling is the higher requests/s of the two (here
`%s`), the latency ceiling the lower p99 of the two (here `%s`): when
nginx keeps more connections than there are processes, libfcgi's own
accept loop stalls some of them, and the p99 of such a run is no
ceiling.

| metric | pbxapi | ceiling | ratio | target | met |
|---|---|---|---|---|---|
| requests/s | %.0f | %.0f | %.2fx | >= %.1fx | %s |
| p99 latency | %.2f ms | %.2f ms | %.2fx | <= %.1fx | %s |
| worker RSS | %.1f MB | %.1f MB | %.2fx | < 4 MB | %s |
| errors / non-2xx | %d / %d | %d / %d | | | |
""" % (WORKERS, lib.CONNECTIONS, lib.DURATION, lib.ROUNDS,
       platform.machine(), os.cpu_count(), fcgi["text"],
       "\n".join("| `%s` (%s) | %.0f | %.2f ms | %d / %d |" % (
           r["via"], via[r["via"]], r["rps"], r["p99_ms"], r["errors"],
           r["non2xx"]) for r in runs),
       ceil["via"], lat["via"],
       ours["rps"], ceil["rps"], rps_ratio, RPS_MIN,
       met(rps_ratio >= RPS_MIN),
       ours["p99_ms"], lat["p99_ms"], p99_ratio, P99_MAX,
       met(p99_ratio <= P99_MAX),
       rss / 1024.0, hello_rss / 1024.0, rss / max(hello_rss, 1),
       met(rss < 4096),
       ours["errors"], ours["non2xx"], ceil["errors"], ceil["non2xx"])
    text = lib.reflow(text)
    lib.report_section("reject", text)
    return text
