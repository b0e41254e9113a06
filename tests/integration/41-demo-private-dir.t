#!/usr/bin/env python3
# make demo from a clone whose parent directory others cannot enter (a
# clone under /root, mode 0700) and with no shared material reachable
# (no ../shared, no PBXAPI_SHARED: the demo serves its own copies in
# deploy/demo/): the services that run as unprivileged users
# (PostgreSQL, the pool's workers) get directories they can reach, every
# dialect answers, and demo-stop stops it all.
import atexit
import base64
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T  # noqa: E402
import fusionpbx as F  # noqa: E402


def clone_files():
    """The files a clone of this checkout has (tracked or new, not
    ignored), or None when it is not a git checkout."""
    try:
        r = subprocess.run(["git", "-C", T.ROOT, "ls-files", "-z",
                            "--cached", "--others", "--exclude-standard"],
                           capture_output=True, timeout=60)
    except OSError:
        return None
    if r.returncode != 0:
        return None
    return [f for f in r.stdout.decode().split("\0") if f]


t = T.Tap(timeout=240)
top = T.tmpdir("pbxapi-private-")
os.chmod(top, 0o700)
root = os.path.join(top, "pbxapi")
files = clone_files()
if files is None:  # a source tree without git: all of it but its output
    shutil.copytree(T.ROOT, root, symlinks=True,
                    ignore=shutil.ignore_patterns(".git", "build*", "run",
                                                  "__pycache__"))
else:
    for f in files:
        src = os.path.join(T.ROOT, f)
        if os.path.lexists(src):  # not deleted from the work tree
            os.makedirs(os.path.dirname(os.path.join(root, f)),
                        exist_ok=True)
            shutil.copy2(src, os.path.join(root, f), follow_symlinks=False)
t.ok(not T.reachable(root), "the clone's parent is private (mode 0700)")
# The binaries come through PBXAPI_BUILD (building here would take
# minutes); no shared material comes at all.
t.ok(not os.path.lexists(os.path.join(top, "shared")) and
     not os.path.lexists(os.path.join(root, "shared")),
     "no shared material beside or in the clone")
port = T.free_port()
env = dict(os.environ, PORT=str(port), PBXAPI_BUILD=T.BUILD)
env.pop("PBXAPI_SHARED", None)
demo = os.path.join(root, "deploy", "demo", "run")


def cleanup():
    """Stops the demo and removes the directories it made under the
    system's temporary directory (a private clone's services cannot use
    run/demo; pbxtest._detached_dir): over 100 MB each, named after this
    test's random clone, so no later start would reuse them."""
    subprocess.run([sys.executable, demo, "stop"], env=env, cwd=root,
                   capture_output=True, timeout=60)
    run = os.path.join(root, "run", "demo")
    for name in os.listdir(run) if os.path.isdir(run) else ():
        link = os.path.join(run, name)
        if os.path.islink(link):
            top = os.path.dirname(os.readlink(link))
            if os.path.basename(top).startswith("pbxapi-demo-"):
                shutil.rmtree(top, ignore_errors=True)


# Whatever happens below, nothing outlives the test (atexit runs this
# before pbxtest's cleanup removes the clone).
atexit.register(cleanup)
r = subprocess.run([sys.executable, demo, "start"], env=env, cwd=root,
                   capture_output=True, text=True, timeout=180)
if not t.is_(r.returncode, 0, "make demo starts from the private clone"):
    t.diag((r.stdout + r.stderr)[-2000:])
    t.done()
vals = {}
for line in T.read(os.path.join(root, "run", "demo",
                                "endpoints.env")).splitlines():
    k, _, v = line.partition("=")
    vals[k] = v.strip("'\"")
t.is_(vals.get("BASE_URL"), "http://127.0.0.1:%d" % port,
      "endpoints.env names the base URL")
web = T.Web()
web.port = port
st, _, body = web.request("GET", "/api/api.php?cmd=sippeers",
                          {"Authorization": vals.get("ELASTIX_KEY", "")})
t.ok(st == 200 and b'"ObjectName":"100"' in body,
     "the ?cmd= dialect answers (sippeers, over the AMI double)")
st, _, body = web.request("GET", "/api/api.php?cmd=activecall",
                          {"Authorization": vals.get("ELASTIX_KEY", "")})
t.ok(st == 200 and b"PJSIP\\/102-00000000" in body,
     "activecall lists the captured channels")
