#!/usr/bin/env python3
# The MySQL-backed commands of the ?cmd= dialect (cdrreport, the extension
# commands, getqueues, the FreePBX sipextensions) and the MySQL driver's
# faults, against a real MariaDB loaded from sql/mysql/ and the real
# nginx + pool (elastix-api.md §5.12-§5.15, §5.21, §1.4; docs/drivers.md).
import json
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(300)
t = T.Tap()
my = T.MariaDB()
my.load_elastix()
sql = my.sql
sql("""
INSERT INTO asterisk.pjsip (id, keyword, data, flags) VALUES
 ('100','secret','pw100',2),('100','context','from-internal',3),
 ('101','callerid','\u00c7a\u011fr\u0131 <101>',4),('101','secret','x',2),
 ('100','callerid','Ext 100 <100>',4);
""")

d = T.tmpdir("pbxapi-mysql-")
reload_log = os.path.join(d, "reload.log")
stub = os.path.join(d, "stub")
T.write(stub, "#!/bin/sh\necho \"$0 $*\" >> %s\n" % reload_log, 0o755)
T.write(reload_log, "", 0o666)
KEY, FKEY = "k" * 32, "f" * 32
DB = {"DB_SOCKET": my.sock, "DB_USERNAME": "elastix",
      "DB_PASSWORD": "elastixpw"}


def tenant(name, token, keys):
    return "[tenant %s]\ntoken = %s\n%s\n" % (
        name, token, "\n".join("%s = %s" % kv for kv in keys.items()))


refused = T.closed_port()
extra = tenant("fpbx", FKEY, dict(DB, PBX_DRIVER="freepbx"))
extra += tenant("wrongpw", "w" * 32, dict(DB, DB_PASSWORD="nope"))
extra += tenant("refused", "r" * 32, dict(DB, DB_HOST="127.0.0.1",
                                         DB_PORT=str(refused)))
extra += tenant("nosock", "n" * 32, dict(DB, DB_SOCKET="/nonexistent/s"))
stall = os.path.join(d, "stall.sock")
extra += tenant("stall", "s" * 32, dict(DB, DB_SOCKET=stall))
env = dict(DB, API_SECRET_KEY=KEY, RELOAD_CMD=stub + " reload",
           RETRIEVE_CONF_CMD=stub)
pool = T.Pool(settings={"backend_timeout": "2s", "pm.max_children": "1"},
              env=env, extra=extra)
web = T.Nginx(pool)
FORM = "application/x-www-form-urlencoded"


def call(cmd, body=None, key=KEY, method=None):
    h = {"Authorization": key}
    if body is not None:
        h["Content-Type"] = FORM
    method = method or ("GET" if body is None else "POST")
    st, hdr, data = web.request(method, "/api/api.php?cmd=" + cmd, h, body)
    return st, data


def jcall(cmd, body=None, key=KEY):
    st, data = call(cmd, body, key)
    try:
        return st, json.loads(data)
    except ValueError:
        return st, data


def err(code, msg):
    return json.dumps({"error": msg, "code": code},
                      separators=(",", ":")).replace("/", "\\/").encode()


# --------------------------------------------------------------- cdrreport
st, rows = jcall("cdrreport")
t.is_(st, 200, "cdrreport: 200")
t.is_([r["uniqueid"] for r in rows],
      ["1706866200.8", "1706779800.6", "1704628800.4", "1704449225.1"],
      "cdrreport: newest first, dst 's' and CONGESTION left out")
t.is_(list(rows[0].keys())[:4], ["calldate", "clid", "src", "dst"],
      "cdrreport: keys in column order")
t.is_(len(rows[0]), 23, "cdrreport: all 23 columns")
st, body = call("cdrreport", "limit=1")
t.ok(b'"duration":0,"billsec":0,"disposition":"FAILED","amaflags":3' in body,
     "cdrreport: integers are JSON numbers")
t.ok(b'"calldate":"2024-02-02 09:30:00"' in body,
     "cdrreport: datetime is a string")
st, rows = jcall("cdrreport", "status=busy")
t.is_([r["disposition"] for r in rows], ["BUSY"], "status is upper-cased")
st, rows = jcall("cdrreport", "status=CONGESTION")
t.is_(len(rows), 4, "status=CONGESTION means all four")
st, rows = jcall("cdrreport", "start_date=2024-01-01&end_date=2024-01-31")
t.is_(len(rows), 2, "date range")
st, rows = jcall("cdrreport", "start_date=0&end_date=2024-01-31")
t.is_(len(rows), 4, "start_date=0 is empty(): no range")
st, rows = jcall("cdrreport", "start_date=2024'&end_date=2025")
t.is_((st, rows), (200, []), "a quote in a date matches nothing, no error")
st, rows = jcall("cdrreport", "field_name=cnam&field_pattern=%C3%87a")
t.is_([r["cnam"] for r in rows], ["\u00c7a\u011fr\u0131 \u00dcnal"],
      "LIKE with a UTF-8 pattern")
