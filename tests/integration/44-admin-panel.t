#!/usr/bin/env python3
# The example admin panel (deploy/admin, docs/admin-panel.md) in a real
# browser: headless chromium under chromedriver (tests/lib/webdriver.py)
# against the demo stack (deploy/demo/run, as make demo starts it) signs
# in with the demo's admin token, lists the extensions, places a call
# over ARI and sees it, hangs it up and sees it go, searches the call
# records and plays the first second of a recording through a signed
# URL.  Any console error, failed request or 4xx/5xx answer fails it.
# Screenshots are kept in the test's temporary directory (named below).
import atexit
import base64
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T  # noqa: E402
import webdriver as W  # noqa: E402

why = W.missing()
if why:
    print("1..0 # SKIP %s" % why)
    sys.exit(0)

t = T.Tap(timeout=170)

# The page's own rules, read from its files: no inline script or style
# (the CSP forbids them), no innerHTML, no localStorage.
ADMIN = os.path.join(T.ROOT, "deploy", "admin")
html = T.read(os.path.join(ADMIN, "index.html"))
app = T.read(os.path.join(ADMIN, "app.js"))
scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
t.ok(scripts and all(re.search(r'\ssrc="[^"]+"', a) and not c.strip()
                     for a, c in scripts),
     "index.html has no inline script")
t.ok(re.search(r"\son[a-z]+\s*=|\sstyle\s*=|<style", html) is None,
     "index.html has no event-handler attributes or inline styles")
t.ok(re.search(r"\.(innerHTML|outerHTML|insertAdjacentHTML)\b|"
               r"document\.write", app) is None,
     "app.js never parses server text as HTML")
t.ok(re.search(r"\blocalStorage\s*[.[]", app) is None,
     "app.js never uses localStorage")
t.ok(re.search(r"https?://", html + app) is None,
     "the page loads nothing from another origin")

# The demo, from a copy of what deploy/demo/run reads (so that a demo
# the developer runs from this clone is left alone).
top = T.tmpdir("pbxapi-panel-")
root = os.path.join(top, "pbxapi")
for d in ("deploy", "sql", os.path.join("tests", "lib")):
    shutil.copytree(os.path.join(T.ROOT, d), os.path.join(root, d),
                    ignore=shutil.ignore_patterns("__pycache__"))
port = T.free_port()
env = dict(os.environ, PORT=str(port), PBXAPI_BUILD=T.BUILD)
demo = os.path.join(root, "deploy", "demo", "run")
# atexit runs these before pbxtest's cleanup removes the directories.
atexit.register(lambda: subprocess.run(
    [sys.executable, demo, "stop"], env=env, cwd=root, capture_output=True,
    timeout=60))
r = subprocess.run([sys.executable, demo, "start"], env=env, cwd=root,
                   capture_output=True, text=True, timeout=120)
if not t.is_(r.returncode, 0, "the demo starts"):
    t.diag((r.stdout + r.stderr)[-2000:])
    t.done()
vals = {}
for line in T.read(os.path.join(root, "run", "demo",
                                "endpoints.env")).splitlines():
    k, _, v = line.partition("=")
    vals[k] = v
url = "http://127.0.0.1:%d/admin/" % port
t.is_(vals.get("ADMIN_URL"), url, "endpoints.env names the panel's URL")
t.like(r.stdout, url, "and the demo prints it")
token = vals.get("ADMIN_TOKEN", "")

# What the shipped nginx snippet serves.
web = T.Web()
web.port = port
st, hdr, body = web.request("GET", "/admin/")
csp = hdr.get("content-security-policy", "")
t.ok(st == 200 and "script-src 'self';" in csp and "unsafe" not in csp and
     "default-src 'none'" in csp and "frame-ancestors 'none'" in csp,
     "/admin/ is served under a strict CSP")
t.is_((hdr.get("x-content-type-options"), hdr.get("referrer-policy")),
      ("nosniff", "no-referrer"), "with nosniff and no referrer")
st, hdr, _ = web.request("GET", "/admin/app.js")
t.like(hdr.get("content-type", ""), "application/javascript",
       "the module script has a JavaScript type")
st, hdr, _ = web.request("GET", "/admin")
t.is_((st, hdr.get("location", "").endswith("/admin/")), (301, True),
      "/admin redirects to /admin/")

# What the server says, to compare the page with.
elastix = {"Authorization": token}
st, _, body = web.request("GET", "/api/api.php?cmd=sippeers", elastix)
exts = [b["ObjectName"] for b in json.loads(body)
        if b.get("Event") == "EndpointList"]
