"""The FusionPBX dialect: cdr-list against a 1,000,000-row v_xml_cdr (the
indexes of sql/pgsql) and originate against the ESL double, each next to
two ceilings measured in the same run: nginx serving the same response
bytes as a static file, and pbxapi's own 401 of the same dialect (the
whole request path without the backends).  cdr-list also against its
real ceiling: PostgreSQL alone running the same prepared statement with
the same bound value over as many connections (pgbench).  Self-contained:
it starts its PostgreSQL, ESL double, pool and nginx
(tests/lib/fusionpbx.py).  By hand against any installation:
bench/fusionpbx.sh."""
import json
import os
import platform
import re
import time

import lib
from lib import T
import fusionpbx as F

WORKERS = 8
ROWS = int(os.environ.get("BENCH_CDR_ROWS", "1000000"))
DOMAINS = 10
# The statement of cdr-list (handlers/fusionpbx/read.c, st_cdr_list),
# which pbxapi prepares once per connection and runs with the domain
# bound as text; run() checks it against PostgreSQL's statement log.
CDR_SQL = ("SELECT xml_cdr_uuid, extension_uuid, direction, start_stamp, "
           "end_stamp, hangup_cause, duration, missed_call, record_name, "
           "bridge_uuid, caller_id_name, caller_id_number, "
           "caller_destination, source_number, destination_number, leg "
           "FROM v_xml_cdr WHERE domain_uuid = $1 ORDER BY end_stamp DESC "
           "LIMIT 100")
TARGET = 0.5  # cdr-list's requests/s at least 0.5x PostgreSQL alone's

GENERATE = """
INSERT INTO v_xml_cdr (xml_cdr_uuid, domain_uuid, extension_uuid,
    domain_name, direction, caller_id_name, caller_id_number,
    caller_destination, source_number, destination_number, start_epoch,
    start_stamp, answer_stamp, end_epoch, end_stamp, duration, billsec,
    hangup_cause, missed_call, leg, bridge_uuid, record_name)
SELECT md5('cdr' || i)::uuid,
    CASE WHEN i %% %(d)d = 0 THEN '%(dom)s'::uuid
         ELSE ('00000000-0000-4000-8000-' || lpad((i %% %(d)d)::text, 12,
               '0'))::uuid END,
    '6f0f1c2a-1d8e-4a59-9a43-2b1c0d9e8f70',
    'fusionpbx.example.net', (ARRAY['inbound','outbound','local'])[i %% 3 + 1],
    'Caller ' || (i %% 997), '+1206555' || lpad((i %% 10000)::text, 4, '0'),
    '12065550100', '+1206555' || lpad((i %% 10000)::text, 4, '0'),
    (100 + i %% 50)::text,
    extract(epoch FROM ts)::numeric, ts, ts + interval '5 seconds',
    extract(epoch FROM ts)::numeric + 60 + i %% 600,
    CASE WHEN i %% 5000 = 0 THEN NULL
         ELSE ts + (60 + i %% 600) * interval '1 second' END,
    60 + i %% 600, 55 + i %% 600, 'NORMAL_CLEARING', i %% 7 = 0,
    CASE WHEN i %% 2 = 0 THEN 'a' ELSE 'b' END, md5('b' || i)::uuid::text,
    CASE WHEN i %% 4 = 0 THEN md5('cdr' || i)::uuid || '.wav' END
FROM (SELECT i, timestamptz '2024-01-01 00:00:00+00' + i * interval '7 seconds'
      AS ts FROM generate_series(1, %(n)d) AS i) g;
ANALYZE v_xml_cdr;
"""


