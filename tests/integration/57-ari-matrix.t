#!/usr/bin/env python3
# The ARI dialect across its three backends (issue 9): one pool, three
# tenants (ARI_BACKEND ari, ami, esl), each with its own ARI credential
# through the real nginx, each backend's double seeded with the same
# logical call (Alice, 100, answered, talking to 200).  The SAME script
# of operations runs against each tenant, and the answers are compared:
# the status line of every step (where docs/ari.md's operations table
# says a backend answers 501, exactly that), and for JSON answers the
# shape (keys, their order and the JSON type of every value,
# recursively), not the values; error bodies that validation and
# routing write are identical.  Every Channel has ARI's keys in ARI's
# order, a state ARI names and a creationtime like Asterisk's.  The
# matrix (step x backend -> status) is printed as TAP diagnostics.
# The AMI and ESL doubles remember nothing an originate does: for "get
# originated" the test lists the new channel in their scenarios, as the
# PBX would once it dials; the ARI double holds it by itself.
import base64
import http.client
import json
import os
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T  # noqa: E402
import fusionpbx as F  # noqa: E402

T.timeout(120)
t = T.Tap()
BACKENDS = ("ari", "ami", "esl")
DOMAIN = "fusionpbx.example.net"


def basic(user, pw):
    return {"Authorization": "Basic " +
            base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()}


# --- the ARI double: Asterisk 22's captures, channels held in state ---
D = T.tmpdir("pbxapi-ari-matrix-")
ARI_CTL = os.path.join(D, "ari.control")
ARI_PORTF = os.path.join(D, "ari.port")
T.write(ARI_CTL, "channels=0\n")
T.spawn([os.path.join(T.BUILD, "doubles", "ari_double"), "--port-file",
         ARI_PORTF, "--control", ARI_CTL, "--lifetime", "115", "--log",
         os.path.join(D, "ari.jsonl"), "--fixtures",
         os.path.join(T.SHARED, "fixtures", "ari")],
        log=os.path.join(D, "ari.out"))
T.wait_for(lambda: T.read(ARI_PORTF).strip(), what="ari_double port")
ARI_PORT = int(T.read(ARI_PORTF))

# --- the AMI double: shared/fixtures/ami, and the scenario's rules ---
AMI_SCEN = os.path.join(D, "ami.json")
AMI_PORTF = os.path.join(D, "ami.port")
T.write(AMI_SCEN, json.dumps({"auth_delay_ms": 0, "rules": []}))
T.spawn([os.path.join(T.BUILD, "doubles", "ami_double"), "--port-file",
         AMI_PORTF, "--scenario", AMI_SCEN, "--log",
         os.path.join(D, "ami.jsonl"), "--lifetime", "115", "--fixtures",
         os.path.join(T.SHARED, "fixtures", "ami")],
        log=os.path.join(D, "ami.out"))
T.wait_for(lambda: T.read(AMI_PORTF).strip(), what="ami_double port")
AMI_PORT = int(T.read(AMI_PORTF))

# --- the ESL double: show channels from the scenario's channel lines ---
esl = F.Esl(lifetime=115)


def section(name, keys, token):
    return "[tenant %s]\n%stoken = %s ari-control\n" % (
        name, "".join("%s = %s\n" % kv for kv in keys.items()), token)


pool = T.Pool(
    settings={"backend_timeout": "3s"},
    env={"API_SECRET_KEY": "ari-matrix-key-0123456789"},
    extra=section("asterisk22", {"ARI_BACKEND": "ari",
                                 "ARI_PORT": str(ARI_PORT)},
                  "ari-app:ari-secret") +
    section("issabel", {"ARI_BACKEND": "ami", "AMI_HOST": "127.0.0.1",
                        "AMI_PORT": str(AMI_PORT), "AMI_USERNAME": "admin",
                        "AMI_SECRET": "amp111",
                        "AMI_CONF_PATH": "/nonexistent"},
            "ami-app:ami-secret") +
    section("fusionpbx", {"ARI_BACKEND": "esl", "ESL_HOST": "127.0.0.1",
                          "ESL_PORT": str(esl.port),
                          "ESL_PASSWORD": esl.password,
                          "FUSIONPBX_DOMAIN": DOMAIN},
            "esl-app:esl-secret"))
web = T.Nginx(pool)
CRED = {"ari": basic("ari-app", "ari-secret"),
        "ami": basic("ami-app", "ami-secret"),
        "esl": basic("esl-app", "esl-secret")}

