"""The client rate limit across instances (docs/operations-metrics.md):
two scifind instances (separate processes, separate shared memory, their
own ports) on one redis-server hold one token bucket per client; without
Redis each has its own; with Redis gone they fall back to their own and
answer on (fail open), counting it.

Everything on 127.0.0.1, free ports; the servers and redis-server are
stopped at the end of each test. Stdlib only; skipped without
redis-server. Environment: SF_BIN, REDIS_SERVER, SF_KEEP_LOGS=1.
"""

import re
import tempfile
import time
import unittest

from redistmp import Redis  # the throwaway redis-server (puts test/blackbox on the path)
import harness  # noqa: E402

def wait_for(pred, timeout):
    deadline = time.monotonic() + harness.scaled(timeout)
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


RATE = {"ratelimit.rate": "1", "ratelimit.burst": "4",
        "ratelimit.trusted_proxies": "127.0.0.1/32", "log.access": "false"}


class SharedLimit(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="scifind-rl-")
        self.addCleanup(self.tmp.cleanup)
        self.redis = Redis(self.tmp.name).start()
        self.addCleanup(self.redis.stop)
        self.url = "redis://127.0.0.1:%d" % self.redis.port
        self.client = 0

    def instance(self, **extra):
        """One instance (one worker, no master: its own shared memory)."""
        settings = dict(RATE, **{"redis.url": self.url})
        settings.update(extra)
        srv = harness.Server(workers=0, settings=settings).start()
        self.addCleanup(srv.stop)
        if settings.get("ratelimit.redis", "true") == "true":
            self.assertTrue(wait_for(lambda: self.redis_ready(srv), 10),
                            "no Redis link:\n" + harness.tail(srv.log(), 30))
        return srv

    def redis_ready(self, srv):
        """The link is up once a take is sent and gets a verdict (a client
        of its own)."""
        self.client += 1
        takes = self.metric(srv, "scifind_ratelimit_redis_takes_total")
        errors = self.metric(srv, "scifind_ratelimit_redis_errors_total")
        self.get(srv, "192.0.2.%d" % self.client)
        time.sleep(0.05)
        return (self.metric(srv, "scifind_ratelimit_redis_takes_total") > takes and
                self.metric(srv, "scifind_ratelimit_redis_errors_total") == errors)

    def get(self, srv, client):
        return srv.request("GET", "/v1/providers", {"X-Forwarded-For": client})

    def metric(self, srv, name):
        text = srv.request("GET", "/metrics").body.decode()
        m = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
        self.assertIsNotNone(m, name)
        return int(m.group(1))

    def spend_burst(self, srv, client):
        """The whole burst on srv: four 200s, then a 429."""
        codes = [self.get(srv, client).status for _ in range(4)]
        self.assertEqual(codes, [200] * 4)
        self.assertEqual(self.get(srv, client).status, 429)

    def assert_refused(self, r):
        self.assertEqual(r.status, 429, r)
        self.assertEqual(r.json()["error"]["code"], "rate_limited")
        self.assertGreaterEqual(int(r.header("Retry-After")), 1)
        self.assertEqual(r.header("RateLimit-Limit"), "4")
        self.assertEqual(r.header("RateLimit-Remaining"), "0")
        self.assertGreaterEqual(int(r.header("RateLimit-Reset")), 1)

    # -- across instances -------------------------------------------------

    def test_client_over_the_limit_on_one_instance_is_refused_on_the_other(self):
        # One with the cache (the L2 link is shared), one without (a link
        # of the limiter's own).
        a = self.instance()
        b = self.instance(**{"cache.enabled": "false"})
        ready = b.request("GET", "/health/ready").json()
        self.assertEqual(ready["checks"]["redis"]["status"], "ok", ready)  # the limiter's link
        client = "203.0.113.7"
        self.spend_burst(a, client)
        time.sleep(0.1)  # A's takes reach Redis (a round trip each)
        # B has not seen the client: it may admit one request before the
        # verdict of its first take comes back (the documented bound).
        first = self.get(b, client)
        self.assertIn(first.status, (200, 429), first)
        time.sleep(0.1)
        self.assert_refused(self.get(b, client))
        self.assertEqual(self.metric(b, "scifind_ratelimit_redis_errors_total"), 0)
        self.assertGreater(self.metric(b, "scifind_ratelimit_redis_takes_total"), 0)
        # Another client is not concerned.
        self.assertEqual(self.get(b, "203.0.113.8").status, 200)
        keys = self.redis.command("KEYS", "scifind:rl:*")
        self.assertGreaterEqual(len(keys), 2, keys)
        self.assertGreater(self.redis.command("PTTL", keys[0]), 0)  # idle buckets vanish

    def test_without_redis_each_instance_has_its_own_bucket(self):
        a = self.instance(**{"ratelimit.redis": "false"})
        b = self.instance(**{"ratelimit.redis": "false"})
        client = "203.0.113.9"
        self.spend_burst(a, client)
        time.sleep(0.1)
        self.spend_burst(b, client)  # B never heard of A's four
        self.assertEqual(self.metric(b, "scifind_ratelimit_redis_takes_total"), 0)
        self.assertEqual(self.redis.command("KEYS", "scifind:rl:*"), [])

    # -- Redis gone --------------------------------------------------------

    def test_redis_stopped_requests_still_answered_and_counted(self):
        a = self.instance()
        self.redis.stop()
        client = "203.0.113.10"
        t0 = time.monotonic()
        self.spend_burst(a, client)  # this instance's own bucket still holds
        self.assertLess(time.monotonic() - t0, harness.scaled(5))
        self.assertGreaterEqual(self.metric(a, "scifind_ratelimit_redis_errors_total"), 4)
        self.assertEqual(a.request("GET", "/health").status, 200)
        # Redis back (same port): the shared bucket again, on a reconnect.
        self.redis.start()
        self.assertTrue(wait_for(lambda: self.redis_ready(a), 10))


if __name__ == "__main__":
    unittest.main(verbosity=2)