t.ok(st == 200 and len(exts) >= 2, "the admin token reads the extensions "
     "(%d)" % len(exts))

shots = os.path.join(top, "screenshots")
os.makedirs(shots)
b = W.Browser(top)
atexit.register(b.quit)


def shot(name, section=None):
    """A screenshot of the viewport, scrolled to section (a CSS selector)."""
    if section:
        b.js("document.querySelector(arguments[0]).scrollIntoView()",
             section)
    path = b.screenshot(os.path.join(shots, name + ".png"))
    t.diag("screenshot: %s" % path)


def rows(table):
    return b.js("return Array.from(document.querySelectorAll("
                "'#%s tbody tr'), r => [r.dataset.id || ''].concat("
                "Array.from(r.cells, c => c.textContent)))" % table)


b.get(url)
t.ok(b.wait("return document.readyState === 'complete' && "
            "!!document.querySelector('#signin')"), "the panel loads")
shot("01-signin")

# A wrong token: refused by all three dialects, the page says so and
# stays signed out.  Those three 401s are the only failures expected.
b.type("#token", token + "x")
b.click("#signin-button")
t.ok(b.wait("const e = document.getElementById('error'); "
            "return !e.hidden && e.textContent"), "a wrong token is refused")
t.ok(b.js("return document.getElementById('app').hidden && "
          "!document.getElementById('signin-section').hidden"),
     "and the panel stays signed out")
refused = b.problems()
t.is_(sorted(p.split("/", 3)[-1] for p in refused
             if p.startswith("response: 401 ")),
      ["api/api.php?cmd=sippeers", "ari/channels",
       "records/search?pageSize=20&cursor="],
      "after one 401 from each dialect")
t.ok(all(p.startswith("response: 401 ") or "status of 401" in p
         for p in refused), "and nothing else went wrong")
b.mark()
b.type("#token", token)
b.click("#signin-button")
t.ok(b.wait("return !document.getElementById('app').hidden"),
     "signing in with the demo's admin token shows the panel")
t.ok(b.wait("return document.querySelectorAll('#extensions tbody tr')"
            ".length === arguments[0]", 15, len(exts)),
     "the extension list shows the demo's %d extensions" % len(exts))
t.is_([x[1] for x in rows("extensions")], exts,
      "the same extensions, in the server's order")
t.is_(b.js("return [localStorage.length, sessionStorage.length, "
           "document.getElementById('token').value]"), [0, 0, ""],
      "the token is kept in no storage and not in the form")
shot("02-signed-in")

# With nginx's nchan module the demo serves /events/ and the panel's call
# list follows the tenant's stream (docs/operations.md "Pushing events").
if T.nchan_module():
    t.ok(T.poll(lambda: b.js("return document.readyState") and any(
        "/events/default?" in u for u in b.requests()), 10, 0.1),
         "the call list subscribes to /events/default")


    def stream_ok():
        b.problems()  # reads the browser's logs into b.network
        return any(m.get("method") == "Network.responseReceived" and
                   "/events/default?" in m["params"]["response"]["url"] and
                   m["params"]["response"]["status"] == 200 and
                   "text/event-stream" in m["params"]["response"].get(
                       "mimeType", "") for m in b.network)
    t.ok(T.poll(stream_ok, 10, 0.1),
         "and nginx answers it with 200, text/event-stream")
else:
    t.skip("the call list subscribes to /events/default",
           "no nchan module (%s)" % T.NCHAN_SO)
    t.skip("and nginx answers it with 200, text/event-stream",
           "no nchan module")

# Originate from the first extension and see the call appear.
b.js("document.getElementById('from').value = arguments[0]",
     "PJSIP/" + exts[0])
b.type("#to", "200")
b.click("#originate-button")
call = b.wait("const r = Array.from(document.querySelectorAll("
              "'#calls tbody tr')).find(r => r.cells[0].textContent"
              ".startsWith(arguments[0])); return r && r.dataset.id",
              15, "PJSIP/%s-" % exts[0])
t.ok(call, "a placed call appears in the active-call list (%s)" % call)
ari = {"Authorization": "Basic " + base64.b64encode(
    token.encode()).decode()}
st, _, body = web.request("GET", "/ari/channels", ari)
t.ok(st == 200 and call in [c["id"] for c in json.loads(body)],
     "ARI lists the same channel")
t.like(" ".join(next((r for r in rows("calls") if r[0] == call), [])),
       "200", "the row names the dialled number")
