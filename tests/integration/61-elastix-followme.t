#!/usr/bin/env python3
# The follow-me commands of the ?cmd= dialect (elastix-api.md §5.16-§5.20,
# docs/elastix-db.md): findmefollow rows in a real MariaDB loaded from
# sql/mysql/, the AMPUSER keys through AMI DBPut/DBDelTree (a small AMI
# server here records every frame), the reload programs, the checks the
# reference lacked, and AMI faults that must not fail the command.
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(240)
t = T.Tap()
my = T.MariaDB()
my.load_elastix()


def sql(text, db="asterisk", check=True):
    return my.sql(text, db, check)


sql("""
INSERT INTO asterisk.findmefollow (grpnum, strategy, grptime, grppre, grplist,
 annmsg_id, postdest, dring, remotealert_id, needsconf, toolate_id,
 pre_ring, ringing) VALUES
 ('200','ringallv2',20,'','201-202-09001234567#',0,'ext-local,200,dest','',
  0,'',0,0,'Ring'),
 ('201','hunt',15,'FM:','201-09005551234#',NULL,NULL,NULL,NULL,NULL,NULL,5,
  NULL);
""", db=None)


class Ami:
    """An AMI server that answers every action with Success (or as told)
    and records the frames it received."""

    def __init__(self):
        self.frames = []
        self.mode = "ok"  # ok, error, close, stall
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            c, _ = self.sock.accept()
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        buf = b""
        try:
            if self.gone(c):
                return
            c.sendall(b"Asterisk Call Manager/11.0.0\r\n")
            while True:
                d = c.recv(65536)
                if not d:
                    return
                buf += d
                while b"\r\n\r\n" in buf:
                    raw, buf = buf.split(b"\r\n\r\n", 1)
                    if self.gone(c):
                        return
                    self.answer(c, raw.decode("utf-8", "replace"))
        except OSError:
            return

    def gone(self, c):
        """close: hang up; stall: say nothing for 30 s."""
        if self.mode == "close":
            c.close()
            return True
        if self.mode == "stall":
            time.sleep(30)
            return True
        return False

    def answer(self, c, raw):
        h = {}
        for line in raw.split("\r\n"):
            k, _, v = line.partition(": ")
            h[k.lower()] = v
        action = h.get("action", "").lower()
        if action != "login":
            self.frames.append(h)
        ok = self.mode == "ok" or action == "login"
        out = "Response: %s\r\n" % ("Success" if ok else "Error")
        if "actionid" in h:
            out += "ActionID: %s\r\n" % h["actionid"]
        out += "Message: %s\r\n\r\n" % ("Updated database successfully"
                                        if ok else "Failed to update entry")
        c.sendall(out.encode())

    def take(self):
        f, self.frames = self.frames, []
        return [(x.get("action"), x.get("family"), x.get("key"),
                 x.get("val")) for x in f]


ami = Ami()
d = T.tmpdir("pbxapi-fm-")
runs = os.path.join(d, "runs.log")
T.write(runs, "", 0o666)
for name in ("retrieve_conf", "module_admin"):
    T.write(os.path.join(d, name),
            "#!/bin/sh\necho \"%s $*\" >> %s\n" % (name, runs), 0o755)
KEY = "k" * 32
env = {"API_SECRET_KEY": KEY, "DB_SOCKET": my.sock,
       "DB_USERNAME": "elastix", "DB_PASSWORD": "elastixpw",
       "AMI_HOST": "127.0.0.1", "AMI_PORT": str(ami.port),
       "AMI_USERNAME": "admin", "AMI_SECRET": "amp111",
       "RETRIEVE_CONF_CMD": os.path.join(d, "retrieve_conf"),
       "RELOAD_CMD": os.path.join(d, "module_admin") + " reload"}
pool = T.Pool(settings={"backend_timeout": "2s", "pm.max_children": "1"},
              env=env)
web = T.Nginx(pool)


def call(cmd, body=None):
    h = {"Authorization": KEY}
    if body is None:
        st, hdr, data = web.get("/api/api.php?cmd=" + cmd, h)
    else:
        st, hdr, data = web.post("/api/api.php?cmd=" + cmd, body, h,
                                 ctype="application/x-www-form-urlencoded")
    return st, data


def err(code, msg):
    return json.dumps({"error": msg, "code": code},
                      separators=(",", ":")).replace("/", "\\/").encode()


def ran():
    text = T.read(runs)
    T.write(runs, "", 0o666)
    return text.splitlines()


def puts(g, grplist, grptime, prering):
    return [("DBPut", "AMPUSER", "%s/followme/%s" % (g, k), v) for k, v in (
        ("changecid", "default"), ("ddial", "DIRECT"), ("fixedcid", ""),
        ("grpconf", "ENABLED"), ("grplist", grplist),
        ("grptime", grptime), ("prering", prering))]


OK = {s: b'{"status":"%s","code":200}' % s.encode() for s in
      ("INSERT OK", "ALREADY EXISTS", "UPDATE OK", "DELETE OK")}
RELOADS = ["retrieve_conf ", "module_admin reload"]

