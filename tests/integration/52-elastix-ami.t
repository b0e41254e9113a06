#!/usr/bin/env python3
# The AMI commands of the ?cmd= dialect (elastix-api.md §5.2, §5.4-§5.7,
# §5.22) through nginx and the pool against build/doubles/ami_double
# replaying shared/fixtures/ami: the login and action frames on the wire,
# one persistent connection per worker and tenant, each command's output,
# both Command forms, hostile values that must never reach AMI (CR, LF,
# NUL, huge, invalid UTF-8), and faults (refused, auth-fail, closed
# mid-reply, stalled, slow-drip, coalesced events, garbage, chatty): a
# 503 JSON within the deadline, the same worker, and a reconnect.
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(240)
t = T.Tap()
KEY = "ami-key-0123456789abcdef0123456789"
D = T.tmpdir("pbxapi-ami-")
SCEN = os.path.join(D, "scenario.json")
LOG = os.path.join(D, "ami.jsonl")
PORTF = os.path.join(D, "port")
FX = os.path.join(T.SHARED, "fixtures", "ami")


def scenario(rules=(), **kw):
    """Replaces the double's scenario (atomically; re-read per request)."""
    doc = dict(kw, auth_delay_ms=0, rules=list(rules))
    T.write(SCEN + ".tmp", json.dumps(doc))
    os.rename(SCEN + ".tmp", SCEN)


scenario()
T.spawn([os.path.join(T.BUILD, "doubles", "ami_double"), "--port-file",
         PORTF, "--scenario", SCEN, "--log", LOG, "--lifetime", "230",
         "--fixtures", FX], log=os.path.join(D, "double.out"))
T.wait_for(lambda: os.path.exists(PORTF), what="ami_double port file")
PORT = int(T.read(PORTF))
CLOSED = T.closed_port()

TENANTS = {
    "fpbx": {"PBX_DRIVER": "freepbx"},
    "sip": {"CHAN_DRIVER": "sip"},
    "down": {"AMI_PORT": str(CLOSED)},
    "badauth": {"AMI_SECRET": "wrong"},
    "nogreet": {}, "chatty": {}, "flood": {}, "old": {}, "fresh": {},
    "fresh2": {},
}
ami = {"AMI_HOST": "127.0.0.1", "AMI_PORT": str(PORT),
       "AMI_USERNAME": "admin", "AMI_SECRET": "amp111",
       "AMI_CONF_PATH": "/nonexistent"}
extra = ""
TOK = {}
for name, keys in TENANTS.items():
    TOK[name] = (name + "-tok-0123456789abcdef0123456789")[:40]
    extra += "[tenant %s]\ntoken = %s\n" % (name, TOK[name])
    extra += "".join("%s = %s\n" % kv for kv in dict(ami, **keys).items())
pool = T.Pool(settings={"pm.max_children": "1", "backend_timeout": "1s"},
              env=dict(ami, API_SECRET_KEY=KEY), extra=extra)
web = T.Nginx(pool)


def req(cmd, key=KEY, query="", body=None):
    h = {"Authorization": TOK.get(key, key)}
    path = "/api/api.php?cmd=" + cmd + query
    t0 = time.time()
    if body is None:
        st, hdr, data = web.get(path, h)
    else:
        st, hdr, data = web.post(path, body, h,
                                 "application/x-www-form-urlencoded")
    return st, hdr, data, time.time() - t0


def sent(frame, name):
    """The last frame the double received is exactly frame (a regular
    expression of bytes)."""
    return t.ok(re.fullmatch(frame, last_frame(msgs())), name)


def scripted(rules, want, name, cmd, key=KEY, **kw):
    """With the double playing rules, cmd answers exactly want; then the
    default scenario again."""
    scenario(rules)
    t.is_(req(cmd, key, **kw)[2], want, name)
    scenario()


def logged():
    return [json.loads(x) for x in T.read(LOG).splitlines() if x.strip()]


