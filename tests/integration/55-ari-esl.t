#!/usr/bin/env python3
# The ARI dialect (/ari/channels) over the FreeSWITCH event socket, for
# FusionPBX tenants, through the real nginx and pool against the ESL
# double: ARI credentials of two tenants, each one FusionPBX domain
# (FUSIONPBX_DOMAIN); the Channel model from "show channels as json"
# and the domain scoping (another domain's channel does not exist); the
# exact ESL command of every translated operation; the 404s, the 501s of
# what FreeSWITCH cannot do; injection attempts refused with a 400
# before anything reaches the event socket (the double's log says so);
# the event socket down or stalled is a 503 within the deadline.
import base64
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T  # noqa: E402
import fusionpbx as F  # noqa: E402

T.timeout(150)
t = T.Tap()
esl = F.Esl()
D, O = "fusionpbx.example.net", "other.example.org"
SOUNDS = "/usr/share/freeswitch/sounds/en/us/callie"
RECS = "/var/lib/freeswitch/recordings"


def esl_keys(domain=None):
    env = {"ESL_HOST": "127.0.0.1", "ESL_PORT": str(esl.port),
           "ESL_PASSWORD": esl.password}
    if domain:
        env["FUSIONPBX_DOMAIN"] = domain
    return env


def section(name, env, tokens):
    return "[tenant %s]\n%s\n%s\n" % (
        name, "\n".join("%s = %s" % kv for kv in env.items()),
        "\n".join("token = %s" % tk for tk in tokens))


pool = T.Pool(
    settings={"backend_timeout": "2s"}, env=esl_keys(D),
    extra="token = app:app-secret ari-control\n"
          "token = viewer:viewer-secret ari-read\n" +
          section("other", dict(esl_keys(O),
                                FUSIONPBX_SOUNDS_DIR="/srv/sounds/fr",
                                FUSIONPBX_RECORDINGS_DIR="/srv/recs"),
                  ["bob:bob-secret ari-control"]) +
          section("nodomain", dict(esl_keys(), ARI_BACKEND="esl"),
                  ["nod:nod-secret ari-control"]))
web = T.Nginx(pool)


def basic(user, pw):
    return {"Authorization": "Basic " +
            base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()}


CTRL, RO, BOB, NOD = (basic("app", "app-secret"),
                      basic("viewer", "viewer-secret"),
                      basic("bob", "bob-secret"), basic("nod", "nod-secret"))

# FreeSWITCH's channels: two of domain D (one by its context, one only
# by its presence_id), one of the other tenant's domain, and one in the
# public context that no domain owns yet.
A1 = "7f3c2a10-5b1e-4c2d-9e8f-000000000001"
A2 = "7f3c2a10-5b1e-4c2d-9e8f-000000000002"
B1 = "7f3c2a10-5b1e-4c2d-9e8f-000000000003"
N1 = "7f3c2a10-5b1e-4c2d-9e8f-000000000004"


def row(uuid, context, presence, **kw):
    r = {"uuid": uuid, "direction": "inbound",
         "created": "2026-11-22 12:23:40", "created_epoch": "1795350220",
         "name": "sofia/internal/100@%s" % D, "state": "CS_EXECUTE",
         "cid_name": "Alice", "cid_num": "100", "ip_addr": "192.0.2.10",
         "dest": "200", "application": "bridge",
         "application_data": "user/200@%s" % D, "dialplan": "XML",
         "context": context, "read_codec": "PCMU", "read_rate": "8000",
         "read_bit_rate": "64000", "write_codec": "PCMU",
         "write_rate": "8000", "write_bit_rate": "64000", "secure": "",
         "hostname": "fs1", "presence_id": presence, "presence_data": "",
         "accountcode": D, "callstate": "ACTIVE", "callee_name": "Bob",
         "callee_num": "200", "callee_direction": "", "call_uuid": "",
         "sent_callee_name": "", "sent_callee_num": "",
         "initial_cid_name": "Alice", "initial_cid_num": "100",
         "initial_ip_addr": "192.0.2.10", "initial_dest": "200",
         "initial_dialplan": "XML", "initial_context": context}
    r.update(kw)
    return r


