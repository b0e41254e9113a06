#!/usr/bin/env python3
# The FusionPBX golden corpus (../shared/golden/fusionpbx/cases.txt)
# replayed by tests/golden/fusionpbx, as TAP: every case passes but the
# deliberate differences of docs/COMPAT.md (asserted by
# 71-fusionpbx-compat.t).
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..", "..")
shared = os.environ.get("PBXAPI_SHARED", os.path.join(root, "..", "shared"))
cases = os.path.join(shared, "golden", "fusionpbx", "cases.txt")
if not os.path.exists(cases):
    print("1..0 # SKIP no %s" % cases)
    sys.exit(0)
r = subprocess.run([os.path.join(root, "tests", "golden", "fusionpbx"),
                    "--tap", cases], timeout=600)
sys.exit(r.returncode)