# --- the same call on each PBX: Alice (100) answered, talking to 200 ---
# The ARI double's channel has the id of the captures, so that its
# variable requests are answered by Asterisk's own (FIXTURE_FOO is set,
# NOT_SET is not).  Each backend's id is the kind that PBX makes.
NOW = int(time.time())
ID = {"ari": "pbxtest-1795350220.22",
      "ami": "pbxtest-%d.22" % (NOW - 60),
      "esl": "7f3c2a10-5b1e-4c2d-9e8f-0000000000a1"}
CONTEXT = {"ari": "from-internal", "ami": "from-internal", "esl": DOMAIN}
SET_VAR, UNSET_VAR = "FIXTURE_FOO", "NOT_SET"

c = http.client.HTTPConnection("127.0.0.1", ARI_PORT, timeout=10)
c.request("POST", "/ari/channels/%s?endpoint=PJSIP/100&app=pbxapi&callerId="
          "Alice%%20%%3C100%%3E&context=from-internal&extension=200" %
          ID["ari"], headers=basic("ari_user", "ari_password"))
r = c.getresponse()
r.read()
c.close()
t.is_(r.status, 200, "ARI double: Alice's channel, in Stasis, as Asterisk "
      "holds it")


def ami_event(uid, chan, state, desc, cid, connected, app, data,
              duration):
    return ("Event: CoreShowChannel\r\nActionID: x\r\nChannel: %s\r\n"
            "ChannelState: %d\r\nChannelStateDesc: %s\r\n"
            "CallerIDNum: %s\r\nCallerIDName: %s\r\n"
            "ConnectedLineNum: %s\r\nConnectedLineName: %s\r\n"
            "Language: en\r\nAccountCode: \r\nContext: from-internal\r\n"
            "Exten: 200\r\nPriority: 2\r\nUniqueid: %s\r\nLinkedid: %s\r\n"
            "Application: %s\r\nApplicationData: %s\r\nDuration: %s\r\n"
            "BridgeId: \r\n\r\n" % (chan, state, desc, cid[1], cid[0],
                                    connected[1], connected[0], uid, uid,
                                    app, data, duration))


def ami_scenario(extra_events=()):
    """The AMI double's rules: CoreShowChannels lists Alice's channel
    (and extra_events), the actions the script uses answer as Asterisk
    does (Getvar of an unset variable: an empty Value)."""
    events = [ami_event(ID["ami"], "PJSIP/100-00000016", 6, "Up",
                        ("Alice", "100"), ("Bob", "200"), "Dial",
                        "PJSIP/200,,tT", "00:01:00")] + list(extra_events)
    show = ("Response: Success\r\nActionID: x\r\nEventList: start\r\n"
            "Message: Channels will follow\r\n\r\n" + "".join(events) +
            "Event: CoreShowChannelsComplete\r\nActionID: x\r\n"
            "EventList: Complete\r\nListItems: %d\r\n\r\n" % len(events))

    def ok(action, msg):
        return {"action": action, "text": "Response: Success\r\nActionID: x"
                "\r\nMessage: %s\r\n\r\n" % msg}

    def getvar(name, value):
        return {"action": "Getvar", "headers": {"Variable": name},
                "text": "Response: Success\r\nActionID: x\r\nVariable: %s"
                        "\r\nValue: %s\r\n\r\n" % (name, value)}

    T.write(AMI_SCEN + ".tmp", json.dumps({"auth_delay_ms": 0, "rules": [
        {"action": "CoreShowChannels", "text": show},
        ok("PlayDTMF", "DTMF successfully queued"),
        ok("MuteAudio", "Audio muted"),
        getvar(SET_VAR, "bar"), getvar(UNSET_VAR, "")]}))
    os.rename(AMI_SCEN + ".tmp", AMI_SCEN)