ROWS = [row(A1, D, "100@" + D),
        row(A2, "public", "101@" + D.upper(), direction="outbound",
            callstate="RINGING", cid_name="", cid_num="0000000000",
            name="sofia/internal/101@192.0.2.11", application="",
            application_data="", callee_name="", callee_num=""),
        row(B1, O, "200@" + O, name="sofia/internal/200@" + O),
        row(N1, "public", "", dest="15035550100")]
BASE = "".join("channel %s\n" % json.dumps(r) for r in ROWS) + \
    "var %s foo bar baz\nvar %s empty \n" % (A1, A1)


def scenario(extra=""):
    esl.scenario(BASE + extra)


def cmds():
    """What reached the event socket since the last clear, auth aside."""
    return [c.decode("latin-1") for c in esl.commands()
            if not c.startswith(b"auth ")]


def req(method, path, headers=CTRL, body=None):
    h = dict(headers)
    if body is not None:
        h["Content-Type"] = "application/json"
        body = json.dumps(body)
    esl.clear()
    st, hdr, data = web.request(method, path, h, body)
    return st, hdr, data


def message(b):
    try:
        return json.loads(b).get("message")
    except (ValueError, AttributeError):
        return None


scenario()
SHOW = "api show channels as json"

# --- list and get: the Channel model, scoped to the domain ---
st, _, body = req("GET", "/ari/channels")
chans = json.loads(body)
t.is_((st, [c["id"] for c in chans]), (200, [A1, A2]),
      "list: the domain's channels (by context, by presence_id), in "
      "FreeSWITCH's order")
t.is_(cmds(), [SHOW], "list: one 'show channels as json'")
want = {"id": A1, "name": "sofia/internal/100@" + D, "state": "Up",
        "protocol_id": "", "caller": {"name": "Alice", "number": "100"},
        "connected": {"name": "Bob", "number": "200"}, "accountcode": "",
        "dialplan": {"context": D, "exten": "200", "priority": 1,
                     "app_name": "bridge",
                     "app_data": "user/200@" + D},
        "creationtime": "2026-11-22T12:23:40.000+0000", "language": "en"}
t.is_(chans[0], want, "list: ARI's Channel from FreeSWITCH's columns")
t.is_(list(chans[0]), list(want), "with ARI's keys in ARI's order")
t.is_(list(chans[0]["dialplan"]), list(want["dialplan"]),
      "and the dialplan's")
t.is_(chans[1]["state"], "Ringing", "an outbound RINGING call is Ringing")
st, _, body = req("GET", "/ari/channels/" + A1)
t.is_((st, json.loads(body)), (200, want), "get: the same Channel")
for who, uuid in (("another domain's", B1), ("the public context's", N1),
                  ("an unknown", "nosuch")):
    st, _, body = req("GET", "/ari/channels/" + uuid)
    t.is_((st, body), (404, b'{"message":"Channel not found"}'),
          "get: %s channel is 404 Channel not found" % who)
st, _, body = req("GET", "/ari/channels", BOB)
t.is_((st, [c["id"] for c in json.loads(body)]), (200, [B1]),
      "the other tenant lists only its domain's channel")
t.is_(req("GET", "/ari/channels/" + A1, BOB)[0], 404,
      "and cannot get the first tenant's")
t.is_(req("GET", "/ari/channels", RO)[0], 200, "ari-read lists")
st, _, body = req("DELETE", "/ari/channels/" + A1, RO)
t.is_((st, message(body), cmds()), (403, "Write access denied", []),
      "ari-read cannot hang up (nothing sent)")
esl.scenario("")
t.is_(req("GET", "/ari/channels")[:3:2], (200, b"[]"),
      "no channel at all: [] ({\"row_count\":0})")
