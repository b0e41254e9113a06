#!/usr/bin/env python3
# Recording server audio, three ways: streamed by pbxapi itself, handed
# to the real nginx (X-Accel-Redirect) and to the real lighttpd
# (X-Sendfile).  Each must answer ranges as a browser's <audio> asks for
# them (first bytes, middle, suffix, open-ended, past the end, several,
# If-Range with a current and a stale validator), the validators, HEAD;
# then ids that try to leave the root (traversal, encoded traversal,
# links, a FIFO, NUL, long ids), signed URLs (valid, expired, altered,
# another recording's, another tenant's) and the access log.
import email
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T  # noqa: E402
import recordings as R  # noqa: E402

t = T.Tap(timeout=240)
pg = T.Postgres()
stats = R.Stats(pg)
RID = "gw-1768000000.2"
audio = R.audio_dir(("xivocc_gateway-1459435465.15089", RID))
DATA = open(os.path.join(audio, RID + ".wav"), "rb").read()
SIZE = len(DATA)
outside = T.tmpdir("pbxapi-outside-")
T.write(os.path.join(outside, "secret.wav"), "not yours\n")
os.symlink(os.path.join(outside, "secret.wav"),
           os.path.join(audio, "gw-link-out.wav"))
os.symlink(os.path.join(audio, RID + ".wav"),
           os.path.join(audio, "gw-link-in.wav"))
os.mkfifo(os.path.join(audio, "gw-fifo.wav"))
os.mkdir(os.path.join(audio, "gw-dir.wav"))

racc = os.path.join(T.tmpdir("pbxapi-racc-"), "recordings-access.log")
env = R.tenant_env(stats, audio)
other = ("[tenant other]\nPLAY_AUTH_TOKEN = other-tenant-token-0001\n"
         "RECORDING_DB_HOST = %s\nRECORDING_DB_PORT = %d\n"
         "RECORDING_DB_NAME = %s\nRECORDING_DB_USER = test\n"
         "RECORDING_AUDIO_DIR = %s\n" % (pg.host, pg.port, stats.name, audio))
settings = {"recordings.access_log": racc}
plain = T.Pool(env=env, extra=other, settings=settings)
web = T.Nginx(plain)
accel_env = dict(env, RECORDING_AUDIO_ACCEL="/_rec_audio/")
accel = T.Pool(env=accel_env, extra=other, settings=settings)
nginx = T.Nginx(accel, locations="location /_rec_audio/ { internal; "
                "alias %s/; disable_symlinks on from=%s; }" % (audio, audio))
sendfile = T.Pool(env=env, extra=other,
                  settings=dict(settings, recordings_sendfile="on"))
lighttpd = T.Lighttpd(sendfile)
PATH = "/recording/records/%s/audio/listen" % RID


def get(w, path=PATH, headers=None, method="GET"):
    h = dict(R.H)
    h.update(headers or {})
    return w.request(method, path, h)


def parts(hdr, body):
    """The parts of a multipart/byteranges body: [(Content-Range, data)]."""
    msg = email.message_from_bytes(
        b"Content-Type: " + hdr["content-type"].encode() + b"\r\n\r\n" +
        body)
    return [(p["Content-Range"], p.get_payload(decode=True))
            for p in msg.get_payload()]


