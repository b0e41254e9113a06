#!/usr/bin/env python3
# The recorded responses of the reference PHP elastix-api
# (../shared/golden/elastix/visible.jsonl) replayed against the real nginx
# and pool, with MariaDB loaded from the corpus and pbxapi's AMI and ARI
# doubles serving each case's recorded backend traffic.  One test point
# per case; the deliberate differences of docs/COMPAT.md pass as such.
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pbxtest as T

corpus = os.path.join(T.SHARED, "golden", "elastix", "visible.jsonl")
if not os.path.exists(corpus):
    print("1..0 # SKIP no golden corpus at %s" % corpus)
    sys.exit(0)
r = subprocess.run([sys.executable, os.path.join(T.ROOT, "tests", "golden",
                                                  "elastix"), "--tap",
                    corpus])
sys.exit(r.returncode)
