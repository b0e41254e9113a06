#!/usr/bin/env python3
# The audit log (audit.log) through the real nginx and pool: mutations,
# originations, hangups and recording reads of two tenants, refused ones
# included, from several clients at once (slow originations keep several
# workers busy, so several write), one line each with the request's
# fields, reads not audited; `pbxapi audit verify` and a third party's
# few lines of Python (docs/operations.md) accept the chains and find an
# altered byte, a removed line and two swapped lines at the right line;
# the chains stay whole across a reload, a worker killed in a burst, a
# rotation (SIGUSR1) and a master restart (resumed from the file).
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(240)
t = T.Tap()
D = T.tmpdir("pbxapi-audit-")
AUDIT = os.path.join(D, "audit.log")
PBXAPI = os.path.join(T.BUILD, "pbxapi")
ZERO = "0" * 64

# --- the doubles: AMI (originatecall) and ARI (hangup) ---
SCEN = os.path.join(D, "scenario.json")


def slow_originate(ms):
    """The AMI double drips its Originate reply, 8 bytes per ms."""
    T.write(SCEN + ".tmp", json.dumps({"auth_delay_ms": 0, "rules": [
        {"action": "Originate", "fault": "slow-drip", "chunk": 8,
         "delay_ms": ms}]}))
    os.rename(SCEN + ".tmp", SCEN)


slow_originate(15)
T.spawn([os.path.join(T.BUILD, "doubles", "ami_double"), "--port-file",
         os.path.join(D, "ami.port"), "--scenario", SCEN, "--log",
         os.path.join(D, "ami.jsonl"), "--lifetime", "230", "--fixtures",
         os.path.join(T.SHARED, "fixtures", "ami")],
        log=os.path.join(D, "ami.out"))
T.write(os.path.join(D, "ari.ctl"), "channels=2\n")
T.spawn([os.path.join(T.BUILD, "doubles", "ari_double"), "--port-file",
         os.path.join(D, "ari.port"), "--control", os.path.join(D, "ari.ctl"),
         "--lifetime", "230", "--log", os.path.join(D, "ari.jsonl"),
         "--fixtures", os.path.join(T.SHARED, "fixtures", "ari")],
        log=os.path.join(D, "ari.out"))
T.wait_for(lambda: T.read(os.path.join(D, "ami.port")).strip(),
           what="ami_double port")
T.wait_for(lambda: T.read(os.path.join(D, "ari.port")).strip(),
           what="ari_double port")
AMI_PORT = T.read(os.path.join(D, "ami.port")).strip()
ARI_PORT = T.read(os.path.join(D, "ari.port")).strip()

TENANTS = ("acme", "beta")
TOK, RO, ARI = {}, {}, {}
extra = ""
for name in TENANTS:
    TOK[name] = (name + "-write-0123456789abcdef0123456789")[:40]
    RO[name] = (name + "-read-0123456789abcdef0123456789")[:40]
    ARI[name] = "%s-app:%s-secret" % (name, name)
    rec = os.path.join(D, "rec-" + name)
    T.write(os.path.join(rec, "call-%s.wav" % name), b"RIFF-" + name.encode())
    extra += ("[tenant %s]\ntoken = %s\ntoken = %s read\n"
              "token = %s ari-control\n"
              "AMI_HOST = 127.0.0.1\nAMI_PORT = %s\nAMI_USERNAME = admin\n"
              "AMI_SECRET = amp111\nAMI_CONF_PATH = /nonexistent\n"
              "ARI_ENABLED = true\nARI_PORT = %s\nRECORDINGS_PATH = %s\n"
              % (name, TOK[name], RO[name], ARI[name], AMI_PORT, ARI_PORT,
                 rec))
pool = T.Pool(settings={"pm.max_children": "3", "audit.log": AUDIT,
                        "backend_timeout": "6s"},
              extra=extra, status_listen=True)
web = T.Nginx(pool)
want = []  # the audited requests: (tenant, cmd, target, status)


