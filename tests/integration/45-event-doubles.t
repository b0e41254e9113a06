#!/usr/bin/env python3
# The event-driven protocol doubles (tests/doubles/README), as the event
# companion of issue 11 will meet them: for each of ari_double (the
# /ari/events websocket), ami_double (a login with events on) and
# esl_double (event json), a client subscribes as a real one would,
# calls are originated through the double's API and scripted per
# destination (answer, busy, noanswer), and the event sequence, the
# field names (against the real captures of shared/fixtures), the
# hangup causes, the list APIs, and the control socket (call, inject,
# drop, refuse, state; ARI: stall; ami_double's device, contact,
# refuse-originate) are checked, and ari_double's answers to a client's
# pings and close.
import glob
import json
import os
import socket
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import evclient as E
import pbxtest as T

T.timeout(170)
t = T.Tap()
D = T.tmpdir("pbxapi-evdoubles-")
FX = os.path.join(T.SHARED, "fixtures")


def double(name, *args):
    """Starts build/doubles/NAME_double with --world; returns (port,
    control, log path)."""
    pf = os.path.join(D, name + ".port")
    ctl = os.path.join(D, name + ".sock")
    log = os.path.join(D, name + ".jsonl")
    T.spawn([os.path.join(T.BUILD, "doubles", name + "_double"),
             "--port-file", pf, "--world", ctl, "--log", log,
             "--lifetime", "160"] + list(args),
            log=os.path.join(D, name + ".out"))
    T.wait_for(lambda: os.path.exists(pf), what=name + " port file")
    T.wait_socket(ctl)
    return int(T.read(pf)), E.Control(ctl), log


def logged(log, who, name):
    """The world's log lines of event name."""
    out = []
    for line in T.read(log).splitlines():
        x = json.loads(line)
        if x.get("world") == who and x.get("event") == name:
            out.append(x)
    return out


def refused(connect):
    """True if connect() fails or the peer closes at once."""
    try:
        c = connect()
    except (OSError, EOFError, TimeoutError):
        return True
    c.close()
    return False


# --- ARI: /ari/events, filtered per app, in the captures' shapes ---
CAPT = {}
for f in sorted(glob.glob(os.path.join(FX, "ari", "events", "*.json"))):
    ev = json.load(open(f))
    CAPT.setdefault(ev["type"], ev)
port, ctl, log = double("ari", "--fixtures", os.path.join(FX, "ari"))
AUTH = {"Authorization": "Basic " + T.b64("ari_user:ari_password")}


def ari(method, path):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 method=method, headers=AUTH)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
            return r.status, json.loads(body) if body else None
    except urllib.error.HTTPError as e:
        return e.code, None


def ws(query):
    return E.WebSocket("127.0.0.1", port, "/ari/events?" + query, AUTH)


app, every, other = ws("app=pbxapi"), ws("app=other&subscribeAll=true"), \
    ws("app=other")
t.is_(app.next(0.2), None,
      "with --world, no captured events are replayed on connect")
ctl.rule(dest="600", ring_ms=30, answer_ms=30, outcome="answer")
st, ch = ari("POST", "/ari/channels?endpoint=PJSIP/600&app=pbxapi"
             "&channelId=ari-1&callerId=Alice%20%3C100%3E")
t.is_((st, ch["id"], ch["caller"]["number"]), (200, "ari-1", "100"),
      "ARI: POST /ari/channels originates")
evs = app.wait_for(lambda e: e["type"] == "StasisStart")
t.is_([e["type"] for e in evs],
      ["Dial", "ChannelStateChange", "ChannelStateChange", "Dial",
       "ChannelVarset", "StasisStart"],
      "ARI: created, ringing, answered, into Stasis, in order")
t.is_([(e.get("peer") or e.get("channel"))["state"] for e in evs],
      ["Down", "Ringing", "Up", "Up", "Up", "Up"],
      "ARI: the channel's state at each event")
t.is_([e.get("dialstatus") for e in evs if e["type"] == "Dial"],
      ["", "ANSWER"], "ARI: Dial's dialstatus")
t.ok(all(list(e) == list(CAPT[e["type"]]) for e in evs),
     "ARI: every event has the capture's keys, in its order")
t.ok(all(list(e.get("peer") or e["channel"]) ==
         list(CAPT["StasisStart"]["channel"]) for e in evs),
     "ARI: the Channel model has the capture's keys")
