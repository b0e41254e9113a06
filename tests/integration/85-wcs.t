#!/usr/bin/env python3
# The Flashphoner WCS dialect (docs/wcs.md) through nginx and the pool,
# with the event companion following the ARI double's call world (and,
# for a second tenant pinned by a second nginx, the AMI double's): the
# fixtures of spec §5 (find_all empty -> 404, a duplicate callId -> 409,
# find -> an array of full Call objects, string booleans, Content-Length:
# 0, OPTIONS preflights and CORS), a call's statuses RING -> ESTABLISHED
# -> FINISH kept for wcs.retain then gone, BUSY and FAILED, terminate,
# send_dtmf and inject_sound reaching the double, dial-string injection
# refused before anything reaches it, an Idempotency-Key retry placing
# one call, AMI startup and terminate, an AMI origination that makes no
# channel ending BUSY/FAILED, 501/404 for the media families,
# and Basic auth (wcs.basic_auth = on) answering 401 without it.
import base64
import json
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import evclient as E
import pbxtest as T

T.timeout(170)
t = T.Tap()
D = T.tmpdir("pbxapi-wcs-")
RETAIN = 2.0

# -- the ARI double's world -------------------------------------------
APORTF = os.path.join(D, "ari.port")
AWORLD = os.path.join(D, "ari.world")
ALOG = os.path.join(D, "ari.jsonl")
T.spawn([os.path.join(T.BUILD, "doubles", "ari_double"), "--port-file",
         APORTF, "--world", AWORLD, "--lifetime", "165", "--log", ALOG,
         "--fixtures", os.path.join(T.SHARED, "fixtures", "ari")],
        log=os.path.join(D, "ari.out"))
T.wait_for(lambda: T.read(APORTF).strip() and os.path.exists(AWORLD),
           what="ari_double")
APORT = T.read(APORTF).strip()
actl = E.Control(AWORLD)
# 600 rings after 100 ms, answered 200 ms later, stays up; 601 is busy,
# 602 is not answered, 603 fails.
actl.rule(dest="600", ring_ms=100, answer_ms=200, outcome="answer")
actl.rule(dest="601", ring_ms=50, answer_ms=100, outcome="busy")
actl.rule(dest="602", ring_ms=50, answer_ms=100, outcome="noanswer")
actl.rule(dest="603", ring_ms=50, answer_ms=100, outcome="fail")

# -- the AMI double's world -------------------------------------------
MPORTF = os.path.join(D, "ami.port")
MWORLD = os.path.join(D, "ami.world")
MLOG = os.path.join(D, "ami.jsonl")
SCEN = os.path.join(D, "scenario.json")
T.write(SCEN, json.dumps({"auth_delay_ms": 0, "rules": []}))
T.spawn([os.path.join(T.BUILD, "doubles", "ami_double"), "--port-file",
         MPORTF, "--scenario", SCEN, "--log", MLOG, "--lifetime", "165",
         "--fixtures", os.path.join(T.SHARED, "fixtures", "ami"),
         "--world", MWORLD], log=os.path.join(D, "ami.out"))
T.wait_for(lambda: os.path.exists(MPORTF) and os.path.exists(MWORLD),
           what="ami_double")
MPORT = int(T.read(MPORTF))
mctl = E.Control(MWORLD)
mctl.rule(dest="700", ring_ms=100, answer_ms=200, outcome="answer")

MEDIA = os.path.join(D, "media")
os.makedirs(MEDIA)
T.write(os.path.join(MEDIA, "hello.wav"), "RIFF")
os.symlink("/etc/passwd", os.path.join(MEDIA, "link.wav"))

