#!/usr/bin/env python3
# The recording server dialect over XiVO CC's xivo_stats (a real
# PostgreSQL loaded from sql/pgsql/xivo_stats), through the real nginx:
# the seed's two examples byte-equivalent, both layouts, every filter,
# pagination (pages, bounds, the keyset cursor and its tampering),
# attached data (all or nothing), history statuses, last_agent, auth,
# 405s, and the database down or stalled.
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T  # noqa: E402
import recordings as R  # noqa: E402

t = T.Tap(timeout=240)
pg = T.Postgres()
stats = R.Stats(pg)
TOKEN2 = "a-pbxapi-token-with-recordings-0123456789"
READ_ONLY = "a-pbxapi-token-without-recordings-987654"
env = R.tenant_env(stats)
env["token"] = TOKEN2 + " recordings"
extra = "[tenant other]\ntoken = %s read\n" % READ_ONLY
pool = T.Pool(env=env, extra=extra, settings={"backend_timeout": "2s"})
web = T.Nginx(pool)


def post(path, body=None, headers=R.JH):
    if body is not None and not isinstance(body, (str, bytes)):
        body = json.dumps(body)
    return web.json(path, headers, method="POST", body=body)


def search(body=None, query="", prefix=""):
    st, _, data = post(prefix + "/records/search" + query, body or {})
    return st, data


def ids(data):
    return [r["id"] for r in data["records"]]


# ---- the seed's examples ----
for prefix in ("", "/recording"):
    st, hdr, data = post(prefix + "/records/callid_search?callid="
                         "1459435466.286075", headers=R.H)
    t.is_((st, data), (200, R.CALLID_EXAMPLE),
          "%s callid_search: the seed's example, key for key" %
          (prefix or "root"))
    t.like(hdr.get("content-type", ""), "application/json",
           "callid_search answers JSON")
st, _, data = post("/history?size=1000", {"interface": "SIP/az9kf7"})
t.is_(data[-1:], R.HISTORY_EXAMPLE,
      "history: the seed's example, key for key (null first name)")
st, _, data = web.json("/last_agent?callerNo=1002&since=100", R.H)
t.is_((st, data), (200, {"agentNumber": "2000"}),
      "last_agent: the seed's example")

# ---- auth ----
st, hdr, data = post("/records/search", {}, headers={})
t.is_((st, data), (401, {"error": "invalid or missing X-Auth-Token"}),
      "no X-Auth-Token: 401 JSON")
st, _, _ = post("/records/search", {}, headers={"X-Auth-Token": TOKEN2})
t.is_(st, 200, "a pbxapi token with the recordings scope works")
st, _, _ = post("/records/search", {},
                headers={"X-Auth-Token": READ_ONLY})
t.is_(st, 401, "a token without the recordings scope is refused")
st, _, _ = post("/records/search", {},
                headers={"X-Auth-Token": R.TOKEN[:-1]})
t.is_(st, 401, "a shared token one byte short is refused")
st, _, _ = post("/records/search", {},
                headers={"X-Auth-Token": R.TOKEN + "x"})
t.is_(st, 401, "a shared token one byte long is refused")

# ---- routing ----
st, hdr, data = web.json("/records/search", R.H)
t.is_((st, hdr.get("allow")), (405, "POST"), "GET search: 405, Allow POST")
st, hdr, data = web.json("/recording/last_agent?callerNo=1002", R.H,
                         method="POST")
t.is_((st, hdr.get("allow")), (405, "GET"),
      "POST last_agent under /recording: 405, Allow GET")
st, _, data = web.json("/records/nothing/here", R.H)
t.is_(st, 404, "an unknown path: 404")
st, _, data = web.json("/recording/records/callid_search?callid=x",
                       R.H, method="POST")
t.is_((st, data), (200, {"hasNext": False, "records": []}),
      "an unknown call id: an empty 200")

# ---- every endpoint under both layouts ----
for prefix in ("", "/recording"):
    st1, d1 = search({"agent": "2000"}, "?pageSize=5", prefix)
    st2, _, d2 = post(prefix + "/history?size=2", {"interface": "SIP/az9kf7"})
    st3, _, d3 = web.json(prefix + "/last_agent?callerNo=1002&since=100",
                          R.H)
    st4, _, _ = post(prefix + "/call_data/761200/attached_data",
                     [{"key": "layout", "value": prefix or "root"}])
    st5, _, _ = post(prefix + "/call_data/1471858488.233/"
                     "attached_data_by_uniqueId",
                     [{"key": "layout2", "value": prefix or "root"}])
    t.is_((st1, len(d1["records"]), st2, len(d2), st3, st4, st5),
          (200, 5, 200, 2, 200, 200, 200),
          "%s layout: search, history, last_agent, both attached_data" %
          (prefix or "root"))