scenario()

# --- each operation's ESL command ---
ops = [
    ("DELETE", "", None, 204, ["uuid_kill %s NORMAL_CLEARING"]),
    ("DELETE", "?reason_code=17", None, 204, ["uuid_kill %s 17"]),
    ("POST", "/continue?extension=300", None, 204,
     ["uuid_transfer %%s 300 XML %s" % D]),
    ("POST", "/continue", None, 204, ["uuid_transfer %%s 200 XML %s" % D]),
    ("POST", "/continue?context=%s&extension=*97&priority=1" % D, None, 204,
     ["uuid_transfer %%s *97 XML %s" % D]),
    ("POST", "/redirect?endpoint=PJSIP/300", None, 204,
     ["uuid_transfer %%s 300 XML %s" % D]),
    ("POST", "/redirect?endpoint=Local/301@%s" % D, None, 204,
     ["uuid_transfer %%s 301 XML %s" % D]),
    ("POST", "/answer", None, 204, ["uuid_answer %s"]),
    ("POST", "/ring", None, 204, ["uuid_ring_ready %s"]),
    ("POST", "/dtmf?dtmf=12,3%23&between=100&duration=200", None, 204,
     ["uuid_send_dtmf %s 12w3#@200"]),
    ("POST", "/dtmf", {"dtmf": "9"}, 204, ["uuid_send_dtmf %s 9"]),
    ("POST", "/mute?direction=both", None, 204,
     ["uuid_audio %s start read mute 1", "uuid_audio %s start write mute 1"]),
    ("POST", "/mute?direction=in", None, 204,
     ["uuid_audio %s start read mute 1"]),
    ("DELETE", "/mute?direction=out", None, 204,
     ["uuid_audio %s start write mute 0"]),
    ("DELETE", "/mute?direction=both", None, 204, ["uuid_audio %s stop"]),
    ("POST", "/hold", None, 204, ["uuid_hold %s"]),
    ("DELETE", "/hold", None, 204, ["uuid_hold off %s"]),
    ("POST", "/moh", None, 204, ["uuid_broadcast %s local_stream://moh"]),
    ("POST", "/moh?mohClass=default", None, 204,
     ["uuid_broadcast %s local_stream://default"]),
    ("DELETE", "/moh", None, 204, ["uuid_break %s"]),
    ("POST", "/silence", None, 204,
     ["uuid_broadcast %s silence_stream://-1"]),
    ("DELETE", "/silence", None, 204, ["uuid_break %s"]),
    ("POST", "/variable?variable=foo&value=hello%20world", None, 204,
     ["uuid_setvar %s foo hello world"]),
    ("POST", "/variable", {"variable": "foo"}, 204, ["uuid_setvar %s foo"]),
]
reasons = {"normal": "NORMAL_CLEARING", "busy": "USER_BUSY",
           "congestion": "NORMAL_CIRCUIT_CONGESTION", "no_answer": "NO_ANSWER",
           "timeout": "RECOVERY_ON_TIMER_EXPIRE", "rejected": "CALL_REJECTED",
           "unallocated": "UNALLOCATED_NUMBER",
           "normal_unspecified": "NORMAL_UNSPECIFIED",
           "number_incomplete": "INVALID_NUMBER_FORMAT",
           "codec_mismatch": "INCOMPATIBLE_DESTINATION",
           "interworking": "INTERWORKING", "failure": "NETWORK_OUT_OF_ORDER",
           "answered_elsewhere": "LOSE_RACE"}
for reason, cause in reasons.items():
    ops.append(("DELETE", "?reason=" + reason, None, 204,
                ["uuid_kill %%s %s" % cause]))
for method, tail, body, want_st, want_cmds in ops:
    st, _, data = req(method, "/ari/channels/%s%s" % (A1, tail), body=body)
    t.is_((st, data, cmds()),
          (want_st, b"", [SHOW] + ["api " + c % A1 for c in want_cmds]),
          "%s %s: %s" % (method, tail or "/", " + ".join(want_cmds)))