t.ok(all(e["application"] == "pbxapi" for e in evs),
     "ARI: the app's events name the app")
got = every.wait_for(lambda e: e["type"] == "StasisStart")
t.is_(([e["type"] for e in got], got[0]["application"]),
      ([e["type"] for e in evs], "other"),
      "ARI: subscribeAll sees the other app's channel, as its own copy")
st, lst = ari("GET", "/ari/channels")
t.is_([(c["id"], c["state"], c["dialplan"]["app_name"]) for c in lst],
      [("ari-1", "Up", "Stasis")], "ARI: GET /ari/channels reflects it")
t.is_(ari("POST", "/ari/channels/ari-1/dtmf?dtmf=7")[0], 204,
      "ARI: DTMF through the API")
t.is_(ari("POST", "/ari/channels/ari-1/hold")[0], 204, "ARI: hold")
st, pb = ari("POST", "/ari/channels/ari-1/play?media=sound:hello-world")
t.is_(st, 201, "ARI: play")
t.is_(ari("DELETE", "/ari/channels/ari-1?reason=busy")[0], 204,
      "ARI: DELETE hangs up")
evs = app.wait_for(lambda e: e["type"] == "ChannelDestroyed")
t.is_([e["type"] for e in evs],
      ["ChannelDtmfReceived", "ChannelHold", "PlaybackStarted",
       "PlaybackFinished", "ChannelHangupRequest", "StasisEnd",
       "ChannelDestroyed"],
      "ARI: DTMF, hold, playback, hangup request, Stasis end, destroyed")
t.is_((evs[0]["digit"], evs[4]["cause"], evs[6]["cause"],
       evs[6]["cause_txt"]), ("7", 17, 17, "User busy"),
      "ARI: the digit and the hangup cause (reason=busy: 17)")
t.is_([(e["playback"]["id"], e["playback"]["state"],
        e["playback"]["target_uri"]) for e in evs[2:4]],
      [(pb["id"], "playing", "channel:ari-1"),
       (pb["id"], "done", "channel:ari-1")],
      "ARI: the playback's events name the reply's playback")
t.ok(all(list(e) == list(CAPT[e["type"]]) for e in evs
         if e["type"] in CAPT) and
     list(evs[2]["playback"]) == list(CAPT["PlaybackStarted"]["playback"]),
     "ARI: their keys are the captures'")
t.is_(ari("GET", "/ari/channels/ari-1")[0], 404,
      "ARI: the hung-up channel is gone")
every.wait_for(lambda e: e["type"] == "ChannelDestroyed")
t.is_(other.next(0.2), None,
      "ARI: an app without subscribeAll sees none of another app's "
      "channels")
ctl.rule(dest="601", ring_ms=10, answer_ms=20, outcome="busy")
ari("POST", "/ari/channels?endpoint=PJSIP/601&app=pbxapi&channelId=ari-2")
evs = app.wait_for(lambda e: e["type"] == "ChannelDestroyed")
t.is_([(e["type"], e.get("dialstatus"), e.get("cause")) for e in evs],
      [("Dial", "", None), ("ChannelStateChange", None, None),
       ("Dial", "BUSY", None), ("ChannelDestroyed", None, 17)],
      "ARI: a busy destination: Dial BUSY, destroyed with cause 17")
ctl.rule(dest="602", outcome="congestion")
ari("POST", "/ari/channels?endpoint=PJSIP/602&app=pbxapi&channelId=ari-3")
evs = app.wait_for(lambda e: e["type"] == "ChannelDestroyed")
t.is_((evs[-2].get("dialstatus"), evs[-1]["cause"], evs[-1]["cause_txt"]),
      ("CONGESTION", 34, "Circuit/channel congestion"),
      "ARI: a congested destination: Dial CONGESTION, cause 34")
ctl.rule(dest="603", ring_ms=10, answer_ms=10, hangup_after_ms=40)
ari("POST", "/ari/channels?endpoint=Local/603@test&app=pbxapi"
    "&channelId=ari-4")
evs = app.wait_for(lambda e: e["type"] == "ChannelDestroyed")
t.is_([(e["type"], e.get("cause")) for e in evs[-4:]],
      [("StasisStart", None), ("ChannelHangupRequest", 16),
       ("StasisEnd", None), ("ChannelDestroyed", 16)],
      "ARI: hangup_after_ms: the far end hangs up, cause 16")
