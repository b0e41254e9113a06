#!/usr/bin/env python3
# The Debian package (make deb): it builds, lintian finds no error, the
# hardening flags of dpkg-buildflags reach the binary, and, extracted into
# a throwaway root (never installed on this machine), its binary checks
# its own configuration and serves through its own nginx snippet, its
# logrotate policy rotates and reopens the logs, systemd accepts its units.
# `make install PREFIX=/usr` installs the same files, modes and contents.
# And the upgrades docs/operations.md describes lose no request: a socket
# held across a restart of the master (pbxapi.socket) while the old binary
# is replaced by the packaged one, and two instances of one nginx upstream
# restarted in turn.
import grp
import http.client
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

for tool in ("dpkg-buildpackage", "dh", "lintian", "dpkg-deb"):
    if shutil.which(tool) is None:
        print("1..0 # SKIP %s is not installed (deploy/debian-packages: "
              "dpkg-dev, debhelper, lintian)" % tool)
        sys.exit(0)

t = T.Tap(timeout=300)
KEY = "deb-key-0123456789abcdef"
AUTH = {"Authorization": KEY}
PATH = "/api/api.php?cmd=systemresources"
VERSION = T.read(os.path.join(T.ROOT, "fcgi", "version.h")).split('"')[1]

# Build: in a build directory of its own (the staged sources compile
# there once), so that the worktree's build/ stays as it is.
out = T.tmpdir("pbxapi-deb-")
r = subprocess.run(["make", "--no-print-directory", "-C", T.ROOT,
                    "B=" + out, "deb"], capture_output=True, text=True)
deb = os.path.join(out, "deb", "pbxapi_%s-1_%s.deb" % (
    VERSION, subprocess.run(["dpkg", "--print-architecture"],
                            capture_output=True, text=True).stdout.strip()))
if not t.ok(r.returncode == 0 and os.path.exists(deb),
            "make deb builds %s" % os.path.basename(deb)):
    t.diag(r.stdout[-3000:] + r.stderr[-3000:])
    t.done()
t.like(r.stdout, deb, "make deb prints the package's path")

# lintian: no error.  Warnings are printed for the reader; the remaining
# ones are overridden with their reason (deploy/debian/*.lintian-overrides).
r = subprocess.run(["lintian", deb], capture_output=True, text=True)
errors = [x for x in r.stdout.splitlines() if x.startswith("E:")]
t.is_(errors, [], "lintian: no error")
for x in r.stdout.splitlines():
    if x.startswith("W:"):
        t.diag("lintian " + x)

root = T.tmpdir("pbxapi-debroot-")
subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
ctl = T.tmpdir("pbxapi-debctl-")
subprocess.run(["dpkg-deb", "-e", deb, ctl], check=True)
binary = os.path.join(root, "usr", "sbin", "pbxapi")
etc = os.path.join(root, "etc", "pbxapi")

# dpkg-buildflags reached the GNUmakefile: full RELRO and PIE.
dyn = subprocess.run(["readelf", "-dlW", binary], capture_output=True,
                     text=True).stdout
t.ok("GNU_RELRO" in dyn and "BIND_NOW" in dyn,
     "hardening: the binary has full RELRO (-Wl,-z,relro,-z,now)")
t.ok("PIE" in dyn, "hardening: the binary is position-independent")
r = subprocess.run([binary, "-v"], capture_output=True, text=True)
t.is_(r.stdout.strip(), "pbxapi " + VERSION, "the package's version is "
      "fcgi/version.h's")

# What the maintainer scripts and conffiles promise.
conffiles = T.read(os.path.join(ctl, "conffiles")).split()
for f in ("/etc/pbxapi/pbxapi.conf", "/etc/pbxapi/elastix.env",
          "/etc/pbxapi/nginx/pbxapi.conf", "/etc/pbxapi/nginx/pbxapi-admin.conf",
          "/etc/pbxapi/lighttpd/pbxapi.conf",
          "/etc/pbxapi/apache/pbxapi.conf", "/etc/logrotate.d/pbxapi"):
    t.ok(f in conffiles, "conffile %s" % f)
t.like(T.read(os.path.join(ctl, "postinst")), "systemd-sysusers",
       "postinst creates the system user (systemd-sysusers)")
