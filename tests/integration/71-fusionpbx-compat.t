#!/usr/bin/env python3
# The FusionPBX dialect where it differs from the reference on purpose
# (docs/COMPAT.md, "FusionPBX golden cases that differ on purpose"), and
# what it does beyond it: bcrypt, the PHP 7 missing-parameter form,
# extension-details, destinations as a real array, validation, rollback
# of a failed create (500, not 200 false), the audit row without
# passwords, FusionPBX's cache delete, one ESL connection per worker, and
# the settings read from FusionPBX's own config.conf and v_settings.
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T  # noqa: E402
import fusionpbx as F  # noqa: E402

t, db, esl = F.start(240)
cache = T.tmpdir("pbxapi-fpx-cache-")
os.chmod(cache, 0o777)  # FusionPBX's cache directory is group-writable
pool = T.Pool(env=F.tenant_env(db, esl, FUSIONPBX_CACHE="file",
                               FUSIONPBX_CACHE_DIR=cache))
web = T.Nginx(pool)
D = F.DOMAIN
EXT100 = "6f0f1c2a-1d8e-4a59-9a43-2b1c0d9e8f70"


def call(body, **kw):
    st, hdr, data = F.call(web, body, **kw)
    try:
        return st, hdr, json.loads(data)
    except ValueError:
        return st, hdr, data


def missing(name):
    return {"error": {"error": "missing required parameter(s)",
                      "missing_parameters": name}}


# --- authentication (§2.3)
dd = {"action": "domain-details", "domain_uuid": D}
for secret, what in (("wrong", "wrong"), ("", "empty"),
                     ("$2y$10$yVGXralufqM0geZXBSMzJ.nwveWJrhkgbMU9ZbfV7mo97jFZzby36",
                      "the stored hash")):
    st, _, body = call(dd, secret=secret)
    t.is_((st, body), (401, {"error": "unauthorized"}),
          "secret = %s: 401" % what)
t.is_(db.sql("SELECT count(*) FROM rest_api_keys WHERE last_used IS NOT "
             "NULL;").strip(), "0", "refused keys leave last_used alone")
st, hdr, body = call(dd)
t.is_(st, 200, "the right secret: 200")
# PHP cut PHP_AUTH_PW at a NUL; pbxapi takes the whole secret, also when
# the right one is already in the cache of verified secrets.
for extra in ("\0", "\0anything"):
    st, _, body = call(dd, secret=F.SECRET + extra)
    t.is_((st, body), (401, {"error": "unauthorized"}),
          "the secret followed by %r: 401" % extra)
t.is_(hdr.get("content-type"), "application/json", "Content-Type is JSON")
t.is_(db.sql("SELECT count(*) FROM rest_api_keys WHERE key_uuid = '%s' AND "
             "last_used IS NOT NULL;" % F.KEY).strip(), "1",
      "last_used set after success")
lu = "SELECT last_used FROM rest_api_keys WHERE key_uuid = '%s';" % F.KEY
first = db.sql(lu)
call(dd)
t.is_(db.sql(lu), first, "last_used refreshed at most once a minute")
st, _, body = call(dd, key=F.KEY2, secret=F.SECRET2)
t.is_(st, 200, "the second seeded key works too")
st, _, _ = call(dd, key=F.KEY.upper(), secret=F.SECRET)
t.is_(st, 200, "key ids are read as PostgreSQL reads uuids")
st, _, body = call(dd, key=None, headers={"Authorization": "Bearer x"})
t.is_(st, 401, "not Basic: 401")

# --- missing parameters: the PHP 7 form (§1.3)
for raw, name in ((b"", "empty body"), (b'{"action":', "invalid JSON"),
                  (b'{"action":""}', "action empty"), (b"[1,2]", "a list"),
                  (b'"x"', "a string")):
    st, _, body = call(raw)
    t.is_((st, body), (400, missing("action")), "%s: missing action" % name)
st, _, body = call({"action": "extension-list"})
t.is_((st, body), (400, missing("domain_uuid")), "missing domain_uuid")
st, _, body = call({"action": "originate", "domain_uuid": D,
                    "caller_id_number": "1", "destination_a": "100"})
t.is_((st, body), (400, missing("destination_b")), "missing destination_b")
st, _, body = call({"action": "ringgroup-create"})
t.is_((st, body), (400, missing("strategy")), "the LAST missing name")
for falsy in ("0", 0, False, None, [], ""):
    st, _, body = call({"action": "extension-create", "domain_uuid": D,
                        "extension": falsy})
    t.is_((st, body), (400, missing("extension")),
          "extension %r is PHP-falsy: missing" % (falsy,))

# --- the action table (§5 #4, #5)
for a in ("../lib/fs_parser", "../githook", "extension-list/../x", "x\u0000"):
    st, _, body = call({"action": a, "domain_uuid": D})
    t.is_((st, body), (400, {"error": "unknown action"}), "action %r" % a)