cid = ctl.ok("call 700 incoming app=pbxapi")
evs = app.wait_for(lambda e: e["type"] == "ChannelStateChange")
t.is_([(e["type"], e["channel"]["id"], e["channel"]["state"])
       for e in evs],
      [("ChannelDialplan", cid, "Ring"), ("StasisStart", cid, "Ring"),
       ("ChannelStateChange", cid, "Up")],
      "ARI: control 'call ... incoming': an incoming call into Stasis")
t.is_(ari("POST", "/ari/bridges/br-1/addChannel?channel=" + cid)[0], 204,
      "ARI: addChannel")
ari("POST", "/ari/bridges/br-1/removeChannel?channel=" + cid)
evs = app.wait_for(lambda e: e["type"] == "ChannelLeftBridge")
t.is_([(e["type"], e["bridge"]["id"], e["channel"]["id"]) for e in evs],
      [("ChannelEnteredBridge", "br-1", cid),
       ("ChannelLeftBridge", "br-1", cid)],
      "ARI: the channel enters and leaves the bridge")
t.ok(all(list(e) == list(CAPT[e["type"]]) and
         list(e["bridge"]) == list(CAPT[e["type"]]["bridge"])
         for e in evs), "ARI: bridge events have the captures' keys")
s = ctl.state()
t.is_([(c["id"], c["state"]) for c in s["calls"]],
      [("ari-1", "Gone"), ("ari-2", "Gone"), ("ari-3", "Gone"),
       ("ari-4", "Gone"), (cid, "Up")],
      "ARI: control 'state' dumps the world")
ctl.inject('{"type":"ChannelUserevent","eventname":"x"}')
t.is_(app.next(5), {"type": "ChannelUserevent", "eventname": "x"},
      "ARI: control 'inject' sends a raw event")
t.ok(logged(log, "ari", "StasisStart") and logged(log, "ari", "inject"),
     "ARI: emitted events are logged as world lines")
ctl.ok("drop")
t.ok(app.closed() and every.closed() and other.closed(),
     "ARI: control 'drop' closes every event connection")
ctl.ok("refuse 60000")
t.ok(refused(lambda: ws("app=pbxapi")),
     "ARI: control 'refuse' refuses new connections")
t.is_(ctl.state()["refusing"], True, "ARI: state says so")
ctl.ok("refuse 0")
app = ws("app=pbxapi")
st, lst = ari("GET", "/ari/channels")
t.is_([c["id"] for c in lst], [cid],
      "ARI: after the outage a client rebuilds state from the list")
ari("DELETE", "/ari/channels/" + cid)
t.is_([e["type"] for e in app.wait_for(
    lambda e: e["type"] == "ChannelDestroyed")],
      ["ChannelHangupRequest", "StasisEnd", "ChannelDestroyed"],
      "ARI: the new subscription follows the call to its end")

# --- ARI: the client's frames as Asterisk takes them: pings answered
# (after data frames of 16- and 64-bit lengths, masked), a close
# answered; "stall" silences the websockets ---


def ws_log(what):
    return [json.loads(x) for x in T.read(log).splitlines()
            if json.loads(x).get("ws") == what]


pp = ws("app=pingtest")
pp.send_text("x" * 300)
pp.send_frame(9, b"p16")
t.is_(pp.frame(5), (10, b"p16"),
      "ARI: a ping after a 16-bit-length frame: a pong with its payload")
pp.send_text("y" * 70000)
pp.send_frame(9, b"p64")
t.is_(pp.frame(5), (10, b"p64"),
      "ARI: a ping after a 64-bit-length frame: a pong with its payload")
t.is_([(x["raw"], x["answered"]) for x in ws_log("ping")],
      [("p16", True), ("p64", True)], "ARI: pings logged as answered")
ctl.ok("stall 60000")
pp.send_frame(9, b"mute")
t.is_(pp.frame(0.5), None, "ARI: stalled, a ping is not answered")
T.wait_for(lambda: len(ws_log("ping")) == 3, what="the stalled ping logged")
t.is_(ws_log("ping")[-1]["answered"], False, "ARI: and logged as not")
sc = ws("app=stalled&subscribeAll=true")
call = ctl.ok("call 650 app=stalled")
t.is_(sc.next(0.5), None, "ARI: stalled, no event goes out")
t.is_(ctl("stall x"), "err stall wants milliseconds",
      "ARI: stall without milliseconds is refused")