# ------------------------------------------------------------------ reads
st, body = call("getallfollowmeextensions")
t.is_((st, body), (200, b'[{"grpnum":"200","strategy":"ringallv2",'
      b'"grptime":20,"grppre":"","grplist":"201-202-09001234567#",'
      b'"annmsg_id":0,"postdest":"ext-local,200,dest","dring":"",'
      b'"remotealert_id":0,"needsconf":"","toolate_id":0,"pre_ring":0,'
      b'"ringing":"Ring"},{"grpnum":"201","strategy":"hunt","grptime":15,'
      b'"grppre":"FM:","grplist":"201-09005551234#","annmsg_id":null,'
      b'"postdest":null,"dring":null,"remotealert_id":null,'
      b'"needsconf":null,"toolate_id":null,"pre_ring":5,"ringing":null}]'),
      "getall: the seeded rows, numbers and nulls")
st, body = call("getfollowmeextension", "grpnum=201")
t.ok(body.startswith(b'[{"grpnum":"201"'), "get 201")
st, body = call("getfollowmeextension", "grpnum=%27%20OR%20%271%27%3D%271")
t.is_((st, body), (200, b"[]"), "get: SQL in grpnum is data")
st, body = call("getfollowmeextension", "")
t.is_((st, body), (200, b"[]"), "get without grpnum: []")

# -------------------------------------------------------------------- add
st, body = call("addfollowmeextension",
                "grpnum=400&strategy=ringallv2&grplist=401-402")
t.is_((st, body), (200, OK["INSERT OK"]), "add 400")
t.is_(ami.take(), puts("400", "401-402", "20", "0"),
      "add: seven DBPut, keys without quotes, fixedcid empty")
t.is_(ran(), RELOADS, "add: retrieve_conf, then module_admin reload")
st, body = call("getfollowmeextension", "grpnum=400")
t.is_(body, b'[{"grpnum":"400","strategy":"ringallv2","grptime":20,'
      b'"grppre":"","grplist":"401-402","annmsg_id":0,"postdest":"",'
      b'"dring":"","remotealert_id":0,"needsconf":"","toolate_id":0,'
      b'"pre_ring":0,"ringing":"Ring"}]', "add: the row, with defaults")
st, body = call("addfollowmeextension", "grpnum=400&grplist=999")
t.is_((st, body), (200, OK["ALREADY EXISTS"]), "add again")
t.is_((ami.take(), ran()), ([], []),
      "already exists: AstDB untouched (N-3), no reload")
st, body = call("addfollowmeextension", "grpnum=501&grptime=1e1&pre_ring=+2&"
                "annmsg_id=2abc&remotealert_id=-1.9&toolate_id=0x10")
t.is_((st, body), (200, OK["INSERT OK"]), "add with PHP (int) casts")
t.is_(ami.take(), puts("501", "", "10", "2"), "add: the cast integers")
ran()
t.is_(sql("SELECT grptime, annmsg_id, remotealert_id, toolate_id, pre_ring "
          "FROM findmefollow WHERE grpnum='501'").split(),
      ["10", "2", "-1", "0", "2"], "add: casts stored")
INJ = "%60touch%20" + d.replace("/", "%2F") + "%2Fpwned%60%24(id)%22%27"
st, body = call("addfollowmeextension", "grpnum=502&grplist=" + INJ +
                "&strategy=x%27%3B%20DROP%20TABLE%20findmefollow%3B%20--")
t.is_((st, body), (200, OK["INSERT OK"]), "add: shell and SQL text")
grplist = "`touch %s/pwned`$(id)\"'" % d
t.is_(ami.take()[4], ("DBPut", "AMPUSER", "502/followme/grplist", grplist),
      "the grplist goes to AMI as a value, verbatim")
t.ok(not os.path.exists(os.path.join(d, "pwned")), "no shell ran it")
t.is_(sql("SELECT strategy, grplist FROM findmefollow WHERE grpnum='502'"),
      "x'; DROP TABLE findmefollow; --\t%s\n" % grplist,
      "stored verbatim")
ran()

# ------------------------------------------------------------ validation
for body, msg, why in (
        ("strategy=hunt", "Missing required follow-me field: grpnum",
         "no grpnum"),
        ("grpnum=", "Missing required follow-me field: grpnum",
         "empty grpnum"),
        ("grpnum=4a0", "Invalid follow-me field: grpnum", "grpnum not digits"),
        ("grpnum=%24(touch%20x)", "Invalid follow-me field: grpnum",
         "grpnum shell text"),
        ("grpnum=" + "1" * 21, "Invalid follow-me field: grpnum",
         "grpnum of 21 digits"),
        ("grpnum=410&grptime=99999",
         "Invalid follow-me field: grptime (99999 not within 1..60)",
         "grptime 99999"),
        ("grpnum=410&grptime=abc",
         "Invalid follow-me field: grptime (0 not within 1..60)",
         "grptime abc is 0"),
        ("grpnum=410&pre_ring=61",
         "Invalid follow-me field: pre_ring (61 not within 0..60)",
         "pre_ring 61"),
        ("grpnum=410&annmsg_id=2147483648",
         "Invalid follow-me field: annmsg_id (2147483648 not within "
         "-2147483648..2147483647)", "annmsg_id past int"),
        ("grpnum=410&strategy=" + "s" * 51,
         "Follow-me field too long: strategy", "strategy of 51"),
        ("grpnum=410&grplist=a%0D%0AAction:%20Originate",
         "parameter 'grplist' contains CR, LF or NUL", "CR/LF in grplist"),
        ("grpnum=410&ringing=%C3", "parameter 'ringing' is not valid UTF-8",
         "invalid UTF-8")):
    st, got = call("addfollowmeextension", body)
    t.is_((st, got), (400, err(400, msg)), "add: %s is 400" % why)
