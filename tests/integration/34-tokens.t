#!/usr/bin/env python3
# pbxapi token add|list|revoke|rotate through the real nginx and pool: a
# token the CLI adds works at once, a command-restricted one gets 403 on
# other commands, revocation is 401 at the next request of every worker
# without a reload, rotation keeps the old token for its overlap only, a
# corrupt file keeps the workers' last good set (and stops the CLI), and
# concurrent CLIs lose no change.
import os
import re
import stat
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(150)
t = T.Tap()
KEY = "tokens-config-key-0123456789"
pool = T.Pool(settings={"tokens_file": "tokens", "pm.max_children": "2"},
              env={"API_SECRET_KEY": KEY},
              extra="[tenant other]\nAPI_SECRET_KEY = other-key-0123456789\n",
              status_listen=True)
web = T.Nginx(pool)
TOKENS = os.path.join(pool.dir, "tokens")
pool.wait_workers(2)


def cli(*args):
    r = subprocess.run([pool.binary, "-c", pool.conf, "token"] + list(args),
                       capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout, r.stderr


def add(*args):
    rc, out, err = cli("add", *args)
    m = re.match(r"id: ([0-9a-f]{12})\ntoken: (\S+)\n$", out)
    t.ok(rc == 0 and m is not None, "token add %s: %s" % (" ".join(args),
                                                          err.strip()))
    return m.groups() if m else ("", "")


def status(secret, cmd="systemresources"):
    st, _, _ = web.get("/api/api.php?cmd=" + cmd, {"Authorization": secret})
    return st


def served():
    """Requests served so far by each pool worker (status has its own)."""
    st, _, s = web.json("/status?json&full")
    return {p["pid"]: p["requests"] for p in s["processes"]}


def statuses(secret, cmd="systemresources"):
    """The statuses of requests sent, four at once, until every pool
    worker has answered at least one; None if that takes over 10s."""
    workers = pool.workers()
    base = served()
    got = set()

    def one():
        got.add(status(secret, cmd))

    def all_served():
        threads = [threading.Thread(target=one) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        now = served()
        return all(now.get(p, 0) > base.get(p, 0) for p in workers)

    return sorted(got) if T.poll(all_served, seconds=10) else None


t.is_(status(KEY), 200, "the configuration's key works")

# add: the secret is printed once, only its digest is stored.
tid, secret = add("default", "--label", "full access")
t.ok(len(secret) >= 43, "a 32-byte secret (%d characters)" % len(secret))
text = T.read(TOKENS)
t.ok(tid in text and secret not in text, "the file holds the id, not the "
     "secret")
st = os.stat(TOKENS)
t.is_(stat.S_IMODE(st.st_mode), 0o640, "the file is mode 0640")
t.is_(statuses(secret), [200], "a new token works at once on every worker")

# Per-command restriction.
rid, restricted = add("default", "read", "cmd:systemresources",
                      "--label", "monitoring")
t.is_(statuses(restricted), [200], "cmd-restricted: its own command is 200")
t.is_(status(restricted, "getharddrivers"), 403,
      "cmd-restricted: another command of its family is 403")
st, _, body = web.json("/api/api.php?cmd=sippeers",
                       {"Authorization": restricted})
t.is_(st, 403, "cmd-restricted: another family's command is 403")
t.like(str(body), "not allowed", "the 403 says why")
fid, fam = add("default", "read", "family:system")
t.is_(status(fam, "getharddrivers"), 200, "family-restricted: a command of "
      "the family is 200")
t.is_(status(fam, "sippeers"), 403, "family-restricted: another family's "
      "command is 403")
crm_id, crm = add("default", "cmd:cdrreport", "cmd:getwavfile")
t.is_(status(crm), 403, "cdrreport+getwavfile: systemresources is 403")
t.is_(status(crm, "originatecall"), 403, "cdrreport+getwavfile: "
      "originatecall is 403")
ro_id, ro = add("default", "read")
t.is_(status(ro, "originatecall"), 403, "a read token still lacks write")

# An ARI token: its secret is the user:password an ARI client sends.
aid, ari = add("default", "ari-read")
t.like(ari, ":", "an ari-read token's secret is user:password")
H = {"Authorization": "Basic " + T.b64(ari)}
st, _, _ = web.get("/ari/channels", H)
t.ok(st != 401, "the ARI dialect takes it (%d)" % st)
user = ari.split(":")[0]
st, _, _ = web.get("/ari/channels",
                   {"Authorization": "Basic " + T.b64(user + ":wrong")})
t.is_(st, 401, "the same user with another password is 401")

# The CLI refuses what would not work.
rc, out, err = cli("add", "nosuchtenant")
t.ok(rc == 1 and "no tenant 'nosuchtenant'" in err, "add: an unknown "
     "tenant is exit 1: " + err.strip())
rc, out, err = cli("add", "default", "cmd:nosuchcmd")
t.ok(rc == 1 and "no command 'nosuchcmd'" in err, "add: an unknown "
     "command is exit 1: " + err.strip())
rc, out, err = cli("add", "default", "read", "cmd:getwavfile")
t.ok(rc == 1 and "needs the scope 'recordings'" in err, "add: a command "
     "the scopes do not allow is exit 1: " + err.strip())
rc, out, err = cli("add", "default", "bogus")
t.ok(rc == 1 and "unknown scope 'bogus'" in err, "add: an unknown scope: " +
     err.strip())
rc, out, err = cli("frobnicate")
t.ok(rc == 2 and "usage:" in err, "an unknown verb is exit 2 with usage")
rc, out, err = cli("revoke", "000000000000")
t.ok(rc == 1 and "no token '000000000000'" in err, "revoke: an unknown id "
     "is exit 1")

# list: ids, tenants, scopes, labels; never a secret.
rc, out, err = cli("list")
t.ok(rc == 0 and tid in out and rid in out and "monitoring" in out and
     "read,cmd:systemresources" in out, "list shows ids, scopes and labels")
t.ok(secret not in out and restricted not in out, "list shows no secret")
rc, out, err = cli("list", "other")
t.ok(rc == 0 and tid not in out, "list TENANT shows only its tokens")

# revoke: the very next request is 401, on every worker, no reload.
master = pool.pid
rc, out, err = cli("revoke", rid)
t.is_(rc, 0, "revoke exits 0")
t.is_(statuses(restricted), [401], "revoked: every request is 401")
t.is_(statuses(secret), [200], "the other tokens still work")
t.is_(pool.pid, master, "no reload: the same master")

# rotate: old and new both work during the overlap, then only the new.
rc, out, err = cli("rotate", tid, "--overlap", "5s")
m = re.match(r"id: ([0-9a-f]{12})\ntoken: (\S+)\n$", out)
t.ok(rc == 0 and m is not None, "rotate prints a new token")
t.like(err, "is refused from", "and says when the old one ends")
nid, new = m.groups() if m else ("", "")
t.ok(nid != tid, "the new token has its own id")
rc, out, err = cli("list")
t.like(out, "%s  default" % nid, "the new token is listed")
t.ok(re.search(r"%s .*full access" % nid, out) is not None,
     "the new token keeps the label")
t.is_(statuses(secret), [200], "during the overlap the old one works")
t.is_(statuses(new), [200], "and the new one too")
ok = T.poll(lambda: status(secret) == 401, seconds=15, step=0.2)
t.ok(ok, "after the overlap the old one is 401")
t.is_(statuses(secret), [401], "on every worker")
t.is_(statuses(new), [200], "the new one still works")

# A corrupt file: the workers keep their last good set, the CLI stops.
good = T.read(TOKENS)
tmp = TOKENS + ".bad"
T.write(tmp, good + "this is not a token line\n", mode=0o644)
os.rename(tmp, TOKENS)
t.is_(statuses(new), [200], "a corrupt file keeps the last good set")
T.wait_for(lambda: "keeping the last good set" in pool.log(), 5,
           what="the log line")
t.like(pool.log(), "line %d: " % (good.count("\n") + 1),
       "the log names the bad line")
t.is_(pool.log().count("keeping the last good set"), 2,
      "logged once per worker, not once per request")
rc, out, err = cli("add", "default")
t.ok(rc == 1 and "fix or restore it" in err, "the CLI refuses to rewrite a "
     "corrupt file: " + err.strip())
T.write(tmp, good, mode=0o644)
os.rename(tmp, TOKENS)

# Concurrent CLIs: every change lands (flock around read-modify-write).
procs = [subprocess.Popen([pool.binary, "-c", pool.conf, "token", "add",
                           "other", "--label", "c%d" % i],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) for i in range(6)]
ids = []
for p in procs:
    out, _ = p.communicate(timeout=30)
    m = re.match(r"id: ([0-9a-f]{12})\n", out)
    if p.returncode == 0 and m:
        ids.append(m.group(1))
t.is_(len(ids), 6, "six CLIs at once all succeed")
rc, out, err = cli("list", "other")
t.is_(sum(1 for i in ids if i in out), 6, "and all six tokens are in the "
      "file")

# --expires: refused once not-after has passed.
eid, exp = add("default", "--expires", "1s")
ok = T.poll(lambda: status(exp) == 401, seconds=10, step=0.2)
t.ok(ok, "a token past its --expires is 401")
t.is_(status(KEY), 200, "the configuration's key still works")
t.done()
