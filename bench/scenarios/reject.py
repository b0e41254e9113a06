"""pbxapi's 401 path against the minimal libfcgi responder."""
import os
import platform
import signal
import time

import lib
from lib import T

WORKERS = 2


def run():
    pool = T.Pool(settings={"pm": "static",
                            "pm.max_children": str(WORKERS),
                            "log_level": "warning", "access_log": "off"},
                  env={"API_SECRET_KEY": "bench-key-0123456789"})
    d = T.tmpdir("pbxapi-bench-")
    hsock = os.path.join(d, "hello.sock")
    argv = ["spawn-fcgi", "-n", "-s", hsock, "-M", "0666", "-F",
            str(WORKERS)]
    if T.IS_ROOT:
        argv += ["-u", T.RUN_USER]
    hello = T.spawn(argv + ["--", os.path.join(T.BUILD, "bench", "hello")])
    T.wait_socket(hsock)
    web = T.Nginx(pool, server_extra="""
        location = /hello {
            include %s/deploy/nginx/fastcgi.conf;
            fastcgi_pass hello;
        }
        location = /hello-keep {
            include %s/deploy/nginx/fastcgi.conf;
            fastcgi_keep_conn on;
            fastcgi_pass hello;
        }""" % (T.ROOT, T.ROOT), http_extra="""
    upstream hello { server unix:%s; keepalive 8; }""" % hsock)
    base = "http://127.0.0.1:%d" % web.port
    lib.wrk(base + "/hello", duration=1)
    lib.wrk(base + "/api/api.php?cmd=sippeers", duration=1)
    # The ceiling is the better of the responder with and without
    # kept-alive connections (libfcgi's own accept loop stalls when nginx
    # keeps more connections than there are processes).
    ceil = max(lib.best_of(lambda: lib.wrk(base + "/hello")),
               lib.best_of(lambda: lib.wrk(base + "/hello-keep")),
               key=lambda r: r["rps"])
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
    hello.send_signal(signal.SIGTERM)
    time.sleep(0.1)
    return text