st, _, body = web.request(
    "GET", "/api/api.php?cmd=cdrreport&limit=1",
    {"Authorization": vals.get("ELASTIX_KEY", "")})
t.is_(st, 200, "its MariaDB answers (cdrreport)")
st, _, body = web.request(
    "POST", "/app/rest_api/rest.php",
    F.auth(vals.get("FUSIONPBX_KEY_ID", ""), vals.get("FUSIONPBX_SECRET", "")),
    ('{"action":"domain-details","domain_uuid":"%s"}' %
     vals.get("FUSIONPBX_DOMAIN", "")).encode())
t.ok(st == 200 and b"fusionpbx.example.net" in body,
     "the FusionPBX dialect and its PostgreSQL answer")
st, _, body = web.request(
    "POST", "/app/rest_api/rest.php",
    F.auth(vals.get("FUSIONPBX_KEY_ID", ""), vals.get("FUSIONPBX_SECRET", "")),
    ('{"action":"extension-list","domain_uuid":"%s"}' %
     vals.get("FUSIONPBX_DOMAIN", "")).encode())
t.ok(st == 200 and [e["extension"] for e in json.loads(body)] ==
     ["100", "101"], "and list the seed's extensions")
ari = {"Authorization": "Basic " + base64.b64encode(
    ("%s:%s" % (vals.get("ARI_USER", ""), vals.get("ARI_PASSWORD", "")))
    .encode()).decode()}
st, _, body = web.request(
    "POST", "/ari/channels?endpoint=Local/600@test&app=demo", ari)
t.is_(st, 200, "the ARI dialect originates over the ARI double")
made = json.loads(body).get("id") if st == 200 else None
st, _, body = web.request("GET", "/ari/channels", ari)
t.ok(st == 200 and made in [c["id"] for c in json.loads(body)],
     "and lists the channels, the new one among them")
st, _, body = web.request("DELETE", "/ari/channels/%s" % made, ari)
t.is_(st, 204, "and hangs it up")
ami = {"Authorization": "Basic " + base64.b64encode(
    ("%s:%s" % (vals.get("ARI_AMI_USER", ""),
                vals.get("ARI_AMI_PASSWORD", ""))).encode()).decode()}
st, _, body = web.request("GET", "/ari/channels", ami)
t.ok(st == 200 and isinstance(json.loads(body), list),
     "a second tenant serves the same API over the AMI double")
st, _, body = web.request(
    "POST", "/ari/channels?endpoint=PJSIP/101&extension=102"
    "&context=from-internal&priority=1", ami)
t.ok(st == 200 and json.loads(body).get("name") == "PJSIP/101",
     "and originates over it")
rec = {"X-Auth-Token": vals.get("RECORDING_TOKEN", ""),
       "Content-Type": "application/json"}
st, _, body = web.request("POST", "/records/search?pageSize=3", rec,
                          b'{"agent":"2000"}')
t.ok(st == 200 and len(json.loads(body)["records"]) == 3,
     "the recording server searches its generated calls")
st, _, body = web.request(
    "POST", "/recording/records/callid_search?callid=1459435466.286075", rec)
t.ok(st == 200 and json.loads(body)["records"][0]["id"] ==
     "xivocc_gateway-1459435465.15089", "and finds the seed's example call")
st, hdr, body = web.request("GET", "/records/gw-1768000000.2/audio",
                            {"X-Auth-Token": rec["X-Auth-Token"],
                             "Range": "bytes=0-99"})
t.ok(st == 206 and len(body) == 100 and body[:4] == b"RIFF",
     "and serves a WAV the demo made, by ranges")
st, hdr, body = web.request("GET", "/admin/")
t.ok(st == 200 and b"app.js" in body and
     "content-security-policy" in hdr,
     "the admin panel is served (from a copy nginx's user can read)")
st, _, body = web.request("GET", "/api/api.php?cmd=sippeers",
                          {"Authorization": vals.get("ADMIN_TOKEN", "")})
t.is_(st, 200, "its token reads the extensions")
r = subprocess.run([sys.executable, demo, "stop"], env=env, cwd=root,
                   capture_output=True, text=True, timeout=60)
t.is_((r.returncode, r.stdout.strip()), (0, "demo stopped"),
      "demo-stop stops it")
t.ok(T.poll(lambda: not os.path.exists(os.path.join(root, "run", "demo",
                                                    "pids")), 10),
     "nothing is left running")
t.done()