st, got = call("updatefollowmeextension", "grpnum=400&grptime=0")
t.is_(st, 400, "update: grptime 0 is 400")
st, got = call("deletefollowmeextension", "")
t.is_((st, got), (400, err(400, "Missing required follow-me field: grpnum")),
      "delete without grpnum")
t.is_((ami.take(), ran()), ([], []), "refused input: no AMI, no reload")
t.is_(sql("SELECT COUNT(*) FROM findmefollow WHERE grpnum IN ('', '410')")
      .strip(), "0", "refused input: no row")

# ----------------------------------------------------------------- update
st, body = call("updatefollowmeextension", "grpnum=400&strategy=hunt&"
                "grptime=30&grplist=401&ringing=default")
t.is_((st, body), (200, OK["UPDATE OK"]), "update 400")
t.is_(ami.take(), puts("400", "401", "30", "0"), "update: DBPut")
t.is_(ran(), RELOADS, "update: reloads")
t.is_(sql("SELECT strategy, grptime, grplist, ringing FROM findmefollow "
          "WHERE grpnum='400'").split(), ["hunt", "30", "401", "default"],
      "update: the row")
st, body = call("updatefollowmeextension", "grpnum=999&grplist=9991")
t.is_((st, body), (200, OK["UPDATE OK"]), "update without a row: UPDATE OK")
t.is_((ami.take(), ran()), ([], []), "update without a row: nothing done")
t.is_(sql("SELECT COUNT(*) FROM findmefollow WHERE grpnum='999'").strip(),
      "0", "update without a row: no row made")

# ------------------------------------------------------------ AMI faults
ami.mode = "error"
st, body = call("updatefollowmeextension", "grpnum=400&grptime=25")
t.is_((st, body), (200, OK["UPDATE OK"]), "AMI says Error: still UPDATE OK")
t.is_(len(ami.take()), 1, "AMI says Error: the other keys are skipped")
t.is_(ran(), RELOADS, "AMI says Error: reloads still run")
t.like(pool.log(), "followme 400: AstDB not written", "the failure is logged")
# The server hangs up the kept connection and every new one.
ami.mode = "close"
st, body = call("addfollowmeextension", "grpnum=601&grplist=6011")
t.is_((st, body), (200, OK["INSERT OK"]),
      "AMI closing connections: INSERT OK")
ami.take()
ami.mode = "stall"
t0 = time.time()
st, body = call("addfollowmeextension", "grpnum=602&grplist=6021")
el = time.time() - t0
t.is_((st, body), (200, OK["INSERT OK"]), "AMI stalled: INSERT OK")
t.ok(el < 5.5, "AMI stalled: one deadline, not seven (%.1f s)" % el)
t.is_(sql("SELECT COUNT(*) FROM findmefollow WHERE grpnum IN ('601','602')")
      .strip(), "2", "AMI faults: the rows are written")
ami.mode = "ok"
ran()

# ----------------------------------------------------------------- delete
st, body = call("deletefollowmeextension", "grpnum=400")
t.is_((st, body), (200, OK["DELETE OK"]), "delete 400")
t.is_(ami.take(), [("DBDelTree", "AMPUSER", "400/followme", None)],
      "delete: DBDelTree AMPUSER 400/followme")
t.is_(ran(), RELOADS, "delete: reloads")
st, body = call("getfollowmeextension", "grpnum=400")
t.is_(body, b"[]", "delete: the row is gone")

# ------------------------------------------------------ database errors
sql("CREATE UNIQUE INDEX uq_grplist ON findmefollow (grplist)")
st, body = call("addfollowmeextension", "grpnum=700&grplist=201-09005551234%23")
t.is_((st, body), (503, err(503, "SQLSTATE[23000]: Integrity constraint "
                                 "violation: 1062 Duplicate entry "
                                 "'201-09005551234#' for key 'uq_grplist'")),
      "1062 in PDO's words")
sql("DROP INDEX uq_grplist ON findmefollow; ALTER TABLE findmefollow "
    "MODIFY annmsg_id tinyint DEFAULT NULL")
st, body = call("addfollowmeextension", "grpnum=701&annmsg_id=1000")
t.is_((st, body), (503, err(503, "SQLSTATE[22003]: Numeric value out of "
                                 "range: 1264 Out of range value for column "
                                 "'annmsg_id' at row 1")),
      "1264 in PDO's words")
t.is_((ami.take(), ran()), ([], []), "a failed insert: no AMI, no reload")
t.done()
