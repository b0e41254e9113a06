"""Benchmark helpers: wrk runs, their parsing, worker RSS, the report.

Benchmarks never assert timings: they measure pbxapi and a ceiling in the
same run, on the same machine, behind the same nginx, and report ratios.
"""
import glob
import os
import re
import subprocess
import sys
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import pbxtest as T  # noqa: E402,F401

DURATION = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def hello(processes):
    """Starts the libfcgi hello-world responder (bench/hello.c) with that
    many processes; returns nginx text for the http block and for the
    server block (locations /hello and /hello-keep)."""
    d = T.tmpdir("pbxapi-bench-hello-")
    sock = os.path.join(d, "hello.sock")
    argv = ["spawn-fcgi", "-n", "-s", sock, "-M", "0666", "-F",
            str(processes)]
    if T.IS_ROOT:
        argv += ["-u", T.RUN_USER]
    T.spawn(argv + ["--", os.path.join(T.BUILD, "bench", "hello")])
    T.wait_socket(sock)
    http = "upstream hello { server unix:%s; keepalive 8; }" % sock
    server = """
        location = /hello {
            include %(r)s/deploy/nginx/fastcgi.conf;
            fastcgi_pass hello;
        }
        location = /hello-keep {
            include %(r)s/deploy/nginx/fastcgi.conf;
            fastcgi_keep_conn on;
            fastcgi_pass hello;
        }""" % {"r": T.ROOT}
    return http, server


def hello_runs(base):
    """The responder without and with kept-alive connections (/hello,
    /hello-keep), each the median of its runs; 'via' names the
    location."""
    wrk(base + "/hello", duration=1)
    runs = []
    for loc in ("/hello", "/hello-keep"):
        r = best_of(lambda loc=loc: wrk(base + loc))
        r["via"] = loc
        runs.append(r)
    return runs


def hello_ceiling(base, runs=None):
    """The better of the responder with and without kept-alive
    connections (libfcgi's own accept loop stalls when nginx keeps more
    connections than there are processes)."""
    return max(runs or hello_runs(base), key=lambda r: r["rps"])


def fastcgi_settings(web, location):
    """How the nginx of web (T.Nginx) passes `location` (e.g. "=
    /api/api.php") to the pool, read from the configuration it runs (the
    shipped deploy/nginx/pbxapi.conf as T.Nginx wrote it): {'keep_conn':
    bool, 'keepalive': idle connections of the upstream or 0, 'text': a
    phrase for the report}."""
    text = T.read(web.conf)
    snippet = os.path.join(web.dir, "pbxapi-snippet.conf")
    if os.path.exists(snippet):
        text += "\n" + T.read(snippet)
    keep = _keep_conn(text, location)
    m = re.search(r"upstream\s+pbxapi\s*\{[^}]*?keepalive\s+(\d+)", text)
    ka = int(m.group(1)) if m else 0
    if keep:
        phrase = ("`fastcgi_keep_conn on`, which with the upstream's "
                  "`keepalive %d` keeps FastCGI connections to the "
                  "workers open" % ka)
    else:
        phrase = ("no `fastcgi_keep_conn`, so nginx's default: a new "
                  "FastCGI connection per request")
    return {"keep_conn": keep, "keepalive": ka, "text": phrase}


def shipped_keep_conn(location):
    """Whether deploy/nginx/pbxapi.conf sets fastcgi_keep_conn on for
    `location`."""
    return _keep_conn(T.read(os.path.join(T.ROOT, "deploy", "nginx",
                                          "pbxapi.conf")), location)


def _keep_conn(text, location):
    m = re.search(r"location\s+%s\s*\{([^}]*)\}" % re.escape(location),
                  text)
    if not m:
        raise RuntimeError("nginx has no location %s" % location)
    return bool(re.search(r"^\s*fastcgi_keep_conn\s+on\s*;", m.group(1),
                          re.M))


def reflow(text):
    """The report text with each paragraph of prose filled to 72 columns
    (two spaces after a full stop kept); headings, tables and indented
    code blocks are left as they are."""
    out = []
    for block in text.strip("\n").split("\n\n"):
        if block.startswith(("#", "|", "    ")):
            out.append(block)
        else:
            block = re.sub(r"\.\n", ".  ", block)
            out.append(textwrap.fill(block.replace("\n", " "), 72,
                                     break_long_words=False,
                                     break_on_hyphens=False))
    return "\n\n".join(out) + "\n"


def _secs(v, unit):
    return float(v) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def wrk(url, headers=None, connections=None, duration=None, script=None):
    """Runs wrk once; returns {'rps', 'p99_ms', 'errors', 'non2xx'}."""
    conns = connections or CONNECTIONS
    argv = ["wrk", "-t", str(min(2, conns)), "-c", str(conns), "-d",
            "%ds" % (duration or DURATION), "--latency"]
    for k, v in (headers or {}).items():
        argv += ["-H", "%s: %s" % (k, v)]
    if script:
        argv += ["-s", script]
    argv.append(url)
    out = subprocess.run(argv, capture_output=True, text=True).stdout
    res = {"rps": 0.0, "p99_ms": 0.0, "errors": 0, "non2xx": 0, "raw": out}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        res["rps"] = float(m.group(1))
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    if m:
        res["p99_ms"] = _secs(m.group(1), m.group(2)) * 1000
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                  r"timeout (\d+)", out)
    if m:
        res["errors"] = sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        res["non2xx"] = int(m.group(1))
    return res


