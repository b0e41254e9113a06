"""The recording server dialect (docs/recordings.md): `records/search`,
10 of 1,000,000 recorded calls with their attached data, by a busy
agent and by a one-day date range, against PostgreSQL alone running the
same statements on as many connections (pgbench); one at a time, also
an agent with few calls and one that names no agent; and a 10 MB recording
downloaded with `Range` (a browser's seek) through nginx's
X-Accel-Redirect and streamed by pbxapi itself, against nginx serving
the same file with the same Range from a plain location.
Self-contained: it starts its PostgreSQL, pool and nginx
(tests/lib/pbxtest.py, tests/lib/recordings.py)."""
import json
import os
import platform
import re
import time

import lib
from lib import T
import recordings as R

WORKERS = 16
CONNS = 16  # wrk's and pgbench's connections (the figure)
CALLS = int(os.environ.get("BENCH_REC_CALLS", "1000000"))
PAGE = 10
SEARCHES = (
    ("agent", {"agent": "2042"}),
    ("date range", {"start": "2024-03-01 00:00:00",
                    "end": "2024-03-02 00:00:00"}),
)
# One at a time only: the agent search's other two paths (xivo.c,
# agents()): an agent with few calls (searched from their ids) and a
# value naming no agent (an empty answer, no search); the records each
# answers.
ONE_AT_A_TIME = (
    ("agent, few calls", {"agent": "2200"}, PAGE),
    ("agent, none", {"agent": "2100"}, 0),
)
FEW = 300          # agent 2200's calls
TARGET = 0.5       # search requests/s at least 0.5x PostgreSQL alone's
TARGET_P99 = 20.0  # ms, search at 16 connections

# 100 agents (2000..2099), 10 queues; a call every 30 s from 2024-01-01,
# every one recorded, every other one through a queue (answered by the
# call's agent), every other one with a `color` pair.  Agent 2042
# answers 1 call in 100; a day holds 2880 calls.  Then agent 2200 and
# its FEW calls (ids after n), spread over the whole period 15 s off the
# others' times, alike (recorded, every other one through a queue and
# every other one with a `color` pair), the calls above unchanged.
GENERATE = """
INSERT INTO agentfeatures (firstname, lastname, number)
SELECT 'Agent', 'Number ' || a, (2000 + a)::text FROM generate_series(0, 99) a;
INSERT INTO queuefeatures (name, displayname, number)
SELECT 'queue' || q, 'Queue ' || q, (3000 + q)::text
FROM generate_series(0, 9) q;
INSERT INTO call_data (id, uniqueid, src_num, dst_num, start_time,
    answer_time, end_time, call_direction, dst_agent)
SELECT g, '1700000000.' || g, '06' || lpad((g %% 100000)::text, 8, '0'),
       (3000 + g %% 10)::text,
       timestamp '2024-01-01' + g * interval '30 seconds',
       timestamp '2024-01-01' + g * interval '30 seconds' +
           interval '5 seconds',
       timestamp '2024-01-01' + g * interval '30 seconds' +
           interval '65 seconds',
       (ARRAY['incoming','outgoing','internal'])[1 + g %% 3]
           ::call_direction_type,
       (2000 + g %% 100)::text
FROM generate_series(1, %(n)d) g;
INSERT INTO attached_data (id_call_data, key, value)
SELECT g, 'recording', 'gw-1700000000.' || g FROM generate_series(1, %(n)d) g;
INSERT INTO attached_data (id_call_data, key, value)
SELECT g, 'color', (ARRAY['green','red','blue'])[1 + g %% 3]
FROM generate_series(1, %(n)d, 2) g;
INSERT INTO call_on_queue (callid, queue_time, answer_time, status,
    queue_ref, agent_num)
SELECT '1700000000.' || g, timestamp '2024-01-01' + g * interval '30 seconds',
       timestamp '2024-01-01' + g * interval '30 seconds' +
           interval '5 seconds',
       'answered', 'queue' || (g %% 10), (2000 + g %% 100)::text
FROM generate_series(1, %(n)d, 2) g;
INSERT INTO agentfeatures (firstname, lastname, number)
VALUES ('Agent', 'Few Calls', '2200');
INSERT INTO call_data (id, uniqueid, src_num, dst_num, start_time,
    answer_time, end_time, call_direction, dst_agent)
SELECT %(n)d + k, '1700000000.' || (%(n)d + k),
       '07' || lpad(k::text, 8, '0'), (3000 + k %% 10)::text,
       timestamp '2024-01-01' + (k * (%(n)d / %(few)d) * 30 + 15) *
           interval '1 second',
       timestamp '2024-01-01' + (k * (%(n)d / %(few)d) * 30 + 20) *
           interval '1 second',
       timestamp '2024-01-01' + (k * (%(n)d / %(few)d) * 30 + 80) *
           interval '1 second',
       'incoming', '2200'
FROM generate_series(1, %(few)d) k;
INSERT INTO attached_data (id_call_data, key, value)
SELECT %(n)d + k, 'recording', 'gw-1700000000.' || (%(n)d + k)
FROM generate_series(1, %(few)d) k;
INSERT INTO attached_data (id_call_data, key, value)
SELECT %(n)d + k, 'color', (ARRAY['green','red','blue'])[1 + k %% 3]
FROM generate_series(1, %(few)d, 2) k;
INSERT INTO call_on_queue (callid, queue_time, answer_time, status,
    queue_ref, agent_num)
SELECT '1700000000.' || (%(n)d + k),
       timestamp '2024-01-01' + (k * (%(n)d / %(few)d) * 30 + 15) *
           interval '1 second',
       timestamp '2024-01-01' + (k * (%(n)d / %(few)d) * 30 + 20) *
           interval '1 second',
       'answered', 'queue' || (k %% 10), '2200'
FROM generate_series(1, %(few)d, 2) k;
SELECT setval('call_data_id_seq', %(n)d + %(few)d + 1);
ANALYZE;
"""


class Calls:
    """A xivo_stats database built from the product's
    sql/pgsql/xivo_stats/ files (indexes included) and filled by
    GENERATE (none of the test seed's rows)."""

    def __init__(self, pg, n):
        self.pg = pg
        self.name = pg.createdb("xivo_stats")
        for f in R.product_sql():
            pg.psql(T.read(f), db=self.name)
        t0 = time.time()
        pg.psql(GENERATE % {"n": n, "few": FEW}, db=self.name)
        self.load_s = time.time() - t0

    def sql(self, text, check=True):
        return self.pg.psql(text, db=self.name, check=check)