def msgs(since=0):
    """Client messages the double received, as (conn, bytes)."""
    return [(m["conn"], m["raw"].encode("latin-1"))
            for m in logged()[since:] if "raw" in m]


def accepts():
    return sum(1 for m in logged() if m.get("event") == "accept")


def fixture(name):
    with open(os.path.join(FX, name + ".txt"), "rb") as f:
        return f.read()


def no_id(b):
    """A fixture reply as pbxapi passes it on: ActionID lines gone."""
    return re.sub(rb"(?im)^ActionID: [^\r\n]*\r\n", b"", b)


def php_json(v):
    return json.dumps(v, separators=(",", ":")).replace("/", "\\/").encode()


def php_blocks(text, more_than):
    """The reference's AMI block parser (spec §3.1)."""
    out, blk = [], {}
    for line in text.split(b"\n"):
        line = line.rstrip(b"\r\n")
        if not line:
            if len(blk) > more_than:
                out.append(blk)
            blk = {}
            continue
        if b": " in line:
            k, v = line.split(b": ", 1)
            blk[k.decode()] = v.decode()
    if len(blk) > more_than:
        out.append(blk)
    return out


def upto_line(text, needle):
    i = text.index(needle)
    return text[:text.index(b"\n", i) + 1]


def activecall_expected(lines):
    """The reference's column algorithm (spec §5.4) on exec()'s lines."""
    lines = [x.rstrip() for x in lines]
    if not lines:
        return []
    head = re.split(r"\s+", lines[0].strip())
    words = re.split(r"\s+", lines[0])
    runs = [len(m) for m in re.findall(r"\s+", lines[0])]
    width = [len(w) + (runs[i] if i < len(runs) else 0)
             for i, w in enumerate(words)]
    out = []
    for line in lines[1:]:
        if len(line) <= 100:
            out.append(line.strip())
            continue
        o, rest = {}, line
        for i, w in enumerate(width):
            k = head[i] if i < len(head) else "col%d" % i
            if k == "BridgedTo":
                o[k] = rest.strip()
            else:
                o[k], rest = rest[:w].strip(), rest[w:]
        out.append(o)
    return out


def output_lines(reply):
    return [l[8:].decode() for l in reply.split(b"\r\n")
            if l.startswith(b"Output: ")]


def last_frame(conn_msgs):
    return conn_msgs[-1][1] if conn_msgs else b""


def error(data):
    try:
        return json.loads(data).get("error")
    except (ValueError, AttributeError):
        return None


TEXT = "text/plain;charset=UTF-8"
worker = pool.workers()[0]

# --- sippeers (PJSIP): login frame, action frame, framing of the result
st, hdr, data, _ = req("sippeers")
t.is_(st, 200, "sippeers: 200")
t.is_(hdr.get("content-type"), "application/json", "sippeers: JSON")
want = php_blocks(upto_line(no_id(fixture("PJSIPShowEndpoints")),
                            b"EndpointListComplete"), 0)
t.is_(data, php_json(want),
      "sippeers: response block first, every endpoint, "
      "{\"Event\":\"EndpointListComplete\"} last")
t.is_(json.loads(data)[-1], {"Event": "EndpointListComplete"},
      "sippeers: the terminator block holds one key")
m = msgs()
t.is_(m[0][1], b"Action: login\r\nUsername: admin\r\nSecret: amp111\r\n"
      b"Events: off\r\n\r\n", "login frame: lower-case login, Events: off")
t.ok(re.fullmatch(rb"Action: PJSIPShowEndpoints\r\nActionID: pbxapi-\d+-1"
                  rb"\r\n\r\n", m[1][1]), "action frame with an ActionID")
n0 = accepts()
st, _, data2, _ = req("sippeers")
t.is_((st, data2), (200, data), "second sippeers: same answer")
t.is_(accepts(), n0, "the worker's connection is reused")
t.is_(len(msgs()), 3, "no second login on a pooled connection")

