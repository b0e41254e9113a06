#!/usr/bin/env python3
# WCS when the event companion does not answer within companion.wait
# (docs/wcs.md): the companion is stopped (SIGSTOP), so a worker's
# wcs.find times out.  The client gets 503 {"reason": "event companion
# unavailable"} and nothing of the server's paths; the log says why
# (timed out), on the request's line.  Continued, the companion answers
# again.  Found by the find_all benchmark (bench/scenarios/wcs.py), where
# the log said only "event companion unavailable".
import json
import os
import re
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(60)
t = T.Tap()
D = T.tmpdir("pbxapi-wcs-timeout-")
PORTF = os.path.join(D, "ari.port")
WORLD = os.path.join(D, "ari.world")
T.spawn([os.path.join(T.BUILD, "doubles", "ari_double"), "--port-file",
         PORTF, "--world", WORLD, "--lifetime", "55", "--fixtures",
         os.path.join(T.SHARED, "fixtures", "ari")],
        log=os.path.join(D, "ari.out"))
T.wait_for(lambda: T.read(PORTF).strip() and os.path.exists(WORLD),
           what="ari_double")
pool = T.Pool(settings={"pm.max_children": "1",
                        "companion.wait": "300ms"},
              env={"events": "ari", "ARI_ENABLED": "true",
                   "ARI_PORT": T.read(PORTF).strip(),
                   "ARI_EVENTS_APP": "wcsgw",
                   "API_SECRET_KEY": "wcs-key-0123456789abcdef0123"})
web = T.Nginx(pool)


def find_all():
    return web.request("POST", "/rest-api/call/find_all",
                       {"Content-Type": "application/json"}, b"{}")


def synced():
    _, _, body = web.get("/status?json")
    c = json.loads(body).get("companion") or {}
    return any(x.get("state") == "connected" for x in c.get("tenants", []))


T.wait_for(lambda: pool.companions(), what="the companion")
T.wait_for(synced, 15, what="the ARI source synced")
st, _, _ = find_all()
t.is_(st, 404, "find_all with the companion answering: 404 (no calls)")

cmp_pid = pool.companions()[0]
os.kill(cmp_pid, signal.SIGSTOP)
try:
    st, h, body = find_all()
finally:
    os.kill(cmp_pid, signal.SIGCONT)
t.is_(st, 503, "the companion stopped: find_all is 503")
reason = json.loads(body or b"{}").get("reason")
t.is_(reason, "event companion unavailable", "the reason says so")
t.ok(pool.dir not in body.decode() and "sock" not in body.decode(),
     "and names no path of the server")
t.is_(h.get("access-control-allow-origin"), "*", "CORS on the 503")


def why_line():
    return next((x for x in pool.log().splitlines()
                 if "wcs: companion" in x), None)


t.ok(T.poll(why_line, 5), "the log has a line saying why")
line = why_line() or ""
t.like(line, "timed out", "the log says why: the companion timed out "
       "(%s)" % line)
t.ok(re.search(r"\[[0-9a-f]+ find_all\]", line),
     "on the request's line (its id and command)")
t.ok(T.poll(lambda: find_all()[0] == 404, 10),
     "continued, the companion answers again: 404")
t.done()