class Client(T.Web):
    def __init__(self, port):
        self.port = port


def search(client, body, token=R.TOKEN):
    st, _, data = client.request(
        "POST", "/records/search?pageSize=%d" % PAGE,
        {"X-Auth-Token": token, "Content-Type": "application/json"},
        json.dumps(body))
    return st, data


def lua(path, body, token):
    T.write(path, 'wrk.method = "POST"\nwrk.body = [==[%s]==]\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            'wrk.headers["X-Auth-Token"] = [==[%s]==]\n' %
            (json.dumps(body), token))


# ---- what PostgreSQL is asked to run ----

def _params(detail):
    """{n: value} from a DETAIL line's `$1 = '...', $2 = NULL`."""
    out = {}
    for m in re.finditer(r"\$(\d+) = (?:'((?:[^']|'')*)'|NULL)",
                         detail or ""):
        v = m.group(2)
        out[int(m.group(1))] = None if v is None else v.replace("''", "'")
    return out


def statement_log(db, fn):
    """The statements PostgreSQL received while fn() ran, from its log
    (log_statement = all), but for this function's own: [(name, text,
    {n: value})], the name "(simple)" for the simple protocol's; None on
    a shared server."""
    if not db.pg.owned:
        return None
    path = os.path.join(db.pg.dir, "pg.log")
    db.sql("ALTER SYSTEM SET log_statement = 'all';\n"
           "SELECT pg_reload_conf();")
    time.sleep(0.5)
    mark = os.path.getsize(path)
    try:
        fn()
    finally:
        db.sql("ALTER SYSTEM RESET log_statement;\n"
               "SELECT pg_reload_conf();")
    with open(path, errors="replace") as f:
        f.seek(mark)
        log = f.read()
    out = []
    for m in re.finditer(r"LOG:\s+(?:statement|execute ([^:]+)): (.*)\n"
                         r"(?:.*DETAIL:\s+parameters: (.*)\n)?", log):
        if not re.match(r"ALTER SYSTEM |SELECT pg_reload_conf", m.group(2)):
            out.append((m.group(1) or "(simple)", m.group(2),
                        _params(m.group(3))))
    return out


def pgbench_text(sql, var):
    """The statement as a pgbench script line: $n becomes :<var>n, and
    every string constant holding a colon is spelled as an escape string
    with \\x3a (pgbench would read `:MI` of 'HH24:MI:SS' as a variable)."""
    def lit(m):
        s = m.group(1)
        if ":" not in s:
            return m.group(0)
        if "\\" in s:
            raise RuntimeError("a constant with a backslash: %r" % s)
        return "E'%s'" % s.replace(":", "\\x3a")
    out = re.sub(r"(?<![A-Za-z0-9_])'((?:[^']|'')*)'", lit, sql)
    return re.sub(r"\$(\d+)\b", lambda m: ":%s%s" % (var, m.group(1)), out)


def unspell(sql):
    """pgbench_text's constants back as pbxapi spells them."""
    return re.sub(r"E'((?:[^'\\]|''|\\x3a)*)'",
                  lambda m: "'%s'" % m.group(1).replace("\\x3a", ":"), sql)


# The prepared statements that resolve an agent or queue filter before
# the search (xivo.c, names() and agents()), and the search's own name
# in the statement log (sent unprepared).
LOOKUPS = ("rec_agents", "rec_queues", "rec_agent_calls")
SEARCH = "<unnamed>"


def capture(db, client, body, empty=False):
    """pbxapi's statements for one search: [(name, text, values)] in the
    order sent: any of LOOKUPS (each at most once), then the search
    (unnamed) and rec_attached, and nothing else; with empty (a filter
    naming no agent or queue), lookups only."""
    got = statement_log(db, lambda: search(client, body))
    if got is None:
        return None
    names = [g[0] for g in got]
    k = len(names) - (0 if empty else 2)
    head, tail = names[:max(k, 0)], names[max(k, 0):]
    if k < (1 if empty else 0) or len(set(head)) != len(head) or \
            any(x not in LOOKUPS for x in head) or \
            tail != ([] if empty else [SEARCH, "rec_attached"]):
        raise RuntimeError("pbxapi ran %r for %r" % (names, body))
    return got


def named(stmts, name):
    """The index of the statement `name` (SEARCH: the search)."""
    for i, s in enumerate(stmts):
        if s[0] == name:
            return i
    raise RuntimeError("no statement %s in %r" % (
        name, [s[0] for s in stmts]))


def script_for(d, name, stmts):
    """A pgbench script with all of pbxapi's statements for the search,
    in its order, and the -D arguments binding pbxapi's values to them."""
    lines, defs = [], []
    for i, (_, text, vals) in enumerate(stmts):
        var = "s%d_" % i
        lines.append(pgbench_text(text, var) + ";")
        for n, v in sorted(vals.items()):
            if v is None:
                raise RuntimeError("a NULL parameter: %r" % text)
            defs.append("%s%d=%s" % (var, n, v))
    path = os.path.join(d, name.replace(" ", "-") + ".sql")
    T.write(path, "\n".join(lines) + "\n")
    return path, defs


def pgbench(db, d, script, defs, conns, seconds=None, transactions=None):
    prefix = os.path.join(d, "pgbench")
    argv = ["pgbench", "-n", "-f", script, "-c", str(conns), "-j",
            str(min(2, conns)), "-M", "extended"]
    if transactions:
        argv += ["-t", str(transactions)]
    else:
        argv += ["-T", str(seconds or lib.DURATION), "-l", "--log-prefix",
                 prefix]
    for x in defs:
        argv += ["-D", x]
    argv += ["-h", db.pg.host, "-p", str(db.pg.port), "-U", "test",
             db.name]
    return lib.pgbench(argv, d, prefix)


def numbered(text, vals):
    """The statement as pgbench sends it: pgbench numbers each
    occurrence of a variable as a parameter of its own, so a $n used
    twice (rec_agent_calls' $1) becomes two parameters with one value."""
    out, k = {}, [0]

    def one(m):
        k[0] += 1
        out[k[0]] = vals[int(m.group(1))]
        return "$%d" % k[0]
    return re.sub(r"\$(\d+)\b", one, text), out


