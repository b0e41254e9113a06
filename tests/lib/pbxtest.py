"""pbxtest: the integration-test harness of pbxapi.

Starts the real parts in a private temporary directory: the pbxapi pool,
nginx (or lighttpd, or Apache) in front of it, MariaDB and PostgreSQL on
unix sockets, and pbxapi's own protocol doubles; talks HTTP to them;
prints TAP.

Every process started here is stopped when the test exits, also on failure
or timeout.  Python 3 standard library only.

A test file looks like:

    import pbxtest as T
    t = T.Tap()
    pool = T.Pool(conf={"API_SECRET_KEY": "k"})
    web = T.Nginx(pool)
    st, hdr, body = web.get("/api/api.php?cmd=auth", {"Authorization": "k"})
    t.is_(st, 200, "auth answers")
    t.done()
"""

import atexit
import base64
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zlib

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("PBXAPI_BUILD", os.path.join(ROOT, "build"))
SHARED = os.environ.get("PBXAPI_SHARED", os.path.join(ROOT, "..", "shared"))
IS_ROOT = os.geteuid() == 0
# Debian keeps the servers (nginx, lighttpd, mariadbd) in /usr/sbin, which
# is not on an ordinary user's PATH.
for _d in ("/usr/sbin", "/sbin"):
    if _d not in os.environ.get("PATH", "").split(":"):
        os.environ["PATH"] = os.environ.get("PATH", "") + ":" + _d
RUN_USER = "nobody" if IS_ROOT else pwd.getpwuid(os.geteuid()).pw_name
PG_USER = "pbxapi-test"

_procs = []
_cleanups = []

# Detached mode (make demo): processes outlive the script, directories
# are made under RUN_BASE and kept, and every pid goes to RUN_BASE/pids.
DETACHED = False
RUN_BASE = None


def detach(base):
    """Switches to detached mode with directories under base."""
    global DETACHED, RUN_BASE
    DETACHED = True
    RUN_BASE = base
    os.makedirs(base, exist_ok=True)
    os.chmod(base, 0o755)


def _remember(pid):
    if DETACHED:
        with open(os.path.join(RUN_BASE, "pids"), "a") as f:
            f.write("%d\n" % pid)


def _cleanup():
    for fn in reversed(_cleanups):
        try:
            fn()
        except Exception:
            pass
    for p in reversed(_procs):
        try:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(3)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(3)
        except Exception:
            pass


atexit.register(_cleanup)


def _on_signal(sig, frame):
    sys.exit(128 + sig)


signal.signal(signal.SIGTERM, _on_signal)


def timeout(seconds):
    """Fails the whole test file (with a TAP bail out) after seconds."""

    def fire(sig, frame):
        print("Bail out! test file timed out after %d s" % seconds)
        sys.stdout.flush()
        _cleanup()
        os._exit(1)

    signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)


_timeout = timeout  # for Tap, whose parameter hides the name


class Tap:
    """TAP producer: ok/is_/like/skip, plan at the end.  With timeout, the
    whole test file fails after that many seconds (see timeout)."""

    def __init__(self, timeout=None):
        self.n = 0
        self.failed = 0
        if timeout is not None:
            _timeout(timeout)

    def ok(self, cond, name):
        self.n += 1
        print("%sok %d - %s" % ("" if cond else "not ", self.n, name))
        if not cond:
            self.failed += 1
        sys.stdout.flush()
        return bool(cond)

    def is_(self, got, want, name):
        r = self.ok(got == want, name)
        if not r:
            self.diag("got:  %r" % (got,))
            self.diag("want: %r" % (want,))
        return r

    def like(self, got, needle, name):
        r = self.ok(needle in got, name)
        if not r:
            self.diag("%r not found in %r" % (needle, got[:2000]))
        return r

    def skip(self, name, why):
        """A test point that does not apply here: "ok N - name # SKIP why".

        prove reports it as skipped, not passed; never write ok(True, ...)
        for a check that did not run."""
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name.replace("#", "\\#"),
                                         why))
        sys.stdout.flush()

    def diag(self, msg):
        for line in str(msg).splitlines() or [""]:
            print("# " + line)
        sys.stdout.flush()

    def done(self):
        print("1..%d" % self.n)
        sys.stdout.flush()
        sys.exit(1 if self.failed else 0)


