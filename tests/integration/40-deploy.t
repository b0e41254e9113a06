#!/usr/bin/env python3
# Other ways to run the pool: behind lighttpd (the shipped config), as a
# single worker under spawn-fcgi, with a socket from systemd (LISTEN_FDS),
# daemonized with a pid file, on a TCP socket.
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

t = T.Tap(timeout=60)
KEY = "deploy-key-0123456789abcdef"
A = {"Authorization": KEY}
PATH = "/api/api.php?cmd=systemresources"

# lighttpd with deploy/lighttpd/pbxapi.conf.
pool = T.Pool(env={"API_SECRET_KEY": KEY})
lt = T.Lighttpd(pool)
st, hdr, body = lt.json(PATH, A)
t.is_(st, 200, "lighttpd: systemresources")
t.is_(list(body.keys()), ["datetime", "users", "usage"], "lighttpd: body")
st, hdr, data = lt.get("/api/api.php?cmd=nope", A)
t.is_((st, data), (404, b'{"error":"Unknown command: nope","code":404}'),
      "lighttpd: error shape")
t.is_(lt.get(PATH)[0], 401, "lighttpd: no key is 401")

# spawn-fcgi: one worker per process, the socket on fd 0.
d = T.tmpdir()
sock = os.path.join(d, "spawn.sock")
conf = os.path.join(d, "pbxapi.conf")
# spawn-fcgi drops privileges itself; errors go to its stderr.
T.write(conf, "API_SECRET_KEY = %s\n" % KEY)
argv = ["spawn-fcgi", "-n", "-s", sock, "-M", "0666"]
binary = pool.binary
if T.IS_ROOT:
    argv += ["-u", T.RUN_USER]
    # It execs the binary as that user, who may not reach the clone.
    if not T.reachable(binary):
        binary = os.path.join(d, "pbxapi")
        shutil.copy2(pool.binary, binary)
p = T.spawn(argv + ["--", binary, "-c", conf], log=d + "/spawn.log")
T.wait_socket(sock)


class Fake:
    """Just what T.Nginx needs of a pool."""


f = Fake()
f.sock = sock
web = T.Nginx(f)
st, _, body = web.json(PATH, A)
t.is_(st, 200, "spawn-fcgi single worker answers")
st, _, body = web.json("/status?json")
t.is_(body.get("process manager"), "single", "status says single")
p.send_signal(signal.SIGQUIT)
p.wait(5)
t.is_(p.returncode, 0, "single worker: SIGQUIT exits 0")

# systemd socket activation: LISTEN_PID/LISTEN_FDS and fd 3.
sd = socket.socket(socket.AF_UNIX)
sdpath = os.path.join(d, "sd.sock")
sd.bind(sdpath)
os.chmod(sdpath, 0o666)
sd.listen(64)
T.write(conf, "listen = /nonexistent/unused.sock\nerror_log = %s/sd.log\n"
        "API_SECRET_KEY = %s\n%s" % (d, KEY, "user = %s\n" % T.RUN_USER
                                     if T.IS_ROOT else ""))


def to3():
    os.dup2(sd.fileno(), 3)


p = T.spawn(["sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" -f -c "$1"',
             pool.binary, conf], preexec_fn=to3, pass_fds=(sd.fileno(),))
sd.close()
f2 = Fake()
f2.sock = sdpath
web2 = T.Nginx(f2)
T.wait_for(lambda: web2.get(PATH, A)[0] == 200, 10, what="systemd pool")
t.is_(web2.get(PATH, A)[0], 200, "socket from systemd (LISTEN_FDS) serves")
p.send_signal(signal.SIGTERM)
t.ok(T.poll(lambda: p.poll() is not None, 5), "and stops on SIGTERM")

# Daemonized with a pid file, on TCP.
port = T.free_port()
pidf = os.path.join(d, "pbxapi.pid")
T.write(conf, "listen = 127.0.0.1:%d\npid = %s\nerror_log = %s/d.log\n"
        "API_SECRET_KEY = %s\n%s" % (port, pidf, d, KEY, "user = %s\n" %
                                     T.RUN_USER if T.IS_ROOT else ""))
r = subprocess.run([pool.binary, "-c", conf], timeout=10)
t.is_(r.returncode, 0, "daemonizing parent exits 0")
T.wait_for(lambda: os.path.exists(pidf) and T.read(pidf).strip(), 5)
pid = int(T.read(pidf))
T.wait_port(port)
t.ok(os.path.exists("/proc/%d" % pid), "pid file names the master")

# nginx to a TCP upstream.
nd = T.tmpdir()
ncfg = os.path.join(nd, "nginx.conf")
nport = T.free_port()
for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
    os.makedirs(os.path.join(nd, sub))
T.write(ncfg, """daemon off; pid %(d)s/nginx.pid; error_log %(d)s/error.log;
events {} http { access_log off;
client_body_temp_path %(d)s/client_body; proxy_temp_path %(d)s/proxy;
fastcgi_temp_path %(d)s/fastcgi; uwsgi_temp_path %(d)s/uwsgi;
scgi_temp_path %(d)s/scgi;
server { listen 127.0.0.1:%(np)d;
location / { include %(root)s/deploy/nginx/fastcgi.conf;
fastcgi_pass 127.0.0.1:%(p)d; } } }
""" % {"d": nd, "np": nport, "root": T.ROOT, "p": port})
T.spawn(["nginx", "-p", nd, "-c", ncfg, "-e", nd + "/error.log"])
T.wait_port(nport)
w = T.Web()
w.port = nport
t.is_(w.get(PATH, A)[0], 200, "TCP listen socket serves")
os.kill(pid, signal.SIGQUIT)
t.ok(T.poll(lambda: not os.path.exists("/proc/%d" % pid), 10),
     "daemon stops on SIGQUIT")
t.done()
