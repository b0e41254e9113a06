#!/usr/bin/env python3
# The recording server dialect over its two other stores, through the
# real nginx and pool (docs/recordings.md, "Other backends"): an Asterisk
# tenant over a real MariaDB loaded from sql/mysql/ (asteriskcdrdb.cdr
# rows with a recordingfile, a monitor directory of WAV files), and
# FusionPBX tenants over a real PostgreSQL loaded from sql/pgsql/
# (v_xml_cdr rows with record_path/record_name, a recordings directory),
# one limited to its domain (FUSIONPBX_DOMAIN), one seeing every domain.
# Every search filter each store supports is checked against a model of
# the mapping computed here from the same rows; the filters and
# operations a store cannot answer are 501; pages, keyset cursors and
# their edges; rows with hostile files are listed and harm nothing.
# Audio: the files of both layouts (FreePBX's dated tree, Elastix's flat
# directory; FusionPBX's record_path) byte for byte and by Range, from
# pbxapi and through nginx's internal locations (X-Accel-Redirect); the
# hostile rows, links and other domains' files are 404; the metadata.
import datetime
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T  # noqa: E402
import fusionpbx as F  # noqa: E402
import recordings as R  # noqa: E402

t = T.Tap(timeout=300)
AST, FPX, FALL, NOREC = "a" * 32, "b" * 32, "c" * 32, "d" * 32
ASTX, FBAD, ADOWN, FDOWN = "e" * 32, "f" * 32, "g" * 32, "h" * 32
ASTACC, ASTOLD, FPXACC, FPXOLD = "m" * 32, "n" * 32, "p" * 32, "r" * 32
BASE = datetime.datetime(2026, 1, 10, 12, 0, 0)


def q(s):
    """An SQL string literal (MariaDB and PostgreSQL alike)."""
    return "'" + s.replace("\\", "\\\\").replace("'", "''") + "'"