def lua(path, body, auth):
    T.write(path, 'wrk.method = "POST"\nwrk.body = %r\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            'wrk.headers["Authorization"] = %r\n' % (body, auth))


def setup():
    pg = T.Postgres()
    db = F.Database(pg)
    t0 = time.time()
    db.sql(GENERATE % {"d": DOMAINS, "dom": F.DOMAIN, "n": ROWS})
    load_s = time.time() - t0
    esl = F.Esl(lifetime=3600)
    pool = T.Pool(settings={"pm": "static", "pm.max_children": str(WORKERS),
                            "log_level": "warning", "access_log": "off"},
                  env=F.tenant_env(db, esl))
    d = T.tmpdir("pbxapi-bench-fpx-")
    # A new FastCGI connection per request, as in the earlier runs, so
    # that the figures compare; see docs/PERFORMANCE.md.
    web = T.Nginx(pool,
                  locations="location /static/ { alias %s/; }" % d)
    return db, pool, web, d, load_s


class Client(T.Web):
    """An HTTP client of the nginx in front of the pool."""

    def __init__(self, port):
        self.port = port


def measure(base, d, name, body, client):
    """pbxapi, nginx static with the same bytes, pbxapi's own 401."""
    st, _, data = F.call(client, body)
    T.write(os.path.join(d, name + ".json"), data)
    ok_lua = os.path.join(d, name + ".lua")
    bad_lua = os.path.join(d, name + "-401.lua")
    lua(ok_lua, json.dumps(body), F.auth()["Authorization"])
    lua(bad_lua, json.dumps(body), "Basic eHg6eHg=")
    url = base + F.PATH
    lib.wrk(url, script=ok_lua, duration=1)
    ours = lib.best_of(lambda: lib.wrk(url, script=ok_lua))
    static = lib.best_of(lambda: lib.wrk(base + "/static/%s.json" % name))
    reject = lib.best_of(lambda: lib.wrk(url, script=bad_lua))
    return st, len(data), ours, static, reject


def sequential_ms(client, body, n=200, **kw):
    """Mean latency of n requests one after the other."""
    t0 = time.time()
    for _ in range(n):
        F.call(client, body, **kw)
    return (time.time() - t0) * 1000.0 / n


def query_ms(db):
    """PostgreSQL's execution time of cdr-list's query (median of 5)."""
    sql = ("PREPARE q(uuid) AS %s;" % CDR_SQL +
           "EXPLAIN ANALYZE EXECUTE q('%s');" % F.DOMAIN * 5)
    times = sorted(float(x.split()[2]) for x in db.sql(sql).splitlines()
                   if x.startswith("Execution Time"))
    return times[len(times) // 2] if times else 0.0


def logged_statement(db, request):
    """What pbxapi runs for request(), from PostgreSQL's statement log:
    (statement text, its $1), or (None, None) on a shared server."""
    if not db.pg.owned:
        return None, None
    path = os.path.join(db.pg.dir, "pg.log")
    mark = os.path.getsize(path)
    db.sql("ALTER SYSTEM SET log_statement = 'all';\n"
           "SELECT pg_reload_conf();")
    time.sleep(0.5)
    try:
        for _ in range(2):
            request()
    finally:
        db.sql("ALTER SYSTEM RESET log_statement;\n"
               "SELECT pg_reload_conf();")
    with open(path, errors="replace") as f:
        f.seek(mark)
        log = f.read()
    text = value = None
    for m in re.finditer(r"LOG:\s+execute [^:]+: (.*FROM v_xml_cdr .*)\n"
                         r"(?:.*DETAIL:\s+parameters: \$1 = '([^']*)')?",
                         log):
        text, value = m.group(1), m.group(2)
    if text is None:
        raise RuntimeError("no cdr-list statement in %s" % path)
    return text, value


def pg_alone(db, d, conns, seconds=None):
    """pgbench: conns connections running CDR_SQL, prepared, with
    $1 = F.DOMAIN; p99 from its per-transaction log."""
    prefix = os.path.join(d, "pgbench")
    return lib.pgbench(
        ["pgbench", "-n", "-f", os.path.join(d, "cdr-list.sql"), "-c",
         str(conns), "-j", str(min(2, conns)), "-T",
         str(seconds or lib.DURATION), "-M", "prepared", "-D",
         "dom=" + F.DOMAIN, "-l", "--log-prefix", prefix, "-h",
         db.pg.host, "-p", str(db.pg.port), "-U", "test", db.name],
        d, prefix)


def db_row(name, r, pg, target=""):
    """A line of the cdr-list table: r and its ratios to pg."""
    ratio = r["rps"] / max(pg["rps"], 1e-9)
    met = ""
    if target:
        met = "met" if ratio >= TARGET else "not met"
    return "| %s | %.0f | %.2f ms | %.2fx | %.2fx | %s | %s | %d / %s |" % (
        name, r["rps"], r["p99_ms"], ratio,
        r["p99_ms"] / max(pg["p99_ms"], 1e-9), target, met, r["errors"],
        "-" if r["non2xx"] is None else r["non2xx"])


def row(name, r, static, reject):
    return "| %s | %.0f | %.2f ms | %.1f%% | %.1f%% | %d / %d |" % (
        name, r["rps"], r["p99_ms"],
        100.0 * r["rps"] / max(static["rps"], 1),
        100.0 * r["rps"] / max(reject["rps"], 1), r["errors"], r["non2xx"])


def run():
    db, pool, web, d, load_s = setup()
    base = "http://127.0.0.1:%d" % web.port
    client = Client(web.port)
    cdr = {"action": "cdr-list", "domain_uuid": F.DOMAIN}
    orig = {"action": "originate", "domain_uuid": F.DOMAIN,
            "caller_id_number": "+12065550100", "destination_a": "100",
            "destination_b": "12065550199"}
    stmt, bound = logged_statement(db, lambda: F.call(client, cdr))
    if stmt is not None and (stmt != CDR_SQL or bound != F.DOMAIN):
        raise RuntimeError("pbxapi ran %r with $1 = %r, the ceiling runs "
                           "%r with %r" % (stmt, bound, CDR_SQL, F.DOMAIN))
    out = {name: measure(base, d, name, body, client)
           for name, body in (("cdr-list", cdr), ("originate", orig))}
    script = CDR_SQL.replace("$1", ":dom") + ";\n"
    T.write(os.path.join(d, "cdr-list.sql"), script)
    pg_alone(db, d, lib.CONNECTIONS, seconds=1)
    pg = lib.best_of(lambda: pg_alone(db, d, lib.CONNECTIONS))
    pg_few = lib.best_of(lambda: pg_alone(db, d, WORKERS))
    fcgi = lib.fastcgi_settings(web, "= /app/rest_api/rest.php")
    shipped = lib.shipped_keep_conn("= /app/rest_api/rest.php")
    seq_cdr = sequential_ms(client, cdr)
    seq_401 = sequential_ms(client, cdr, key="xx", secret="xx")
    pg_ms = query_ms(db)
    plan = db.sql("EXPLAIN (COSTS OFF) SELECT xml_cdr_uuid FROM v_xml_cdr "
                  "WHERE domain_uuid = '%s' ORDER BY end_stamp DESC LIMIT "
                  "100;" % F.DOMAIN).strip().splitlines()
    rss = max(lib.rss_kb(p) for p in pool.workers())
    c, o = out["cdr-list"], out["originate"]
    text = """## FusionPBX dialect: cdr-list and originate

`POST /app/rest_api/rest.php` with HTTP Basic (bcrypt checked once per
worker, then cached): `cdr-list` of a domain holding %d of the %d rows of
`v_xml_cdr` (%d domains; plan: `%s`; load took %.0f s), answering %d bytes
(100 rows); `originate` against the ESL double (one kept connection per
worker), answering %d bytes.  %d pbxapi workers behind nginx (%s),
PostgreSQL %s on a unix socket (fsync off), wrk with %d connections,
%d s, median of %d runs.  Ceilings of the same run: nginx serving the
same response bytes as a static file, and pbxapi's own 401 of this
dialect (no backend); for `cdr-list` also PostgreSQL alone (below).
Machine: %s, %d CPUs.  By hand against an installation:
`bench/fusionpbx.sh`.

| request | requests/s | p99 | of static | of 401 | errors / non-2xx |
|---|---|---|---|---|---|
%s
%s
%s
%s
%s
%s

`cdr-list` against PostgreSQL alone: pgbench running the statement
pbxapi runs, as pbxapi runs it (prepared once per connection, the domain
bound as text), with the same value; the statement and value %s.

    pgbench -n -f cdr-list.sql -c %d -j %d -T %d -M prepared \\
        -D dom=%s -l

with `cdr-list.sql`:

    %s

requests/s is pgbench's `tps`, p99 the 99th percentile of the latencies
in its per-transaction log (`-l`); median of %d runs.  Also with %d
connections (pbxapi holds one per worker).  Ratios are to PostgreSQL
alone at %d connections; against PostgreSQL alone with %d connections,
`cdr-list` reaches %.2fx its requests/s.

| measure | requests/s | p99 | requests/s vs DB alone | p99 vs DB alone | target | met | errors / non-2xx |
|---|---|---|---|---|---|---|---|
%s
%s
%s

One request at a time on one connection: `cdr-list` %.2f ms, the 401
%.2f ms; PostgreSQL alone executes the query in %.2f ms (`EXPLAIN
ANALYZE`, 100 index and heap fetches).  Worker RSS after the run:
%.1f MB.

Target: `cdr-list` p99 under 20 ms at 64 connections.  On this machine
nginx, wrk, PostgreSQL and the pool share 2 CPUs, and the 64 connections
queue behind them: the p99 is the queue, not one request (see the
sequential figures).  Reaching the target needs about %d requests/s;
the 401 path, which does no backend work at all, reaches %.0f here.

The runs above use %s (%s).  A worker holds one FastCGI connection
at a time, kept or not, so a worker that dies fails only the request it
was answering, and a reload fails none (31-pm-pressure.t counts both,
POSTs included).
""" % (ROWS // DOMAINS, ROWS, DOMAINS, plan[0].strip() if plan else "?",
       load_s, c[1], o[1], WORKERS, fcgi["text"],
       db.sql("SHOW server_version;").strip(), lib.CONNECTIONS,
       lib.DURATION, lib.ROUNDS, platform.machine(), os.cpu_count(),
       row("cdr-list", c[2], c[3], c[4]),
       row("cdr-list ceiling: static", c[3], c[3], c[4]),
       row("cdr-list ceiling: 401", c[4], c[3], c[4]),
       row("originate", o[2], o[3], o[4]),
       row("originate ceiling: static", o[3], o[3], o[4]),
       row("originate ceiling: 401", o[4], o[3], o[4]),
       "match pbxapi's in PostgreSQL's statement log of this run"
       if stmt is not None else "were not checked (a shared server)",
       lib.CONNECTIONS, min(2, lib.CONNECTIONS), lib.DURATION, F.DOMAIN,
       script.strip(), lib.ROUNDS, WORKERS, lib.CONNECTIONS, WORKERS,
       c[2]["rps"] / max(pg_few["rps"], 1e-9),
       db_row("cdr-list through nginx and pbxapi, %d connections" %
              lib.CONNECTIONS, c[2], pg, ">= %.1fx" % TARGET),
       db_row("ceiling: PostgreSQL alone, %d connections" %
              lib.CONNECTIONS, pg, pg),
       db_row("PostgreSQL alone, %d connections" % WORKERS, pg_few, pg),
       seq_cdr, seq_401, pg_ms, rss / 1024.0,
       lib.CONNECTIONS * 1000 // 20, c[4]["rps"],
       "a new FastCGI connection per request" if not fcgi["keep_conn"]
       else "kept FastCGI connections",
       "as the shipped snippet does" if shipped == fcgi["keep_conn"]
       else "unlike the shipped snippet")
    text = lib.reflow(text)
    lib.report_section("fusionpbx", text)
    return text