st, hdr, body = req("POST", "/ari/channels/%s/play?media=sound:ivr/"
                    "ivr-welcome&lang=en" % A1)
pb = json.loads(body)
t.is_((st, cmds()), (201, [SHOW, "api uuid_broadcast %s %s/ivr/"
                           "ivr-welcome.wav" % (A1, SOUNDS)]),
      "play sound:x: uuid_broadcast of the file under the sounds dir")
t.is_((hdr.get("location"), list(pb)),
      ("/ari/playbacks/" + pb["id"],
       ["id", "media_uri", "target_uri", "language", "state"]),
      "play: 201, Location and ARI's Playback")
t.is_((pb["media_uri"], pb["target_uri"], pb["state"]),
      ("sound:ivr/ivr-welcome", "channel:" + A1, "queued"),
      "play: media_uri, target_uri, queued")
st, hdr, body = req("POST", "/ari/channels/%s/play/pb-1?media=sound:a,"
                    "sound:b/c" % A1)
t.is_((st, hdr.get("location"), json.loads(body)["next_media_uri"], cmds()),
      (201, "/ari/playbacks/pb-1", "sound:b/c",
       [SHOW, "api uuid_broadcast %s file_string://%s/a.wav!%s/b/c.wav" %
        (A1, SOUNDS, SOUNDS)]),
      "playWithId, two media: file_string://a!b, next_media_uri")
st, hdr, body = req("POST", "/ari/channels/%s/record?name=call-1.2&"
                    "format=wav&maxDurationSeconds=60&ifExists=overwrite&"
                    "beep=no&terminateOn=none&maxSilenceSeconds=0" % A1)
t.is_((st, cmds()), (201, [SHOW, "api uuid_record %s start %s/%s/call-1.2."
                           "wav 60" % (A1, RECS, D)]),
      "record: uuid_record into the domain's recordings")
t.is_((hdr.get("location"), json.loads(body)),
      ("/ari/recordings/live/call-1.2",
       {"name": "call-1.2", "format": "wav", "state": "queued",
        "target_uri": "channel:" + A1}),
      "record: 201, Location and ARI's LiveRecording")
st, _, body = req("GET", "/ari/channels/%s/variable?variable=foo" % A1, RO)
t.is_((st, body, cmds()), (200, b'{"value":"bar baz"}',
                           [SHOW, "api uuid_getvar %s foo" % A1]),
      "getChannelVar: uuid_getvar, ARI's Variable (ari-read may)")
t.is_(req("GET", "/ari/channels/%s/variable?variable=empty" % A1)[:3:2],
      (200, b'{"value":""}'), "an empty variable: \"\"")
st, _, body = req("GET", "/ari/channels/%s/variable?variable=nope" % A1)
t.is_((st, body), (404, b'{"message":"Provided variable was not found"}'),
      "an unset variable (_undef_): 404")
raw = web.raw(("GET /ari/channels/%s/variable?variable=nope HTTP/1.0\r\n"
               "Host: x\r\nAuthorization: %s\r\n\r\n" %
               (A1, CTRL["Authorization"])).encode())
t.like(raw.split(b"\r\n")[0].decode(), "404 Variable Not Found",
       "with ARI's status line")

# --- originate ---
st, _, body = req("POST", "/ari/channels?endpoint=PJSIP/100&extension=200")
ch = json.loads(body)
t.is_((st, cmds()),
      (200, ["bgapi originate {origination_uuid=%s,originate_timeout=30}"
             "user/100@%s 200 XML %s" % (ch.get("id"), D, D)]),
      "originate: bgapi originate into the domain, a new uuid as the id")
t.is_((ch["state"], ch["name"], ch["dialplan"]["context"],
       ch["dialplan"]["exten"], list(ch) == list(want)),
      ("Down", "user/100@" + D, D, "200", True),
      "originate: the Channel at creation (Down)")
