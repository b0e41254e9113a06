#!/usr/bin/env python3
# sipextensions with PBX_DRIVER=freepbx and the database down (issue 8,
# item 6): the pjsip table cannot be read, so the command falls back to
# the ini behaviour of the other drivers, choosing the file by CHAN_DRIVER
# (elastix-api.md §5.3, default pjsip per §2.1): PJSIP_CONF_PATH when it
# is exactly "pjsip" or unset, SIP_CONF_PATH otherwise.  The reference
# (FreePBXDriver::getSipExtensions) catches the PDOException and calls
# AsteriskDriver::getSipExtensions.  Down means: the socket file is
# missing, a socket nobody listens on, a closed TCP port, and a closed
# port reached with the credentials of freepbx.conf.  Real nginx + pool,
# no MariaDB.
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(60)
t = T.Tap()
# The default tenant also takes these from the environment (§2.3).
for k in ("PBX_DRIVER", "CHAN_DRIVER", "PJSIP_CONF_PATH", "SIP_CONF_PATH",
          "FREEPBX_CONF_PATH", "DB_HOST", "DB_PORT", "DB_SOCKET",
          "DB_USERNAME", "DB_PASSWORD"):
    os.environ.pop(k, None)
d = T.tmpdir("pbxapi-sipext-")
pj = os.path.join(d, "pjsip.conf")
sip = os.path.join(d, "sip_additional.conf")
T.write(pj, "[100]\ntype=endpoint\naors=100\n")
T.write(sip, "[100]\nsecret=chansip\ncontext=from-internal\n")
PJ = b'{"100":{"type":"endpoint","aors":"100"}}'
SIP = b'{"100":{"secret":"chansip","context":"from-internal"}}'

# A unix socket that is bound but not listening: connect() is refused.
deaf = os.path.join(d, "deaf.sock")
deaf_sock = socket.socket(socket.AF_UNIX)
deaf_sock.bind(deaf)
os.chmod(deaf, 0o777)
closed = T.closed_port()
fpbx_conf = os.path.join(d, "freepbx.conf")
T.write(fpbx_conf, "<?php\n$amp_conf['AMPDBUSER'] = 'freepbxuser';\n"
        "$amp_conf['AMPDBPASS'] = 'fpbxpw';\n"
        "$amp_conf['AMPDBHOST'] = '127.0.0.1';\n")

FILES = {"PBX_DRIVER": "freepbx", "PJSIP_CONF_PATH": pj,
         "SIP_CONF_PATH": sip,
         "FREEPBX_CONF_PATH": os.path.join(d, "no-freepbx.conf")}
DOWN = {
    "nosock": {"DB_SOCKET": os.path.join(d, "missing.sock")},
    "deafsock": {"DB_SOCKET": deaf},
    "tcp": {"DB_HOST": "127.0.0.1", "DB_PORT": str(closed)},
}
# name -> (tenant keys, expected body, the user the connect was tried as)
CASES = {}
for down, keys in DOWN.items():
    for chan, want in ((None, PJ), ("pjsip", PJ), ("sip", SIP)):
        kv = dict(FILES, **keys)
        if chan is not None:
            kv["CHAN_DRIVER"] = chan
        CASES["%s, CHAN_DRIVER %s" % (down, chan or "unset")] = (kv, want,
                                                                 "root")
CASES["tcp, CHAN_DRIVER PJSIP (not exactly pjsip)"] = (
    dict(FILES, CHAN_DRIVER="PJSIP", **DOWN["tcp"]), SIP, "root")
CASES["freepbx.conf credentials, CHAN_DRIVER unset"] = (
    dict(FILES, FREEPBX_CONF_PATH=fpbx_conf, DB_PORT=str(closed)), PJ,
    "freepbxuser")

# The reference's own setup: a .env without CHAN_DRIVER (default tenant),
# and one with CHAN_DRIVER= empty, which is not "pjsip" (§2.3: only the
# environment ignores empty values).
KEY = "e" * 32
envf = os.path.join(d, "default.env")
T.write(envf, "API_SECRET_KEY=%s\n%s\n" % (KEY, "\n".join(
    "%s=%s" % kv for kv in dict(FILES, **DOWN["tcp"]).items())))
empty_env = os.path.join(d, "empty.env")
T.write(empty_env, "CHAN_DRIVER=\n%s\n" % "\n".join(
    "%s=%s" % kv for kv in dict(FILES, **DOWN["tcp"]).items()))

extra = ""
tokens = {}
for i, (name, (kv, want, user)) in enumerate(CASES.items()):
    tokens[name] = "%02d" % i + "t" * 30
    extra += "[tenant t%d]\ntoken = %s\n%s\n" % (
        i, tokens[name], "\n".join("%s = %s" % x for x in kv.items()))
extra += "[tenant emptychan]\ntoken = %s\nenv_file = %s\n" % ("z" * 32,
                                                           empty_env)
tokens[".env without CHAN_DRIVER (default tenant)"] = KEY
CASES[".env without CHAN_DRIVER (default tenant)"] = (None, PJ, "root")
tokens[".env with CHAN_DRIVER= empty"] = "z" * 32
CASES[".env with CHAN_DRIVER= empty"] = (None, SIP, "root")

pool = T.Pool(settings={"backend_timeout": "2s", "pm.max_children": "1"},
              env={"env_file": envf}, extra=extra)
web = T.Nginx(pool)

for name, (kv, want, user) in CASES.items():
    mark = len(pool.log())
    st, hdr, body = web.get("/api/api.php?cmd=sipextensions",
                            {"Authorization": tokens[name]})
    t.is_((st, hdr.get("content-type"), body),
          (200, "application/json", want),
          "freepbx, database down (%s): %s" % (
              name, "PJSIP_CONF_PATH" if want == PJ else "SIP_CONF_PATH"))
    tried = "cannot connect to 'asterisk' as '%s'" % user
    t.ok(T.poll(lambda: tried in pool.log()[mark:], 5),
         "%s: the pjsip table was tried first (%s)" % (name, tried))

t.done()
