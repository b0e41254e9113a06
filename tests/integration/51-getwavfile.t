#!/usr/bin/env python3
# getwavfile (elastix-api.md §5.23, §1.4, §12.9) with hostile names:
# traversal plain and encoded, absolute paths, links out of the root and
# to its siblings, NUL, CR/LF and other control bytes, directories, a
# FIFO, dangling links, long names, quotes/spaces/UTF-8 in names.  Every
# refusal is the reference's exact 404 and no byte from outside the root
# ever leaves.  Then the hand-off: nginx X-Accel-Redirect through the
# shipped snippet (a Range request proves nginx sent the bytes) and
# lighttpd X-Sendfile.  Without a hand-off pbxapi answers ranges and
# preconditions itself (fcgi/file.c) through nginx and lighttpd, while a
# request without them keeps the reference's headers.
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(120)
t = T.Tap()
KEY = "wav-key-0123456789abcdef0123456789"
KEY2 = "wav-acme-0123456789abcdef012345678"
A = {"Authorization": KEY}
NF = b'{"status":"File not found","code":404}'

D = T.tmpdir("pbxapi-wav-")
ROOT = os.path.join(D, "monitor")
X = "2024/01/05/exten-200-100-20240105-100705-1704449225.1.wav"
LONG = "L" * 250 + ".wav"
FILES = {
    "q.wav": b"RIFF-q",
    X: b"RIFF-nested" * 50,
    "empty.wav": b"",
    "big.wav": bytes(range(256)) * 400,
    "my file (1).wav": b"RIFF-space",
    'say "hi".wav': b"RIFF-quote",
    "back\\slash.wav": b"RIFF-backslash",
    "r\u00e9union.wav": b"RIFF-utf8",
    "nl\nX-Injected: 1.wav": b"RIFF-newline",
    "tab\there.wav": b"RIFF-tab",
    ".dotfile.wav": b"RIFF-dot",
    "plus+sign.wav": b"RIFF-plus",
    "pct%41.wav": b"RIFF-pct",
    LONG: b"RIFF-long",
}
for name, data in FILES.items():
    T.write(os.path.join(ROOT, name), data)
T.write(os.path.join(D, "monitor2", "leak.wav"), b"LEAKED")
T.write(os.path.join(D, "monitor_bak", "secret.wav"), b"SECRET")
T.write(os.path.join(D, "outside.wav"), b"OUTSIDE")
os.makedirs(os.path.join(ROOT, "dir.wav"))
for name, target in {
        "alias.wav": X,
        "abs-in.wav": os.path.join(ROOT, "q.wav"),
        "dangling.wav": "does-not-exist.wav",
        "link-out.wav": "/etc/hostname",
        "link-passwd.wav": "/etc/passwd",
        "link-sibling.wav": "../monitor2/leak.wav",
        "link-bak.wav": "../monitor_bak/secret.wav",
        "link-up.wav": "../outside.wav",
        "linkdir": "../monitor2",
        "linkroot": "..",
        "link-nl.wav": "nl\nX-Injected: 1.wav"}.items():
    os.symlink(target, os.path.join(ROOT, name))
os.mkfifo(os.path.join(ROOT, "fifo.wav"))

extra = """
[tenant acme]
token = %s
RECORDINGS_PATH = %s
""" % (KEY2, ROOT)
pool = T.Pool(env={"API_SECRET_KEY": KEY, "RECORDINGS_PATH": ROOT},
              extra=extra)
web = T.Nginx(pool)


def get(name, raw=False, web=web, headers=A):
    q = name if raw else urllib.parse.quote(name, safe="/")
    return web.get("/api/api.php?cmd=getwavfile&name=" + q, headers)


def refused(label, name, raw=False):
    st, hdr, data = get(name, raw)
    ok = (st == 404 and data == NF and
          hdr.get("content-type") == "application/json" and
          hdr.get("access-control-allow-origin") == "*" and
          "content-disposition" not in hdr)
    if not t.ok(ok, "refused: %s" % label):
        t.diag("%d %r %r" % (st, hdr, data[:200]))


def served(label, name, want, fname, raw=False, web=web):
    st, hdr, data = get(name, raw, web)
    t.is_((st, data), (200, want), "served: %s" % label)
    t.is_(hdr.get("content-disposition"), 'attachment; filename="%s"' % fname,
          "%s: Content-Disposition" % label)
    t.ok(hdr.get("content-type") == "application/octet-stream" and
         hdr.get("content-length") == str(len(want)) and
         "access-control-allow-origin" not in hdr,
         "%s: file headers, no CORS" % label)