sysusers = T.read(os.path.join(root, "usr", "lib", "sysusers.d",
                               "pbxapi.conf"))
t.like(sysusers, "\nu pbxapi ", "sysusers.d declares the user pbxapi")
t.like(T.read(os.path.join(ctl, "postinst")), "systemd-tmpfiles",
       "postinst creates /run/pbxapi and /var/log/pbxapi (systemd-tmpfiles)")
# What those postinst lines do, run against a second throwaway root.
if shutil.which("systemd-sysusers") and shutil.which("systemd-tmpfiles"):
    sys_root = T.tmpdir("pbxapi-sysroot-")
    os.makedirs(os.path.join(sys_root, "etc"))
    r1 = subprocess.run(["systemd-sysusers", "--root=" + sys_root,
                         os.path.join(root, "usr/lib/sysusers.d/pbxapi.conf")],
                        capture_output=True, text=True)
    passwd = T.read(os.path.join(sys_root, "etc", "passwd"))
    t.ok(r1.returncode == 0 and passwd.startswith("pbxapi:") and
         ":/usr/sbin/nologin" in passwd and "pbxapi:" in
         T.read(os.path.join(sys_root, "etc", "group")),
         "systemd-sysusers creates the user and group pbxapi, no login")
    r2 = subprocess.run(["systemd-tmpfiles", "--root=" + sys_root, "--create",
                         os.path.join(root, "usr/lib/tmpfiles.d/pbxapi.conf")],
                        capture_output=True, text=True)
    t.ok(r2.returncode == 0 and
         os.path.isdir(os.path.join(sys_root, "run", "pbxapi")) and
         os.path.isdir(os.path.join(sys_root, "var", "log", "pbxapi")) and
         os.path.isdir(os.path.join(sys_root, "var", "lib", "pbxapi")),
         "systemd-tmpfiles creates /run/pbxapi, /var/log/pbxapi and "
         "/var/lib/pbxapi")
else:
    t.skip("systemd-sysusers and systemd-tmpfiles on the package's files",
           "systemd is not installed")
conf_text = T.read(os.path.join(etc, "pbxapi.conf"))
t.ok("\nuser = pbxapi\n" in conf_text and "\ngroup = pbxapi\n" in conf_text,
     "the packaged configuration runs workers as pbxapi")
unitdir = os.path.join(root, "lib", "systemd", "system")
unit = T.read(os.path.join(unitdir, "pbxapi.service"))
t.like(unit, "ExecStart=/usr/sbin/pbxapi -f -c /etc/pbxapi/pbxapi.conf",
       "the unit runs the packaged binary")
postinst = T.read(os.path.join(ctl, "postinst"))
invoke = [x.strip() for x in postinst.splitlines() if "deb-systemd-invoke" in x]
t.is_(invoke, ["deb-systemd-invoke start 'pbxapi.socket' >/dev/null || true",
               "deb-systemd-invoke $_dh_action 'pbxapi.service' >/dev/null "
               "|| true"],
      "postinst starts the socket unit, never restarts it; then the service")
t.like(postinst, "_dh_action=restart", "an upgrade restarts the service")
t.like(postinst, "deb-systemd-helper enable 'pbxapi.socket'",
       "the socket unit is enabled")
t.like(T.read(os.path.join(ctl, "prerm")),
       "deb-systemd-invoke stop 'pbxapi.socket'",
       "removing the package stops the socket unit")
rot = T.read(os.path.join(root, "etc", "logrotate.d", "pbxapi"))
t.ok("kill -USR1" in rot and "/run/pbxapi/pbxapi.pid" in rot and
     "\npid = /run/pbxapi/pbxapi.pid\n" in conf_text,
     "logrotate sends SIGUSR1 to the pid pbxapi.conf writes")

# pbxapi -t on the installed configuration; -e points its env_file (an
# absolute /etc path) into the throwaway root.
env = os.path.join(etc, "elastix.env")
r = subprocess.run([binary, "-t", "-c", os.path.join(etc, "pbxapi.conf"),
                    "-e", env], capture_output=True, text=True)
t.is_(r.returncode, 0, "pbxapi -t accepts the packaged configuration")
t.like(r.stderr, "test is successful", "and says so")