pool = T.Pool(settings={"pm.max_children": "2", "events": "off",
                        "events.backoff_max": "500ms",
                        "companion.timeout": "500ms",
                        "backend_timeout": "1s",
                        "wcs.retain": "%dms" % int(RETAIN * 1000)},
              env={"events": "ari", "ARI_ENABLED": "true",
                   "token": "app:app-secret ari-control",
                   "ARI_PORT": APORT, "ARI_EVENTS_APP": "wcsgw",
                   "WCS_MEDIA_DIR": MEDIA,
                   "API_SECRET_KEY": "wcs-key-0123456789abcdef0123"},
              extra="[tenant amit]\nevents = ami\nAMI_HOST = 127.0.0.1\n"
                    "AMI_PORT = %d\nAMI_USERNAME = admin\n"
                    "AMI_SECRET = amp111\nARI_BACKEND = ami\n"
                    "token = amit:amit-secret ari-control\n" % MPORT)
web = T.Nginx(pool)
webm = T.Nginx(pool, tenant="amit")


def post(path, body=None, headers=None, w=None):
    """POST /rest-api<path> with a JSON body (None: Content-Length: 0)."""
    data = b"" if body is None else (
        body if isinstance(body, bytes) else json.dumps(body).encode())
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    st, hd, b = (w or web).request("POST", "/rest-api" + path, h, data)
    return st, hd, b


def calls(body):
    try:
        return json.loads(body)
    except ValueError:
        return None


def until(fn, seconds=10):
    end = time.monotonic() + seconds
    while True:
        try:
            v = fn()
            if v:
                return v
        except Exception:
            pass
        if time.monotonic() >= end:
            return None
        time.sleep(0.02)


def status_of(cid, w=None):
    st, _, b = post("/call/find", {"callId": cid}, w=w)
    if st != 200:
        return None
    return calls(b)[0]


def wait_status(cid, want, seconds=10, w=None):
    return until(lambda: (status_of(cid, w) or {}).get("status") == want
                 and status_of(cid, w), seconds)


def logged(log, pred):
    n = 0
    for line in T.read(log).splitlines():
        try:
            x = json.loads(line)
        except ValueError:
            continue
        if pred(x):
            n += 1
    return n


def ari_requests(method, path_re):
    return logged(ALOG, lambda x: x.get("method") == method and
                  re.search(path_re, x.get("path", "") or x.get("uri", "")))


# -- the companion is synced ------------------------------------------
def synced(name):
    _, _, body = web.get("/status?json")
    c = json.loads(body).get("companion") or {}
    return any(x.get("tenant") == name and x.get("state") == "connected"
               for x in c.get("tenants", []))


T.wait_for(lambda: pool.companions(), what="the companion")
T.wait_for(lambda: synced("default"), 15, what="the ARI source synced")
T.wait_for(lambda: synced("amit"), 15, what="the AMI source synced")

KEYS = ["custom", "nodeId", "appKey", "sessionId", "callId", "parentCallId",
        "incoming", "status", "sipStatus", "rtmpUrl", "rtmpStream",
        "streamName", "rtmpStreamStatus", "caller", "callee", "hasAudio",
        "hasVideo", "sdp", "visibleName", "inviteParameters",
        "mediaProvider", "sipMessageRaw", "isMsrp", "target",
        "holdForTransfer"]

# -- §5: find_all with no calls is 404, Content-Length: 0 accepted ----
st, h, b = post("/call/find_all")
t.is_(st, 404, "find_all without calls: 404 (not [])")
t.is_(h.get("access-control-allow-origin"), "*", "CORS on an error")
st, h, b = web.request("GET", "/rest-api/call/find_all")
t.is_(st, 404, "find_all by GET: 404 too")

# -- startup, find: a full Call object, string booleans ---------------
st, h, b = post("/call/startup", {
    "callId": "wcs-call-1", "callee": "600", "hasAudio": "true",
    "hasVideo": "false", "sipLogin": "10009", "sipPassword": "1234",
    "sipDomain": "pbx.example.com", "sipRegisterRequired": "false",
    "visibleName": "WCS_10009", "appKey": "defaultApp", "sipPort": "5060"})