# --- chan_sip: Sippeers is unknown on Asterisk 22, blocks need > 3 keys
st, _, data, _ = req("sippeers", "sip")
t.is_((st, data), (200, b"[]"), "chan_sip on Asterisk 22: []")
t.ok(last_frame(msgs()).startswith(b"Action: Sippeers\r\n"),
     "chan_sip sends Action: Sippeers")
scripted([{"action": "Sippeers", "text":
           "Response: Success\r\nActionID: x\r\nEventList: start\r\n"
           "Message: Peer status list will follow\r\n\r\n"
           "Event: PeerEntry\r\nActionID: x\r\nChanneltype: SIP\r\n"
           "ObjectName: 100\r\nChanObjectType: peer\r\nIPaddress: 1.1.1.1"
           "\r\nIPport: 1025\r\nDynamic: yes\r\nStatus: OK (89 ms)\r\n"
           "Description: \r\n\r\nEvent: PeerlistComplete\r\nActionID: x"
           "\r\nEventList: Complete\r\nListItems: 1\r\n\r\n"}],
         b'[{"Event":"PeerEntry","Channeltype":"SIP","ObjectName":"100",'
         b'"ChanObjectType":"peer","IPaddress":"1.1.1.1","IPport":"1025",'
         b'"Dynamic":"yes","Status":"OK (89 ms)","Description":""}]',
         "chan_sip: the verified example of spec §5.2", "sippeers", "sip")

# --- channelstatus
st, hdr, data, _ = req("channelstatus")
t.is_(st, 200, "channelstatus: 200")
t.is_(hdr.get("content-type"), TEXT, "channelstatus: text/plain;UTF-8")
t.is_(hdr.get("access-control-allow-origin"), "*", "channelstatus: CORS")
t.is_(data, no_id(fixture("Status_All")),
      "channelstatus: raw bytes through StatusComplete and its blank line")
sent(rb"Action: Status\r\nActionID: [^\r]+\r\n\r\n",
     "no Channel header when absent")
req("channelstatus", query="&channel=")
sent(rb"Action: Status\r\nActionID: [^\r]+\r\n\r\n", "nor when empty")
scenario([{"action": "Status", "headers": {"Channel": "nope"},
           "reply": "Status_NoSuchChannel"}])
st, _, data, _ = req("channelstatus", query="&channel=nope")
t.is_(data, b"Response: Error\r\nMessage: No such channel\r\n\r\n",
      "channelstatus: an error reply is one frame")
sent(rb"Action: Status\r\nChannel: nope\r\nActionID: [^\r]+"
     rb"\r\n\r\n", "Channel header sent")
scenario()

# --- parkedcalls
st, hdr, data, _ = req("parkedcalls")
t.is_((st, hdr.get("content-type")), (200, TEXT), "parkedcalls: text")
t.is_(data, b"Response: Error\r\nMessage: Invalid/unknown command: "
      b"ParkedCalls. Use Action: ListCommands to show available commands."
      b"\r\n\r\n", "parkedcalls without res_parking: the error frame")
scripted([{"action": "ParkedCalls", "text":
           "Response: Success\r\nActionID: x\r\nEventList: start\r\n"
           "Message: Parked calls will follow\r\n\r\nEvent: ParkedCall\r\n"
           "ActionID: x\r\nParkeeChannel: PJSIP/100-1\r\n\r\n"
           "Event: ParkedCallsComplete\r\nActionID: x\r\n"
           "EventList: Complete\r\nListItems: 1\r\nTotal: 1\r\n\r\n"}],
         b"Response: Success\r\nEventList: start\r\nMessage: Parked calls"
         b" will follow\r\n\r\nEvent: ParkedCall\r\nParkeeChannel: "
         b"PJSIP/100-1\r\n\r\nEvent: ParkedCallsComplete\r\n",
         "parkedcalls: ends at the Event: ParkedCallsComplete line",
         "parkedcalls")