st, rows = jcall("cdrreport", "field_name=src&field_pattern=10_")
t.is_(len(rows), 4, "LIKE wildcards keep their meaning (10_)")
st, rows = jcall("cdrreport",
                 "field_name=src&field_pattern=%27%20OR%201%3D1%20--%20")
t.is_((st, rows), (200, []), "SQL in the pattern is data")
st, rows = jcall("cdrreport", "field_name=calldate%20OR%201&field_pattern=x")
t.is_(len(rows), 4, "field_name outside the allow-list is ignored")
st, body = call("cdrreport", "limit=-5")
t.is_((st, body), (400, err(400, "limit must not be negative")),
      "negative limit: 400")
st, rows = jcall("cdrreport", "limit=abc")
t.is_((st, rows), (200, []), "limit=abc is 0")
st, rows = jcall("cdrreport", "limit=1&limit=2")
t.is_(len(rows), 2, "repeated limit: the last wins")
st, body = call("cdrreport", "field_name=src&field_pattern=%FF")
t.is_((st, body), (400, err(400, "parameter 'field_pattern' is not valid "
                                 "UTF-8")), "invalid UTF-8: 400")
st, body = call("cdrreport", "field_pattern=" + "x" * 70000)
t.is_(st, 400, "a value over value_max: 400")
sql("""INSERT INTO asteriskcdrdb.cdr (calldate, clid, src, dst, disposition,
 uniqueid, userfield, cnam) VALUES ('2025-01-01 00:00:00',
 '"O''Br\\\\ien" <9>', '9', '10', 'ANSWERED', 'q1',
 'a''b"c\\\\d;--/*x*/ \u00e9 \U0001f600', 'x');""")
st, rows = jcall("cdrreport", "limit=1")
t.is_((rows[0]["clid"], rows[0]["userfield"]),
      ('"O\'Br\\ien" <9>', 'a\'b"c\\d;--/*x*/ \u00e9 \U0001f600'),
      "quotes, backslashes, comments and emoji come back verbatim")
st, rows = jcall("cdrreport", "field_name=clid&field_pattern=O%27Br%5C%5C")
t.is_([r["uniqueid"] for r in rows], ["q1"],
      "a quote and an escaped backslash in the pattern")
sql("""SET SESSION max_recursive_iterations = 20000;
INSERT INTO asteriskcdrdb.cdr (calldate, src, dst, disposition, uniqueid)
 WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s
 WHERE n < 10050) SELECT '2023-01-01' + INTERVAL n MINUTE, n, 'x',
 'ANSWERED', CONCAT('bulk', n) FROM s;""")
st, rows = jcall("cdrreport", "limit=99999999999999999999")
t.is_((st, len(rows)), (200, 10000), "a huge limit is cut to 10000")


# ------------------------------------------------------------- extensions
def calls():
    return T.read(reload_log).splitlines()


st, body = call("addextension", "")
t.is_((st, body), (400, err(400, "Missing required extension field: "
                                 "account")), "add: empty body")
st, body = call("addextension", "account=400&name=C&secret=&context=c&"
                "type=friend")
t.is_(body, err(400, "Missing required extension field: secret"),
      "add: empty secret")
for acct, why in (("12a", "not digits"), ("1" * 21, "21 digits"),
                  ("%20400", "a blank")):
    st, body = call("addextension", "account=%s&name=C&secret=s&context=c&"
                    "type=friend" % acct)
    t.is_((st, body), (400, err(400, "Invalid extension field: account")),
          "add: account %s" % why)
st, body = call("addextension", "account=400&name=%s&secret=s&context=c&"
                "type=friend" % ("n" * 51))
t.is_((st, body), (400, err(400, "Extension field too long: name")),
      "add: name over 50 characters")
st, body = call("addextension", "account=400&name=C%FF&secret=s&context=c&"
                "type=friend")
t.is_(st, 400, "add: invalid UTF-8")
t.is_(calls(), [], "nothing reloaded so far")
NAME = "O'Br\u00e9n \"x\" \\ " + "\u00e9" * 36
st, body = call("addextension", "account=400&name=O%27Br%C3%A9n+%22x%22+%5C+"
                + "%C3%A9" * 36 + "&secret=s%274%22%5C%3B--&context=ctx&"
                "type=friend&dial=SIP%2F400&accountcode=acc%25_")
t.is_((st, body), (200, b'{"status":"INSERT OK","code":200}'), "add: ok")
t.is_(calls(), [stub + " reload"], "add: RELOAD_CMD ran with its argv")
t.is_(sql("SELECT keyword, data, flags FROM sip WHERE id='400' "
          "ORDER BY flags", "asterisk").splitlines()[:4],
      ["deny\t\t2", "secret\ts'4\"\\\\;--\t3", "dtmfmode\trfc2833\t4",
       "canreinvite\tno\t5"], "add: sip rows, values verbatim")
