"""Fault matrix, workers: SIGKILL, SIGTERM and SIGHUP while searches are in
flight (the providers answer after 300 ms, so each worker holds several
searches at any moment).

- SIGKILL of one worker: only requests already started when it died may
  fail (each load thread has at most one request in flight, so at most
  `threads` failures, all started before the kill); every request started
  after it succeeds; the master replaces the worker.
- SIGTERM: every request that got a connection gets its 200 (in-flight
  searches are finished); the master exits 0.
- SIGHUP: the workers are replaced one by one; no request fails and no
  connect is refused.

test/blackbox/test_process.py checks the same signals with a /health/ready
load (answers in microseconds); this file holds searches in flight across
the signal, and (ASan build) checks every process for leaks at exit.
"""

import os
import signal
import time

import fault
import harness
from fault import SearchLoad, qs, wait_for

LATENCY_MS = 300
THREADS = 6
PATHS = [qs(query=q, limit=20) for q in fault.RECOVERY_QUERIES]


def refused(outcome):
    return isinstance(outcome, str) and outcome.startswith("ConnectionRefusedError")


class WorkerFaults(fault.FaultCase):
    """One simulator for the class; each test starts its own 2-worker server."""

    @classmethod
    def setUpClass(cls):
        cls.sim = harness.Simulator().start()
        cls.server = None

    def setUp(self):
        self.sim.reset(config=True)
        self.sim.configure("all", latency_ms=LATENCY_MS)

    def start(self, **settings):
        s = dict(self.base_settings(), **settings)
        srv = harness.Server(workers=2, settings=s, env=fault.provider_env(self.sim)).start()
        self.addCleanup(self._stop, srv)
        kids = wait_for(lambda: (lambda k: k if len(k) == 2 else None)(srv.children()), 10)
        self.assertTrue(kids, "no 2 workers: %s" % srv.children())
        return srv, kids

    def _stop(self, srv):
        if srv.proc.poll() is None or srv.returncode is None:
            srv.stop()

    def test_sigkill_one_worker_under_load(self):
        srv, kids = self.start()
        load = SearchLoad(srv.port, PATHS, threads=THREADS).start()
        time.sleep(1.5)
        victim = sorted(kids)[0]
        t_kill = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        time.sleep(2.5)
        load.finish()
        recs = load.outcomes()
        failed = [(t0 - t_kill, o) for t0, _, o in recs if o != 200]
        after = [o for t0, _, o in recs if t0 > t_kill + 0.05]
        self.assertLessEqual(len(failed), THREADS, load.summary())
        for dt, o in failed:
            self.assertLess(dt, 0.05, "a request started %.3f s after the kill failed: %r"
                            " (%s)" % (dt, o, load.summary()))
        self.assertGreater(len(after), 10, load.summary())
        self.assertEqual([o for o in after if o != 200], [], load.summary())
        new = wait_for(lambda: (lambda k: k if len(k) == 2 and victim not in k else None)(
            srv.children()), 5)
        self.assertTrue(new, "the killed worker was not replaced: %s" % srv.children())
        self.assertAlive(srv)
        self.assertFullyOk(server=srv)
        print("  sigkill: %d requests, %d failed (all in flight at the kill)"
              % (len(recs), len(failed)))

    def test_sigterm_under_load_finishes_in_flight_searches(self):
        srv, _ = self.start(drain_timeout="5s")
        load = SearchLoad(srv.port, PATHS, threads=THREADS).start()
        time.sleep(1.5)
        srv.signal(signal.SIGTERM)
        rc = srv.wait(timeout=harness.scaled(12))
        load.finish()
        recs = load.outcomes()
        self.assertEqual(rc, 0, "master exit %s; log:\n%s" % (rc, harness.tail(srv.log(), 40)))
        served = [o for _, _, o in recs if not refused(o)]
        self.assertGreater(len(served), 10, load.summary())
        self.assertEqual([o for o in served if o != 200], [], load.summary())
        print("  sigterm: %d requests served, %d connects refused after the listeners closed"
              % (len(served), len(recs) - len(served)))

    def test_sighup_under_load_loses_nothing(self):
        srv, old = self.start()
        load = SearchLoad(srv.port, PATHS, threads=THREADS).start()
        time.sleep(1.5)
        srv.signal(signal.SIGHUP)
        new = wait_for(lambda: (lambda k: k if len(k) == 2 and not (k & old) else None)(
            srv.children()), 15)
        time.sleep(1.0)
        load.finish()
        recs = load.outcomes()
        self.assertTrue(new, "workers not replaced: old %s now %s" % (old, srv.children()))
        self.assertEqual([o for _, _, o in recs if o != 200], [], load.summary())
        self.assertGreater(len(recs), 10, load.summary())
        self.assertAlive(srv)
        self.assertFullyOk(server=srv)
        print("  sighup: %d requests, none failed" % len(recs))


if __name__ == "__main__":
    fault.main()