# --- activecall, Asterisk 22 Output: lines and Asterisk 13 Follows form
st, _, data, _ = req("activecall")
rep = fixture("Command_core_show_channels_verbose")
want = activecall_expected(output_lines(rep))
t.is_(data, php_json(want), "activecall: the reference's columns")
t.is_(json.loads(data)[0]["Channel"], "PJSIP/102-00000000",
      "activecall: first channel")
t.is_(json.loads(data)[-1], "4 calls processed", "summary lines as strings")
sent(rb"Action: Command\r\nCommand: core show channels verbose"
     rb"\r\nActionID: [^\r]+\r\n\r\n",
     "activecall asks AMI Command, no shell")
scenario(version="2.10.6")
st, _, data13, _ = req("activecall", "old")
t.is_(data13, data, "activecall: Asterisk 13 Response: Follows, same result")
scripted([{"action": "Command", "reply":
           "Command_core_show_channels_verbose_Empty"}],
         b'["0 active channels","0 active calls","0 calls processed"]',
         "activecall without channels: header dropped", "activecall")

# --- originatecall
st, _, data, _ = req("originatecall", body="channel=Local%2F600%40test&"
                     "extension=600&context=test&callerid=%22G%22+%3C1%3E")
t.is_((st, data), (200, b'{"status":"CALL INITIATED","code":200}'),
      "originatecall: CALL INITIATED")
sent(rb'Action: Originate\r\nChannel: Local/600@test\r\n'
     rb'Context: test\r\nExten: 600\r\nPriority: 1\r\n'
     rb'Callerid: "G" <1>\r\nTimeout: 30000\r\n'
     rb'ActionID: [^\r]+\r\n\r\n',
     "originatecall: the reference's frame")
st, _, data, _ = req("originatecall", body="timeout=abc&context=")
sent(rb"Action: Originate\r\nChannel: \r\nContext: \r\n"
     rb"Exten: \r\nPriority: 1\r\nCallerid: \r\nTimeout: 0\r\n"
     rb"ActionID: [^\r]+\r\n\r\n",
     "originatecall: present-but-empty stays empty, (int) 'abc' is 0")
req("originatecall", body="")
t.ok(b"Context: from-internal\r\n" in last_frame(msgs()) and
     b"Timeout: 30000\r\n" in last_frame(msgs()),
     "originatecall: defaults for absent fields")
scenario([{"action": "Originate", "reply": "Originate_BadTech"}])
st, _, data, _ = req("originatecall", body="channel=Nope%2F1")
t.is_(data, b'{"status":"CALL INITIATED","code":200}',
      "originatecall: CALL INITIATED whatever AMI answers")
scenario([{"action": "Originate", "fault": "stall", "times": 1}])
st, _, data, el = req("originatecall", body="channel=PJSIP%2F102")
t.is_((st, data), (200, b'{"status":"CALL INITIATED","code":200}'),
      "originatecall: a sync Originate still ringing at the deadline")
st, _, _, _ = req("originatecall", body="channel=PJSIP%2F102")
t.is_(st, 200, "and the next originate works on a new connection")
scenario()

# --- queue members: FreePBX only
n = len(msgs())
st, _, data, _ = req("queueaddmember", body="queue=support&device=PJSIP%2F1")
t.is_((st, data), (501, b'{"error":"queueaddmember requires FreePBX '
                   b'driver","code":501}'), "queueaddmember: 501")
st, _, data, _ = req("queueremovemember", body="queue=support")
t.is_((st, data), (501, b'{"error":"queueremovemember requires FreePBX '
                   b'driver","code":501}'), "queueremovemember: 501")
t.is_(len(msgs()), n, "nothing sent for a 501")
st, _, data, _ = req("queueaddmember", "fpbx",
                     body="queue=support&device=PJSIP%2F102&penalty=1x")