t.ok(any(h[0] == "Job-UUID" for p in esl.packets() for h in p["headers"]
         if p["command"].startswith(b"bgapi")),
     "the bgapi carries a Job-UUID")
orig_body = {"variables": {"FIXTURE_ORIG_VAR": "v1",
                           "CALLERID(name)": "Fixture Two",
                           "X_SPACED": {"value": "a b",
                                        "report_events": True},
                           "": "skipped"}}
st, _, body = req("POST", "/ari/channels/new-1?endpoint=Local/600@%s&"
                  "app=pbxapi&appArgs=a,b&callerId=ARI%%20Test%%20%%3C5554000"
                  "%%3E&timeout=15" % D, body=orig_body)
t.is_((st, json.loads(body)["id"], cmds()),
      (200, "new-1", ["api uuid_exists new-1",
                      "bgapi originate {origination_uuid=new-1,"
                      "originate_timeout=15,origination_caller_id_name="
                      "'ARI Test',origination_caller_id_number=5554000,"
                      "FIXTURE_ORIG_VAR=v1,origination_caller_id_name="
                      "'Fixture Two',X_SPACED='a b'}loopback/600/%s "
                      "&park()" % D]),
      "originateWithId, app, callerId, variables: the id checked free, "
      "parked, values with blanks quoted")
for ep, dial in (("user/100", "user/100@" + D), ("USER/100@" + D.upper(),
                                                  "user/100@" + D),
                 ("SIP/101", "user/101@" + D),
                 ("loopback/5035550100", "loopback/5035550100/" + D),
                 ("loopback/9664/" + D, "loopback/9664/" + D),
                 ("Local/*97", "loopback/*97/" + D)):
    st, _, body = req("POST", "/ari/channels/o-1?endpoint=%s&extension=1"
                      "&timeout=-1" % ep)
    t.is_((st, cmds()[-1:]),
          (200, ["bgapi originate {origination_uuid=o-1}%s 1 XML %s" %
                 (dial, D)]),
          "originate endpoint %s: %s (timeout -1: none set)" % (ep, dial))
st, _, body = req("POST", "/ari/channels/%s?endpoint=PJSIP/1&extension=1" % A1)
t.is_((st, message(body), cmds()),
      (409, "Channel with given unique ID already exists",
       ["api uuid_exists " + A1]), "originateWithId of a live id: 409")

# --- FreeSWITCH's answers ---
scenario("reply uuid_answer -ERR No such channel!\\n\n")
st, _, body = req("POST", "/ari/channels/%s/answer" % A1)
t.is_((st, message(body)), (404, "Channel not found"),
      "FreeSWITCH's -ERR No such channel! (gone meanwhile): 404")
scenario("reply uuid_hold -ERR Operation Failed\\n\n")
st, _, body = req("POST", "/ari/channels/%s/hold" % A1)
t.is_((st, message(body)), (500, "FreeSWITCH refused the operation"),
      "another -ERR: 500")
scenario("reply show garbage\n")
st, _, body = req("GET", "/ari/channels")
t.is_((st, message(body)), (500, "Unexpected reply from FreeSWITCH"),
      "a show channels reply that is not JSON: 500")
scenario()

# --- other domains' channels: 404, and nothing but the lookup sent ---
for method, tail in (("DELETE", ""), ("POST", "/answer"), ("POST", "/hold"),
                     ("POST", "/dtmf?dtmf=1"), ("POST", "/mute?direction=in"),
                     ("POST", "/moh"), ("POST", "/play?media=sound:x"),
                     ("POST", "/record?name=x&format=wav"),
                     ("POST", "/variable?variable=x&value=y"),
                     ("POST", "/continue?extension=1"),
                     ("POST", "/redirect?endpoint=PJSIP/1")):
    for uuid in (B1, N1):
        st, _, body = req(method, "/ari/channels/%s%s" % (uuid, tail))
        t.is_((st, message(body), cmds()), (404, "Channel not found", [SHOW]),
              "%s %s on %s: 404, no command" % (
                  method, tail or "/", "another domain's channel"
                  if uuid == B1 else "a public channel"))