t.is_(stats.sql("SELECT string_agg(value, ',' ORDER BY id) FROM "
                "attached_data WHERE key LIKE 'layout%'").strip(),
      "root,root,/recording,/recording", "both layouts attached their data")
stats.sql("DELETE FROM attached_data WHERE key LIKE 'layout%'")

# ---- search: pages ----
st, data = search(query="?pageSize=1000")
everything = ids(data)
t.is_((st, len(everything), data["hasNext"]), (200, 241, False),
      "every recorded call on one page (241), hasNext false")
st, data = search()
t.is_((len(data["records"]), data["hasNext"]), (10, True),
      "pageSize defaults to 10, hasNext true")
t.is_(ids(data), everything[:10], "newest first")
st, data = search(query="?page=25&pageSize=10")
t.is_((ids(data), data["hasNext"]), (everything[240:], False),
      "the last page holds the rest, hasNext false")
st, data = search(query="?page=24&pageSize=10")
t.is_(data["hasNext"], True, "the page before the last: hasNext true")
st, data = search(query="?page=26&pageSize=10")
t.is_((st, data), (200, {"hasNext": False, "records": []}),
      "past the end: an empty page")
for q in ("?pageSize=0", "?pageSize=1001", "?page=0", "?page=x",
          "?pageSize=-1", "?page=1.5", "?page=10002&pageSize=1",
          "?page=12&pageSize=1000"):
    st, data = search(query=q)
    t.is_(st, 400, "search%s: 400" % q)
st, data = search(query="?pageSize=1000&page=11")
t.is_((st, data["records"]), (200, []),
      "page 11 of 1000 starts 10,000 records in: the deepest allowed")
st, data = search(query="?pageSize=1000&page=1")
t.is_(len(data["records"]), 241, "pageSize 1000 is the maximum allowed")

# ---- search: keyset cursor ----
seen, cursor, pages = [], "", 0
while cursor is not None and pages < 30:
    st, data = search(query="?pageSize=25&cursor=" + cursor)
    seen += ids(data)
    cursor = data["cursor"]
    pages += 1
t.is_((seen, pages), (everything, 10),
      "the cursor walks every record once, in order, in 10 pages")
st, data = search(query="?pageSize=5&cursor=")
c = data["cursor"]
st2, d2 = search(query="?pageSize=5&cursor=" + c)
t.is_(ids(d2), everything[5:10], "a cursor continues after its page")
bad = [c[:-2] + ("00" if c[-2:] != "00" else "11"), c[:16] + ".3132",
       "0" + c[1:] if c[0] != "0" else "1" + c[1:], "zz", c + "0"]
for b in bad:
    st, data = search(query="?pageSize=5&cursor=" + b)
    t.is_((st, data.get("error")), (400, "'cursor' is invalid"),
          "a tampered cursor %s...: 400" % b[:12])
st, data = search(query="?page=2&cursor=")
t.is_(st, 400, "page and cursor together: 400")

# ---- search: filters ----
q = "SELECT count(*) FROM call_data cd JOIN attached_data a ON " \
    "a.id_call_data = cd.id AND a.key = 'recording' "


def count(where):
    return int(stats.sql(q + where).strip())


def check(body, where, name):
    st, data = search(body, "?pageSize=1000")
    t.is_((st, len(data["records"]) if st == 200 else data),
          (200, count(where)), name)
    return data


d = check({"agent": "2000"}, "WHERE cd.dst_agent = '2000'",
          "agent by number")
t.ok(all(r["agent"] == "Alice Agent (2000)" for r in d["records"]),
     "agent: every record is Alice's")
check({"agent": "lice ag"}, "WHERE cd.dst_agent = '2000'",
      "agent by part of the name, any case")
check({"agent": "%"}, "WHERE false", "agent: % is no wildcard")
check({"queue": "3100"}, "JOIN call_on_queue c ON c.callid = cd.uniqueid "
      "WHERE c.queue_ref = 'sales'", "queue by number")