def token_id(secret):
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def elastix(tenant, cmd, body=None, query="", ro=False):
    h = {"Authorization": (RO if ro else TOK)[tenant]}
    path = "/api/api.php?cmd=" + cmd + query
    if body is None:
        return web.get(path, h)
    return web.post(path, body, h, "application/x-www-form-urlencoded")


def ari(tenant, method, path):
    import base64
    h = {"Authorization": "Basic " +
         base64.b64encode(ARI[tenant].encode()).decode()}
    return web.request(method, path, h)


def originate(tenant, ro=False):
    st, _, _ = elastix(tenant, "originatecall",
                       "channel=SIP%%2F%s&extension=600" % tenant, ro=ro)
    return (tenant, "originatecall", "SIP/" + tenant, st)


def hangup(tenant, chan):
    st, _, _ = ari(tenant, "DELETE", "/ari/channels/" + chan)
    return (tenant, "hangup", chan, st)


def wav(tenant):
    name = "call-%s.wav" % tenant
    st, _, _ = elastix(tenant, "getwavfile", query="&name=" + name)
    return (tenant, "getwavfile", name, st)


def burst(jobs, during=None):
    """Runs the jobs (functions returning a want tuple) from 6 clients at
    once; during() runs while they do."""
    out, lock = [], threading.Lock()

    def client(mine):
        for job in mine:
            r = job()
            with lock:
                out.append(r)

    ts = [threading.Thread(target=client, args=(jobs[i::6],))
          for i in range(6)]
    for th in ts:
        th.start()
    if during:
        during()
    for th in ts:
        th.join(60)
    want.extend(out)
    return out


def lines(path=AUDIT):
    with open(path, "rb") as f:
        return f.read().splitlines()


def verify(*files):
    r = subprocess.run([PBXAPI, "audit", "verify"] + list(files),
                       capture_output=True, text=True)
    return r.returncode, (r.stdout + r.stderr).strip()


def third_party(paths):
    """docs/operations.md's verification, as a reader would write it."""
    last = {}
    for path in paths:
        for line in open(path, "rb").read().splitlines():
            body, h = line[:-75] + b"}", line[-66:-2].decode()
            rec = json.loads(line)
            if hashlib.sha256(body).hexdigest() != h or rec["hash"] != h:
                return False
            if rec["prev"] != last.get(rec["tenant"], rec["prev"]):
                return False
            last[rec["tenant"]] = h
    return True


def status_counts():
    st, _, body = web.json("/status?json&full")
    return {p["pid"]: p["requests"] for p in body["processes"]}


# --- audited requests of two tenants, from several clients at once ---
before = status_counts()
jobs = []
for i in range(4):
    for name in TENANTS:
        jobs += [lambda n=name: originate(n), lambda n=name: wav(n),
                 lambda n=name, i=i: hangup(n, "double-%d" % (i % 2 + 1))]
jobs += [lambda: originate("acme", ro=True), lambda: originate("beta", True)]
first = burst(jobs)
after = status_counts()
busy = [p for p in after if after[p] > before.get(p, 0)]
t.ok(len(busy) >= 2, "several workers served the burst (%d)" % len(busy))
st = [elastix(n, "sippeers")[0] for n in TENANTS]
t.is_(st, [200, 200], "sippeers (reads) answered")
t.ok(all(r[3] in (200, 204, 404) for r in first if r[1] != "originatecall"
         or r[3] != 403), "the audited calls were answered")
refused = [r for r in first if r[3] == 403]
t.is_(len(refused), 2, "originatecall with a read-only token: 403")

L = lines()
t.is_(len(L), len(want), "one audit line per audited request (%d)" % len(L))
recs = [json.loads(x) for x in L]
t.ok(all(list(r.keys()) == ["time", "id", "tenant", "token", "client",
                            "dialect", "cmd", "target", "status", "outcome",
                            "prev", "hash"] for r in recs),
     "every line has the fields, in order")
