#!/usr/bin/env python3
# The documentation keeps up with the code: every setting of the typed
# table in fcgi/conf.c is in docs/configuration.md and in `pbxapi -T`,
# every command of every family is named in the docs, and every option of
# main.c is in the man page.
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

t = T.Tap()
conf_c = T.read(os.path.join(T.ROOT, "fcgi", "conf.c"))
doc = T.read(os.path.join(T.ROOT, "docs", "configuration.md"))
settings = re.findall(r'^\s*(?:STR|NUM|ENUM)\("([a-z_.]+)"', conf_c, re.M)
t.ok(len(settings) > 20, "found the settings table (%d)" % len(settings))
for s in settings:
    t.ok("`%s`" % s in doc, "setting '%s' documented" % s)
empty = os.path.join(T.tmpdir(), "empty.conf")
T.write(empty, "user = %s\n" % T.RUN_USER)
dump = subprocess.run([os.path.join(T.BUILD, "pbxapi"), "-T", "-c", empty],
                      capture_output=True, text=True).stdout
for s in settings:
    t.ok(re.search(r"^%s = " % re.escape(s), dump, re.M) is not None,
         "setting '%s' printed by -T" % s)

docs = "".join(T.read(os.path.join(T.ROOT, "docs", f))
               for f in os.listdir(os.path.join(T.ROOT, "docs")))
docs += T.read(os.path.join(T.ROOT, "README"))
for f in sorted(os.listdir(os.path.join(T.ROOT, "handlers"))):
    if not f.endswith(".c") or f == "registry.c":
        continue
    src = T.read(os.path.join(T.ROOT, "handlers", f))
    for name in re.findall(r'\{\s*\.name = "([A-Za-z0-9_-]+)",\s*\.methods',
                           src):
        t.ok(name in docs, "command '%s' (%s) named in docs/" % (name, f))

man = T.read(os.path.join(T.ROOT, "docs", "pbxapi.8"))
main_c = T.read(os.path.join(T.ROOT, "fcgi", "main.c"))
opts = re.search(r'getopt\(argc, argv, "([^"]+)"\)', main_c).group(1)
for o in opts.replace(":", ""):
    t.ok(re.search(r"\.(It|Op) Fl [a-zA-Z]*%s" % o, man) is not None,
         "option -%s in pbxapi(8)" % o)
t.done()
