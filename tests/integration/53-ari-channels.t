#!/usr/bin/env python3
# The ARI dialect (/ari/channels) over the ARI backend, through the real
# nginx and pool against the ARI double: ARI credentials (Basic and
# api_key, read-only and control scopes, the 401 as Asterisk words it),
# routing (404, 405 with Allow, the trailing slash), validation from the
# table before anything reaches the backend (ARI's texts and status
# lines), and replies passed through (status, Location, body).  A
# backend that is down is a 503 within the deadline.
import base64
import hashlib
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(90)
t = T.Tap()
D = T.tmpdir("pbxapi-ari-")
CTL = os.path.join(D, "control")
PORTF = os.path.join(D, "port")
T.write(CTL, "channels=2\n")
LOG = os.path.join(D, "requests.jsonl")
T.spawn([os.path.join(T.BUILD, "doubles", "ari_double"), "--port-file",
         PORTF, "--control", CTL, "--lifetime", "85", "--log", LOG,
         "--fixtures",
         os.path.join(T.SHARED, "fixtures", "ari")],
        log=os.path.join(D, "double.out"))
T.wait_for(lambda: T.read(PORTF).strip(), what="ari_double port")
PORT = T.read(PORTF).strip()


def basic(user, pw):
    return {"Authorization": "Basic " +
            base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()}


CTRL = basic("app", "app-secret")
RO = basic("viewer", "viewer-secret")
pool = T.Pool(env={"API_SECRET_KEY": "ari-test-key-0123456789",
                   "ARI_ENABLED": "true", "ARI_PORT": PORT},
              status_listen=True,
              extra="token = app:app-secret ari-control\n"
                    "token = viewer:viewer-secret ari-read\n"
                    "token = elastix-only-0123456789 all\n")
web = T.Nginx(pool)


def req(method, path, headers=CTRL, body=None):
    h = dict(headers)
    if body is not None:
        h["Content-Type"] = "application/json"
        body = json.dumps(body)
    return web.request(method, path, h, body)


def message(b):
    try:
        return json.loads(b).get("message")
    except ValueError:
        return None


# --- credentials ---
st, hdr, body = req("GET", "/ari/channels", {})
t.is_((st, body), (401, b'{"message":"Authentication required"}'),
      "no credentials: ARI's 401")
t.is_(hdr.get("www-authenticate"), 'Basic realm="Asterisk REST Interface"',
      "with ARI's realm")
t.is_(hdr.get("cache-control"), "no-cache, no-store", "and Cache-Control")
t.is_(req("GET", "/ari/channels", basic("app", "wrong"))[0], 401,
      "a wrong password: 401")
t.is_(req("GET", "/ari/channels",
          {"Authorization": "elastix-only-0123456789"})[0], 401,
      "a token without an ari scope: 401")
t.is_(req("GET", "/ari/nosuchresource", {})[0], 401,
      "authentication comes before routing (as Asterisk)")
t.is_(req("GET", "/ari/channels?api_key=app:app-secret", {})[0], 200,
      "api_key=user:password works")
t.is_(req("GET", "/ari/channels?api_key=app:wrong", CTRL)[0], 200,
      "a Basic header wins over api_key")
st, _, body = req("POST", "/ari/channels/double-1/hold", RO)
t.is_((st, message(body)), (403, "Write access denied"),
      "a read-only credential cannot control")
t.is_(req("GET", "/ari/channels/double-1", RO)[0], 200,
      "but can read")

# --- routing ---
st, _, body = req("GET", "/ari/channels")
chans = json.loads(body)
t.is_((st, sorted(c["id"] for c in chans)), (200, ["double-1", "double-2"]),
      "list: the backend's channels")
st, _, body = req("GET", "/ari/channels/double-1")
t.is_((st, json.loads(body)["id"]), (200, "double-1"), "get")
t.is_(req("GET", "/ari/channels/nosuch")[:3:2],
      (404, b'{"message":"Channel not found"}'), "get: unknown channel")
st, hdr, body = req("PUT", "/ari/channels")
t.is_((st, message(body), hdr.get("allow")),
      (405, "Invalid method", "OPTIONS,GET,POST"), "405 with Allow")
st, hdr, _ = req("GET", "/ari/channels/double-1/hold")
t.is_((st, hdr.get("allow")), (405, "OPTIONS,POST,DELETE"),
      "405 lists the path's methods")
