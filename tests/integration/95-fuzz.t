#!/usr/bin/env python3
# Every libFuzzer target (tests/fuzz/fuzz_*.c) builds and runs a few
# seconds on its corpus under ASan and UBSan without a finding.  Longer
# runs: make fuzz FUZZ_SECONDS=600.
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

t = T.Tap()
if shutil.which("clang") is None:
    print("1..0 # SKIP clang is not installed")
    sys.exit(0)
secs = os.environ.get("FUZZ_SECONDS_CHECK", "4")
env = dict(os.environ)
env.pop("MAKEFLAGS", None)
env.pop("MAKELEVEL", None)
r = subprocess.run(["make", "--no-print-directory", "-C", T.ROOT, "fuzz",
                    "FUZZ_SECONDS=" + secs], capture_output=True, text=True,
                   env=env)
out = r.stdout + r.stderr
targets = sorted(f[5:-2] for f in os.listdir(os.path.join(T.ROOT, "tests",
                                                          "fuzz"))
                 if f.startswith("fuzz_") and f.endswith(".c"))
for name in targets:
    m = re.search(r"^\s+%s: (.*)$" % re.escape(name), out, re.M)
    t.ok(m is not None and m.group(1).startswith("ok"),
         "fuzz %s: %s" % (name, m.group(1) if m else "no result"))
if r.returncode != 0:
    t.diag(out[-3000:])
t.ok(r.returncode == 0, "make fuzz exits 0")
t.done()