t.is_(st, 200, "startup with string booleans: 200")
t.is_(b, b"", "startup: an empty body")
t.is_(h.get("access-control-allow-origin"), "*", "startup: CORS header")
t.is_(ari_requests("POST", r"^/ari/channels/wcs-call-1\?"), 1,
      "startup: one POST /ari/channels/{callId} at the double")
st, h, b = post("/call/startup", {"callId": "wcs-call-1", "callee": "600"})
t.is_(st, 409, "startup again with the same callId: 409")
c = wait_status("wcs-call-1", "ESTABLISHED")
t.ok(c is not None, "the call reaches ESTABLISHED")
st, h, b = post("/call/find", {"callId": "wcs-call-1"})
doc = calls(b)
t.is_(st, 200, "find by callId: 200")
t.ok(isinstance(doc, list) and len(doc) == 1, "find: an array of one")
t.is_(list(doc[0].keys()) if doc else None, KEYS,
      "find: every key of the Call model, in order")
t.like(h.get("content-type", ""), "application/json", "find: JSON")
t.ok("x-state-age" in h, "find: X-State-Age")
c = doc[0] if doc else {}
t.is_((c.get("status"), c.get("sipStatus")), ("ESTABLISHED", 200),
      "find: ESTABLISHED/200")
t.is_((c.get("callee"), c.get("caller"), c.get("visibleName")),
      ("600", "10009", "WCS_10009"), "find: callee, caller, visibleName")
t.is_((c.get("hasAudio"), c.get("hasVideo"), c.get("incoming"),
       c.get("isMsrp"), c.get("custom"), c.get("rtmpUrl")),
      (True, False, False, False, {}, None), "find: JSON types")
st, _, b = post("/call/find", {"status": "ESTABLISHED"})
t.ok(st == 200 and any(x["callId"] == "wcs-call-1" for x in calls(b)),
     "find by status")
st, _, b = post("/call/find", {"callId": "nope"})
t.is_(st, 404, "find with no match: 404")
st, _, b = post("/call/find_all", b"{}")
t.ok(st == 200 and len(calls(b)) == 1, "find_all with {}: the call")

# -- send_dtmf, inject_sound ------------------------------------------
st, _, b = post("/call/send_dtmf", {"callId": "wcs-call-1", "dtmf": "12#",
                                    "type": "RFC2833"})
t.is_(st, 200, "send_dtmf: 200")
t.is_(ari_requests("POST", r"^/ari/channels/wcs-call-1/dtmf\?dtmf=12%23"),
      1, "send_dtmf: POST .../dtmf at the double")
st, _, b = post("/call/inject_sound", {"callId": "wcs-call-1",
                                       "fileName": "missing.wav"})
t.is_(st, 404, "inject_sound of a missing file: 404")
st, _, b = post("/call/inject_sound", {"callId": "wcs-call-1",
                                       "fileName": "link.wav"})
t.is_(st, 404, "inject_sound through a symlink: 404")
st, _, b = post("/call/inject_sound", {"callId": "wcs-call-1",
                                       "fileName": "../hello.wav"})
t.is_(st, 400, "inject_sound with a path: 400")
st, _, b = post("/call/inject_sound", {"callId": "wcs-call-1",
                                       "fileName": "hello.wav"})
t.is_(st, 200, "inject_sound of a file in the media dir: 200")
t.is_(ari_requests("POST", r"^/ari/channels/wcs-call-1/play\?media=sound"
                   r"%3A.*hello$"), 1,
      "inject_sound: POST .../play?media=sound:<dir>/hello")

# -- a log rotation keeps the companion and its registry ---------------
comp0 = pool.companions()
gen0 = json.loads(web.get("/status?json")[2]).get("generation")
os.rename(pool.error_log, pool.error_log + ".1")
pool.kill(signal.SIGUSR1)
t.ok(T.poll(lambda: "companion: error log reopened" in
            T.read(pool.error_log), 5),
     "SIGUSR1: the companion writes to the new error log")
t.ok(T.poll(lambda: json.loads(web.get("/status?json")[2])
            .get("generation") == gen0 + 1, 5),
     "SIGUSR1: a new generation of workers")