t.is_(sql("SELECT COUNT(*), MAX(flags) FROM sip WHERE id='400'",
          "asterisk").strip(), "27\t28", "add: 27 sip rows")
t.is_(sql("SELECT data FROM sip WHERE id='400' AND keyword IN "
          "('accountcode','account') ORDER BY flags", "asterisk").split(),
      ["acc%_", "400"], "add: accountcode from the body, account row")
t.is_(sql("SELECT name, voicemail, sipname, mohclass FROM users WHERE "
          "extension='400'", "asterisk").rstrip("\n"),
      "%s\tnovm\t400\tdefault" % NAME.replace("\\", "\\\\"),
      "add: users row (50 characters of name fit)")
t.is_(sql("SELECT tech, dial, devicetype, user, description FROM devices "
          "WHERE id='400'", "asterisk").strip(),
      "sip\tSIP/400\tfixed\t400\t400", "add: devices row")
st, body = call("addextension", "account=400&name=X&secret=s&context=c&"
                "type=friend")
t.is_(body, b'{"status":"ALREADY EXISTS","code":200}', "add again")
t.is_(len(calls()), 1, "already exists: no reload")
st, body = call("updateextension", "account=400&name=Carol+Two&secret=n3w&"
                "context=from-internal&type=peer")
t.is_((st, body), (200, b'{"status":"UPDATE OK","code":200}'), "update")
t.is_(sql("SELECT data FROM sip WHERE id='400' AND keyword IN "
          "('secret','type','dial') ORDER BY flags", "asterisk").split("\n"),
      ["n3w", "peer", "", ""], "update: values set, dial back to ''")
t.is_(sql("SELECT name FROM users WHERE extension='400'",
          "asterisk").strip(), "Carol Two", "update: users.name")
t.is_(len(calls()), 2, "update reloaded")
st, body = call("updateextension", "account=999&name=N&secret=x&context=c&"
                "type=friend")
t.is_(body, b'{"status":"UPDATE OK","code":200}',
      "update of a missing account: UPDATE OK (orphan sip rows)")
st, body = call("deleteextension", "")
t.is_((st, body), (400, err(400, "Missing required extension field: "
                                 "account")), "delete without account")
st, body = call("deleteextension", "account=4%2700")
t.is_(st, 400, "delete: invalid account")
st, body = call("deleteextension", "account=400")
t.is_((st, body), (200, b'{"status":"DELETE OK","code":200}'), "delete")
t.is_(sql("SELECT (SELECT COUNT(*) FROM sip WHERE id='400') + (SELECT "
          "COUNT(*) FROM users WHERE extension='400') + (SELECT COUNT(*) "
          "FROM devices WHERE id='400')", "asterisk").strip(), "0",
      "delete: every row gone")
st, body = call("addextension", "account=401&name=J", method="GET")
t.is_(body, err(400, "Missing required extension field: account"),
      "GET body ignored")

# --------------------------------------------- getqueues, FreePBX pjsip
st, body = call("getqueues")
t.is_((st, body), (501, err(501, "getqueues requires FreePBX driver")),
      "getqueues: 501 without the freepbx driver")
st, rows = jcall("getqueues", key=FKEY)
t.is_([r["extension"] for r in rows], ["sales", "support"],
      "getqueues: ordered by extension")
t.is_((rows[0]["ringing"], rows[0]["ivr_id"], rows[0]["callconfirm_id"]),
      (0, "0", None), "getqueues: tinyint number, varchar string, NULL")
t.is_(len(rows[0]), 23, "getqueues: 23 columns")
st, body = call("sipextensions", key=FKEY)
t.is_(body, b'{"100":{"secret":"pw100","context":"from-internal",'
      b'"callerid":"Ext 100 <100>"},"101":{"secret":"x","callerid":'
      b'"\\u00c7a\\u011fr\\u0131 <101>"}}', "sipextensions from pjsip")

# ------------------------------------------------ statement errors (PDO)
sql("CREATE UNIQUE INDEX uq_name ON users (name)", "asterisk")
call("addextension", "account=500&name=Five&secret=s&context=c&type=friend")
sql("INSERT INTO users (extension, name) VALUES ('501', 'Taken')",
    "asterisk")
st, body = call("updateextension", "account=500&name=Taken&secret=s&"
                "context=c&type=friend")
t.is_((st, body), (503, err(503, "SQLSTATE[23000]: Integrity constraint "
                                 "violation: 1062 Duplicate entry 'Taken' "
                                 "for key 'uq_name'")),
      "1062 in PDO's words")
