"""sippeers through nginx and the pool against the AMI double, compared
with the double's own limit: N connections (one per pbxapi worker)
sending PJSIPShowEndpoints as fast as it answers (bench/amiload.c)."""
import os
import platform
import subprocess

import lib
from lib import T

WORKERS = 4
KEY = "bench-sip-key-0123456789abcdef"


def run():
    d = T.tmpdir("pbxapi-bench-sip-")
    pf = os.path.join(d, "port")
    T.spawn([os.path.join(T.BUILD, "doubles", "ami_double"), "--port-file",
             pf, "--lifetime", "600", "--fixtures",
             os.path.join(T.SHARED, "fixtures", "ami")],
            log=os.path.join(d, "double.log"))
    T.wait_for(lambda: T.read(pf).strip(), what="ami_double")
    port = T.read(pf).strip()
    pool = T.Pool(settings={"pm": "static", "pm.max_children": str(WORKERS),
                            "log_level": "warning", "access_log": "off"},
                  env={"API_SECRET_KEY": KEY, "AMI_PORT": port,
                       "AMI_USERNAME": "admin", "AMI_SECRET": "amp111"})
    http, server = lib.hello(WORKERS)
    web = T.Nginx(pool, server_extra=server, http_extra=http)
    url = "http://127.0.0.1:%d/api/api.php?cmd=sippeers" % web.port
    st, _, body = web.get("/api/api.php?cmd=sippeers",
                          {"Authorization": KEY})
    load = os.path.join(T.BUILD, "bench", "amiload")

    def double_limit():
        out = subprocess.run([load, "127.0.0.1", port, str(WORKERS),
                              str(lib.DURATION), "admin", "amp111"],
                             capture_output=True, text=True).stdout
        f = (out.split() + ["0", "0"])[:2]
        return {"rps": float(f[0]), "p99_ms": float(f[1])}

    lib.wrk(url, {"Authorization": KEY}, duration=1)
    dbl = lib.best_of(double_limit)
    web_ceil = lib.hello_ceiling("http://127.0.0.1:%d" % web.port)
    ceil = min(dbl, web_ceil, key=lambda r: r["rps"])
    ours = lib.best_of(lambda: lib.wrk(url, {"Authorization": KEY}))
    rss = max(lib.rss_kb(p) for p in pool.workers())
    text = """## sippeers against the AMI double

`GET /api/api.php?cmd=sippeers` (status %d, %d-byte answer) with %d
pbxapi workers, each on its own persistent AMI connection to
build/doubles/ami_double (PJSIPShowEndpoints from the Asterisk 22
fixtures), wrk with %d connections, %d s, median of %d runs.  Ceiling of
the same run: the double's own limit, %d connections sending the same
action as fast as it answers (bench/amiload.c), and the most this
architecture serves at all: a libfcgi hello-world responder behind the
same nginx with as many processes.  The ceiling is the lower of the two.
Machine: %s, %d CPUs.

| measure | per second | of ceiling | p99 | target |
|---|---|---|---|---|
| sippeers through nginx and pbxapi | %.0f | %.1f%% | %.2f ms | >= 80%% |
| the double alone | %.0f | %.1f%% | | |
| hello-world responder | %.0f | %.1f%% | %.2f ms | |

Worker RSS after the run: %.1f MB (target: no worker above 8 MB).
""" % (st, len(body), WORKERS, lib.CONNECTIONS, lib.DURATION, lib.ROUNDS,
       WORKERS, platform.machine(), os.cpu_count(), ours["rps"],
       100.0 * ours["rps"] / max(ceil["rps"], 1), ours["p99_ms"],
       dbl["rps"], 100.0 * dbl["rps"] / max(ceil["rps"], 1),
       web_ceil["rps"], 100.0 * web_ceil["rps"] / max(ceil["rps"], 1),
       web_ceil["p99_ms"], rss / 1024.0)
    lib.report_section("sippeers", text)
    return text
