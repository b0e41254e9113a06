#!/usr/bin/env python3
# arichannels (elastix-api.md §5.8, §3.2) through nginx and the pool
# against build/doubles/ari_double: the request on the wire, keep-alive,
# PHP's re-encoding, the reference's 503 messages for a disabled ARI, a
# refused, stalled, truncated or garbled connection, a 401 and an HTML
# 404 from ARI, a reply past the body ceiling; the worker survives every
# fault and the next request reconnects.
import base64
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(120)
t = T.Tap()
KEY = "ari-key-0123456789abcdef0123456789"
OFF = "ari-off-0123456789abcdef0123456789"
BAD = "ari-bad-0123456789abcdef0123456789"
D = T.tmpdir("pbxapi-ari-")
CTL = os.path.join(D, "control")
LOG = os.path.join(D, "requests.jsonl")
PORTF = os.path.join(D, "port")
T.write(CTL, "")
T.spawn([os.path.join(T.BUILD, "doubles", "ari_double"), "--port-file",
         PORTF, "--control", CTL, "--log", LOG, "--lifetime", "110",
         "--fixtures", os.path.join(T.SHARED, "fixtures", "ari")],
        log=os.path.join(D, "double.out"))
T.wait_for(lambda: os.path.exists(PORTF), what="ari_double port file")
PORT = int(T.read(PORTF))

ari = {"ARI_ENABLED": "true", "ARI_HOST": "127.0.0.1", "ARI_PORT": str(PORT)}
env = dict(ari, API_SECRET_KEY=KEY)
extra = """
[tenant off]
token = %s
ARI_ENABLED = false
ARI_PORT = %d
[tenant bad]
token = %s
ARI_ENABLED = yes
ARI_PORT = %d
ARI_SECRET = wrong
""" % (OFF, PORT, BAD, PORT)
pool = T.Pool(settings={"pm.max_children": "1", "backend_timeout": "2s"},
              env=env, extra=extra)
web = T.Nginx(pool)
URL = "/api/api.php?cmd=arichannels"


def control(**kw):
    T.write(CTL, "".join("%s=%s\n" % kv for kv in kw.items()))


def call(key=KEY):
    t0 = time.time()
    st, hdr, data = web.get(URL, {"Authorization": key})
    return st, hdr, data, time.time() - t0


def logged():
    return [json.loads(x) for x in T.read(LOG).splitlines() if x.strip()]


def error_of(data):
    try:
        return json.loads(data)["error"]
    except (ValueError, KeyError, TypeError):
        return None


# Normal: the channels the double holds, re-encoded the PHP way.
control(channels=2)
st, hdr, data, _ = call()
t.is_(st, 200, "arichannels: 200")
t.is_(hdr.get("content-type"), "application/json", "Content-Type")
t.is_(hdr.get("access-control-allow-origin"), "*", "CORS header")
body = json.loads(data)
t.is_([c["id"] for c in body], ["double-1", "double-2"], "both channels")
t.like(data, b'"name":"Local\\/600@test-00000001;1"', "'/' escaped as \\/")
t.ok(data.startswith(b'[{"id":"double-1","name":') and
     b'"dialplan":{"context":"test","exten":"600","priority":1,' in data,
     "key order and integers kept")

req = logged()[-1]
t.is_((req["method"], req["path"]), ("GET", "/ari/channels"),
      "GET /ari/channels on the wire")
t.is_([h[0] for h in req["headers"]],
      ["Host", "Authorization", "Content-Type", "Accept"],
      "exactly the reference's headers")
hd = dict(req["headers"])
t.is_(hd["Authorization"], "Basic " + base64.b64encode(
    b"ari_user:ari_password").decode(), "Basic auth ARI_USERNAME:ARI_SECRET")
t.is_((hd["Content-Type"], hd["Accept"]),
      ("application/json", "application/json"), "JSON headers")
t.is_(hd["Host"], "127.0.0.1:%d" % PORT, "Host")

control(channels=0)
st, _, data, _ = call()
t.is_((st, data), (200, b"[]"), "no channels: []")
conns = {r["conn"] for r in logged()}
t.is_(len(conns), 1, "one kept-alive connection for every request so far")

# Originate through the double itself: the list follows its state.
import http.client  # noqa: E402
c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
auth = {"Authorization": "Basic " + base64.b64encode(
    b"ari_user:ari_password").decode()}