served("nested", "/" + X, FILES[X], os.path.basename(X))
served("no leading slash", X, FILES[X], os.path.basename(X))
served("double slashes and dot", "//2024//01/05/./" + os.path.basename(X),
       FILES[X], os.path.basename(X))
served("'..' that stays inside", "2024/../q.wav", FILES["q.wav"], "q.wav")
served("link inside the root", "alias.wav", FILES[X], os.path.basename(X))
served("absolute link into the root", "abs-in.wav", FILES["q.wav"], "q.wav")
served("empty file", "empty.wav", b"", "empty.wav")
served("40 KB file", "big.wav", FILES["big.wav"], "big.wav")
served("'+' is a space", "my+file+(1).wav", FILES["my file (1).wav"],
       "my file (1).wav", raw=True)
served("encoded '+'", "plus+sign.wav", FILES["plus+sign.wav"],
       "plus+sign.wav")
served("literal %41", "pct%41.wav", FILES["pct%41.wav"], "pct%41.wav")
served("dot file", ".dotfile.wav", FILES[".dotfile.wav"], ".dotfile.wav")
served("250-byte name", LONG, FILES[LONG], LONG)
served("quote escaped", 'say "hi".wav', FILES['say "hi".wav'],
       'say \\"hi\\".wav')
served("link to a name with a newline: '_' in the header", "link-nl.wav",
       FILES["nl\nX-Injected: 1.wav"], "nl_X-Injected: 1.wav")
served("backslash escaped", "back\\slash.wav", FILES["back\\slash.wav"],
       "back\\\\slash.wav")
head = web.raw(
    ("GET /api/api.php?cmd=getwavfile&name=r%%C3%%A9union.wav HTTP/1.1\r\n"
     "Host: x\r\nAuthorization: %s\r\nConnection: close\r\n\r\n" % KEY)
    .encode()).partition(b"\r\n\r\n")[0]
t.like(head, 'Content-Disposition: attachment; filename="r\u00e9union.wav"'
       .encode(), "UTF-8 name: the header carries UTF-8 as before")

# Each refused the same way: label, name, raw (sent as is, not encoded).
REFUSED = [
    ("no name", "", False),
    ("empty name", "", True),
    ("name[]", "x&name[]=q.wav", True),
    ("missing", "nope.wav", False),
    ("the root itself", "/", False),
    ("dot", ".", False),
    ("directory", "dir.wav", False),
    ("directory 2024", "2024", False),
    ("FIFO (no hang)", "fifo.wav", False),
    ("dangling link", "dangling.wav", False),
    ("../ sibling", "../monitor2/leak.wav", False),
    ("/../ sibling", "/../monitor2/leak.wav", False),
    ("sibling with the root's prefix", "_bak/secret.wav", False),
    ("../monitor_bak", "../monitor_bak/secret.wav", False),
    ("up and out", "../outside.wav", False),
    ("deep traversal", "/../../../../../../etc/passwd", False),
    ("absolute path", "/etc/passwd", False),
    ("%2e%2e%2f encoded", "%2e%2e%2fmonitor2%2fleak.wav", True),
    ("double encoding", "%252e%252e%252fmonitor2%252fleak.wav", True),
    ("..%2f mixed", "..%2F..%2Fetc%2Fpasswd", True),
    ("backslashes", "..\\monitor2\\leak.wav", False),
    ("link out (/etc/hostname)", "link-out.wav", False),
    ("link to /etc/passwd", "link-passwd.wav", False),
    ("link to a sibling (monitor2)", "link-sibling.wav", False),
    ("link to monitor_bak", "link-bak.wav", False),
    ("link to the parent's file", "link-up.wav", False),
    ("through a linked directory", "linkdir/leak.wav", False),
    ("through a link to '..'", "linkroot/monitor2/leak.wav", False),
    ("NUL", "q.wav%00", True),
    ("NUL alone", "%00", True),
    ("NUL then traversal", "q.wav%00/../../outside.wav", True),
    ("CR LF", "q.wav%0d%0aX-Evil:%201", True),
    ("file with a newline", "nl\nX-Injected: 1.wav", False),
    ("file with a tab", "tab\there.wav", False),
    ("name longer than PATH_MAX", "a/" * 2100 + "q.wav", False),
    ("component longer than NAME_MAX", "x" * 300 + ".wav", False),
]
for label, name, raw in REFUSED:
    refused(label, name, raw)

