#!/usr/bin/env python3
# The ARI dialect (/ari/channels) over the AMI backend (ARI_BACKEND=ami),
# through the real nginx and pool against build/doubles/ami_double
# replaying shared/fixtures/ami: the Channel model from CoreShowChannels
# (list, get), each translated operation's action as the double received
# it (headers exactly), ARI's 404s, the 501s that send nothing, channel
# ids that must never reach AMI ("/.*", CR, LF), a channel whose name AMI
# would read as a pattern, and AMI down or stalled: a 503 within
# backend_timeout.
import calendar
import http.client
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(200)
t = T.Tap()
D = T.tmpdir("pbxapi-ari-ami-")
SCEN = os.path.join(D, "scenario.json")
LOG = os.path.join(D, "ami.jsonl")
PORTF = os.path.join(D, "port")
FX = os.path.join(T.SHARED, "fixtures", "ami")


def scenario(rules=()):
    """Replaces the double's scenario (atomically; re-read per request)."""
    T.write(SCEN + ".tmp", json.dumps({"auth_delay_ms": 0,
                                       "rules": list(rules)}))
    os.rename(SCEN + ".tmp", SCEN)


def ok_text(action, message):
    """A rule: the double answers action with Response: Success."""
    return {"action": action, "text": "Response: Success\r\nActionID: x\r\n"
            "Message: %s\r\n\r\n" % message}


def error_text(action, message):
    return {"action": action, "text": "Response: Error\r\nActionID: x\r\n"
            "Message: %s\r\n\r\n" % message}


scenario()
T.spawn([os.path.join(T.BUILD, "doubles", "ami_double"), "--port-file",
         PORTF, "--scenario", SCEN, "--log", LOG, "--lifetime", "190",
         "--fixtures", FX], log=os.path.join(D, "double.out"))
T.wait_for(lambda: os.path.exists(PORTF), what="ami_double port file")
PORT = int(T.read(PORTF))
CLOSED = T.closed_port()

ami = {"AMI_HOST": "127.0.0.1", "AMI_PORT": str(PORT),
       "AMI_USERNAME": "admin", "AMI_SECRET": "amp111",
       "AMI_CONF_PATH": "/nonexistent", "ARI_BACKEND": "ami"}
extra = ("token = app:app-secret ari-control\n"
         "token = viewer:viewer-secret ari-read\n"
         "[tenant down]\ntoken = down:down-secret ari-control\n" +
         "".join("%s = %s\n" % kv for kv in
                 dict(ami, AMI_PORT=str(CLOSED)).items()))
pool = T.Pool(settings={"pm.max_children": "1", "backend_timeout": "1s"},
              env=dict(ami, API_SECRET_KEY="ari-ami-key-0123456789"),
              extra=extra)
web = T.Nginx(pool)
CTRL = {"Authorization": "Basic " + T.b64("app:app-secret")}
RO = {"Authorization": "Basic " + T.b64("viewer:viewer-secret")}
DOWN = {"Authorization": "Basic " + T.b64("down:down-secret")}


def logged():
    return [json.loads(x) for x in T.read(LOG).splitlines() if x.strip()]


def mark():
    return len(logged())


def actions(since):
    """The actions the double received since mark() gave since, logins
    aside, as bytes."""
    return [m["raw"].encode("latin-1") for m in logged()[since:]
            if "raw" in m and
            not m["raw"].lower().startswith("action: login")]


def frame(*headers):
    """A regular expression of the action frame with these headers, in
    this order, then pbxapi's ActionID."""
    return re.escape("".join("%s: %s\r\n" % h for h in headers)
                     .encode()) + rb"ActionID: pbxapi-\d+-\d+\r\n\r\n"


SHOW = frame(("Action", "CoreShowChannels"))


def req(method, path, body=None, headers=CTRL):
    """One request: (status, reason, headers, body, AMI actions sent,
    seconds)."""
    n = mark()
    h = dict(headers)
    if body is not None:
        h["Content-Type"] = "application/json"
        body = json.dumps(body)
    c = http.client.HTTPConnection("127.0.0.1", web.port, timeout=30)
    t0 = time.time()
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        hdr = {k.lower(): v for k, v in r.getheaders()}
        st, reason = r.status, r.reason
    finally:
        c.close()
    el = time.time() - t0
    time.sleep(0.02)  # the double logs before it answers; be sure
    return st, reason, hdr, data, actions(n), el