st, _, body = req("GET", "/ari/channels/%s/variable?variable=foo" % B1)
t.is_((st, message(body)), (404, "Provided channel was not found"),
      "getChannelVar of another domain's channel: ARI's variable 404")
st, _, body = req("POST", "/ari/channels/%s/answer" % A1, BOB)
t.is_((st, cmds()), (404, [SHOW]), "nor can the other tenant touch ours")
st, _, _ = req("POST", "/ari/channels/%s/play?media=sound:x" % B1, BOB)
t.is_((st, cmds()[-1:]),
      (201, ["api uuid_broadcast %s /srv/sounds/fr/x.wav" % B1]),
      "the other tenant's own channel, its FUSIONPBX_SOUNDS_DIR")
st, _, _ = req("POST", "/ari/channels/%s/record?name=r&format=ogg" % B1, BOB)
t.is_((st, cmds()[-1:]),
      (201, ["api uuid_record %s start /srv/recs/%s/r.ogg" % (B1, O)]),
      "and its FUSIONPBX_RECORDINGS_DIR, under its domain")

# --- 501: what FreeSWITCH cannot do ---
nosup = [
    ("POST", "/ari/channels/create?endpoint=PJSIP/1&app=x", "create"),
    ("POST", "/ari/channels/%s/dial" % A1, "dial"),
    ("DELETE", "/ari/channels/%s/ring" % A1, "ringStop"),
    ("POST", "/ari/channels/%s/snoop?spy=in&app=x" % A1, "snoopChannel"),
    ("POST", "/ari/channels/%s/snoop/s-1?spy=in&app=x" % A1,
     "snoopChannelWithId"),
    ("POST", "/ari/channels?endpoint=PJSIP/1&extension=1&label=x", "label"),
    ("POST", "/ari/channels?endpoint=PJSIP/1&extension=1&priority=2",
     "priority"),
    ("POST", "/ari/channels?endpoint=PJSIP/1&extension=1&formats=ulaw",
     "formats"),
    ("POST", "/ari/channels?endpoint=PJSIP/1&app=x&otherChannelId=z",
     "otherChannelId"),
    ("POST", "/ari/channels/%s/continue?label=x" % A1, "label"),
    ("POST", "/ari/channels/%s/dtmf?dtmf=1&before=100" % A1, "before"),
    ("POST", "/ari/channels/%s/play?media=sound:x&offsetms=5" % A1,
     "offsetms"),
    ("POST", "/ari/channels/%s/play?media=tone:ring" % A1, "tone"),
    ("POST", "/ari/channels/%s/play?media=recording:x" % A1, "recording"),
    ("POST", "/ari/channels/%s/record?name=x&format=wav&beep=yes" % A1,
     "beep"),
    ("POST", "/ari/channels/%s/record?name=x&format=wav&ifExists=fail" % A1,
     "ifExists"),
    ("POST", "/ari/channels/%s/record?name=x&format=wav&terminateOn=%%23"
     % A1, "terminateOn"),
    ("POST", "/ari/channels/%s/record?name=x&format=wav&maxSilenceSeconds=3"
     % A1, "maxSilenceSeconds"),
    ("GET", "/ari/channels/%s/variable?variable=CHANNEL(state)" % A1,
     "functions"),
]
for method, path, what in nosup:
    st, _, body = req(method, path)
    t.is_((st, cmds()), (501, []), "%s: 501, nothing sent" % what)
    t.like(message(body) or "", "not supported by the event socket backend",
           "%s: saying so" % what)

