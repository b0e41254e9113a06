"""pbxapi's 401 path against the minimal libfcgi responder."""
import os
import platform

import lib
from lib import T

WORKERS = 2


def run():
    pool = T.Pool(settings={"pm": "static",
                            "pm.max_children": str(WORKERS),
                            "log_level": "warning", "access_log": "off"},
                  env={"API_SECRET_KEY": "bench-key-0123456789"})
    http, server = lib.hello(WORKERS)
    web = T.Nginx(pool, server_extra=server, http_extra=http)
    base = "http://127.0.0.1:%d" % web.port
    lib.wrk(base + "/api/api.php?cmd=sippeers", duration=1)
    ceil = lib.hello_ceiling(base)
    ours = lib.best_of(lambda: lib.wrk(base + "/api/api.php?cmd=sippeers"))
    workers = pool.workers()
    rss = max(lib.rss_kb(p) for p in workers)
    hello_pids = [int(x) for x in os.popen("pgrep -f bench/hello").read()
                  .split()]
    hello_rss = max([lib.rss_kb(p) for p in hello_pids] or [0])
    rows = {
        "rps": (ours["rps"], ceil["rps"]),
        "p99": (ours["p99_ms"], ceil["p99_ms"]),
        "rss": (rss, hello_rss),
    }
    text = """## 401 reject path vs. the libfcgi ceiling

`GET /api/api.php?cmd=sippeers` without a key (pbxapi: route, dialect,
401 in the reference's shape) against a hello-world libfcgi responder
returning the same bytes; both with %d processes behind the same nginx
(unix socket, `fastcgi_keep_conn`), wrk with %d connections, %d s, median
of %d runs.  Machine: %s, %d CPUs.

| metric | pbxapi | ceiling | ratio | target |
|---|---|---|---|---|
| requests/s | %.0f | %.0f | %.1f%% | >= 90%% |
| p99 latency | %.2f ms | %.2f ms | %.2fx | |
| worker RSS | %.1f MB | %.1f MB | %.2fx | < 4 MB |
| errors / non-2xx | %d / %d | %d / %d | | |
""" % (WORKERS, lib.CONNECTIONS, lib.DURATION, lib.ROUNDS,
       platform.machine(), os.cpu_count(),
       ours["rps"], ceil["rps"], 100.0 * ours["rps"] / max(ceil["rps"], 1),
       ours["p99_ms"], ceil["p99_ms"],
       ours["p99_ms"] / max(ceil["p99_ms"], 1e-9),
       rss / 1024.0, hello_rss / 1024.0, rss / max(hello_rss, 1),
       ours["errors"], ours["non2xx"], ceil["errors"], ceil["non2xx"])
    lib.report_section("reject", text)
    return text
