#!/usr/bin/env python3
# Slow and hung requests: request_slowlog_timeout logs a running request
# once with its backend operation; request_terminate_timeout answers 504
# and replaces the worker; a graceful stop or a reload lets a slow
# request finish.  The slowness is real: the ARI double stalls or drips
# its replies, and backend_timeout is set above the PM's limits.
import json
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(90)
t = T.Tap()
KEY = "timeout-key-0123456789abcdef"
A = {"Authorization": KEY}
D = T.tmpdir("pbxapi-timeouts-")
CTL = os.path.join(D, "control")
PORTF = os.path.join(D, "port")
T.write(CTL, "")
T.spawn([os.path.join(T.BUILD, "doubles", "ari_double"), "--port-file",
         PORTF, "--control", CTL, "--lifetime", "85", "--fixtures",
         os.path.join(T.SHARED, "fixtures", "ari")],
        log=os.path.join(D, "double.out"))
T.wait_for(lambda: T.read(PORTF).strip(), what="ari_double port")
env = {"API_SECRET_KEY": KEY, "ARI_ENABLED": "true",
       "ARI_PORT": T.read(PORTF).strip()}
ARI = "/api/api.php?cmd=arichannels"


def control(**kw):
    T.write(CTL, "".join("%s=%s\n" % kv for kv in kw.items()))


pool = T.Pool(settings={"pm.max_children": "2", "backend_timeout": "60s",
                        "request_slowlog_timeout": "1s",
                        "request_terminate_timeout": "3s"}, env=env)
web = T.Nginx(pool)
t.is_(web.get(ARI, A)[0], 200, "ARI answers normally")

control(fault="stall")
before = set(pool.workers())
t0 = time.time()
st, hdr, body = web.get(ARI, A)
el = time.time() - t0
t.is_(st, 504, "a hung request is answered 504")
t.is_(body, b'{"error":"Gateway Timeout","code":504}', "with a JSON body")
t.is_(hdr.get("content-type"), "application/json", "as JSON")
t.ok(3 <= el < 6, "after request_terminate_timeout (%.1f s)" % el)
pool.wait_log("request_terminate_timeout: pid")
pool.wait_log("terminated after request_terminate_timeout")
log = pool.log()
t.like(log, "slow request: pid", "it was in the slow log first")
t.like(log, "dialect elastix command arichannels backend ",
       "the slow log names dialect, command and backend operation")
t.like(log, "terminated after request_terminate_timeout",
       "the worker's end is logged")
T.wait_for(lambda: len(pool.workers()) == 2 and
           set(pool.workers()) != before, 5, what="replacement")
t.ok(len(before - set(pool.workers())) == 1, "that worker was replaced")
control()
t.is_(web.get(ARI, A)[0], 200, "the next request succeeds")
st, _, s = web.json("/status?json")
t.ok(s["slow requests"] >= 1, "status counts slow requests")
t.ok(s["terminated requests"] >= 1, "status counts terminated requests")

# Slow but finishing: the reply drips in over about 2 seconds.
control(fault="slow-drip", drip_ms="5", drip_bytes="4")


def slow(out):
    out.append(web.get(ARI, A, timeout=20))


for what, sig in (("reload (SIGHUP)", signal.SIGHUP),
                  ("graceful stop (SIGQUIT)", signal.SIGQUIT)):
    out = []
    th = threading.Thread(target=slow, args=(out,))
    th.start()
    time.sleep(0.5)
    pool.kill(sig)
    th.join()
    st, _, body = out[0]
    t.is_(st, 200, "%s while a slow request runs: it completes" % what)
    t.ok(body.startswith(b"["), "%s: with its whole body" % what)
pool.proc.wait(10)
t.is_(pool.proc.returncode, 0, "the master exits after the graceful stop")
t.done()