def esl_row(uuid, direction, callstate, cid, callee, app, data):
    return {"uuid": uuid, "direction": direction,
            "created": "2026-11-22 12:23:40", "created_epoch": str(NOW - 60),
            "name": "sofia/internal/%s@%s" % (cid[1], DOMAIN),
            "state": "CS_EXECUTE", "cid_name": cid[0], "cid_num": cid[1],
            "ip_addr": "192.0.2.10", "dest": "200", "application": app,
            "application_data": data, "dialplan": "XML", "context": DOMAIN,
            "read_codec": "PCMU", "read_rate": "8000",
            "read_bit_rate": "64000", "write_codec": "PCMU",
            "write_rate": "8000", "write_bit_rate": "64000", "secure": "",
            "hostname": "fs1", "presence_id": "%s@%s" % (cid[1], DOMAIN),
            "presence_data": "", "accountcode": "", "callstate": callstate,
            "callee_name": callee[0], "callee_num": callee[1],
            "callee_direction": "", "call_uuid": "", "sent_callee_name": "",
            "sent_callee_num": "", "initial_cid_name": cid[0],
            "initial_cid_num": cid[1], "initial_ip_addr": "192.0.2.10",
            "initial_dest": "200", "initial_dialplan": "XML",
            "initial_context": DOMAIN}


def esl_scenario(extra_rows=()):
    rows = [esl_row(ID["esl"], "inbound", "ACTIVE", ("Alice", "100"),
                    ("Bob", "200"), "bridge", "user/200@" + DOMAIN)]
    esl.scenario("".join("channel %s\n" % json.dumps(r)
                         for r in rows + list(extra_rows)) +
                 "var %s %s bar\n" % (ID["esl"], SET_VAR))


ami_scenario()
esl_scenario()


def appear(backend, new_id):
    """An originated call as its PBX lists it once it dials: the ARI
    double holds what it originated; the AMI and ESL doubles remember
    nothing, so the test adds the channel to their scenarios."""
    if backend == "ami":
        ami_scenario([ami_event(new_id, "PJSIP/101-00000017", 5, "Ringing",
                                ("Alice", "100"), ("", ""), "AppDial2",
                                "(Outgoing Line)", "00:00:00")])
    elif backend == "esl":
        esl_scenario([esl_row(new_id, "outbound", "RINGING", ("Alice", "100"),
                              ("", ""), "", "")])


# --- docs/ari.md's operations table: which backend answers 501 ---
DOC = {}
for line in T.read(os.path.join(T.ROOT, "docs", "ari.md")).splitlines():
    cells = [x.strip() for x in line.strip().strip("|").split("|")]
    if len(cells) == 6 and re.fullmatch(r"`[A-Za-z_]+`", cells[0]) and \
            re.match(r"\d{3}", cells[2]):
        DOC[cells[0].strip("`")] = {
            "success": int(cells[2][:3]),
            "ari": cells[3], "ami": cells[4], "esl": cells[5]}
t.is_(len(DOC), 35, "docs/ari.md's table has the 35 operations (28 of the "
      "seed, 7 of Asterisk 22)")


# --- JSON shapes ---
class Obj(list):
    """A JSON object as its (key, value) pairs, in order, duplicates
    kept."""


def parse(body):
    try:
        return json.loads(body, object_pairs_hook=Obj)
    except ValueError:
        return None


def shape(v):
    """The keys, their order and the JSON types, recursively."""
    if isinstance(v, Obj):
        return {"object": [(k, shape(x)) for k, x in v]}
    if isinstance(v, list):
        return {"array": [shape(x) for x in v]}
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    return "null"


def obj(*pairs):
    return {"object": list(pairs)}


PARTY = obj(("name", "string"), ("number", "string"))
CHANNEL = obj(("id", "string"), ("name", "string"), ("state", "string"),
              ("protocol_id", "string"), ("caller", PARTY),
              ("connected", PARTY), ("accountcode", "string"),
              ("dialplan", obj(("context", "string"), ("exten", "string"),
                               ("priority", "integer"),
                               ("app_name", "string"),
                               ("app_data", "string"))),
              ("creationtime", "string"), ("language", "string"))
MESSAGE = obj(("message", "string"))
VALUE = obj(("value", "string"))
PLAYBACK = obj(("id", "string"), ("media_uri", "string"),
               ("target_uri", "string"), ("language", "string"),
               ("state", "string"))
STATES = ("Down", "Rsrved", "OffHook", "Dialing", "Ring", "Ringing", "Up",
          "Busy", "Dialing Offhook", "Pre-ring", "Unknown")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000")


def field(body, key):
    """The member key of the JSON object body, or None."""
    v = parse(body)
    return dict(v).get(key) if isinstance(v, Obj) else None