t.is_(data, b'{"status":"MEMBER ADDED","code":200}', "MEMBER ADDED")
sent(rb"Action: QueueAdd\r\nQueue: support\r\nInterface: "
     rb"PJSIP/102\r\nPenalty: 1\r\nActionID: [^\r]+\r\n\r\n",
     "QueueAdd frame, (int) penalty")
scenario([{"action": "QueueAdd", "reply": "QueueAdd_AlreadyThere"},
          {"action": "QueueRemove", "reply": "QueueRemove_NotThere"}])
st, _, data, _ = req("queueaddmember", "fpbx", body="queue=support")
t.is_(data, b'{"status":"FAILED","code":200}', "QueueAdd error: FAILED")
t.ok(b"Penalty: 0\r\n" in last_frame(msgs()), "penalty defaults to 0")
st, _, data, _ = req("queueremovemember", "fpbx",
                     body="queue=support&device=PJSIP%2F102")
t.is_(data, b'{"status":"FAILED","code":200}', "QueueRemove error: FAILED")
scenario()
st, _, data, _ = req("queueremovemember", "fpbx",
                     body="queue=support&device=PJSIP%2F102")
t.is_(data, b'{"status":"MEMBER REMOVED","code":200}', "MEMBER REMOVED")
sent(rb"Action: QueueRemove\r\nQueue: support\r\nInterface: "
     rb"PJSIP/102\r\nActionID: [^\r]+\r\n\r\n", "QueueRemove frame")

# --- hostile values never reach AMI
BAD = [("CR", "a%0Db"), ("LF", "a%0Ab"), ("CRLF action", "x%0D%0AAction:"
       "%20Originate"), ("NUL", "a%00b"), ("huge", "x" * 600),
       ("invalid UTF-8", "%FF%FE")]
FIELDS = [("channelstatus", KEY, "channel", True),
          ("originatecall", KEY, "channel", False),
          ("originatecall", KEY, "extension", False),
          ("originatecall", KEY, "context", False),
          ("originatecall", KEY, "callerid", False),
          ("queueaddmember", "fpbx", "queue", False),
          ("queueaddmember", "fpbx", "device", False),
          ("queueremovemember", "fpbx", "queue", False),
          ("queueremovemember", "fpbx", "device", False)]
for cmd, key, field, in_query in FIELDS:
    for what, val in BAD:
        n = len(logged())
        if in_query:
            st, hdr, data, _ = req(cmd, key, query="&%s=%s" % (field, val))
        else:
            st, hdr, data, _ = req(cmd, key, body="%s=%s" % (field, val))
        ok = (st == 400 and hdr.get("content-type") == "application/json"
              and field in (error(data) or "")
              and json.loads(data)["code"] == 400)
        t.ok(ok and len(logged()) == n,
             "%s %s with %s: 400 naming the field, nothing sent" %
             (cmd, field, what))
        if not ok:
            t.diag("%d %r" % (st, data))

# --- faults: 503 JSON within the deadline, same worker, reconnect


def fault(name, cmd, key=KEY, want_err=None, body=None, rules=None,
          then=None):
    if rules is not None:
        scenario(rules)
    st, hdr, data, el = req(cmd, key, body=body)
    t.ok(st == 503 and hdr.get("content-type") == "application/json" and
         json.loads(data).get("code") == 503 and
         (want_err is None or error(data) == want_err),
         "%s: 503 JSON (%s)" % (name, error(data)))
    t.ok(el < 3.5, "%s: answered within the deadline (%.2f s)" % (name, el))
    t.is_(pool.workers(), [worker], "%s: the worker survived" % name)
    scenario()
    n = accepts()
    st, _, data, _ = req(cmd, then or key, body=body)
    t.is_(st, 200, "%s: the next request works" % name)
    return n


fault("refused", "sippeers", "down",
      "AMI connection failed (111): Connection refused", then=KEY)
fault("auth-fail", "sippeers", "badauth", "AMI authentication failed",
      then=KEY)