shot("03-call", "#calls-section")

# Hang it up and see it go, from the list and from ARI.
b.click('#calls tbody tr[data-id="%s"] button' % call)
t.ok(b.wait("return !Array.from(document.querySelectorAll("
            "'#calls tbody tr')).some(r => r.dataset.id === arguments[0])",
            15, call), "hanging up removes the call from the list")
st, _, body = web.request("GET", "/ari/channels", ari)
t.ok(st == 200 and call not in [c["id"] for c in json.loads(body)],
     "and ARI no longer has it")

# Search the call records: all of them, then by caller.
rec = {"X-Auth-Token": token, "Content-Type": "application/json"}
st, _, body = web.request("POST", "/records/search?pageSize=20", rec, b"{}")
want = [x["id"] for x in json.loads(body)["records"]]
t.ok(st == 200 and len(want) >= 2, "the recording dialect has %d records"
     % len(want))
b.click("#search-button")
t.ok(b.wait("return Array.from(document.querySelectorAll('#records tbody "
            "tr'), r => r.dataset.id).join() === arguments[0]", 15,
            ",".join(want)), "a search lists the records, newest first")
b.type("#caller", "101")
b.click("#search-button")
t.ok(b.wait("const r = document.querySelectorAll('#records tbody tr'); "
            "return r.length === 1 && r[0].cells[1].textContent === '101'"),
     "a search by caller lists that caller's calls only")
got = rows("records")
t.is_(len(got), 1, "one record for caller 101")
shot("04-records", "#records-section")

# Play the first second of the recording through a signed URL.
b.click('#records tbody tr[data-id="%s"] button' % got[0][0])
played = b.js_async("""
    const done = arguments[arguments.length - 1];
    const a = document.getElementById('player');
    const check = () => {
        if (a.error) done({error: a.error.code});
        else if (a.currentTime > 1 || a.ended)
            done({time: a.currentTime, src: a.currentSrc});
    };
    a.addEventListener('timeupdate', check);
    a.addEventListener('ended', check);
    a.addEventListener('error', check);
    check();
""")
t.ok(isinstance(played, dict) and "time" in played,
     "the recording plays past its first second (%r)" % (played,))
src = (played or {}).get("src", "")
t.ok(re.search(r"/records/%s/audio/listen\?.*signature=" % re.escape(
    got[0][0]), src) is not None, "from its signed URL")
t.ok(token not in src and b.js("return document.body.textContent"
                               ".includes(arguments[0])", token) is False,
     "the token is neither in the URL nor on the page")
shot("05-playing", "#records-section")

# Nothing went wrong in the browser meanwhile.
bad = b.problems()
for p in bad:
    t.diag(p)
t.is_(bad, [], "no console error, failed request or 4xx/5xx answer")
# The control: a request that fails is seen.
b.js("fetch('/admin/no-such-file').catch(() => {})")
t.ok(T.poll(lambda: any("404" in p and "/admin/no-such-file" in p
                        for p in b.problems()), 10, 0.1),
     "(and a 404 the page asks for would have been seen)")
bad_after_control = b.problems()

b.click("#signout")
t.ok(b.wait("return document.getElementById('app').hidden && "
            "document.querySelectorAll('#calls tbody tr, #records tbody tr')"
            ".length === 0"), "signing out hides and clears the panel")
t.is_(b.js("const a = document.getElementById('player'); "
           "return [a.paused, a.hasAttribute('src'), a.networkState, "
           "document.getElementById('error').hidden]"),
      [True, False, 0, True],
      "and stops the player without an error")
t.is_(b.problems(), [r for r in bad_after_control],
      "still nothing else went wrong")

# Kept in this tab on request: a reload signs in again, signing out
# forgets it.  (The reload may cancel a request of the page it leaves:
# problems are read from the new page on.)
b.type("#token", token)
b.click("#keep")
b.click("#signin-button")
t.ok(b.wait("return !document.getElementById('app').hidden && "
            "sessionStorage.length === 1 && localStorage.length === 0"),
     "asked to, the page keeps the token in sessionStorage only")
b.get(url)
t.ok(b.wait("return !document.getElementById('app').hidden && "
            "document.querySelectorAll('#extensions tbody tr').length"),
     "and a reload signs in with it")
b.mark()
b.click("#signout")
t.ok(b.wait("return document.getElementById('app').hidden && "
            "sessionStorage.length === 0"), "signing out forgets it")
t.is_(b.problems(), [], "and nothing went wrong meanwhile")
t.done()