def hms(sec):
    return "%02d:%02d:%02d" % (sec // 3600, sec // 60 % 60, sec % 60)


def ts(d):
    return d.strftime("%Y-%m-%d %H:%M:%S")


# ------------------------------------------------------- Asterisk: the rows
# 60 calls, one every 37 minutes back from BASE; call 7 starts with call
# 8 (a tie the uniqueid breaks).  Calls g % 4 == 3 are not recorded; g %
# 5 == 0 are not answered; g % 6 == 0 rang three phones (three rows, the
# answered one ranks first); g % 8 == 2 went through queue 3100, whose
# answered leg is agent 2000's Agent/ channel; SIP/az9kf7 made the calls
# g % 4 == 0, SIP/jd42xx took the calls g % 6 == 1.
def cdr_calls():
    rows = []
    for g in range(1, 61):
        when = BASE - datetime.timedelta(minutes=37 * (8 if g == 7 else g))
        uid = "1768000000.%d" % g
        src = "06000000%02d" % (g % 7)
        dst = "3100" if g % 3 == 0 else "3000"
        ans = g % 5 != 0
        rec = "" if g % 4 == 3 else "in-%s-%s-%s-%s.wav" % (
            dst, src, when.strftime("%Y%m%d-%H%M%S"), uid)
        row = dict(calldate=when, src=src, dst=dst, dcontext="from-internal",
                   channel=("SIP/az9kf7-%08x" if g % 4 == 0 else
                            "SIP/trunk-%08x") % g,
                   dstchannel="SIP/1%03d-%08x" % (g, g),
                   lastapp="Dial", lastdata="SIP/1000",
                   billsec=g % 50 + 4 if ans else 0,
                   disposition="ANSWERED" if ans else "NO ANSWER",
                   uniqueid=uid, recordingfile=rec, userfield="",
                   accountcode="", cnam="Caller %d" % g if g % 2 else "",
                   dst_cnam="")
        if g % 6 == 1:
            row["dstchannel"] = "SIP/jd42xx-%08x" % g
        if g % 8 == 2:
            row.update(lastapp="Queue", lastdata="3100,t,,,300",
                       dstchannel="Agent/2000" if ans else "")
        if g % 9 == 0:
            row.update(userfield="vip", accountcode="acme")
        row["duration"] = row["billsec"] + 5
        rows.append(row)
        for leg in range(2 if g % 6 == 0 else 0):
            extra = dict(row, dstchannel="SIP/2%03d-%08x" % (leg, g),
                         billsec=0, duration=9 + leg, disposition="NO ANSWER",
                         lastapp="Dial", lastdata="SIP/2000")
            rows.append(extra)
    return rows


CDR = cdr_calls()
# A call whose file lies flat in the monitor directory (Elastix), not in
# FreePBX's dated YYYY/MM/DD/ tree.
FLAT_ID = "1768000098.1"
CDR.append(dict(CDR[0], calldate=datetime.datetime(2025, 6, 1, 9, 0, 0),
                uniqueid=FLAT_ID, src="0600000005",
                channel="SIP/trunk-00000062", dstchannel="SIP/1098-00000062",
                recordingfile="in-3000-0600000005-20250601-090000-%s.wav"
                % FLAT_ID))
# Hostile recordingfile values: the rows are listed (their uniqueid is a
# file id), never a file outside the monitor directory (t_rec_store.c
# checks the path rule itself).  Hostile uniqueids are left out.
HOSTILE = [("1768000099.1", "../../../../etc/passwd"),
           ("1768000099.2", "/etc/passwd"),
           ("1768000099.3", "evil\nname.wav"),
           ("1768000099.4", "link.wav"),
           ("1768000099.5", "a\x01b.wav"),
           ("../1768000099.6", "in-x.wav"),
           ("1768000099 .7", "in-x.wav"),
           ("1768000099.\u017f8", "in-x.wav"),
           (".1768000099.9", "in-x.wav")]
for i, (uid, rec) in enumerate(HOSTILE):
    CDR.append(dict(CDR[0], calldate=datetime.datetime(2020, 1, 1, 0, 0, i),
                    uniqueid=uid, recordingfile=rec, src="0999", dst="1"))
CDR_COLS = ["calldate", "src", "dst", "dcontext", "channel", "dstchannel",
            "lastapp", "lastdata", "duration", "billsec", "disposition",
            "uniqueid", "recordingfile", "userfield", "accountcode", "cnam",
            "dst_cnam"]


def cdr_sql(rows):
    vals = []
    for r in rows:
        vals.append("(" + ", ".join(
            str(r[c]) if isinstance(r[c], int) else
            q(ts(r[c])) if isinstance(r[c], datetime.datetime) else q(r[c])
            for c in CDR_COLS) + ")")
    return "INSERT INTO asteriskcdrdb.cdr (%s) VALUES %s;" % (
        ", ".join(CDR_COLS), ",\n".join(vals))


def valid_id(s):
    return (s != "" and s[0] != "." and len(s) <= 128 and
            all(c.isascii() and (c.isalnum() or c in "._-") for c in s))


def cdr_rank(r):
    """The store's RANK as far as these rows need it (no two rows of a
    uniqueid tie on these)."""
    return (r["disposition"] == "ANSWERED", r["billsec"],
            -r["calldate"].timestamp(), r["duration"])


def cdr_model():
    """The records the Asterisk store must answer, newest first."""
    best = {}
    for r in CDR:
        if r["recordingfile"] == "" or not valid_id(r["uniqueid"]):
            continue
        u = r["uniqueid"]
        if u not in best or cdr_rank(r) > cdr_rank(best[u]):
            best[u] = r
    out = []
    for r in best.values():
        ans = r["disposition"] == "ANSWERED"
        att = {"recording": r["uniqueid"]}
        if r["accountcode"]:
            att["accountcode"] = r["accountcode"]
        if r["userfield"]:
            att["userfield"] = r["userfield"]
        agent = None
        if r["dstchannel"].startswith("Agent/"):
            agent = r["dstchannel"][6:].split("-")[0]
        out.append(({
            "agent": agent, "attached_data": att, "dst_num": r["dst"],
            "duration": hms(r["billsec"]) if ans else "",
            "id": r["uniqueid"],
            "queue": r["lastdata"].split(",")[0]
            if r["lastapp"] == "Queue" else None,
            "src_num": r["src"], "start": ts(r["calldate"]),
            "status": "answered" if ans else "missed"}, r))
    out.sort(key=lambda x: (x[0]["start"], x[0]["id"]), reverse=True)
    return out


# ---------------------------------------------------- FusionPBX: the rows
D, O = F.DOMAIN, F.OTHER_DOMAIN
DNAME, ONAME = "fusionpbx.example.net", "other.example.org"
SEED_ROW = dict(
    uuid="11111111-2222-4333-8444-555555555501", domain=D,
    direction="inbound", caller="+14255550123", dest="100",
    start=datetime.datetime(2024, 6, 1, 10, 0, 0), answered=True,
    billsec=120, end=datetime.datetime(2024, 6, 1, 10, 2, 5),
    path="/var/lib/freeswitch/recordings/fusionpbx.example.net/archive/"
    "2024/Jun/01", name="11111111-2222-4333-8444-555555555501.wav",
    agent="", queue="", accountcode="fusionpbx.example.net", orig=None,
    bridge="aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeee0001")


def fpx_calls(root):
    """40 recorded legs in the domain (calls 5 and 6 start together), 6 in
    the other one, and 10 unrecorded."""
    rows = []
    for g in range(1, 57):
        dom = D if g <= 40 or g > 46 else O
        name = DNAME if dom == D else ONAME
        when = BASE - datetime.timedelta(minutes=41 * (6 if g == 5 else g))
        ans = g % 4 != 0
        u = str(uuid.UUID(int=0x5ec0 << 112 | g))
        row = dict(uuid=u, domain=dom,
                   direction=["inbound", "outbound", "local"][g % 3],
                   caller="+3361%07d" % (g % 5), dest="10%d" % (g % 4),
                   start=when, answered=ans, billsec=g * 3 if ans else 0,
                   end=when + datetime.timedelta(seconds=g * 3 + 7),
                   path="%s/%s/archive/%s" % (root, name,
                                              when.strftime("%Y/%b/%d")),
                   name=u + ".wav", agent="", queue="", accountcode=name,
                   orig=None, bridge=None)
        if g % 7 == 0:
            row.update(queue="5000@" + name,
                       agent="a%d" % (g % 2), accountcode="")
        if g == 12:
            row["orig"] = rows[10]["uuid"]
        if g == 13:
            row["bridge"] = rows[10]["uuid"]
        if g > 46:
            row.update(path=None, name=None)
        rows.append(row)
    return rows


def fpx_sql(rows):
    vals = []
    for r in rows:
        ans = r["start"] + datetime.timedelta(seconds=5)
        vals.append("(" + ", ".join([
            q(r["uuid"]), q(r["domain"]),
            q(DNAME if r["domain"] == D else ONAME), q(r["direction"]),
            q(r["caller"]), q(r["dest"]), q(ts(r["start"]) + "+00"),
            q(ts(ans) + "+00") if r["answered"] else "NULL",
            q(ts(r["end"]) + "+00"), str(r["billsec"]),
            q(r["path"]) if r["path"] is not None else "NULL",
            q(r["name"]) if r["name"] is not None else "NULL",
            q(r["agent"]), q(r["queue"]),
            "1" if r["agent"] and r["answered"] else "NULL",
            q(r["accountcode"]),
            q(r["orig"]) if r["orig"] else "NULL",
            q(r["bridge"]) if r["bridge"] else "NULL"]) + ")")
    return ("INSERT INTO v_xml_cdr (xml_cdr_uuid, domain_uuid, domain_name, "
            "direction, caller_id_number, destination_number, start_stamp, "
            "answer_stamp, end_stamp, billsec, record_path, record_name, "
            "cc_agent, cc_queue, cc_queue_answered_epoch, accountcode, "
            "originating_leg_uuid, bridge_uuid) VALUES %s;" % ",\n".join(vals))


def fpx_model(rows, domain=D):
    out = []
    for r in [SEED_ROW] + rows:
        if not r["name"] or not r["path"] or (domain and
                                              r["domain"] != domain):
            continue
        att = {"recording": r["uuid"]}
        if r["accountcode"]:
            att["accountcode"] = r["accountcode"]
        out.append(({
            "agent": r["agent"] or None, "attached_data": att,
            "dst_num": r["dest"],
            "duration": hms(r["billsec"]) if r["answered"] else "",
            "id": r["uuid"], "queue": r["queue"] or None,
            "src_num": r["caller"], "start": ts(r["start"]),
            "status": "answered" if r["answered"] else "missed"}, r))
    out.sort(key=lambda x: (x[0]["start"], x[0]["id"]), reverse=True)
    return out


# ------------------------------------------------------------ the servers
my = T.MariaDB()
my.load_elastix()
my.sql("DELETE FROM asteriskcdrdb.cdr;")  # the demo seed's calls
my.sql(cdr_sql(CDR))
# Last week caller 0611 was answered by agent 2000, yesterday by 2001
# (then a call no agent answered); neither is recorded.
my.sql("""INSERT INTO asteriskcdrdb.cdr (calldate, src, dst, dstchannel,
 disposition, billsec, uniqueid) VALUES
 (NOW() - INTERVAL 7 DAY, '0611', '3100', 'Agent/2000', 'ANSWERED', 9, 'la.1'),
 (NOW() - INTERVAL 1 DAY, '0611', '3100', 'Agent/2001', 'ANSWERED', 9, 'la.2'),
 (NOW() - INTERVAL 1 HOUR, '0611', '3100', 'SIP/1000-1', 'ANSWERED', 9,
  'la.3');""")


def wav_file(path, i):
    """A WAV of tone i at path (bytes of its own); returns its bytes."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    R.wav(path, seconds=0.2, freq=300 + 50 * i)
    with open(path, "rb") as f:
        return f.read()


MON = T.tmpdir("pbxapi-monitor-")
AWAV = {}  # Asterisk record id: its file's bytes
for i, (rec, r) in enumerate(cdr_model()[:3]):
    AWAV[rec["id"]] = wav_file(os.path.join(
        MON, r["calldate"].strftime("%Y/%m/%d"), r["recordingfile"]), i)
FLAT = [r for r in CDR if r["uniqueid"] == FLAT_ID][0]
AWAV[FLAT_ID] = wav_file(os.path.join(MON, FLAT["recordingfile"]), 3)
# The newest call's name flat as well, other bytes: the dated file wins.
AFLAT0 = wav_file(os.path.join(MON, cdr_model()[0][1]["recordingfile"]), 4)
os.symlink("/etc/passwd", os.path.join(MON, "link.wav"))

pg = T.Postgres()
fdb = F.Database(pg)
RROOT = T.tmpdir("pbxapi-fsrec-")
FROWS = fpx_calls(RROOT)
fdb.sql(fpx_sql(FROWS))
# Hostile record_path / record_name in the domain: listed, never served.
FHOSTILE = [("%s/%s/../../../etc" % (RROOT, DNAME), "passwd"),
            ("/etc", "passwd"),
            ("%s/%s/archive" % (RROOT, ONAME), "theirs.wav"),
            ("%s/%s/archive" % (RROOT, DNAME), "../../x.wav"),
            ("%s/%s/arch\nive" % (RROOT, DNAME), "x.wav"),
            ("relative/%s" % DNAME, "x.wav")]
for i, (path, name) in enumerate(FHOSTILE):
    start = datetime.datetime(2020, 1, 1, 0, 0, i)
    FROWS.append(dict(FROWS[0], uuid=str(uuid.UUID(int=0xbad << 112 | i)),
                      start=start, end=start + datetime.timedelta(seconds=9),
                      path=path, name=name, orig=None, bridge=None))
fdb.sql(fpx_sql(FROWS[-len(FHOSTILE):]))
fdb.sql("""INSERT INTO v_xml_cdr (xml_cdr_uuid, domain_uuid, caller_id_number,
 start_stamp, cc_agent, cc_queue_answered_epoch) VALUES
 ('5ec00000-0000-4000-8000-00000000aa01', '%s', '0622', now() - interval
  '2 days', 'agent-uuid-1', 1),
 ('5ec00000-0000-4000-8000-00000000aa02', '%s', '0622', now() - interval
  '1 day', 'agent-uuid-2', NULL),
 ('5ec00000-0000-4000-8000-00000000aa03', '%s', '0622', now() - interval
  '1 hour', 'agent-other', 1);""" % (D, D, O))
FWAV = {}  # FusionPBX record id: its file's bytes
for i, (rec, r) in enumerate(fpx_model(FROWS)[:2]):
    FWAV[rec["id"]] = wav_file(os.path.join(r["path"], r["name"]), 10 + i)
FH = [r["uuid"] for r in FROWS[-len(FHOSTILE):]]  # 0bad...0000 to 0005
# Another domain's recorded call (g 41), and the file in the other
# domain's directory that a row of this domain names (0bad...0002).
OREC = FROWS[40]
FWAV[OREC["uuid"]] = wav_file(os.path.join(OREC["path"], OREC["name"]), 12)
FWAV[FH[2]] = wav_file(os.path.join(RROOT, ONAME, "archive", "theirs.wav"),
                       13)
# What the other hostile rows would reach if their names were followed.
wav_file(os.path.join(RROOT, "x.wav"), 14)
wav_file(os.path.join(RROOT, DNAME, "arch\nive", "x.wav"), 15)
# A recorded call of the domain whose day directory (in its record_path)
# is a link to a directory of the domain that holds its file.
LREC = [r for _, r in fpx_model(FROWS) if r["path"].startswith(RROOT) and
        r["path"] != FROWS[0]["path"]][0]
wav_file(os.path.join(RROOT, DNAME, "real-day", LREC["name"]), 16)
os.makedirs(os.path.dirname(LREC["path"]), exist_ok=True)
os.symlink(os.path.join(RROOT, DNAME, "real-day"), LREC["path"])

MYDB = {"DB_SOCKET": my.sock, "DB_USERNAME": "elastix",
        "DB_PASSWORD": "elastixpw", "RECORDINGS_PATH": MON}
FENV = F.tenant_env(fdb, FUSIONPBX_RECORDINGS_DIR=RROOT)


def tenant(name, token, keys):
    return "[tenant %s]\ntoken = %s\n%s\n" % (
        name, token, "\n".join("%s = %s" % kv for kv in keys.items()))


extra = tenant("ast", AST + " recordings", MYDB)
extra += tenant("fpx", FPX + " recordings",
                dict(FENV, FUSIONPBX_DOMAIN=DNAME))
extra += tenant("fall", FALL + " recordings", FENV)
extra += tenant("norec", NOREC + " read,write", MYDB)
extra += tenant("astx", ASTX + " recordings",
                dict(FENV, RECORDING_BACKEND="asterisk", **MYDB))
extra += tenant("fbad", FBAD + " recordings",
                dict(FENV, FUSIONPBX_DOMAIN="../" + DNAME))
extra += tenant("adown", ADOWN + " recordings",
                dict(MYDB, DB_SOCKET="/nonexistent/mysqld.sock"))
extra += tenant("fdown", FDOWN + " recordings",
                dict(FENV, FUSIONPBX_DB_HOST="/nonexistent"))
# Audio through nginx: RECORDING_AUDIO_ACCEL (over RECORDINGS_ACCEL),
# RECORDINGS_ACCEL alone (the Asterisk store falls back to it, the
# FusionPBX store does not), each prefix an internal location that says
# which it is.
extra += tenant("astacc", ASTACC + " recordings", dict(
    MYDB, RECORDING_AUDIO_ACCEL="/_ast_audio/",
    RECORDINGS_ACCEL="/_ast_monitor/"))
extra += tenant("astold", ASTOLD + " recordings",
                dict(MYDB, RECORDINGS_ACCEL="/_ast_monitor/"))
extra += tenant("fpxacc", FPXACC + " recordings", dict(
    FENV, FUSIONPBX_DOMAIN=DNAME, RECORDING_AUDIO_ACCEL="/_fpx_audio/"))
extra += tenant("fpxold", FPXOLD + " recordings", dict(
    FENV, FUSIONPBX_DOMAIN=DNAME, RECORDINGS_ACCEL="/_ast_monitor/"))
ACCEL = "".join(
    "location /%s/ { internal; alias %s/; disable_symlinks on from=%s; "
    "add_header X-Test-Via %s; }\n" % (loc, root, root, loc)
    for loc, root in (("_ast_audio", MON), ("_ast_monitor", MON),
                      ("_fpx_audio", RROOT)))
pool = T.Pool(env={"API_SECRET_KEY": "k" * 32}, extra=extra)
web = T.Nginx(pool, locations=ACCEL)


def post(path, token, body=None, raw=False):
    h = {"X-Auth-Token": token}
    if body is not None:
        h["Content-Type"] = "application/json"
        if not raw:
            body = json.dumps(body)
    st, _, data = web.request("POST", path, h, body)
    try:
        return st, json.loads(data) if data else None
    except ValueError:
        return st, data


def get(path, token):
    st, _, data = web.request("GET", path, {"X-Auth-Token": token})
    return st, json.loads(data) if data else None


def ids(recs):
    return [r["id"] for r in recs]


def search(token, body, query="pageSize=1000"):
    return post("/records/search?" + query, token, body)


def walk(token, body, size):
    """Every record, page after page by keyset cursor; the pages' sizes."""
    out, sizes, cur = [], [], ""
    for _ in range(200):
        st, b = search(token, body, "pageSize=%d&cursor=%s" % (size, cur))
        if st != 200:
            t.diag("walk: %r %r after %d records" % (st, b, len(out)))
            return None, [0]
        out += b["records"]
        sizes.append(len(b["records"]))
        if b["cursor"] is None:
            return out, sizes
        cur = b["cursor"]
    return None, "no end"


def pages(token, body, size):
    """Every record, by page number."""
    out = []
    for page in range(1, 200):
        st, b = search(token, body, "pageSize=%d&page=%d" % (size, page))
        out += b["records"]
        if not b["hasNext"]:
            return out, page
    return None, None


def filters(label, token, model, cases):
    for body, pick in cases:
        want = [m[0]["id"] for m in model if pick(m[0], m[1])]
        st, b = search(token, body)
        t.ok(st == 200 and ids(b["records"]) == want and want,
             "%s: %s (%d records)" % (label, json.dumps(body), len(want)))
        if not (st == 200 and ids(b["records"]) == want):
            t.diag("got %r %r" % (st, b if st != 200 else ids(b["records"])))
            t.diag("want %r" % want)


def common(label, token, model, other_token):
    """What every store answers the same way: pages and cursors."""
    all_ids = [m[0]["id"] for m in model]
    st, b = search(token, {})
    t.is_((st, b["hasNext"], b["records"]), (200, False,
                                             [m[0] for m in model]),
          "%s: every record, newest first, mapped field by field" % label)
    st, b = search(token, {}, "")
    t.is_((st, ids(b["records"]), b["hasNext"]), (200, all_ids[:10], True),
          "%s: pageSize 10 by default" % label)
    got, n = pages(token, {}, 7)
    t.is_(ids(got or []), all_ids, "%s: page after page (%d pages of 7)"
          % (label, n))
    last = (len(all_ids) + 6) // 7
    st, b = search(token, {}, "pageSize=7&page=%d" % last)
    t.is_((ids(b["records"]), b["hasNext"]),
          (all_ids[(last - 1) * 7:], False), "%s: the last page" % label)
    st, b = search(token, {}, "pageSize=7&page=%d" % (last + 1))
    t.is_((st, b), (200, {"hasNext": False, "records": []}),
          "%s: past the last page: empty" % label)
    st, b = search(token, {}, "pageSize=%d" % len(all_ids))
    t.is_((len(b["records"]), b["hasNext"]), (len(all_ids), False),
          "%s: a page of exactly every record: no next" % label)
    for size in ("0", "1001", "-1", "x"):
        st, b = search(token, {}, "pageSize=" + size)
        t.is_((st, b), (400, {"error": "'pageSize' is invalid"}),
              "%s: pageSize=%s: 400" % (label, size))
    st, b = search(token, {}, "pageSize=1")
    t.is_(ids(b["records"]), all_ids[:1], "%s: pageSize=1" % label)
    got, sizes = walk(token, {}, 1)
    t.is_(ids(got or []), all_ids, "%s: cursor, one record a page "
          "(ties in start time kept apart)" % label)
    got, sizes = walk(token, {}, 9)
    t.is_((ids(got or []), sizes[-1] > 0), (all_ids, True),
          "%s: cursor, pages of 9" % label)
    st, b = search(token, {}, "pageSize=5&cursor=")
    cur = b["cursor"]
    st, b2 = search(token, {}, "pageSize=5&cursor=" + cur)
    t.is_(ids(b2["records"]), all_ids[5:10], "%s: the cursor continues"
          % label)
    bad = [cur[:-2] + ("00" if cur[-2:] != "00" else "11"),
           ("0" if cur[0] != "0" else "1") + cur[1:], cur.split(".")[0],
           "zz", cur + "00"]
    for i, c in enumerate(bad):
        st, b = search(token, {}, "pageSize=5&cursor=" + c)
        t.is_((st, b), (400, {"error": "'cursor' is invalid"}),
              "%s: tampered cursor %d: 400" % (label, i + 1))
    st, b = search(other_token, {}, "pageSize=5&cursor=" + cur)
    t.is_(st, 400, "%s: another tenant's cursor: 400" % label)
    st, b = search(token, {}, "pageSize=5&page=2&cursor=" + cur)
    t.is_(st, 400, "%s: page and cursor together: 400" % label)
    st, b = search(token, {"caller": "nobody"}, "pageSize=5&cursor=")
    t.is_((st, b), (200, {"hasNext": False, "records": [], "cursor": None}),
          "%s: nothing found, keyset: cursor null" % label)
    for body, name in (({"queueCallStatus": "abandoned"}, "queueCallStatus"),
                       ({"key": "color", "value": "red"}, "attached data")):
        st, b = search(token, body)
        t.ok(st == 501 and name in b["error"],
             "%s: %s filter: 501 naming it" % (label, name))
    st, b = post("/call_data/1768000000.1/attached_data_by_uniqueId", token,
                 [{"key": "k", "value": "v"}])
    t.is_(st, 501, "%s: attached_data: 501" % label)
    st, b = search(token, {"direction": "all"})
    t.is_(ids(b["records"]), all_ids, "%s: direction all: no filter" % label)


# ================================================================ Asterisk
CM = cdr_model()
st, b = search(NOREC, {})
t.is_(st, 401, "asterisk: a token without the recordings scope: 401")
common("asterisk", AST, CM, FPX)
st, b = search(AST, {"caller": "0999"})
t.is_((st, ids(b["records"])),
      (200, ["1768000099.5", "1768000099.4", "1768000099.3", "1768000099.2",
             "1768000099.1"]),
      "asterisk: rows with hostile files are listed; hostile uniqueids "
      "(../, space, non-ASCII, leading dot) are not")
t.is_(len(CM), len({m[0]["id"] for m in CM}), "asterisk: one record per "
      "uniqueid (ring group legs are one record)")
t.is_([m[0]["status"] for m in CM if m[0]["id"] == "1768000000.6"],
      ["answered"], "asterisk: the answered leg stands for its uniqueid")
g10 = [m[0] for m in CM if m[0]["id"] == "1768000000.10"][0]
t.is_((g10["agent"], g10["queue"], g10["status"]), (None, "3100", "missed"),
      "asterisk: an unanswered queue call: the queue, no agent")
g30 = [m for m in CM if m[0]["id"] == "1768000000.30"]
t.is_([(m[0]["status"], m[1]["duration"]) for m in g30], [("missed", 10)],
      "asterisk: no leg answered: one record, the leg that rang longest")
g18 = [m[0] for m in CM if m[0]["id"] == "1768000000.18"][0]
t.is_(g18["attached_data"], {"accountcode": "acme",
                             "recording": "1768000000.18",
                             "userfield": "vip"},
      "asterisk: attached data: recording, accountcode, userfield")
when = BASE - datetime.timedelta(minutes=37 * 20)
filters("asterisk", AST, CM, [
    ({"caller": "0600000003"}, lambda m, r: m["src_num"] == "0600000003"),
    ({"caller": "06000000%"}, lambda m, r: m["src_num"].startswith(
        "06000000")),
    ({"caller": "0600000%3"}, lambda m, r: m["src_num"].endswith("3")),
    ({"callee": "3100"}, lambda m, r: m["dst_num"] == "3100"),
    ({"callee": "31%", "caller": "0600000001"},
     lambda m, r: m["dst_num"] == "3100" and m["src_num"] == "0600000001"),
    ({"start": ts(when)}, lambda m, r: r["calldate"] + datetime.timedelta(
        seconds=r["duration"]) >= when),
    ({"start": when.strftime("%Y-%m-%dT%H:%M")},
     lambda m, r: r["calldate"] + datetime.timedelta(
         seconds=r["duration"]) >= when),
    ({"end": ts(when)}, lambda m, r: r["calldate"] <= when),
    ({"end": "2026-01-10", "start": "2026-01-09"},
     lambda m, r: m["start"] >= "2026-01-09" and m["start"] <= "2026-01-10"),
    ({"agent": "2000"}, lambda m, r: m["agent"] == "2000"),
    ({"queue": "3100"}, lambda m, r: m["queue"] == "3100"),
])
cases = [({"caller": "0600000_03"}, []), ({"agent": "Agent"}, []),
         ({"start": "2030-01-01"}, []), ({"caller": "06%", "end": "2000-01-01"
                                          }, [])]
for body, want in cases:
    st, b = search(AST, body)
    t.is_((st, ids(b["records"])), (200, want),
          "asterisk: %s finds nothing" % json.dumps(body))
for body in ({"caller": "%06"}, {"callee": "_1"}, {"start": "2026-13-01"},
             {"end": "2026-02-29"}, {"end": "2026-04-31 10:00"},
             {"start": "2026-01-01 24:00:00"}, {"direction": "sideways"}):
    st, b = search(AST, body)
    t.is_(st, 400, "asterisk: %s: 400" % json.dumps(body))
for d in ("incoming", "outgoing"):
    st, b = search(AST, {"direction": d})
    t.ok(st == 501 and "'direction'" in b["error"],
         "asterisk: direction %s: 501, the CDR cannot tell" % d)
st, b = search(AST, {"end": "2024-02-29 23:59:59"})
t.is_((st, ids(b["records"])),
      (200, [m[0]["id"] for m in CM if m[0]["start"] < "2024-03"]),
      "asterisk: 29 February of a leap year is a date")
st, b = search(ASTX, {"caller": "0600000003"})
t.is_((st, ids(b["records"])), (200, [m[0]["id"] for m in CM
                                      if m[0]["src_num"] == "0600000003"]),
      "RECORDING_BACKEND=asterisk wins over FUSIONPBX_* keys")
st, b = post("/records/callid_search?callid=1768000000.6", AST)
t.is_((st, b), (200, {"hasNext": False, "records": [
    m[0] for m in CM if m[0]["id"] == "1768000000.6"]}),
      "asterisk: callid_search by uniqueid: its one record")
st, b = post("/records/callid_search?callid=1768000000.3", AST)
t.is_((st, b), (200, {"hasNext": False, "records": []}),
      "asterisk: callid_search of an unrecorded call: empty")
st, b = post("/records/callid_search?callid=nope", AST)
t.is_((st, b), (200, {"hasNext": False, "records": []}),
      "asterisk: callid_search of an unknown call: empty")
st, b = post("/recording/records/callid_search?callid=1768000099.2", AST)
t.is_(ids(b["records"]), ["1768000099.2"],
      "asterisk: callid_search under /recording, a hostile file's row")
# FreePBX 13 adds linkedid: the legs of one call.
my.sql("ALTER TABLE asteriskcdrdb.cdr ADD linkedid varchar(32) NOT NULL "
       "DEFAULT ''; UPDATE asteriskcdrdb.cdr SET linkedid = '1768000000.4' "
       "WHERE uniqueid IN ('1768000000.4', '1768000000.5', '1768000000.6');")
my.sql(T.read(os.path.join(T.ROOT, "sql", "mysql",
                           "003_pbxapi_indexes.sql")))
t.ok("pbxapi_linkedid" in my.sql("SHOW INDEX FROM asteriskcdrdb.cdr"),
     "asterisk: 003 indexes linkedid once the column exists")
st, b = post("/records/callid_search?callid=1768000000.4", AST)
t.is_(ids(b["records"]), ["1768000000.4", "1768000000.5", "1768000000.6"],
      "asterisk: callid_search by linkedid: every recorded leg")
# History: the calls of an interface, one per uniqueid and side.
def hist_model(iface):
    """The history of iface: a row per uniqueid and side, newest first."""
    best = {}
    for r in CDR:
        for col, side in (("channel", "emitted"), ("dstchannel", "in")):
            k = (r["uniqueid"], side)
            if r[col].startswith(iface + "-") and (
                    k not in best or cdr_rank(r) > cdr_rank(best[k])):
                best[k] = r
    out = []
    for (u, side), r in best.items():
        ans = r["disposition"] == "ANSWERED"
        out.append(((r["calldate"], u), dict(
            start=ts(r["calldate"]), duration=hms(r["billsec"])
            if ans else "", src_num=r["src"], dst_num=r["dst"],
            status="emitted" if side == "emitted" else
            "answered" if ans else "missed",
            src_firstname=None, src_lastname=r["cnam"] or None,
            dst_firstname=None, dst_lastname=r["dst_cnam"] or None)))
    out.sort(key=lambda x: x[0], reverse=True)
    return [e for _, e in out]


for iface, size in (("SIP/az9kf7", 1000), ("SIP/jd42xx", 1000),
                    ("SIP/jd42xx", 3)):
    want = hist_model(iface)[:size]
    st, b = post("/history?size=%d" % size, AST, {"interface": iface})
    t.is_((st, b), (200, want), "asterisk: history of %s, size %d: %d "
          "calls (%s)" % (iface, size, len(want),
                          ", ".join(sorted({e["status"] for e in want}))))
st, b = post("/history", AST, {"interface": "SIP/jd42x"})
t.is_((st, b), (200, []), "asterisk: history: the interface is whole")
st, b = post("/history", AST, {"interface": "SIP/az9kf_"})
t.is_((st, b), (200, []), "asterisk: history: '_' is no wildcard")
st, b = get("/last_agent?callerNo=0611&since=30", AST)
t.is_((st, b), (200, {"agentNumber": "2001"}),
      "asterisk: last_agent: the Agent/ channel that last answered")
st, b = get("/last_agent?callerNo=0611&since=0", AST)
t.is_((st, b), (404, {"agentNumber": None}),
      "asterisk: last_agent: none in 0 days")
st, b = get("/last_agent?callerNo=0600000001", AST)
t.is_((st, b), (404, {"agentNumber": None}),
      "asterisk: last_agent: a caller no agent answered")

# =============================================================== FusionPBX
FM = fpx_model(FROWS)
FALLM = fpx_model(FROWS, domain=None)
common("fusionpbx", FPX, FM, AST)
t.is_([m[0]["id"] for m in FM][-len(FHOSTILE):], [r["uuid"] for r in reversed(
      FROWS[-len(FHOSTILE):])],
      "fusionpbx: rows with hostile record_path/record_name are listed")
t.ok(SEED_ROW["uuid"] in [m[0]["id"] for m in FM] and not any(
    m[1]["domain"] == O for m in FM),
    "fusionpbx: the domain's records only (the seed's recorded call too)")
st, b = search(FALL, {})
t.is_((st, b["records"]), (200, [m[0] for m in FALLM]),
      "fusionpbx: a tenant without FUSIONPBX_DOMAIN sees every domain")
filters("fusionpbx", FPX, FM, [
    ({"caller": "+33610000002"}, lambda m, r: m["src_num"] == "+33610000002"),
    ({"caller": "+3361%2"}, lambda m, r: m["src_num"].startswith("+3361")
     and m["src_num"].endswith("2")),
    ({"callee": "102"}, lambda m, r: m["dst_num"] == "102"),
    ({"callee": "10%"}, lambda m, r: m["dst_num"].startswith("10")),
    ({"start": ts(BASE - datetime.timedelta(minutes=41 * 20))},
     lambda m, r: r["end"] >= BASE - datetime.timedelta(minutes=41 * 20)),
    ({"end": ts(BASE - datetime.timedelta(minutes=41 * 20))},
     lambda m, r: r["start"] <= BASE - datetime.timedelta(minutes=41 * 20)),
    ({"direction": "incoming"}, lambda m, r: r["direction"] == "inbound"),
    ({"direction": "outgoing"}, lambda m, r: r["direction"] == "outbound"),
    ({"queue": "5000"}, lambda m, r: m["queue"] == "5000@" + DNAME),
    ({"queue": "5000@" + DNAME}, lambda m, r: m["queue"] == "5000@" + DNAME),
    ({"agent": "a1"}, lambda m, r: m["agent"] == "a1"),
    ({"agent": "a1", "direction": "incoming"},
     lambda m, r: m["agent"] == "a1" and r["direction"] == "inbound"),
])
st, b = search(FPX, {"caller": "+3361_000002"})
t.is_((st, b["records"]), (200, []), "fusionpbx: '_' is literal")
st, b = search(FPX, {"queue": "5000@" + ONAME})
t.is_((st, b["records"]), (200, []),
      "fusionpbx: another domain's queue: nothing")
g11 = FROWS[10]["uuid"]
for cid, label in ((g11, "the leg"), (g11.upper(), "in capitals"),
                   ("{%s}" % g11, "in braces")):
    st, b = post("/records/callid_search?callid=" + cid, FPX)
    t.is_((st, ids(b["records"])),
          (200, [g11, FROWS[11]["uuid"], FROWS[12]["uuid"]]),
          "fusionpbx: callid_search, %s: it, the leg it originated, the "
          "leg bridged to it" % label)
st, b = post("/records/callid_search?callid=" + FROWS[11]["uuid"], FPX)
t.is_(ids(b["records"]), [FROWS[11]["uuid"]],
      "fusionpbx: callid_search of an originated leg: that leg")
st, b = post("/records/callid_search?callid=" + FROWS[42]["uuid"], FPX)
t.is_((st, b), (200, {"hasNext": False, "records": []}),
      "fusionpbx: callid_search of another domain's call: empty")
st, b = post("/records/callid_search?callid=" + FROWS[42]["uuid"], FALL)
t.is_(ids(b["records"]), [FROWS[42]["uuid"]],
      "fusionpbx: ... which the tenant of every domain finds")
st, b = post("/records/callid_search?callid=1768000000.1", FPX)
t.is_((st, b), (200, {"hasNext": False, "records": []}),
      "fusionpbx: a callid that is no uuid: empty")
st, b = post("/history", FPX, {"interface": "SIP/az9kf7"})
t.is_(st, 501, "fusionpbx: history: 501 (v_xml_cdr has no channel names)")
st, b = get("/last_agent?callerNo=0622&since=30", FPX)
t.is_((st, b), (200, {"agentNumber": "agent-uuid-1"}),
      "fusionpbx: last_agent: the call center agent who answered, in "
      "the domain")
st, b = get("/last_agent?callerNo=0622&since=30", FALL)
t.is_((st, b), (200, {"agentNumber": "agent-other"}),
      "fusionpbx: last_agent of the tenant of every domain")
st, b = get("/last_agent?callerNo=0622&since=1", FPX)
t.is_((st, b), (404, {"agentNumber": None}),
      "fusionpbx: last_agent: none answered in the last day")
st, b = search(FBAD, {})
t.is_((st, b), (500, {"error": "the recording store is misconfigured"}),
      "fusionpbx: a FUSIONPBX_DOMAIN that is no domain name: 500")
t.like(pool.log(), "tenant 'fbad': FUSIONPBX_DOMAIN is not a domain name",
       "... and the log says why")
for token, label, want, cid in (
        (ADOWN, "asterisk", "the CDR database is unavailable", "1.2"),
        (FDOWN, "fusionpbx", "failed to connect to the database", F.KEY)):
    for path, body in (("/records/search", {}),
                       ("/records/callid_search?callid=" + cid, None)):
        st, b = post(path, token, body)
        t.is_((st, b), (503, {"error": want}),
              "%s: database down: 503, %s, no driver text" % (
                  label, path.split("?")[0]))


# =================================================================== audio
def audio(path, token, headers=None):
    h = {"X-Auth-Token": token}
    h.update(headers or {})
    return web.request("GET", path, h)


def served(label, token, rid, data, via=None, path="/records/%s/audio"):
    """rid's audio: the whole file, then a Range, data's bytes each time,
    sent by pbxapi (via None) or nginx's internal location via."""
    st, hdr, body = audio(path % rid, token)
    t.is_((st, body == data, hdr.get("x-test-via")), (200, True, via),
          "%s: 200, the file's %d bytes" % (label, len(data)))
    st, hdr, body = audio(path % rid, token, {"Range": "bytes=100-199"})
    t.is_((st, hdr.get("content-range"), body, hdr.get("x-test-via")),
          (206, "bytes 100-199/%d" % len(data), data[100:200], via),
          "%s: Range bytes=100-199: 206, that slice" % label)


def refused(token, rid, paths=("/records/%s/audio",
                               "/recording/records/%s/audio/download",
                               "/records/%s/audio/metadata")):
    """Whether every audio action on rid is 404 with nothing of
    /etc/passwd or of a WAV file in the body."""
    ok = True
    for p in paths:
        st, _, body = audio(p % rid, token)
        if st != 404 or b"root:" in body or b"RIFF" in body:
            t.diag("%s: %d %r" % (p % rid, st, body[:200]))
            ok = False
    return ok


# Asterisk: FreePBX's dated layout, then Elastix's flat one.
for (rec, r), path in zip(CM[:3], ("/records/%s/audio",
                                   "/recording/records/%s/audio/listen",
                                   "/records/%s/audio/download")):
    served("asterisk audio: %s, in %s/" % (
        path % rec["id"], r["calldate"].strftime("%Y/%m/%d")), AST,
        rec["id"], AWAV[rec["id"]], path=path)
t.ok(AWAV[CM[0][0]["id"]] != AFLAT0,
     "asterisk audio: ... the flat file of the newest call's name holds "
     "other bytes: the dated one was sent")
served("asterisk audio: a file flat in the monitor directory (no dated "
       "one)", AST, FLAT_ID, AWAV[FLAT_ID])
for rid, rec in HOSTILE:
    if rid == "1768000099.4" or not valid_id(rid):
        continue  # the link (below); hostile uniqueids are not listed
    t.ok(refused(AST, rid), "asterisk audio: %s (recordingfile %r): 404, "
         "nothing of /etc/passwd" % (rid, rec))
    t.like(pool.log(), "tenant 'ast': recording '%s': recordingfile names "
           "no file below '%s'" % (rid, MON), "... and the log says why")
t.ok(refused(AST, "1768000099.4"), "asterisk audio: 1768000099.4 "
     "(MON/link.wav, a link to /etc/passwd): 404")
t.ok("recording '1768000099.4': recordingfile" not in pool.log(),
     "... a safe name whose link the opener refuses (no store warning)")
t.ok(all(refused(ASTACC, "1768000099.%d" % i, ("/records/%s/audio",))
         for i in (1, 2, 3, 4, 5)),
     "asterisk audio with an accel prefix: the hostile rows and the link "
     "are 404 too (no X-Accel-Redirect)")

# FusionPBX: record_path below the domain's directory.
for (rec, r), path in zip(FM[:2], ("/records/%s/audio",
                                   "/recording/records/%s/audio/listen")):
    served("fusionpbx audio: %s" % (path % rec["id"]), FPX, rec["id"],
           FWAV[rec["id"]], path=path)
for u, (path, name) in zip(FH, FHOSTILE):
    t.ok(refused(FPX, u), "fusionpbx audio: %s (%r, %r): 404, nothing "
         "of /etc/passwd" % (u, path.replace(RROOT, "ROOT"), name))
    t.like(pool.log(), "tenant 'fpx': recording '%s': record_path and "
           "record_name name no file below '%s/%s'" % (u, RROOT, DNAME),
           "... and the log says why")
t.ok(all(refused(FALL, u, ("/records/%s/audio",)) for u in FH if u != FH[2]),
     "fusionpbx audio, every domain: the hostile rows are 404 too, but ...")
served("fusionpbx audio, every domain: %s (a row naming the other "
       "domain's directory), below the root" % FH[2], FALL, FH[2],
       FWAV[FH[2]])
t.ok(refused(FPX, OREC["uuid"]),
     "fusionpbx audio: the other domain's recorded call: 404 in the domain")
served("fusionpbx audio, every domain: the other domain's call", FALL,
       OREC["uuid"], FWAV[OREC["uuid"]])
for token, label in ((FPX, "the domain"), (FALL, "every domain"),
                     (FPXACC, "with an accel prefix")):
    t.ok(refused(token, LREC["uuid"]),
         "fusionpbx audio, %s: a record_path through a linked directory "
         "(%s): 404" % (label, LREC["path"].replace(RROOT, "ROOT")))

# X-Accel-Redirect: nginx sends the file from the internal location.
served("asterisk audio, RECORDING_AUDIO_ACCEL (and RECORDINGS_ACCEL): "
       "nginx's /_ast_audio/, dated", ASTACC, CM[0][0]["id"],
       AWAV[CM[0][0]["id"]], via="_ast_audio")
served("asterisk audio, RECORDING_AUDIO_ACCEL: flat", ASTACC, FLAT_ID,
       AWAV[FLAT_ID], via="_ast_audio")
served("asterisk audio, RECORDINGS_ACCEL alone: the store falls back to "
       "it (/_ast_monitor/)", ASTOLD, CM[1][0]["id"], AWAV[CM[1][0]["id"]],
       via="_ast_monitor", path="/recording/records/%s/audio/listen")
served("fusionpbx audio, RECORDING_AUDIO_ACCEL: nginx's /_fpx_audio/",
       FPXACC, FM[0][0]["id"], FWAV[FM[0][0]["id"]], via="_fpx_audio")
served("fusionpbx audio, RECORDINGS_ACCEL alone: not its key, pbxapi "
       "sends the file", FPXOLD, FM[1][0]["id"], FWAV[FM[1][0]["id"]])

# Ids with no file.
for token, rid, what in (
        (AST, "1768000097.1", "asterisk audio: an unknown uniqueid"),
        (AST, "1768000000.3", "asterisk audio: a call not recorded"),
        (AST, CM[5][0]["id"], "asterisk audio: a recorded call, no file"),
        (AST, FM[0][0]["id"], "asterisk audio: a FusionPBX uuid"),
        (FPX, str(uuid.UUID(int=0x5ec0 << 112 | 0xff)),
         "fusionpbx audio: an unknown uuid"),
        (FPX, [r for r in FROWS if r["domain"] == D and not r["name"]][0][
            "uuid"], "fusionpbx audio: a leg of the domain not recorded"),
        (FPX, OREC["uuid"], "fusionpbx audio: another domain's uuid"),
        (FPX, CM[0][0]["id"], "fusionpbx audio: an id that is no uuid")):
    st, _, body = audio("/records/%s/audio" % rid, token)
    t.is_((st, b"RIFF" in body), (404, False), "%s: 404" % what)

# The metadata action: the store's Record and the file.
for token, label, (rec, r), data in (
        (AST, "asterisk", CM[0], AWAV[CM[0][0]["id"]]),
        (FPX, "fusionpbx", FM[0], FWAV[FM[0][0]["id"]])):
    st, _, m = web.json("/recording/records/%s/audio/metadata" % rec["id"],
                        {"X-Auth-Token": token})
    if not isinstance(m, dict):
        m = {}
    t.is_((st, m.get("id"), m.get("record"), m.get("size")),
          (200, rec["id"], rec, len(data)),
          "%s audio: metadata: the Record (id %s) and the file's size" %
          (label, rec["id"]))
t.ok("exited on signal" not in pool.log(), "no worker crashed")
t.done()