st, hdr, data = web.get("/api/api.php?cmd=getwavfile&name=q.wav",
                        {"Authorization": "wrong"})
t.is_(st, 401, "no key: 401 before any file access")
served("another tenant, same root", "q.wav", FILES["q.wav"], "q.wav")

# pbxapi serves ranges and preconditions itself (no hand-off configured).
BIG = FILES["big.wav"]
st, hdr, data = get("big.wav")
t.ok(st == 200 and not {"etag", "last-modified", "accept-ranges"} & set(hdr),
     "plain request: no ETag, Last-Modified or Accept-Ranges (reference)")
st, hdr, data = get("big.wav", headers=dict(A, Range="bytes=10-19"))
t.is_((st, data, hdr.get("content-range")),
      (206, BIG[10:20], "bytes 10-19/%d" % len(BIG)),
      "Range through nginx: pbxapi's 206")
t.ok(hdr.get("content-disposition") == 'attachment; filename="big.wav"' and
     hdr.get("accept-ranges") == "bytes" and
     hdr.get("content-type") == "application/octet-stream" and
     hdr.get("content-length") == "10",
     "206: Content-Disposition, Accept-Ranges, type, length")
ETAG = hdr.get("etag", "")
LMOD = hdr.get("last-modified", "")
t.ok(re.match(r'^"[0-9a-f]+-%x"$' % len(BIG), ETAG), "206: nginx's ETag")
t.ok(re.match(r"^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$", LMOD),
     "206: Last-Modified, an IMF-fixdate")
st, hdr, data = get("big.wav", headers=dict(A, Range="bytes=0-1,-2"))
bd = hdr.get("content-type", "").partition("boundary=")[2]
want = ("\r\n--%s\r\nContent-Type: application/octet-stream\r\n"
        "Content-Range: bytes 0-1/%d\r\n\r\n" % (bd, len(BIG))).encode() + \
    BIG[0:2] + ("\r\n--%s\r\nContent-Type: application/octet-stream\r\n"
                "Content-Range: bytes %d-%d/%d\r\n\r\n" %
                (bd, len(BIG) - 2, len(BIG) - 1, len(BIG))).encode() + \
    BIG[-2:] + ("\r\n--%s--\r\n" % bd).encode()
t.is_((st, data, hdr.get("content-length")), (206, want, str(len(want))),
      "two ranges: multipart/byteranges, exact body and length")
st, hdr, data = get("big.wav", headers=dict(A, Range="bytes=999999-"))
t.is_((st, data, hdr.get("content-range")),
      (416, b"", "bytes */%d" % len(BIG)), "unsatisfiable: 416, bytes */size")
t.ok("content-disposition" not in hdr, "416: no Content-Disposition")
st, hdr, data = get("big.wav", headers=dict(A, **{"If-None-Match": ETAG}))
t.is_((st, data, hdr.get("etag")), (304, b"", ETAG),
      "If-None-Match current: 304, no body, the ETag")
st, hdr, data = get("big.wav", headers=dict(A, **{"If-Modified-Since": LMOD}))
t.is_((st, data), (304, b""), "If-Modified-Since = Last-Modified: 304")
st, hdr, data = get("big.wav", headers=dict(A, **{"If-Match": '"stale"'}))
t.is_((st, data), (412, b""), "If-Match stale: 412")
st, hdr, data = get("big.wav", headers=dict(A, Range="bytes=10-19",
                                            **{"If-Range": '"stale-1"'}))
t.is_((st, data), (200, BIG), "If-Range stale: 200, the whole file")
st, hdr, data = get("big.wav", headers=dict(A, Range="bytes=10-19",
                                            **{"If-Range": ETAG}))
t.is_((st, data), (206, BIG[10:20]), "If-Range current: 206")
st, hdr, data = web.request(
    "HEAD", "/api/api.php?cmd=getwavfile&name=big.wav",
    dict(A, **{"If-None-Match": '"other"'}))