t.ok(not any(r["cmd"] == "sippeers" for r in recs), "reads are not audited")
got = sorted((r["tenant"], r["cmd"], r["target"], r["status"]) for r in recs
             if not (r["cmd"] == "originatecall" and r["status"] == 403))
t.is_(got, sorted(w for w in want if w[3] != 403),
      "tenant, command, target and status of each request")
ref = [r for r in recs if r["status"] == 403]
t.is_(sorted((r["tenant"], r["cmd"], r["outcome"], r["token"],
              r["target"]) for r in ref),
      [("acme", "originatecall", "forbidden", token_id(RO["acme"]), None),
       ("beta", "originatecall", "forbidden", token_id(RO["beta"]), None)],
      "refused calls: audited, outcome, the read-only token's id")
ok = [r for r in recs if r["cmd"] == "originatecall" and r["status"] == 200]
t.ok(len(ok) == 8 and all(r["outcome"] == "ok" and r["dialect"] == "elastix"
                          and r["token"] == token_id(TOK[r["tenant"]])
                          for r in ok),
     "originatecall: ok, elastix, the write token's id")
hu = [r for r in recs if r["cmd"] == "hangup"]
t.ok(len(hu) == 8 and all(r["dialect"] == "ari" and
                          r["token"] == token_id(ARI[r["tenant"]])
                          for r in hu),
     "hangup: ari, the ARI credential's id")
t.ok(all(r["client"] == "127.0.0.1" for r in recs), "client: the address")
t.ok(len({r["id"] for r in recs}) == len(recs) and
     all(len(r["id"]) == 32 for r in recs),
     "id: nginx's $request_id, one per line")
t.ok(all(r["time"].endswith("Z") and len(r["time"]) == 24 for r in recs),
     "time: UTC with milliseconds")
firsts = {}
for r in recs:
    firsts.setdefault(r["tenant"], r["prev"])
t.is_(firsts, {"acme": ZERO, "beta": ZERO}, "each chain starts at zeros")

rc, out = verify(AUDIT)
t.is_((rc, out), (0, "%d lines, 2 tenants, OK" % len(L)),
      "pbxapi audit verify: OK")
t.ok(third_party([AUDIT]), "the documented Python check: OK")


# --- tampered copies ---
def tampered(name, ls):
    p = os.path.join(D, name)
    with open(p, "wb") as f:
        f.write(b"".join(x + b"\n" for x in ls))
    return verify(p)


def later_of_tenant(i):
    """Index of the next line of line i's tenant."""
    for j in range(i + 1, len(recs)):
        if recs[j]["tenant"] == recs[i]["tenant"]:
            return j
    return None


# A line with a line of its tenant before and after it.
k = next(i for i in range(1, len(recs)) if recs[i]["prev"] != ZERO and
         later_of_tenant(i) is not None)
alt = list(L)
alt[k] = alt[k].replace(b'"status":', b'"status":1', 1)
rc, out = tampered("altered", alt)
t.ok(rc == 1 and ":%d: altered" % (k + 1) in out,
     "an altered byte: exit 1 at line %d (%s)" % (k + 1, out))
j = later_of_tenant(k)
rm = L[:k] + L[k + 1:]
rc, out = tampered("removed", rm)
t.ok(rc == 1 and ":%d: tenant '%s': removed" % (j, recs[k]["tenant"]) in out,
     "a removed line: exit 1 at the tenant's next line, %d (%s)" % (j, out))
sw = list(L)
sw[k], sw[j] = sw[j], sw[k]
rc, out = tampered("swapped", sw)
t.ok(rc == 1 and ":%d: tenant '%s': reordered" % (k + 1, recs[k]["tenant"])
     in out, "two lines swapped: exit 1 at line %d (%s)" % (k + 1, out))
rc, out = tampered("truncated", L[:-1] + [L[-1][:40]])
t.is_(rc, 1, "a truncated last line: exit 1")
p = os.path.join(D, "truncated")
with open(p, "ab") as f:
    f.truncate(os.path.getsize(p) - 1)
