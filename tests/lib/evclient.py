"""Event clients for the tests of the event-driven doubles and the event
companion: a tiny RFC 6455 websocket client (ARI /ari/events), an AMI
event reader, a FreeSWITCH event-socket reader, and the doubles' world
control socket (tests/doubles/README).  Python stdlib only.

Every reader has next(timeout) -> one event (or None on timeout, raising
EOFError when the peer closed) and wait_for(pred, timeout) that returns
the events read through the first matching one."""

import base64
import json
import os
import socket
import time


class Closed(EOFError):
    pass


class _Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except OSError as e:
            raise Closed(str(e))
        if not data:
            raise Closed("peer closed")
        self.buf += data
        return True

    def wait_for(self, pred, timeout=10):
        """Events read until pred(event) holds (the match included);
        raises TimeoutError with what was read when it does not."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            ev = self.next(max(0.0, deadline - time.monotonic()))
            if ev is None:
                raise TimeoutError("no match after %r" % (seen,))
            seen.append(ev)
            if pred(ev):
                return seen

    def closed(self, timeout=5):
        """True once the peer closes the connection within timeout
        (events still in flight are read and dropped)."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.next(max(0.0, deadline - time.monotonic()))
        except EOFError:
            return True
        return False

    def close(self):
        self.sock.close()



