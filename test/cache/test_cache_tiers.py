"""Black-box tests of the cache tiers (docs/cache.md) against the real
binary, a real redis-server and the provider simulator, all started here on
free loopback ports in a temporary directory and stopped afterwards.

Stdlib only. SF_BIN: the scifind binary; SF_SIM: the simulator (default
bench/simulator/scifind-sim); REDIS_SERVER: redis-server (default: on PATH).
"""

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "test", "blackbox"))
import harness  # noqa: E402
from redistmp import Redis  # noqa: E402

SIM = os.environ.get("SF_SIM") or os.path.join(REPO, "bench", "simulator", "scifind-sim")
PROVIDERS = ("arxiv", "semantic_scholar", "exa", "openalex", "crossref")


class Simulator:
    def __init__(self, tmp):
        self.tmp = tmp
        self.proc = None
        self.port = None

    def start(self):
        if not os.path.exists(SIM):
            raise unittest.SkipTest("simulator not found at %s" % SIM)
        self.err = open(os.path.join(self.tmp, "sim.err"), "wb")
        self.proc = subprocess.Popen(
            [sys.executable, SIM, "--listen", "127.0.0.1:0", "--corpus", "generated",
             "--exa-api-key", "k", "--quiet", "--corpus-cache", "off"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.err,
            start_new_session=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("simulator did not start")
        info = json.loads(line)
        self.port = int(info["listen"].rsplit(":", 1)[1])
        return self

    def admin(self, method, path, body=None):
        r = harness.request(self.port, method, path,
                            headers={"Content-Type": "application/json"} if body else None,
                            body=json.dumps(body) if body is not None else None)
        return r.status, (r.json() if r.body else None)

    def requests_per_provider(self):
        _, d = self.admin("GET", "/_sim/stats")
        return {p: d["providers"][p]["requests"] for p in PROVIDERS}

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc:
            self.proc.stdout.close()
        self.proc = None
        self.err.close()


def provider_env(sim_port):
    env = dict(os.environ)
    for p in PROVIDERS:
        env["SCIFIND_%s_BASE_URL" % p.upper()] = "http://127.0.0.1:%d" % sim_port
        env["SCIFIND_%s_RATE_INTERVAL" % p.upper()] = "0"
    env["SCIFIND_EXA_API_KEY"] = "k"
    return env


def search_path(text, **params):
    q = {"query": text}
    q.update(params)
    return "/v1/search?" + urllib.parse.urlencode(q)


class CacheTiersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="scifind-cache-")
        cls.redis = Redis(cls.tmp).start()
        cls.sim = Simulator(cls.tmp).start()
        cls.servers = []

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers:
            s.stop(check=False)
        cls.sim.stop()
        cls.redis.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def start_server(self, workers=0, **settings):
        base = {"redis.url": "redis://127.0.0.1:%d" % self.redis.port,
                "redis.command_timeout": "100ms", "redis.connect_timeout": "200ms",
                "log.access": "false"}
        base.update(settings)
        s = harness.Server(workers=workers, settings=base, env=provider_env(self.sim.port))
        s.start()
        self.servers.append(s)
        self.addCleanup(self._stop, s)
        return s

    def _stop(self, s):
        if s in self.servers:
            self.servers.remove(s)
            s.stop()  # checks the exit status and the sanitizer reports

    def wait_redis_ok(self, srv, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = srv.request("GET", "/v1/cache/stats").json()
            if st["tiers"]["redis"] and st["tiers"]["redis"]["state"] == "ok":
                return st
            time.sleep(0.05)
        self.fail("Redis tier not ready within %.0f s" % timeout)

    def setUp(self):
        self.sim.admin("POST", "/_sim/providers/all", {"reset": True})
        self.sim.admin("POST", "/_sim/reset")

    # -- tests --------------------------------------------------------------

    def test_single_flight_100_concurrent_misses_one_request_per_provider(self):
        srv = self.start_server()
        self.wait_redis_ok(srv)
        self.sim.admin("POST", "/_sim/providers/all", {"latency_ms": 400})
        # Three words: one call per provider (four would add the title calls).
        path = search_path("flight herd %d" % os.getpid(), limit=5)
        results = [None] * 100
        start = threading.Barrier(100)

        def one(i):
            start.wait()
            try:
                results[i] = srv.request("GET", path, timeout=20).status
            except Exception as e:  # noqa: BLE001
                results[i] = repr(e)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(100)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(results, [200] * 100)
        counts = self.sim.requests_per_provider()
        self.assertEqual(counts, {p: 1 for p in PROVIDERS}, counts)
        sf = srv.request("GET", "/v1/cache/stats").json()["tiers"]["single_flight"]
        self.assertGreaterEqual(sf["joined"], 1, sf)

    def test_memory_hit_etag_304_and_gzip(self):
        srv = self.start_server()
        path = search_path("etag gzip check", limit=4)
        a = srv.request("GET", path)
        self.assertEqual(a.status, 200, a)
        b = srv.request("GET", path)
        self.assertEqual(b.header("X-Cache"), "memory", b)
        self.assertEqual(a.header("ETag"), b.header("ETag"))
        ja, jb = a.json(), b.json()
        ja.pop("request_id"), jb.pop("request_id")
        self.assertEqual(ja, jb)
        nm = srv.request("GET", path, headers={"If-None-Match": b.header("ETag")})
        self.assertEqual(nm.status, 304, nm)
        self.assertEqual(nm.body, b"")
        self.assertEqual(nm.header("ETag"), b.header("ETag"))
        z = srv.request("GET", path, headers={"Accept-Encoding": "gzip"})
        self.assertEqual(z.status, 200, z)
        self.assertEqual(z.header("Content-Encoding"), "gzip", z)
        jz = json.loads(gzip.decompress(z.body))
        self.assertEqual(jz.pop("request_id"), z.header("X-Request-ID"))
        self.assertEqual(jz, jb)

    def assertCachedDeflateAtLevel(self, srv, level, text):
        """The gzip answer is header | stored block (the request's prefix) |
        the cached DEFLATE copy | trailer: the copy must be what zlib makes
        of the same bytes at compression.level."""
        path = search_path(text, limit=20)
        for _ in range(2):  # the miss, then the hit: both send the cached copy
            z = srv.request("GET", path, headers={"Accept-Encoding": "gzip"})
            self.assertEqual(z.status, 200, z)
            self.assertEqual(z.header("Content-Encoding"), "gzip", z)
            json.loads(gzip.decompress(z.body))
            self.assertEqual(z.body[10], 0, "not a stored block first")
            plen = z.body[11] | z.body[12] << 8
            copy = z.body[15 + plen:-8]
            rest = zlib.decompressobj(-15).decompress(copy)
            c = zlib.compressobj(level, zlib.DEFLATED, -15, 8)
            self.assertEqual(copy, c.compress(rest) + c.flush(), "copy not made at level %d" % level)
        c = zlib.compressobj(6, zlib.DEFLATED, -15, 8)
        self.assertNotEqual(copy, c.compress(rest) + c.flush(), "the answer is too small to tell")

    def test_cached_deflate_copy_follows_compression_level(self):
        # Made by L2 (it answers L1 with the copy) with Redis, by L1 without.
        srv = self.start_server(**{"compression.level": "1"})
        self.wait_redis_ok(srv)
        self.assertCachedDeflateAtLevel(srv, 1, "deflate level one %d" % os.getpid())
        srv = self.start_server(**{"compression.level": "1", "redis.url": ""})
        self.assertCachedDeflateAtLevel(srv, 1, "deflate level one, memory only %d" % os.getpid())

    def test_per_request_deflate_follows_compression_level(self):
        # Caches off: /v1/search compresses each answer itself, spliced the same way.
        srv = self.start_server(**{"compression.level": "1", "compression.min_bytes": "0",
                                   "cache.enabled": "false"})
        self.assertCachedDeflateAtLevel(srv, 1, "deflate level one, no cache %d" % os.getpid())

    def test_redis_hit_across_servers_and_delete(self):
        a = self.start_server()
        self.wait_redis_ok(a)
        path = search_path("shared redis tier", limit=3)
        r1 = a.request("GET", path)
        self.assertEqual(r1.header("X-Cache"), "search", r1)
        b = self.start_server()
        self.wait_redis_ok(b)
        deadline = time.monotonic() + 3
        while True:  # the SET is written behind the answer
            r2 = b.request("GET", path)
            if r2.header("X-Cache") == "redis" or time.monotonic() > deadline:
                break
            b.request("DELETE", path.replace("/v1/search", "/v1/cache"))
            time.sleep(0.1)
        self.assertEqual(r2.header("X-Cache"), "redis", r2)
        self.assertEqual(r2.header("ETag"), r1.header("ETag"))
        zb = b.request("GET", path, headers={"Accept-Encoding": "gzip"})
        self.assertEqual(zb.header("X-Cache"), "memory", zb)
        self.assertEqual(json.loads(gzip.decompress(zb.body))["papers"], r1.json()["papers"])
        # Everything: the version moves on, both servers miss.
        d = a.request("DELETE", "/v1/cache")
        self.assertEqual(d.status, 200, d)
        self.assertTrue(d.json()["flushed"])
        time.sleep(1.5)  # b sees the new version at its next poll
        self.assertEqual(a.request("GET", path).header("X-Cache"), "search")
        self.assertIn(b.request("GET", path).header("X-Cache"), ("search", "redis"))
        self.sim.admin("POST", "/_sim/reset")

    def test_delete_one_query(self):
        srv = self.start_server()
        self.wait_redis_ok(srv)
        path = search_path("delete me please", limit=2)
        srv.request("GET", path)
        self.assertEqual(srv.request("GET", path).header("X-Cache"), "memory")
        d = srv.request("DELETE", path.replace("/v1/search", "/v1/cache"))
        self.assertEqual(d.status, 200, d)
        self.assertEqual(d.json()["deleted"]["memory"], True)
        self.assertEqual(srv.request("GET", path).header("X-Cache"), "search")
        bad = srv.request("DELETE", "/v1/cache?limit=5")
        self.assertEqual(bad.status, 400, bad)

    def worker_conns(self, srv, want=2, tries=100):
        """One keep-alive connection to each of want workers: {worker: Conn}
        (the worker is named by /metrics' X-Scifind-Worker)."""
        conns = {}
        for _ in range(tries):
            c = harness.Conn(srv.port, timeout=10)
            self.addCleanup(c.close)
            c.send(harness.build_request("GET", "/metrics", [("Host", "t")]))
            w = c.read_response().header("X-Scifind-Worker")
            if w in conns:
                c.close()
            else:
                conns[w] = c
            if len(conns) == want:
                return conns
        self.fail("only workers %s answered in %d connections" % (sorted(conns), tries))

    def test_delete_reaches_every_worker_without_redis(self):
        srv = self.start_server(workers=2, **{"redis.url": ""})
        conns = self.worker_conns(srv)

        def ask(c, path):
            c.send(harness.build_request("GET", path, [("Host", "t")]))
            r = c.read_response()
            self.assertEqual(r.status, 200, r)
            return r

        for delete in ("one", "all"):
            path = search_path("delete everywhere " + delete, limit=2)
            for c in conns.values():
                ask(c, path)                            # each worker computes it
                self.assertEqual(ask(c, path).header("X-Cache"), "memory")
            target = path.replace("/v1/search", "/v1/cache") if delete == "one" else "/v1/cache"
            d = srv.request("DELETE", target)
            self.assertEqual(d.status, 200, d)
            # Every worker computes it again, from the providers themselves
            # (their per-provider results went too).
            for w, c in conns.items():
                r = ask(c, path)
                self.assertEqual(r.header("X-Cache"), "search", (delete, w))
                statuses = {p["status"] for p in r.json()["providers"].values()}
                self.assertNotIn("cached", statuses, (delete, w))

    def _load(self, srv, stop, failures, counts, distinct):
        n = 0
        while not stop.is_set():
            n += 1
            text = "load %d %d" % (threading.get_ident() % 1000, n % 20 if not distinct else n)
            try:
                r = srv.request("GET", search_path(text, limit=3), timeout=10)
                counts.append(r.status)
                if r.status != 200:
                    failures.append(r)
            except Exception as e:  # noqa: BLE001
                failures.append(repr(e))

    def test_redis_killed_and_restarted_under_load(self):
        srv = self.start_server(workers=2)
        self.wait_redis_ok(srv)
        stop, failures, counts = threading.Event(), [], []
        threads = [threading.Thread(target=self._load, args=(srv, stop, failures, counts, False))
                   for _ in range(4)]
        for t in threads:
            t.start()
        try:
            time.sleep(1.0)
            self.redis.proc.kill()
            self.redis.proc.wait(5)
            time.sleep(1.0)
            self.redis.stop()
            self.redis.start()
            time.sleep(1.0)
        finally:
            stop.set()
            for t in threads:
                t.join(20)
        self.assertEqual(failures, [])
        self.assertGreater(len(counts), 20)
        self.wait_redis_ok(srv, timeout=10)

    def test_redis_frozen_deadlines_fire_and_searches_go_on(self):
        srv = self.start_server()
        self.wait_redis_ok(srv)
        os.kill(self.redis.proc.pid, signal.SIGSTOP)
        try:
            for i in range(6):
                t0 = time.monotonic()
                r = srv.request("GET", search_path("frozen redis %d" % i, limit=2), timeout=10)
                self.assertEqual(r.status, 200, r)
                self.assertLess(time.monotonic() - t0, 5.0)
            st = srv.request("GET", "/v1/cache/stats").json()["tiers"]["redis"]
            self.assertGreater(st["timeouts"] + st["errors"], 0, st)
            self.assertEqual(st["state"], "degraded", st)
        finally:
            os.kill(self.redis.proc.pid, signal.SIGCONT)
        self.wait_redis_ok(srv, timeout=10)
        path = search_path("after the thaw", limit=2)
        srv.request("GET", path)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            keys = self.redis.command("KEYS", "scifind:v*")
            if keys:
                break
            time.sleep(0.05)
        self.assertTrue(keys, "nothing written to Redis after recovery")

    def test_delete_with_redis_down_is_503_and_memory_is_flushed(self):
        srv = self.start_server(**{"redis.url": "redis://127.0.0.1:%d" % harness.free_port()})
        path = search_path("delete with redis down", limit=2)
        srv.request("GET", path)
        self.assertEqual(srv.request("GET", path).header("X-Cache"), "memory")
        for target in (path.replace("/v1/search", "/v1/cache"), "/v1/cache"):
            d = srv.request("DELETE", target)
            self.assertEqual(d.status, 503, d)
            self.assertEqual(d.json()["error"]["code"], "service_unavailable")
            self.assertIn("Redis did not answer", d.json()["error"]["message"])
            self.assertEqual(d.header("Retry-After"), "1")
            self.assertEqual(srv.request("GET", path).header("X-Cache"), "search")

    def test_stats_shape(self):
        srv = self.start_server()
        st = srv.request("GET", "/v1/cache/stats")
        self.assertEqual(st.status, 200, st)
        j = st.json()
        for tier in ("memory", "redis"):
            for k in ("hits", "misses", "errors", "bytes", "evictions"):
                self.assertIn(k, j["tiers"][tier], j)

    def test_without_redis_url(self):
        srv = self.start_server(**{"redis.url": ""})
        path = search_path("no redis here", limit=2)
        self.assertEqual(srv.request("GET", path).status, 200)
        self.assertEqual(srv.request("GET", path).header("X-Cache"), "memory")
        self.assertIsNone(srv.request("GET", "/v1/cache/stats").json()["tiers"]["redis"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
