"""Operations: /metrics, API keys, client rate limit, load shedding, CORS,
gzip, traceparent, run-time provider changes (docs/operations-metrics.md)."""

import gzip
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import unittest

import harness

ADMIN, READER = "admin-key-1", "reader-key-2"
KEYS = "%s:admin,%s:read" % (hashlib.sha256(ADMIN.encode()).hexdigest(),
                             hashlib.sha256(READER.encode()).hexdigest())
TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
TP_RE = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


def black_hole():
    """A listening socket that never answers: provider calls hang on it."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(128)
    return s


def stable_lines(text):
    """The series that must not depend on the worker answering or on time."""
    return [l for l in text.splitlines()
            if l and not l.startswith("#") and not l.startswith("scifind_process_")
            and not l.startswith("scifind_loop_") and 'route="/metrics"' not in l]


class Keys(harness.ServerTestCase):
    SERVER_ARGS = dict(workers=0, settings={"auth.required": "true", "auth.keys": KEYS})

    def test_no_key_is_401_with_www_authenticate(self):
        r = self.request("GET", "/v1/providers")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.json()["error"]["code"], "unauthorized")
        self.assertTrue(r.header("WWW-Authenticate", "").startswith("Bearer"))

    def test_bad_key_is_401(self):
        r = self.request("GET", "/v1/providers", {"Authorization": "Bearer nope"})
        self.assertEqual(r.status, 401)

    def test_bearer_and_x_api_key_both_work(self):
        self.assertEqual(self.request("GET", "/v1/providers",
                                      {"Authorization": "Bearer " + READER}).status, 200)
        self.assertEqual(self.request("GET", "/v1/providers", {"X-API-Key": READER}).status, 200)

    def test_admin_route_needs_admin_scope(self):
        body = b'{"timeout_ms": 3000}'
        r = self.request("PUT", "/v1/providers/crossref", {"X-API-Key": READER}, body)
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["error"]["code"], "forbidden")
        r = self.request("PUT", "/v1/providers/crossref", {"X-API-Key": ADMIN}, body)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["timeout_ms"], 3000)

    def test_health_and_metrics_stay_open(self):
        self.assertEqual(self.request("GET", "/health").status, 200)
        r = self.request("GET", "/metrics")
        self.assertEqual(r.status, 200)
        self.assertIn('scifind_auth_failures_total{reason="unauthorized"}', r.body.decode())


class AdminClosedByDefault(harness.ServerTestCase):
    """No key configured (the default): admin routes answer loopback callers
    only while auth.admin_loopback allows it; reading stays open."""
    SERVER_ARGS = dict(workers=0, settings={"auth.admin_loopback": "false"})

    def test_admin_routes_refused_without_keys(self):
        for method, path, body in (("DELETE", "/v1/cache", None),
                                   ("PUT", "/v1/providers/crossref", b'{"enabled": true}')):
            r = self.request(method, path, body=body)
            self.assertError(r, 403, "forbidden")
            self.assertIn("admin", r.json()["error"]["message"], r)
        self.assertEqual(self.request("GET", "/v1/providers").status, 200)
        self.assertEqual(self.request("GET", "/v1/cache/stats").status, 200)

    @harness.direct_only("about scifind's own client socket; behind NGINX the client's "
                         "connection is NGINX's")
    def test_admin_routes_open_to_loopback_by_default(self):
        other = harness.Server(workers=0).start()
        self.addCleanup(other.stop)
        r = harness.request(other.port, "DELETE", "/v1/cache")
        self.assertEqual(r.status, 200, r)
        # 127.0.0.2 is loopback too.
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.connect(("127.0.0.1", other.port))
        c = harness.Conn(other.port, sock=s)
        self.addCleanup(c.close)
        c.send(harness.build_request("DELETE", "/v1/cache"))
        self.assertEqual(c.read_response().status, 200)


class RateLimit(harness.ServerTestCase):
    SERVER_ARGS = dict(workers=2, settings={"ratelimit.rate": "1", "ratelimit.burst": "3",
                                            "ratelimit.trusted_proxies": "127.0.0.1/32"})

    def test_burst_then_429_with_headers_across_workers(self):
        # New connections land on either worker: the bucket is the group's.
        ip = {"X-Forwarded-For": "203.0.113.9"}
        codes = [self.request("GET", "/v1/providers", ip) for _ in range(5)]
        self.assertEqual([r.status for r in codes[:3]], [200, 200, 200])
        r = codes[3]
        self.assertEqual(r.status, 429, r)
        self.assertEqual(r.json()["error"]["code"], "rate_limited")
        self.assertGreaterEqual(int(r.header("Retry-After")), 1)
        self.assertEqual(r.header("RateLimit-Limit"), "3")
        self.assertEqual(r.header("RateLimit-Remaining"), "0")
        self.assertIsNotNone(r.header("RateLimit-Reset"))
        self.assertEqual(codes[0].header("RateLimit-Remaining"), "2")

    def test_forwarded_address_from_trusted_proxy_is_its_own_client(self):
        r = self.request("GET", "/v1/providers", {"X-Forwarded-For": "198.51.100.1, 127.0.0.1"})
        self.assertEqual(r.status, 200)
        r = self.request("GET", "/v1/providers", {"X-Real-IP": "198.51.100.77"})
        self.assertEqual(r.status, 200)

    def test_health_is_not_limited(self):
        for _ in range(6):
            self.assertEqual(self.request("GET", "/health").status, 200)


class UntrustedProxy(harness.ServerTestCase):
    SERVER_ARGS = dict(workers=0, settings={"ratelimit.rate": "1", "ratelimit.burst": "2"})

    def test_x_forwarded_for_is_ignored_from_untrusted_peers(self):
        statuses = [self.request("GET", "/v1/providers",
                                 {"X-Forwarded-For": "192.0.2.%d" % i}).status for i in range(3)]
        self.assertEqual(statuses, [200, 200, 429])


class Shedding(unittest.TestCase):
    def test_searches_past_the_limit_get_503_and_health_answers(self):
        hole = black_hole()
        self.addCleanup(hole.close)
        url = "http://127.0.0.1:%d" % hole.getsockname()[1]
        settings = {"shed.max_in_flight": "2", "search.deadline": "3s", "cache.enabled": "false"}
        for p in ("arxiv", "semantic_scholar", "openalex", "crossref"):
            settings["providers.%s.base_url" % p] = url
            settings["providers.%s.rate_interval" % p] = "0"
        srv = harness.Server(workers=0, settings=settings).start()
        self.addCleanup(srv.stop)
        conns = []
        for q in ("one", "two"):
            c = harness.Conn(srv.port, timeout=10)
            self.addCleanup(c.close)
            c.send(harness.build_request("GET", "/v1/search?query=" + q, [("Host", "t")]))
            conns.append(c)
        time.sleep(0.3)
        r = harness.request(srv.port, "GET", "/v1/search?query=three")
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.json()["error"]["code"], "service_unavailable")
        self.assertEqual(r.header("Retry-After"), "1")
        self.assertEqual(harness.request(srv.port, "GET", "/health").status, 200)
        m = harness.request(srv.port, "GET", "/metrics").body.decode()
        self.assertIn("scifind_shed_requests_total 1\n", m)
        self.assertIn("scifind_searches_in_flight 2\n", m)
        for c in conns:  # they still get their answers at the deadline (502: no provider)
            self.assertIn(c.read_response().status, (200, 502))


class Niceties(harness.ServerTestCase):
    SERVER_ARGS = dict(workers=0, settings={"cors.origins": "https://app.example",
                                            "compression.min_bytes": "100"})

    def test_cors_preflight_is_204(self):
        r = self.request("OPTIONS", "/v1/search", {
            "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type, X-API-Key"})
        self.assertEqual(r.status, 204)
        self.assertEqual(r.header("Access-Control-Allow-Origin"), "https://app.example")
        self.assertIn("POST", r.header("Access-Control-Allow-Methods"))
        self.assertEqual(r.header("Access-Control-Allow-Headers"), "Content-Type, X-API-Key")
        self.assertEqual(r.header("Access-Control-Max-Age"), "600")
        self.assertIn("Origin", r.header("Vary"))

    def test_cors_other_origin_gets_no_allow_header(self):
        r = self.request("GET", "/health", {"Origin": "https://evil.example"})
        self.assertEqual(r.status, 200)
        self.assertIsNone(r.header("Access-Control-Allow-Origin"))
        r = self.request("GET", "/health", {"Origin": "https://app.example"})
        self.assertEqual(r.header("Access-Control-Allow-Origin"), "https://app.example")

    def test_gzip_round_trip_on_metrics(self):
        r = self.request("GET", "/metrics", {"Accept-Encoding": "gzip"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Encoding"), "gzip")
        self.assertIn("Accept-Encoding", r.header("Vary"))
        text = gzip.decompress(r.body).decode()
        self.assertIn("# TYPE scifind_http_requests_total counter", text)
        plain = self.request("GET", "/metrics")
        self.assertIsNone(plain.header("Content-Encoding"))
        self.assertIn("Accept-Encoding", plain.header("Vary"))

    def test_traceparent_is_continued(self):
        r = self.request("GET", "/health", {"traceparent": TP})
        tp = r.header("traceparent")
        self.assertRegex(tp, TP_RE)
        self.assertEqual(tp[:36], TP[:36])   # same trace
        self.assertNotEqual(tp, TP)          # our span
        self.assertEqual(tp[-2:], "01")

    def test_traceparent_is_started_when_absent_or_invalid(self):
        for h in ({}, {"traceparent": "00-zz-yy-01"}):
            tp = self.request("GET", "/health", h).header("traceparent")
            self.assertRegex(tp, TP_RE)
            self.assertNotIn("4bf92f35", tp)


def series(text, name):
    """{labels: value} of one metric's samples."""
    pat = re.compile(r"^%s(\{[^}]*\})? (\S+)$" % re.escape(name), re.M)
    return {m.group(1) or "": float(m.group(2)) for m in pat.finditer(text)}