def reachable(path):
    """Whether other users may pass through every directory above path
    (a clone under /root, mode 0700, is not)."""
    p = os.path.abspath(path)
    while os.path.dirname(p) != p:
        p = os.path.dirname(p)
        if not os.stat(p).st_mode & 0o001:
            return False
    return True


def _detached_dir(name):
    """Where a detached service keeps its files: RUN_BASE/name, or, when
    the unprivileged users the services run as cannot reach RUN_BASE, a
    directory under the system's temporary directory that RUN_BASE/name
    links to (removed and made anew, like the first)."""
    d = os.path.join(RUN_BASE, name)
    if os.path.islink(d):
        os.unlink(d)
    shutil.rmtree(d, ignore_errors=True)
    if reachable(RUN_BASE):
        os.makedirs(d)
        os.chmod(d, 0o755)
        return d
    top = os.path.join(tempfile.gettempdir(), "pbxapi-demo-%d-%08x" % (
        os.geteuid(), zlib.crc32(RUN_BASE.encode())))
    real = os.path.join(top, name)
    shutil.rmtree(real, ignore_errors=True)
    os.makedirs(real)
    os.chmod(top, 0o755)
    os.chmod(real, 0o755)
    os.symlink(real, d)
    return real


def tmpdir(prefix="pbxapi-test-"):
    """A world-readable temporary directory, removed at exit."""
    if DETACHED:
        return _detached_dir(prefix.replace("pbxapi-", "").strip("-"))
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o755)
    if not os.environ.get("PBXAPI_KEEP_TMP"):
        _cleanups.insert(0, lambda: shutil.rmtree(d, ignore_errors=True))
    return d


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


_held = []


def closed_port(port=0):
    """A loopback port that refuses connections for as long as this test
    runs: bound (so no other process, such as a test suite running beside
    this one, can take it) but never listening.  port=0 picks one;
    another reserves a port a server just left."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    _held.append(s)
    return s.getsockname()[1]


def poll(pred, seconds=10, step=0.02):
    """Returns True as soon as pred() is true, False after seconds (an
    exception in pred counts as false).  For a check: t.ok(poll(...), name)
    fails the test point, where wait_for(...) followed by t.ok(pred())
    could not."""
    end = time.time() + seconds
    while True:
        try:
            if pred():
                return True
        except Exception:
            pass
        if time.time() >= end:
            return False
        time.sleep(step)


def wait_for(pred, seconds=10, step=0.02, what="condition"):
    """Waits for a precondition; raises (the test file dies) on timeout."""
    if not poll(pred, seconds, step):
        raise RuntimeError("timed out waiting for %s" % what)
    return True


def wait_socket(path, seconds=10):
    def ready():
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path)
            return True
        except OSError:
            return False
        finally:
            s.close()

    wait_for(ready, seconds, what="socket %s" % path)


def wait_port(port, seconds=10):
    def ready():
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            return False

    wait_for(ready, seconds, what="port %d" % port)


def spawn(argv, log=None, env=None, **kw):
    out = open(log, "ab") if log else subprocess.DEVNULL
    p = subprocess.Popen(argv, stdout=out, stderr=out, env=env,
                         start_new_session=True, **kw)
    if DETACHED:
        _remember(p.pid)
    else:
        _procs.append(p)
    return p


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def write(path, text, mode=0o644):
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(path, "wb") as f:
        f.write(text.encode() if isinstance(text, str) else text)
    os.chmod(path, mode)


def comm(pid):
    """A process's name (/proc/PID/comm), "" if it is gone."""
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


