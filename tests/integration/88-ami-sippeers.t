#!/usr/bin/env python3
# elastix sippeers from the event companion's endpoint listing
# (docs/operations.md "Live state", docs/elastix.md) through nginx and
# the pool against ami_double's call world (--world): the companion
# lists the endpoints with the workers' own PJSIPShowEndpoints at its
# rebuild, sippeers answers from it with X-State-Age, byte-identical to
# ?fresh=1 (the backend at the same moment); DeviceStateChange and
# ContactStatus from the double (its device and contact commands) change
# DeviceState and Contacts, a call's Newchannel and Hangup count
# ActiveChannels, each answer again identical to the backend's;
# a Reload makes the companion list again; with the companion stopped
# sippeers answers from the backend; state.peers_refresh lists again.
import json
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import evclient as E
import pbxtest as T

T.timeout(120)
t = T.Tap()
KEY = "sippeers-key-0123456789abcdef0123"
D = T.tmpdir("pbxapi-sippeers-")
SCEN = os.path.join(D, "scenario.json")
LOG = os.path.join(D, "ami.jsonl")
PORTF = os.path.join(D, "port")
WORLD = os.path.join(D, "world.sock")
T.write(SCEN, json.dumps({"auth_delay_ms": 0, "rules": []}))
T.spawn([os.path.join(T.BUILD, "doubles", "ami_double"), "--port-file",
         PORTF, "--scenario", SCEN, "--log", LOG, "--lifetime", "115",
         "--fixtures", os.path.join(T.SHARED, "fixtures", "ami"),
         "--world", WORLD], log=os.path.join(D, "double.out"))
T.wait_for(lambda: os.path.exists(PORTF) and os.path.exists(WORLD),
           what="ami_double")
PORT = int(T.read(PORTF))
ctl = E.Control(WORLD)

# state.peers_refresh 0: only the events and Reload change the listing,
# so what the test sees is theirs.
pool = T.Pool(settings={"pm.max_children": "1", "events": "ami",
                        "events.backoff_max": "500ms",
                        "companion.timeout": "200ms",
                        "state.peers_refresh": "0"},
              env={"AMI_HOST": "127.0.0.1", "AMI_PORT": str(PORT),
                   "AMI_USERNAME": "admin", "AMI_SECRET": "amp111",
                   "API_SECRET_KEY": KEY})
web = T.Nginx(pool)


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


def sippeers(query=""):
    return web.get("/api/api.php?cmd=sippeers" + query,
                   {"Authorization": KEY})


def listed(action):
    return sum(1 for x in T.read(LOG).splitlines() if x.strip() and
               re.search(r"Action: %s\r" % action,
                         json.loads(x).get("raw", ""), re.I))


def endpoint(body, name):
    for b in json.loads(body):
        if b.get("ObjectName") == name:
            return b
    return None


def same_as_backend(what):
    """The state's answer, then the backend's: the same bytes."""
    st, h, live = sippeers()
    st2, h2, fresh = sippeers("&fresh=1")
    t.is_(st, 200, "%s: the state's answer 200" % what)
    t.ok("x-state-age" in h, "%s: X-State-Age on the state's answer" % what)
    t.ok("x-state-age" not in h2, "%s: none on ?fresh=1" % what)
    t.is_(live, fresh, "%s: byte-identical to the backend's" % what)
    return live


def synced():
    _, _, body = web.get("/status?json")
    c = json.loads(body).get("companion") or {}
    return any(x.get("tenant") == "default" and x.get("synced")
               for x in c.get("tenants", []))


T.wait_for(lambda: pool.companions(), what="the companion")
T.wait_for(synced, 15, what="the AMI source synced")
T.wait_for(lambda: listed("PJSIPShowEndpoints") >= 1, 10,
           what="the companion's PJSIPShowEndpoints")

# -- idle: the fixture's endpoints -----------------------------------
n0 = listed("PJSIPShowEndpoints")
st, h, body = sippeers()
t.is_(st, 200, "sippeers from the state: 200")
t.is_(h.get("x-state-age"), "0.000", "X-State-Age 0.000 while synced")
t.is_(listed("PJSIPShowEndpoints"), n0,
      "the state's answer sent nothing to the backend")