def channels_in(body):
    """The objects of a Channel or list answer, as dicts."""
    v = parse(body)
    if isinstance(v, Obj):
        return [dict(v)]
    if isinstance(v, list):
        return [dict(x) for x in v if isinstance(x, Obj)]
    return []


# --- the script: (step, operation, method, path, want status, want
# shape, identical body); {id} is the tenant's channel, {new} the id
# originate answered, {context} the tenant's dialplan context ---
SCRIPT = [
    ("list", "list", "GET", "/ari/channels", 200,
     {"array": [CHANNEL]}, False),
    ("get", "get", "GET", "/ari/channels/{id}", 200, CHANNEL, False),
    ("get unknown id", "get", "GET", "/ari/channels/nosuch-1", 404,
     MESSAGE, b'{"message":"Channel not found"}'),
    ("originate", "originate", "POST",
     "/ari/channels?endpoint=PJSIP/101&extension=200&context={context}"
     "&callerId=Alice%20%3C100%3E", 200, CHANNEL, False),
    ("get originated", "get", "GET", "/ari/channels/{new}", 200, CHANNEL,
     False),
    ("sendDTMF", "sendDTMF", "POST", "/ari/channels/{id}/dtmf?dtmf=12%23",
     204, None, b""),
    ("mute both", "mute", "POST", "/ari/channels/{id}/mute?direction=both",
     204, None, b""),
    ("mute sideways", "mute", "POST",
     "/ari/channels/{id}/mute?direction=sideways", 400, MESSAGE,
     b'{"message":"Invalid direction specified"}'),
    ("getChannelVar set", "getChannelVar", "GET",
     "/ari/channels/{id}/variable?variable=" + SET_VAR, 200, VALUE, False),
    ("getChannelVar unset", "getChannelVar", "GET",
     "/ari/channels/{id}/variable?variable=" + UNSET_VAR, 404, MESSAGE,
     b'{"message":"Provided variable was not found"}'),
    ("setChannelVar", "setChannelVar", "POST",
     "/ari/channels/{id}/variable?variable=%s&value=bar" % SET_VAR, 204,
     None, b""),
    ("sendDTMF unknown id", "sendDTMF", "POST",
     "/ari/channels/nosuch-1/dtmf?dtmf=1", 404, MESSAGE,
     b'{"message":"Channel not found"}'),
    ("play", "play", "POST", "/ari/channels/{id}/play?media=sound:hello-world",
     201, PLAYBACK, False),
    ("hold", "hold", "POST", "/ari/channels/{id}/hold", 204, None, False),
    ("ringStop", "ringStop", "DELETE", "/ari/channels/{id}/ring", 204, None,
     False),
    ("PUT /channels", None, "PUT", "/ari/channels", 405, MESSAGE,
     b'{"message":"Invalid method"}'),
    ("GET .../dtmf", None, "GET", "/ari/channels/{id}/dtmf", 405, MESSAGE,
     b'{"message":"Invalid method"}'),
    ("hangup normal", "hangup", "DELETE", "/ari/channels/{id}?reason=normal",
     204, None, b""),
]


