"""Benchmark helpers: wrk runs, their parsing, worker RSS, the report.

Benchmarks never assert timings: they measure pbxapi and a ceiling in the
same run, on the same machine, behind the same nginx, and report ratios.
"""
import os
import re
import subprocess
import sys

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


def hello_ceiling(base):
    """The better of the responder with and without kept-alive
    connections (libfcgi's own accept loop stalls when nginx keeps more
    connections than there are processes)."""
    wrk(base + "/hello", duration=1)
    return max(best_of(lambda: wrk(base + "/hello")),
               best_of(lambda: wrk(base + "/hello-keep")),
               key=lambda r: r["rps"])


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
