"""Shared pieces of the fault-injection matrix (test/fault/test_*.py).

Stdlib only. Reuses test/blackbox/harness.py (the server, raw HTTP, the
provider simulator) test/store/pgtmp.py (a throwaway PostgreSQL) and test/cache/redistmp.py
(a throwaway redis-server).

Every case of the matrix checks four things:
  1. the answer the client gets (HTTP status, per-provider status),
  2. no crash (the process is alive and answers /health; no sanitizer
     report in its log),
  3. no leak (the server is stopped with SIGTERM at the end of the class and
     harness.Server.stop() fails on any report in the log; under the ASan
     build LeakSanitizer runs at each process's exit),
  4. recovery (the dependency back to normal, the next search is fully ok).

Environment: SF_BIN (the binary, meson sets it), SF_SIM (the simulator),
REDIS_SERVER (redis-server), SF_KEEP_LOGS=1 (keep the server logs).
"""

import os
import sys
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "test", "blackbox"))
sys.path.insert(0, os.path.join(REPO, "test", "store"))
sys.path.insert(0, os.path.join(REPO, "test", "cache"))

import harness  # noqa: E402
from redistmp import Redis  # noqa: E402,F401  (the fault cases' and the soak's)
from harness import PROVIDER_NAMES  # noqa: E402

Q = "graph neural networks"

# Queries that the simulator answers with papers from all five providers.
RECOVERY_QUERIES = ("graph neural networks", "quantum error correction",
                    "neural network", "dark matter", "deep learning")


def qs(**params):
    return "/v1/search?" + urllib.parse.urlencode(params)


def wait_for(pred, timeout, step=0.05):
    deadline = time.monotonic() + harness.scaled(timeout)
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def has_key(key):
    """Does the binary know this configuration key (its issue is built)?"""
    r = harness.run_cli("config", "keys")
    return r.returncode == 0 and key in r.stdout


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return -1


def provider_env(sim, extra=None):
    env = sim.scifind_env(rate_interval="0")
    env.update(extra or {})
    return env


# --------------------------------------------------------------------------
# Load with timestamps (for the worker cases)


class SearchLoad:
    """Threads that each loop: connect, GET a path (Connection: close), read
    the answer. Each request is recorded as (t_start, t_end, outcome) with
    outcome the status or the exception text."""

    def __init__(self, port, paths, threads=6, timeout=20.0):
        self.port = port
        self.paths = list(paths)
        self.timeout = timeout
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.records = []
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True)
                        for i in range(threads)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def run(self, i):
        n = i
        while not self.stop_flag.is_set():
            path = self.paths[n % len(self.paths)]
            n += len(self.threads)
            t0 = time.monotonic()
            try:
                r = harness.request(self.port, "GET", path, timeout=self.timeout)
                out = r.status
            except (OSError, harness.ProtocolError) as e:
                out = repr(e)
            with self.lock:
                self.records.append((t0, time.monotonic(), out))
            if not isinstance(out, int):
                time.sleep(0.01)

    def finish(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(harness.scaled(self.timeout) + 10)

    def outcomes(self):
        with self.lock:
            return list(self.records)

    def summary(self):
        recs = self.outcomes()
        by = {}
        for _, _, o in recs:
            k = o if isinstance(o, int) else "exception"
            by[k] = by.get(k, 0) + 1
        bad = [o for _, _, o in recs if not isinstance(o, int)][:5]
        return "requests=%d by outcome=%s first exceptions=%s" % (len(recs), by, bad)


# --------------------------------------------------------------------------
# Base class: a simulator and one scifind for the whole class


class FaultCase(unittest.TestCase):
    """A simulator and one scifind (SERVER_ARGS) for the whole class. The
    server is stopped and checked (exit 0, no sanitizer or LeakSanitizer
    report) in tearDownClass."""

    SERVER_ARGS = {"workers": 0}
    SETTINGS = {}
    EXTRA_ENV = {}
    sim = None
    server = None

    @classmethod
    def base_settings(cls):
        s = {
            "cache.enabled": "false",             # every search reaches the providers
            "providers.breaker_threshold": "1000",  # faults on purpose: keep the breaker out
            "providers.max_retries": "1",
            "providers.max_response_bytes": "1m",
            "search.deadline": "5s",
            "log.access": "false",
        }
        s.update(cls.SETTINGS)
        return s

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = harness.Simulator().start()
        try:
            args = dict(cls.SERVER_ARGS)
            args["settings"] = dict(cls.base_settings(), **args.get("settings", {}))
            args["env"] = provider_env(cls.sim, cls.EXTRA_ENV)
            cls.server = cls.make_server(args).start()
        except Exception:
            cls.sim.stop()
            raise

    @classmethod
    def make_server(cls, args):
        return harness.Server(**args)

    @classmethod
    def tearDownClass(cls):
        server, cls.server = cls.server, None
        try:
            if server is not None:
                server.stop()   # raises on a crash, a bad exit or a sanitizer report
        finally:
            cls.sim.stop()
            super().tearDownClass()

    def setUp(self):
        self.sim.reset(config=True)

    # -- checks -----------------------------------------------------------

    def get(self, path, timeout=20.0, server=None):
        return harness.request((server or self.server).port, "GET", path, timeout=timeout)

    def assertAlive(self, server=None):
        """No crash: the process runs, answers /health, and its log holds no
        sanitizer report so far."""
        srv = server or self.server
        self.assertIsNone(srv.proc.poll(), "scifind exited: %s\n%s"
                          % (srv.proc.returncode, harness.tail(srv.log(), 40)))
        r = srv.request("GET", "/health", timeout=10)
        self.assertEqual(r.status, 200, r)
        m = harness.sanitizer_report(srv.log())
        self.assertIsNone(m, "sanitizer report in the log:\n%s" % harness.tail(srv.log(), 80))

    def assertFullyOk(self, query=Q, server=None, providers=PROVIDER_NAMES):
        """Recovery: a search answered by every provider asked, none failing."""
        params = {"query": query, "limit": 50}
        if tuple(providers) != PROVIDER_NAMES:
            params["providers"] = ",".join(providers)
        r = self.get(qs(**params), server=server)
        self.assertEqual(r.status, 200, r)
        j = r.json()
        st = {n: p["status"] for n, p in j["providers"].items() if n in providers}
        self.assertEqual(st, {p: "ok" for p in providers}, j["providers"])
        self.assertFalse(j["partial"], j["providers"])
        self.assertGreater(len(j["papers"]), 0)
        return j

    def statuses(self, j):
        return {n: p["status"] for n, p in j["providers"].items()}


def main(skip_reason=None):
    """Runs the file's cases; exits 77 (meson: skipped) when skip_reason()
    names something missing (a key of the binary, a server binary)."""
    try:
        reason = skip_reason() if skip_reason else None
    except unittest.SkipTest as e:      # no binary
        reason = str(e)
    if reason:
        print("SKIP:", reason)
        raise SystemExit(77)
    unittest.main(verbosity=2, buffer=False)