def request(backend, method, path):
    """(status, reason, headers, body) of one request as the tenant."""
    h = dict(CRED[backend])
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=30)
    try:
        conn.request(method, path, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        return (resp.status, resp.reason,
                {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


ALLOW = {"PUT /channels": "OPTIONS,GET,POST", "GET .../dtmf": "OPTIONS,POST"}
NOTE = {("get originated", b): " (the %s double remembers nothing: the "
        "test lists the channel as the PBX would once it dials)" % b.upper()
        for b in ("ami", "esl")}


def expected(op, backend, want):
    """The status docs/ari.md's table gives (501 where the cell says so),
    else the script's."""
    if op is not None and DOC.get(op, {}).get(backend) == "501":
        return 501
    return want


# --- run the script against each tenant ---
got = {b: {} for b in BACKENDS}
news = {}
for backend in BACKENDS:
    new = None
    for step, op, method, path, want, _, _ in SCRIPT:
        p = path.format(id=ID[backend], context=urllib.parse.quote(
            CONTEXT[backend]), new=new or "none")
        if step == "get originated" and new is not None:
            appear(backend, new)
        got[backend][step] = request(backend, method, p)
        if step == "originate":
            new = field(got[backend][step][3], "id")
            news[backend] = new

# --- the matrix ---
W = max(len(s[0]) for s in SCRIPT)
t.diag("%-*s  %-24s %-24s %-24s" % ((W, "step") + BACKENDS))
for step, *_ in SCRIPT:
    t.diag("%-*s  %-24s %-24s %-24s" % ((W, step) + tuple(
        "%d %s" % got[b][step][:2] for b in BACKENDS)))

# --- compare, step by step ---
for step, op, method, path, want, want_shape, same_body in SCRIPT:
    for b in BACKENDS:
        st, reason, hdr, body = got[b][step]
        exp = expected(op, b, want)
        if exp == 501:
            name = "%s on %s: 501, as docs/ari.md's table says (%s)" % (
                step, b, op)
        else:
            name = "%s on %s: %d%s" % (step, b, exp, NOTE.get((step, b), ""))
        if not t.is_(st, exp, name):
            t.diag("body: %r" % body[:300])
        if exp == 501:
            t.ok(shape(parse(body)) == MESSAGE and
                 (field(body, "message") or "").startswith(
                     "%s is not supported by the %s backend" % (
                         op, {"ari": "ARI", "ami": "AMI",
                              "esl": "event socket"}[b])),
                 "%s on %s: a message that says the backend cannot (%s)" %
                 (step, b, body.decode("latin-1")))
    # The status line: the reason phrase as Asterisk words it, everywhere
    # the status is the same.
    lines = {b: got[b][step][:2] for b in BACKENDS
             if expected(op, b, want) == want}
    t.is_(len(set(lines.values())), 1,
          "%s: the same status line on %s (%s)" % (
              step, ", ".join(lines), " | ".join(
                  "%s: %d %s" % (b, *v) for b, v in lines.items())))
    supported = [b for b in BACKENDS if expected(op, b, want) == want]
    if want_shape is not None:
        shapes = {b: shape(parse(got[b][step][3])) for b in supported}
        for b in supported:
            if not t.is_(shapes[b], want_shape,
                         "%s on %s: the shape of ARI's answer" % (step, b)):
                t.diag("body: %r" % got[b][step][3][:400])
        t.ok(all(s == shapes[supported[0]] for s in shapes.values()),
             "%s: the same shape on %s" % (step, ", ".join(supported)))
        cts = {b: got[b][step][2].get("content-type") for b in supported}
        t.is_(set(cts.values()), {"application/json"},
              "%s: Content-Type application/json everywhere (%r)" % (
                  step, cts))
        if want == 201:
            t.is_({b: got[b][step][2].get("location") for b in supported},
                  {b: "/ari/playbacks/%s" % field(got[b][step][3], "id")
                   for b in supported},
                  "%s: Location /ari/playbacks/<the Playback's id> on %s" % (
                      step, ", ".join(supported)))
    elif want == 204:
        t.is_({b: got[b][step][3] for b in supported},
              {b: b"" for b in supported}, "%s: no body on %s" % (
                  step, ", ".join(supported)))
    if same_body:
        t.is_({b: got[b][step][3] for b in BACKENDS},
              {b: same_body for b in BACKENDS},
              "%s: the very same body everywhere" % step)
    if step in ALLOW:
        t.is_({b: got[b][step][2].get("allow") for b in BACKENDS},
              {b: ALLOW[step] for b in BACKENDS},
              "%s: the same Allow everywhere (%s)" % (step, ALLOW[step]))
    if step == "get originated":
        t.is_({b: field(got[b][step][3], "id") for b in supported},
              {b: news.get(b) for b in supported},
              "get originated: the Channel of the id originate answered, "
              "on %s" % ", ".join(supported))
    if want_shape not in (CHANNEL, {"array": [CHANNEL]}):
        continue
    for b in supported:
        for ch in channels_in(got[b][step][3]):
            t.ok(ch.get("state") in STATES,
                 "%s on %s: state '%s' is one of ARI's" % (
                     step, b, ch.get("state")))
            t.ok(TIME.fullmatch(str(ch.get("creationtime"))),
                 "%s on %s: creationtime '%s' is YYYY-MM-DDTHH:MM:SS.mmm+0000"
                 % (step, b, ch.get("creationtime")))

# The script's own sanity: the ids are the tenants' own.
for b in BACKENDS:
    lst = parse(got[b]["list"][3])
    t.is_([dict(x)["id"] for x in lst] if isinstance(lst, list) and
          not isinstance(lst, Obj) else lst,
          [ID[b]], "list on %s: the seeded channel, only it" % b)
t.done()
