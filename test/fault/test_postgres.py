"""Fault matrix, PostgreSQL (the store: local provider, /v1/papers, L3):
stopped, restarted, unreachable at start, statements over the timeout.

Each case: store-only endpoints answer 503 with Retry-After quickly (never
hang), searches keep answering 200 from the other providers with `local`
not ok, the process stays up; when PostgreSQL is back the store reconnects
by itself: /v1/papers answers 200 and a search has `local` ok. Skipped
(exit 77 when run alone) while the binary has no `pg.dsn` key or the
PostgreSQL server binaries are missing.

test/store/test_store.py checks stopped/restarted and the statement timeout
for the store itself; here they are in the matrix's terms, plus PostgreSQL
unreachable when scifind starts.
"""

import os
import signal
import subprocess
import time
import unittest

import fault
import harness
from fault import qs, wait_for

try:
    import pgtmp
except ImportError:  # test/store not there
    pgtmp = None

SETTINGS = {
    "pg.batch_interval": "50ms",
    "pg.statement_timeout": "1500ms",
    "pg.connect_timeout": "1s",
    "pg.min_connections": "1",
    "pg.max_connections": "3",
}


def skip_reason():
    if pgtmp is None or not fault.has_key("pg.dsn"):
        return "no pg.dsn in `scifind config keys` or no test/store/pgtmp.py"
    if not pgtmp.pg_bindir():
        return "PostgreSQL server binaries not found"
    return None


class PostgresFaults(fault.FaultCase):

    SETTINGS = SETTINGS

    @classmethod
    def setUpClass(cls):
        if skip_reason():
            raise unittest.SkipTest(skip_reason())
        cls.sim = harness.Simulator().start()
        cls.server = None

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def cluster(self, start=True):
        pg = pgtmp.Cluster()
        self.addCleanup(pg.close)
        pg.init()
        if start:
            self.ready(pg)
        return pg

    def ready(self, pg):
        pg.start()
        pg.create_db()
        r = harness.run_cli("migrate", "--set", "pg.dsn=" + pg.dsn, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def start(self, pg, workers=0):
        env = fault.provider_env(self.sim, {"SCIFIND_PG_DSN": pg.dsn})
        srv = harness.Server(workers=workers, settings=self.base_settings(), env=env).start()
        self.addCleanup(srv.stop)
        return srv

    def papers_status(self, srv):
        return srv.request("GET", "/v1/papers?limit=1", timeout=10)

    def assertStoreDown(self, srv, code="store_unavailable"):
        r = wait_for(lambda: (lambda r: r if r.status == 503 else None)(self.papers_status(srv)),
                     10)
        self.assertIsNotNone(r, "no 503 from /v1/papers while PostgreSQL is down")
        self.assertEqual(r.json()["error"]["code"], code, r)
        self.assertGreaterEqual(int(r.header("Retry-After")), 1)
        t0 = time.monotonic()
        self.assertEqual(self.papers_status(srv).status, 503)
        self.assertLess(time.monotonic() - t0, harness.scaled(3.0), "503 not quick")
        # Searches go on without the store, in time.
        t0 = time.monotonic()
        r = srv.request("GET", qs(query=fault.Q, limit=10), timeout=20)
        self.assertEqual(r.status, 200, r)
        j = r.json()
        self.assertNotEqual(j["providers"]["local"]["status"], "ok", j["providers"])
        self.assertGreater(len(j["papers"]), 0)
        self.assertLess(time.monotonic() - t0, harness.scaled(6.0))
        self.assertAlive(srv)

    def assertStoreBack(self, srv):
        ok = wait_for(lambda: self.papers_status(srv).status == 200, 20, step=0.2)
        self.assertTrue(ok, "the store did not reconnect; log:\n%s" % harness.tail(srv.log(), 30))
        j = self.assertFullyOk(server=srv, query="deep learning")
        self.assertEqual(j["providers"]["local"]["status"], "ok", j["providers"])
        self.assertAlive(srv)

    def assertStoreTimeoutWithin(self, srv, seconds):
        """GET /v1/papers/1 is a 503 store_timeout with Retry-After, in time."""
        t0 = time.monotonic()
        r = srv.request("GET", "/v1/papers/1", timeout=15)
        took = time.monotonic() - t0
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.json()["error"]["code"], "store_timeout", r)
        self.assertIsNotNone(r.header("Retry-After"))
        self.assertLess(took, harness.scaled(seconds), "waited %.1f s" % took)

    # -- cases ------------------------------------------------------------------

    def test_stopped_then_restarted(self):
        pg = self.cluster()
        srv = self.start(pg)
        self.assertFullyOk(server=srv)
        self.assertTrue(wait_for(lambda: self.papers_status(srv).status == 200, 10))
        pg.stop(mode="immediate")
        self.assertStoreDown(srv)
        pg.start()
        self.assertStoreBack(srv)

    def test_unreachable_at_start(self):
        pg = self.cluster(start=False)      # port chosen, nothing listening yet
        srv = self.start(pg)
        self.assertStoreDown(srv)
        self.ready(pg)
        self.assertStoreBack(srv)

    def test_statement_over_the_timeout(self):
        pg = self.cluster()
        srv = self.start(pg)
        self.assertTrue(wait_for(lambda: self.papers_status(srv).status == 200, 10))
        locker = pg.psql_popen(None)
        try:
            locker.stdin.write("BEGIN; LOCK TABLE papers IN ACCESS EXCLUSIVE MODE;"
                               " SELECT pg_sleep(60);\n")
            locker.stdin.flush()
            time.sleep(0.5)
            self.assertStoreTimeoutWithin(srv, 4.0)
            r = srv.request("GET", qs(query=fault.Q, limit=10), timeout=20)
            self.assertEqual(r.status, 200, r)
            self.assertAlive(srv)
        finally:
            locker.kill()
            locker.wait()
            locker.stdin.close()
            pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()")
        self.assertStoreBack(srv)

    def test_frozen_server_costs_a_request_the_statement_timeout(self):
        # Every process of the cluster stopped (SIGSTOP): the connection
        # stays open and nothing answers. The request is answered 503 once
        # its statement timeout (1.5 s) has passed, not after the pool's
        # stuck-connection check (2 x 1.5 s + 5 s).
        pg = self.cluster()
        srv = self.start(pg)
        self.assertTrue(wait_for(lambda: self.papers_status(srv).status == 200, 10))
        with open(os.path.join(pg.data, "postmaster.pid")) as f:
            master = int(f.readline())
        kids = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
        pids = [master] + [int(x) for x in kids.stdout.split()]
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            self.assertStoreTimeoutWithin(srv, 3.0)
            self.assertAlive(srv)
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
        self.assertStoreBack(srv)


if __name__ == "__main__":
    fault.main(skip_reason)