t.is_(pool.companions(), comp0, "SIGUSR1: the same companion, not replaced")
st, _, b = post("/call/find", {"callId": "wcs-call-1"})
t.is_([(c["callId"], c["status"]) for c in calls(b)] if st == 200 else st,
      [("wcs-call-1", "ESTABLISHED")],
      "SIGUSR1: the registry still has the call")
st, _, b = post("/call/startup", {"callId": "wcs-call-1", "callee": "600"})
t.is_(st, 409, "SIGUSR1: its callId is still taken")

# -- hold, terminate: FINISH kept for wcs.retain, then gone -----------
actl.ok("hold wcs-call-1")
t.ok(wait_status("wcs-call-1", "HOLD"), "hold: HOLD")
actl.ok("unhold wcs-call-1")
t.ok(wait_status("wcs-call-1", "ESTABLISHED"), "unhold: ESTABLISHED")
st, _, b = post("/call/terminate", {"callId": "wcs-call-1"})
t.is_((st, b), (200, b""), "terminate: 200, empty")
c = wait_status("wcs-call-1", "FINISH")
t.is_((c or {}).get("sipStatus"), 200, "after hangup: FINISH/200 retained")
ended = time.monotonic()
st, _, b = post("/call/terminate", {"callId": "wcs-call-1"})
t.is_(st, 404, "terminate of an ended call: 404")
gone = until(lambda: post("/call/find", {"callId": "wcs-call-1"})[0] == 404,
             RETAIN + 5)
t.ok(gone and time.monotonic() - ended >= RETAIN / 2,
     "the finished call goes after wcs.retain")

# -- BUSY, FAILED -----------------------------------------------------
for cid, dest, want in (("wcs-busy", "601", ("BUSY", 486)),
                        ("wcs-noanswer", "602", ("FAILED", 480)),
                        ("wcs-fail", "603", ("FAILED", 603))):
    st, _, _ = post("/call/startup", {"callId": cid, "callee": dest})
    c = until(lambda: (status_of(cid) or {}).get("status") in
              ("BUSY", "FAILED", "FINISH") and status_of(cid))
    t.is_((c or {}).get("status"), want[0], "%s: %s" % (dest, want[0]))
    t.is_((c or {}).get("sipStatus"), want[1], "%s: sipStatus %d" %
          (dest, want[1]))

# -- a live channel's id is taken; JSON booleans ----------------------
actl.ok("call 600 id=live-1 app=wcsgw")
T.wait_for(lambda: any(c["id"] == "live-1" and c["state"] == "Up"
                       for c in actl.state()["calls"]), what="live-1 up")
before = ari_requests("POST", r"^/ari/channels")


def live_conflict():
    return post("/call/startup", {"callId": "live-1",
                                  "callee": "600"})[0] == 409


t.ok(until(live_conflict), "startup with a live channel's id: 409")
t.is_(ari_requests("POST", r"^/ari/channels"), before,
      "the conflict reached nothing")
before = ari_requests("DELETE", r"^/ari/channels/live-1") + \
    ari_requests("POST", r"^/ari/channels/live-1/")
st, _, _ = post("/call/terminate", {"callId": "live-1"})
t.is_(st, 404, "terminate of a channel startup did not place: 404")
st, _, _ = post("/call/send_dtmf", {"callId": "live-1", "dtmf": "1"})
t.is_(st, 404, "send_dtmf to it: 404")
st, _, _ = post("/call/inject_sound", {"callId": "live-1",
                                       "fileName": "hello.wav"})
t.is_(st, 404, "inject_sound into it: 404")
t.is_(ari_requests("DELETE", r"^/ari/channels/live-1") +
      ari_requests("POST", r"^/ari/channels/live-1/"), before,
      "none of them reached the double")
actl.ok("hangup live-1")
st, _, _ = post("/call/startup", {"callId": "wcs-bool", "callee": "600",
                                  "hasAudio": False, "hasVideo": True})