check({"queue": "ale"}, "JOIN call_on_queue c ON c.callid = cd.uniqueid "
      "WHERE c.queue_ref = 'sales'", "queue by part of the name")
check({"start": "2026-01-09 00:00:00"},
      "WHERE cd.start_time >= '2026-01-09' OR cd.end_time >= '2026-01-09'",
      "start: calls starting or ending after it")
check({"end": "2026-01-05T00:00:00"}, "WHERE cd.start_time <= '2026-01-05'",
      "end (ISO 8601 T accepted)")
check({"start": "2026-01-06", "end": "2026-01-07"},
      "WHERE cd.start_time BETWEEN '2026-01-06' AND '2026-01-07'",
      "a date range (date only)")
check({"caller": "0600000003"}, "WHERE cd.src_num = '0600000003'",
      "caller, exact")
check({"caller": "06000000%"}, "WHERE cd.src_num LIKE '06000000%'",
      "caller with a % wildcard")
check({"callee": "31%"}, "WHERE cd.dst_num LIKE '31%'", "callee with %")
check({"callee": "3_00"}, "WHERE false", "callee: _ is no wildcard")
check({"direction": "incoming"}, "WHERE cd.call_direction = 'incoming'",
      "direction incoming")
check({"direction": "all"}, "", "direction all: no filter")
check({"queueCallStatus": "abandoned"},
      "JOIN call_on_queue c ON c.callid = cd.uniqueid "
      "WHERE c.status = 'abandoned'", "queueCallStatus")
check({"key": "color", "value": "red"},
      "JOIN attached_data x ON x.id_call_data = cd.id AND x.key = 'color' "
      "AND x.value = 'red'", "attached data key and value")
check({"agent": "2001", "direction": "outgoing", "caller": "0600000%"},
      "WHERE cd.dst_agent = '2001' AND cd.call_direction = 'outgoing'",
      "filters are ANDed")
for body, why in (({"direction": "sideways"}, "unknown direction"),
                  ({"queueCallStatus": "lost"}, "unknown queueCallStatus"),
                  ({"start": "yesterday"}, "a date that is not one"),
                  ({"start": "2026-13-45 99:99:99x"}, "a malformed date"),
                  ({"caller": "%123"}, "a leading wildcard"),
                  ({"callee": "_23"}, "a leading _"),
                  ({"key": "color"}, "key without value"),
                  ({"value": "red"}, "value without key"),
                  ({"caller": "06\r\n"}, "CR LF in a filter"),
                  ({"agent": "x" * 81}, "an agent too long")):
    st, data = search(body)
    t.is_(st, 400, "search refuses %s: 400 (%s)" % (why, data.get("error")))
st, _, data = post("/records/search", "{not json")
t.is_(st, 400, "malformed JSON: 400")

# ---- attached data ----
n0 = int(stats.sql("SELECT count(*) FROM attached_data").strip())
st, hdr, data = post("/call_data/761054/attached_data",
                     [{"key": "color", "value": "green"}])
t.is_((st, data), (200, None), "attached_data: 200, empty body")
st, _, data = post("/call_data/1471858488.233/attached_data",
                   [{"key": "color", "value": "green"}])
t.is_(st, 200, "the seed's example: a unique id on /attached_data")
st, _, data = post("/recording/call_data/1471858488.233/"
                   "attached_data_by_uniqueId",
                   [{"key": "a", "value": "1"}, {"key": "b", "value": ""}])
t.is_(st, 200, "attached_data_by_uniqueId with two pairs")
t.is_(stats.sql("SELECT key || '=' || value FROM attached_data WHERE "
                "id_call_data = 761200 ORDER BY id").split(),
      ["color=green", "a=1", "b="], "the pairs are stored, in order")
st, _, data = post("/call_data/999999/attached_data",
                   [{"key": "k", "value": "v"}])
t.is_(st, 404, "an unknown call-data id: 404")
st, _, data = post("/call_data/0000.1/attached_data_by_uniqueId",
                   [{"key": "k", "value": "v"}])