for name, w in (("pbxapi", web), ("nginx", nginx), ("lighttpd", lighttpd)):
    st, hdr, body = get(w)
    t.is_((st, body == DATA), (200, True), "%s: the whole file" % name)
    t.like(hdr.get("content-type", ""), "audio/", "%s: audio type" % name)
    t.is_(hdr.get("accept-ranges"), "bytes", "%s: Accept-Ranges" % name)
    etag, lm = hdr.get("etag"), hdr.get("last-modified")
    t.ok(etag and lm, "%s: ETag %s and Last-Modified %s" % (name, etag, lm))
    for rng, first, last in (("bytes=0-99", 0, 99),
                             ("bytes=100-199", 100, 199),
                             ("bytes=-100", SIZE - 100, SIZE - 1),
                             ("bytes=%d-" % (SIZE - 10), SIZE - 10, SIZE - 1),
                             ("bytes=0-", 0, SIZE - 1),
                             ("bytes=5-%d" % (SIZE * 2), 5, SIZE - 1)):
        st, hdr, body = get(w, headers={"Range": rng})
        t.is_((st, hdr.get("content-range"), body),
              (206, "bytes %d-%d/%d" % (first, last, SIZE),
               DATA[first:last + 1]), "%s: Range %s" % (name, rng))
    st, hdr, body = get(w, headers={"Range": "bytes=%d-" % SIZE})
    if name == "lighttpd":
        # lighttpd 1.4 answers 416 without Content-Range, and coalesces
        # several ranges into one (docs/recordings.md).
        t.is_(st, 416, "%s: a range past the end is 416" % name)
    else:
        t.is_((st, hdr.get("content-range")), (416, "bytes */%d" % SIZE),
              "%s: a range past the end is 416 */size" % name)
    st, hdr, body = get(w, headers={"Range": "bytes=0-9,20-29"})
    if name == "lighttpd":
        t.is_((st, hdr.get("content-range"), body),
              (206, "bytes 0-29/%d" % SIZE, DATA[0:30]),
              "%s: two close ranges, coalesced into one" % name)
    else:
        ok = st == 206 and \
            "multipart/byteranges" in hdr.get("content-type", "")
        t.ok(ok and parts(hdr, body) == [
            ("bytes 0-9/%d" % SIZE, DATA[0:10]),
            ("bytes 20-29/%d" % SIZE, DATA[20:30])],
            "%s: two ranges, multipart/byteranges" % name)
    st, hdr, body = get(w, headers={"Range": "bytes=10-19",
                                    "If-Range": etag})
    t.is_((st, body), (206, DATA[10:20]), "%s: If-Range, current ETag" % name)
    st, hdr, body = get(w, headers={"Range": "bytes=10-19",
                                    "If-Range": '"0-0"'})
    t.is_((st, body == DATA), (200, True),
          "%s: If-Range, stale ETag: the whole file" % name)
    st, hdr, body = get(w, headers={"Range": "bytes=10-19", "If-Range": lm})
    t.is_((st, body), (206, DATA[10:20]), "%s: If-Range, its date" % name)
    st, hdr, body = get(w, headers={
        "Range": "bytes=10-19", "If-Range": "Mon, 01 Jan 2001 00:00:00 GMT"})
    t.is_((st, body == DATA), (200, True),
          "%s: If-Range, a stale date: the whole file" % name)
    st, hdr, body = get(w, headers={"If-None-Match": etag})
    t.is_((st, body), (304, b""), "%s: If-None-Match: 304" % name)
    # A browser's <audio>: bytes=0-, then a seek with If-Range.
    st1, _, b1 = get(w, headers={"Range": "bytes=0-"})
    st2, h2, b2 = get(w, headers={"Range": "bytes=%d-" % (SIZE // 2),
                                  "If-Range": etag})
    t.is_((st1, st2, b2), (206, 206, DATA[SIZE // 2:]),
          "%s: <audio> plays from 0, then seeks to the middle" % name)
    st, hdr, body = get(w, method="HEAD")
    t.is_((st, body, hdr.get("content-length")), (200, b"", str(SIZE)),
          "%s: HEAD, no body" % name)
    st, hdr, body = get(w, "/recording/records/%s/audio/download" % RID)
    t.is_((st, body == DATA), (200, True), "%s: download" % name)
    t.like(hdr.get("content-disposition", ""), "attachment",
           "%s: download is an attachment" % name)

# ---- the seed's layout and metadata ----
st, hdr, body = get(web, "/records/%s/audio" % RID,
                    {"Accept": "application/json"})
t.is_((st, body == DATA), (200, True),
      "/records/<id>/audio (the seed), Accept: application/json ignored")
st, hdr, data = web.json("/records/%s/audio/metadata" % RID, R.H)
t.is_((st, data["size"], data["contentType"], data["record"]["id"]),
      (200, SIZE, "audio/wav", RID), "metadata: the file and its Record")

# ---- ids that try to leave the root ----
for rid, why in (("..", "dot dot"), ("%2e%2e", "encoded dot dot"),
                 ("..%2f..%2fetc%2fpasswd", "encoded slashes"),
                 (".hidden", "a leading dot"), ("a%00b", "a NUL"),
                 ("a%0d%0ab", "CR LF"), ("x" * 129, "129 bytes"),
                 ("a%20b", "a space"), ("%252e%252e", "double encoding")):
    st, _, body = get(web, "/records/%s/audio" % rid)
    # 403: nginx's snippet denies any path with "/." itself.
    t.ok(st in (400, 403, 404) and b"RIFF" not in body,
         "id %s: refused (%d)" % (why, st))
for rid, why in (("gw-link-out", "a link out of the root"),
                 ("gw-link-in", "a link inside the root"),
                 ("gw-dir", "a directory"), ("gw-missing", "no file")):
    for name, w in (("pbxapi", web), ("nginx", nginx),
                    ("lighttpd", lighttpd)):
        st, _, body = get(w, "/records/%s/audio" % rid)
        t.is_(st, 404, "%s: %s is 404" % (name, why))
t0 = time.time()
st, _, body = get(web, "/records/gw-fifo/audio")
t.ok(st == 404 and time.time() - t0 < 2, "a FIFO: 404 at once")
t.ok(b"not yours" not in body, "nothing outside the root is sent")

# ---- signed URLs ----
st, _, data = web.json("/recording/records/%s/signed_url?ttl=60" % RID,
                       R.H, method="POST")
t.is_(st, 200, "signed_url: 200")
url = data["url"]
t.like(url, "/recording/records/%s/audio/listen?tenant=default&expires="
       % RID, "signed_url: the URL of the listen action, same layout")
st, _, body = web.request("GET", url)
t.is_((st, body == DATA), (200, True), "a signed URL works without a token")
st, _, body = web.request("GET", url, {"Range": "bytes=0-9"})
t.is_((st, body), (206, DATA[:10]), "a signed URL seeks too")
sig = url.rsplit("=", 1)[1]
alt = url[:-1] + ("0" if sig[-1] != "0" else "1")
st, _, data = web.json(alt.replace("?", "?") if False else alt, {})
t.is_(st, 403, "an altered signature: 403")
st, _, _ = web.request("GET", url.replace("expires=", "expires=1"))
t.is_(st, 403, "an altered expiry: 403")
st, _, _ = web.request("GET", url.replace(RID, "xivocc_gateway-"
                                          "1459435465.15089"))
t.is_(st, 403, "another recording's URL: 403")
st, _, _ = web.request("GET", url.replace("tenant=default", "tenant=other"))
t.is_(st, 403, "the URL moved to another tenant: 403")
st, _, _ = web.request("GET", url.replace("/audio/listen?", "/audio/download?"))
t.is_(st, 403, "a listen URL does not download: 403")
st, _, _ = web.request("GET", url.replace("/audio/listen?", "/audio/metadata?"))
t.is_(st, 403, "a signed URL never reads metadata: 403")
st, _, body = web.request("GET", url.replace("/audio/listen?", "/audio?"))
t.is_((st, body == DATA), (200, True),
      "a listen URL also plays at the seed's bare /audio")
st, _, _ = web.request("POST", url.replace(
    "/records/%s/audio/listen" % RID, "/records/search"))
t.ok(st in (401, 403), "a signature does not open search (%d)" % st)
st, _, data = web.json("/records/%s/signed_url?ttl=1&action=download" % RID,
                       R.H, method="POST")
short = data["url"]
t.like(short, "/records/%s/audio/download?" % RID, "the download action")
time.sleep(2.2)
st, _, data = web.json(short, {})
t.is_((st, data.get("error") if isinstance(data, dict) else data),
      (403, "the signed URL has expired"), "an expired URL: 403")
for q in ("?ttl=0", "?ttl=86401", "?action=delete"):
    st, _, _ = web.json("/records/%s/signed_url%s" % (RID, q), R.H,
                        method="POST")
    t.is_(st, 400, "signed_url%s: 400" % q)
st, _, _ = web.json("/records/%s/signed_url" % RID,
                    {"X-Auth-Token": "other-tenant-token-0001"},
                    method="POST")
t.is_(st, 200, "another tenant may sign its own URL")

# ---- the access log ----
lines = [json.loads(line.split(" ", 1)[1])
         for line in T.read(racc).splitlines()]
acts = {(x["action"], x["via"]) for x in lines}
t.ok({("listen", "pbxapi"), ("listen", "nginx"), ("listen", "sendfile"),
      ("download", "pbxapi"), ("metadata", "pbxapi")} <= acts,
     "every listen, download and metadata read is logged, by way")
ok = [x for x in lines if x["id"] == RID and x["status"] == 206 and
      x["via"] == "pbxapi" and x["bytes"] == 100]
t.ok(ok and ok[0]["token"] == "shared" and ok[0]["tenant"] == "default" and
     ok[0]["client"] == "127.0.0.1",
     "a range read: its bytes, status, client, tenant, token")
t.ok(any(x["token"] == "signed" for x in lines), "signed reads say so")
t.ok(any(x["status"] == 404 and x["id"] == "gw-missing" for x in lines),
     "a missing file is logged as 404")
t.ok(all(set(x) == {"request_id", "client", "token", "tenant", "id",
                    "action", "bytes", "status", "via"} for x in lines),
     "every line has the same fields")
t.done()
