#!/usr/bin/env python3
# The FusionPBX dialect when its backends fail: PostgreSQL down, stalled,
# closing mid-reply or restarted; the event socket refusing, stalling,
# dripping, coalescing, closing mid-reply, sending garbage or rejecting
# the password.  Every request gets a JSON error within its deadline,
# the workers survive, and the next request after a fault works.
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T  # noqa: E402
import fusionpbx as F  # noqa: E402

t, db, esl = F.start(300)
D = F.DOMAIN
ORIG = {"action": "originate", "domain_uuid": D, "caller_id_number": "1",
        "destination_a": "100", "destination_b": "101"}
CDR = {"action": "cdr-list", "domain_uuid": D}


class FakeServer:
    """TCP on 127.0.0.1 that accepts and then: "stall" (reads, never
    answers) or "cut" (answers 5 bytes of garbage, then closes)."""

    def __init__(self, mode):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.mode = mode
        self.conns = []
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            c, _ = self.sock.accept()
            self.conns.append(c)
            c.recv(4096)
            if self.mode == "cut":
                c.sendall(b"R\x00\x00")
                c.close()


def timed(web, body, **kw):
    t0 = time.time()
    st, _, data = F.call(web, body, **kw)
    try:
        data = json.loads(data)
    except ValueError:
        pass
    return st, data, time.time() - t0


def survived(pool, before, what):
    t.is_(sorted(pool.workers()), before, "%s: the workers survived" % what)


# ---- PostgreSQL
for label, port in (("down", T.closed_port()),
                    ("stalled", FakeServer("stall").port),
                    ("closing mid-reply", FakeServer("cut").port)):
    env = F.tenant_env(db, esl, FUSIONPBX_DB_HOST="127.0.0.1",
                       FUSIONPBX_DB_PORT=str(port))
    pool = T.Pool(settings={"backend_timeout": "1s"}, env=env)
    web = T.Nginx(pool)
    before = sorted(pool.workers())
    st, body, dt = timed(web, CDR)
    want = (504, "gateway_timeout") if label == "stalled" else \
        (500, "internal_server_error")
    t.is_((st, body), (want[0], {"error": want[1], "message":
                                 "failed to connect to the database"}),
          "PostgreSQL %s: %d JSON" % (label, want[0]))
    t.ok(dt < 3, "PostgreSQL %s: answered in %.2fs (deadline 1s)" %
         (label, dt))
    survived(pool, before, "PostgreSQL %s" % label)
    pool.stop()

pool = T.Pool(settings={"backend_timeout": "2s", "pm.max_children": "1"},
              env=F.tenant_env(db, esl, ESL_TIMEOUT="2s"))
web = T.Nginx(pool)
before = sorted(pool.workers())
st, _, _ = timed(web, CDR)
t.is_(st, 200, "a working database")
db.reset()  # drops the pool's connection (pg_terminate_backend)
st, _, _ = timed(web, CDR)
t.is_(st, 200, "the database restarted underneath: reconnected, 200")
db.sql("CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN "
       "PERFORM pg_sleep(5); RETURN NEW; END$$; CREATE TRIGGER slow BEFORE "
       "INSERT ON v_extensions FOR EACH ROW EXECUTE FUNCTION slow();")
st, body, dt = timed(web, {"action": "extension-create", "domain_uuid": D,
                           "extension": "300"})
t.is_((st, body.get("error") if isinstance(body, dict) else body),
      (504, "gateway_timeout"), "a statement past the deadline: 504")
t.ok(dt < 4, "answered in %.2fs (deadline 2s)" % dt)
db.sql("DROP TRIGGER slow ON v_extensions;")
st, _, _ = timed(web, {"action": "extension-create", "domain_uuid": D,
                       "extension": "300"})
t.is_(st, 200, "the next request reconnects; nothing was left half-done")
t.is_(db.sql("SELECT count(*) FROM v_extensions WHERE extension = '300';")
      .strip(), "1", "exactly one extension 300")
survived(pool, before, "PostgreSQL faults")

# ---- the event socket
ESL_ERR = (500, {"error": "internal_server_error",
                 "message": "failed to connect to FreeSWITCH"})
cases = [
    ("refused at once", "fault all refuse", ESL_ERR, 3),
    ("ACL rude rejection", "fault all rude", ESL_ERR, 3),
    ("no greeting", "fault all silent", ESL_ERR, 4),
    ("password rejected", "fault all auth-fail", ESL_ERR, 3),
    ("auth reply cut", "fault cmd=auth close-after 20", ESL_ERR, 3),
    ("originate stalls", "fault cmd=originate stall",
     (504, {"error": "gateway_timeout",
            "message": "FreeSWITCH did not answer in time"}), 4),
    ("originate answers late", "delay 4000",
     (504, {"error": "gateway_timeout",
            "message": "FreeSWITCH did not answer in time"}), 4),
    ("reply cut mid-header", "fault cmd=originate close-after 30",
     (500, {"error": "internal_server_error",
            "message": "lost the connection to FreeSWITCH"}), 3),
    ("reply cut mid-body", "fault cmd=originate close-after 60",
     (500, {"error": "internal_server_error",
            "message": "lost the connection to FreeSWITCH"}), 3),
    ("disconnect notice instead", "fault cmd=originate disconnect",
     (500, {"error": "internal_server_error",
            "message": "lost the connection to FreeSWITCH"}), 3),
]
for kind in ("nocolon", "longhead", "endless", "nul", "clen-neg",
             "clen-huge", "clen-nan", "clen-short", "nonutf8"):
    cases.append(("garbage %s" % kind, "fault cmd=originate garbage %s" %
                  kind, (500, "internal_server_error"), 4))
for label, scenario, want, limit in cases:
    esl.scenario(scenario + "\n")
    esl.restart()  # a fresh connection for every fault
    st, body, dt = timed(web, ORIG)
    got = (st, body if isinstance(want[1], dict) else
           body.get("error") if isinstance(body, dict) else body)
    t.is_(got, want, "ESL %s: JSON error" % label)
    t.ok(dt < limit, "ESL %s: answered in %.2fs" % (label, dt))
    esl.scenario("")
    st, body, _ = timed(web, ORIG)
    t.is_((st, body.get("success") if isinstance(body, dict) else body),
          (200, True), "ESL %s: the next originate works" % label)
for label, scenario in (("drip", "fault cmd=originate drip 2"),
                        ("split", "fault cmd=originate split"),
                        ("events first", "fault cmd=originate events"),
                        ("coalesced", "fault cmd=originate coalesce"),
                        ("dripped greeting and auth", "fault all drip 1")):
    esl.scenario(scenario + "\n")
    esl.restart()
    st, body, _ = timed(web, ORIG)
    t.is_((st, body.get("success") if isinstance(body, dict) else body),
          (200, True), "ESL %s: 200" % label)
esl.scenario("")
esl.stop()
T.closed_port(esl.port)  # nobody else may take it meanwhile
st, body, dt = timed(web, ORIG)
t.is_((st, body), ESL_ERR, "ESL down: 500 failed to connect")
t.ok(dt < 3, "ESL down: answered in %.2fs" % dt)
esl.start()
st, body, _ = timed(web, ORIG)
t.is_(st, 200, "ESL back: 200")
survived(pool, before, "ESL faults")
st, _, _ = T.Web.request(web, "GET", "/ping")
t.is_(st, 200, "the pool still answers ping")
t.done()
