"""The ARI dialect against the ARI double: GET /ari/channels (10
channels) and POST /ari/channels/{id}/dtmf through nginx and the pool,
each compared with the double's own rate for the same request on the
same number of connections (wrk straight at the double).  The same two
requests for a tenant served by the AMI translation, against the AMI
double's own rate for the same actions on as many AMI connections as
there are workers (bench/amiload.c)."""
import base64
import json
import os
import platform
import subprocess

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


AMI_CRED = "bench-ami:bench-ami-secret"
AMI_CHANNEL = "fixture-pjsip-102"  # PJSIP/102-00000000 in the fixture
DTMF_STEP = "PlayDTMF,Channel=PJSIP/102-00000000,Digit=1,Duration=100"


def ami_double(d):
    """The AMI double on the fixtures, PlayDTMF answered; its port."""
    scen, pf = os.path.join(d, "ami.json"), os.path.join(d, "ami.port")
    T.write(scen, json.dumps({"auth_delay_ms": 0, "rules": [
        {"action": "PlayDTMF", "text": "Response: Success\r\nActionID: "
         "x\r\nMessage: DTMF successfully queued\r\n\r\n"}]}))
    T.spawn([os.path.join(T.BUILD, "doubles", "ami_double"), "--port-file",
             pf, "--scenario", scen, "--lifetime", "900", "--fixtures",
             os.path.join(T.SHARED, "fixtures", "ami")],
            log=os.path.join(d, "ami.log"))
    T.wait_for(lambda: T.read(pf).strip(), what="ami_double")
    return T.read(pf).strip()


def amiload(port, steps):
    """The AMI double's rate for steps on WORKERS connections."""
    out = subprocess.run([os.path.join(T.BUILD, "bench", "amiload"),
                          "127.0.0.1", port, str(WORKERS),
                          str(lib.DURATION), "admin", "amp111"] + steps,
                         capture_output=True, text=True).stdout
    f = (out.split() + ["0", "0"])[:2]
    return {"rps": float(f[0]), "p99_ms": float(f[1]), "errors": 0,
            "non2xx": 0}


def ami_rows(web, d, port):
    """list and sendDTMF over the AMI translation, and their ceilings."""
    auth = {"Authorization": "Basic " +
            base64.b64encode(AMI_CRED.encode()).decode()}
    post = os.path.join(d, "post.lua")
    base = "http://127.0.0.1:%d" % web.port
    dtmf = "/ari/channels/%s/dtmf?dtmf=1&duration=100" % AMI_CHANNEL
    st = (web.get("/ari/channels", auth)[0],
          web.request("POST", dtmf, auth)[0])
    out = {}
    for name, path, script, steps in (
            ("list", "/ari/channels", None, ["CoreShowChannels"]),
            ("dtmf", dtmf, post, ["CoreShowChannels", DTMF_STEP])):
        out[name] = (
            lib.best_of(lambda: lib.wrk(base + path, auth, script=script)),
            lib.best_of(lambda: amiload(port, steps)))
    return st, out


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
    ami_port = ami_double(d)
    pool = T.Pool(settings={"pm": "static", "pm.max_children": str(WORKERS),
                            "log_level": "warning", "access_log": "off"},
                  env={"API_SECRET_KEY": "bench-ari-key-0123456789",
                       "ARI_ENABLED": "true", "ARI_PORT": port},
                  extra="token = %s ari-control\n[tenant ami]\n"
                  "ARI_BACKEND = ami\nAMI_HOST = 127.0.0.1\nAMI_PORT = %s\n"
                  "AMI_USERNAME = admin\nAMI_SECRET = amp111\n"
                  "token = %s ari-control\n" % (CRED, ami_port, AMI_CRED))
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
    ami_st, ami = ami_rows(web, d, ami_port)
    hello = lib.hello_ceiling(base)
    rss = max(lib.rss_kb(p) for p in pool.workers())
    (al_ours, al_dbl), (ad_ours, ad_dbl) = ami["list"], ami["dtmf"]
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

### The same requests over the AMI translation

A second tenant (`ARI_BACKEND = ami`) answers the same two requests by
AMI against build/doubles/ami_double replaying the fixtures (5 channels):
`GET /ari/channels` is one `CoreShowChannels` (status %d), `POST
.../dtmf?dtmf=1` is `CoreShowChannels` to find the channel then one
`PlayDTMF` (status %d).  Ceiling of the same run: the double's own rate
for the same actions, in the same order, on %d logged-in AMI connections
(one per worker, as pbxapi holds them), each sending the next as soon as
the last reply is read (bench/amiload.c, which also gives the p99 of a
round).  Same targets.

| request | requests/s | p99 | of the double's rate | p99 vs the double's | errors / non-2xx |
|---|---|---|---|---|---|
%s
%s
%s
%s

list: %s; sendDTMF: %s (against the double).  wrk's 64 connections queue
on %d workers while amiload's %d connections never wait, so the p99s
compare a queue with a round trip; against the hello-world responder,
list over AMI reaches %.2fx and sendDTMF %.2fx.
""" % (st, len(body), st2, WORKERS, lib.CONNECTIONS, lib.DURATION,
       lib.ROUNDS, platform.machine(), os.cpu_count(),
       row("list through nginx and pbxapi", l_ours, l_dbl),
       row("list, the double alone", l_dbl, l_dbl),
       row("sendDTMF through nginx and pbxapi", d_ours, d_dbl),
       row("sendDTMF, the double alone", d_dbl, d_dbl),
       row("hello-world responder (FastCGI ceiling)", hello, l_dbl),
       met(l_ours, l_dbl), met(d_ours, d_dbl), rss / 1024.0,
       l_ours["rps"] / max(hello["rps"], 1e-9),
       d_ours["rps"] / max(hello["rps"], 1e-9),
       ami_st[0], ami_st[1], WORKERS,
       row("list over AMI through nginx and pbxapi", al_ours, al_dbl),
       row("CoreShowChannels, the AMI double alone", al_dbl, al_dbl),
       row("sendDTMF over AMI through nginx and pbxapi", ad_ours, ad_dbl),
       row("CoreShowChannels + PlayDTMF, the AMI double alone", ad_dbl,
           ad_dbl),
       met(al_ours, al_dbl), met(ad_ours, ad_dbl), WORKERS, WORKERS,
       al_ours["rps"] / max(hello["rps"], 1e-9),
       ad_ours["rps"] / max(hello["rps"], 1e-9))
    lib.report_section("ari", text)
    return text