# Serve with it: a configuration that includes the packaged one and
# overrides only what a test must (sockets, logs and pid in a temporary
# directory; an unprivileged user, as pbxapi does not exist here).
run_group = grp.getgrgid(pwd.getpwnam(T.RUN_USER).pw_gid).gr_name


def test_conf(pool, listen=True):
    lines = ["include = " + os.path.join(etc, "pbxapi.conf"),
             "env_file = " + env,
             "listen = " + (pool.sock if listen else "/nonexistent/x.sock"),
             "listen.owner = " + T.RUN_USER, "listen.group = " + run_group,
             "pm.status_listen = " + (os.path.join(pool.dir, "status.sock")
                                      if listen else ""),
             "pid = " + os.path.join(pool.dir, "pbxapi.pid"),
             "error_log = " + pool.error_log,
             "access_log = " + pool.access_log,
             "API_SECRET_KEY = " + KEY]
    if T.IS_ROOT:
        lines += ["user = " + T.RUN_USER, "group = " + run_group]
    T.write(pool.conf, "\n".join(lines) + "\n")


pool = T.Pool(binary=binary, start=False)
test_conf(pool)
pool.start()
# The packaged nginx snippet, its /etc/pbxapi paths pointed into the
# root and its status socket at the test's.
snippet = T.read(os.path.join(etc, "nginx", "pbxapi.conf"))
snippet = snippet.replace("/etc/pbxapi/", etc + "/").replace(
    "unix:/run/pbxapi/pbxapi-status.sock",
    "unix:" + os.path.join(pool.dir, "status.sock"))
T.write(os.path.join(pool.dir, "snippet.conf"), snippet)
# The admin panel's snippet, its alias (the package's directory) pointed
# into the root.
admin = T.read(os.path.join(etc, "nginx", "pbxapi-admin.conf"))
t.like(admin, "alias /usr/share/pbxapi/admin/;",
       "the admin snippet's alias is the package's directory")
T.write(os.path.join(pool.dir, "admin.conf"), admin.replace(
    "alias /usr/share/pbxapi/", "alias %s/usr/share/pbxapi/" % root))
web = T.Nginx(pool, snippet=False, locations="set $pbxapi_tenant \"\";\n"
              "include %s;\ninclude %s;" % (
                  os.path.join(pool.dir, "snippet.conf"),
                  os.path.join(pool.dir, "admin.conf")))
st, hdr, body = web.get("/admin/")
t.ok(st == 200 and hdr.get("content-type", "").startswith("text/html") and
     b"<html" in body.lower(), "packaged admin snippet serves the panel")
st, _, body = web.get("/ping")
t.is_((st, body), (200, b"pong"), "packaged snippet: /ping")
st, _, body = web.json("/openapi.json")
t.ok(st == 200 and isinstance(body, dict) and "openapi" in body,
     "packaged snippet: /openapi.json")
st, _, body = web.json(PATH, AUTH)
t.ok(st == 200 and isinstance(body, dict) and "usage" in body,
     "packaged snippet: ?cmd=systemresources with the key")
st, _, body = web.get(PATH)
t.is_(st, 401, "packaged snippet: ?cmd= without a key is 401")
t.like(T.read(pool.access_log), "cmd=systemresources",
       "the request is in the access log")
t.ok(T.read(os.path.join(pool.dir, "pbxapi.pid")).strip() == str(pool.pid),
     "the pid file (logrotate's) names the master")

# The logrotate policy, its paths pointed at this pool: the logs are
# rotated and, after its SIGUSR1, the master and new workers write to
# new files.
if shutil.which("logrotate"):
    rot_conf = os.path.join(pool.dir, "logrotate.conf")
    T.write(rot_conf, rot.replace("/var/log/pbxapi/", pool.dir + "/").replace(
        "/run/pbxapi/pbxapi.pid", os.path.join(pool.dir, "pbxapi.pid")))
    r = subprocess.run(["logrotate", "-f", "-s",
                        os.path.join(pool.dir, "logrotate.state"), rot_conf],
                       capture_output=True, text=True)
    t.is_((r.returncode, r.stderr), (0, ""), "logrotate runs the policy")
    t.like(T.read(pool.access_log + ".1"), "cmd=systemresources",
           "the access log was rotated")
    t.ok(T.poll(lambda: "logs reopened" in pool.log(), 10),
         "the master reopened its log (a new error.log)")
    t.ok(T.poll(lambda: web.get(PATH, AUTH)[0] == 200 and
                "cmd=systemresources" in T.read(pool.access_log), 10),
         "requests are logged to the new access log")
