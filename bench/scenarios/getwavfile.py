"""getwavfile of a 10 MB recording against nginx serving the same file
statically: pbxapi handing the transfer to nginx (X-Accel-Redirect) and
pbxapi streaming it itself.  The same run can be made by hand against any
installation with bench/getwavfile.sh."""
import os
import platform

import lib
from lib import T

WORKERS = 2
SIZE = 10 * 1024 * 1024
KEY = "bench-wav-key-0123456789abcdef"
STREAM = "bench-wav-stream-0123456789abcdef"


def setup():
    d = T.tmpdir("pbxapi-bench-wav-")
    root = os.path.join(d, "monitor")
    T.write(os.path.join(root, "bench.wav"), os.urandom(SIZE))
    pool = T.Pool(settings={"pm": "static",
                            "pm.max_children": str(WORKERS),
                            "log_level": "warning", "access_log": "off",
                            "recordings_accel": "/_pbxapi_recordings/"},
                  env={"API_SECRET_KEY": KEY, "RECORDINGS_PATH": root},
                  extra="[tenant stream]\ntoken = %s\n"
                        "RECORDINGS_PATH = %s\n" % (STREAM, root))
    # The shipped snippet, its recordings alias pointed at this root.
    text = T.read(os.path.join(T.ROOT, "deploy", "nginx", "pbxapi.conf"))
    text = text.replace("/etc/pbxapi/nginx/", os.path.join(
        T.ROOT, "deploy", "nginx") + "/").replace(
        "/var/spool/asterisk/monitor", root)
    snip = os.path.join(d, "snippet.conf")
    T.write(snip, text)
    web = T.Nginx(pool, snippet=False, locations="""
        set $pbxapi_tenant "";
        include %s;
        location /static/ { alias %s/; }""" % (snip, root))
    return pool, web


def run():
    pool, web = setup()
    base = "http://127.0.0.1:%d" % web.port
    url = base + "/api/api.php?cmd=getwavfile&name=bench.wav"
    static = base + "/static/bench.wav"
    lib.wrk(static, duration=1)
    lib.wrk(url, {"Authorization": KEY}, duration=1)
    ceil = lib.best_of(lambda: lib.wrk(static))
    accel = lib.best_of(lambda: lib.wrk(url, {"Authorization": KEY}))
    stream = lib.best_of(lambda: lib.wrk(url, {"Authorization": STREAM}))
    rss = max(lib.rss_kb(p) for p in pool.workers())
    mb = SIZE / 1e6

    def row(name, r):
        return "| %s | %.0f | %.0f MB/s | %.1f%% | %.1f ms | %d / %d |" % (
            name, r["rps"], r["rps"] * mb, 100.0 * r["rps"] /
            max(ceil["rps"], 1), r["p99_ms"], r["errors"], r["non2xx"])

    text = """## getwavfile (10 MB) vs. nginx static

`GET /api/api.php?cmd=getwavfile&name=bench.wav` (a 10 MB file) against
nginx serving the same file from a static location, behind the same nginx
with %d pbxapi workers; wrk with %d connections, %d s, median of %d runs.
Machine: %s, %d CPUs.  By hand: `bench/getwavfile.sh BASE_URL KEY NAME
STATIC_URL`.

| mode | requests/s | throughput | of static | p99 | errors / non-2xx |
|---|---|---|---|---|---|
%s
%s
%s

Target: X-Accel-Redirect at >= 90%% of static.  Worker RSS after the run:
%.1f MB (target < 8 MB).
""" % (WORKERS, lib.CONNECTIONS, lib.DURATION, lib.ROUNDS,
       platform.machine(), os.cpu_count(),
       row("nginx static (ceiling)", ceil),
       row("pbxapi, X-Accel-Redirect", accel),
       row("pbxapi, streaming itself", stream), rss / 1024.0)
    lib.report_section("getwavfile", text)
    return text