# --- injection attempts: 400, nothing reaches the event socket ---
ORIG = "/ari/channels?endpoint=PJSIP/100&extension=200"
bad = [
    ("POST", "/ari/channels/a'b/answer", None),
    ("POST", "/ari/channels/a%7Bb%7D/answer", None),
    ("POST", "/ari/channels/a,b/hold", None),
    ("DELETE", "/ari/channels/a%5Eb", None),
    ("GET", "/ari/channels/a%7Cb/variable?variable=x", None),
    ("POST", "/ari/channels/x%22y?endpoint=PJSIP/1&extension=1", None),
    ("POST", "/ari/channels?channelId=a;b&endpoint=PJSIP/1&extension=1",
     None),
    ("POST", ORIG, {"variables": {"A": "x}user/1"}}),
    ("POST", ORIG, {"variables": {"A": "x,execute_on_answer=system id"}}),
    ("POST", ORIG, {"variables": {"A": "${system(id)}"}}),
    ("POST", ORIG, {"variables": {"A": "it's"}}),
    ("POST", ORIG, {"variables": {"A": "a\\b"}}),
    ("POST", ORIG, {"variables": {"A": "^^:a:b"}}),
    ("POST", ORIG, {"variables": {"A": "x|sofia/gateway/gw/1"}}),
    ("POST", ORIG, {"variables": {"A": "[x=y]"}}),
    ("POST", ORIG, {"variables": {"A": "x\u0007"}}),
    ("POST", ORIG, {"variables": {"A B": "x"}}),
    ("POST", ORIG, {"variables": {"A=1,B": "x"}}),
    ("POST", ORIG, {"variables": {"api_on_answer": "system touch pwned"}}),
    ("POST", ORIG, {"variables": {"execute_on_answer": "bridge x"}}),
    ("POST", ORIG, {"variables": {"api_hangup_hook": "system x"}}),
    ("POST", ORIG, {"variables": {"presence_id": "1@" + O}}),
    ("POST", ORIG, {"variables": {"domain_name": O}}),
    ("POST", ORIG, {"variables": {"transfer_after_bridge": "1 XML " + O}}),
    ("POST", ORIG, {"variables": {"hold_music": "/etc/passwd"}}),
    ("POST", ORIG, {"variables": {"origination_uuid": A1}}),
    ("POST", ORIG + "&callerId=x%7D%7By", None),
    ("POST", ORIG + "&callerId=Bob%20%3C1,2%3E", None),
    ("POST", ORIG + "&callerId=%24%7Bsystem(id)%7D", None),
    ("POST", ORIG + "&context=" + O, None),
    ("POST", "/ari/channels?endpoint=PJSIP/1&extension=1'", None),
    ("POST", "/ari/channels?endpoint=PJSIP/1&extension=%7B1%7D", None),
    ("POST", "/ari/channels?endpoint=sofia/gateway/gw/5551212&extension=1",
     None),
    ("POST", "/ari/channels?endpoint=user/100@%s&extension=1" % O, None),
    ("POST", "/ari/channels?endpoint=Local/600@%s&extension=1" % O, None),
    ("POST", "/ari/channels?endpoint=loopback/600/%s&extension=1" % O, None),
    ("POST", "/ari/channels?endpoint=Local/600@%s/n&extension=1" % D, None),
    ("POST", "/ari/channels?endpoint=PJSIP/100@x&extension=1", None),
    ("POST", "/ari/channels?endpoint=user/1,user/2&extension=1", None),
    ("POST", "/ari/channels?endpoint=user/%7Bx=y%7D1&extension=1", None),
    ("POST", "/ari/channels/%s/redirect?endpoint=sofia/gateway/gw/1" % A1,
     None),
    ("POST", "/ari/channels/%s/redirect?endpoint=PJSIP/1@%s" % (A1, O),
     None),
    ("POST", "/ari/channels/%s/continue?context=%s&extension=1" % (A1, O),
     None),
    ("POST", "/ari/channels/%s/continue?extension=1'" % A1, None),
    ("POST", "/ari/channels/%s/variable" % A1,
     {"variable": "api_hangup_hook", "value": "system touch pwned"}),
    ("POST", "/ari/channels/%s/variable" % A1,
     {"variable": "foo", "value": "${system(id)}"}),
    ("POST", "/ari/channels/%s/variable" % A1,
     {"variable": "foo", "value": "it's"}),
    ("POST", "/ari/channels/%s/variable" % A1,
     {"variable": "domain_name", "value": O}),
    ("POST", "/ari/channels/%s/variable" % A1,
     {"variable": "foo bar", "value": "x"}),
    ("GET", "/ari/channels/%s/variable?variable=a;b" % A1, None),
    ("POST", "/ari/channels/%s/moh?mohClass=a,b" % A1, None),
    ("POST", "/ari/channels/%s/play?media=sound:../../etc/passwd" % A1,
     None),
    ("POST", "/ari/channels/%s/play?media=sound:a%%7Cb" % A1, None),
    ("POST", "/ari/channels/%s/play?media=nosuch:x" % A1, None),
    ("POST", "/ari/channels/%s/record?name=a/b&format=wav" % A1, None),
    ("POST", "/ari/channels/%s/record?name=.x&format=wav" % A1, None),
    ("POST", "/ari/channels/%s/record?name=a%%27b&format=wav" % A1, None),
    ("DELETE", "/ari/channels/%s?reason_code=300" % A1, None),
]
refused = 0
for method, path, body in bad:
    st, _, data = req(method, path, body=body)
    sent = cmds()
    ok = st in (400, 422) and sent == [] and message(data)
    refused += bool(ok)
    t.ok(ok, "%s %s %s: %d %r, nothing sent%s" % (
        method, path[:70], json.dumps(body)[:60] if body else "", st,
        message(data), "" if not sent else " (SENT %r)" % sent))
