"""A small W3C WebDriver client over chromedriver, in the standard library.

Drives Debian's chromium through Debian's chromium-driver, so that a
browser test needs no npm download: chromedriver speaks WebDriver over
HTTP, and its "goog:loggingPrefs" give the browser's console
(severity, text) and the DevTools performance log, from which
requests that failed or answered 4xx/5xx are read.

    b = Browser(tmp)            # None-safe: Browser.missing() says why not
    b.get(url); b.type("#token", "secret"); b.click("#signin button")
    b.wait("return document.querySelectorAll('#calls tr').length > 0")
    b.screenshot(path); b.problems(); b.quit()
"""
import base64
import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request

import pbxtest as T

CHROMIUM = os.environ.get("PBXAPI_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("PBXAPI_CHROMEDRIVER", "/usr/bin/chromedriver")
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


class WebDriverError(Exception):
    pass


def missing():
    """Why the browser cannot run here, or None."""
    for p in (CHROMIUM, CHROMEDRIVER):
        if not os.access(p, os.X_OK):
            return "%s is not installed (Debian: chromium, chromium-driver)" \
                % p
    return None


class Browser:
    """Headless chromium under chromedriver, with a session open."""

    def __init__(self, tmp, width=1200, height=1000):
        self.tmp = tmp
        self.port = T.free_port()
        log = os.path.join(tmp, "chromedriver.log")
        self.proc = subprocess.Popen(
            [CHROMEDRIVER, "--port=%d" % self.port, "--log-path=" + log],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=dict(os.environ, HOME=tmp))
        self.base = "http://127.0.0.1:%d" % self.port
        if not T.poll(self._ready, 20):
            self.proc.kill()
            raise WebDriverError("chromedriver did not start (see %s)" % log)
        args = ["--headless=new", "--disable-gpu", "--no-first-run",
                "--disable-dev-shm-usage", "--mute-audio",
                "--autoplay-policy=no-user-gesture-required",
                "--disable-background-networking", "--disable-extensions",
                "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + os.path.join(tmp, "profile"),
                "--window-size=%d,%d" % (width, height)]
        if os.geteuid() == 0:
            # Chromium refuses to run as root inside its own sandbox.
            args.append("--no-sandbox")
        caps = {"browserName": "chrome",
                "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
                "goog:loggingPrefs": {"browser": "ALL",
                                      "performance": "ALL"}}
        v = self._call("POST", "/session",
                       {"capabilities": {"alwaysMatch": caps}})
        self.session = "/session/" + v["sessionId"]
        self._call("POST", self.session + "/timeouts",
                   {"script": 30000, "pageLoad": 30000, "implicit": 0})
        self.console = []
        self.network = []
        self.first_url = None
        self.marks = (0, 0)

    def _ready(self):
        try:
            with urllib.request.urlopen(self.base + "/status", timeout=2) as r:
                return json.load(r)["value"].get("ready")
        except (OSError, ValueError, KeyError):
            return False

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base + path, data=data, method=method,
            headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.load(r).get("value")
        except urllib.error.HTTPError as e:
            try:
                v = json.load(e).get("value", {})
                why = "%s: %s" % (v.get("error"), v.get("message", ""))
            except ValueError:
                why = str(e)
            raise WebDriverError("%s %s: %s" % (method, path,
                                                why.splitlines()[0]))

    def get(self, url):
        """Navigates to url.  The first call also starts what problems()
        reports: Debian's chromium opens its own start page first (a
        search engine's, which fails offline), and that page is none of
        the test's business."""
        if self.first_url is None:
            self._logs()
            self.console = []
            self.first_url = url
        self._call("POST", self.session + "/url", {"url": url})

    def find(self, css):
        v = self._call("POST", self.session + "/element",
                       {"using": "css selector", "value": css})
        return v[ELEMENT]

    def click(self, css):
        self._call("POST", "%s/element/%s/click" % (self.session,
                                                   self.find(css)), {})

    def type(self, css, text):
        eid = self.find(css)
        self._call("POST", "%s/element/%s/clear" % (self.session, eid), {})
        self._call("POST", "%s/element/%s/value" % (self.session, eid),
                   {"text": text})

    def js(self, script, *args):
        """Runs script (a function body) in the page; its return value."""
        return self._call("POST", self.session + "/execute/sync",
                          {"script": script, "args": list(args)})

    def js_async(self, script, *args):
        """Runs script, which calls arguments[arguments.length - 1] with
        its result, within the script timeout (30 s)."""
        return self._call("POST", self.session + "/execute/async",
                          {"script": script, "args": list(args)})

    def wait(self, script, timeout=15, *args):
        """Polls script until it returns a true value, within timeout
        seconds; returns that value, or None."""
        found = [None]

        def check():
            found[0] = self.js(script, *args)
            return found[0]
        return found[0] if T.poll(check, timeout, 0.1) else None

    def screenshot(self, path):
        png = self._call("GET", self.session + "/screenshot")
        T.write(path, base64.b64decode(png))
        return path

    def _logs(self):
        """Drains chromedriver's browser and performance logs."""
        for e in self._call("POST", self.session + "/se/log",
                            {"type": "browser"}) or []:
            self.console.append(e)
        for e in self._call("POST", self.session + "/se/log",
                            {"type": "performance"}) or []:
            try:
                self.network.append(json.loads(e["message"])["message"])
            except (KeyError, ValueError):
                pass

    def mark(self):
        """From now on, problems() reports only what happens after this
        (after a step that fails on purpose)."""
        self._logs()
        self.marks = (len(self.console), len(self.network))

    def problems(self):
        """What went wrong in the page since its first navigation (or
        mark()), one line each: console messages of severity SEVERE
        (errors, uncaught exceptions, CSP violations, failed loads),
        requests that failed, and responses of status 400 or more."""
        self._logs()
        out = ["console: %s" % e.get("message", "")
               for e in self.console[self.marks[0]:]
               if e.get("level") == "SEVERE"]
        urls = {}
        for i, m in enumerate(self.network):
            if m.get("method") == "Page.frameStartedNavigating" and \
                    m.get("params", {}).get("url") == self.first_url:
                break
        else:
            return out + ["navigation to %s is not in the performance log"
                          % self.first_url]
        streams = set()
        for m in self.network:
            if m.get("method") == "Network.requestWillBeSent":
                p = m.get("params", {})
                urls[p.get("requestId")] = p.get("request", {}).get("url")
                if p.get("type") == "EventSource":
                    streams.add(p.get("requestId"))
        for m in self.network[max(i, self.marks[1]):]:
            p = m.get("params", {})
            if m.get("method") == "Network.responseReceived":
                r = p.get("response", {})
                if r.get("status", 0) >= 400:
                    out.append("response: %s %s" % (r.get("status"),
                                                    r.get("url")))
            elif m.get("method") == "Network.loadingFailed":
                # EventSource.close() cancels its request: not a failure.
                if p.get("canceled") and p.get("requestId") in streams:
                    continue
                out.append("request failed: %s %s%s" % (
                    urls.get(p.get("requestId"), p.get("requestId")),
                    p.get("errorText"),
                    " (canceled)" if p.get("canceled") else ""))
        return out

    def requests(self):
        """The URLs the page requested so far."""
        self._logs()
        return [m["params"]["request"]["url"] for m in self.network
                if m.get("method") == "Network.requestWillBeSent"]

    def quit(self):
        try:
            self._call("DELETE", self.session)
        except (WebDriverError, OSError, AttributeError):
            pass
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(os.path.join(self.tmp, "profile"), ignore_errors=True)
