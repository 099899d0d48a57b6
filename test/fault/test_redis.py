"""Fault matrix, Redis (the L2 cache tier): killed, restarted, frozen with
SIGSTOP, unreachable at start. Each case: searches keep answering 200 in
time while Redis is gone (the answer degrades to the memory tier and the
providers, the service stays up); the tier reports itself not `ok`; when
Redis is back the tier returns to `ok` by itself and new answers are written
to Redis again. Skipped (exit 77 when run alone) while the binary has no
`redis.url` key or redis-server is missing.

test/cache/test_cache_tiers.py checks killed/restarted and frozen in more
detail for the cache itself; this is the same faults in the matrix's terms
(answer, no crash, no leak, recovery), plus Redis unreachable at start.
"""

import os
import shutil
import signal
import tempfile
import threading
import time
import unittest

import fault
import harness
from fault import Redis, qs, wait_for


def skip_reason():
    if not fault.has_key("redis.url"):
        return "no redis.url in `scifind config keys`"
    if not (os.environ.get("REDIS_SERVER") or shutil.which("redis-server")):
        return "redis-server not installed"
    return None


class RedisFaults(fault.FaultCase):

    SETTINGS = {"cache.enabled": "true", "redis.command_timeout": "100ms",
                "redis.connect_timeout": "200ms"}

    @classmethod
    def setUpClass(cls):
        if skip_reason():
            raise unittest.SkipTest(skip_reason())
        cls.sim = harness.Simulator().start()
        cls.server = None
        cls.tmp = tempfile.mkdtemp(prefix="scifind-fault-redis-")

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def start(self, redis_port, workers=0):
        s = dict(self.base_settings(), **{"redis.url": "redis://127.0.0.1:%d" % redis_port})
        srv = harness.Server(workers=workers, settings=s,
                             env=fault.provider_env(self.sim)).start()
        self.addCleanup(srv.stop)
        return srv

    def redis_state(self, srv):
        j = srv.request("GET", "/v1/cache/stats", timeout=5).json()
        t = j["tiers"].get("redis")
        return t and t.get("state")

    def wait_state(self, srv, want, timeout=10):
        ok = wait_for(lambda: self.redis_state(srv) == want, timeout, step=0.1)
        self.assertTrue(ok, "redis tier state %r, want %r" % (self.redis_state(srv), want))

    def searches_answer(self, srv, tag, n=6, max_s=3.0):
        """n searches (new queries: misses; then one repeat: a hit) all 200
        in time."""
        for i in range(n):
            q = "%s %s %d" % (fault.RECOVERY_QUERIES[i % 5], tag, i % 2)
            t0 = time.monotonic()
            r = harness.request(srv.port, "GET", qs(query=q, limit=10), timeout=20)
            self.assertEqual(r.status, 200, r)
            self.assertLess(time.monotonic() - t0, harness.scaled(max_s), "search too slow")

    def recovered(self, srv, redis, tag):
        self.wait_state(srv, "ok", timeout=15)
        before = len(redis.command("KEYS", "scifind:*"))
        self.assertFullyOk(query="%s %s" % (fault.Q, tag), server=srv)
        # Each worker reconnects on its own backoff: an answer from a worker
        # still reconnecting is not written to Redis. Ask new queries until
        # one lands on a worker whose link is back.
        asked = [0]

        def written():
            if len(redis.command("KEYS", "scifind:*")) > before:
                return True
            asked[0] += 1
            self.assertFullyOk(query="%s %s %d" % (fault.Q, tag, asked[0]), server=srv)
            return len(redis.command("KEYS", "scifind:*")) > before

        self.assertTrue(wait_for(written, 10, step=0.3),
                        "no new key written to Redis after recovery")
        self.assertAlive(srv)

    # -- cases ----------------------------------------------------------------

    def test_killed_then_restarted_under_load(self):
        redis = Redis(self.tmp).start()
        self.addCleanup(redis.kill)
        srv = self.start(redis.port, workers=2)
        self.wait_state(srv, "ok")
        load = fault.SearchLoad(srv.port, [qs(query=q, limit=10) for q in
                                           fault.RECOVERY_QUERIES], threads=4).start()
        time.sleep(1.0)
        redis.kill()
        time.sleep(1.5)
        down_state = self.redis_state(srv)
        self.searches_answer(srv, "killed")
        redis = Redis(self.tmp, port=redis.port).start()
        self.addCleanup(redis.kill)
        time.sleep(1.0)
        load.finish()
        self.assertEqual([o for _, _, o in load.outcomes() if o != 200], [], load.summary())
        self.assertNotEqual(down_state, "ok")
        self.recovered(srv, redis, "after restart")

    def test_frozen_with_sigstop(self):
        redis = Redis(self.tmp).start()
        self.addCleanup(redis.kill)
        srv = self.start(redis.port)
        self.wait_state(srv, "ok")
        redis.signal(signal.SIGSTOP)
        try:
            self.searches_answer(srv, "frozen")
            self.assertNotEqual(self.redis_state(srv), "ok")
        finally:
            redis.signal(signal.SIGCONT)
        self.recovered(srv, redis, "after thaw")

    def test_unreachable_at_start(self):
        port = harness.free_port()
        srv = self.start(port)          # nothing listens there
        self.assertNotEqual(self.redis_state(srv), "ok")
        self.searches_answer(srv, "no redis yet")
        redis = Redis(self.tmp, port=port).start()
        self.addCleanup(redis.kill)
        self.recovered(srv, redis, "redis came up")


if __name__ == "__main__":
    fault.main(skip_reason)