def check_same(db, d, script, defs, ours):
    """Runs the script once under the statement log: what PostgreSQL
    received from pgbench must be what it received from pbxapi (text,
    with the constants spelled back and a repeated $n numbered per
    occurrence, and values), statement by statement in order."""
    theirs = statement_log(
        db, lambda: pgbench(db, d, script, defs, 1, transactions=1))
    if theirs is None:
        return False
    a = [numbered(t, v) for _, t, v in ours]
    b = [(unspell(t).rstrip(";"), v) for _, t, v in theirs]
    if a != b:
        raise RuntimeError("pgbench ran %r, pbxapi %r" % (b, a))
    return True


def sequential_ms(client, body, n=200, token=R.TOKEN):
    """Median and mean latency of n searches one after the other."""
    t = []
    for _ in range(n):
        t0 = time.time()
        search(client, body, token)
        t.append((time.time() - t0) * 1000.0)
    t.sort()
    return t[len(t) // 2], sum(t) / len(t)


def inline(text, vals):
    """The statement with its values written in as untyped literals (as
    a bound value of unknown type, planned with it)."""
    return re.sub(r"\$(\d+)\b", lambda m: "'%s'" % vals[
        int(m.group(1))].replace("'", "''"), text)


def _median_times(out):
    """[planning, execution] ms: the medians of EXPLAIN ANALYZE output."""
    t = []
    for what in ("Planning Time", "Execution Time"):
        v = sorted(float(x.split()[2]) for x in out.splitlines()
                   if x.startswith(what))
        t.append(v[len(v) // 2] if v else 0.0)
    return t


def explain(db, stmts):
    """EXPLAIN ANALYZE of each statement with its values, and the
    median planning and execution times of 5 more runs of each (ms);
    for a statement pbxapi prepares (named), also as prepared in one
    session after 5 runs with those values (PostgreSQL's plan cache may
    then use its generic plan, as a pbxapi connection's from its sixth
    run): [plan, [planning, execution], generic plan or None (the
    prepared plan when it is the generic one), its [planning,
    execution]]."""
    out = []
    for name, text, vals in stmts:
        q = inline(text, vals)
        plan = db.sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) %s;" %
                      q).rstrip()
        times = _median_times(db.sql("EXPLAIN (ANALYZE, TIMING OFF) "
                                     "%s;" % q * 5))
        gplan, gtimes = None, None
        if name != SEARCH:
            args = ", ".join("'%s'" % vals[n].replace("'", "''")
                             for n in sorted(vals))
            ex = "EXECUTE bench_p(%s);\n" % args
            res = db.sql("PREPARE bench_p AS %s;\n\\o /dev/null\n%s\\o\n"
                         "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) %s"
                         "%s" % (text, ex * 5, ex,
                                 ("EXPLAIN (ANALYZE, TIMING OFF) " + ex) * 5))
            # The first EXPLAIN's lines, up to its Execution Time.
            lines = res.splitlines()
            first = []
            for x in lines:
                first.append(x)
                if x.startswith("Execution Time"):
                    break
            p = "\n".join(first)
            if re.search(r"\$\d", p):
                gplan = p
                gtimes = _median_times("\n".join(lines[len(first):]))
        out.append([plan, times, gplan, gtimes])
    return out


def server_times(db, client, body, n=20):
    """What PostgreSQL's log says of pbxapi's own runs of its statements
    for n searches one after the other (log_min_duration_statement = 0):
    {name: [median bind ms (planning, or taking the cached plan),
    median execute ms]}, None on a shared server."""
    if not db.pg.owned:
        return None
    path = os.path.join(db.pg.dir, "pg.log")
    db.sql("ALTER SYSTEM SET log_min_duration_statement = 0;\n"
           "SELECT pg_reload_conf();")
    time.sleep(0.5)
    mark = os.path.getsize(path)
    try:
        for _ in range(n):
            search(client, body)
    finally:
        db.sql("ALTER SYSTEM RESET log_min_duration_statement;\n"
               "SELECT pg_reload_conf();")
    with open(path, errors="replace") as f:
        f.seek(mark)
        log = f.read()
    got = {}
    for m in re.finditer(r"duration: ([\d.]+) ms\s+(bind|execute) "
                         r"([^:]+): ", log):
        got.setdefault(m.group(3), {}).setdefault(m.group(2), []).append(
            float(m.group(1)))
    out = {}
    for name, d in got.items():
        out[name] = [sorted(v)[len(v) // 2] if v else 0.0
                     for v in (d.get("bind", []), d.get("execute", []))]
    return out


# ---- the audio ----

RANGE_FROM = 1048576  # a browser's seek: `Range: bytes=1048576-`
AUDIO_CONNS = 16      # 9 MB answers: wrk's 2 s timeout at 64 connections
STREAM_TOKEN = "bench-rec-stream-tenant-0123456789abcdef"


def audio_file(d, rid):
    """<rid>.wav: about 10 MB of a tone, recordings.wav()'s bytes."""
    path = os.path.join(d, rid + ".wav")
    R.wav(path, seconds=655.36)  # 8 kHz, 16 bits: 10,485,804 bytes
    with open(path, "rb") as f:
        return f.read()


def check_range(client, path, headers, data, what):
    h = dict(headers, Range="bytes=%d-" % RANGE_FROM)
    st, hdr, body = client.request("GET", path, h)
    want = "bytes %d-%d/%d" % (RANGE_FROM, len(data) - 1, len(data))
    if st != 206 or hdr.get("content-range") != want or \
            body != data[RANGE_FROM:]:
        raise RuntimeError("%s: %d %r, %d bytes (want 206 %r, %d bytes)" %
                           (what, st, hdr.get("content-range"), len(body),
                            want, len(data) - RANGE_FROM))
    return hdr


# ---- the run ----

def interleaved(fns):
    """{name: the median by throughput of lib.ROUNDS runs of fn()}, the
    runs of the different fns taking turns, so that other work on the
    machine weighs on them alike."""
    runs = {k: [] for k in fns}
    for _ in range(lib.ROUNDS):
        for k, fn in fns.items():
            runs[k].append(fn())
    return {k: sorted(v, key=lambda r: r["rps"])[len(v) // 2]
            for k, v in runs.items()}


def setup(d):
    pg = T.Postgres()
    if not pg.owned:
        raise RuntimeError("records needs a PostgreSQL of its own: the "
                           "ceiling's statements come from its log")
    db = Calls(pg, CALLS)
    audio = T.tmpdir("pbxapi-bench-rec-audio-")
    os.chmod(audio, 0o755)
    rid = "gw-1700000000.%d" % (CALLS // 2)
    data = audio_file(audio, rid)
    env = R.tenant_env(db, audio,
                       RECORDING_AUDIO_ACCEL="/_pbxapi_recording_audio/")
    # The same database and files; no accelerator: pbxapi streams.
    stream = ("[tenant stream]\nPLAY_AUTH_TOKEN = %s\n"
              "RECORDING_DB_HOST = %s\nRECORDING_DB_PORT = %d\n"
              "RECORDING_DB_NAME = %s\nRECORDING_DB_USER = test\n"
              "RECORDING_AUDIO_DIR = %s\n" %
              (STREAM_TOKEN, pg.host, pg.port, db.name, audio))
    pool = T.Pool(settings={"pm": "static",
                            "pm.max_children": str(WORKERS),
                            "log_level": "warning", "access_log": "off"},
                  env=env, extra=stream)
    # The shipped snippet, its recording audio alias pointed at this
    # directory (as deployed: internal, disable_symlinks).
    text = T.read(os.path.join(T.ROOT, "deploy", "nginx", "pbxapi.conf"))
    text = text.replace("/etc/pbxapi/nginx/", os.path.join(
        T.ROOT, "deploy", "nginx") + "/").replace(
        "/var/spool/recording-server", audio)
    snip = os.path.join(d, "snippet.conf")
    T.write(snip, text)
    web = T.Nginx(pool, snippet=False, locations="""
        set $pbxapi_tenant "";
        include %s;
        location /static/ { alias %s/; }""" % (snip, audio))
    return db, pool, web, rid, data


def run():
    load = [os.getloadavg()[0]]
    d = T.tmpdir("pbxapi-bench-rec-")
    db, pool, web, rid, data = setup(d)
    base = "http://127.0.0.1:%d" % web.port
    client = Client(web.port)
    url = base + "/records/search?pageSize=%d" % PAGE

    res = {}
    for name, body in SEARCHES:
        st, answer = search(client, body)
        n = len(json.loads(answer)["records"]) if st == 200 else -1
        if st != 200 or n != PAGE:
            raise RuntimeError("%s: %d, %d records" % (name, st, n))
        stmts = capture(db, client, body)
        script, defs = script_for(d, name, stmts)
        check_same(db, d, script, defs, stmts)
        ok_lua = os.path.join(d, name.replace(" ", "-") + ".lua")
        lua(ok_lua, body, R.TOKEN)
        lib.wrk(url, script=ok_lua, connections=CONNS, duration=1)
        pgbench(db, d, script, defs, CONNS, seconds=1)
        m = interleaved({
            "ours": lambda: lib.wrk(url, script=ok_lua, connections=CONNS),
            "pg": lambda: pgbench(db, d, script, defs, CONNS)})
        ours, alone = m["ours"], m["pg"]
        seq = sequential_ms(client, body)
        res[name] = {"body": body, "bytes": len(answer), "stmts": stmts,
                     "script": script, "defs": defs, "ours": ours,
                     "pg": alone, "seq": seq, "records": n,
                     "server": server_times(db, client, body),
                     "ex": explain(db, stmts)}
    for name, body, want in ONE_AT_A_TIME:
        st, answer = search(client, body)
        n = len(json.loads(answer)["records"]) if st == 200 else -1
        if st != 200 or n != want:
            raise RuntimeError("%s: %d, %d records (want %d)" %
                               (name, st, n, want))
        stmts = capture(db, client, body, empty=want == 0)
        seq = sequential_ms(client, body)
        res[name] = {"body": body, "bytes": len(answer), "stmts": stmts,
                     "seq": seq, "records": n,
                     "server": server_times(db, client, body),
                     "ex": explain(db, stmts)}
    bad_lua = os.path.join(d, "401.lua")
    lua(bad_lua, SEARCHES[0][1], "not-the-token")
    reject = lib.best_of(lambda: lib.wrk(url, script=bad_lua,
                                         connections=CONNS))
    seq401 = sequential_ms(client, SEARCHES[0][1], token="not-the-token")

    # The audio: nginx static, X-Accel-Redirect, pbxapi streaming.
    dl = "/records/%s/audio/download" % rid
    rng = {"Range": "bytes=%d-" % RANGE_FROM}
    accel_h = dict(rng, **{"X-Auth-Token": R.TOKEN})
    stream_h = dict(rng, **{"X-Auth-Token": STREAM_TOKEN})
    mark = len(T.read(web.error_log))
    check_range(client, "/static/%s.wav" % rid, {}, data, "static")
    check_range(client, dl, {"X-Auth-Token": R.TOKEN}, data,
                "X-Accel-Redirect")
    check_range(client, dl, {"X-Auth-Token": STREAM_TOKEN}, data,
                "pbxapi streaming")
    modes = (("static", base + "/static/%s.wav" % rid, rng),
             ("accel", base + dl, accel_h), ("stream", base + dl, stream_h))
    checked = T.read(web.error_log)[mark:].count(
        "buffered to a temporary file")
    for _, u, h in modes:
        lib.wrk(u, h, connections=AUDIO_CONNS, duration=1)
    mark = len(T.read(web.error_log))
    audio = interleaved({key: lambda u=u, h=h: lib.wrk(
        u, h, connections=AUDIO_CONNS) for key, u, h in modes})
    spilled = T.read(web.error_log)[mark:].count(
        "buffered to a temporary file")
    audio["rid"] = rid
    rss = max(lib.rss_kb(p) for p in pool.workers())
    nocall = no_call(db, res["agent"]["stmts"], SEARCHES[0][1]["agent"],
                     ONE_AT_A_TIME[1][1]["agent"])
    load.append(os.getloadavg()[0])
    audio["spilled"] = spilled
    audio["spilled_check"] = checked
    return report(db, res, reject, seq401, audio, data, rss, nocall, load)


def _met(ok):
    return "met" if ok else "not met"


def _walked(plan):
    """Rows of call_data a statement read (its EXPLAIN ANALYZE): what
    each scan of call_data returned and removed by its filter, times its
    loops (a scan never executed read none)."""
    lines = plan.splitlines()
    total = 0.0
    for i, line in enumerate(lines):
        m = re.search(r"Scan(?: Backward)?(?: using \S+)? on call_data\b"
                      r"(?: \w+)? \(actual [^)]*?rows=([\d.]+) "
                      r"loops=(\d+)\)", line)
        if not m:
            continue
        rows = float(m.group(1))
        for x in lines[i + 1:]:
            if "->" in x:
                break
            f = re.search(r"Rows Removed by Filter: ([\d.]+)", x)
            if f:
                rows += float(f.group(1))
        total += rows * int(m.group(2))
    return int(round(total))


def _where(text):
    m = re.search(r" (WHERE true AND \(.*\)) ORDER BY cd\.start_time DESC",
                  text)
    return m.group(1) if m else "?"


def _argv(r):
    """pgbench's command line as the report shows it."""
    out, skip = [], False
    for i, a in enumerate(r["argv"]):
        if skip:
            skip = False
            continue
        if a in ("-h", "-p", "-U", "--log-prefix"):
            skip = True
            continue
        if a == "-f":
            out.append("-f " + os.path.basename(r["argv"][i + 1]))
            skip = True
            continue
        if a == "-D":
            v = r["argv"][i + 1]
            out.append("-D " + ("'%s'" % v if re.search(r"[ {}]", v)
                                else v))
            skip = True
            continue
        out.append(a)
    return " ".join(out[:-1])


def _ex(x, name):
    """[plan, [planning, execution], generic plan, its times] of the
    statement `name` of search x, or None if pbxapi did not send it."""
    for i, st in enumerate(x["stmts"]):
        if st[0] == name:
            return x["ex"][i]
    return None


def _srv(x, name):
    """[bind, execute] ms of pbxapi's own runs of `name` (server log)."""
    return (x.get("server") or {}).get(name)


def _pg_ms(x, name):
    """PostgreSQL's time for `name` in pbxapi's runs (bind + execute,
    from its log), else with its values (planning + execution)."""
    s = _srv(x, name)
    if s:
        return s[0] + s[1]
    e = _ex(x, name)
    return e[1][0] + e[1][1] if e else 0.0


def _label(name, x):
    a = x["body"].get("agent")
    return "agent %s" % a if a else name


def _generic_reads_more(x, name):
    e = _ex(x, name)
    return bool(e and e[2] and _walked(e[2]) > _walked(e[0]))


def why(res, need, nocall, seq401):
    """The paragraphs on the targets and on the agent search's paths."""
    ag, dr = res["agent"], res["date range"]
    few, none = res["agent, few calls"], res["agent, none"]
    out = ("With %d requests always in flight, a request's mean latency "
           "is %d / (requests per second) (Little's law) and p99 lies "
           "above the mean: p99 <= %.0f ms needs more than %.0f "
           "requests/s of a search, whoever serves it." %
           (CONNS, CONNS, TARGET_P99, need))
    for name, x in (("agent 2042", ag), ("date range", dr)):
        o, p = x["ours"], x["pg"]
        ratio = o["rps"] / max(p["rps"], 1e-9)
        out += ("  The %s search reaches %.2fx PostgreSQL alone's "
                "requests/s (target %s) with a p99 of %.1f ms (target "
                "%s); PostgreSQL alone, with both CPUs to itself, "
                "serves %.0f requests/s with a p99 of %.1f ms, about "
                "%.1f ms of CPU per search." % (
                    name, ratio, _met(ratio >= TARGET), o["p99_ms"],
                    _met(o["p99_ms"] <= TARGET_P99), p["rps"],
                    p["p99_ms"], os.cpu_count() * 1000.0 /
                    max(p["rps"], 1e-9)))

    # The busy agent: the look-ups, then the walk.
    rac = _ex(ag, "rec_agent_calls")
    sea = _ex(ag, SEARCH)
    lookups = _pg_ms(ag, "rec_agents") + _pg_ms(ag, "rec_agent_calls")
    out += ("\n\nThe agent search by its three paths, one at a time "
            "(tables above).  Agent 2042 answered %d calls (1 in 100): "
            "`rec_agents` resolves `2042` to `{2042}` and "
            "`rec_agent_calls` stops at 1,001 of its calls (%d rows of "
            "`call_data` read), more than 1,000, so the search walks the "
            "`start_time` index newest first, looks up each call's "
            "recording and queue passage and keeps the calls whose "
            "answering agent, `COALESCE(coq.agent_num, cd.dst_agent)` (a "
            "value the lateral join computes per call, so no index "
            "selects them), is one of the agents: %d calls read for the "
            "11 rows of a page, %.2f ms of execution against %.2f ms for "
            "the date range.  The two look-ups add %.2f ms of "
            "PostgreSQL's time to the search's %.2f ms (pbxapi's own "
            "runs, bind + execute, from PostgreSQL's log); through "
            "pbxapi the whole request takes %.1f ms (median)." % (
                CALLS // 100, _walked(rac[0]), _walked(sea[0]),
                sea[1][1], _ex(dr, SEARCH)[1][1], lookups,
                _pg_ms(ag, SEARCH), ag["seq"][0]))

    # An agent with few calls: the search from their ids.
    rac = _ex(few, "rec_agent_calls")
    sea = _ex(few, SEARCH)
    _, text, vals = few["stmts"][named(few["stmts"], SEARCH)]
    m = re.search(r"cd\.id = ANY\(\$(\d+)::int\[\]\)", text)
    nids = len(vals[int(m.group(1))].strip("{}").split(",")) if m else 0
    out += ("  Agent 2200 answered %d calls spread over the whole period, "
            "%d of them through a queue: `rec_agent_calls` returns %d ids "
            "(a call through a queue counts twice, its `dst_agent` and "
            "its queue passage's `agent_num` both naming the agent), at "
            "most 1,000, so the search reads those calls by id and sorts "
            "them: %d rows of `call_data` read, %.2f ms of execution." % (
                FEW, FEW // 2, nids, _walked(sea[0]), sea[1][1]))
    if _generic_reads_more(few, "rec_agent_calls"):
        srv = _srv(few, "rec_agent_calls")
        out += ("  Through pbxapi the request takes %.1f ms (median), "
                "though its statements, planned with their values, take "
                "%.2f ms in all: pbxapi prepares `rec_agent_calls` once "
                "per connection, and from a connection's sixth run "
                "PostgreSQL's plan cache uses its generic plan, made "
                "without the agents' numbers, which for the calls "
                "through a queue hashes the agent's queue passages and "
                "joins them to a sequential scan of `call_data`: %d rows "
                "read and %.1f ms of execution (`EXPLAIN ANALYZE` of the "
                "statement prepared and run five times with these "
                "values, plan below), against %d rows and %.2f ms "
                "planned with the values%s.  The scan grows with the "
                "table, not with the agent's calls%s" % (
                    few["seq"][0],
                    sum(e[1][0] + e[1][1] for e in few["ex"]),
                    _walked(rac[2]), rac[3][1], _walked(rac[0]),
                    rac[1][1],
                    "; PostgreSQL's log of pbxapi's own runs has it "
                    "executing in %.1f ms (median)" % srv[1] if srv
                    else "",
                    "; agent 2042's `rec_agent_calls` escapes it only "
                    "because it reaches 1,001 calls from `dst_agent` "
                    "before the join (its generic plan reads the same "
                    "rows as with its values)." if not _generic_reads_more(
                        ag, "rec_agent_calls") else
                    "; agent 2042's generic plan reads more rows too "
                    "(table above)."))
    else:
        out += ("  Through pbxapi the request takes %.1f ms (median)." %
                few["seq"][0])

    # No such agent: an empty answer at once.
    ra = _ex(none, "rec_agents")
    slow = not nocall[1] or nocall[1] > 5000
    out += ("\n\nA value that names no agent no longer reads the whole "
            "table: `{\"agent\": \"2100\"}` (no such agent) costs one "
            "statement, `rec_agents`, which finds none (%.2f ms of "
            "execution, no call read), and pbxapi answers an empty page "
            "at once: %.2f ms through pbxapi (median; its 401 of the same "
            "request takes %.2f ms).  The search statement itself, sent "
            "for `{2100}` without the look-ups (agent 2042's search with "
            "`{2100}` for `{2042}`, as pbxapi searched before it resolved "
            "names first), reads all %d calls: %s (`EXPLAIN ANALYZE`, "
            "once)%s.  Not generated here, so not measured: an agent "
            "with more than 1,000 calls none of which is recent is still "
            "walked through most of the table, the walk's length "
            "depending on how recent the agent's calls are, not on how "
            "many." % (
                ra[1][1], none["seq"][0], seq401[0], nocall[0],
                "%.0f ms" % nocall[1] if nocall[1] else "over the 30 s "
                "statement timeout",
                ", more than pbxapi's `backend_timeout` (default 5 s), "
                "which answered such a search 503" if slow else ""))
    return out


def audio_why(audio, reject):
    st, ac, sm = audio["static"], audio["accel"], audio["stream"]
    ratio = ac["rps"] / max(st["rps"], 1e-9)
    out = ("Target: X-Accel-Redirect at >= 0.9x static: %s (%.2fx).  "
           "With X-Accel-Redirect a worker answers a few hundred bytes "
           "and nginx sends the file with sendfile as it does for the "
           "static location; what is added is a FastCGI exchange per "
           "request (pbxapi's 401 above: %.0f per second at %d "
           "connections) and `disable_symlinks`' opening of each "
           "component of the path.  Streaming itself, a worker reads the "
           "file in 64 kB blocks and writes it as FastCGI records, which "
           "nginx copies into its buffers and from there to the client; "
           "it reaches %.2fx static." % (
               _met(ratio >= 0.9), ratio, reject["rps"], CONNS,
               sm["rps"] / max(st["rps"], 1e-9)))
    n = audio.get("spilled", 0)
    out += ("  nginx buffers a FastCGI answer in memory by default "
            "(`fastcgi_buffers`; the shipped snippet sets none) and "
            "writes what does not fit to a temporary file when the "
            "client reads slower than pbxapi writes: %s." % (
                "it did for %d answers of the measured runs (its error "
                "log)" % n if n else "never in the measured runs (wrk "
                "reads as fast as nginx sends)%s" % (
                    ", but it did for the one streamed answer of the "
                    "check before them, read by a Python client"
                    if audio.get("spilled_check") else "")))
    return out


def no_call(db, stmts, agent, none):
    """The busy agent's search statement (stmts, for `agent`) run for
    `none`, which names no agent, as pbxapi sent it before it resolved
    names first: (call_data rows read, execution ms; 0 after 30 s)."""
    _, text, vals = stmts[named(stmts, SEARCH)]
    want = "{%s}" % agent
    if want not in vals.values():
        raise RuntimeError("no value %s in the search: %r" % (want, vals))
    q = inline(text, {n: "{%s}" % none if v == want else v
                      for n, v in vals.items()})
    out = db.sql("SET statement_timeout = '30s';\n"
                 "EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF) %s;" % q,
                 check=False)
    m = re.search(r"Execution Time: ([\d.]+)", out)
    return _walked(out) or CALLS, float(m.group(1)) if m else 0.0


def report(db, res, reject, seq401, audio, data, rss, nocall, load):
    loc = "~ ^/(records/|recording/|call_data/|history$|last_agent$|" \
          "rest-api/call/)"
    keep = lib.shipped_keep_conn(loc)
    ag, dr = res["agent"], res["date range"]
    few = res["agent, few calls"]

    def srow(name, what, r, pg, target):
        ratio = r["rps"] / max(pg["rps"], 1e-9)
        met = ""
        if target:
            met = "%s; p99 %s" % (_met(ratio >= TARGET),
                                   _met(r["p99_ms"] <= TARGET_P99))
        return "| %s | %s | %.0f | %.2f ms | %.2fx | %.2fx | %s | %s | " \
               "%d / %s |" % (
                   name, what, r["rps"], r["p99_ms"], ratio,
                   r["p99_ms"] / max(pg["p99_ms"], 1e-9),
                   ">= %.1fx, p99 <= %.0f ms" % (TARGET, TARGET_P99)
                   if target else "", met, r["errors"],
                   "-" if r["non2xx"] is None else r["non2xx"])

    order = ["agent", "agent, few calls", "agent, none", "date range"]

    def seqrow(name):
        x = res[name]
        return "| %s | `%s` | %d | %d | %.2f ms / %.2f ms | %s |" % (
            _label(name, x), json.dumps(x["body"]), x["records"],
            x["bytes"], x["seq"][0], x["seq"][1],
            ", ".join("search" if s[0] == SEARCH else "`%s`" % s[0]
                      for s in x["stmts"]))

    def strows(name):
        x, out = res[name], []
        for i, (sname, _, _) in enumerate(x["stmts"]):
            plan, (pl, exe), gplan, gt = x["ex"][i]
            srv = _srv(x, sname)
            out.append("| %s | %s | %s | %.2f ms + %.2f ms | %d |" % (
                _label(name, x), "search (unnamed)" if sname == SEARCH
                else "`%s`" % sname,
                "%.2f ms + %.2f ms" % tuple(srv) if srv else "-", pl, exe,
                _walked(plan)))
            if gplan and _walked(gplan) != _walked(plan):
                out.append("| %s | `%s`, generic plan (prepared, sixth "
                           "run) | | %.2f ms + %.2f ms | %d |" % (
                               _label(name, x), sname, gt[0], gt[1],
                               _walked(gplan)))
        return "\n".join(out)

    size = len(data)
    part = size - RANGE_FROM
    st = audio["static"]

    def arow(name, r, target):
        ratio = r["rps"] / max(st["rps"], 1e-9)
        return "| %s | %.0f | %.0f MB/s | %.2fx | %.1f ms | %s | %s | " \
               "%d / %d |" % (
                   name, r["rps"], r["rps"] * part / 1e6, ratio,
                   r["p99_ms"], ">= 0.9x" if target else "",
                   _met(ratio >= 0.9) if target else "", r["errors"],
                   r["non2xx"])

    def indent(text):
        return "\n".join("    " + x for x in text.splitlines())

    need = CONNS * 1000.0 / TARGET_P99
    agent_plan = indent(_ex(ag, SEARCH)[0])
    few_plan = ""
    if _generic_reads_more(few, "rec_agent_calls"):
        few_plan = ("\n\n`rec_agent_calls` for agent 2200 as a pbxapi "
                    "connection runs it from its sixth run (its generic "
                    "plan; `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)` of the "
                    "statement prepared and run five times):\n\n" +
                    indent(_ex(few, "rec_agent_calls")[2]))
    script_ag = indent(T.read(ag["script"]).rstrip("\n"))
    prepared = [s[0] for s in ag["stmts"] if s[0] != SEARCH]
    plan_ms = sum(_ex(ag, n)[1][0] for n in prepared)
    same = not any(_generic_reads_more(ag, n) for n in prepared)
    text = """## Recording server dialect: records/search and a 10 MB recording

`POST /records/search?pageSize=%(page)d` with `X-Auth-Token` (the
tenant's shared token) and a JSON body of filters, over a generated
`xivo_stats` of %(calls)d calls (sql/pgsql/xivo_stats/ with its indexes;
100 agents, 10 queues, a call every 30 s from 2024-01-01, every call
recorded, every other one through a queue and every other one with a
`color` pair; then agent 2200 and its %(few)d calls, spread over the
whole period 15 s off the others' times, alike; load took %(load).0f
s).  Two searches measured under load, each answering the %(page)d
newest matches with their attached data: by agent, `%(agbody)s` (agent
2042 answered %(agcalls)d calls, 1 in 100), and by a one-day date range,
`%(drbody)s` (about 2,880 calls); one at a time also agent 2200
(`{"agent": "2200"}`) and a value naming no agent (`{"agent":
"2100"}`).  %(workers)d pbxapi workers (one
PostgreSQL connection each) behind nginx (the shipped snippet: %(fcgi)s),
PostgreSQL %(pgver)s on a unix socket (fsync off); wrk with %(conns)d
connections, %(dur)d s, median of %(rounds)d runs taking turns with
the ceiling's.  Machine: %(mach)s,
%(cpus)d CPUs, not idle: other work ran beside the benchmark (load
average %(load0).1f when it started, %(load1).1f when it ended).

pbxapi runs a search as up to five statements (handlers/recordings/xivo.c,
`search()`).  An `agent` (`queue`) filter is first resolved to the
numbers of the agents (the names of the queues) it names, by number or
part of a name, with `rec_agents` (`rec_queues`); if it names none,
pbxapi answers an empty page and sends nothing else.  For agents,
`rec_agent_calls` then fetches the ids of their calls, from
`call_data.dst_agent` and `call_on_queue.agent_num`, stopping past
1,000: with at most 1,000 the search starts from those calls (`cd.id =
ANY($1::int[])`), with more it walks all calls newest first.  Then the
search itself, built from fixed fragments per filter and sent
unprepared with its values bound (extended protocol, unnamed statement:
planned with the values each time), and `rec_attached` for the page's
attached data.  `rec_agents`, `rec_queues`, `rec_agent_calls` and
`rec_attached` are prepared once per connection.  The ceiling is
PostgreSQL alone running all the statements pbxapi sent for the search,
in its order, as PostgreSQL's statement log of this run shows them, with
the same values, over as many connections: pgbench `-M extended` (each
statement unnamed, its values bound as text of unknown type, as pbxapi
binds them), one transaction per search: %(nag)d statements for agent
2042, %(ndr)d for the date range.

| search | measure | requests/s | p99 | requests/s vs DB alone | p99 vs DB alone | targets | met | errors / non-2xx |
|---|---|---|---|---|---|---|---|---|
%(r1)s
%(r2)s
%(r3)s
%(r4)s
| - | pbxapi's 401 (a wrong token), %(conns)d connections | %(rej_rps).0f | %(rej_p99).2f ms | | | | | %(rej_err)d / %(rej_non)d |

One request at a time on one connection (median / mean of 200), and the
statements pbxapi sent for it:

| search | body | records | answer bytes | through nginx and pbxapi | statements |
|---|---|---|---|---|---|
%(q1)s
%(q2)s
%(q3)s
%(q4)s

Each statement's time in PostgreSQL: in pbxapi's own runs (PostgreSQL's
log with `log_min_duration_statement = 0` over 20 more searches one at a
time: median bind, where planning happens or a prepared statement takes
its cached plan, and median execute), and with its values (`EXPLAIN
ANALYZE`, median planning and execution of 5); the rows of `call_data` it
read (the rows its scans of `call_data` returned or filtered out), for
the search out of its 11 (`pageSize` + 1) rows.  For a prepared
statement whose generic plan, which a pbxapi connection uses from its
sixth run, reads other rows, a row of its own (prepared and run five
times in one session, then `EXPLAIN ANALYZE`):

| search | statement | pbxapi's runs: bind + execute | with its values: planning + execution | call_data rows read |
|---|---|---|---|---|
%(t1)s
%(t2)s
%(t3)s
%(t4)s

pbxapi's own 401 of the same request, one at a time: %(s401).2f ms
(median).  Worker RSS after the whole run: %(rss).1f MB.

The ceilings, as run (`-l` gives the per-transaction latencies; p99 is
their 99th percentile, requests/s pgbench's `tps`):

    %(argv_ag)s
    %(argv_dr)s

with `agent.sql`:

%(script_ag)s

and `date-range.sql` the search and `rec_attached`, the search's WHERE
clause being `%(where_dr)s`.  pgbench would read the `:MI` of
`'HH24:MI:SS'` as a variable, so the scripts spell the three constants
holding a colon as escape strings, `E'HH24\\x3aMI\\x3aSS'`: the same
values, so the same statement once parsed.  Before measuring, the run
checks in PostgreSQL's statement log that pgbench's statements and
values are pbxapi's, in order (constants spelled back; pgbench also
sends the closing `;`, and numbers each occurrence of a variable as a
parameter of its own, so `rec_agent_calls`' `$1`, used twice, arrives
as `$1` and `$2` with the same value), and that pbxapi sent nothing
else for the search (no `BEGIN`, no `SET`: it sets its
`statement_timeout` when it connects).  One difference remains: pgbench
parses and plans every statement each time with its values, where
pbxapi's connections have %(prepared)s prepared, which spares them
parsing and about %(plan_ms).2f ms of planning (table above) and from a
connection's sixth run lets PostgreSQL use a generic plan%(same)s.

%(why)s

The agent 2042 search's plan, with its values (`EXPLAIN (ANALYZE,
BUFFERS, COSTS OFF)` after the run, in a new session: its planning time
includes filling the session's catalog caches; the tables above have the
warm figures):

%(agent_plan)s%(few_plan)s

The date range search instead reads the `start_time` index from the end
of the range: %(dr_walked)d rows for 11.

### The recording: 10 MB with Range, against nginx static

`GET /records/%(rid)s/audio/download` with `Range: bytes=%(from)d-` (a
browser's seek to 1 MB; %(size)d-byte WAV made by
tests/lib/recordings.py, answered `206` with %(part)d bytes, checked
byte for byte for each mode before measuring): pbxapi checks the token
and the file and answers `X-Accel-Redirect` to the shipped snippet's
`internal` location `/_pbxapi_recording_audio/` (its alias this run's
audio directory, `disable_symlinks on`; tenant key
`RECORDING_AUDIO_ACCEL`), which nginx serves with sendfile; a second
tenant without the key over the same files, where pbxapi sends the
bytes itself (fcgi/file.c); and the ceiling, nginx serving the same
file with the same Range from a plain `location /static/`.  wrk with
%(aconns)d connections (9 MB answers; at 64 connections the getwavfile
section's p99 passes a second and wrk's 2 s timeout cuts requests),
%(dur)d s, median of %(rounds)d runs, the three modes taking turns.

| mode | requests/s | throughput | of static | p99 | target | met | errors / non-2xx |
|---|---|---|---|---|---|---|---|
%(a1)s
%(a2)s
%(a3)s

%(audio_why)s
""" % {
        "page": PAGE, "calls": CALLS, "load": db.load_s, "few": FEW,
        "agbody": json.dumps(ag["body"]), "drbody": json.dumps(dr["body"]),
        "agcalls": CALLS // 100,
        "workers": WORKERS,
        "fcgi": "a new FastCGI connection per request" if not keep else
        "kept FastCGI connections",
        "pgver": db.sql("SHOW server_version;").strip(),
        "conns": CONNS, "dur": lib.DURATION, "rounds": lib.ROUNDS,
        "mach": platform.machine(), "cpus": os.cpu_count(),
        "load0": load[0], "load1": load[-1],
        "nag": len(ag["stmts"]), "ndr": len(dr["stmts"]),
        "r1": srow("agent 2042", "through nginx and pbxapi, %d "
                   "connections" % CONNS, ag["ours"], ag["pg"], True),
        "r2": srow("agent 2042", "ceiling: PostgreSQL alone, %d "
                   "connections" % CONNS, ag["pg"], ag["pg"], False),
        "r3": srow("date range", "through nginx and pbxapi, %d "
                   "connections" % CONNS, dr["ours"], dr["pg"], True),
        "r4": srow("date range", "ceiling: PostgreSQL alone, %d "
                   "connections" % CONNS, dr["pg"], dr["pg"], False),
        "rej_rps": reject["rps"], "rej_p99": reject["p99_ms"],
        "rej_err": reject["errors"], "rej_non": reject["non2xx"],
        "q1": seqrow(order[0]), "q2": seqrow(order[1]),
        "q3": seqrow(order[2]), "q4": seqrow(order[3]),
        "t1": strows(order[0]), "t2": strows(order[1]),
        "t3": strows(order[2]), "t4": strows(order[3]),
        "s401": seq401[0], "rss": rss / 1024.0,
        "argv_ag": _argv(ag["pg"]), "argv_dr": _argv(dr["pg"]),
        "script_ag": script_ag,
        "where_dr": pgbench_text(_where(
            dr["stmts"][named(dr["stmts"], SEARCH)][1]), "s0_"),
        "prepared": ", ".join("`%s`" % n for n in prepared),
        "plan_ms": plan_ms,
        "same": " (for agent 2042's, plans that read the same rows as "
        "with the values)" if same else "",
        "why": why(res, need, nocall, seq401),
        "agent_plan": agent_plan, "few_plan": few_plan,
        "dr_walked": _walked(_ex(dr, SEARCH)[0]),
        "rid": os.path.basename(audio["rid"]), "from": RANGE_FROM,
        "size": size, "part": part, "aconns": AUDIO_CONNS,
        "a1": arow("nginx static (ceiling)", st, False),
        "a2": arow("pbxapi, X-Accel-Redirect", audio["accel"], True),
        "a3": arow("pbxapi, streaming itself", audio["stream"], False),
        "audio_why": audio_why(audio, reject),
    }
    text = lib.reflow(text)
    lib.report_section("records", text)
    return text
