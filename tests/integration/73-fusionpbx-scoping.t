#!/usr/bin/env python3
# Keys limited to one domain (rest_api_key_domains, sql/pgsql/011): 403
# for any other domain's data, read-only keys 403 for writes; and
# tenants: a key belongs to the tenant whose FusionPBX database holds it,
# a vhost can pin one (PBXAPI_TENANT).
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T  # noqa: E402
import fusionpbx as F  # noqa: E402

t, db, esl = F.start(180)
D, O = F.DOMAIN, F.OTHER_DOMAIN
# New keys reuse the seed's bcrypt hash of the README key's secret.
RO_KEY, RO_SECRET = "7a1e3c52-0b8e-4d7c-9f30-5e4d3c2b1a09", F.SECRET
HASH = "$2y$10$yVGXralufqM0geZXBSMzJ.nwveWJrhkgbMU9ZbfV7mo97jFZzby36"


def add_key(database, key, secret, domain=None, read_only=False):
    assert secret == F.SECRET
    database.sql("INSERT INTO rest_api_keys (key_uuid, key_secret, created) "
                 "VALUES ('%s', '%s', now());" % (key, HASH))
    if domain:
        database.sql("INSERT INTO rest_api_key_domains (key_uuid, "
                     "domain_uuid, read_only) VALUES ('%s', '%s', %s);" %
                     (key, domain, "true" if read_only else "false"))


db.sql("INSERT INTO rest_api_key_domains (key_uuid, domain_uuid) VALUES "
       "('%s', '%s');" % (F.KEY2, D))
add_key(db, RO_KEY, RO_SECRET, D, read_only=True)
pool = T.Pool(env=F.tenant_env(db, esl))
web = T.Nginx(pool)
FORBIDDEN = (403, {"error": "forbidden"})


def call(body, key=F.KEY2, secret=F.SECRET2, w=None):
    st, _, data = F.call(w or web, body, key=key, secret=secret)
    try:
        return st, json.loads(data)
    except ValueError:
        return st, data


actions = [
    {"action": "domain-details", "domain_uuid": "%s"},
    {"action": "extension-list", "domain_uuid": "%s"},
    {"action": "extension-details", "domain_uuid": "%s",
     "extension": "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6"},
    {"action": "cdr-list", "domain_uuid": "%s"},
    {"action": "extension-create", "domain_uuid": "%s", "extension": "777"},
    {"action": "destination-create", "domain_uuid": "%s",
     "number": "15035550199", "extension": "100"},
    {"action": "ringgroup-create", "domain_uuid": "%s", "name": "X",
     "extension": "777", "strategy": "random",
     "destinations": '[{"number":"100"}]'},
    {"action": "originate", "domain_uuid": "%s", "caller_id_number": "1",
     "destination_a": "100", "destination_b": "101"},
]


def fill(a, dom):
    return {k: (v % dom if v == "%s" else v) for k, v in a.items()}


esl.clear()
rows = db.sql("SELECT (SELECT count(*) FROM v_extensions), (SELECT count(*) "
              "FROM v_destinations), (SELECT count(*) FROM v_ring_groups);")
for a in actions:
    t.is_(call(fill(a, O)), FORBIDDEN,
          "domain-limited key, other domain: %s 403" % a["action"])
t.is_(esl.commands(), [], "no originate reached the event socket")
t.is_(db.sql("SELECT (SELECT count(*) FROM v_extensions), (SELECT count(*) "
             "FROM v_destinations), (SELECT count(*) FROM v_ring_groups);"),
      rows, "nothing written for the other domain")
for a in actions:
    st, _ = call(fill(a, D))
    t.is_(st, 404 if a["action"] == "extension-details" else 200,
          "own domain: %s answers" % a["action"])
st, body = call({"action": "cdr-list", "domain_uuid": D})
t.ok(isinstance(body, list) and all(r["xml_cdr_uuid"] != "11111111-2222-"
                                    "4333-8444-555555555599" for r in body),
     "cdr-list: none of the other tenant's calls")
for form in (D.upper(), "{%s}" % D, D.replace("-", "")):
    st, _ = call({"action": "cdr-list", "domain_uuid": form})
    t.is_(st, 200, "own domain written as %s: 200" % form)
t.is_(call({"action": "domain-details", "domain_name": "other.example.org"}),
      FORBIDDEN, "domain-details by another domain's name: 403")
t.is_(call({"action": "domain-details", "domain_name": "nope.example"}),
      FORBIDDEN, "domain-details by an unknown name: 403 (nothing leaks)")