c = status_of("wcs-bool") or {}
t.is_((st, c.get("hasAudio"), c.get("hasVideo")), (200, False, True),
      "JSON booleans accepted and kept")
st, _, _ = post("/call/startup", {"callId": "wcs-bool2", "callee": "600",
                                  "hasVideo": "maybe"})
t.is_(st, 400, "a boolean that is neither: 400")
post("/call/terminate", {"callId": "wcs-bool"})

# -- dial-string injection refused before the double ------------------
before = ari_requests("POST", r"^/ari/channels")
for field, val in (("sipLogin", "100\r\nX: y"), ("sipLogin", "100,200"),
                   ("callee", "600&PJSIP/700"), ("callee", "600\n"),
                   ("sipDomain", "a/b"), ("visibleName", "a\"b"),
                   ("callee", "600@evil"), ("sipLogin", "1\u0000")):
    body = {"callId": "wcs-inj", "callee": "600"}
    body[field] = val
    st, _, _ = post("/call/startup", body)
    t.is_(st, 400, "startup with %s=%r: 400" % (field, val))
t.is_(ari_requests("POST", r"^/ari/channels"), before,
      "nothing reached the double")

# -- Idempotency-Key: one call for two POSTs --------------------------
IK = {"Idempotency-Key": "key-42"}
st1, _, b1 = post("/call/startup", {"callId": "wcs-idem", "callee": "600"},
                  IK)
st2, h2, b2 = post("/call/startup", {"callId": "wcs-idem", "callee": "600"},
                   IK)
t.is_((st1, b1), (200, b""), "startup with a key: 200")
t.is_((st2, b2), (200, b""), "the retry: the same answer")
t.is_(h2.get("idempotent-replayed"), "true", "the retry: marked replayed")
t.is_(ari_requests("POST", r"^/ari/channels/wcs-idem\?"), 1,
      "exactly one POST /ari/channels/wcs-idem at the double")
st3, _, _ = post("/call/startup", {"callId": "wcs-idem", "callee": "600"})
t.is_(st3, 409, "without the key, the same callId: 409")
post("/call/terminate", {"callId": "wcs-idem"})

# -- the longest callId, key and names: every method still finds it ----
LONG = ("a@b:" * 32)[:128]
st, _, b = post("/call/startup", {"callId": LONG, "callee": "600",
                                  "visibleName": "N" * 64,
                                  "sipLogin": "1" * 64},
                {"Idempotency-Key": "k" * 120})
t.is_((st, b), (200, b""), "startup with a 128-byte callId of '@' and ':', "
      "a 120-byte key and 64-byte names: 200")
st, _, b = post("/call/find", {"callId": LONG})
t.is_([c["callId"] for c in calls(b)] if st == 200 else st, [LONG],
      "find of it")
st, _, _ = post("/call/terminate", {"callId": LONG})
t.is_(st, 200, "terminate of it: 200")

# -- Idempotency-Key on ARI's originate -------------------------------
ARI_AUTH = {"Authorization": "Basic " +
            base64.b64encode(b"app:app-secret").decode(),
            "Idempotency-Key": "ari-key-1"}
OPATH = "/ari/channels?endpoint=PJSIP%2F600&app=wcsgw"
st1, h1, b1 = web.request("POST", OPATH, ARI_AUTH, b"")
st2, h2, b2 = web.request("POST", OPATH, ARI_AUTH, b"")
t.is_(st1, 200, "ARI originate with a key: 200")
t.ok(b1.startswith(b"{") and b2 == b1 and st2 == st1,
     "the retry: the same status and body")
t.is_(h2.get("idempotent-replayed"), "true", "the retry: marked replayed")
t.is_(ari_requests("POST", r"^/ari/channels\?endpoint="), 1,
      "exactly one originate at the double")
st3, _, _ = web.request("POST", OPATH, dict(ARI_AUTH, **{
    "Idempotency-Key": "ari-key-2"}), b"")
