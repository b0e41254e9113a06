"""The ARI dialect against the ARI double: GET /ari/channels (10
channels) and POST /ari/channels/{id}/dtmf through nginx and the pool,
each compared with the double's own rate for the same request on the
same number of connections (wrk straight at the double)."""
import base64
import os
import platform

import lib
from lib import T

WORKERS = 4
CRED = "bench:bench-secret"


def lua(path, method):
    T.write(path, 'wrk.method = "%s"\n' % method)


def row(name, r, ceil):
    return "| %s | %.0f | %.2f ms | %.2fx | %.2fx | %d / %d |" % (
        name, r["rps"], r["p99_ms"], r["rps"] / max(ceil["rps"], 1e-9),
        r["p99_ms"] / max(ceil["p99_ms"], 1e-9), r["errors"], r["non2xx"])


def met(r, ceil):
    ok = (r["rps"] >= 0.8 * ceil["rps"] and
          r["p99_ms"] <= 1.5 * ceil["p99_ms"])
    return "met" if ok else "not met"


def run():
    d = T.tmpdir("pbxapi-bench-ari-")
    ctl, pf = os.path.join(d, "control"), os.path.join(d, "port")
    T.write(ctl, "channels=10\n")
    T.spawn([os.path.join(T.BUILD, "doubles", "ari_double"), "--port-file",
             pf, "--control", ctl, "--lifetime", "900", "--fixtures",
             os.path.join(T.SHARED, "fixtures", "ari")],
            log=os.path.join(d, "double.log"))
    T.wait_for(lambda: T.read(pf).strip(), what="ari_double")
    port = T.read(pf).strip()
    pool = T.Pool(settings={"pm": "static", "pm.max_children": str(WORKERS),
                            "log_level": "warning", "access_log": "off"},
                  env={"API_SECRET_KEY": "bench-ari-key-0123456789",
                       "ARI_ENABLED": "true", "ARI_PORT": port},
                  extra="token = %s ari-control\n" % CRED)
    http, server = lib.hello(WORKERS)
    web = T.Nginx(pool, server_extra=server, http_extra=http)
    ours_auth = {"Authorization": "Basic " +
                 base64.b64encode(CRED.encode()).decode()}
    dbl_auth = {"Authorization": "Basic " +
                base64.b64encode(b"ari_user:ari_password").decode()}
    base = "http://127.0.0.1:%d" % web.port
    dbl = "http://127.0.0.1:%s" % port
    post = os.path.join(d, "post.lua")
    lua(post, "POST")
    st, _, body = web.get("/ari/channels", ours_auth)
    dtmf = "/ari/channels/double-1/dtmf?dtmf=1"
    st2 = web.request("POST", dtmf, ours_auth)[0]
    lib.wrk(base + "/ari/channels", ours_auth, duration=1)
    res = {}
    for name, path, script in (("list", "/ari/channels", None),
                               ("dtmf", dtmf, post)):
        res[name] = (
            lib.best_of(lambda: lib.wrk(base + path, ours_auth,
                                        script=script)),
            lib.best_of(lambda: lib.wrk(dbl + path, dbl_auth,
                                        script=script)))
    hello = lib.hello_ceiling(base)
    rss = max(lib.rss_kb(p) for p in pool.workers())
    (l_ours, l_dbl), (d_ours, d_dbl) = res["list"], res["dtmf"]
    text = """## ARI dialect: list and sendDTMF against the ARI double

`GET /ari/channels` (status %d, %d bytes: 10 channels) and `POST
/ari/channels/double-1/dtmf?dtmf=1` (status %d) through nginx and %d pbxapi
workers, which validate and forward over their kept-alive libcurl handle
to build/doubles/ari_double; ceiling of the same run: wrk straight at the
double with the same request and connections.  wrk with %d connections,
%d s, median of %d runs.  Machine: %s, %d CPUs.  Targets (issue 9):
>= 0.8x the double's requests/s, p99 <= 1.5x its p99.

| request | requests/s | p99 | of the double's rate | p99 vs the double's | errors / non-2xx |
|---|---|---|---|---|---|
%s
%s
%s
%s
%s

list: %s; sendDTMF: %s (against the double).  Worker RSS after the run:
%.1f MB.

The double answers from memory, a thread per connection, on the same two
CPUs: its rate is the cost of one HTTP exchange, which is more than
nginx and FastCGI serve at all here.  The hello-world libfcgi responder
behind the same nginx with as many processes (last row) is that bound:
against it, list reaches %.2fx and sendDTMF %.2fx, with a second HTTP
hop, validation and the JSON pass-through on top.
""" % (st, len(body), st2, WORKERS, lib.CONNECTIONS, lib.DURATION,
       lib.ROUNDS, platform.machine(), os.cpu_count(),
       row("list through nginx and pbxapi", l_ours, l_dbl),
       row("list, the double alone", l_dbl, l_dbl),
       row("sendDTMF through nginx and pbxapi", d_ours, d_dbl),
       row("sendDTMF, the double alone", d_dbl, d_dbl),
       row("hello-world responder (FastCGI ceiling)", hello, l_dbl),
       met(l_ours, l_dbl), met(d_ours, d_dbl), rss / 1024.0,
       l_ours["rps"] / max(hello["rps"], 1e-9),
       d_ours["rps"] / max(hello["rps"], 1e-9))
    lib.report_section("ari", text)
    return text