t.is_(refused, len(bad), "all %d injection attempts refused" % len(bad))
t.like(message(req("POST", ORIG, body={"variables": {
    "api_on_answer": "x"}})[2]) or "", "may not be set",
    "a variable that runs an API: a message that says so")
t.like(message(req("POST", "/ari/channels?endpoint=sofia/gateway/gw/1&"
                   "extension=1")[2]) or "", "not allowed",
       "a sofia endpoint: a message that says so")
t.ok(not any(b"system" in p["raw"] or O.encode() in p["raw"]
             for p in esl.packets()),
     "no packet ever named system or the other domain")

# --- a tenant without FUSIONPBX_DOMAIN ---
st, _, body = req("GET", "/ari/channels", NOD)
t.is_((st, message(body), cmds()),
      (500, "Event socket backend not configured", []),
      "ARI_BACKEND=esl without FUSIONPBX_DOMAIN: 500, nothing sent")
t.like(T.read(pool.error_log), "FUSIONPBX_DOMAIN is not set",
       "and the log says why")

# --- the event socket down or stalled: 503 within the deadline ---
UNAV = "FreeSWITCH event socket unavailable"
esl.stop()
t0 = time.time()
st, _, body = req("GET", "/ari/channels")
t.is_((st, message(body)), (503, UNAV), "event socket down: 503")
t.ok(time.time() - t0 < 3, "answered in %.2fs" % (time.time() - t0))
st, _, body = req("POST", "/ari/channels?endpoint=PJSIP/1&extension=1")
t.is_((st, message(body)), (503, UNAV), "originate too")
esl.start()
scenario("fault cmd=show stall\n")
t0 = time.time()
st, _, body = req("GET", "/ari/channels/" + A1)
dt = time.time() - t0
t.is_((st, message(body)), (503, UNAV), "show channels stalls: 503")
t.ok(dt < 4, "answered in %.2fs (backend_timeout 2s)" % dt)
scenario("fault cmd=uuid_answer close-after 10\n")
st, _, body = req("POST", "/ari/channels/%s/answer" % A1)
t.is_((st, message(body)), (503, UNAV), "reply cut mid-way: 503")
scenario()
st, _, body = req("GET", "/ari/channels")
t.is_((st, len(json.loads(body))), (200, 2), "and it serves again")
t.done()