st, body = call({"action": "domain-details",
                 "domain_name": "fusionpbx.example.net"})
t.is_(st, 200, "domain-details by its own name: 200")
t.is_(call({"action": "cdr-list", "domain_uuid": "zzz"}), FORBIDDEN,
      "a malformed domain_uuid: 403")
# A number routed in the other domain (created with the open key).
st, _ = call({"action": "destination-create", "domain_uuid": O,
              "number": "15035550100", "extension": "100"},
             key=F.KEY, secret=F.SECRET)
t.is_(st, 200, "the open key writes any domain (reference behaviour)")
t.is_(call({"action": "destination-details", "number": "15035550100"}),
      FORBIDDEN, "destination-details of the other domain's number: 403")
st, _ = call({"action": "destination-details", "number": "12065550100"})
t.is_(st, 200, "destination-details of its own number: 200")
# The same number routed in both domains, the other domain's row first
# in the table (destination-create refuses a number that exists, so the
# own domain's copy is made in SQL): each limited key sees its own.
st, _ = call({"action": "destination-create", "domain_uuid": O,
              "number": "12065550177", "extension": "100"},
             key=F.KEY, secret=F.SECRET)
t.is_(st, 200, "the number routed in the other domain")
db.sql("CREATE TEMP TABLE d AS SELECT * FROM v_destinations WHERE "
       "destination_number = '12065550177'; UPDATE d SET destination_uuid "
       "= gen_random_uuid(), domain_uuid = '%s'; INSERT INTO v_destinations "
       "SELECT * FROM d;" % D)
t.is_(db.sql("SELECT count(DISTINCT domain_uuid) FROM v_destinations "
             "WHERE destination_number = '12065550177';").strip(), "2",
      "the number is in both domains")
st, body = call({"action": "destination-details", "number": "12065550177"})
t.is_((st, isinstance(body, dict) and body.get("domain_uuid")), (200, D),
      "destination-details of a number in two domains: the key's own row")
st, body = call({"action": "destination-details", "number": "12065550177"},
                key=F.KEY, secret=F.SECRET)
t.is_((st, isinstance(body, dict) and body.get("domain_uuid")), (200, O),
      "an open key: the first row, as the reference")

# Read-only keys.
for a in actions:
    st, body = call(fill(a, D), key=RO_KEY, secret=RO_SECRET)
    want = 403 if a["action"] in ("extension-create", "destination-create",
                                  "ringgroup-create", "originate") else \
        404 if a["action"] == "extension-details" else 200
    t.is_(st, want, "read-only key: %s %d" % (a["action"], want))

# Tenants: two FusionPBX databases; a key belongs to the one that has it.
db_b = F.Database(db.pg, name="fusionpbx_b")
db_b.sql("DELETE FROM rest_api_keys; UPDATE v_domains SET "
         "domain_description = 'tenant b' WHERE domain_uuid = '%s';" % D)
KB, SB = "2c9a4e1d-7f60-4b3a-8e21-94d0c5b7a6f3", F.SECRET
add_key(db_b, KB, SB)
env_a = F.tenant_env(db, esl)
env_b = F.tenant_env(db_b, esl)
extra = "[tenant c]\nAPI_SECRET_KEY = not-fusionpbx-0123456789\n" \
    "[tenant a]\n%s\n[tenant b]\n%s\n" % (
    "\n".join("%s = %s" % kv for kv in env_a.items()),
    "\n".join("%s = %s" % kv for kv in env_b.items()))
pool2 = T.Pool(extra=extra)
web2 = T.Nginx(pool2)
dd = {"action": "domain-details", "domain_uuid": D}
st, body = call(dd, key=F.KEY, secret=F.SECRET, w=web2)
t.is_((st, body.get("domain_description")), (200, ""),
      "tenant a's key reads tenant a's database")
st, body = call(dd, key=KB, secret=SB, w=web2)
t.is_((st, body.get("domain_description")), (200, "tenant b"),
      "tenant b's key reads tenant b's database")
pinned = T.Nginx(pool2, tenant="a")
t.is_(call(dd, key=KB, secret=SB, w=pinned)[0], 401,
      "a vhost pinned to tenant a refuses tenant b's key")
t.is_(call(dd, key=F.KEY, secret=F.SECRET, w=pinned)[0], 200,
      "and takes tenant a's")
other = T.Nginx(pool2, tenant="c")
t.is_(call(dd, key=F.KEY, secret=F.SECRET, w=other)[0], 401,
      "a vhost pinned to a tenant without FusionPBX settings: 401")
t.done()
