#!/usr/bin/env python3
# The bad inputs of fusionpbx.md §5 #2-#8 against the FusionPBX dialect:
# each is a 400 before anything happens, the ESL double receives no
# command for it, and the database holds no injected XML or regex.
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T  # noqa: E402
import fusionpbx as F  # noqa: E402

t, db, esl = F.start(180)
pool = T.Pool(env=F.tenant_env(db, esl))
web = T.Nginx(pool)
D = F.DOMAIN


def call(body):
    st, _, data = F.call(web, body)
    try:
        return st, json.loads(data)
    except ValueError:
        return st, data


def snapshot():
    return db.sql("SELECT (SELECT count(*) FROM v_destinations), "
                  "(SELECT count(*) FROM v_dialplans), "
                  "(SELECT count(*) FROM v_dialplan_details), "
                  "(SELECT count(*) FROM v_ring_groups), "
                  "(SELECT count(*) FROM v_extensions), "
                  "(SELECT count(*) FROM v_database_transactions);")


# §5 #2, #3: originate fields end the command, add arguments, variables
# or change the loopback context.
orig = {"action": "originate", "domain_uuid": D, "caller_id_number": "1",
        "destination_a": "100", "destination_b": "101"}
bad = ["101\n\napi system touch pwned\n\n", "101\r\n\r\napi system x",
       "100/otherdomain.example.org/XML", "1,origination_caller_id_number=911",
       "1}loopback/2", "1 XML other", "1'", "&bridge(sofia/gateway/x/1)",
       "1|sofia/gateway/evil/011447700900000", "1:_:2", "1[x=y]", "1=2",
       "1\u0000", "\u00e9", "x" * 33]
esl.clear()
call(orig)  # a connection and a baseline command
base = len(esl.packets())
for field in ("destination_a", "destination_b", "caller_id_number"):
    for v in bad:
        st, body = call(dict(orig, **{field: v}))
        t.is_((st, body), (400, {"error": "invalid %s" % field}),
              "originate %s %r: 400" % (field, v[:30]))
t.is_(len(esl.packets()), base, "the ESL double received nothing more")
t.ok(not any(b"system" in c for c in esl.commands()),
     "no api system packet ever")
st, body = call(dict(orig, caller_id_name="x}\n\napi system y,z=(1)' /"))
t.is_(st, 400, "caller_id_name with a newline: 400 (control character)")
st, body = call(dict(orig, caller_id_name="x},api system y,z=(1)' /"))
t.is_(st, 200, "caller_id_name with metacharacters is sent encoded")
last = esl.commands()[-1]
t.like(last.decode(), "effective_caller_id_name=x%7D%2Capi%20system%20y%2C"
       "z%3D%281%29%27%20%2F}", "rawurlencoded, as the reference")
t.is_(last.count(b"\n"), 0, "one line")

# §5 #7, #8: XML and regex injection through destination-create.
before = snapshot()
dest = {"action": "destination-create", "domain_uuid": D,
        "number": "12065550150", "extension": "100"}
xml = ('1)$"><action application="bridge" data="sofia/gateway/evil/'
       '011447700900000"/></condition><condition field="x" '
       'expression="^(x')
for v in (".*", "^", "1|2", "1)$", xml, "(.*)", "[0-9]+", "1 2", "", "1\n"):
    st, body = call(dict(dest, number=v))
    want = (400, {"error": {"error": "missing required parameter(s)",
                            "missing_parameters": "number"}}) if v == "" \
        else (400, {"error": "invalid number"})
    t.is_((st, body), want, "destination-create number %r: 400" % v[:30])
for v in ("100 XML other", '100"/><action application="x"/>', "100\n",
          "1,2", "100/x", "100'"):
    st, body = call(dict(dest, extension=v))
    t.is_((st, body), (400, {"error": "invalid extension"}),
          "destination-create extension %r: 400" % v[:30])
t.is_(snapshot(), before, "nothing was written")
t.is_(db.sql("SELECT count(*) FROM v_dialplans WHERE dialplan_xml LIKE "
             "'%gateway/evil%' OR dialplan_xml LIKE '%(.*)%';").strip(), "0",
      "no injected XML or catch-all route in v_dialplans")

# Ring groups: the extension is a regex in the domain's context (§5 #8),
# the name goes into XML (§5 #7): the one is refused, the other escaped.
rg = {"action": "ringgroup-create", "domain_uuid": D, "name": "Sales",
      "extension": "700", "strategy": "simultaneous",
      "destinations": '[{"number":"100"}]'}
for v in (".*", "7.0", "70|1", "7$", "7 0", '7"/>'):
    st, body = call(dict(rg, extension=v))
    t.is_((st, body), (400, {"error": "invalid extension"}),
          "ringgroup-create extension %r: 400" % v)
for v in ("a\nb", "a\u0000b", "a\tb"):
    st, body = call(dict(rg, name=v))
    t.is_((st, body), (400, {"error": "invalid name"}),
          "ringgroup-create name %r: 400" % v)
st, body = call(dict(rg, destinations='[{"number":"100,sofia/x"}]'))
t.is_((st, body), (400, {"error": "invalid destinations"}),
      "a destination number with a comma: 400")
t.is_(snapshot(), before, "nothing was written")
st, body = call(dict(rg, name='"/><action application="bridge" data="x"/><x a="'))
t.is_(st, 200, "a name with XML is accepted ...")
x = db.sql("SELECT dialplan_xml FROM v_dialplans WHERE dialplan_number = "
           "'700';")
t.like(x, '<extension name="&quot;/&gt;&lt;action application=&quot;bridge'
       '&quot; data=&quot;x&quot;/&gt;&lt;x a=&quot;" continue=""',
       "... and XML-escaped in dialplan_xml")
t.is_(x.count("<action "), 3, "the XML has exactly its three actions")

# extension-create: no whitespace (the duplicate-check bypass, §5 #19).
for v in (" 102", "102 ", "1 2", "1\n", "<x>", "1/2"):
    st, body = call({"action": "extension-create", "domain_uuid": D,
                     "extension": v})
    t.is_((st, body), (400, {"error": "invalid extension"}),
          "extension-create %r: 400" % v)

# §5 #4, #5: file inclusion through action and app.
for a in ("../githook", "..\\lib\\fs_parser", "/etc/passwd", "a.php"):
    st, body = call({"action": a})
    t.is_((st, body), (400, {"error": "unknown action"}), "action %r" % a)
st, body = call({"action": "x", "app": "../../../../../../tmp/evilapp"})
t.is_((st, body), (400, {"error": {"error": "unknown app"}}), "app traversal")

# Parameters of the wrong type never reach SQL.
for v in ([1], {"a": 1}, True):
    st, body = call({"action": "cdr-list", "domain_uuid": v})
    t.is_((st, body), (400, {"error": "invalid domain_uuid"}),
          "domain_uuid %r: 400" % (v,))
st, body = call({"action": "domain-details", "domain_name":
                 "fusionpbx.example.net\u0000junk"})
t.is_(st, 400, "a NUL byte never truncates a value")
t.is_(len([c for c in esl.commands() if c.startswith(b"api ")]), 2,
      "only the two valid originates reached the event socket")
t.done()