class Pool:
    """The pbxapi pool, started with a generated pbxapi.conf.

    settings: pbxapi.conf keys (global section); tenant keys (UPPER_CASE,
    env_file, token) of the default tenant go in `env`; extra text (e.g.
    [tenant x] sections) in `extra`.
    """

    def __init__(self, settings=None, env=None, extra="", binary=None,
                 start=True, env_file=None, args=(), status_listen=False):
        self.dir = tmpdir("pbxapi-pool-")
        self.sock = os.path.join(self.dir, "pbxapi.sock")
        # pm.status_listen, as shipped: status and ping on a socket (and
        # worker) of their own.  Off by default in tests that count
        # workers; nginx then sends status to the pool's socket.
        self.status_sock = (os.path.join(self.dir, "pbxapi-status.sock")
                            if status_listen else None)
        self.conf = os.path.join(self.dir, "pbxapi.conf")
        self.error_log = os.path.join(self.dir, "error.log")
        self.access_log = os.path.join(self.dir, "access.log")
        self.stdout_log = os.path.join(self.dir, "stdout.log")
        self.binary = binary or os.path.join(BUILD, "pbxapi")
        self.env_file = env_file
        self.args = list(args)
        base = {
            "listen": self.sock,
            "listen.mode": "0666",
            "error_log": self.error_log,
            "access_log": self.access_log,
            "log_level": "info",
            "pm": "static",
            "pm.max_children": "2",
            "process_control_timeout": "5s",
        }
        if IS_ROOT:
            base["user"] = RUN_USER
        if self.status_sock:
            base["pm.status_listen"] = self.status_sock
        base.update(settings or {})
        self.settings = base
        self.env = env or {}
        self.extra = extra
        self.proc = None
        self.write_conf()
        if start:
            self.start()

    def write_conf(self, settings=None, env=None, extra=None):
        if settings is not None:
            self.settings.update(settings)
        if env is not None:
            self.env = env
        if extra is not None:
            self.extra = extra
        lines = ["%s = %s" % kv for kv in self.settings.items()]
        lines += ["%s = %s" % kv for kv in self.env.items()]
        write(self.conf, "\n".join(lines) + "\n" + self.extra + "\n")

    def start(self, wait=True):
        argv = [self.binary, "-f", "-c", self.conf] + self.args
        if self.env_file:
            argv += ["-e", self.env_file]
        self.proc = spawn(argv, log=self.stdout_log)
        if wait:
            wait_socket(self.sock)
            self.wait_workers()
        return self

    @property
    def pid(self):
        return self.proc.pid

    def children(self):
        """pids of the master's children."""
        try:
            out = subprocess.run(["pgrep", "-P", str(self.pid)],
                                 capture_output=True, text=True).stdout
        except OSError:
            return []
        return [int(x) for x in out.split()]

    def workers(self):
        """pids of the pool's workers (not the status worker nor the
        event companion)."""
        return [p for p in self.children()
                if comm(p) not in ("pbxapi-status", "pbxapi-companio")]

    def companions(self):
        """pids of the event companion (comm is cut to 15 bytes)."""
        return [p for p in self.children() if comm(p) == "pbxapi-companio"]

    def status_workers(self):
        """pids of the status worker (pm.status_listen)."""
        return [p for p in self.children() if comm(p) == "pbxapi-status"]

    def wait_workers(self, n=1, seconds=10):
        wait_for(lambda: len(self.workers()) >= n, seconds,
                 what="%d workers" % n)

    def kill(self, sig):
        os.kill(self.pid, sig)

    def log(self):
        return read(self.error_log)

    def wait_log(self, needle, seconds=10):
        wait_for(lambda: needle in self.log(), seconds,
                 what="log line %r" % needle)

    def stop(self, sig=signal.SIGQUIT, seconds=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(seconds)
        return self.proc.returncode


class Web:
    """Common HTTP client side of nginx, lighttpd and Apache."""

    port = 0

    def request(self, method, path, headers=None, body=None, timeout=30):
        c = http.client.HTTPConnection("127.0.0.1", self.port,
                                       timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            return r.status, hdrs, data
        finally:
            c.close()

    def get(self, path, headers=None, **kw):
        return self.request("GET", path, headers, None, **kw)

    def post(self, path, body, headers=None, ctype=None, **kw):
        h = dict(headers or {})
        if ctype is not None:
            h["Content-Type"] = ctype
        return self.request("POST", path, h, body, **kw)

    def raw(self, data, timeout=10):
        """Sends raw bytes, returns the raw response (until close)."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout)
        try:
            s.sendall(data)
            chunks = []
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
            return b"".join(chunks)
        finally:
            s.close()

    def json(self, path, headers=None, method="GET", body=None, ctype=None):
        h = dict(headers or {})
        if ctype:
            h["Content-Type"] = ctype
        st, hdr, data = self.request(method, path, h, body)
        try:
            return st, hdr, json.loads(data) if data else None
        except ValueError:
            return st, hdr, data


NGINX_MIME = "types { application/octet-stream bin; }"


NCHAN_SO = "/usr/lib/nginx/modules/ngx_nchan_module.so"


def nchan_module():
    """The nchan module's .so (libnginx-mod-nchan), or None if it is not
    installed (a test then skips with that reason)."""
    return NCHAN_SO if os.path.exists(NCHAN_SO) else None


class Nginx(Web):
    """nginx under a private prefix, in front of a pool.

    locations: extra nginx text for the server block.
    """

    def __init__(self, pool, locations="", keep_conn=False, port=None,
                 snippet=True, server_extra="", tenant="", http_extra="",
                 modules=()):
        self.dir = tmpdir("pbxapi-nginx-")
        self.port = port or free_port()
        self.pool = pool
        self.conf = os.path.join(self.dir, "nginx.conf")
        self.error_log = os.path.join(self.dir, "error.log")
        for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        # keep_conn: False (as shipped: a FastCGI connection per
        # request), or how many idle connections nginx keeps with
        # fastcgi_keep_conn (True: 8).
        ka = ""
        if keep_conn:
            ka = "keepalive %d;" % (8 if keep_conn is True else keep_conn)
        body = ""
        if snippet:
            # The shipped snippet, with its /etc/pbxapi paths pointed here.
            text = read(os.path.join(ROOT, "deploy", "nginx", "pbxapi.conf"))
            text = text.replace("/etc/pbxapi/nginx/",
                                os.path.join(ROOT, "deploy", "nginx") + "/")
            text = text.replace("unix:/run/pbxapi/pbxapi-status.sock",
                                "unix:" + (getattr(pool, "status_sock", None)
                                          or pool.sock))
            if keep_conn:
                text = text.replace("fastcgi_pass pbxapi;",
                                    "fastcgi_keep_conn on;\n"
                                    "    fastcgi_pass pbxapi;")
            write(os.path.join(self.dir, "pbxapi-snippet.conf"), text)
            body = "set $pbxapi_tenant \"%s\";\n        include %s;" % (
                tenant, os.path.join(self.dir, "pbxapi-snippet.conf"))
        # modules: dynamic modules' .so paths (load_module), e.g.
        # nchan_module() for the event tests.
        text = "".join("load_module %s;\n" % m for m in modules) + """
daemon off;
master_process on;
worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log info;
events { worker_connections 4096; }
http {
    %(mime)s
    access_log %(d)s/access.log;
    client_body_temp_path %(d)s/client_body;
    proxy_temp_path %(d)s/proxy;
    fastcgi_temp_path %(d)s/fastcgi;
    uwsgi_temp_path %(d)s/uwsgi;
    scgi_temp_path %(d)s/scgi;
    upstream pbxapi {
        server unix:%(sock)s;
        %(ka)s
    }
    %(http_extra)s
    server {
        listen 127.0.0.1:%(port)d;
        %(server_extra)s
        %(locations)s
        %(body)s
    }
}
""" % {"d": self.dir, "mime": NGINX_MIME, "sock": pool.sock, "ka": ka,
            "port": self.port, "locations": locations, "body": body,
            "server_extra": server_extra, "http_extra": http_extra}
        write(self.conf, text)
        self.start()

    def start(self):
        self.proc = spawn(["nginx", "-p", self.dir, "-c", self.conf, "-e",
                           self.error_log], log=os.path.join(self.dir,
                                                             "stdout.log"))
        wait_port(self.port)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)

    def restart(self):
        """Stops nginx (its memory, nchan's buffers included, is gone)
        and starts it again with the same configuration and port."""
        self.stop()
        self.start()


class Lighttpd(Web):
    """lighttpd in front of a pool (mod_fastcgi, check-local disabled)."""

    def __init__(self, pool, port=None):
        self.dir = tmpdir("pbxapi-lighttpd-")
        self.port = port or free_port()
        conf = os.path.join(self.dir, "lighttpd.conf")
        user = ""
        if IS_ROOT:
            user = 'server.username = "%s"\nserver.groupname = "%s"' % (
                RUN_USER, "nogroup")
            # lighttpd opens its error log after dropping privileges.
            shutil.chown(self.dir, RUN_USER)
        write(conf, """
server.document-root = "%(d)s"
server.bind = "127.0.0.1"
server.port = %(port)d
server.errorlog = "%(d)s/error.log"
%(user)s
var.pbxapi_socket = "%(sock)s"
var.pbxapi_audio_roots = ( "%(tmp)s" )
include "%(root)s/deploy/lighttpd/pbxapi.conf"
""" % {"d": self.dir, "port": self.port, "user": user, "root": ROOT,
            "sock": pool.sock, "tmp": tempfile.gettempdir()})
        self.proc = spawn(["lighttpd", "-D", "-f", conf],
                          log=os.path.join(self.dir, "stdout.log"))
        wait_port(self.port)


APACHE = "/usr/sbin/apache2"
APACHE_MODULES = "/usr/lib/apache2/modules"


class Apache(Web):
    """Apache httpd in front of a pool, with the shipped snippet
    (deploy/apache/pbxapi.conf): its sockets pointed at the pool's, its
    X-Sendfile roots at audio_roots (default: the temporary directory).
    Check Apache.missing() first: a test without Apache skips."""

    MODULES = ("mpm_event", "authz_core", "authz_host", "mime", "proxy",
               "proxy_fcgi", "setenvif", "env", "headers", "xsendfile")

    @classmethod
    def missing(cls):
        """Why Apache cannot run here, or None."""
        if not os.access(APACHE, os.X_OK):
            return "%s not installed (apt-get install apache2)" % APACHE
        for m in cls.MODULES:
            if not os.path.exists(os.path.join(APACHE_MODULES,
                                               "mod_%s.so" % m)):
                return "mod_%s missing (libapache2-mod-xsendfile?)" % m
        return None

    def __init__(self, pool, port=None, vhost_extra="", audio_roots=None):
        why = self.missing()
        if why:
            raise RuntimeError(why)
        self.dir = tmpdir("pbxapi-apache-")
        self.port = port or free_port()
        self.conf = os.path.join(self.dir, "httpd.conf")
        self.error_log = os.path.join(self.dir, "error.log")
        text = read(os.path.join(ROOT, "deploy", "apache", "pbxapi.conf"))
        text = text.replace("unix:/run/pbxapi/pbxapi-status.sock",
                            "unix:" + (getattr(pool, "status_sock", None)
                                      or pool.sock))
        text = text.replace("unix:/run/pbxapi/pbxapi.sock",
                            "unix:" + pool.sock)
        roots = audio_roots or [tempfile.gettempdir()]
        lines = text.split("\n")
        out = []
        done = False
        for ln in lines:
            if ln.strip().startswith("XSendFilePath "):
                if not done:
                    out += ["    XSendFilePath %s" % r for r in roots]
                    done = True
                continue
            out.append(ln)
        snippet = os.path.join(self.dir, "pbxapi-snippet.conf")
        write(snippet, "\n".join(out))
        loads = "\n".join("LoadModule %s_module %s/mod_%s.so" %
                           (m, APACHE_MODULES, m) for m in self.MODULES)
        user = ""
        if IS_ROOT:
            # The children drop to RUN_USER; the parent opens the logs.
            user = "User %s\nGroup %s" % (RUN_USER, "nogroup")
        mime = "/etc/mime.types"
        write(self.conf, """
ServerRoot "%(d)s"
ServerName 127.0.0.1
DefaultRuntimeDir "%(d)s"
PidFile "%(d)s/httpd.pid"
Mutex file:%(d)s default
ErrorLog "%(d)s/error.log"
LogLevel warn
%(loads)s
%(user)s
Listen 127.0.0.1:%(port)d
TypesConfig %(mime)s
StartServers 1
ServerLimit 1
ThreadsPerChild 16
MaxRequestWorkers 16
DocumentRoot "%(d)s/htdocs"
<Directory />
    Require all denied
</Directory>
<VirtualHost 127.0.0.1:%(port)d>
    %(vhost_extra)s
    Include "%(snippet)s"
</VirtualHost>
""" % {"d": self.dir, "loads": loads, "user": user, "port": self.port,
            "mime": mime if os.path.exists(mime) else "/dev/null",
            "vhost_extra": vhost_extra, "snippet": snippet})
        os.makedirs(os.path.join(self.dir, "htdocs"), exist_ok=True)
        check = subprocess.run([APACHE, "-t", "-f", self.conf],
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError("apache2 -t: " + check.stderr + check.stdout)
        self.proc = spawn([APACHE, "-DFOREGROUND", "-f", self.conf],
                          log=os.path.join(self.dir, "stdout.log"))
        wait_port(self.port)

    def log(self):
        return read(self.error_log)


class Redis:
    """A redis-server of the test's own in d, saving nothing: on a unix
    socket (the default) or a free loopback port (tcp=True, as nchan
    wants a redis:// URL).  .addr is what pbxapi's redis setting takes;
    cmd() sends one command and returns the raw RESP reply."""

    def __init__(self, d, tcp=False):
        argv = ["redis-server", "--save", "", "--appendonly", "no",
                "--dir", d]
        self.sock, self.port = None, None
        if tcp:
            self.port = free_port()
            argv += ["--port", str(self.port), "--bind", "127.0.0.1"]
            self.addr = "127.0.0.1:%d" % self.port
        else:
            self.sock = os.path.join(d, "redis.sock")
            argv += ["--port", "0", "--unixsocket", self.sock,
                     "--unixsocketperm", "777"]
            self.addr = "unix:" + self.sock
        self.proc = spawn(argv, log=os.path.join(d, "redis.out"))
        if tcp:
            wait_port(self.port)
        else:
            wait_socket(self.sock)

    def cmd(self, *args):
        if self.sock:
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(5)
            s.connect(self.sock)
        else:
            s = socket.create_connection(("127.0.0.1", self.port), 5)
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        s.sendall(out)
        data = s.recv(65536)
        s.close()
        return data

    def kill(self):
        self.proc.kill()
        self.proc.wait(5)


def _ensure_pg_user():
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                        "/usr/sbin/nologin", PG_USER], check=True)


def _pg_bin(name):
    base = "/usr/lib/postgresql"
    for v in sorted(os.listdir(base), reverse=True):
        p = os.path.join(base, v, "bin", name)
        if os.path.exists(p):
            return p
    raise RuntimeError("PostgreSQL %s not found" % name)


class Postgres:
    """A throwaway PostgreSQL on a unix socket (no TCP)."""

    def __init__(self):
        shared = os.environ.get("PBXAPI_TEST_PG")
        if shared:
            self.host, self.port = shared.split(":")
            self.port = int(self.port)
            self.owned = False
            return
        self.owned = True
        self.dir = tmpdir("pbxapi-pg-")
        self.host = self.dir
        self.port = free_port()
        data = os.path.join(self.dir, "data")
        runas = []
        if IS_ROOT:
            _ensure_pg_user()
            runas = ["runuser", "-u", PG_USER, "--"]
            shutil.chown(self.dir, PG_USER)
        # From a directory the server's user can reach, not the clone.
        subprocess.run(runas + [_pg_bin("initdb"), "-D", data, "-A", "trust",
                                "-U", "test", "-E", "UTF8", "--no-locale"],
                       check=True, cwd=self.dir, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        opts = ("-k %s -c listen_addresses='' -p %d -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off" %
                (self.dir, self.port))
        subprocess.run(runas + [_pg_bin("pg_ctl"), "-D", data, "-o", opts,
                                "-l", os.path.join(self.dir, "pg.log"), "-w",
                                "start"], check=True, cwd=self.dir,
                       stdout=subprocess.DEVNULL)
        self.stop_argv = runas + [_pg_bin("pg_ctl"), "-D", data, "-m",
                                  "immediate", "stop"]
        if DETACHED:
            with open(os.path.join(RUN_BASE, "pg_stop"), "w") as f:
                f.write("\0".join(self.stop_argv))
        else:
            _cleanups.append(lambda: subprocess.run(
                self.stop_argv, cwd="/", stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL))

    def psql(self, sql, db="postgres", check=True):
        r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                            "-h", self.host, "-p", str(self.port), "-U",
                            "test", "-d", db, "-At"], input=sql,
                           capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError("psql: %s" % r.stderr)
        return r.stdout

    def createdb(self, name):
        self.psql('DROP DATABASE IF EXISTS "%s";' % name)
        self.psql('CREATE DATABASE "%s";' % name)
        return name


class MariaDB:
    """A throwaway MariaDB on a unix socket (--skip-networking)."""

    def __init__(self):
        shared = os.environ.get("PBXAPI_TEST_MYSQL")
        if shared:
            self.sock = shared
            self.owned = False
            return
        self.owned = True
        self.dir = tmpdir("pbxapi-my-")
        self.sock = os.path.join(self.dir, "mysql.sock")
        data = os.path.join(self.dir, "data")
        user = "root" if IS_ROOT else RUN_USER
        subprocess.run(["mariadb-install-db", "--no-defaults",
                        "--auth-root-authentication-method=normal",
                        "--datadir=" + data, "--user=" + user,
                        "--skip-test-db"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.proc = spawn(["mariadbd", "--no-defaults", "--user=" + user,
                           "--datadir=" + data, "--socket=" + self.sock,
                           "--skip-networking",
                           "--pid-file=" + os.path.join(self.dir, "pid"),
                           "--log-error=" + os.path.join(self.dir, "err.log"),
                           "--innodb-flush-log-at-trx-commit=0",
                           "--character-set-server=utf8mb4",
                           "--collation-server=utf8mb4_general_ci",
                           "--skip-log-bin"])
        wait_socket(self.sock, 30)

    def sql(self, text, db=None, check=True, user="root", password=None):
        argv = ["mariadb", "--no-defaults", "-S", self.sock, "-u", user,
                "--default-character-set=utf8mb4", "--batch",
                "--skip-column-names"]
        if password is not None:
            argv.append("-p" + password)
        if db:
            argv.append(db)
        r = subprocess.run(argv, input=text, capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError("mariadb: %s" % r.stderr)
        return r.stdout

    def load_elastix(self):
        """Loads the schema of sql/mysql/ and adds the user the pool logs
        in as: 'elastix', password 'elastixpw', writing asterisk and
        reading asteriskcdrdb."""
        schema = os.path.join(ROOT, "sql", "mysql")
        for f in sorted(os.listdir(schema)):
            if f.endswith(".sql"):
                self.sql(read(os.path.join(schema, f)))
        self.sql("""
CREATE USER 'elastix'@'localhost' IDENTIFIED BY 'elastixpw';
GRANT SELECT, INSERT, UPDATE, DELETE ON asterisk.* TO 'elastix'@'localhost';
GRANT SELECT ON asteriskcdrdb.* TO 'elastix'@'localhost';
""")


def b64(s):
    return base64.b64encode(s.encode()).decode()
