#!/usr/bin/env python3
# The concurrent-call cap over ARI (docs/operations.md, "Rate limits"):
# with limit.originate_concurrent = 1 and an hour's hold, a second
# POST /ari/channels is a 429 in ARI's shape (its status line and
# {"message": ...}) with Retry-After and nothing reaches the ARI double; a
# hangup that fails (404) releases nothing; a successful hangup of the
# tenant (DELETE /ari/channels/{id}) releases the call and the next
# origination goes through; reads go on throughout.
import base64
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(60)
t = T.Tap()
D = T.tmpdir("pbxapi-rla-")
CTL = os.path.join(D, "control")
PORTF = os.path.join(D, "port")
LOG = os.path.join(D, "requests.jsonl")
T.write(CTL, "channels=2\n")
T.spawn([os.path.join(T.BUILD, "doubles", "ari_double"), "--port-file",
         PORTF, "--control", CTL, "--lifetime", "55", "--log", LOG,
         "--fixtures", os.path.join(T.SHARED, "fixtures", "ari")],
        log=os.path.join(D, "double.out"))
T.wait_for(lambda: T.read(PORTF).strip(), what="ari_double port")
pool = T.Pool(settings={"limit.originate_concurrent": "1",
                        "limit.originate_hold": "1h"},
              env={"ARI_ENABLED": "true", "ARI_PORT": T.read(PORTF).strip(),
                   "token": "app:app-secret ari-control"})
web = T.Nginx(pool)
AUTH = {"Authorization": "Basic " + base64.b64encode(b"app:app-secret")
        .decode()}
CALL = "/ari/channels?endpoint=Local/600@test&app=pbxapi"


def req(method, path):
    return web.request(method, path, AUTH)


def originations():
    n = 0
    for line in T.read(LOG).splitlines():
        if not line.strip():
            continue
        m = json.loads(line)
        path = m.get("path", "").split("?")[0]
        if m.get("method") == "POST" and path == "/ari/channels":
            n += 1
    return n


st, hdr, body = req("POST", CALL)
first = json.loads(body) if st == 200 else {}
t.is_((st, hdr.get("ratelimit-limit"), hdr.get("ratelimit-remaining")),
      (200, "1", "0"), "call 1: 200, the cap of 1 taken")
t.ok("id" in first, "call 1: a Channel")
sent = originations()
t.ok(sent >= 1, "call 1 reached ARI (%d originations logged)" % sent)
st, hdr, body = req("POST", CALL)
t.is_(st, 429, "call 2: 429")
t.like(json.loads(body).get("message", ""), "calls in progress",
       "call 2: ARI's {\"message\": ...}")
ra = int(hdr.get("retry-after", "0"))
t.ok(3500 <= ra <= 3600, "call 2: Retry-After %d, the hold" % ra)
t.is_(originations(), sent, "call 2 never reached ARI")
t.is_(req("GET", "/ari/channels")[0], 200, "reads go on")
t.is_(req("DELETE", "/ari/channels/no-such-channel")[0], 404,
      "a hangup of no channel: 404")
t.is_(req("POST", CALL)[0], 429, "a failed hangup releases nothing")
t.is_(req("DELETE", "/ari/channels/%s" % first.get("id"))[0], 204,
      "hangup of call 1: 204")
st, hdr, body = req("POST", CALL)
t.is_((st, hdr.get("ratelimit-remaining")), (200, "0"),
      "after the hangup: call 3 goes through")
t.is_(originations(), sent + 1, "call 3 reached ARI")
t.done()
