#!/usr/bin/env python3
"""Tests of the simulator's single-port layout (--listen HOST:PORT), fault
rates, latency distributions, the body faults (slow_body, truncated,
malformed) and the generated corpus.

Run: python3 test/sim/test_single_port.py   (stdlib only; exits non-zero on failure)
"""

import http.client
import importlib.machinery
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import unittest
import warnings
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_simulator as ts  # noqa: E402  (start_sim, request, raw_exchange)

NS = ts.NS
SIM = ts.SIM
PROC = None
BASE = None
INFO = None


def load_module():
    loader = importlib.machinery.SourceFileLoader("scifind_sim", SIM)
    spec = importlib.util.spec_from_loader("scifind_sim", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


MOD = load_module()


def start(extra=(), env=None):
    """Start the simulator on one free port with real paths; returns (proc, start line)."""
    return ts.start_sim(["--listen", "127.0.0.1:0"] + list(extra), env=env)


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.stdout.close()
    proc.stderr.close()


def setUpModule():
    global PROC, BASE, INFO
    warnings.simplefilter("ignore", ResourceWarning)
    PROC, INFO = start(["--seed", "7"])
    BASE = INFO["listen"]


def tearDownModule():
    if PROC is not None:
        stop(PROC)


def req(method, path, body=None, headers=None, timeout=10, conn=None):
    return ts.request(BASE, method, path, body=body, headers=headers, timeout=timeout, conn=conn)


def admin(method, path, body=None):
    st, _, raw = req(method, path, body=body)
    return st, json.loads(raw)


def configure(provider, **cfg):
    st, out = admin("POST", "/_sim/providers/" + provider, cfg)
    assert st == 200, out
    return out


def stats():
    return admin("GET", "/_sim/stats")[1]


def recent(provider, n=200):
    return admin("GET", "/_sim/requests/%s?n=%d" % (provider, n))[1]["requests"]


class Base(unittest.TestCase):
    def setUp(self):
        admin("POST", "/_sim/reset", {"config": True})

    tearDown = setUp


class StartLineTest(Base):
    def test_start_line(self):
        self.assertEqual(INFO["layout"], "paths")
        urls = set(INFO["providers"].values())
        self.assertEqual(urls, {BASE})  # every provider's base URL is the same http://HOST:PORT
        self.assertEqual(INFO["admin"], BASE)
        self.assertEqual(urlsplit(BASE).path, "")
        self.assertEqual(INFO["seed"], 7)
        self.assertIn(INFO["corpus"]["source"], ("file", "generated"))
        self.assertEqual(INFO["papers"], INFO["corpus"]["papers"])

    def test_listen_parsing(self):
        self.assertEqual(MOD.parse_listen("127.0.0.1:8080"), ("127.0.0.1", 8080))
        self.assertEqual(MOD.parse_listen("[::1]:8080"), ("::1", 8080))
        self.assertEqual(MOD.parse_listen("::1"), ("::1", None))
        self.assertEqual(MOD.parse_listen("[::1]"), ("::1", None))
        self.assertEqual(MOD.parse_listen("127.0.0.1"), ("127.0.0.1", None))
        for bad in ("127.0.0.1:x", "[::1]x", ":80", "h:99999"):
            with self.assertRaises(ValueError):
                MOD.parse_listen(bad)


class RoutingTest(Base):
    def test_each_provider_on_its_real_path(self):
        st, h, raw = req("GET", "/api/query?search_query=all:graph&max_results=2")
        self.assertEqual(st, 200)
        self.assertIn("atom+xml", h["content-type"])
        self.assertEqual(len(ET.fromstring(raw).findall("a:entry", NS)), 2)
        st, _, raw = req("GET", "/graph/v1/paper/search?query=graph&limit=2&fields=title")
        self.assertEqual((st, len(json.loads(raw)["data"])), (200, 2))
        st, _, raw = req("POST", "/search", body={"query": "graph", "numResults": 2}, headers={"x-api-key": "k"})
        self.assertEqual((st, len(json.loads(raw)["results"])), (200, 2))
        st, _, raw = req("GET", "/works?search=graph&per-page=2&api_key=k")
        d = json.loads(raw)
        self.assertEqual((st, set(d)), (200, {"meta", "results", "group_by"}))
        st, _, raw = req("GET", "/works?query=graph&rows=2&mailto=a@b.c")
        d = json.loads(raw)
        self.assertEqual((st, d["message-type"]), (200, "work-list"))
        s = stats()
        for p in MOD.PROVIDERS:
            self.assertEqual(s["providers"][p]["requests"], 1, p)
        self.assertEqual(s["total"], 5)
        self.assertEqual(s["unrouted"], 0)

    def test_works_routing_rule(self):
        oa, cr = "openalex", "crossref"
        cases = [
            # what scifind's clients send
            ("search=graph&filter=publication_year:2010-2016&sort=relevance_score:desc&per-page=25&mailto=a@b.c&api_key=k", oa),
            ("query=graph&query.author=smith&filter=from-pub-date:2010&rows=25&select=DOI,title&sort=published&order=desc&mailto=a@b.c", cr),
            ("search=x", oa), ("per_page=5", oa), ("page=2", oa), ("api_key=k", oa), ("seed=1&sample=5", oa),
            ("group_by=type", oa), ("search.exact=x", oa),
            ("query=x", cr), ("query.bibliographic=x", cr), ("rows=5", cr), ("offset=20", cr), ("facet=t", cr),
            ("order=asc", cr),
            # shared parameters only: decided by the filter names, sort keys, select fields
            ("filter=publication_year:2015", oa), ("filter=from-pub-date:2015", cr), ("filter=title.search:x", oa),
            ("filter=prefix:10.1103", cr), ("sort=cited_by_count:desc", oa), ("sort=is-referenced-by-count", cr),
            ("select=DOI,title", cr), ("select=id,display_name", oa), ("cursor=*&filter=has-abstract:true", cr),
            ("cursor=*", oa), ("", oa), ("mailto=a@b.c", oa),
            # both kinds: OpenAlex (which then answers 400 for the Crossref parameter)
            ("search=x&rows=5", oa),
        ]
        for q, want in cases:
            self.assertEqual(MOD.route_real_path("GET", "/works", q, {}), want, q)
        self.assertEqual(MOD.route_real_path("GET", "/works", "", {"crossref-plus-api-token": "Bearer t"}), cr)
        self.assertEqual(MOD.route_real_path("GET", "/works/W2741809807", "", {}), oa)
        self.assertEqual(MOD.route_real_path("GET", "/works/doi:10.1/x", "", {}), oa)
        self.assertEqual(MOD.route_real_path("GET", "/works/10.1103/PhysRevB.1", "", {}), cr)
        self.assertEqual(MOD.route_real_path("GET", "/v1/works", "query=x", {}), cr)
        self.assertEqual(MOD.route_real_path("GET", "/graph/v1/paper/ARXIV:1", "", {}), "semantic_scholar")
        self.assertIsNone(MOD.route_real_path("GET", "/nothing", "", {}))

    def test_works_routing_over_the_wire(self):
        # Same path, two providers: the counters and the bodies tell them apart.
        _, _, raw = req("GET", "/works?filter=publication_year:2014&per-page=3")
        self.assertIn("meta", json.loads(raw))
        _, _, raw = req("GET", "/works?filter=from-pub-date:2014&rows=3")
        self.assertEqual(json.loads(raw)["message-type"], "work-list")
        _, _, raw = req("GET", "/works?query=graph&rows=1")
        doi = json.loads(raw)["message"]["items"][0]["DOI"]
        st, _, raw = req("GET", "/works/" + doi)
        self.assertEqual((st, json.loads(raw)["message-type"]), (200, "work"))
        _, _, raw = req("GET", "/works?search=graph&per-page=1")
        wid = json.loads(raw)["results"][0]["id"].rsplit("/", 1)[1]
        st, _, raw = req("GET", "/works/" + wid)
        self.assertEqual((st, json.loads(raw)["id"]), (200, "https://openalex.org/" + wid))
        st, _, raw = req("GET", "/works?search=x&rows=5")  # mixed: OpenAlex's own 400
        self.assertEqual((st, json.loads(raw)["error"]), (400, "Invalid query parameters error."))
        s = stats()["providers"]
        self.assertEqual((s["openalex"]["requests"], s["crossref"]["requests"]), (4, 3))
        self.assertEqual(s["openalex"]["by_path"], {"/works": 3, "/works/" + wid: 1})

    def test_unknown_path_and_admin(self):
        st, _, raw = req("GET", "/nowhere")
        self.assertEqual(st, 404)
        self.assertIn("routes", json.loads(raw))
        st, d = admin("GET", "/_sim/health")
        self.assertEqual((st, d["layout"]), (200, "paths"))
        s = stats()
        self.assertEqual((s["total"], s["unrouted"]), (0, 1))

    def test_keepalive_counts_connections_per_provider(self):
        u = urlsplit(BASE)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        for _ in range(3):
            st, _, _ = req("GET", "/works?search=graph", conn=conn)
            self.assertEqual(st, 200)
        st, _, _ = req("GET", "/works?query=graph", conn=conn)
        conn.close()
        s = stats()["providers"]
        self.assertEqual((s["openalex"]["requests"], s["openalex"]["connections"]), (3, 1))
        self.assertEqual((s["crossref"]["requests"], s["crossref"]["connections"]), (1, 1))

    def test_refuse_resets_on_one_port(self):
        configure("exa", mode="refuse")
        with self.assertRaises((ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError)):
            req("POST", "/search", body={"query": "x"}, headers={"x-api-key": "k"})
        st, _, _ = req("GET", "/works?search=graph")  # the other providers still answer
        self.assertEqual(st, 200)


class RatesTest(Base):
    Q = "/graph/v1/paper/search?query=graph&limit=2"

    def statuses(self, n, path=None):
        u = urlsplit(BASE)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        out = []
        for _ in range(n):
            st, h, _ = req("GET", path or self.Q, conn=conn)
            out.append((st, h.get("retry-after")))
        conn.close()
        return out

    def test_error_and_rate_limit_rates_are_seeded(self):
        configure("semantic_scholar", error_rate=0.2, rate_limit_rate=0.1, retry_after=3)
        first = self.statuses(300)
        n500 = sum(1 for st, _ in first if st == 500)
        n429 = sum(1 for st, _ in first if st == 429)
        self.assertTrue(30 <= n500 <= 90, n500)
        self.assertTrue(10 <= n429 <= 50, n429)
        self.assertEqual(n500 + n429 + sum(1 for st, _ in first if st == 200), 300)
        self.assertTrue(all(ra == "3" for st, ra in first if st == 429))
        s = stats()["providers"]["semantic_scholar"]
        self.assertEqual(s["by_fault"].get("error"), n500)
        self.assertEqual(s["by_fault"].get("rate_limited"), n429)
        # The same seed after a reset: the same sequence, request for request.
        admin("POST", "/_sim/reset")
        self.assertEqual(self.statuses(300), first)
        # Another seed: another sequence.
        admin("POST", "/_sim/reset", {"seed": 8})
        self.assertNotEqual(self.statuses(300), first)
        admin("POST", "/_sim/reset", {"seed": 7})

    def test_rates_validated(self):
        st, d = admin("POST", "/_sim/providers/exa", {"error_rate": 1.5})
        self.assertEqual(st, 400)
        st, d = admin("POST", "/_sim/providers/exa", {"error_rate": 0.6, "hang_rate": 0.6})
        self.assertEqual(st, 400)
        self.assertIn("sum", d["error"])
        st, d = admin("POST", "/_sim/providers/exa", {"latency": "gamma:1:2"})
        self.assertEqual(st, 400)

    def test_latency_distributions(self):
        # Small values keep the test short; the shapes do not depend on the scale.
        for spec in ("normal:10:2", "uniform:4:16", "exp:6", "lognormal:8:0.5", "fixed:5", 5):
            configure("openalex", latency=spec)
            self.statuses(40, "/works?search=graph&per-page=1")
            delays = [r["delay_ms"] for r in recent("openalex", 40)]
            self.assertEqual(len(delays), 40)
            self.assertTrue(all(d >= 0 for d in delays), spec)
            mean = sum(delays) / len(delays)
            if spec == "uniform:4:16":
                self.assertTrue(all(4 <= d <= 16 for d in delays))
                self.assertTrue(8 <= mean <= 12, mean)
            elif spec == "normal:10:2":
                self.assertTrue(8.6 <= mean <= 11.4, mean)
                self.assertGreater(len(set(delays)), 30)
            elif spec in ("fixed:5", 5):
                self.assertEqual(set(delays), {5.0})
            elif spec == "exp:6":
                self.assertTrue(3 <= mean <= 10, mean)
            else:  # lognormal: the median is near 8
                self.assertTrue(4 <= sorted(delays)[20] <= 14, delays)
            # Reproducible: setting the same config again restarts the same draws.
            configure("openalex", latency=spec)
            self.statuses(40, "/works?search=graph&per-page=1")
            self.assertEqual([r["delay_ms"] for r in recent("openalex", 40)], delays, spec)
            admin("POST", "/_sim/reset")

    def test_latency_is_real(self):
        configure("arxiv", latency_ms=150, latency="uniform:50:60")
        t = time.monotonic()
        st, _, _ = req("GET", "/api/query?search_query=graph&max_results=1")
        self.assertEqual(st, 200)
        self.assertGreaterEqual(time.monotonic() - t, 0.195)

    def test_parse_latency(self):
        p = MOD.parse_latency
        self.assertIsNone(p(None))
        self.assertIsNone(p("none"))
        self.assertIsNone(p(0))
        self.assertEqual(p(50), ("fixed", (50.0,)))
        self.assertEqual(p("50"), ("fixed", (50.0,)))
        self.assertEqual(p("uniform:20:80"), ("uniform", (20.0, 80.0)))
        self.assertEqual(p("normal:50:10"), ("normal", (50.0, 10.0)))
        for bad in ("uniform:80:20", "normal:50", "x:1", "fixed:-1", "fixed:nan", True, [1]):
            with self.assertRaises(ValueError):
                p(bad)


class BodyFaultTest(Base):
    Q = "/works?query=graph&rows=20"

    def test_slow_body(self):
        configure("crossref", mode="slow_body", slow_body_ms=800, slow_body_pieces=4)
        u = urlsplit(BASE)
        s = socket.create_connection((u.hostname, u.port), timeout=5)
        t0 = time.monotonic()
        s.sendall(b"GET " + self.Q.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        data = s.recv(65536)
        t_head = time.monotonic() - t0
        self.assertTrue(data.startswith(b"HTTP/1.1 200"))
        head, _, body = data.partition(b"\r\n\r\n")
        length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
        while len(body) < length:
            chunk = s.recv(65536)
            self.assertTrue(chunk)
            body += chunk
        t_body = time.monotonic() - t0
        s.close()
        self.assertLess(t_head, 0.5)       # the headers come at once,
        self.assertGreaterEqual(t_body, 0.75)  # the body over slow_body_ms
        self.assertEqual(json.loads(body)["message-type"], "work-list")

    def test_slow_body_keepalive_and_client_timeout(self):
        configure("crossref", mode="slow_body", slow_body_ms=300, slow_body_pieces=3)
        u = urlsplit(BASE)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
        for _ in range(2):
            st, _, raw = req("GET", self.Q, conn=conn)
            self.assertEqual((st, json.loads(raw)["message-type"]), (200, "work-list"))
        conn.close()
        configure("crossref", mode="slow_body", slow_body_ms=5000, slow_body_pieces=10)
        with self.assertRaises(socket.timeout):
            req("GET", self.Q, timeout=0.5)

    def test_truncated(self):
        configure("crossref", mode="truncated", partial_bytes=300)
        raw = ts.raw_exchange(BASE, b"GET " + self.Q.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        head, _, body = raw.partition(b"\r\n\r\n")
        length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
        self.assertEqual(len(body), 300)
        self.assertGreater(length, 300)
        with self.assertRaises(http.client.IncompleteRead):
            req("GET", self.Q)

    def test_malformed_body(self):
        configure("openalex", mode="malformed")
        st, _, raw = req("GET", "/works?search=graph&per-page=5")
        self.assertEqual(st, 200)
        with self.assertRaises(ValueError):
            json.loads(raw)
        configure("arxiv", mode="malformed")
        st, _, raw = req("GET", "/api/query?search_query=graph&max_results=3")
        self.assertEqual(st, 200)
        with self.assertRaises(ET.ParseError):
            ET.fromstring(raw)

    def test_malformed_kinds_and_rates(self):
        configure("openalex", malformed_rate=0.5, malformed_kind="any", slow_body_rate=0.1, slow_body_ms=10)
        for _ in range(60):
            try:
                req("GET", "/works?search=graph&per-page=1", timeout=3)
            except (http.client.HTTPException, OSError):
                pass
        f = stats()["providers"]["openalex"]["by_fault"]
        self.assertEqual(sum(f.values()), 60)
        for k in ("malformed", "bad_headers", "garbage", "slow_body", "ok"):
            self.assertIn(k, f)


class StartFlagsTest(unittest.TestCase):
    def test_ipv6_and_fault_flags(self):
        try:
            socket.socket(socket.AF_INET6).bind(("::1", 0))
        except OSError:
            self.skipTest("no IPv6 loopback")
        proc, info = ts.start_sim(["--listen", "[::1]:0", "--seed", "3", "--error-rate", "semantic_scholar=0.5",
                                   "--rate-limit-rate", "exa=0.25", "--latency", "all=uniform:1:2",
                                   "--set", "openalex.slow_body_rate=0.1", "--mode", "crossref=hang"])
        try:
            base = info["listen"]
            self.assertRegex(base, r"^http://\[::1\]:\d+$")
            self.assertEqual(set(info["providers"].values()), {base})
            st, _, raw = ts.request(base, "GET", "/_sim/providers")
            cfg = json.loads(raw)
            self.assertEqual(cfg["semantic_scholar"]["error_rate"], 0.5)
            self.assertEqual(cfg["exa"]["rate_limit_rate"], 0.25)
            self.assertEqual({c["latency"] for c in cfg.values()}, {"uniform:1:2"})
            self.assertEqual(cfg["openalex"]["slow_body_rate"], 0.1)
            self.assertEqual(cfg["crossref"]["mode"], "hang")
            st, _, _ = ts.request(base, "GET", "/api/query?search_query=graph&max_results=1")
            self.assertEqual(st, 200)
        finally:
            stop(proc)

    def test_bad_flags(self):
        for args in (["--listen", "127.0.0.1:x"], ["--error-rate", "exa=2"], ["--latency", "exa=normal:1"],
                     ["--layout", "ports", "--listen", "127.0.0.1:0"]):
            p = subprocess.run([sys.executable, SIM, "--corpus", "generated"] + args,
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 2, args)


class GeneratedCorpusTest(unittest.TestCase):
    def test_generated_records(self):
        a = MOD.generate_records(300)
        self.assertEqual(a, MOD.generate_records(300))  # deterministic
        self.assertEqual(len({r["id"] for r in a}), 300)
        for r in a:
            self.assertTrue(r["title"] and r["abstract"] and r["authors_parsed"] and r["categories"])
            self.assertRegex(r["id"], r"^\d{4}\.\d{4,5}$")

    def test_absent_default_gives_generated_corpus(self):
        env = dict(os.environ, SCIFIND_SIM_CORPUS="/nonexistent/arxiv-sample.jsonl")
        t = time.monotonic()
        proc, info = start(["--generated-papers", "300"], env=env)
        elapsed = time.monotonic() - t
        try:
            self.assertEqual(info["corpus"]["source"], "generated")
            self.assertEqual(info["papers"], 300)
            self.assertLess(elapsed, 5)
            base = info["listen"]
            st, _, raw = ts.request(base, "GET", "/api/query?search_query=all:neural+AND+all:network&max_results=50")
            root = ET.fromstring(raw)
            entries = root.findall("a:entry", NS)
            self.assertTrue(entries)
            for e in entries:
                text = (e.find("a:title", NS).text + e.find("a:summary", NS).text).lower()
                self.assertIn("neural", text)
            _, _, raw = ts.request(base, "GET", "/graph/v1/paper/search?query=entanglement+entropy&fields=title,abstract")
            d = json.loads(raw)
            self.assertTrue(d["data"])
            _, _, raw = ts.request(base, "GET", "/works?query=quantum&rows=5")
            self.assertTrue(json.loads(raw)["message"]["items"])
            _, _, raw = ts.request(base, "GET", "/works?search=quantum&per-page=5")
            self.assertTrue(json.loads(raw)["results"])
            st, _, raw = ts.request(base, "POST", "/search", body={"query": "galaxy formation"}, headers={"x-api-key": "k"})
            self.assertTrue(json.loads(raw)["results"])
            # deterministic for a given query
            a = ts.request(base, "GET", "/works?query=graph+coloring&rows=10")[2]
            self.assertEqual(a, ts.request(base, "GET", "/works?query=graph+coloring&rows=10&mailto=x@y.z")[2])
        finally:
            stop(proc)

    def test_explicit_missing_corpus_fails(self):
        p = subprocess.run([sys.executable, SIM, "--corpus", "/nonexistent.jsonl", "--listen", "127.0.0.1:0"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn("not found", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