ctl.ok("stall 0")
pp.send_frame(9, b"back")
t.is_(pp.frame(5), (10, b"back"), "ARI: 'stall 0' ends it: pongs again")
ctl.ok("hangup %s" % call)
t.is_(sc.wait_for(lambda e: e["type"] == "ChannelDestroyed")[0]["type"],
      "ChannelHangupRequest", "ARI: and events again")
pp.send_frame(8, b"\x03\xe8bye")
try:
    pp.frame(5)
    t.ok(False, "ARI: a close is answered with a close")
except E.Closed:
    t.is_(pp.close_data, b"\x03\xe8",
          "ARI: a close is answered with a close of its code")
t.ok(pp.closed(), "ARI: and the connection is closed")
bad = ws("app=pingtest")
bad.sock.sendall(bytes([0x89, 0x00]))
try:
    bad.frame(5)
    t.ok(False, "ARI: an unmasked client frame is a close 1002")
except E.Closed:
    t.is_(bad.close_data, b"\x03\xea",
          "ARI: an unmasked client frame is a close 1002")

# --- AMI: events to logins with events on, in the captures' shapes ---


def ami_capture(fname):
    """The first frame of each event in an AMI capture: its header
    names, in order."""
    out = {}
    text = T.read(os.path.join(FX, "ami", fname)).replace("\r", "")
    for m in text.split("\n\n"):
        h = E.parse_headers(m)
        if "Event" in h:
            out.setdefault(h["Event"], h[None])
    return out


ACAP = ami_capture("Events_Originate_Hangup.txt")
ACAP.update(ami_capture("CoreShowChannels.txt"))
SCEN = os.path.join(D, "ami.json")
T.write(SCEN, json.dumps({"auth_delay_ms": 0, "calls": [
    {"dest": "600", "ring_ms": 30, "answer_ms": 30}]}))
port, ctl, log = double("ami", "--fixtures", os.path.join(FX, "ami"),
                        "--scenario", SCEN)
a, quiet = E.AMI(port), E.AMI(port, events="off")
t.is_(a.login["Message"], "Authentication accepted", "AMI: login")
r = a.action("Originate", Channel="Local/600@test", Context="test",
             Exten="600", Priority="1", Async="true", ChannelId="ami-1",
             CallerID="Alice <100>")
t.is_((r["Response"], r["Message"]),
      ("Success", "Originate successfully queued"),
      "AMI: Originate to a scenario destination is queued")
evs = a.wait_for(lambda e: e.get("Event") == "OriginateResponse")
evs = [e for e in evs if e.get("Uniqueid", e.get("DestUniqueid")) ==
       "ami-1"]
t.is_([e["Event"] for e in evs],
      ["Newchannel", "DialBegin", "Newstate", "Newstate", "DialEnd",
       "OriginateResponse"], "AMI: the originate's events, in order")
t.is_([e.get("ChannelStateDesc", e.get("DestChannelStateDesc"))
       for e in evs[:5]], ["Down", "Down", "Ringing", "Up", "Up"],
      "AMI: the channel's state at each event")
# OriginateResponse of an originate to Context/Exten names those where
# the captured one (to an Application) has Application/Data (manager.c).
ORIG = [{"Application": "Context", "Data": "Exten"}.get(k, k)
        for k in ACAP["OriginateResponse"]]
t.is_([e["Event"] for e in evs
       if e[None] != ACAP[e["Event"]] and e[None] != ORIG], [],
      "AMI: every event has the capture's headers, in its order")
t.is_((evs[-1]["Response"], evs[-1]["Reason"], evs[-1]["ActionID"]),
      ("Success", "4", r["ActionID"]),
      "AMI: OriginateResponse Success, Reason 4, the action's ActionID")
r = a.action("CoreShowChannels")
lst = a.wait_for(lambda e: e.get("Event") == "CoreShowChannelsComplete")
t.is_([(e["Uniqueid"], e["ChannelStateDesc"], e["CallerIDNum"])
       for e in lst[:-1]], [("ami-1", "Up", "100")],
      "AMI: CoreShowChannels lists the live call")
t.ok(lst[0][None] == ACAP["CoreShowChannel"] and
     lst[-1]["ListItems"] == "1", "AMI: in the capture's shape")