sql("SET SESSION sql_mode = ''; ALTER TABLE sip MODIFY data varchar(10) "
    "NOT NULL", "asterisk")
st, body = call("updateextension", "account=500&name=Five&"
                "secret=12345678901&context=c&type=friend")
t.is_((st, body), (503, err(503, "SQLSTATE[22001]: String data, right "
                                 "truncated: 1406 Data too long for column "
                                 "'data' at row 2")), "1406 in PDO's words")
sql("ALTER TABLE sip MODIFY data varchar(8100) NOT NULL; "
    "DROP INDEX uq_name ON users", "asterisk")
st, body = call("updateextension", "account=500&name=Five&secret=s&"
                "context=c&type=friend")
t.is_(st, 200, "the connection is still good after statement errors")

# ------------------------------------------------------------- faults
workers = pool.workers()
st, body = call("cdrreport", key="w" * 32)
t.is_((st, body), (503, err(503, "SQLSTATE[HY000] [1045] Access denied for "
                                 "user 'elastix'@'localhost' (using "
                                 "password: YES)")), "wrong password")
st, body = call("addextension", "", key="w" * 32)
t.is_(st, 503, "connect comes before validation")
st, body = call("cdrreport", key="r" * 32)
t.is_((st, body), (503, err(503, "SQLSTATE[HY000] [2002] Connection "
                                 "refused")), "TCP refused")
st, body = call("cdrreport", key="n" * 32)
t.is_((st, body), (503, err(503, "SQLSTATE[HY000] [2002] No such file or "
                                 "directory")), "socket missing")

held = []
# The socket file exists from bind(), but a connect before listen() is
# refused: wait for listen(), or a busy machine gets "[2002] Connection
# refused" instead of a stall.
listening = threading.Event()


def stall_server():
    s = socket.socket(socket.AF_UNIX)
    s.bind(stall)
    os.chmod(stall, 0o777)
    s.listen(8)
    listening.set()
    while True:
        c, _ = s.accept()
        held.append(c)


threading.Thread(target=stall_server, daemon=True).start()
if not listening.wait(5):
    raise RuntimeError("the stalling server did not start")
t0 = time.time()
st, body = call("cdrreport", key="s" * 32)
el = time.time() - t0
t.is_((st, body), (503, err(503, "SQLSTATE[HY000] [2006] MySQL server has "
                                 "gone away")), "stalled server: 503")
t.ok(1.5 < el < 4.5, "stalled server: within the deadline (%.1f s)" % el)
st, rows = jcall("cdrreport", "limit=1")
t.is_(st, 200, "the worker still serves the other tenants")

# A statement that blocks on a lock: read timeout, then reconnect.
locker = subprocess.Popen(["mariadb", "--no-defaults", "-S", my.sock, "-u",
                           "root", "asterisk"], stdin=subprocess.PIPE,
                          stdout=subprocess.DEVNULL, text=True)
locker.stdin.write("LOCK TABLES queues_config WRITE; SELECT SLEEP(4);\n")
locker.stdin.flush()
time.sleep(0.5)
t0 = time.time()
st, body = call("getqueues", key=FKEY)
el = time.time() - t0
t.is_(st, 503, "a statement stalled by a lock: 503")
t.ok(body.startswith(b'{"error":"SQLSTATE[HY000]: General error: 2013 '),
     "stalled statement: PDO's text (%r)" % body[:80])
t.ok(1.5 < el < 4.5, "stalled statement: within the deadline (%.1f s)" % el)
locker.stdin.close()
locker.wait(10)
st, rows = jcall("getqueues", key=FKEY)
t.is_((st, len(rows)), (200, 2), "after the timeout: reconnected")

# The server closes a kept connection: retried once, transparently.
for line in sql("SELECT id FROM information_schema.processlist WHERE "
                "user = 'elastix'").split():
    sql("KILL %s" % line, check=False)
st, rows = jcall("cdrreport", "limit=1")
t.is_(st, 200, "killed kept connection: the statement is retried")
t.like(pool.log(), "kept connection lost, reconnecting",
       "the retry is logged")

# The server goes away and comes back.
my.proc.terminate()
my.proc.wait(30)
st, body = call("cdrreport", "limit=1")
t.is_(st, 503, "server stopped: 503")
t.ok(body.startswith(b'{"error":"SQLSTATE[HY000]'), "server stopped: PDO "
     "text (%r)" % body[:90])
my.proc = T.spawn(my.proc.args)
T.wait_socket(my.sock, 30)
st, rows = jcall("cdrreport", "limit=1")
t.is_((st, len(rows)), (200, 1), "server back: reconnected")
t.is_(pool.workers(), workers, "no worker died on the way")
t.like(pool.log(), "mysql: cannot connect to 'asteriskcdrdb' as 'elastix'",
       "connect failures are logged")
t.done()