t.is_((req("GET", "/ari/channels/")[0], message(req("GET",
                                                    "/ari/channels/")[2])),
      (404, "ARI URLs do not end with a slash. Try /ari/channels"),
      "a trailing slash: ARI's 404")
t.is_(message(req("GET", "/ari/nosuchresource")[2]), "Resource not found",
      "an unknown resource: 404")

# --- validation before the backend: ARI's words ---
cases = [
    ("POST", "/ari/channels/double-1/dtmf", None, 400, "DTMF is required"),
    ("POST", "/ari/channels/double-1/dtmf?dtmf=1%0d2", None, 400,
     "Invalid DTMF specified"),
    ("POST", "/ari/channels/double-1/mute", None, 400,
     "Direction is required"),
    ("POST", "/ari/channels/double-1/mute?direction=sideways", None, 400,
     "Invalid direction specified"),
    ("DELETE", "/ari/channels/double-1?reason=bogus", None, 400,
     "Invalid reason for hangup reason provided"),
    ("DELETE", "/ari/channels/double-1?reason=busy&reason_code=17", None,
     400, "The reason and reason_code can't both be specified"),
    ("POST", "/ari/channels?app=x", None, 400, "Endpoint must be specified"),
    ("POST", "/ari/channels?endpoint=nosuch&app=x", None, 400,
     "Invalid endpoint specified"),
    ("POST", "/ari/channels?endpoint=Local/1@t", None, 400,
     "Application or extension must be specified"),
    ("POST", "/ari/channels?endpoint=Local/1@t&app=x&originator=a&formats=ulaw",
     None, 400, "Originator and formats can't both be specified"),
    ("POST", "/ari/channels?endpoint=Local/1@t&app=x", {"variables": {"A": 1}},
     400, "Each value in 'variables' must be a string or an object with "
          "'value' and optional 'report_events'"),
    ("POST", "/ari/channels?endpoint=Local/1@t&app=x",
     {"variables": {"A": {"report_events": True}}}, 400,
     "Each object value in 'variables' must include string field 'value'"),
    ("POST", "/ari/channels?endpoint=Local/1@t&app=x",
     {"variables": {"A": "x\r\nAction: Originate"}}, 400,
     "Invalid variable 'A'"),
    ("POST", "/ari/channels/double-1/play", None, 500,
     "Failed to queue media for playback"),
    ("POST", "/ari/channels/double-1/play?media=sound:x&skipms=-1", None,
     400, "skipms cannot be negative"),
    ("POST", "/ari/channels/double-1/record?name=a&format=wav"
     "&maxDurationSeconds=-5", None, 400,
     "max_duration_seconds cannot be negative"),
    ("POST", "/ari/channels/double-1/record?name=../../etc/x&format=wav",
     None, 400, "Recording name invalid"),
    ("POST", "/ari/channels/double-1/record?name=a&format=wav&ifExists=x",
     None, 400, "ifExists invalid"),
    ("GET", "/ari/channels/double-1/variable", None, 400,
     "Variable name is required"),
    ("POST", "/ari/channels/double-1/snoop?app=x", None, 400,
     "Direction must be specified for at least spy or whisper"),
    ("POST", "/ari/channels/double-1/snoop?spy=sideways&app=x", None, 400,
     "Invalid direction specified for spy"),
    ("POST", "/ari/channels/double-1/snoop?spy=in", None, 400,
     "Application name is required"),
    ("POST", "/ari/channels/double-1/redirect?endpoint=x", None, 422,
     "Endpoint parameter 'x' does not contain tech/resource"),
    ("POST", "/ari/channels/a..b/answer", None, 404, "Channel not found"),
    ("POST", "/ari/channels/externalMedia?external_host=h:1&format=ulaw",
     None, 400, "Application name is required"),
    ("GET", "/ari/channels/double-1/variables", None, 400,
     "Required parameter 'variables' not provided."),
    ("POST", "/ari/channels/double-1/variables", {"variables": {"A": 1}},
     400, "Each value in 'variables' must be a string or an object with "
          "'value' and optional 'report_events'"),
    ("POST", "/ari/channels/double-1/transfer_progress?states=bogus", None,
     400, "Invalid value for parameter 'states'"),
    ("POST", "/ari/channels/double-1/move", None, 400,
     "Application name is required"),
    ("POST", "/ari/channels/a%0d%0ab/answer", None, 404, "Channel not found"),
]
seen = len(T.read(LOG).splitlines())
t.ok(seen > 0, "the double logs the requests it gets (%d so far)" % seen)
for method, path, body, want_st, want_msg in cases:
    st, _, b = req(method, path, body=body)
    t.is_((st, message(b)), (want_st, want_msg), "%s %s" % (method, path))