def message(b):
    try:
        return json.loads(b).get("message")
    except (ValueError, AttributeError):
        return None


def sent(got, want, name):
    """got (the actions sent) matches the list of frame regexes want."""
    good = len(got) == len(want) and all(
        re.fullmatch(w, g) for w, g in zip(want, got))
    if not t.ok(good, name):
        t.diag("sent: %r" % got)
    return good


def events(name):
    """The CoreShowChannel events of a fixture, as dicts."""
    out = []
    text = T.read(os.path.join(FX, name + ".txt")).replace("\r\n", "\n")
    for blk in text.split("\n\n"):
        kv = dict(line.split(": ", 1) if ": " in line else
                  (line.rstrip(":"), "") for line in blk.splitlines()
                  if line.strip())
        if kv.get("Event") == "CoreShowChannel":
            out.append(kv)
    return out


def model(ev):
    """ARI's Channel of a CoreShowChannel event, creationtime aside."""
    def party(k):
        v = ev.get(k, "")
        return "" if v == "<unknown>" else v
    return {"id": ev["Uniqueid"], "name": ev["Channel"],
            "state": ev["ChannelStateDesc"], "protocol_id": "",
            "caller": {"name": party("CallerIDName"),
                       "number": party("CallerIDNum")},
            "connected": {"name": party("ConnectedLineName"),
                          "number": party("ConnectedLineNum")},
            "accountcode": ev["AccountCode"],
            "dialplan": {"context": ev["Context"], "exten": ev["Exten"],
                         "priority": int(ev["Priority"]),
                         "app_name": ev["Application"],
                         "app_data": ev["ApplicationData"]},
            "language": ev["Language"]}


KEYS = ["id", "name", "state", "protocol_id", "caller", "connected",
        "accountcode", "dialplan", "creationtime", "language"]
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.(\d{3})\+0000")


