#!/usr/bin/env python3
# Apache httpd with the shipped deploy/apache/pbxapi.conf (mod_proxy_fcgi
# to the pool's socket, mod_xsendfile): the ?cmd= drop-in with the
# Authorization header passed through (CGIPassAuth) and its 401, the
# FusionPBX dialect's 401 shape, the recording server's X-Auth-Token, the
# tenant pin (SetEnv PBXAPI_TENANT), getwavfile through X-Sendfile with
# recordings_sendfile = apache (Apache sends the bytes: pbxapi's own
# reply is empty, says its access log) and a Range on it, /status only
# from the allowed addresses, /openapi.json public.  Skips, with the
# reason, where Apache or mod_xsendfile is not installed.
import http.client
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

why = T.Apache.missing()
if why:
    print("1..0 # SKIP %s" % why)
    sys.exit(0)

T.timeout(120)
t = T.Tap()
KEY = "apache-key-0123456789abcdef012345"
KEY2 = "apache-acme-0123456789abcdef01234"
A = {"Authorization": KEY}
D = T.tmpdir("pbxapi-apache-wav-")
ROOT = os.path.join(D, "monitor")
BIG = bytes(range(256)) * 400
ODD = 'out-+15551234 "hi" 100%41 r\u00e9union.wav'
FILES = {"big.wav": BIG, "q.wav": b"RIFF-q", ODD: b"RIFF-odd"}
for name, data in FILES.items():
    T.write(os.path.join(ROOT, name), data)
T.write(os.path.join(D, "outside.wav"), b"OUTSIDE")
os.symlink("../outside.wav", os.path.join(ROOT, "link-up.wav"))

extra = """
[tenant acme]
token = %s
RECORDINGS_PATH = %s
""" % (KEY2, ROOT)
pool = T.Pool(settings={"recordings_sendfile": "apache"},
              env={"API_SECRET_KEY": KEY, "RECORDINGS_PATH": ROOT},
              extra=extra)
web = T.Apache(pool, audio_roots=[ROOT])

# The ?cmd= drop-in.
st, hdr, body = web.json("/api/api.php?cmd=systemresources", A)
t.is_(st, 200, "?cmd=systemresources: 200 (Authorization reached pbxapi)")
t.is_(list(body.keys()) if isinstance(body, dict) else body,
      ["datetime", "users", "usage"], "?cmd=systemresources: body")
t.is_(hdr.get("server", "")[:6], "Apache", "answered through Apache")
st, hdr, data = web.get("/api/api.php?cmd=systemresources",
                        {"Authorization": "wrong"})
t.is_((st, data, hdr.get("content-type")),
      (401, b'{"error":"Unauthorized","code":401}', "application/json"),
      "bad key: the reference's 401 JSON")
st, hdr, data = web.get("/api/api.php?cmd=nope", A)
t.is_((st, data), (404, b'{"error":"Unknown command: nope","code":404}'),
      "unknown command: pbxapi's 404 shape, not Apache's page")
st, _, data = web.post("/api/api.php?cmd=systemresources", b"a=1", A,
                       ctype="application/x-www-form-urlencoded")
t.is_(st, 200, "POST with a body")
t.is_(web.get("/api/.env")[0], 403, "the old API's .env is denied")

# The FusionPBX dialect.
st, hdr, data = web.post("/app/rest_api/rest.php",
                         b'{"action":"domain-details"}',
                         {"Authorization": "Basic eDp5"})
t.is_((st, data, hdr.get("content-type")),
      (401, b'{"error":"unauthorized"}', "application/json"),
      "FusionPBX: 401 shape")

# The recording server and ARI reach pbxapi (their own 401s).
st, hdr, data = web.get("/history", {"X-Auth-Token": "bad"})
t.is_((st, hdr.get("www-authenticate")), (401, "X-Auth-Token"),
      "recording server: pbxapi's X-Auth-Token 401")
st, hdr, data = web.get("/ari/channels")
t.is_((st, data), (401, b'{"message":"Authentication required"}'),
      "ARI: pbxapi's 401")
t.ok(web.get("/ari/events")[0] != 401 and
     '"GET /ari/events"' not in T.read(pool.access_log),
     "ARI events are not passed to pbxapi")

# The tenant pin: SetEnv PBXAPI_TENANT in the VirtualHost.
pinned = T.Apache(pool, audio_roots=[ROOT],
                  vhost_extra="SetEnv PBXAPI_TENANT acme")
st, _, _ = pinned.get("/api/api.php?cmd=systemresources",
                      {"Authorization": KEY2})
t.is_(st, 200, "pinned vhost: the tenant's token")
t.is_(pinned.get("/api/api.php?cmd=systemresources", A)[0], 401,
      "pinned vhost: another tenant's token is refused")


# getwavfile through X-Sendfile.
def wav(name, headers=A):
    return web.get("/api/api.php?cmd=getwavfile&name=" +
                   urllib.parse.quote(name), headers)


def pbxapi_bytes():
    """Status and body length of pbxapi's last getwavfile reply."""
    lines = [ln for ln in T.read(pool.access_log).splitlines()
             if "cmd=getwavfile" in ln]
    m = re.search(r'" (\d+) (\d+) ', lines[-1]) if lines else None
    return (int(m.group(1)), int(m.group(2))) if m else None


for name in ("big.wav", ODD):
    st, hdr, data = wav(name)
    t.is_((st, data), (200, FILES[name]), "X-Sendfile: %r served" % name)
    t.is_(pbxapi_bytes(), (200, 0),
          "X-Sendfile: pbxapi's reply was empty, Apache sent the file")
    t.ok("x-sendfile" not in hdr and
         hdr.get("content-length") == str(len(FILES[name])) and
         hdr.get("content-type") == "application/octet-stream" and
         hdr.get("content-disposition", "").startswith("attachment;"),
         "X-Sendfile: no X-Sendfile header out; file headers kept")
t.ok("etag" not in hdr, "no ETag (mod_xsendfile's would be the same for "
     "every file)")
st, hdr, data = wav("big.wav", dict(A, Range="bytes=10-19"))
t.is_((st, data, hdr.get("content-range")),
      (206, BIG[10:20], "bytes 10-19/%d" % len(BIG)),
      "Range: Apache's 206")
t.is_(pbxapi_bytes(), (200, 0), "Range: pbxapi answered 200, empty")
st, hdr, data = wav("link-up.wav")
t.is_((st, data), (404, b'{"status":"File not found","code":404}'),
      "a link out of the root: pbxapi's 404, nothing sent")
st, hdr, data = wav("q.wav", {"Authorization": "wrong"})
t.is_(st, 401, "getwavfile with a bad key: 401")

# /status: from the allowed addresses only.
st, hdr, body = web.json("/status?json")
t.is_((st, isinstance(body, dict) and body.get("pool")), (200, "pbxapi"),
      "/status from 127.0.0.1: 200")
t.is_(web.get("/ping")[0], 200, "/ping from 127.0.0.1: 200")
try:
    c = http.client.HTTPConnection("127.0.0.1", web.port, timeout=10,
                                   source_address=("127.0.0.2", 0))
    c.request("GET", "/status")
    st = c.getresponse().status
    c.close()
    t.is_(st, 403, "/status from 127.0.0.2 (not in Require ip): 403")
except OSError as e:
    t.skip("/status from another address", "cannot bind 127.0.0.2: %s" % e)

# The OpenAPI description, public.
st, hdr, body = web.json("/openapi.json")
t.ok(st == 200 and isinstance(body, dict) and "openapi" in body,
     "/openapi.json: 200, the description")
t.done()