else:
    t.skip("logrotate runs the policy", "logrotate is not installed")
pool.stop()
web.stop()

# The units as systemd reads them (the binary's path pointed into the
# root: systemd-analyze checks that it is executable).
if shutil.which("systemd-analyze"):
    ud = T.tmpdir("pbxapi-units-")
    T.write(os.path.join(ud, "pbxapi.service"),
            unit.replace("/usr/sbin/pbxapi", binary))
    shutil.copy(os.path.join(unitdir, "pbxapi.socket"), ud)
    r = subprocess.run(["systemd-analyze", "verify", "--man=no",
                        os.path.join(ud, "pbxapi.service"),
                        os.path.join(ud, "pbxapi.socket")],
                       capture_output=True, text=True)
    t.is_((r.returncode, r.stdout + r.stderr), (0, ""),
          "systemd-analyze verify: the units have no error or unknown key")
else:
    t.skip("systemd-analyze verify", "systemd-analyze is not installed")

# make install PREFIX=/usr and the package: the same files, the same
# modes, the same contents.  The package compresses the man page and the
# larger docs (dh_compress) and adds Debian's own copyright, changelog
# and lintian overrides; the binary differs by its build flags.
dest = T.tmpdir("pbxapi-install-")
r = subprocess.run(["make", "--no-print-directory", "-s", "-C", T.ROOT,
                    "B=" + T.BUILD, "install", "DESTDIR=" + dest,
                    "PREFIX=/usr"], capture_output=True, text=True)
t.is_(r.returncode, 0, "make install DESTDIR=... PREFIX=/usr")
if r.returncode:
    t.diag(r.stderr[-2000:])
DEBIAN_ONLY = {"/usr/share/doc/pbxapi/copyright",
               "/usr/share/doc/pbxapi/changelog.Debian",
               "/usr/share/lintian/overrides/pbxapi"}


def tree(top, gunzip):
    files = {}
    for d, _, names in os.walk(top):
        for n in names:
            p = os.path.join(d, n)
            rel = "/" + os.path.relpath(p, top)
            if gunzip and rel.endswith(".gz"):
                rel = rel[:-3]
            if rel not in DEBIAN_ONLY:
                files[rel] = (stat.filemode(os.lstat(p).st_mode), p)
    return files


mine = tree(dest, False)
pkg = tree(root, True)
t.is_(sorted(mine), sorted(pkg), "make install and the package install the "
      "same %d files" % len(pkg))
t.is_({k: v[0] for k, v in mine.items()},
      {k: v[0] for k, v in pkg.items() if k in mine},
      "with the same modes")
differ = [k for k in sorted(set(mine) & set(pkg))
          if not pkg[k][1].endswith(".gz") and k != "/usr/sbin/pbxapi" and
          T.read(mine[k][1]) != T.read(pkg[k][1])]
t.is_(differ, [], "and the same contents")

# Upgrade with the socket held, as pbxapi.socket holds it across
# `systemctl restart pbxapi` (what the postinst runs after an upgrade):
# the old master (this tree's build) stops gracefully (SIGQUIT, the
# unit's KillSignal), the packaged binary starts on the same socket;
# connections made meanwhile wait in its backlog, and clients requesting
# all along see no error.
sd = socket.socket(socket.AF_UNIX)
hold = T.tmpdir("pbxapi-hold-")
sdpath = os.path.join(hold, "pbxapi.sock")
sd.bind(sdpath)
os.chmod(sdpath, 0o666)
sd.listen(511)


class Held:
    """What T.Nginx needs of a pool: the held socket."""


held = Held()
held.sock = sdpath
web = T.Nginx(held)
masters = []


