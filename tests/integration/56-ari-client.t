#!/usr/bin/env python3
# pbxapi's /ari driven the way ARI client libraries drive Asterisk
# (ari-py through swaggerpy, node-ari-client through swagger-client):
# discover the API from /ari/api-docs/resources.json, load each
# resource's document from basePath, build the operations from it (path
# templates, methods, query and path parameters), call them by nickname,
# and open the events websocket for the app, with Basic auth and with
# api_key.  Nothing here knows pbxapi's paths but the base URL.
import base64
import hashlib
import json
import os
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(90)
t = T.Tap()
D = T.tmpdir("pbxapi-ari-client-")
CTL = os.path.join(D, "control")
PORTF = os.path.join(D, "port")
T.write(CTL, "channels=1\n")
T.spawn([os.path.join(T.BUILD, "doubles", "ari_double"), "--port-file",
         PORTF, "--control", CTL, "--lifetime", "85", "--fixtures",
         os.path.join(T.SHARED, "fixtures", "ari")],
        log=os.path.join(D, "double.out"))
T.wait_for(lambda: T.read(PORTF).strip(), what="ari_double port")
pool = T.Pool(env={"API_SECRET_KEY": "ari-client-key-0123456789",
                   "ARI_ENABLED": "true",
                   "ARI_PORT": T.read(PORTF).strip()},
              extra="token = client:client-secret ari-control\n")
web = T.Nginx(pool)
BASE = "http://127.0.0.1:%d/ari" % web.port


class Client:
    """A minimal swagger-driven ARI client, as the libraries are."""

    def __init__(self, base, user, password, api_key=False):
        self.user, self.password, self.api_key = user, password, api_key
        self.ops = {}
        res = self.fetch(base + "/api-docs/resources.json")
        for api in res["apis"]:
            url = res["basePath"] + api["path"].replace("{format}", "json")
            doc = self.fetch(url)
            for entry in doc["apis"]:
                for op in entry["operations"]:
                    self.ops[op["nickname"]] = (doc["basePath"] +
                                                entry["path"], op)

    def _open(self, method, url, body=None):
        headers = {}
        if self.api_key:
            url += ("&" if "?" in url else "?") + "api_key=" + \
                urllib.parse.quote("%s:%s" % (self.user, self.password))
        else:
            headers["Authorization"] = "Basic " + base64.b64encode(
                ("%s:%s" % (self.user, self.password)).encode()).decode()
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(body).encode()
        req = urllib.request.Request(url, data=body, headers=headers,
                                     method=method)
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def fetch(self, url):
        st, body = self._open("GET", url)
        if st != 200:
            raise RuntimeError("%s: %d" % (url, st))
        return json.loads(body)

    def call(self, nickname, **kw):
        """Calls an operation by nickname with its parameters."""
        url, op = self.ops[nickname]
        query = {}
        for p in op["parameters"]:
            if p["name"] not in kw:
                if p["required"] and p["paramType"] != "body":
                    raise TypeError("%s needs %s" % (nickname, p["name"]))
                continue
            v = kw.pop(p["name"])
            if p["paramType"] == "path":
                url = url.replace("{%s}" % p["name"],
                                  urllib.parse.quote(v, safe=""))
            elif p["paramType"] == "query":
                query[p["name"]] = v
        if kw:
            raise TypeError("%s has no %s" % (nickname, sorted(kw)))
        if query:
            url += "?" + urllib.parse.urlencode(query)
        st, body = self._open(op["httpMethod"], url)
        return st, (json.loads(body) if body else None)


c = Client(BASE, "client", "client-secret")
t.ok(len(c.ops) >= 28, "discovered %d operations from api-docs" %
     len(c.ops))
st, chans = c.call("list")
t.is_((st, [x["id"] for x in chans]), (200, ["double-1"]), "list")
st, ch = c.call("originate", endpoint="Local/600@test", app="client",
                callerId="Client <100>")
t.is_((st, ch["caller"]["number"]), (200, "100"), "originate")
st, got = c.call("get", channelId=ch["id"])
t.is_((st, got["id"]), (200, ch["id"]), "get by the id it returned")
t.is_(c.call("sendDTMF", channelId="double-1", dtmf="12")[0], 204,
      "sendDTMF")
st, var = c.call("getChannelVar", channelId="double-1", variable="FOO")
t.is_((st, var), (200, {"value": "bar"}), "getChannelVar")
st, err = c.call("mute", channelId="double-1", direction="sideways")
t.is_((st, err), (400, {"message": "Invalid direction specified"}),
      "an error comes back as ARI's message")
t.is_(c.call("hangup", channelId=ch["id"], reason="normal")[0], 204,
      "hangup")
t.is_(c.call("get", channelId=ch["id"])[0], 404, "gone after hangup")

k = Client(BASE, "client", "client-secret", api_key=True)
t.is_(k.call("list")[0], 200, "the same client with api_key")
try:
    Client(BASE, "client", "wrong")
    t.ok(False, "a wrong password cannot discover the API")
except RuntimeError as e:
    t.like(str(e), ": 401", "a wrong password cannot discover the API")

# The events websocket, at basePath's /events, for the client's app.
u = urllib.parse.urlparse(BASE)
s = socket.create_connection((u.hostname, u.port), timeout=20)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET %s/events?app=client HTTP/1.1\r\nHost: %s\r\n"
           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
           "Authorization: Basic %s\r\n\r\n" % (
               u.path, u.netloc, key,
               base64.b64encode(b"client:client-secret").decode()))
          .encode())
data = b""
while b"\r\n\r\n" not in data:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
head, _, rest = data.partition(b"\r\n\r\n")
accept = base64.b64encode(hashlib.sha1(
    (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
t.ok(head.startswith(b"HTTP/1.1 101") and accept in head,
     "the events websocket opens for the app")
while len(rest) < 4:
    rest += s.recv(4096)
n, off = rest[1] & 0x7F, 2
if n == 126:
    n, off = int.from_bytes(rest[2:4], "big"), 4
while len(rest) < off + n:
    rest += s.recv(65536)
event = json.loads(rest[off:off + n])
t.is_(event.get("application"), "client", "and its events arrive")
s.close()
t.done()