a.action("PlayDTMF", Channel="ami-1", Digit="5")
r = a.action("Hangup", Channel=evs[0]["Channel"], Cause="16")
t.is_(r["Message"], "Channel Hungup", "AMI: Hangup by channel name")
evs = a.wait_for(lambda e: e.get("Event") == "Hangup")
t.is_([(e["Event"], e.get("Digit"), e.get("Cause")) for e in evs],
      [("DTMFBegin", "5", None), ("DTMFEnd", "5", None),
       ("HangupRequest", None, "16"), ("Hangup", None, "16")],
      "AMI: DTMF, then the hangup with its cause")
t.ok(evs[-1][None] == ACAP["Hangup"] and
     evs[-1]["Cause-txt"] == "Normal Clearing",
     "AMI: Hangup as captured")
ctl.rule(dest="601", ring_ms=10, answer_ms=20, outcome="busy")
a.action("Originate", Channel="PJSIP/601", Context="test", Exten="601",
         Priority="1", Async="true")
evs = a.wait_for(lambda e: e.get("Event") == "Hangup")
t.is_([(e["Event"], e.get("DialStatus"), e.get("Response"),
        e.get("Reason"), e.get("Cause")) for e in evs],
      [("Newchannel", None, None, None, None),
       ("DialBegin", None, None, None, None),
       ("Newstate", None, None, None, None),
       ("DialEnd", "BUSY", None, None, None),
       ("OriginateResponse", None, "Failure", "5", None),
       ("Hangup", None, None, None, "17")],
      "AMI: a busy destination: DialEnd BUSY, Failure 5, cause 17")
t.is_(quiet.next(0.2), None, "AMI: a login with Events: off gets none")
cid = ctl.ok("call 800 incoming")
t.is_([(e["Event"], e["ChannelStateDesc"]) for e in a.wait_for(
    lambda e: e.get("Event") == "Newstate")],
      [("Newchannel", "Ring"), ("Newstate", "Up")],
      "AMI: control 'call ... incoming'")
ctl.ok("bridge %s br-1" % cid)
ctl.ok("bridge " + cid)
evs = a.wait_for(lambda e: e.get("Event") == "BridgeLeave")
t.is_([(e["Event"], e["BridgeUniqueid"], e["Uniqueid"]) for e in evs],
      [("BridgeEnter", "br-1", cid), ("BridgeLeave", "br-1", cid)],
      "AMI: control 'bridge': BridgeEnter, BridgeLeave")
t.is_(ctl("hangup nosuch"), "err no such channel",
      "AMI: control on an unknown call is an error")
ctl.inject("Event: QueueMemberPause\r\nPrivilege: agent,all\r\n"
           "Queue: 801\r\nPaused: 1\r\n\r\n")
e = a.next(5)
t.is_((e["Event"], e["Paused"]), ("QueueMemberPause", "1"),
      "AMI: control 'inject' sends a raw frame")
t.ok(logged(log, "ami", "OriginateResponse"), "AMI: events are logged")
ctl.ok("drop")
t.ok(a.closed(), "AMI: control 'drop' closes the event connections")
t.ok(not quiet.closed(0.2), "AMI: ... and only those")
ctl.ok("refuse 60000")
t.ok(refused(lambda: E.AMI(port)), "AMI: control 'refuse'")
ctl.ok("refuse 0")
a = E.AMI(port)
a.action("CoreShowChannels")
lst = a.wait_for(lambda e: e.get("Event") == "CoreShowChannelsComplete")
t.is_([e["Uniqueid"] for e in lst if e.get("Event") == "CoreShowChannel"],
      [cid],
      "AMI: after the outage CoreShowChannels rebuilds the state")

# ami_double's own commands: endpoints and an origination without a
# channel.
ctl.ok("device 102 INUSE")
e = a.next(5)
t.is_((e.get("Event"), e.get("Device"), e.get("State")),
      ("DeviceStateChange", "PJSIP/102", "INUSE"),
      "AMI: control 'device': DeviceStateChange")
ctl.ok("contact 102 sip:102@127.0.0.1:5070 created")
e = a.next(5)
t.is_((e.get("Event"), e.get("ContactStatus"), e.get("AOR"),
       e.get("EndpointName"), e.get("URI")),
      ("ContactStatus", "Created", "102", "102", "sip:102@127.0.0.1:5070"),
      "AMI: control 'contact': ContactStatus")