def quit_all(pool):
    """systemd's stop (KillMode=control-group): SIGQUIT to every process
    of the service, the master and its workers at once."""
    for pid in [pool.pid] + pool.children():
        try:
            os.kill(pid, signal.SIGQUIT)
        except ProcessLookupError:
            pass  # a worker that just exited


def start_master(binary):
    m = T.Pool(binary=binary, start=False)
    test_conf(m, listen=False)

    def to3():
        os.dup2(sd.fileno(), 3)
        os.set_inheritable(3, True)
    m.proc = T.spawn(["sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" -f '
                      '-c "$1"', binary, m.conf], preexec_fn=to3,
                     pass_fds=(sd.fileno(),))
    m.wait_workers()
    masters.append(m)
    return m


old = start_master(os.path.join(T.BUILD, "pbxapi"))
results = []
lock = threading.Lock()
stop = threading.Event()


def hammer():
    while not stop.is_set():
        c = http.client.HTTPConnection("127.0.0.1", web.port, timeout=30)
        try:
            c.request("GET", PATH, headers=AUTH)
            r = c.getresponse()
            r.read()
            st = r.status
        except Exception as e:  # a refused or broken request counts
            st = repr(e)
        finally:
            c.close()
        with lock:
            results.append(st)


threads = [threading.Thread(target=hammer, daemon=True) for _ in range(4)]
for th in threads:
    th.start()
T.wait_for(lambda: len(results) >= 50, 20, what="requests to the old master")
quit_all(old)
T.wait_for(lambda: old.proc.poll() is not None, 20, what="the old master")
before = len(results)
new = start_master(binary)
T.wait_for(lambda: len(results) >= before + 50, 20,
           what="requests to the new master")
stop.set()
for th in threads:
    th.join(40)
bad = [x for x in results if x != 200]
t.is_(bad[:5], [], "no request failed across the upgrade (%d of %d "
      "failed)" % (len(bad), len(results)))
t.is_(old.proc.returncode, 0, "the old master stopped gracefully")
t.like(T.read(new.access_log), "cmd=systemresources",
       "the packaged binary served after it")
new.stop()
web.stop()

# Without a held socket: two instances in one nginx upstream, restarted
# one at a time onto the packaged binary, the second only once nginx
# sends requests to the first again (fail_timeout, 1 s here, 10 s by
# default, has passed).  nginx passes a GET whose connection is refused,
# or reset before the response (a graceful stop closes the connections
# still in its backlog when the master exits), to the other instance.
# A POST it passes on only if nothing was sent, so this holds for
# idempotent requests only (docs/operations.md).
pools = [T.Pool(binary=os.path.join(T.BUILD, "pbxapi"), start=False)
         for _ in range(2)]
for p in pools:
    test_conf(p)
    T.write(p.conf, T.read(p.conf) + "pm.status_listen =\n")
    p.start()
up = "upstream pbxapi_pair {\n%s}" % "".join(
    "    server unix:%s fail_timeout=1s;\n" % p.sock for p in pools)
fcgi = os.path.join(etc, "nginx", "fastcgi.conf")
web = T.Nginx(pools[0], snippet=False, http_extra=up,
              locations="location = /api/api.php { include %s; "
              "fastcgi_pass pbxapi_pair; }" % fcgi)
results.clear()
stop.clear()
threads = [threading.Thread(target=hammer, daemon=True) for _ in range(4)]
for th in threads:
    th.start()


def served(p):
    return T.read(p.access_log).count("cmd=systemresources")


for i, p in enumerate(pools):
    n = len(results)
    T.wait_for(lambda: len(results) >= n + 50, 20,
               what="requests before restarting instance %d" % i)
    quit_all(p)
    T.wait_for(lambda: p.proc.poll() is not None, 20, what="instance %d" % i)
    n = len(results)
    T.wait_for(lambda: len(results) >= n + 50, 20,
               what="requests while instance %d is down" % i)
    p.binary = binary
    before = served(p)
    p.start()
    T.wait_for(lambda: served(p) > before, 20,
               what="instance %d back in nginx's rotation" % i)
stop.set()
for th in threads:
    th.join(40)
bad = [x for x in results if x != 200]
t.is_(bad[:5], [], "two instances restarted in turn: no GET failed "
      "(%d of %d failed)" % (len(bad), len(results)))
t.done()
