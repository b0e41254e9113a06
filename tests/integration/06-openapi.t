#!/usr/bin/env python3
# The OpenAPI 3.1 description (docs/operations.md, "API description"):
# `pbxapi -O` is a valid OpenAPI 3.1 document, names every command that
# `pbxapi -L` lists, is what /openapi.json serves through the shipped
# nginx snippet, and docs/openapi.json is current.
#
# Validation: with openapi_spec_validator if it is installed (it checks
# the Schema Objects too), and always, when the jsonschema module
# (Debian's python3-jsonschema) is there, against the OpenAPI
# Initiative's OAS 3.1 JSON Schema kept in tests/data (see its README).
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

T.timeout(60)
t = T.Tap()
PBXAPI = os.path.join(T.BUILD, "pbxapi")
SCHEMA = os.path.join(T.ROOT, "tests", "data", "openapi-3.1-schema.json")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch",
           "trace")

out = subprocess.run([PBXAPI, "-O"], capture_output=True)
t.is_(out.returncode, 0, "pbxapi -O exits 0")
try:
    doc = json.loads(out.stdout)
except ValueError as e:
    doc = {}
    t.diag("not JSON: %s" % e)
t.ok(isinstance(doc, dict) and doc.get("openapi", "").startswith("3.1."),
     "pbxapi -O prints an OpenAPI 3.1 document")

# The official schema (structure of the whole document).
try:
    import jsonschema
except ImportError:
    jsonschema = None
if jsonschema is None:
    t.skip("valid against the OAS 3.1 JSON Schema",
           "no python3 jsonschema module (Debian: python3-jsonschema)")
else:
    v = jsonschema.Draft202012Validator(json.loads(T.read(SCHEMA)))
    errs = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
    if not t.ok(not errs, "valid against the OAS 3.1 JSON Schema"):
        for e in errs[:10]:
            t.diag("%s: %s" % ("/".join(map(str, e.path)), e.message))
    # The validator does catch a broken document.
    bad = json.loads(out.stdout)
    bad["paths"]["/x"] = {"get": {"responses": {"200": {}}}}
    t.ok(any(True for _ in v.iter_errors(bad)),
         "the schema refuses a response without a description")

# The full validator, where it is installed (not a Debian package).
try:
    from openapi_spec_validator import validate as oas_validate
except ImportError:
    oas_validate = None
if oas_validate is None:
    t.skip("openapi_spec_validator accepts it",
           "openapi_spec_validator is not installed")
else:
    err = None
    try:
        oas_validate(doc)
    except Exception as e:  # its errors have no common public base
        err = str(e)[:2000]
    if not t.is_(err, None, "openapi_spec_validator accepts it"):
        t.diag(err)

# What a JSON Schema cannot check: unique operationIds, every path
# template's names declared as path parameters.
ops, ids = [], []
for key, item in doc.get("paths", {}).items():
    for m in METHODS:
        if m in item:
            ops.append((key, m, item[m]))
            ids.append(item[m].get("operationId"))
t.ok(len(ops) > 60, "%d operations" % len(ops))
t.is_(len(set(ids)), len(ids), "operationIds are unique")
bad = []
for key, m, op in ops:
    want = set(re.findall(r"\{([^}]+)\}", key))
    got = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
    if want != got:
        bad.append("%s %s: %s != %s" % (m, key, sorted(want), sorted(got)))
if not t.ok(not bad, "path parameters match their templates"):
    t.diag("\n".join(bad))


def consts(node, key, acc):
    """Adds the const of property key of every object schema in node."""
    if isinstance(node, dict):
        c = node.get("properties", {}).get(key, {})
        if isinstance(c, dict) and "const" in c:
            acc.add(c["const"])
        for v in node.values():
            consts(v, key, acc)
    elif isinstance(node, list):
        for v in node:
            consts(v, key, acc)
    return acc


# Every command pbxapi -L lists: an operationId "<dialect>.<command>"
# (REST), or a const of the parameter that names it on its dialect's one
# path (cmd, action).
lst = subprocess.run([PBXAPI, "-L"], capture_output=True, text=True)
t.is_(lst.returncode, 0, "pbxapi -L exits 0")
idset = set(ids)
named = {}
for key, m, op in ops:
    tag = (op.get("tags") or ["?"])[0]
    for k in ("cmd", "action"):
        named.setdefault(tag, set()).update(consts(op, k, set()))
missing = []
lines = lst.stdout.splitlines()
for line in lines:
    d, name = line.split(" ")[:2]
    if "%s.%s" % (d, name) not in idset and name not in named.get(d, ()):
        missing.append("%s %s" % (d, name))
t.ok(len(lines) > 80, "pbxapi -L lists %d commands" % len(lines))
if not t.ok(not missing, "every command of pbxapi -L is in the document"):
    t.diag("\n".join(missing))

# docs/openapi.json is pbxapi -O (indented by make openapi).
try:
    committed = json.loads(T.read(os.path.join(T.ROOT, "docs",
                                               "openapi.json")))
except (OSError, ValueError) as e:
    committed = None
    t.diag(str(e))
t.ok(committed == doc, "docs/openapi.json is current (make openapi)")

# /openapi.json through the shipped nginx snippet: public, the same.
pool = T.Pool()
web = T.Nginx(pool)
st, hdr, body = web.get("/openapi.json")
t.is_(st, 200, "GET /openapi.json: 200 without credentials")
t.is_(hdr.get("content-type"), "application/json",
      "GET /openapi.json: Content-Type")
try:
    served = json.loads(body)
except ValueError:
    served = None
t.ok(served == doc, "GET /openapi.json is pbxapi -O")
st, hdr, body = web.request("HEAD", "/openapi.json")
t.is_((st, body), (200, b""), "HEAD /openapi.json: 200, no body")
st, hdr, body = web.request("POST", "/openapi.json", body=b"")
t.is_(st, 405, "POST /openapi.json: 405")
t.done()