class SSE(_Reader):
    """A Server-Sent Events subscriber on a plain HTTP/1.1 connection to
    127.0.0.1:port: status and head, then next() -> {"event", "id",
    "data"} (data as JSON) or None on timeout; comment lines (nchan's
    keepalives) are skipped."""

    def __init__(self, port, path, headers=None, timeout=10):
        sock = socket.create_connection(("127.0.0.1", port), timeout)
        super().__init__(sock)
        head = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Accept: text/event-stream\r\n" % path)
        for k, v in (headers or {}).items():
            head += "%s: %s\r\n" % (k, v)
        sock.sendall((head + "\r\n").encode())
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if not self._fill(deadline):
                raise TimeoutError("no reply head")
        top, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.head = top.decode("latin-1")
        self.status = int(self.head.split(" ", 2)[1])

    def next(self, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            self.buf = self.buf.replace(b"\r\n", b"\n")
            if b"\n\n" in self.buf:
                block, _, self.buf = self.buf.partition(b"\n\n")
                ev = {}
                for line in block.decode().split("\n"):
                    k, _, v = line.partition(":")
                    if k in ("event", "id", "data"):
                        ev[k] = v[1:] if v.startswith(" ") else v
                if "data" in ev:
                    ev["data"] = json.loads(ev["data"])
                    return ev
                continue
            if not self._fill(deadline):
                return None

class WebSocket(_Reader):
    """A client websocket (RFC 6455): masked frames out, text frames in."""

    def __init__(self, host, port, path, headers=None, timeout=10):
        sock = socket.create_connection((host, port), timeout=timeout)
        super().__init__(sock)
        key = base64.b64encode(os.urandom(16)).decode()
        head = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                "Sec-WebSocket-Version: 13\r\n" % (path, host, port, key))
        for k, v in (headers or {}).items():
            head += "%s: %s\r\n" % (k, v)
        sock.sendall((head + "\r\n").encode())
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if not self._fill(deadline):
                raise TimeoutError("no websocket handshake")
        top, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.status = top.split(b"\r\n")[0].decode("latin-1")
        self.head = top.decode("latin-1")
        if " 101 " not in self.status:
            raise Closed("handshake refused: " + self.status)

    def frame(self, timeout):
        """(opcode, payload bytes) or None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            b = self.buf
            if len(b) >= 2:
                n, off = b[1] & 0x7F, 2
                if n == 126 and len(b) >= 4:
                    n, off = int.from_bytes(b[2:4], "big"), 4
                elif n == 127 and len(b) >= 10:
                    n, off = int.from_bytes(b[2:10], "big"), 10
                if n < 126 or off > 2:
                    if len(b) >= off + n:
                        self.buf = b[off + n:]
                        if b[0] & 0x0F == 8:
                            self.close_data = b[off:off + n]
                            raise Closed("close frame")
                        return b[0] & 0x0F, b[off:off + n]
            if not self._fill(deadline):
                return None

    def next(self, timeout=10):
        """The next text frame as JSON, or None on timeout."""
        f = self.frame(timeout)
        return None if f is None else json.loads(f[1].decode())

    def send_text(self, text):
        self.send_frame(1, text.encode())

    def send_frame(self, op, data):
        """One masked frame of opcode op (1 text, 8 close, 9 ping)."""
        mask = os.urandom(4)
        n = len(data)
        head = bytes([0x80 | op])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        self.sock.sendall(head + mask +
                          bytes(c ^ mask[i % 4] for i, c in enumerate(data)))


def parse_headers(text):
    """AMI/ESL header lines as a dict (the first of a repeated name)
    plus the list of names in order under the key None."""
    d, names = {}, []
    for line in text.split("\n"):
        line = line.rstrip("\r")
        k, sep, v = line.partition(":")
        if not sep:
            continue
        names.append(k)
        d.setdefault(k, v.strip())
    d[None] = names
    return d


class AMI(_Reader):
    """An AMI connection: login (events on by default), actions, and the
    messages that follow (responses and events alike, as dicts)."""

    def __init__(self, port, user="admin", secret="amp111", events="on",
                 timeout=10):
        super().__init__(socket.create_connection(("127.0.0.1", port),
                                                  timeout=timeout))
        deadline = time.monotonic() + timeout
        while b"\r\n" not in self.buf:
            if not self._fill(deadline):
                raise TimeoutError("no AMI greeting")
        self.greeting, _, self.buf = self.buf.partition(b"\r\n")
        self.login = self.action("Login", Username=user, Secret=secret,
                                 Events=events)

    def send(self, action, **h):
        msg = "Action: %s\r\n" % action
        for k, v in h.items():
            msg += "%s: %s\r\n" % (k, v)
        self.sock.sendall((msg + "\r\n").encode())

    def action(self, action, timeout=10, **h):
        """Sends an action with a fresh ActionID; returns its Response
        (events read meanwhile stay queued in self.pending)."""
        aid = "t-%d" % time.monotonic_ns()
        self.send(action, ActionID=aid, **h)
        seen = self.wait_for(
            lambda m: "Response" in m and m.get("ActionID") == aid, timeout)
        self.pending = getattr(self, "pending", []) + seen[:-1]
        return seen[-1]

    def next(self, timeout=10):
        pend = getattr(self, "pending", [])
        if pend:
            return pend.pop(0)
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if not self._fill(deadline):
                return None
        msg, _, self.buf = self.buf.partition(b"\r\n\r\n")
        return parse_headers(msg.decode("latin-1"))


class ESL(_Reader):
    """A FreeSWITCH inbound event socket: auth, commands, and the
    packets that follow; events as dicts (event-json bodies decoded,
    with the envelope in "_headers")."""

    def __init__(self, port, password="ClueCon", timeout=10):
        super().__init__(socket.create_connection(("127.0.0.1", port),
                                                  timeout=timeout))
        greet = self.packet(timeout)
        if greet is None or greet[0].get("Content-Type") != "auth/request":
            raise Closed("no auth/request greeting")
        self.queue = []
        self.auth = self.command("auth " + password)

    def packet(self, timeout):
        """(headers dict, body str) of the next packet, or None."""
        deadline = time.monotonic() + timeout
        while b"\n\n" not in self.buf:
            if not self._fill(deadline):
                return None
        head, _, rest = self.buf.partition(b"\n\n")
        h = parse_headers(head.decode("latin-1"))
        n = int(h.get("Content-Length", "0"))
        while len(rest) < n:
            self.buf = head + b"\n\n" + rest
            if not self._fill(deadline):
                return None
            head, _, rest = self.buf.partition(b"\n\n")
        self.buf = rest[n:]
        return h, rest[:n].decode("latin-1")

    def command(self, cmd, timeout=10):
        """Sends a command; returns its reply (headers, body); events
        read meanwhile stay queued."""
        self.sock.sendall((cmd + "\n\n").encode())
        deadline = time.monotonic() + timeout
        while True:
            p = self.packet(max(0.0, deadline - time.monotonic()))
            if p is None:
                raise TimeoutError("no reply to %r" % cmd)
            if p[0].get("Content-Type") in ("command/reply", "api/response"):
                return p
            self.queue.append(p)

    def next(self, timeout=10):
        p = self.queue.pop(0) if self.queue else self.packet(timeout)
        if p is None:
            return None
        h, body = p
        if h.get("Content-Type") == "text/event-json":
            ev = json.loads(body)
        elif h.get("Content-Type") == "text/event-plain":
            ev = {k: v for k, v in parse_headers(body).items() if k}
        else:
            ev = {"_body": body}
        ev["_headers"] = h
        return ev


class Control:
    """A double's world control socket (--world PATH): one command a
    line, one reply line."""

    def __init__(self, path, timeout=10):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""

    def __call__(self, line):
        self.sock.sendall(line.encode() + b"\n")
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise Closed("control socket closed")
            self.buf += data
        reply, _, self.buf = self.buf.partition(b"\n")
        return reply.decode()

    def ok(self, line):
        """The reply's text after "ok"; raises on an error reply."""
        r = self(line)
        if not r.startswith("ok"):
            raise RuntimeError("%s: %s" % (line, r))
        return r[3:]

    def rule(self, **r):
        return self.ok("rule " + json.dumps(r))

    def inject(self, raw):
        return self.ok("inject " + raw.replace("\\", "\\\\")
                       .replace("\r", "\\r").replace("\n", "\\n"))

    def state(self):
        return json.loads(self("state"))

    def close(self):
        self.sock.close()


def wait_until(fn, timeout=10, step=0.01):
    """Polls fn() until it returns a true value (returned), or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return None
