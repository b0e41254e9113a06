#!/usr/bin/env python3
# The documentation keeps up with the code: every setting of the typed
# table in fcgi/settings.c is in docs/configuration.md and in `pbxapi -T`,
# every command `pbxapi -L` lists is named in its dialect's docs, and
# every option of main.c is in the man page.
import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

t = T.Tap()
settings_c = T.read(os.path.join(T.ROOT, "fcgi", "settings.c"))
doc = T.read(os.path.join(T.ROOT, "docs", "configuration.md"))
settings = re.findall(r'^\s*(?:STR|NUM|ENUM)\("([a-z_.]+)"', settings_c, re.M)
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

# Commands: every command of every dialect, as pbxapi -L prints it from
# the command tables, is named in its dialect's documentation: in a code
# span (`sippeers`, `GET /ping`) or a code block, as a whole word.
DIALECT_DOCS = {
    "elastix": ["elastix.md", "elastix-db.md"],
    "fusionpbx": ["fusionpbx.md"],
    "status": ["operations.md"],
    "ari": ["ari.md"],
    "recordings": ["recordings.md"],
    "openapi": ["operations.md"],
    "wcs": ["wcs.md"],
    "events": ["operations.md"],
}
MIN_COMMANDS = 79  # 24 elastix, 9 fusionpbx, 4 status, 28 + 3 ari, 11 rec
ATTR = (r"(?:[a-z0-9]+|max=[0-9]+|default=[A-Za-z0-9._/+%-]*|"
        r"alias=[A-Za-z0-9_]+|values=[A-Za-z0-9_*#]+(?:\|[A-Za-z0-9_*#]+)*)")
PARAM = r"[A-Za-z0-9_]+:(?:query|body|path|any):(?:str|int):(?:-|%s(?:,%s)*)" \
    % (ATTR, ATTR)
SCOPE = r"[a-z]+(?:-[a-z]+)?"
LINE = re.compile(r"([a-z]+) ([A-Za-z0-9_-]+) (ANY|[A-Z]+(?:,[A-Z]+)*) "
                  r"(%s(?:,%s)*)((?: %s)*)" % (SCOPE, SCOPE, PARAM))


def code_text(md):
    """The text of md's code blocks and code spans, one per line."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", md, re.M | re.S)
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", md, flags=re.M | re.S)
    return "\n".join(blocks + re.findall(r"`([^`]+)`", prose))


code = {}
for d, files in DIALECT_DOCS.items():
    code[d] = "\n".join(code_text(T.read(os.path.join(T.ROOT, "docs", f)))
                        for f in files)
lst = subprocess.run([os.path.join(T.BUILD, "pbxapi"), "-L"],
                     capture_output=True, text=True)
t.is_(lst.returncode, 0, "pbxapi -L exits 0")
lines = lst.stdout.splitlines()
t.ok(len(lines) >= MIN_COMMANDS,
     "pbxapi -L lists %d commands (at least %d)" % (len(lines), MIN_COMMANDS))
listed, bad = [], []
for line in lines:
    m = LINE.fullmatch(line)
    if m is None:
        bad.append(line)
    else:
        listed.append((m.group(1), m.group(2)))
if not t.ok(not bad, "every line in the format of pbxapi(8)"):
    t.diag("\n".join(bad))
t.is_(len(set(listed)), len(listed), "no command listed twice")
dialects = sorted({d for d, _ in listed})
t.is_(dialects, sorted(DIALECT_DOCS), "the dialects listed are documented")
for d, name in listed:
    word = r"(?<![A-Za-z0-9_-])%s(?![A-Za-z0-9_-])" % re.escape(name)
    t.ok(re.search(word, code.get(d, "")) is not None,
         "%s command '%s' named in docs/%s" % (
             d, name, " or ".join(DIALECT_DOCS.get(d, ["?"]))))

# Every row of a command table (one form: { .name = "x", .methods = ... })
# is listed: its family is in its dialect's list.
names = {n for _, n in listed}
rows = 0
for top, _, files in sorted(os.walk(os.path.join(T.ROOT, "handlers"))):
    for f in sorted(files):
        if not f.endswith(".c"):
            continue
        src = T.read(os.path.join(top, f))
        for name in re.findall(r'\{ \.name = "([^"]+)",\s*\.methods', src):
            rows += 1
            t.ok(name in names, "table row '%s' (%s) listed by -L" % (name, f))
t.is_(rows, len(listed), "as many table rows in handlers/ as -L lines")

man = T.read(os.path.join(T.ROOT, "docs", "pbxapi.8"))
main_c = T.read(os.path.join(T.ROOT, "fcgi", "main.c"))
opts = re.search(r'getopt\(argc, argv, "([^"]+)"\)', main_c).group(1)
for o in opts.replace(":", ""):
    t.ok(re.search(r"\.(It|Op) Fl [a-zA-Z]*%s" % o, man) is not None,
         "option -%s in pbxapi(8)" % o)
# prove runs each test file itself (make check): one without its
# executable bit is "Permission denied" and fails the whole run.
for f in sorted(glob.glob(os.path.join(T.ROOT, "tests", "integration", "*.t"))):
    t.ok(os.access(f, os.X_OK), "%s is executable" % os.path.basename(f))
t.done()