a.action("PJSIPShowEndpoints")
lst = a.wait_for(lambda e: e.get("Event") == "EndpointListComplete")
ep = [e for e in lst if e.get("ObjectName") == "102"]
t.is_([(e["DeviceState"], e["Contacts"]) for e in ep],
      [("In use", "102/sip:102@127.0.0.1:5070,")],
      "AMI: PJSIPShowEndpoints lists the device state and the contact")
t.is_(ctl("device 102 SLEEPY")[:3], "err",
      "AMI: control 'device' with an unknown state is an error")
ctl.ok("refuse-originate 990 8")
r = a.action("Originate", Channel="PJSIP/990", Context="test", Exten="990",
             Priority="1", Async="true", ChannelId="ami-refused")
t.is_(r.get("Response"), "Success", "AMI: a refused origination is queued")
e = a.next(5)
t.is_((e.get("Event"), e.get("Response"), e.get("Reason"),
       e.get("Uniqueid"), e.get("ActionID") == r.get("ActionID")),
      ("OriginateResponse", "Failure", "8", "<unknown>", True),
      "AMI: control 'refuse-originate': only OriginateResponse Failure")
t.is_(a.next(0.3), None, "AMI: ... and no channel's events")

# --- ESL: event json, FreeSWITCH's framing and headers ---
SCEN = os.path.join(D, "esl.scenario")
T.write(SCEN, 'call {"dest": "600", "ring_ms": 30, "answer_ms": 30, '
        '"media": true}\n')
port, ctl, log = double("esl", "--scenario", SCEN)
e = E.ESL(port)
t.is_(e.auth[0]["Reply-Text"], "+OK accepted", "ESL: auth")
t.is_(e.command("event json ALL")[0]["Reply-Text"],
      "+OK event listener enabled json", "ESL: event json ALL")
plain = E.ESL(port)
plain.command("event plain CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE")
api = E.ESL(port)
U = "0f8f3bb4-1111-4222-8333-000000000001"
h, body = api.command("api originate {origination_uuid=%s,"
                      "origination_caller_id_number=100}"
                      "sofia/gateway/gw/600 &park()" % U)
t.is_(body, "+OK %s\n" % U, "ESL: originate answers +OK and the uuid")
evs = e.wait_for(lambda x: x["Event-Name"] == "CHANNEL_ANSWER")
t.is_([(x["Event-Name"], x["Channel-Call-State"], x["Answer-State"])
       for x in evs],
      [("CHANNEL_CREATE", "DOWN", "ringing"),
       ("CHANNEL_PROGRESS", "RINGING", "ringing"),
       ("CHANNEL_PROGRESS_MEDIA", "EARLY", "early"),
       ("CHANNEL_ANSWER", "ACTIVE", "answered")],
      "ESL: create, progress, early media, answer")
t.ok(all(x["_headers"]["Content-Type"] == "text/event-json" and
         x["_headers"][None] == ["Content-Length", "Content-Type"]
         for x in evs), "ESL: text/event-json frames, Content-Length first")
NEED = ("Event-Name", "Core-UUID", "Event-Date-Timestamp", "Unique-ID",
        "Channel-Name", "Channel-State", "Channel-Call-State",
        "Answer-State", "Call-Direction", "Caller-Caller-ID-Number",
        "Caller-Destination-Number", "variable_uuid")
t.ok(all(all(k in x for k in NEED) and x["Unique-ID"] == U and
         all(isinstance(v, str) for k, v in x.items() if k != "_headers")
         for x in evs),
     "ESL: FreeSWITCH's header names, every value a string")
t.is_((evs[0]["Caller-Caller-ID-Number"],
       evs[0]["Caller-Destination-Number"], evs[-1]["Channel-State"]),
      ("100", "600", "CS_EXECUTE"), "ESL: caller, destination, state")
rows = json.loads(api.command("api show channels as json")[1])
t.is_((rows["row_count"], rows["rows"][0]["uuid"],
       rows["rows"][0]["callstate"]), (1, U, "ACTIVE"),
      "ESL: show channels as json lists the live call")