class LoopMetrics(harness.ServerTestCase):
    SERVER_ARGS = dict(workers=0)

    def scrape(self):
        r = self.request("GET", "/metrics")
        self.assertEqual(r.status, 200)
        return time.monotonic(), r.body.decode()

    def test_lag_timer_ticks_and_idle_time_grows_with_the_clock(self):
        t0, a = self.scrape()
        time.sleep(0.6)
        t1, b = self.scrape()
        ticks = series(b, "scifind_loop_lag_seconds_count")[""] - \
            series(a, "scifind_loop_lag_seconds_count")[""]
        # one tick per 100 ms; a loaded machine may fire fewer, never more
        self.assertGreaterEqual(ticks, 2)
        self.assertLessEqual(ticks, (t1 - t0) / 0.1 + 1)
        buckets = series(b, "scifind_loop_lag_seconds_bucket")
        self.assertEqual(buckets['{le="+Inf"}'], series(b, "scifind_loop_lag_seconds_count")[""])
        ia, ib = series(a, "scifind_loop_idle_seconds_total"), \
            series(b, "scifind_loop_idle_seconds_total")
        self.assertEqual(list(ib), ['{worker="0"}'])
        grew = ib['{worker="0"}'] - ia['{worker="0"}']
        # an idle server's loop waits most of the time, and no longer than the clock ran
        self.assertGreater(grew, 0.2)
        self.assertLessEqual(grew, t1 - t0 + 0.01)

    def test_a_stopped_worker_shows_as_lag(self):
        _, a = self.scrape()
        slow = lambda text: series(text, "scifind_loop_lag_seconds_count")[""] - \
            series(text, "scifind_loop_lag_seconds_bucket")['{le="0.25"}']
        os.kill(self.server.proc.pid, signal.SIGSTOP)
        try:
            time.sleep(0.5)
        finally:
            os.kill(self.server.proc.pid, signal.SIGCONT)
        time.sleep(0.15)
        _, b = self.scrape()
        self.assertGreaterEqual(slow(b) - slow(a), 1)
        self.assertGreaterEqual(series(b, "scifind_loop_lag_seconds_sum")[""] -
                                series(a, "scifind_loop_lag_seconds_sum")[""], 0.3)


