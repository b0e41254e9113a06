#!/usr/bin/env python3
# The recorded responses of the reference PHP elastix-api
# (../shared/golden/elastix/visible.jsonl) replayed against the real nginx
# and pool, with MariaDB loaded from the corpus and pbxapi's AMI and ARI
# doubles serving each case's recorded backend traffic.  One test point
# per case; the deliberate differences of docs/COMPAT.md pass as such.
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

corpus = os.path.join(T.SHARED, "golden", "elastix", "visible.jsonl")
if not os.path.exists(corpus):
    print("1..0 # SKIP no golden corpus at %s" % corpus)
    sys.exit(0)
# The recorded cases name files under the corpus's fixture_root
# (/srv/pbxapi-golden), which golden-fixtures deletes and writes again:
# only root, or a user who may replace that directory, can replay them.
with open(os.path.join(os.path.dirname(corpus), "base.json")) as f:
    froot = json.load(f)["fixture_root"]
if not (os.access(os.path.dirname(froot), os.W_OK) and
        (not os.path.lexists(froot) or
         os.lstat(froot).st_uid == os.getuid())):
    print("1..0 # SKIP the recorded cases need their fixture tree at %s, "
          "which this user cannot replace (run as root, or make %s "
          "writable for this user)" % (froot, os.path.dirname(froot)))
    sys.exit(0)
# The TAP goes to prove and, with every failure's diagnostics, to
# $PBXAPI_BUILD/golden-elastix.log, which a failing `make check` keeps.
r = subprocess.run([sys.executable, os.path.join(T.ROOT, "tests", "golden",
                                                  "elastix"), "--tap",
                    corpus], capture_output=True, text=True)
sys.stdout.write(r.stdout)
sys.stderr.write(r.stderr)
T.write(os.path.join(T.BUILD, "golden-elastix.log"), r.stdout + r.stderr)
sys.exit(r.returncode)