t.is_(api.command("api uuid_exists " + U)[1], "true", "ESL: uuid_exists")
api.command("api uuid_send_dtmf %s 3" % U)
api.command("api uuid_hold " + U)
t.is_(api.command("api uuid_kill %s USER_BUSY" % U)[1], "+OK\n",
      "ESL: uuid_kill")
evs = e.wait_for(lambda x: x["Event-Name"] == "CHANNEL_DESTROY")
t.is_([(x["Event-Name"], x.get("DTMF-Digit"), x.get("Hangup-Cause"))
       for x in evs],
      [("DTMF", "3", None), ("CHANNEL_HOLD", None, None),
       ("CHANNEL_HANGUP", None, "USER_BUSY"),
       ("CHANNEL_HANGUP_COMPLETE", None, "USER_BUSY"),
       ("CHANNEL_DESTROY", None, "USER_BUSY")],
      "ESL: DTMF, hold, and the hangup with uuid_kill's cause")
got = plain.wait_for(lambda x: x["Event-Name"] == "CHANNEL_HANGUP_COMPLETE")
t.is_([(x["_headers"]["Content-Type"], x["Event-Name"]) for x in got],
      [("text/event-plain", "CHANNEL_ANSWER"),
       ("text/event-plain", "CHANNEL_HANGUP_COMPLETE")],
      "ESL: event plain with names gets only those, as plain")
ctl.rule(dest="601", ring_ms=10, answer_ms=20, outcome="noanswer")
h, body = api.command("bgapi originate sofia/internal/601@example.org "
                      "&park()")
evs = e.wait_for(lambda x: x["Event-Name"] == "CHANNEL_DESTROY")
t.is_([(x["Event-Name"], x.get("Hangup-Cause")) for x in evs],
      [("CHANNEL_CREATE", None), ("CHANNEL_PROGRESS", None),
       ("CHANNEL_HANGUP", "NO_ANSWER"),
       ("CHANNEL_HANGUP_COMPLETE", "NO_ANSWER"),
       ("CHANNEL_DESTROY", "NO_ANSWER")],
      "ESL: bgapi originate of a noanswer destination")
ctl.rule(dest="604", outcome="fail")
api.command("api originate user/604@example.org &park()")
evs = e.wait_for(lambda x: x["Event-Name"] == "CHANNEL_DESTROY")
t.is_([(x["Event-Name"], x.get("Hangup-Cause")) for x in evs],
      [("CHANNEL_CREATE", None), ("CHANNEL_PROGRESS", None),
       ("CHANNEL_HANGUP", "CALL_REJECTED"),
       ("CHANNEL_HANGUP_COMPLETE", "CALL_REJECTED"),
       ("CHANNEL_DESTROY", "CALL_REJECTED")],
      "ESL: a failing destination: CALL_REJECTED")
t.is_(api.command("api originate sofia/internal/999 &park()")[1][:4],
      "+OK ", "ESL: a destination without a rule answers as before")
t.is_(json.loads(api.command("api show channels as json")[1])
      ["row_count"], 0, "ESL: ... and is no call of the world")
t.ok(logged(log, "esl", "CHANNEL_ANSWER"), "ESL: events are logged")
ctl.ok("drop")
t.ok(e.closed() and plain.closed(), "ESL: control 'drop' closes them")
t.is_(api.command("api status")[1][:3], "UP ",
      "ESL: ... and only the event connections")
ctl.ok("refuse 60000")
t.ok(refused(lambda: E.ESL(port)), "ESL: control 'refuse'")
ctl.ok("refuse 0")
e = E.ESL(port)
t.is_(e.auth[0]["Reply-Text"], "+OK accepted",
      "ESL: connections are accepted again after 'refuse 0'")
e.command("event json CHANNEL_BRIDGE")
U2, U3 = U[:-1] + "2", U[:-1] + "3"
for u in (U2, U3):
    api.command("api originate {origination_uuid=%s}user/600 &park()" % u)
t.is_(api.command("api uuid_bridge %s %s" % (U2, U3))[1], "+OK %s\n" % U2,
      "ESL: uuid_bridge of two live calls")
evs = [e.next(5), e.next(5)]
t.is_([(x["Event-Name"], x["Unique-ID"], x["Other-Leg-Unique-ID"])
       for x in evs],
      [("CHANNEL_BRIDGE", U2, U3), ("CHANNEL_BRIDGE", U3, U2)],
      "ESL: CHANNEL_BRIDGE on each leg, naming the other")
t.done()