def when(s):
    """The epoch of an ARI creationtime."""
    return calendar.timegm(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S"))


def without_time(ch):
    return {k: v for k, v in ch.items() if k != "creationtime"}


FIXTURE = events("CoreShowChannels")
ORIG1 = [e for e in FIXTURE if e["Uniqueid"] == "fixture-orig-1"][0]
NAME1 = ORIG1["Channel"]  # Local/600@test-00000000;1

# --- list ---
st, _, hdr, body, got, _ = req("GET", "/ari/channels")
chans = json.loads(body)
t.is_((st, hdr.get("content-type")), (200, "application/json"),
      "list: 200 JSON")
t.is_(hdr.get("cache-control"), "no-cache, no-store",
      "with Asterisk's Cache-Control")
sent(got, [SHOW], "list sends CoreShowChannels, nothing else")
t.is_([without_time(c) for c in chans], [model(e) for e in FIXTURE],
      "list: every CoreShowChannel as ARI's Channel, in AMI's order "
      "(<unknown> is \"\")")
t.ok(all(list(c) == KEYS for c in chans), "keys in ARI's order")
t.ok(all(type(c["dialplan"]["priority"]) is int for c in chans),
     "priority is an integer")
now = time.time()
t.ok(all(TIME.fullmatch(c["creationtime"]) and
         TIME.fullmatch(c["creationtime"]).group(1) == "000" and
         abs(when(c["creationtime"]) - (now - 1)) <= 3 for c in chans),
     "creationtime: ISO, .000+0000, now less Duration (00:00:01)")
t.ok(b'"priority":1,' in body and b"Local/600@test" in body and
     b", " not in body, "compact JSON, '/' not escaped")
st, _, _, body, _, _ = req("GET", "/ari/channels", headers=RO)
t.is_(st, 200, "an ari-read credential may list")

scenario([{"action": "CoreShowChannels", "reply": "CoreShowChannels_Empty"}])
t.is_(req("GET", "/ari/channels")[:4:3], (200, b"[]"), "no channels: []")

# Asterisk 11 header names, states, and Asterisk's own uniqueids.
old = int(time.time()) - 3600
CUSTOM = ("Response: Success\r\nActionID: x\r\nEventList: start\r\n"
          "Message: Channels will follow\r\n\r\n"
          "Event: CoreShowChannel\r\nActionID: x\r\nChannel: SIP/100-0001\r\n"
          "UniqueID: pbx-%d.7\r\nContext: from-internal\r\n"
          "Extension: 200\r\nPriority: 3\r\nChannelState: 1\r\n"
          "ChannelStateDesc: Rsrvd\r\nApplication: Dial\r\n"
          "ApplicationData: SIP/200\r\nCallerIDnum: 100\r\n"
          "CallerIDname: Alice\r\nDuration: 01:00:01\r\nAccountCode: acc\r\n"
          "BridgedChannel: \r\nBridgedUniqueID: \r\n\r\n"
          "Event: CoreShowChannel\r\nActionID: x\r\nChannel: PJSIP/7-1\r\n"
          "Uniqueid: seven\r\nChannelState: 4\r\nContext: c\r\nExten: e\r\n"
          "Priority: 1\r\nLanguage: fr\r\nDuration: 00:00:30\r\n\r\n"
          "Event: CoreShowChannel\r\nActionID: x\r\nChannel: /.*\r\n"
          "Uniqueid: evil-1\r\nChannelState: 6\r\nChannelStateDesc: Up\r\n"
          "\r\n"
          "Event: CoreShowChannelsComplete\r\nActionID: x\r\n"
          "EventList: Complete\r\nListItems: 3\r\n\r\n" % old)
scenario([{"action": "CoreShowChannels", "text": CUSTOM},
          ok_text("Hangup", "Channel Hungup")])
st, _, _, body, _, _ = req("GET", "/ari/channels")
c = json.loads(body)
t.is_(without_time(c[0]),
      {"id": "pbx-%d.7" % old, "name": "SIP/100-0001", "state": "Rsrved",
       "protocol_id": "", "caller": {"name": "Alice", "number": "100"},
       "connected": {"name": "", "number": ""}, "accountcode": "acc",
       "dialplan": {"context": "from-internal", "exten": "200",
                    "priority": 3, "app_name": "Dial",
                    "app_data": "SIP/200"}, "language": "en"},
      "Asterisk 11 names (UniqueID, Extension, CallerIDnum), Rsrvd is "
      "ARI's Rsrved, no Language is en")
t.is_(when(c[0]["creationtime"]), old,
      "creationtime: the epoch of an id Asterisk made, when Duration "
      "agrees")
t.is_((c[1]["state"], c[1]["language"]), ("Ring", "fr"),
      "no ChannelStateDesc: the ChannelState number")
t.ok(abs(when(c[1]["creationtime"]) - (time.time() - 30)) <= 3,
     "a client's id: now less Duration")
st, _, _, body, got, _ = req("DELETE", "/ari/channels/evil-1")
t.is_((st, body), (404, b'{"message":"Channel not found"}'),
      "a channel whose name AMI would read as a pattern is not touched")
sent(got, [SHOW], "its name never reaches AMI (no Hangup sent)")
scenario()

# --- get ---
st, _, _, body, got, _ = req("GET", "/ari/channels/fixture-orig-1")
t.is_((st, without_time(json.loads(body))), (200, model(ORIG1)),
      "get: the channel whose Uniqueid is the id")
sent(got, [SHOW], "get looks it up with CoreShowChannels")
st, _, _, body, _, _ = req("GET", "/ari/channels/fixture-orig-2;2")
t.is_((st, json.loads(body)["name"]), (200, "Local/600@test-00000001;2"),
      "get: a Local ;2 half's id")
st, reason, _, body, got, _ = req("GET", "/ari/channels/nosuch")
t.is_((st, reason, body), (404, "Not Found",
                           b'{"message":"Channel not found"}'),
      "get: an unknown id is ARI's 404")

# --- hangup ---
HANGUP = [("hangup: no reason is cause 16", "", "16"),
          ("hangup: reason=busy is 17", "?reason=busy", "17"),
          ("hangup: reason=timeout is ARI's 18 (no user response)",
           "?reason=timeout", "18"),
          ("hangup: reason=answered_elsewhere is 26",
           "?reason=answered_elsewhere", "26"),
          ("hangup: reason_code as given", "?reason_code=42", "42")]
for name, q, cause in HANGUP:
    st, _, _, body, got, _ = req("DELETE", "/ari/channels/fixture-orig-1" + q)
    t.is_((st, body), (204, b""), name + ": 204")
    sent(got, [SHOW, frame(("Action", "Hangup"), ("Channel", NAME1),
                           ("Cause", cause))],
         name + ": Hangup of the channel's name")
st, _, _, body, got, _ = req("DELETE", "/ari/channels/nosuch")
t.is_((st, body), (404, b'{"message":"Channel not found"}'),
      "hangup: unknown channel 404")
sent(got, [SHOW], "and no Hangup sent")
scenario([{"action": "Hangup", "reply": "Hangup_NoSuchChannel"}])
st, _, _, body, _, _ = req("DELETE", "/ari/channels/fixture-orig-1")
t.is_((st, body), (404, b'{"message":"Channel not found"}'),
      "hangup: gone before the Hangup (No such channel): 404")
scenario([error_text("Hangup", "Permission denied")])
t.is_(req("DELETE", "/ari/channels/fixture-orig-1")[:4:3],
      (500, b'{"message":"Failed to hang up channel"}'),
      "hangup: another AMI error: 500")
scenario()

# --- originate ---
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
st, _, _, body, got, _ = req(
    "POST", "/ari/channels?endpoint=Local/600@test&extension=601"
    "&context=test&callerId=ARI%20Test%20%3C5554000%3E&timeout=15",
    {"variables": {"FOO": "bar baz", "CALLERID(name)": "X",
                   "OBJ": {"value": "v", "report_events": True}}})
ch = json.loads(body)
t.is_(st, 200, "originate: 200")
t.ok(re.fullmatch(UUID, ch["id"]), "a generated id (UUID)")
t.is_(without_time(ch),
      {"id": ch["id"], "name": "Local/600@test", "state": "Down",
       "protocol_id": "", "caller": {"name": "ARI Test",
                                     "number": "5554000"},
       "connected": {"name": "ARI Test", "number": "5554000"},
       "accountcode": "", "dialplan": {"context": "test", "exten": "601",
                                       "priority": 1,
                                       "app_name": "AppDial2",
                                       "app_data": "(Outgoing Line)"},
       "language": "en"},
      "originate: the Channel at creation, built from the request")
t.ok(list(ch) == KEYS and TIME.fullmatch(ch["creationtime"]) and
     abs(when(ch["creationtime"]) - time.time()) <= 3,
     "in ARI's order, created now")
sent(got, [frame(("Action", "Originate"), ("Channel", "Local/600@test"),
                 ("Context", "test"), ("Exten", "601"), ("Priority", "1"),
                 ("Timeout", "15000"), ("CallerID", "ARI Test <5554000>"),
                 ("Variable", "FOO=bar baz"), ("Variable", "CALLERID(name)=X"),
                 ("Variable", "OBJ=v"), ("Async", "true"),
                 ("ChannelId", ch["id"]))],
     "originate: one Async Originate, variables as Variable lines, "
     "timeout in ms")
st, _, _, body, got, _ = req(
    "POST", "/ari/channels/new-chan-1?endpoint=PJSIP/102&extension=100"
    "&otherChannelId=new-chan-1b&formats=ulaw,alaw&timeout=-1")
ch = json.loads(body)
t.is_((st, ch["id"], ch["name"], ch["dialplan"]["context"],
       ch["caller"]), (200, "new-chan-1", "PJSIP/102", "default",
                       {"name": "", "number": ""}),
      "originateWithId: the id of the path, context default")
sent(got, [SHOW, frame(("Action", "Originate"), ("Channel", "PJSIP/102"),
                       ("Context", "default"), ("Exten", "100"),
                       ("Priority", "1"), ("Timeout", "2147483647"),
                       ("Codecs", "ulaw,alaw"), ("Async", "true"),
                       ("ChannelId", "new-chan-1"),
                       ("OtherChannelId", "new-chan-1b"))],
     "originateWithId: ids checked free first; timeout -1 is AMI's "
     "longest, formats are Codecs")
st, _, _, body, got, _ = req(
    "POST", "/ari/channels?endpoint=PJSIP/102&extension=100&label=start"
    "&channelId=fixture-orig-1b")
t.is_((st, body), (409, b'{"message":"Channel with given unique ID '
                   b'already exists"}'), "originate: an id in use is 409")
sent(got, [SHOW], "and no Originate sent")
scenario([error_text("Originate", "Invalid priority")])
st, _, _, body, got, _ = req(
    "POST", "/ari/channels?endpoint=PJSIP/102&extension=100&label=start")
t.is_((st, message(body)), (404, "Requested label can not be found"),
      "originate: a label AMI cannot find")
t.ok(re.search(rb"\r\nPriority: start\r\n", got[-1] if got else b""),
     "a label is sent as the Priority")
st, _, _, body, _, _ = req(
    "POST", "/ari/channels?endpoint=PJSIP/102&extension=100&priority=9")
t.is_((st, message(body)), (400, "Requested priority is illegal"),
      "originate: a priority AMI refuses")
scenario([{"action": "Originate", "reply": "Originate_BadTech"}])
t.is_(req("POST", "/ari/channels?endpoint=NoSuchTech/1&extension=1")[:4:3],
      (500, b'{"message":"Failed to originate channel"}'),
      "originate: AMI's Originate failed is a 500")
scenario()
NOTHING = [
    ("POST", "/ari/channels?endpoint=Local/600@test&app=pbxapi", None, 501,
     "Stasis applications need ARI"),
    ("POST", "/ari/channels?endpoint=Local/600@test&app=pbxapi&extension=1",
     None, 501, "Stasis applications need ARI"),
    ("POST", "/ari/channels?endpoint=Local/600@test&extension=1"
     "&originator=fixture-orig-1", None, 501,
     "originate with originator is not supported by the AMI backend"),
    ("POST", "/ari/channels?endpoint=Local/600@test&extension=1",
     {"variables": {"A=B": "c"}}, 400, "Invalid variable 'A=B'"),
    ("POST", "/ari/channels/new-2?endpoint=Local/600@test&extension=1",
     {"variables": {"A=B": "c"}}, 400, "Invalid variable 'A=B'"),
    ("POST", "/ari/channels?endpoint=Local/600@test&extension=1",
     {"variables": {"A": "x\r\nAction: Hangup"}}, 400,
     "Invalid variable 'A'"),
    ("POST", "/ari/channels?endpoint=Local/600@test&extension=1"
     "&callerId=a%0D%0AAction:%20Hangup", None, 400,
     "Invalid value for parameter 'callerId'"),
]

# --- continueInDialplan ---
CONT = [("no arguments: the channel's next priority", "",
         ("test", "600", "2")),
        ("a context: extension s, priority 1", "?context=other",
         ("other", "s", "1")),
        ("an extension: the channel's context, priority 1",
         "?extension=700", ("test", "700", "1")),
        ("a priority: the channel's context and extension", "?priority=3",
         ("test", "600", "3")),
        ("a label: sent as the Priority", "?context=c&label=here",
         ("c", "s", "here"))]
for name, q, (cx, ex, pr) in CONT:
    st, _, _, body, got, _ = req(
        "POST", "/ari/channels/fixture-orig-1/continue" + q)
    t.is_((st, body), (204, b""), "continueInDialplan, %s: 204" % name)
    sent(got, [SHOW, frame(("Action", "Redirect"), ("Channel", NAME1),
                           ("Context", cx), ("Exten", ex),
                           ("Priority", pr))],
         "continueInDialplan, %s: Redirect" % name)
st, _, _, body, got, _ = req(
    "POST", "/ari/channels/fixture-orig-1/continue?priority=-2")
t.is_((st, message(body)), (400, "Requested priority is illegal"),
      "continueInDialplan: a negative priority")
sent(got, [SHOW], "and no Redirect")

# --- sendDTMF ---
scenario([ok_text("PlayDTMF", "DTMF successfully queued")])
st, _, _, body, got, el = req(
    "POST", "/ari/channels/fixture-orig-1/dtmf?dtmf=1,2w%23&between=20"
    "&duration=50")
t.is_((st, body), (204, b""), "sendDTMF: 204")
sent(got, [SHOW] + [frame(("Action", "PlayDTMF"), ("Channel", NAME1),
                          ("Digit", d), ("Duration", "50"))
                    for d in "12#"],
     "sendDTMF: one PlayDTMF per digit, with Duration (',' skipped)")
t.ok(el >= 0.5 + 2 * 0.02, "and the waits: 'w' 500 ms, between 20 ms "
     "(%.2f s)" % el)
st, _, _, body, got, _ = req(
    "POST", "/ari/channels/fixture-orig-1/dtmf?dtmf=1")
sent(got, [SHOW, frame(("Action", "PlayDTMF"), ("Channel", NAME1),
                       ("Digit", "1"), ("Duration", "100"))],
     "sendDTMF: duration 100 ms by default")
st, _, _, body, got, _ = req(
    "POST", "/ari/channels/fixture-orig-1/dtmf?dtmf=12&before=900")
t.is_((st, message(body)), (400, "DTMF longer than the AMI backend allows "
                            "(1000 ms)"),
      "sendDTMF: digits that outlast backend_timeout")
t.is_(got, [], "refused before anything is sent")
scenario()
st, _, _, body, got, _ = req(
    "POST", "/ari/channels/fixture-orig-1/dtmf?dtmf=1")
t.is_((st, message(body)), (501, "sendDTMF is not supported by this "
                            "Asterisk (no AMI action PlayDTMF)"),
      "an Asterisk without the action: 501")

# --- mute, unmute ---
scenario([ok_text("MuteAudio", "Audio muted")])
for op, method, d, want_d, state in (
        ("mute", "POST", "both", "all", "on"),
        ("mute", "POST", "in", "in", "on"),
        ("unmute", "DELETE", "out", "out", "off")):
    st, _, _, body, got, _ = req(
        method, "/ari/channels/fixture-orig-1/mute?direction=" + d)
    t.is_((st, body), (204, b""), "%s %s: 204" % (op, d))
    sent(got, [SHOW, frame(("Action", "MuteAudio"), ("Channel", NAME1),
                           ("Direction", want_d), ("State", state))],
         "%s %s: MuteAudio Direction %s State %s" % (op, d, want_d, state))
scenario()
st, _, _, body, _, _ = req(
    "POST", "/ari/channels/fixture-orig-1/mute?direction=both")
t.is_((st, message(body)), (501, "mute is not supported by this Asterisk "
                            "(no AMI action MuteAudio)"),
      "mute without res_mutestream: 501")

# --- variables ---
st, _, _, body, got, _ = req(
    "GET", "/ari/channels/fixture-orig-1/variable?variable=FIXTURE_FOO")
t.is_((st, body), (200, b'{"value":"bar baz"}'), "getChannelVar: Getvar")
sent(got, [SHOW, frame(("Action", "Getvar"), ("Channel", NAME1),
                       ("Variable", "FIXTURE_FOO"))],
     "getChannelVar: the Getvar frame")
t.is_(req("GET", "/ari/channels/fixture-orig-1/variable?variable="
          "CHANNEL(state)", headers=RO)[:4:3],
      (200, b'{"value":"Up"}'), "getChannelVar: a function (read-only "
      "credential)")
st, reason, _, body, _, _ = req(
    "GET", "/ari/channels/fixture-orig-1/variable?variable=NOT_SET_ANYWHERE")
t.is_((st, reason, body), (404, "Variable Not Found",
                           b'{"message":"Provided variable was not found"}'),
      "getChannelVar: AMI's empty Value is ARI's 404 Variable Not Found")
scenario([{"action": "Getvar", "text": "Response: Success\r\nActionID: x"
           "\r\nVariable: CALLERID(num)\r\nValue: \r\n\r\n"}])
t.is_(req("GET", "/ari/channels/fixture-orig-1/variable?variable="
          "CALLERID(num)")[:4:3], (200, b'{"value":""}'),
      "getChannelVar: an empty function is {\"value\":\"\"}")
scenario()
st, reason, _, body, got, _ = req(
    "GET", "/ari/channels/nosuch/variable?variable=X")
t.is_((st, reason, body), (404, "Channel Not Found",
                           b'{"message":"Provided channel was not found"}'),
      "getChannelVar: an unknown channel, in ARI's words for it")
sent(got, [SHOW], "and no Getvar")
st, _, _, body, got, _ = req(
    "POST", "/ari/channels/fixture-orig-1/variable",
    {"variable": "FIXTURE_FOO", "value": "bar baz"})
t.is_((st, body), (204, b""), "setChannelVar: 204")
sent(got, [SHOW, frame(("Action", "Setvar"), ("Channel", NAME1),
                       ("Variable", "FIXTURE_FOO"), ("Value", "bar baz"))],
     "setChannelVar: the Setvar frame")
st, _, _, body, got, _ = req(
    "POST", "/ari/channels/fixture-orig-1/variable?variable=EMPTY")
sent(got, [SHOW, frame(("Action", "Setvar"), ("Channel", NAME1),
                       ("Variable", "EMPTY"), ("Value", ""))],
     "setChannelVar: no value is an empty Value")
scenario([{"action": "Setvar", "reply": "Setvar_NoSuchChannel"}])
t.is_(req("POST", "/ari/channels/fixture-orig-1/variable?variable=X")
      [:4:3], (404, b'{"message":"Channel not found"}'),
      "setChannelVar: No such channel is 404")
scenario()

# --- record ---
scenario([ok_text("MixMonitor", "Started MixMonitor")])
st, _, hdr, body, got, _ = req(
    "POST", "/ari/channels/fixture-orig-1/record?name=calls/rec%2B1"
    "&format=wav&ifExists=overwrite&beep=no&terminateOn=none"
    "&maxDurationSeconds=0")
t.is_((st, hdr.get("location")),
      (201, "/ari/recordings/live/calls%2Frec%2B1"),
      "record: 201 with Location")
t.is_(body, b'{"name":"calls/rec+1","format":"wav","state":"recording",'
      b'"target_uri":"channel:fixture-orig-1"}', "record: the LiveRecording")
sent(got, [SHOW, frame(("Action", "MixMonitor"), ("Channel", NAME1),
                       ("File", "calls/rec+1.wav"))],
     "record: MixMonitor to name.format")
st, _, _, body, got, _ = req(
    "POST", "/ari/channels/fixture-orig-1/record?name=r&format=gsm"
    "&ifExists=APPEND")
sent(got, [SHOW, frame(("Action", "MixMonitor"), ("Channel", NAME1),
                       ("File", "r.gsm"), ("Options", "a"))],
     "record: ifExists=append is Options a")
scenario()
for q, what in (("maxDurationSeconds=5", "maxDurationSeconds"),
                ("maxSilenceSeconds=2", "maxSilenceSeconds"),
                ("beep=true", "beep"), ("terminateOn=%23", "terminateOn"),
                ("ifExists=fail", "ifExists=fail")):
    NOTHING.append(("POST", "/ari/channels/fixture-orig-1/record?name=r"
                    "&format=wav&" + q, None, 501,
                    "record with %s is not supported by the AMI backend" %
                    what))

# --- 501: nothing is sent ---
UNSUPPORTED = [
    ("create", "POST", "/ari/channels/create?endpoint=Local/1@t&app=a"),
    ("redirect", "POST", "/ari/channels/fixture-orig-1/redirect"
     "?endpoint=PJSIP/103"),
    ("answer", "POST", "/ari/channels/fixture-orig-1/answer"),
    ("ring", "POST", "/ari/channels/fixture-orig-1/ring"),
    ("ringStop", "DELETE", "/ari/channels/fixture-orig-1/ring"),
    ("hold", "POST", "/ari/channels/fixture-orig-1/hold"),
    ("unhold", "DELETE", "/ari/channels/fixture-orig-1/hold"),
    ("startMoh", "POST", "/ari/channels/fixture-orig-1/moh"),
    ("stopMoh", "DELETE", "/ari/channels/fixture-orig-1/moh"),
    ("startSilence", "POST", "/ari/channels/fixture-orig-1/silence"),
    ("stopSilence", "DELETE", "/ari/channels/fixture-orig-1/silence"),
    ("play", "POST", "/ari/channels/fixture-orig-1/play?media=sound:x"),
    ("playWithId", "POST", "/ari/channels/fixture-orig-1/play/p1"
     "?media=sound:x"),
    ("snoopChannel", "POST", "/ari/channels/fixture-orig-1/snoop"
     "?spy=in&app=a"),
    ("snoopChannelWithId", "POST", "/ari/channels/fixture-orig-1/snoop/s1"
     "?spy=in&app=a"),
    ("dial", "POST", "/ari/channels/fixture-orig-1/dial"),
]
for op, method, path in UNSUPPORTED:
    NOTHING.append((method, path, None, 501,
                    "%s is not supported by the AMI backend" % op))

# --- ids and values that must never reach AMI ---
# nginx decodes the path (DOCUMENT_URI): a '/' of an id is a separator
# there, so "/.*" never even reaches pbxapi (nginx's 403 for "/.", a
# trailing slash, its 400 for NUL); in a query it is pbxapi's to refuse.
for method, path in (("GET", "/ari/channels/%2F.%2A"),
                     ("DELETE", "/ari/channels/%2F.%2A"),
                     ("DELETE", "/ari/channels/%2Fregex%2F"),
                     ("GET", "/ari/channels/x%00y/variable?variable=A")):
    NOTHING.append((method, path, None, None, None))
for method, path in (("DELETE", "/ari/channels/a%0D%0AAction:%20Hangup"),
                     ("POST", "/ari/channels/a%0Ab/continue"),
                     ("POST", "/ari/channels?endpoint=Local/1@t&extension=1"
                      "&channelId=%2F.%2A")):
    NOTHING.append((method, path, None, 404, "Channel not found"))
NOTHING += [
    ("POST", "/ari/channels?endpoint=Local/1@t&extension=1"
     "&otherChannelId=%2Fx%2F", None, 400,
     "Invalid value for parameter 'otherChannelId'"),
    ("GET", "/ari/channels/fixture-orig-1/variable?variable=A%0D%0A"
     "Action:%20Hangup", None, 400, "Invalid value for parameter "
     "'variable'"),
    ("POST", "/ari/channels/fixture-orig-1/variable?variable=A&value=1%0A2",
     None, 400, "Invalid value for parameter 'value'"),
    ("POST", "/ari/channels/fixture-orig-1/continue?context=a%0Db", None,
     400, "Invalid value for parameter 'context'"),
]
n = mark()
for method, path, body, want_st, want_msg in NOTHING:
    st, _, _, b, got, _ = req(method, path, body)
    if want_st is None:
        ok = 400 <= st < 500 and got == []
        name = "%s %s: refused (%d) before pbxapi, nothing sent" % (
            method, path, st)
    else:
        ok = (st, message(b)) == (want_st, want_msg) and got == []
        name = "%s %s: %d %s, nothing sent" % (method, path, want_st,
                                               want_msg)
    if not t.ok(ok, name):
        t.diag("%d %r %r" % (st, b, got))
t.is_(actions(n), [], "none of the %d requests sent AMI anything" %
      len(NOTHING))

st, _, _, body, got, _ = req("DELETE", "/ari/channels/*")
t.is_((st, body), (404, b'{"message":"Channel not found"}'),
      "hangup of a channelId '*': 404")
sent(got, [SHOW], "the id is only looked up, never sent as a Channel")

# --- AMI down, stalled ---
st, _, _, body, _, el = req("GET", "/ari/channels", headers=DOWN)
t.is_((st, body), (503, b'{"message":"Asterisk Manager Interface '
                   b'unavailable"}'), "AMI refusing connections: 503")
t.ok(el < 1.5, "at once (%.2f s)" % el)
for what, rules in (
        ("stalled", [{"action": "CoreShowChannels", "fault": "stall"}]),
        ("closing mid-reply", [{"action": "CoreShowChannels",
                                "fault": "close-mid-reply", "bytes": 30}]),
        ("garbage", [{"action": "CoreShowChannels", "fault": "garbage"}]),
        ("stalled on the Hangup", [{"action": "Hangup", "fault": "stall"}])):
    scenario(rules)
    path = "/ari/channels" if "Hangup" not in what else \
        "/ari/channels/fixture-orig-1"
    st, _, _, body, _, el = req("DELETE" if "Hangup" in what else "GET",
                                path)
    t.is_((st, message(body)), (503, "Asterisk Manager Interface "
                                "unavailable"), "AMI %s: 503" % what)
    t.ok(el < 2.5, "AMI %s: within backend_timeout (%.2f s)" % (what, el))
    scenario()
    t.is_(req("GET", "/ari/channels")[0], 200,
          "AMI %s: the next request works" % what)
t.like(pool.log(), "ari over ami:", "AMI failures are logged")
t.is_(len(pool.workers()), 1, "one worker served everything")
t.done()