fault("auth-fail rule", "sippeers", "fresh", "AMI authentication failed",
      rules=[{"action": "login", "fault": "auth-fail"}])
n = fault("closed mid-reply", "channelstatus", want_err="AMI connection "
          "closed", rules=[{"action": "Status", "fault": "close-mid-reply",
                            "bytes": 40}])
t.is_(accepts(), n + 1, "closed mid-reply: the next request reconnected")
n = fault("closed mid-header", "sippeers", rules=[
    {"action": "PJSIPShowEndpoints", "fault": "close-mid-reply",
     "bytes": 5}])
fault("stalled reply", "channelstatus", want_err="AMI read timed out",
      rules=[{"action": "Status", "fault": "stall"}])
fault("no greeting", "sippeers", "nogreet", "AMI read timed out",
      rules=[{"fault": "stall", "greet": False}])
for kind in ("nocolon", "nul", "huge", "endless"):
    fault("garbage " + kind, "channelstatus", want_err="AMI protocol error",
          rules=[{"action": "Status", "fault": "garbage", "kind": kind}])
fault("frame that never ends", "channelstatus", rules=[
    {"action": "Status", "fault": "garbage", "kind": "neverend"}])
fault("garbage greeting", "sippeers", "fresh2", "AMI protocol error",
      rules=[{"fault": "garbage"}])

# A pooled connection the server closed is replaced transparently.
n = accepts()
scenario([{"action": "Status", "fault": "close-mid-reply", "bytes": 0,
           "times": 1}])
st, _, data, _ = req("channelstatus")
t.is_((st, data), (200, no_id(fixture("Status_All"))),
      "closed before any reply byte: retried once on a new connection")
t.is_(accepts(), n + 1, "one reconnect")
scenario()

# Bytes that are odd but not AMI errors pass through.
scenario([{"action": "Status", "fault": "garbage", "kind": "binary"}])
st, _, data, _ = req("channelstatus")
t.is_((st, data), (200, b"Response: Success\r\nMessage: \xff\xfe\xc3\x28 "
                   b"caf\xe9\r\n\r\n"), "non-UTF-8 values: raw text body")
scenario()

# Slow drip and coalesced events: same answers.
st, _, plain, _ = req("sippeers")
scenario([{"action": "*", "fault": "slow-drip", "chunk": 7,
           "delay_ms": 1}])
st, _, data, _ = req("sippeers")
t.is_((st, data), (200, plain), "slow-drip: the same sippeers")
scenario([{"action": "*", "fault": "coalesce"}])
st, _, data, _ = req("channelstatus")
t.is_((st, data), (200, no_id(fixture("Status_All"))),
      "events coalesced around the reply are skipped")
st, _, data, _ = req("sippeers")
t.is_((st, data), (200, plain), "and the leftover events too")
scenario([{"fault": "chatty", "interval_ms": 2}])
for i in range(3):
    st, _, data, _ = req("sippeers", "chatty")
    t.is_((st, data), (200, plain), "chatty PBX %d: events skipped" % i)
    time.sleep(0.05)
st, _, data, _ = req("channelstatus", "chatty")
t.is_((st, data), (200, no_id(fixture("Status_All"))),
      "chatty PBX: channelstatus")
# A server flooding events as fast as TCP goes: the answer may drown
# (503 at the deadline) but the request never hangs, and a pooled
# connection's backlog is not read forever.
scenario([{"fault": "chatty", "interval_ms": 0}])
for i in range(3):
    st, _, data, el = req("sippeers", "flood")
    t.ok((st == 200 and data == plain or st == 503) and el < 3,
         "events flooding in: sippeers %d answered in time (%d, %.2f s)" %
         (i, st, el))
    time.sleep(0.2)
scenario()
t.is_(pool.workers(), [worker], "flood: the worker survived")
t.is_(pool.workers(), [worker], "one worker served everything")
t.ok("AMI" in pool.log(), "AMI failures are logged")
t.done()