t.is_(len(T.read(LOG).splitlines()), seen,
      "none of the %d refused requests reached the backend" % len(cases))
st = web.request("POST", "/ari/channels/double-1/redirect", CTRL)[0]
t.is_(st, 400, "redirect without endpoint: 400 (Asterisk's 'Not Found' "
      "status line)")

# --- passed through ---
st, hdr, body = req("POST", "/ari/channels/double-1/dtmf?dtmf=123%23")
t.is_((st, body), (204, b""), "sendDTMF: 204, no body")
st, hdr, body = req("POST", "/ari/channels/double-1/play?media=sound:hello-world")
t.is_(st, 201, "play: 201")
t.like(hdr.get("location", ""), "/ari/playbacks/", "with Location")
t.is_(json.loads(body)["state"], "queued", "and the Playback")
st, _, body = req(
    "POST", "/ari/channels?endpoint=Local/600@test&app=pbxapi&callerId="
    "ARI%20Test%20%3C5554000%3E")
ch = json.loads(body)
t.is_((st, ch["caller"]), (200, {"name": "ARI Test", "number": "5554000"}),
      "originate: the Channel")
st, _, body = req("POST", "/ari/channels/fixture-ari-2",
                  body={"endpoint": "Local/600@test", "app": "pbxapi",
                        "variables": {"FIXTURE_ORIG_VAR": "v1",
                                      "CALLERID(name)": "Fixture Two"}})
two = json.loads(body) if st == 200 else {}
t.is_((st, two.get("id"), two.get("caller", {}).get("name")),
      (200, "fixture-ari-2", "Fixture Two"),
      "originateWithId from a JSON body: parameters and variables reach "
      "Asterisk")
t.is_(req("DELETE", "/ari/channels/fixture-ari-2")[0], 204,
      "  (hung up again)")
t.is_(req("GET", "/ari/channels/double-1/variable?variable=FOO")[:3:2],
      (200, b'{"value":"bar"}'), "getChannelVar")
t.is_(req("POST", "/ari/channels/double-1/variable",
          body={"variable": "X", "value": "y"})[0], 204,
      "setChannelVar from a JSON body")
t.is_(req("DELETE", "/ari/channels/%s" % ch["id"])[0], 204, "hangup")
t.is_(req("GET", "/ari/channels/%s" % ch["id"])[0], 404, "and it is gone")
st, _, body = req("POST", "/ari/channels?endpoint=NoSuchTech/100&app=pbxapi")
t.is_((st, body), (500, b'{"error":"Allocation failed"}'),
      "ARI's one non-message error body passes through")

st, _, body = req("GET", "/ari/api-docs/channels.json", RO)
ari_paths = {o["nickname"]: a["path"] for a in json.loads(body)["apis"]
             for o in a["operations"]}
# --- hostile input in every parameter of every operation ---
# Generated from the table (pbxapi -L), so a new row is covered: for each
# operation, each query/body parameter in turn holds CR LF (then NUL),
# the others valid-looking; path parameters get the same in the path.
# Whatever the answer, it is an error, and nothing reaches Asterisk.
rows = [ln.split() for ln in subprocess.run(
    [os.path.join(T.BUILD, "pbxapi"), "-L"], capture_output=True,
    text=True).stdout.splitlines() if ln.startswith("ari ")]
seen = len(T.read(LOG).splitlines())
tried, bad = 0, []
for row in rows:
    name, method = row[1], row[2].split(",")[0]
    if name in ("resources", "channelsDoc", "eventsAuth"):
        continue
    path = ari_paths[name]
    params = [p.split(":") for p in row[4:]]
    for i, (pname, src, _, _) in enumerate(params):
        if src == "body":
            continue
        for evil in ("x%0D%0AAction:%20Originate", "x%00y"):
            url = path
            query = []
            for j, (qname, qsrc, _, _) in enumerate(params):
                val = evil if i == j else "double-1"
                if qsrc == "path":
                    url = url.replace("{%s}" % qname, val)
                elif qsrc != "body":
                    query.append("%s=%s" % (qname, val))
            url = "/ari" + url + ("?" + "&".join(query) if query else "")
            st = req(method, url)[0]
            tried += 1
            if st < 400:
                bad.append((name, pname, st))