t.is_((st3, ari_requests("POST", r"^/ari/channels\?endpoint=")), (200, 2),
      "another key: another originate")
st, _, _ = web.request("POST", OPATH, dict(ARI_AUTH, **{
    "Idempotency-Key": "bad key"}), b"")
t.is_(st, 400, "a key with a space: 400")
for body in (b1,):
    try:
        web.request("DELETE", "/ari/channels/" + json.loads(body)["id"],
                    ARI_AUTH)
    except Exception:
        pass

# -- an answer lost after the backend may have acted: the key keeps it --
# The AMI double takes the next Originate and never answers: the worker
# gives up at backend_timeout (503), Asterisk may have placed the call,
# so a retry with the key is that 503 again, not a second Originate.
AMIT_AUTH = {"Authorization": "Basic " +
             base64.b64encode(b"amit:amit-secret").decode(),
             "Idempotency-Key": "ari-key-lost"}
APATH = "/ari/channels?endpoint=Local%2F700%40from-internal&extension=700"


def originates(pat):
    return logged(MLOG, lambda x: re.search(
        r"Action: Originate.*" + pat, x.get("raw", ""), re.S | re.I))


T.write(SCEN, json.dumps({"auth_delay_ms": 0, "rules": [
    {"action": "Originate", "fault": "stall", "times": 1}]}))
before = originates("Exten: 700")
st1, _, b1 = webm.request("POST", APATH, AMIT_AUTH, b"")
T.write(SCEN, json.dumps({"auth_delay_ms": 0, "rules": []}))
st2, h2, b2 = webm.request("POST", APATH, AMIT_AUTH, b"")
t.is_(st1, 503, "an Originate AMI never answers: 503")
t.is_((st2, b2, h2.get("idempotent-replayed")), (503, b1, "true"),
      "its retry with the key: the same 503, replayed")
t.is_(originates("Exten: 700") - before, 1,
      "one Originate at the double, not two")
# A refused one placed nothing: its key is forgotten, the retry runs.
REF = dict(AMIT_AUTH, **{"Idempotency-Key": "ari-key-refused"})
st3, _, _ = webm.request("POST", "/ari/channels?endpoint=Local%2F700%40"
                         "from-internal", REF, b"")
st4, h4, _ = webm.request("POST", APATH, REF, b"")
t.is_((st3, st4, h4.get("idempotent-replayed")), (400, 200, None),
      "a refused originate's key (400) is forgotten: the retry runs, 200")

# -- AMI: startup and terminate ---------------------------------------
st, _, b = post("/call/startup", {"callId": "wcs-ami-1", "callee": "700",
                                  "sipLogin": "555"}, w=webm)
t.is_(st, 200, "AMI startup: 200")
t.ok(until(lambda: logged(MLOG, lambda x: re.search(
    r"Action: Originate.*ChannelId: wcs-ami-1", x.get("raw", ""),
    re.S | re.I))), "AMI: Originate with ChannelId at the double")
t.ok(wait_status("wcs-ami-1", "ESTABLISHED", w=webm),
     "AMI: the call reaches ESTABLISHED")
st, _, b = post("/call/send_dtmf", {"callId": "wcs-ami-1", "dtmf": "4*"},
                w=webm)
t.is_(st, 200, "AMI send_dtmf: 200")
t.ok(until(lambda: logged(MLOG, lambda x: re.search(
    r"Action: PlayDTMF.*Digit: \*", x.get("raw", ""), re.S | re.I)) and
    logged(MLOG, lambda x: re.search(
        r"Action: PlayDTMF.*Digit: 4", x.get("raw", ""), re.S | re.I))),
     "AMI send_dtmf: one PlayDTMF per digit")
st, _, b = post("/call/terminate", {"callId": "wcs-ami-1"}, w=webm)
t.is_(st, 200, "AMI terminate: 200")
c = wait_status("wcs-ami-1", "FINISH", w=webm)
t.ok(c is not None, "AMI: FINISH after terminate")
st, _, b = post("/call/inject_sound", {"callId": "wcs-ami-1",
                                       "fileName": "hello.wav"}, w=webm)