t.is_(st, 404, "an unknown unique id: 404")
n1 = int(stats.sql("SELECT count(*) FROM attached_data").strip())
for body, why in (([{"key": "ok", "value": "1"}, {"key": "x"}],
                   "an element without value"),
                  ([{"key": "ok", "value": "1"}, {"key": "x", "value": 2}],
                   "a number value"),
                  ([{"key": "ok", "value": "1"},
                    {"key": "", "value": "v"}], "an empty key"),
                  ([{"key": "ok", "value": "1"},
                    {"key": "k", "value": "v" * 1025}], "a value too long"),
                  ([{"key": "ok", "value": "1"},
                    {"key": "k\nX", "value": "v"}], "LF in a key"),
                  ({"key": "k", "value": "v"}, "an object, not an array"),
                  ([], "an empty array"), ("[", "malformed JSON")):
    st, _, data = post("/call_data/761054/attached_data", body)
    t.is_(st, 400, "attached_data refuses %s: 400" % why)
t.is_(int(stats.sql("SELECT count(*) FROM attached_data").strip()), n1,
      "a refused body attached nothing, not even its good elements")
t.is_(n1, n0 + 4, "only the accepted posts attached data")
st, data = search({"key": "color", "value": "green"}, "?pageSize=1000")
t.ok("xivocc_gateway-1459435465.15089" in ids(data),
     "an attached pair is searchable at once")

# ---- history ----
st, _, data = post("/history?size=1000", {"interface": "SIP/az9kf7"})
statuses = sorted(set(h["status"] for h in data))
t.is_(statuses, ["abandoned", "answered", "emitted", "missed",
                 "ongoing"],
      "history statuses: emitted, answered, missed, ongoing, a queue's own")
t.is_(len(data), 1 + int(stats.sql(
    "SELECT count(*) FROM call_element WHERE interface = 'SIP/az9kf7'")),
    "every call of the interface")
st, _, data = post("/history?size=3", {"interface": "SIP/az9kf7"})
t.is_(len(data), 3, "size bounds the history")
st, _, data = post("/history", {"interface": "SIP/nobody"})
t.is_((st, data), (200, []), "an interface with no calls: []")
for q, body in (("?size=0", {"interface": "SIP/x"}),
                ("?size=1001", {"interface": "SIP/x"}), ("", {}),
                ("", {"interface": "SIP/x\r\nAction: x"})):
    st, _, data = post("/history" + q, body)
    t.is_(st, 400, "history%s %s: 400" % (q, json.dumps(body)[:30]))
st, _, data = post("/history", {"interface": "SIP/jd42xx"})
t.ok(st == 200 and all(h["status"] == "emitted" for h in data) and data,
     "the calls an interface made are emitted")

# ---- last_agent ----
st, _, data = web.json("/last_agent?callerNo=0600000004&since=36500", R.H)
t.is_((st, data), (200, {"agentNumber": "2000"}),
      "last_agent over a long history")
st, _, data = web.json("/last_agent?callerNo=1002&since=0", R.H)
t.is_((st, data), (404, {"agentNumber": None}),
      "not within since days: 404 {agentNumber: null}")
st, _, data = web.json("/last_agent?callerNo=nobody", R.H)
t.is_((st, data), (404, {"agentNumber": None}), "unknown caller: 404")
for q in ("", "?callerNo=1002&since=-1", "?callerNo=1002&since=x"):
    st, _, data = web.json("/last_agent" + q, R.H)
    t.is_(st, 400, "last_agent%s: 400" % q)


# ---- faults ----
class Stall:
    """Accepts and never answers (a stalled database)."""

    def __init__(self):
        self.s = socket.socket()
        self.s.bind(("127.0.0.1", 0))
        self.s.listen(16)
        self.port = self.s.getsockname()[1]
        self.held = []
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            c, _ = self.s.accept()
            self.held.append(c)


stall = Stall()
down = T.closed_port()
for what, host, port in (("down", "127.0.0.1", down),
                         ("stalled", "127.0.0.1", stall.port)):
    bad = dict(env, RECORDING_DB_HOST=host, RECORDING_DB_PORT=str(port))
    p2 = T.Pool(env=bad, settings={"backend_timeout": "1s"})
    w2 = T.Nginx(p2)
    before = sorted(p2.workers())
    t0 = time.time()
    st, _, data = w2.json("/records/search", R.JH, method="POST", body="{}")
    took = time.time() - t0
    t.is_((st, sorted(data)), (503, ["error"]),
          "database %s: 503 JSON (%s)" % (what, data.get("error")))
    t.ok(took < 3, "database %s: answered within the deadline (%.1fs)" %
         (what, took))
    t.is_(sorted(p2.workers()), before, "database %s: workers live" % what)
    w2.stop()
    p2.stop()
t.done()
