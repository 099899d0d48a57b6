"""Retries toward a failing provider are bounded (docs/operations.md,
"Retries"): a retry budget per worker and provider (at most 20% of the
calls alive are retrying, at least 3 may), no retry once the breaker is
open, and libcurl's own re-send on a dead reused connection counted as one
of the call's retries. Each case counts the requests the simulator saw.
"""

import threading
import time

import fault
import harness
from fault import qs


def concurrent_searches(case, n, provider, timeout_ms=4000):
    """n searches at once, each with its own query (no single-flight), of
    three words: one call each (four would add a title call)."""
    answers = [None] * n

    def one(i):
        answers[i] = case.get(qs(query="graph networks %d" % i, providers=provider,
                                 timeout_ms=timeout_ms), timeout=30)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=harness.scaled(60))
    return answers


def retries(case, provider, outcome):
    text = case.get("/metrics").body.decode()
    line = 'scifind_provider_retries_total{provider="%s",outcome="%s"} ' % (provider, outcome)
    for row in text.splitlines():
        if row.startswith(line):
            return int(row[len(line):])
    raise AssertionError("no %s in /metrics" % line)


class RetryBudget(fault.FaultCase):
    SETTINGS = {"providers.max_retries": "2"}

    def test_budget_bounds_retries_of_concurrent_searches(self):
        # 20 searches in flight at once, every answer a 500 after 300 ms:
        # without a budget each is tried 3 times (60 calls); with it, at most
        # max(3, 20% of 20) = 4 calls retry, twice each.
        self.sim.configure("crossref", mode="error", error_status=500, latency_ms=300)
        answers = concurrent_searches(self, 20, "crossref")
        for r in answers:
            self.assertIsNotNone(r)
            self.assertEqual(r.status, 502, r)
        seen = self.sim.requests_of("crossref")
        self.assertGreaterEqual(seen, 20)
        self.assertLessEqual(seen, 20 + 4 * 2, "retries past the budget")
        self.assertGreaterEqual(retries(self, "crossref", "budget"), 16)
        self.assertLessEqual(retries(self, "crossref", "sent"), 8)
        self.assertAlive()

    def test_libcurl_resend_counts_against_the_retries(self):
        # A pooled connection, then a provider that resets every connection
        # as soon as a request arrives: libcurl re-sends on a new connection
        # by itself. A search may make 1 + max_retries calls in all.
        r = self.get(qs(query="dark matter", providers="openalex"))
        self.assertEqual(r.status, 200, r)
        self.sim.reset(config=False)
        self.sim.configure("openalex", mode="refuse")
        r = self.get(qs(query="dark matter resets", providers="openalex", timeout_ms=4000))
        self.assertEqual(r.status, 502, r)
        self.assertLessEqual(self.sim.requests_of("openalex"), 3)
        self.assertAlive()


class RetryStopsAtOpenBreaker(fault.FaultCase):
    SETTINGS = {"providers.max_retries": "2", "providers.breaker_threshold": "3",
                "providers.breaker_base": "30s"}

    def test_no_retry_once_the_breaker_is_open(self):
        # 10 searches fail together; the third failure opens the breaker, and
        # retries waiting for their backoff then are not sent.
        self.sim.configure("arxiv", mode="error", error_status=503, latency_ms=300)
        answers = concurrent_searches(self, 10, "arxiv")
        for r in answers:
            self.assertIsNotNone(r)
            self.assertIn(r.status, (200, 502), r)
        seen = self.sim.requests_of("arxiv")
        self.assertLessEqual(seen, 12, "retries went on after the breaker opened")
        self.assertGreater(retries(self, "arxiv", "breaker"), 0)
        self.assertAlive()


if __name__ == "__main__":
    harness.main()
