#!/usr/bin/env python3
# Named limits on input: body size, parameter count, name and value length,
# query length, nesting.  Beyond them a clear 4xx in the dialect's shape,
# never a crash; the worker that answered lives on.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(60)
t = T.Tap()
KEY = "limits-key-0123456789abcdef"
pool = T.Pool(settings={"body_max": "64k", "value_max": "1k",
                        "max_input_vars": "50",
                        "max_input_nesting_level": "4"},
              env={"API_SECRET_KEY": KEY})
web = T.Nginx(pool, server_extra="large_client_header_buffers 4 32k;")
A = {"Authorization": KEY}
workers = sorted(pool.workers())


def err(path, status, needle, name, method="GET", body=None, ctype=None):
    h = dict(A)
    if ctype:
        h["Content-Type"] = ctype
    st, hdr, data = web.request(method, path, h, body)
    t.is_(st, status, "%s: %d" % (name, status))
    t.is_(hdr.get("content-type"), "application/json", name + ": JSON")
    t.like(data.decode("utf-8", "replace"), needle, name + ": message")
    t.like(data.decode(), '"code":%d' % status, name + ": code")


big = "x=" + "a" * (70 * 1024)
err("/api/api.php?cmd=systemresources", 413, "larger than 65536 bytes",
    "body over body_max", method="POST", body=big,
    ctype="application/x-www-form-urlencoded")
q = "&".join("p%d=1" % i for i in range(51))
err("/api/api.php?cmd=systemresources&" + q, 413, "more than 50 parameters",
    "more than max_input_vars parameters")
err("/api/api.php?cmd=systemresources&" + "n" * 300 + "=1", 400,
    "parameter name longer than 256 bytes", "name over 256 bytes")
err("/api/api.php?cmd=systemresources&v=" + "b" * 1100, 400,
    "longer than 1024 bytes", "value over value_max")
err("/api/api.php?cmd=systemresources&q=" + "c" * 9000, 400,
    "query string longer than 8192 bytes", "query over 8 KiB")
st, _, _ = web.get("/api/api.php?cmd=systemresources&a[b][c][d][e][f]=1", A)
t.is_(st, 200, "nesting past the limit is ignored like PHP does")
st, _, body = web.json("/api/api.php?cmd=systemresources&" +
                       "&".join("p%d=1" % i for i in range(48)), A)
t.is_(st, 200, "49 parameters pass")

# Bytes that are not UTF-8, NUL and CR/LF anywhere in names and values.
for q in ("%FF%FE=%C0%AF", "%00=%00", "a%0D%0AX-Injected:%201=1",
          "%E2%28%A1=1", "x=%F4%90%80%80"):
    st, hdr, data = web.get("/api/api.php?cmd=systemresources&" + q, A)
    t.is_(st, 200, "hostile bytes in an unused parameter (%s)" % q)
    t.ok("x-injected" not in hdr, "no header injected (%s)" % q)

# Raw HTTP with a NUL and a CR inside the request target: nginx refuses.
r = web.raw(b"GET /api/api.php?cmd=systemresources\x00x HTTP/1.1\r\n"
            b"Host: x\r\nAuthorization: " + KEY.encode() +
            b"\r\nConnection: close\r\n\r\n")
t.ok(r.startswith(b"HTTP/1.1 400"), "NUL in the request line: nginx 400")

# The same workers answered all of it.
t.is_(sorted(pool.workers()), workers, "no worker died")
st, _, _ = web.get("/api/api.php?cmd=systemresources", A)
t.is_(st, 200, "and the pool still answers")
t.done()