rc, out = verify(p)
t.ok(rc == 1 and ":%d: truncated" % len(L) in out,
     "no final newline: truncated (%s)" % out)

# --- a reload, and a worker killed in a burst ---
n0 = len(lines())
pool.kill(signal.SIGHUP)
pool.wait_log("reloaded")


def kill_one():
    T.wait_for(lambda: len(lines()) > n0 + 3, 30, what="a few lines")
    os.kill(pool.workers()[0], signal.SIGKILL)


jobs = []
for i in range(6):
    for name in TENANTS:
        jobs += [lambda n=name: originate(n), lambda n=name: wav(n)]
burst(jobs, during=kill_one)
T.wait_for(lambda: len(pool.workers()) >= 3, 20, what="3 workers again")
burst([lambda n=n: originate(n) for n in TENANTS for _ in range(3)])
rc, out = verify(AUDIT)
t.is_((rc, out.split(",")[-1].strip()), (0, "OK"),
      "after a reload and a killed worker: OK (%s)" % out)

# --- rotation: rename and SIGUSR1 while a slow call runs; the new
# generation writes to the old file until the old one is gone, then the
# chains go on in the new file ---
def originates_seen():
    return T.read(os.path.join(D, "ami.jsonl")).count("Action: Originate")


slow_originate(250)  # about 2.5 s
n_orig = originates_seen()
slow = threading.Thread(target=lambda: want.append(originate("acme")))
slow.start()
T.wait_for(lambda: originates_seen() > n_orig, 10, what="the slow call")
os.rename(AUDIT, AUDIT + ".1")
pool.kill(signal.SIGUSR1)
pool.wait_log("logs reopened")
during = burst([lambda: wav("acme") for _ in range(3)])
t.ok(slow.is_alive(), "the slow call still runs after those calls")
slow.join(30)
slow_originate(15)
old = [json.loads(x) for x in lines(AUDIT + ".1")]
t.is_([(r["cmd"], r["tenant"]) for r in old[-4:]],
      [("getwavfile", "acme")] * 3 + [("originatecall", "acme")],
      "calls during the old generation's last request: in the old file, "
      "then that request")
T.wait_for(lambda: wav("beta") and os.path.exists(AUDIT) and
           len(lines()) > 0, 20, what="a line in the new file")
burst([lambda n=n: originate(n) for n in TENANTS for _ in range(3)])
t.ok(len(lines()) >= 7, "the new file has the new lines")
rc, out = verify(AUDIT + ".1", AUDIT)
t.is_((rc, out.split(",")[-1].strip()), (0, "OK"),
      "the rotated and the new file, one chain: OK (%s)" % out)
t.ok(all(json.loads(x)["prev"] != ZERO for x in lines()),
     "the new file continues the chains (no zeros)")
rc, out = verify(AUDIT, AUDIT + ".1")
t.is_(rc, 1, "the files in the wrong order: broken")

# --- a master restart resumes each chain from the file ---
t.is_(pool.stop(), 0, "the pool stops")
pool.start()
burst([lambda n=n: originate(n) for n in TENANTS for _ in range(2)])
rc, out = verify(AUDIT + ".1", AUDIT)
t.is_((rc, out.split(",")[-1].strip()), (0, "OK"),
      "after a master restart: OK (%s)" % out)
t.ok(third_party([AUDIT + ".1", AUDIT]),
     "the documented Python check agrees")
t.ok(not any(json.loads(x)["prev"] == ZERO for x in lines()),
     "no chain restarted at zeros")

# --- off: nothing more is written ---
pool.write_conf({"audit.log": "off"})
pool.kill(signal.SIGHUP)
T.wait_for(lambda: pool.log().count("reloaded") >= 2, 20,
           what="reload to off")
n = len(lines())
burst([lambda: originate("acme")])
t.is_(len(lines()), n, "audit.log = off: no line")
t.done()
