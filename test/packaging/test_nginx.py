#!/usr/bin/env python3
"""scifind behind a real NGINX running packaging/nginx/scifind.conf.

The sample site is used as shipped, with its ports and paths rewritten
(nginx_proxy.py). Checked: /health and a 404 through the proxy,
X-Request-ID passed through or made, /health and /metrics unlogged while
other requests are logged, and GET /v1/search cached by NGINX according to
scifind's Cache-Control/ETag (against the provider simulator): MISS then
HIT with the same body, arguments in the key, 304 on If-None-Match,
requests with credentials bypassing the cache, POST never cached; NGINX's
own errors (413 over client_max_body_size, 502 with scifind down) in
scifind's JSON error shape; a request id scifind would refuse replaced by
NGINX's before it reaches scifind or the log.
Skipped (77) without nginx or the scifind binary. The whole black-box suite
through this site: test/blackbox/run_via_nginx.py (blackbox_via_nginx).
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "test", "blackbox"))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import nginx_proxy  # noqa: E402

SIM = os.path.join(REPO, "bench", "simulator", "scifind-sim")
PROVIDERS = ("ARXIV", "SEMANTIC_SCHOLAR", "EXA", "OPENALEX", "CROSSREF")


def start_simulator(tmpdir):
    """The provider simulator on a free port (generated corpus, no faults)."""
    port = harness.free_port()
    path = os.path.join(tmpdir, "sim.log")
    with open(path, "wb") as log:
        proc = subprocess.Popen([sys.executable, SIM, "--listen", "127.0.0.1:%d" % port,
                                 "--corpus", "generated", "--corpus-cache", "off", "--quiet",
                                 "--exa-api-key", "test-key"],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("simulator exited: %s" % open(path).read())
        try:
            r = harness.request(port, "GET", "/_sim/health", timeout=1.0)
            if r.status < 500:
                return proc, port
        except (OSError, harness.ProtocolError):
            pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("simulator did not start")


class BehindNginx(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        nginx_proxy.nginx_binary()   # SkipTest without nginx
        harness.binary()             # SkipTest without scifind
        import tempfile
        cls.tmp = tempfile.mkdtemp(prefix="scifind-pkg-nginx-")
        cls.sim, cls.sim_port = start_simulator(cls.tmp)
        env = dict(os.environ)
        base = "http://127.0.0.1:%d" % cls.sim_port
        for p in PROVIDERS:
            env["SCIFIND_%s_BASE_URL" % p] = base
            env["SCIFIND_%s_RATE_INTERVAL" % p] = "0"
        env["SCIFIND_EXA_API_KEY"] = "test-key"
        cls.server = harness.Server(workers=0, env=env).start()
        cls.proxy = nginx_proxy.start(cls.server.port)

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        cls.server.stop()
        cls.sim.terminate()
        cls.sim.wait(timeout=10)
        import shutil
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def get(self, path, headers=None, method="GET", body=None):
        return harness.request(self.proxy.port, method, path, headers=headers, body=body,
                               timeout=15.0)

    def test_health_through_proxy(self):
        r = self.get("/health")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"status": "ok"})
        self.assertEqual(r.header("Cache-Control"), "no-store")

    def test_not_found_through_proxy(self):
        r = self.get("/no/such/path")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.header("Content-Type"), "application/json")
        self.assertEqual(r.json()["error"]["code"], "not_found")

    def test_request_id_passed_through(self):
        r = self.get("/no/such/path", headers={"X-Request-ID": "pkg-nginx-42"})
        self.assertEqual(r.header("X-Request-ID"), "pkg-nginx-42")
        self.assertEqual(r.json()["request_id"], "pkg-nginx-42")

    def test_request_id_made_when_absent(self):
        r = self.get("/no/such/other")
        rid = r.header("X-Request-ID")
        self.assertRegex(rid or "", r"^[0-9a-f]{32}$")
        self.assertEqual(r.json()["request_id"], rid)
        # The id NGINX made is the one scifind used (it is in NGINX's log).
        self.assertIn("rid=%s" % rid, self.wait_log(rid))

    def wait_log(self, needle, timeout=3.0):
        deadline = time.monotonic() + timeout
        while True:
            text = self.proxy.access_log()
            if needle in text or time.monotonic() > deadline:
                return text
            time.sleep(0.05)

    def test_health_and_metrics_unlogged(self):
        for path in ("/health", "/health/live", "/health/ready", "/metrics"):
            r = self.get(path + "?pkg-unlogged")
            self.assertNotEqual(r.status, 403, path)  # /metrics is allowed from loopback
            self.assertNotIn(r.status, (502, 504), path)
        self.get("/logged-marker")
        log = self.wait_log("/logged-marker")
        self.assertIn("/logged-marker", log)
        self.assertNotIn("pkg-unlogged", log)

    def test_search_cached_by_nginx(self):
        q = "/v1/search?query=neural+networks+%d&limit=3" % os.getpid()
        r1 = self.get(q)
        self.assertEqual(r1.status, 200, r1.body[:300])
        cc = r1.header("Cache-Control") or ""
        m = re.search(r"max-age=(\d+)", cc)
        # A 200 search answer says how long it may be kept: without it the
        # shared cache below would keep nothing, and that is a failure.
        self.assertTrue(m and int(m.group(1)) > 0,
                        "scifind answered without a max-age (%r): nothing to cache" % cc)
        self.assertEqual(r1.header("X-Cache-Status"), "MISS")
        r2 = self.get(q)
        self.assertEqual(r2.status, 200)
        self.assertEqual(r2.header("X-Cache-Status"), "HIT")
        self.assertEqual(r2.body, r1.body)
        self.assertEqual(r2.header("ETag"), r1.header("ETag"))

        # The arguments are part of the key.
        r3 = self.get(q + "&offset=1")
        self.assertEqual(r3.header("X-Cache-Status"), "MISS")

        # A conditional request is answered from the cache.
        r4 = self.get(q, headers={"If-None-Match": r1.header("ETag")})
        self.assertEqual(r4.status, 304)

        # With credentials: never from or into the shared cache.
        r5 = self.get(q, headers={"Authorization": "Bearer pkg-test"})
        self.assertEqual(r5.header("X-Cache-Status"), "BYPASS")
        r6 = self.get(q, headers={"X-API-Key": "pkg-test"})
        self.assertEqual(r6.header("X-Cache-Status"), "BYPASS")

    def test_bad_request_id_replaced_before_scifind_and_log(self):
        # Not an id scifind would take: NGINX's own goes to scifind, the
        # answer and the log, never the client's text.
        r = self.get("/no/such/bad-rid", headers={"X-Request-ID": 'x"y z'})
        rid = r.header("X-Request-ID")
        self.assertRegex(rid or "", r"^[0-9a-f]{32}$")
        self.assertEqual(r.json()["request_id"], rid)
        log = self.wait_log(rid)
        self.assertIn("rid=%s" % rid, log)
        self.assertNotIn('x"y', log)

    def from_other_address(self, method, path, body=None):
        """A request from 127.0.0.2: loopback still, but outside the site's
        allow list (127.0.0.1, ::1, private ranges)."""
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.connect(("127.0.0.1", self.proxy.port))
        c = harness.Conn(self.proxy.port, sock=s, timeout=10)
        self.addCleanup(c.close)
        c.send(harness.build_request(method, path, body=body))
        return c.read_response()

    def test_admin_routes_internal_only(self):
        for method, path, body in (("DELETE", "/v1/cache", None),
                                   ("DELETE", "/v1/cache/somekey", None),
                                   ("PUT", "/v1/providers/crossref", b'{"enabled": true}')):
            r = self.from_other_address(method, path, body)
            self.assertEqual(r.status, 403, r)
            self.assertEqual(r.json()["error"]["code"], "forbidden", r)
        self.assertEqual(self.from_other_address("GET", "/v1/providers").status, 200)
        self.assertEqual(self.from_other_address("GET", "/v1/cache/stats").status, 200)
        # From inside, scifind decides: no key configured, NGINX on loopback.
        self.assertEqual(self.get("/v1/cache", method="DELETE").status, 200)

    def test_body_too_large_is_a_json_413(self):
        # Over client_max_body_size (1m): NGINX answers, in scifind's shape.
        c = harness.Conn(self.proxy.port, timeout=10)
        self.addCleanup(c.close)
        c.send(harness.build_request("POST", "/v1/search/batch",
                                     [("Content-Type", "application/json"),
                                      ("Content-Length", str(2 << 20)),
                                      ("Expect", "100-continue"),
                                      ("X-Request-ID", "pkg-413")]))
        r = c.read_response(interim=True)
        self.assertEqual(r.status, 413, r)
        self.assertEqual(r.header("Content-Type"), "application/json")
        self.assertEqual(r.json(), {"error": {"code": "payload_too_large",
                                              "message": "request body larger than the proxy"
                                                         " allows"},
                                    "request_id": "pkg-413"})
        self.assertEqual(r.header("X-Request-ID"), "pkg-413")

    # A partial answer (a provider failed) is kept by NGINX no longer than
    # scifind's own tiers keep it (10 s, docs/cache.md), not the whole ttl.
    def test_partial_answer_not_cached_longer_than_scifind_does(self):
        cfg = json.dumps({"mode": "error"}).encode()
        r = harness.request(self.sim_port, "POST", "/_sim/providers/crossref", body=cfg,
                            headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 200, r)
        try:
            r = self.get("/v1/search?query=partial+answers+%d&limit=3" % os.getpid())
        finally:
            harness.request(self.sim_port, "POST", "/_sim/reset",
                            body=b'{"config": true}', headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertTrue(r.json()["partial"], r.body[:300])
        m = re.search(r"max-age=(\d+)", r.header("Cache-Control") or "")
        self.assertTrue(m is None or int(m.group(1)) <= 10, r.header("Cache-Control"))

    def test_post_search_not_cached(self):
        body = json.dumps({"query": "quantum error correction", "limit": 2}).encode()
        h = {"Content-Type": "application/json"}
        for _ in range(2):
            r = self.get("/v1/search", method="POST", headers=h, body=body)
            self.assertEqual(r.status, 200, r.body[:300])
            self.assertNotEqual(r.header("X-Cache-Status"), "HIT")


class UpstreamDown(unittest.TestCase):
    """NGINX's own 502 when nothing listens behind it: JSON, not its page."""

    def test_scifind_down_is_a_json_502(self):
        dead = nginx_proxy.free_port()           # nothing listens there
        proxy = nginx_proxy.start(dead)
        self.addCleanup(proxy.stop)
        for path in ("/health", "/v1/search?query=x", "/v1/papers/1"):
            r = harness.request(proxy.port, "GET", path, headers={"X-Request-ID": "pkg-502"},
                                timeout=15.0)
            self.assertEqual(r.status, 502, (path, r))
            self.assertEqual(r.header("Content-Type"), "application/json", path)
            self.assertEqual(r.header("Retry-After"), "1", path)
            self.assertEqual(r.header("Cache-Control"), "no-store", path)
            self.assertEqual(r.header("X-Request-ID"), "pkg-502", path)
            j = r.json()
            self.assertEqual(j["error"]["code"], "bad_gateway", path)
            self.assertEqual(j["request_id"], "pkg-502", path)


def main():
    """unittest, with exit 77 (meson's "skipped") when nothing ran."""
    prog = unittest.main(verbosity=2, exit=False)
    r = prog.result
    if r.skipped and r.testsRun <= len(r.skipped) and not r.failures and not r.errors:
        for _t, why in r.skipped:
            print("SKIP:", why)
        sys.exit(77)
    sys.exit(0 if r.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