st, _, body = call({"action": "cdr-list", "domain_uuid": D,
                    "app": "../../../../tmp/evilapp"})
t.is_((st, body), (400, {"error": {"error": "unknown app"}}), "any app: 400")
st, _, body = call({"action": "CDR-List", "domain_uuid": D})
t.is_(st, 200, "the action is lower-cased")

# --- extension-details (§3.3)
for key in ("extension", "extension_uuid"):
    st, _, body = call({"action": "extension-details", "domain_uuid": D,
                        key: EXT100})
    t.is_(st, 200, "extension-details by %s: 200" % key)
    t.is_(body.get("extension") if st == 200 else None, "100",
          "extension-details by %s: the row" % key)
keys = list(body.keys()) if isinstance(body, dict) else []
t.ok(keys[:2] == ["extension_uuid", "extension"] and
     keys.index("forward_caller_id_uuid") == keys.index("description") + 1,
     "the reference's column order, forward_caller_id_uuid kept")
t.is_(body.get("forward_caller_id_uuid", 1), None,
      "forward_caller_id_uuid is null")
st, _, body = call({"action": "extension-details",
                    "domain_uuid": F.OTHER_DOMAIN, "extension": EXT100})
t.is_((st, body), (404, {"error": "extension not found"}),
      "another domain's extension: 404")
st, _, body = call({"action": "extension-details", "domain_uuid": D})
t.is_((st, body), (400, missing("extension")), "neither name: missing")

# --- ringgroup-create destinations (§3.7)
rg = {"action": "ringgroup-create", "domain_uuid": D, "name": "Support",
      "extension": "601", "strategy": "sequence",
      "destinations": [{"number": "100"}, {"number": 101}]}
st, _, body = call(rg)
t.is_(st, 200, "destinations as a real array: 200")
t.is_(db.sql("SELECT string_agg(destination_number, ',' ORDER BY "
             "destination_number) FROM v_ring_group_destinations d JOIN "
             "v_ring_groups g USING (ring_group_uuid) WHERE "
             "ring_group_extension = '601';").strip(), "100,101",
      "both destinations written")
for dest, what in (('{"number":"100"}', "an object string"),
                   ("not json", "not JSON"), ('[{"num":"1"}]', "no number"),
                   ('[{"number":"1 2"}]', "a bad number"),
                   ({"x": {"number": "1"}}, "an object")):
    st, _, body = call(dict(rg, extension="602", destinations=dest))
    t.is_((st, body), (400, {"error": "invalid destinations"}),
          "destinations %s: 400" % what)
st, _, body = call(dict(rg, extension="602", destinations="[]"))
t.is_((st, body), (500, {"error": "no destinations specified. Value must "
                         "be a JSON array"}), "'[]' keeps the reference's 500")
st, _, body = call(dict(rg, extension="603", strategy="bogus",
                        destinations='[{"number":"100"}]'))
t.is_((st, body), (400, {"error": "invalid strategy"}), "bogus strategy")

# --- a failed create rolls back and answers 500 (§3.4)
db.sql("""CREATE FUNCTION fail() RETURNS trigger LANGUAGE plpgsql AS
          $$BEGIN RAISE EXCEPTION 'no'; END$$;
          CREATE TRIGGER no_vm BEFORE INSERT ON v_voicemails
          FOR EACH ROW EXECUTE FUNCTION fail();""")
st, _, body = call({"action": "extension-create", "domain_uuid": D,
                    "extension": "150"})
t.is_((st, body), (500, {"error": "error adding extension"}),
      "insert failure: 500 error adding extension")
t.is_(db.sql("SELECT count(*) FROM v_extensions WHERE extension = '150';")
      .strip(), "0", "the extension row was rolled back")
db.sql("DROP TRIGGER no_vm ON v_voicemails;")
st, _, body = call({"action": "extension-create", "domain_uuid": D,
                    "extension": "150", "caller_id_name": "  Ann ",
                    "caller_id_number": "+1555"})
t.is_(st, 200, "the same create works afterwards")
t.is_(body.get("effective_caller_id_name"), "Ann",
      "values are trimmed like save() does")
t.is_(db.sql("SELECT count(*) FROM v_voicemails WHERE voicemail_id = '150';")
      .strip(), "1", "its voicemail box is written")

# --- the audit row (§3.4 step 4, §12)
row = db.sql("SELECT app_uuid, app_name, transaction_code, transaction_type,"
             " transaction_address, transaction_new FROM "
             "v_database_transactions ORDER BY transaction_date DESC LIMIT 1;")
t.like(row, "2bfe71d9-e112-4b8b-bcff-75aeb0e06302|voicemails|200|add|127.0.0.1|",
       "v_database_transactions: app, last table, code, type, address")