t.is_(bad, [], "%d hostile requests (CR LF or NUL in each parameter of "
      "each operation) all refused" % tried)
t.is_(len(T.read(LOG).splitlines()), seen, "and none reached the backend")

# --- api-docs, generated from the table ---
t.is_(req("GET", "/ari/api-docs/resources.json", {})[0], 401,
      "api-docs need credentials (as Asterisk)")
st, hdr, body = req("GET", "/ari/api-docs/resources.json", RO)
res = json.loads(body)
t.is_((st, res["swaggerVersion"], [a["path"] for a in res["apis"]]),
      (200, "1.1", ["/api-docs/channels.{format}"]),
      "resources.json lists the channels resource")
t.is_(res.get("basePath"), "http://127.0.0.1:%d/ari" % web.port,
      "basePath is http:// + Host + /ari")
st, _, body = req("GET", "/ari/api-docs/channels.json", RO)
doc = json.loads(body)
ops = {o["nickname"]: (a["path"], o) for a in doc["apis"]
       for o in a["operations"]}
lst = subprocess.run([os.path.join(T.BUILD, "pbxapi"), "-L"],
                   capture_output=True, text=True).stdout.splitlines()
table = {ln.split()[1]: ln.split() for ln in lst if ln.startswith("ari ")
         and ln.split()[1] not in ("resources", "channelsDoc",
                                   "eventsAuth")}
t.is_(sorted(ops), sorted(table), "channels.json has every operation of "
      "the table (%d), and only those" % len(table))
same = [n for n in table if n in ops and
        ops[n][1]["httpMethod"] == table[n][2] and
        [p["name"] for p in ops[n][1]["parameters"]] ==
        [x.split(":")[0] for x in table[n][4:]]]
t.is_(sorted(same), sorted(table), "with the table's method and parameters")
path, mute = ops["mute"]
t.is_(path, "/channels/{channelId}/mute", "paths are the routes served")
d = [p for p in mute["parameters"] if p["name"] == "direction"][0]
t.is_((d["required"], d["allowableValues"]),
      (True, {"valueType": "LIST", "values": ["both", "in", "out"]}),
      "allowed values come from the validation table")
t.ok({"code": 400, "reason": "Direction is required"} in
     mute["errorResponses"], "errorResponses carry ARI's texts")
t.ok(all(m in doc["models"] for m in ("Channel", "CallerID", "DialplanCEP",
                                       "Playback", "Variable")),
     "the models are there")
t.is_(req("POST", "/ari/api-docs/channels.json")[0], 405,
      "api-docs: GET only")