t.is_(len(json.loads(body)), 8,
      "the reply's blocks: the response, 6 endpoints, the end")
same_as_backend("idle")

# -- a device state and a contact change ------------------------------
ctl.ok("device 102 NOT_INUSE")
ctl.ok("contact 102 sip:102@127.0.0.1:38127 created")
got = until(lambda: (lambda b: b if (endpoint(b, "102") or {}).get(
    "Contacts") == "102/sip:102@127.0.0.1:38127," else None)(
        sippeers()[2]))
t.ok(got is not None, "ContactStatus Created: the contact is listed")
t.is_((endpoint(got or b"[]", "102") or {}).get("DeviceState"),
      "Not in use", "DeviceStateChange: DeviceState Not in use")
t.is_((endpoint(got or b"[]", "103") or {}).get("DeviceState"),
      "Unavailable", "another endpoint unchanged")
same_as_backend("after DeviceStateChange and ContactStatus")

ctl.ok("device 102 INUSE")
ctl.ok("contact 102 sip:102@127.0.0.1:38127 removed")
got = until(lambda: (lambda b: b if (endpoint(b, "102") or {}).get(
    "Contacts") == "" else None)(sippeers()[2]))
t.ok(got is not None, "ContactStatus Removed: the contact is gone")
t.is_((endpoint(got or b"[]", "102") or {}).get("DeviceState"),
      "In use", "DeviceStateChange: DeviceState In use")
same_as_backend("after the contact's removal")

# -- a call on the endpoint: ActiveChannels counts it ----------------
ok_call = ctl("call 102 incoming cid=555")
cid = ok_call.split()[1] if ok_call.startswith("ok ") else None
t.ok(cid is not None, "an incoming call on PJSIP/102 started")
got = until(lambda: (lambda b: b if (endpoint(b, "102") or {}).get(
    "ActiveChannels") == "1" else None)(sippeers()[2]))
t.ok(got is not None, "Newchannel PJSIP/102-...: ActiveChannels 1")
same_as_backend("during the call")
ctl.ok("hangup %s" % cid)
got = until(lambda: (lambda b: b if (endpoint(b, "102") or {}).get(
    "ActiveChannels") == "0" else None)(sippeers()[2]))
t.ok(got is not None, "Hangup: ActiveChannels 0")
same_as_backend("after the call")

# -- Reload: listed again ---------------------------------------------
n1 = listed("PJSIPShowEndpoints")
ctl.inject("Event: Reload\r\nPrivilege: system,all\r\n"
           "Module: res_pjsip.so\r\nStatus: 0\r\n\r\n")
t.ok(until(lambda: listed("PJSIPShowEndpoints") > n1),
     "Reload: the companion lists the endpoints again")
same_as_backend("after the Reload's listing")

# -- no companion: the backend answers --------------------------------
for pid in pool.companions():
    os.kill(pid, signal.SIGSTOP)
n2 = listed("PJSIPShowEndpoints")
st, h, body = sippeers()
t.is_(st, 200, "a stopped companion: sippeers 200")
t.ok("x-state-age" not in h, "a stopped companion: from the backend")
t.ok(listed("PJSIPShowEndpoints") > n2,
     "a stopped companion: PJSIPShowEndpoints reached the backend")
for pid in pool.companions():
    os.kill(pid, signal.SIGCONT)
pool.stop()

# -- state.peers_refresh: listed again without any event --------------
pool2 = T.Pool(settings={"pm.max_children": "1", "events": "ami",
                         "events.backoff_max": "500ms",
                         "state.peers_refresh": "300ms"},
               env={"AMI_HOST": "127.0.0.1", "AMI_PORT": str(PORT),
                    "AMI_USERNAME": "admin", "AMI_SECRET": "amp111",
                    "API_SECRET_KEY": KEY})
T.wait_for(lambda: pool2.companions(), what="the second companion")
n3 = listed("PJSIPShowEndpoints")
t.ok(until(lambda: listed("PJSIPShowEndpoints") >= n3 + 3, 10),
     "state.peers_refresh 300ms: listed again and again")

t.done()