class MetricsAcrossWorkers(harness.ServerTestCase):
    SERVER_ARGS = dict(workers=2)

    def scrape(self):
        r = self.request("GET", "/metrics")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/plain; version=0.0.4"))
        return r.header("X-Scifind-Worker"), r.body.decode()

    @harness.direct_only("NGINX reuses one pooled connection, so every scrape reaches the same"
                         " worker")
    def test_same_figures_whichever_worker_answers_and_promtool_accepts(self):
        for i in range(20):
            self.request("GET", "/health")
            self.request("GET", "/nope%d" % i)
            self.request("POST", "/health")
        seen = {}
        for _ in range(200):
            w, text = self.scrape()
            seen.setdefault(w, text)
            if len(seen) == 2:
                break
        if len(seen) < 2:
            self.skipTest("the kernel sent every scrape to one worker")
        a, b = seen.values()
        self.assertEqual(stable_lines(a), stable_lines(b))
        n = re.search(r'scifind_http_requests_total\{route="/health",status="200"\} (\d+)', a)
        self.assertTrue(n and int(n.group(1)) >= 20)
        self.assertTrue('scifind_http_requests_total{route="none",status="404"} 20\n' in a)
        self.assertTrue('scifind_http_requests_total{route="/health",status="405"} 20\n' in a)
        self.assertTrue("scifind_workers 2\n" in a)
        self.assertEqual(len(re.findall(r"scifind_process_open_fds\{worker=", a)), 2)
        promtool = shutil.which("promtool")
        if promtool:
            p = subprocess.run([promtool, "check", "metrics"], input=a.encode(),
                               capture_output=True, timeout=30)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_provider_change_is_seen_by_every_worker(self):
        r = self.request("PUT", "/v1/providers/openalex",
                         body=b'{"enabled": false, "rate_limit": {"interval_ms": 250, "burst": 4}}')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"provider": "openalex", "enabled": False, "timeout_ms": 4000,
                                    "rate_limit": {"interval_ms": 250, "burst": 4}})
        for _ in range(6):  # whichever worker: the shared record says the same
            d = self.request("GET", "/v1/providers").json()["providers"]["openalex"]
            self.assertEqual(d["rate_limit"], {"interval_ms": 250, "burst": 4})
        bad = self.request("PUT", "/v1/providers/openalex", body=b'{"enabled": "no"}')
        self.assertEqual(bad.status, 400)
        # A suspension can be lifted, never set by hand.
        self.assertEqual(self.request("PUT", "/v1/providers/openalex",
                                      body=b'{"suspended": false}').status, 200)
        self.assertEqual(self.request("PUT", "/v1/providers/openalex",
                                      body=b'{"suspended": true}').status, 400)
        self.assertIsNone(self.request("GET", "/v1/providers").json()["providers"]["openalex"]
                          ["suspended"])
        self.assertEqual(self.request("PUT", "/v1/providers/nope", body=b"{}").status, 404)
        self.assertEqual(self.request("PUT", "/v1/providers/exa",
                                      body=b'{"enabled": true}').status, 409)


if __name__ == "__main__":
    unittest.main(verbosity=2)