# --- /ari/events: nginx proxies the websocket after auth_request ---
def ws_open(query, auth):
    """Opens /ari/events through nginx; returns (status line, headers
    text, first frame's text or None, socket, key)."""
    s = socket.create_connection(("127.0.0.1", web.port), timeout=20)
    key = base64.b64encode(os.urandom(16)).decode()
    head = ("GET /ari/events?%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
            % (query, key))
    for k, v in auth.items():
        head += "%s: %s\r\n" % (k, v)
    s.sendall((head + "\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        c = s.recv(4096)
        if not c:
            break
        data += c
    top, _, rest = data.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    frame = None
    if lines[0].startswith("HTTP/1.1 101"):
        while len(rest) < 4:
            rest += s.recv(4096)
        n, off = rest[1] & 0x7F, 2
        if n == 126:
            n, off = int.from_bytes(rest[2:4], "big"), 4
        while len(rest) < off + n:
            rest += s.recv(65536)
        frame = (rest[0] & 0x0F, rest[off:off + n].decode())
    return lines[0], "\r\n".join(lines[1:]), frame, s, key, rest


line, hdrs, frame, sock, key, _ = ws_open("app=myapp&subscribeAll=true", RO)
accept = base64.b64encode(hashlib.sha1(
    (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
t.is_(line, "HTTP/1.1 101 Switching Protocols",
      "events: the websocket opens through nginx")
t.like(hdrs, "Sec-WebSocket-Accept: " + accept, "with the right accept key")
t.ok(frame is not None and frame[0] == 1 and
     json.loads(frame[1]).get("application") == "myapp",
     "Asterisk's events arrive as text frames for the app")
st, _, s = web.json("/status?json")
t.is_((st, s["active processes"]), (200, 0),
      "no pbxapi worker holds the open websocket")
ev = [json.loads(x) for x in T.read(LOG).splitlines()]
up = [x for x in ev if "/ari/events" in x.get("raw", "")][-1:]
t.ok(up and "app=myapp&subscribeAll=true" in up[0]["raw"] and
     base64.b64encode(b"ari_user:ari_password").decode() in up[0]["raw"],
     "Asterisk got the app and pbxapi's own ARI account")
sock.close()
line, hdrs, _, sock, _, rest = ws_open("app=myapp", {})
t.is_(line, "HTTP/1.1 401 Unauthorized", "events without credentials: 401")
t.like(hdrs, 'WWW-Authenticate: Basic realm="Asterisk REST Interface"',
       "with ARI's realm")
t.like(rest.decode("latin-1"), '{"message":"Authentication required"}',
       "and ARI's body")
sock.close()
line, _, frame, sock, _, _ = ws_open("app=x&api_key=viewer:viewer-secret", {})
t.is_(line, "HTTP/1.1 101 Switching Protocols", "events with api_key")
ev = [json.loads(x) for x in T.read(LOG).splitlines()]
up = [x for x in ev if "/ari/events" in x.get("raw", "")][-1:]
t.ok(up and "api_key" not in up[0]["raw"],
     "the client's api_key never reaches Asterisk")
sock.close()
t.is_(req("GET", "/ari/_events_auth?app=x")[0], 404,
      "the auth endpoint is nginx's internal business")

# --- backend faults: a clear 503 ---
workers = sorted(pool.workers())
for fault in ("refuse", "html404", "close", "truncate", "garbage", "stall"):
    T.write(CTL, "fault=%s\n" % fault)
    t0 = time.time()
    st, hdr, body = req("GET", "/ari/channels")
    el = time.time() - t0
    t.is_((st, message(body)), (503, "Asterisk REST Interface unavailable"),
          "backend fault '%s': 503 (%.1f s)" % (fault, el))
    t.is_(hdr.get("content-type"), "application/json", "  as JSON")
# backend_timeout is 5 s: the stalled backend is given up on by then
# (the bound leaves room for a loaded machine; without a deadline the
# request would hang until nginx's 60 s).
t.ok(el < 30, "the stalled backend's 503 came within the deadline")
T.write(CTL, "channels=2\n")
t.is_(req("GET", "/ari/channels")[0], 200, "and it serves again")
t.is_(sorted(pool.workers()), workers, "no worker died on the way")

# --- tenants without ARI: AMI, or the event socket for FusionPBX ---
pool2 = T.Pool(env={"API_SECRET_KEY": "ari-test-key-0123456789",
                    "AMI_HOST": "127.0.0.1",
                    "AMI_PORT": str(T.free_port())},
               extra="token = app:app-secret ari-control\n"
                     "[tenant fpx]\nFUSIONPBX_CONFIG = /nonexistent\n"
                     "token = fpx:fpx-secret ari-control\n")
web2 = T.Nginx(pool2)
st, _, body = web2.request("POST", "/ari/channels/x/answer", CTRL)
t.is_((st, message(body)), (501, "answer is not supported by the AMI "
                            "backend"),
      "no ARI and no FUSIONPBX_* settings: the AMI backend (even as the "
      "lone default tenant)")
st, _, body = web2.request("GET", "/ari/channels", CTRL)
t.is_((st, message(body)), (503, "Asterisk Manager Interface unavailable"),
      "which reaches AMI for a list (here refused: 503)")
st, _, body = web2.request("GET", "/ari/channels", basic("fpx", "fpx-secret"))
t.is_((st, message(body)), (500, "Event socket backend not configured"),
      "FUSIONPBX_* settings: the event socket backend (here without "
      "FUSIONPBX_DOMAIN; 55-ari-esl.t has the rest)")
t.done()
