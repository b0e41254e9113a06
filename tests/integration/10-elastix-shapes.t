#!/usr/bin/env python3
# The ?cmd= dialect's authentication, routing and error shapes
# (elastix-api.md §1.2, §1.4), through the real nginx snippet and pool.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(60)
t = T.Tap()
KEY = "kJBJzUqZ2W9THvW9vrFTEzXN7NNfDv9XyzENAn7teWDsZCcYHj"
pool = T.Pool(env={"API_SECRET_KEY": KEY})
web = T.Nginx(pool)
A = {"Authorization": KEY}
JSON = "application/json"


def check(name, path, want_status, want_body, headers=A, method="GET",
          body=None, ctype=None):
    h = dict(headers)
    if ctype:
        h["Content-Type"] = ctype
    st, hdr, data = web.request(method, path, h, body)
    t.is_(st, want_status, "%s: status %d" % (name, want_status))
    t.is_(data, want_body, "%s: body" % name)
    t.is_(hdr.get("content-type"), JSON, "%s: Content-Type" % name)
    t.is_(hdr.get("access-control-allow-origin"), "*", "%s: CORS" % name)
    return hdr


U = b'{"error":"Unauthorized","code":401}'
check("no key", "/api/api.php?cmd=systemresources", 401, U, headers={})
check("wrong key", "/api/api.php?cmd=systemresources", 401, U,
      headers={"Authorization": "not-the-key"})
check("Bearer prefix", "/api/api.php?cmd=systemresources", 401, U,
      headers={"Authorization": "Bearer " + KEY})
check("no key, no cmd", "/api/api.php", 401, U, headers={})
check("key prefix", "/api/api.php?cmd=systemresources", 401, U,
      headers={"Authorization": KEY[:-1]})
check("key plus a byte", "/api/api.php?cmd=systemresources", 401, U,
      headers={"Authorization": KEY + "x"})
st, _, _ = web.get("/api/api.php?cmd=systemresources",
                   {"Authorization": "   " + KEY + "   "})
t.is_(st, 200, "whitespace around the key is stripped by nginx")
st, _, _ = web.get("/api/api.php?cmd=systemresources", {"authorization": KEY})
t.is_(st, 200, "header names are case-insensitive")

R = b'{"error":"cmd parameter is required","code":400}'
check("missing cmd", "/api/api.php", 400, R)
check("empty cmd", "/api/api.php?cmd=", 400, R)
check("cmd only in a POST body", "/api/api.php", 400, R, method="POST",
      body="cmd=systemresources",
      ctype="application/x-www-form-urlencoded")
check("unknown cmd", "/api/api.php?cmd=nope", 404,
      b'{"error":"Unknown command: nope","code":404}')
check("cmd is case-sensitive", "/api/api.php?cmd=Systemresources", 404,
      b'{"error":"Unknown command: Systemresources","code":404}')
check("slash escaped", "/api/api.php?cmd=nope/x", 404,
      b'{"error":"Unknown command: nope\\/x","code":404}')
check("array cmd", "/api/api.php?cmd[]=auth", 404,
      b'{"error":"Unknown command: Array","code":404}')
check("invalid UTF-8 echoed: empty body", "/api/api.php?cmd=%FF", 404, b"")
check("NUL inside cmd never matches", "/api/api.php?cmd=systemresources%00x",
      404, b'{"error":"Unknown command: systemresources\\u0000x","code":404}')
check("non-ASCII escaped lower-case", "/api/api.php?cmd=%C3%A9%F0%9F%98%80",
      404, b'{"error":"Unknown command: \\u00e9\\ud83d\\ude00","code":404}')

st, hdr, data = web.get("/api/api.php?cmd=nope&cmd=systemresources", A)
t.is_(st, 200, "repeated cmd: the last wins")
st, hdr, data = web.request("OPTIONS", "/api/api.php?cmd=systemresources", A)
t.is_(st, 200, "OPTIONS runs the command like the reference")

st, hdr, body = web.json("/api/api.php?cmd=systemresources", A)
t.is_(list(body.keys()), ["datetime", "users", "usage"],
      "systemresources keys in order")
t.like(body["datetime"], " up ", "datetime is uptime's 'HH:MM:SS up ...'")
t.ok(body["usage"].count(", ") == 2, "usage holds three load averages")
t.is_(hdr.get("content-disposition"), None, "no Content-Disposition")

st, hdr, body = web.json("/api/api.php?cmd=getharddrivers", A)
t.is_(list(body.keys()), ["harddisk", "logs", "thirdparty", "voicemails",
                          "backups", "configuration", "recording"],
      "getharddrivers keys in order")
t.is_(list(body["harddisk"].keys()),
      ["size", "used", "avail", "usepercent", "mount"], "harddisk keys")
t.is_(body["harddisk"]["mount"], "/", "harddisk is the root filesystem")
t.ok(body["harddisk"]["usepercent"].endswith("%"), "usepercent ends in %")
t.is_(body["logs"][1], "/var/log", "logs entry names /var/log")
t.is_(body["recording"], [], "a missing recordings directory gives []")
st, hdr, body = web.json("/api/api.php?cmd=getiptablesstatus", A)
t.is_(list(body.keys()), ["pid", "is_exist"], "getiptablesstatus keys")
t.ok(isinstance(body["is_exist"], bool), "is_exist is a boolean")

# Several tenants: a token selects its tenant; a vhost can pin one.
pool2 = T.Pool(env={"API_SECRET_KEY": KEY, "CORS_ALLOWED_ORIGINS":
                    "https://default.example"},
               extra="""
[tenant acme]
API_SECRET_KEY = acme-key-0123456789
CORS_ALLOWED_ORIGINS = https://acme.example
token = sha256:%s read
""" % __import__("hashlib").sha256(b"acme-readonly").hexdigest())
web2 = T.Nginx(pool2)
st, hdr, _ = web2.get("/api/api.php?cmd=systemresources",
                      {"Authorization": "acme-key-0123456789"})
t.is_(st, 200, "tenant acme's key works")
t.is_(hdr.get("access-control-allow-origin"), "https://acme.example",
      "CORS origin of the token's tenant")
st, _, _ = web2.get("/api/api.php?cmd=systemresources",
                    {"Authorization": "acme-readonly"})
t.is_(st, 200, "a token stored as a SHA-256 digest works")
web3 = T.Nginx(pool2, tenant="acme")
st, _, _ = web3.get("/api/api.php?cmd=systemresources", {"Authorization": KEY})
t.is_(st, 401, "a vhost pinned to acme rejects the default tenant's key")
st, _, _ = web3.get("/api/api.php?cmd=systemresources",
                    {"Authorization": "acme-key-0123456789"})
t.is_(st, 200, "and accepts acme's own key")

# The placeholder key of the PHP project fails closed.
pool3 = T.Pool(env={"API_SECRET_KEY": "YOUR_SECRETKEY_50_RANDOM_CHARS"})
web4 = T.Nginx(pool3)
st, _, data = web4.get("/api/api.php?cmd=systemresources",
                       {"Authorization": "YOUR_SECRETKEY_50_RANDOM_CHARS"})
t.is_((st, data), (401, U), "the placeholder key is never accepted")
t.like(pool3.log(), "no token and no API_SECRET_KEY",
       "the placeholder is reported in the log")

log = T.read(pool.access_log)
t.like(log, '"GET /api/api.php" 401', "access log line for a 401")
t.like(log, "tenant=default dialect=elastix cmd=systemresources",
       "access log names tenant, dialect and command")
t.done()
