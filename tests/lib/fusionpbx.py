"""fusionpbx: test helpers for the {"action": ...} dialect.

A FusionPBX database in a throwaway PostgreSQL (pbxtest.Postgres) loaded
from the product's sql/pgsql/*fusionpbx*.sql plus the shared seed, the
ESL double (build/doubles/esl_double) standing in for FreeSWITCH, and
the tenant settings that point a pbxapi pool at both.

    import pbxtest as T, fusionpbx as F
    pg = T.Postgres()
    db = F.Database(pg)                 # schema + shared seed
    esl = F.Esl()                       # FreeSWITCH double
    pool = T.Pool(env=F.tenant_env(db, esl))
    web = T.Nginx(pool)
    st, hdr, body = F.call(web, {"action": "cdr-list", ...})

For `make demo`: setup(seed=...) starts all of it (with the demo's own
seed) and returns the tenant settings (see its docstring).  Python 3
standard library only.
"""

import base64
import glob
import json
import os
import subprocess
import time

import pbxtest as T

SQL_DIR = os.path.join(T.ROOT, "sql", "pgsql")
SCHEMAS = os.path.join(T.SHARED, "schemas", "pgsql")
SEED = os.path.join(SCHEMAS, "fusionpbx-seed.sql")
UPGRADE_55 = os.path.join(SCHEMAS, "fusionpbx-schema-5.5-upgrade.sql")
EXTRA_SEED = os.path.join(SCHEMAS, "fusionpbx-extra-seed.sql")
PATH = "/app/rest_api/rest.php"

DOMAIN = "3a644e67-de8f-4798-b07e-6f22c33a656e"
OTHER_DOMAIN = "9b1d7e2c-4a51-4f0e-8d3b-2c6a5e7f9012"
KEY = "5bc14e83-fc4e-4578-99b8-c7151eb2ec54"
SECRET = "jM2GQuYgQTkIGE6nJ2SP"
KEY2 = "0f6d1c5e-8c1a-4c55-9a56-0d7f1b2e3a44"
SECRET2 = "s3cretOtherKey000000"


def product_sql():
    """sql/pgsql files of this dialect, in load order."""
    return sorted(glob.glob(os.path.join(SQL_DIR, "*fusionpbx*.sql")))


def _sql_text(files):
    return "\n".join(T.read(f) for f in files)


class Database:
    """A FusionPBX database: the product schema, then the shared seed.

    variant: "text" (5.1-5.4 flags), "5.5" (+ the 5.5 upgrade) or
    "extra" (+ the extra seed).  reset() starts it again from a template,
    dropping the connections pbxapi holds (the workers reconnect).
    """

    def __init__(self, pg, name="fusionpbx", variant="text", seed=None):
        self.pg = pg
        self.name = name
        self.seed = seed or SEED
        self.templates = {}
        self.reset(variant)

    def _template(self, variant):
        if variant in self.templates:
            return self.templates[variant]
        tpl = "%s_tpl_%s" % (self.name, variant.replace(".", ""))
        self.pg.createdb(tpl)
        files = product_sql() + [self.seed]
        if variant == "5.5":
            files.append(UPGRADE_55)
        elif variant == "extra":
            files.append(EXTRA_SEED)
        self.pg.psql(_sql_text(files), db=tpl)
        self.templates[variant] = tpl
        return tpl

    def reset(self, variant="text"):
        tpl = self._template(variant)
        self.pg.psql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = '%s' AND pid <> pg_backend_pid();" % self.name)
        self.pg.psql('DROP DATABASE IF EXISTS "%s";' % self.name)
        self.pg.psql('CREATE DATABASE "%s" TEMPLATE "%s";' % (self.name,
                                                               tpl))
        # The golden corpus was recorded with the server's TimeZone UTC;
        # timestamptz text follows it (fusionpbx.md §1.5).
        self.pg.psql('ALTER DATABASE "%s" SET TimeZone = \'UTC\';' %
                     self.name)
        self.variant = variant

    def sql(self, text, check=True):
        return self.pg.psql(text, db=self.name, check=check)