t.like(row, '    "extensions": [', "transaction_new is pretty-printed JSON")
t.ok(body.get("password", "x") not in row, "no SIP password in the log")
t.like(row, '"password": "********"', "passwords redacted")

# --- FusionPBX's cache delete (§4)
esl.clear()
T.write(os.path.join(cache, "dialplan.public"), "cached")
st, _, body = call({"action": "destination-create", "domain_uuid": D,
                    "number": "+12065550177", "extension": "100"})
t.is_(st, 200, "destination-create with a leading +")
t.is_(body.get("destination_number_regex"), "^(\\+12065550177)$",
      "the + is escaped in the regex")
xml = db.sql("SELECT dialplan_xml FROM v_dialplans WHERE dialplan_number = "
             "'+12065550177';")
t.like(xml, 'expression="^\\+?1?(\\+12065550177)$"', "and in the XML")
ev = [p for p in esl.packets() if p["command"] == b"sendevent CUSTOM"]
t.is_(len(ev), 1, "one sendevent CUSTOM")
t.is_(ev[0]["headers"] if ev else None,
      [["Event-Name", "CUSTOM"], ["Event-Subclass", "fusion::file"],
       ["API-Command", "cache"],
       ["API-Command-Argument", "delete dialplan.public"]],
      "the fusion::file delete of dialplan:public")
t.ok(not os.path.exists(os.path.join(cache, "dialplan.public")),
     "the cache file is gone")
esl.clear()
st, _, _ = call({"action": "extension-create", "domain_uuid": D,
                 "extension": "151"})
ev = [p for p in esl.packets() if p["command"] == b"sendevent CUSTOM"]
t.is_(ev[0]["headers"][3] if ev else None,
      ["API-Command-Argument", "delete directory.151@fusionpbx.example.net"],
      "extension-create deletes directory:<ext>@<domain>")

# --- one ESL connection per worker, reused
esl.clear()
orig = {"action": "originate", "domain_uuid": D, "caller_id_number": "1",
        "destination_a": "100", "destination_b": "101"}
for i in range(4):
    call(orig)
cmds = esl.commands()
t.is_(cmds.count(b"auth ClueCon") <= 2 and
      len([c for c in cmds if c.startswith(b"api originate")]), 4,
      "4 originates, at most one auth per worker")
esl.scenario("originate -ERR USER_BUSY\n")
st, _, body = call(orig)
t.is_((st, body), (200, {"success": False, "call_uuid": None}),
      "-ERR USER_BUSY: success false")
esl.scenario("")
esl.restart()
st, _, body = call(orig)
t.is_(st, 200, "FreeSWITCH restarted: the next originate reconnects")
t.is_(body.get("success") if isinstance(body, dict) else None, True,
      "and succeeds")

# --- a FusionPBX upgrade adds a column under the running pool: the
# prepared "SELECT *" is planned again, the new column comes last (§1.5)
dn = {"action": "destination-details", "number": "12065550100"}
for i in range(3):
    st, _, body = call(dn)
db.sql("ALTER TABLE v_destinations ADD COLUMN provider_uuid uuid;")
for i in range(3):
    st, _, body = call(dn)
    t.is_((st, list(body.keys())[-1] if isinstance(body, dict) else body),
          (200, "provider_uuid"), "after ALTER TABLE: 200, the new column "
          "last (%d)" % i)

# --- settings from FusionPBX's config.conf and v_settings (§1.6)
conf = os.path.join(T.tmpdir(), "config.conf")
T.write(conf, """#database
database.0.type = pgsql
database.0.host = %s
database.0.port = %d
database.0.name = %s
database.0.username = test
database.0.password = x

switch.event_socket.host = 127.0.0.1
switch.event_socket.port = %d
switch.event_socket.password = ClueCon
""" % (db.pg.host, db.pg.port, db.name, esl.port))
pool2 = T.Pool(env={"FUSIONPBX_CONFIG": conf, "FUSIONPBX_CACHE": "off",
                    "FUSIONPBX_LAST_USED": "0"})
web2 = T.Nginx(pool2)
st, _, body = F.call(web2, orig)
t.is_(st, 200, "database and event socket from config.conf")
first = db.sql(lu)
F.call(web2, orig)
t.ok(db.sql(lu) > first, "FUSIONPBX_LAST_USED = 0: every request refreshes it")
db.sql("UPDATE v_settings SET event_socket_port = '%d';" % esl.port)
T.write(conf, T.read(conf).split("switch.")[0])
pool3 = T.Pool(env={"FUSIONPBX_CONFIG": conf, "FUSIONPBX_CACHE": "off"})
web3 = T.Nginx(pool3)
st, _, body = F.call(web3, orig)
t.is_(st, 200, "event socket from v_settings when config.conf has none")
t.done()