c.request("POST", "/ari/channels?endpoint=PJSIP/102&app=pbxapi"
          "&callerId=R%C3%A9mi%20%3C100%3E&channelId=wire-1", headers=auth)
r = c.getresponse()
r.read()
t.is_(r.status, 200, "double: originate")
st, _, data, _ = call()
t.like(data, b'"name":"R\\u00e9mi","number":"100"',
       "non-ASCII re-encoded as \\u00e9")
c.request("DELETE", "/ari/channels/wire-1", headers=auth)
r = c.getresponse()
r.read()
t.is_(r.status, 204, "double: hangup")
c.close()
t.is_(call()[2], b"[]", "hung-up channel gone")

workers = pool.workers()

# Disabled.
st, _, data, _ = call(OFF)
t.is_((st, data), (503, b'{"error":"ARI is disabled. Set ARI_ENABLED=true '
                        b'in your .env","code":503}'), "ARI_ENABLED=false")

# Wrong secret: Asterisk's 401 body quoted.
st, _, data, _ = call(BAD)
t.is_((st, error_of(data)), (503, 'ARI request failed with HTTP status 401: '
                             '{"message":"Authentication required"}'),
      "401 from ARI")
control(fault="auth-fail")
t.is_(error_of(call()[2]), 'ARI request failed with HTTP status 401: '
      '{"message":"Authentication required"}', "401 (fault mode)")

# HTML 404: ARI not loaded.
control(fault="html404")
st, _, data, _ = call()
err = error_of(data) or ""
t.is_(st, 503, "HTML 404: 503")
t.ok(err.startswith("ARI request failed with HTTP status 404: <!DOCTYPE") and
     err.endswith("</body></html>"), "HTML 404: body quoted, trimmed")

# Refused.
control(fault="refuse")
time.sleep(0.2)
st, _, data, el = call()
t.is_(st, 503, "refused: 503")
t.ok(re.fullmatch(r"ARI request failed \(cURL error: Failed to connect to "
                  r"127\.0\.0\.1 port %d after \d+ ms: Couldn't connect to "
                  r"server\)" % PORT, error_of(data) or ""),
     "refused: curl's message as the reference")
control(fault="refuse-accept")
time.sleep(0.2)
st, _, data, _ = call()
# The close is a FIN, or a RST when the request had already arrived.
t.ok(st == 503 and error_of(data) in (
    "ARI request failed (cURL error: Empty reply from server)",
    "ARI request failed (cURL error: Recv failure: Connection reset by "
    "peer)"), "accepted and closed: 503 with curl's message (%r)" %
    error_of(data))

# Stalled: 503 within backend_timeout (2 s), the worker lives on.
control(fault="stall")
st, _, data, el = call()
t.is_(st, 503, "stalled: 503")
t.like(error_of(data) or "", "Operation timed out after 2", "stalled: timeout")
t.ok(el < 4, "stalled: answered within the deadline (%.2fs)" % el)

control(fault="length-mismatch")
st, _, data, el = call()
t.ok(st == 503 and el < 4, "Content-Length past the body: 503 in time")
control(fault="truncate", channels=3)
st, _, data, _ = call()
t.is_(st, 503, "truncated body: 503")
t.like(error_of(data) or "", "transfer closed with", "truncated: curl says so")
control(fault="garbage")
t.is_(call()[0], 503, "garbage: 503")
control(fault="close")
t.is_(error_of(call()[2]), "ARI request failed (cURL error: Empty reply "
      "from server)", "closed without reply")

# A body past the ceiling (8 MiB), and a large one below it.
control(fault="huge", huge=9 * 1024 * 1024)
st, _, data, _ = call()
t.is_((st, error_of(data)), (503, "ARI request failed (cURL error: reply "
                             "larger than 8388608 bytes)"), "huge: ceiling")
control(fault="huge", huge=2 * 1024 * 1024)
st, _, data, _ = call()
t.ok(st == 200 and len(json.loads(data)) > 1000, "2 MiB list re-encoded")

control(fault="slow-drip", drip_ms=1, drip_bytes=5, channels=2)
st, _, data, _ = call()
t.is_((st, len(json.loads(data))), (200, 2), "slow drip: parsed whole")

control()
t.is_(call()[:2][0], 200, "after the faults: 200 again")
t.is_(pool.workers(), workers, "the worker survived every fault")
t.like(pool.log(), "ari GET", "failures are logged")
t.done()
