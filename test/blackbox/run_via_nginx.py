#!/usr/bin/env python3
"""The black-box suite once more, through a real NGINX running the shipped
site (packaging/nginx/scifind.conf): every scifind a test starts gets an
NGINX in front of it and the test's clients talk to NGINX (harness.py,
SF_VIA_NGINX=1). Tests marked @harness.direct_only are skipped, each with
its reason; the summary at the end counts them by reason.

    SF_BIN=build/scifind python3 test/blackbox/run_via_nginx.py [test_http ...]

Without arguments: every file of BLACKBOX_FILES. Exit 0 when everything that
ran passed, 1 otherwise, 77 (meson's "skipped") without nginx or without the
scifind binary. docs/deploy.md ("Tested through NGINX") lists what is
skipped and why.
"""

import collections
import os
import sys
import time
import unittest

os.environ["SF_VIA_NGINX"] = "1"
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402

# The files of test/blackbox/meson.build, in its order.
BLACKBOX_FILES = ("test_http", "test_limits", "test_smuggling", "test_process", "test_ops",
                  "test_search", "test_citations")


def main(argv):
    try:
        harness.nginx_proxy().nginx_binary()
        harness.binary()
    except unittest.SkipTest as e:
        print("SKIP:", e)
        return 77
    names = argv or BLACKBOX_FILES
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for name in names:
        suite.addTests(loader.loadTestsFromName(name[:-3] if name.endswith(".py") else name))
    t0 = time.monotonic()
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    took = time.monotonic() - t0
    reasons = collections.Counter(why for _t, why in result.skipped)
    ran = result.testsRun - len(result.skipped)
    print("\nthrough NGINX: %d run, %d skipped, %.0f s" % (ran, len(result.skipped), took))
    for why, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        print("  %3d skipped: %s" % (n, why))
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