def pgbench(argv, cwd, prefix):
    """Runs pgbench (argv, with `-l --log-prefix prefix` when it should
    time each transaction); returns {'rps' (its tps), 'p99_ms' (from the
    per-transaction log), 'errors', 'non2xx': None, 'argv', 'stderr'}."""
    for f in glob.glob(prefix + ".*"):
        os.unlink(f)
    out = subprocess.run(argv, capture_output=True, text=True, cwd=cwd)
    m = re.search(r"^tps = ([\d.]+)", out.stdout, re.M)
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    lat = []
    for f in glob.glob(prefix + ".*"):
        with open(f) as fh:
            for line in fh:
                x = line.split()
                if len(x) >= 3 and x[2].isdigit():
                    lat.append(int(x[2]))
    lat.sort()
    p99 = lat[max(0, (len(lat) * 99 + 99) // 100 - 1)] / 1000.0 if lat \
        else 0.0
    return {"rps": float(m.group(1)) if m else 0.0, "p99_ms": p99,
            "errors": (int(failed.group(1)) if failed else 0) +
            (out.returncode != 0), "non2xx": None, "argv": argv,
            "stderr": out.stderr}


def best_of(fn, rounds=None):
    """Median by throughput of several runs of fn()."""
    runs = sorted((fn() for _ in range(rounds or ROUNDS)),
                  key=lambda r: r["rps"])
    return runs[len(runs) // 2]


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                         text=True).stdout
    return [int(x) for x in out.split()]


def report_section(name, text):
    """Replaces (or appends) the section `name` of docs/PERFORMANCE.md."""
    path = os.path.join(HERE, "..", "docs", "PERFORMANCE.md")
    head = ("# Performance\n\nMeasured by `make bench` (bench/run): wrk "
            "against the real nginx and pool, each figure next to a ceiling "
            "measured in the same run on the same machine.  Ratios are what "
            "matter; absolute numbers depend on the machine.\n")
    try:
        with open(path) as f:
            doc = f.read()
    except OSError:
        doc = head
    begin = "<!-- bench:%s -->" % name
    end = "<!-- /bench:%s -->" % name
    block = "%s\n%s\n%s" % (begin, text.strip(), end)
    if begin in doc and end in doc:
        doc = doc[:doc.index(begin)] + block + doc[doc.index(end) +
                                                   len(end):]
    else:
        doc = doc.rstrip() + "\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(doc)


def machine():
    """The machine and its load, for a report: "x86_64, 2 CPUs, load
    average 1.0 2.0 3.0 (1, 5, 15 min)"."""
    import platform
    load = open("/proc/loadavg").read().split()[:3]
    return "%s, %d CPUs, load average %s (1, 5, 15 min)" % (
        platform.machine(), os.cpu_count(), " ".join(load))


def spread(vals, fmt="%.0f"):
    """"median (min-max)" of a list of numbers, each with fmt."""
    import statistics
    v = sorted(vals)
    if len(v) == 1:
        return fmt % v[0]
    return (fmt + " (" + fmt + "-" + fmt + ")") % (statistics.median(v),
                                                    v[0], v[-1])


def events_nginx(pool, pubsock, d):
    """The real nginx with nchan and the shipped
    deploy/nginx/pbxapi-events*.conf, its publisher socket at pubsock
    (the pool's events.publish = unix:pubsock), its subscribers' access
    log in d; None when libnginx-mod-nchan is not installed."""
    if T.nchan_module() is None:
        return None

    def shipped(name):
        text = T.read(os.path.join(T.ROOT, "deploy", "nginx", name))
        return (text.replace("unix:/run/pbxapi-nchan/nchan.sock",
                             "unix:" + pubsock)
                .replace("/var/log/nginx/access.log",
                         os.path.join(d, "events-access.log")))
    return T.Nginx(pool, modules=[T.nchan_module()],
                   http_extra=shipped("pbxapi-events-publish.conf"),
                   locations=shipped("pbxapi-events.conf"))


def nchan_subscribers(pubsock, channel):
    """Subscribers nchan holds on channel (its publisher's GET)."""
    import socket
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(pubsock)
    s.sendall(("GET /pub/%s HTTP/1.0\r\n\r\n" % channel).encode())
    buf = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    s.close()
    m = re.search(rb"active subscribers: (\d+)", buf)
    return int(m.group(1)) if m else 0


def companion_ask(pool, line):
    """One verb of the pool's companion (its local socket): the reply's
    status line's word ("ok" ...) and its body."""
    import socket
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(os.path.join(pool.dir, "pbxapi-companion.sock"))
    s.sendall((line + "\n").encode())
    buf = b""
    while b"\n" not in buf:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    head, _, body = buf.partition(b"\n")
    word = head.split()
    n = int(word[1]) if len(word) > 1 and word[1].isdigit() else 0
    while len(body) < n:
        d = s.recv(65536)
        if not d:
            break
        body += d
    s.close()
    return word[0].decode() if word else "", body