class Esl:
    """The ESL double (tests/doubles/esl/) on 127.0.0.1.

    port 0 picks a free one; restart() keeps it.  scenario() rewrites the
    scenario file, which the double reads for every command.
    """

    def __init__(self, password="ClueCon", port=0, lifetime=900,
                 auth_timeout=25):
        self.dir = T.tmpdir("pbxapi-esl-")
        self.portfile = os.path.join(self.dir, "port")
        self.log = os.path.join(self.dir, "esl.jsonl")
        self.scenario_file = os.path.join(self.dir, "scenario")
        self.password = password
        self.lifetime = lifetime
        self.auth_timeout = auth_timeout
        self.port = port
        self.proc = None
        T.write(self.scenario_file, "")
        self.start()

    def start(self):
        if os.path.exists(self.portfile):
            os.unlink(self.portfile)
        argv = [os.path.join(T.BUILD, "doubles", "esl_double"), "-P",
                self.portfile, "-p", str(self.port), "-w", self.password,
                "-l", self.log, "-t", str(self.lifetime), "-a",
                str(self.auth_timeout), "-s", self.scenario_file]
        self.proc = T.spawn(argv, log=os.path.join(self.dir, "stderr"))
        T.wait_for(lambda: os.path.exists(self.portfile), 10,
                   what="esl_double port file")
        self.port = int(T.read(self.portfile).strip())
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)
        self.proc = None

    def restart(self, password=None):
        self.stop()
        if password is not None:
            self.password = password
        # The children of the old double die with it; give them a moment.
        time.sleep(0.05)
        return self.start()

    def scenario(self, text=""):
        T.write(self.scenario_file, text)

    def packets(self):
        """Every packet received so far, as dicts (raw etc. as bytes)."""
        out = []
        for line in T.read(self.log).splitlines():
            if not line.strip():
                continue
            d = json.loads(line)
            for k in ("raw", "command", "body"):
                d[k] = d[k].encode("latin-1")
            out.append(d)
        return out

    def commands(self):
        return [p["command"] for p in self.packets()]

    def clear(self):
        T.write(self.log, "")


def start(timeout):
    """What a FusionPBX test starts with: its TAP stream (the file fails
    after timeout seconds), a throwaway PostgreSQL holding the seeded
    FusionPBX database, and the ESL double.  Returns (tap, db, esl); the
    server is db.pg."""
    t = T.Tap(timeout=timeout)
    return t, Database(T.Postgres()), Esl()


def tenant_env(db, esl=None, **extra):
    """Tenant keys pointing a pool at db (and the ESL double)."""
    env = {
        "FUSIONPBX_DB_HOST": db.pg.host,
        "FUSIONPBX_DB_PORT": str(db.pg.port),
        "FUSIONPBX_DB_NAME": db.name,
        "FUSIONPBX_DB_USER": "test",
        "FUSIONPBX_DB_PASSWORD": "unused",
        "FUSIONPBX_CACHE": "off",
    }
    if esl is not None:
        env.update({"ESL_HOST": "127.0.0.1", "ESL_PORT": str(esl.port),
                    "ESL_PASSWORD": esl.password})
    env.update(extra)
    return env


def auth(key=KEY, secret=SECRET):
    raw = ("%s:%s" % (key, secret)).encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def call(web, body, key=KEY, secret=SECRET, headers=None, method="POST",
         timeout=60):
    """POSTs body (a dict, or str/bytes sent as is); returns
    (status, headers, raw body bytes)."""
    h = auth(key, secret) if key is not None else {}
    h.update(headers or {})
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    return web.request(method, PATH, h, body, timeout=timeout)


def setup(tmpdir=None, variant="text", seed=None):
    """Starts a throwaway PostgreSQL loaded from sql/pgsql and the seed
    (the shared one unless seed names another file: make demo's own, in
    deploy/demo/fusionpbx), and the ESL double, for `make demo`.  Returns
    the tenant settings (a dict of pbxapi.conf tenant keys) with three
    extra keys that are not settings: "_pg" (pbxtest.Postgres), "_db"
    (Database) and "_esl" (Esl); drop keys starting with "_" before
    writing a config.
    The processes live until the calling Python process exits.
    """
    if tmpdir is not None:
        os.environ.setdefault("TMPDIR", tmpdir)
    pg = T.Postgres()
    db = Database(pg, variant=variant, seed=seed)
    esl = Esl(lifetime=0)  # until stopped (make demo-stop)
    env = tenant_env(db, esl)
    env.update({"_pg": pg, "_db": db, "_esl": esl})
    return env


if __name__ == "__main__":
    # python3 tests/lib/fusionpbx.py: print the settings, stay up.
    import signal
    import sys
    s = setup()
    for k, v in s.items():
        if not k.startswith("_"):
            print("%s = %s" % (k, v))
    sys.stdout.flush()
    signal.pause()