t.is_((st, data, hdr.get("content-length"), hdr.get("etag")),
      (200, b"", str(len(BIG)), ETAG),
      "HEAD with a precondition: 200, the length, no body")
lt0 = T.Lighttpd(pool)
st, hdr, data = get("big.wav", web=lt0, headers=dict(A, Range="bytes=5-9"))
t.is_((st, data), (206, BIG[5:10]), "Range through lighttpd: pbxapi's 206")
st, hdr, data = lt0.request(
    "HEAD", "/api/api.php?cmd=getwavfile&name=big.wav",
    dict(A, **{"If-None-Match": '"other"'}))
t.is_((st, data, hdr.get("content-length")), (200, b"", str(len(BIG))),
      "HEAD through lighttpd: 200, the length, no body")
st, hdr, data = get("q.wav", web=lt0, headers=dict(A, Range="bytes=0-3"))
t.is_((st, data), (206, FILES["q.wav"][:4]),
      "lighttpd: the next request on the pool is answered")

# nginx X-Accel-Redirect with the shipped snippet (alias to this root).
pool.stop()
pool2 = T.Pool(settings={"recordings_accel": "/_pbxapi_recordings/"},
               env={"API_SECRET_KEY": KEY, "RECORDINGS_PATH": ROOT},
               extra=extra)
text = T.read(os.path.join(T.ROOT, "deploy", "nginx", "pbxapi.conf"))
t.like(text, "location /_pbxapi_recordings/ {", "snippet: internal location")
text = text.replace("/etc/pbxapi/nginx/", os.path.join(
    T.ROOT, "deploy", "nginx") + "/").replace("/var/spool/asterisk/monitor",
                                              ROOT)
snip = os.path.join(D, "snippet.conf")
T.write(snip, text)
ngx = T.Nginx(pool2, snippet=False,
              locations='set $pbxapi_tenant "";\n include %s;' % snip)
served("X-Accel-Redirect", X, FILES[X], os.path.basename(X), web=ngx)
served("X-Accel-Redirect, quote", 'say "hi".wav', FILES['say "hi".wav'],
       'say \\"hi\\".wav', web=ngx)
served("X-Accel-Redirect, literal %41", "pct%41.wav", FILES["pct%41.wav"],
       "pct%41.wav", web=ngx)
served("X-Accel-Redirect, empty", "empty.wav", b"", "empty.wav", web=ngx)
st, hdr, data = get("big.wav", web=ngx, headers=dict(A, Range="bytes=10-19"))
t.is_((st, data), (206, FILES["big.wav"][10:20]),
      "X-Accel-Redirect: nginx answers the Range, so nginx sent the bytes")
st, hdr, data = get("../monitor2/leak.wav", web=ngx)
t.is_((st, data), (404, NF), "X-Accel-Redirect: traversal still refused")
st, hdr, data = get("link-out.wav", web=ngx)
t.is_((st, data), (404, NF), "X-Accel-Redirect: link out still refused")
st, hdr, data = get("big.wav", web=ngx, headers={"Authorization": KEY2,
                                                  "Range": "bytes=10-19"})
t.is_((st, data, hdr.get("content-range")),
      (206, FILES["big.wav"][10:20], "bytes 10-19/%d" % len(FILES["big.wav"])),
      "tenant without RECORDINGS_ACCEL: pbxapi answers the Range itself")
st, hdr, data = ngx.get("/_pbxapi_recordings/q.wav")
t.is_(st, 404, "the internal location is not reachable from outside")

# lighttpd X-Sendfile with the shipped config.
pool2.stop()
pool3 = T.Pool(settings={"recordings_sendfile": "on"},
               env={"API_SECRET_KEY": KEY, "RECORDINGS_PATH": ROOT})
lt = T.Lighttpd(pool3)
served("X-Sendfile", X, FILES[X], os.path.basename(X), web=lt)
served("X-Sendfile, UTF-8-free quote", 'say "hi".wav',
       FILES['say "hi".wav'], 'say \\"hi\\".wav', web=lt)
st, hdr, data = get("big.wav", web=lt, headers=dict(A, Range="bytes=10-19"))
t.is_((st, data), (206, FILES["big.wav"][10:20]),
      "X-Sendfile: lighttpd answers the Range")
st, hdr, data = get("link-sibling.wav", web=lt)
t.is_((st, data), (404, NF), "X-Sendfile: link to a sibling refused")
t.done()