t.is_(st, 501, "AMI inject_sound: 501")

# -- AMI: an origination that never makes a channel -------------------
# The double queues it, then sends only OriginateResponse: Failure with
# Uniqueid <unknown> (Events_Originate_Failure.txt): the callId comes
# back in the ActionID, the Reason gives the status (docs/wcs.md).
for dest, reason, want, sip in (("790", 5, "BUSY", 486),
                                ("791", 8, "FAILED", 503),
                                ("792", 3, "FAILED", 480),
                                ("793", 0, "FAILED", 404)):
    mctl.ok("refuse-originate %s %d" % (dest, reason))
    cid = "wcs-ami-refused-%s" % dest
    st, _, b = post("/call/startup", {"callId": cid, "callee": dest,
                                      "sipLogin": "10009"}, w=webm)
    t.is_(st, 200, "AMI refused origination %s: startup 200" % dest)
    t.ok(logged(MLOG, lambda x, c=cid: re.search(
        r"Action: Originate.*ActionID: [^\r\n]*;wcs=" + re.escape(c),
        x.get("raw", ""), re.S | re.I)),
        "AMI refused origination %s: the ActionID carries the callId"
        % dest)
    c = wait_status(cid, want, w=webm)
    t.ok(c is not None, "AMI refused origination %s (Reason %d): %s"
         % (dest, reason, want))
    t.is_((c or {}).get("sipStatus"), sip,
          "AMI refused origination %s: sipStatus %d" % (dest, sip))

# -- the media families, preflight ------------------------------------
for path in ("/call/inject_stream", "/call/inject_stream/startup",
             "/push/startup", "/stream/find_all", "/mixer/startup",
             "/cdn/show_routes", "/rtsp/find_all"):
    st, h, _ = post(path, {})
    t.is_(st, 501, "%s: 501" % path)
st, _, _ = post("/nothing/here", {})
t.is_(st, 404, "an unknown family: 404")
st, h, b = web.request("OPTIONS", "/rest-api/call/startup",
                       {"Origin": "http://x.example",
                        "Access-Control-Request-Method": "POST"})
t.is_(st, 200, "OPTIONS preflight: 200")
t.is_(h.get("access-control-allow-origin"), "*", "preflight: allow origin")
t.like(h.get("access-control-allow-methods", ""), "POST",
       "preflight: allow methods")
t.like(h.get("access-control-allow-headers", ""), "idempotency-key",
       "preflight: allow headers")
st, h, b = web.request("OPTIONS", "/rest-api/call/find_all")
t.like(h.get("access-control-allow-methods", ""), "GET",
       "preflight of find_all: GET too")

# -- Basic auth on ----------------------------------------------------
pool2 = T.Pool(settings={"wcs.basic_auth": "on"},
               env={"events": "off"},
               extra="token = wcsuser:wcspass wcs\n"
                     "token = ariuser:aripass ari-control\n")
web2 = T.Nginx(pool2)
st, h, _ = post("/call/find_all", w=web2)
t.is_(st, 401, "basic auth on: no credentials, 401")
t.like(h.get("www-authenticate", ""), "Basic", "401: WWW-Authenticate")
bad = {"Authorization": "Basic " +
       base64.b64encode(b"ariuser:aripass").decode()}
st, _, _ = post("/call/find_all", headers=bad, w=web2)
t.is_(st, 401, "basic auth on: a token without the wcs scope, 401")
good = {"Authorization": "Basic " +
        base64.b64encode(b"wcsuser:wcspass").decode()}
st, _, b = post("/call/find_all", headers=good, w=web2)
t.is_(st, 503, "basic auth on: a wcs token passes (503: events off)")
st, _, _ = web2.request("OPTIONS", "/rest-api/call/find_all")
t.is_(st, 200, "basic auth on: a preflight needs none")
t.done()
