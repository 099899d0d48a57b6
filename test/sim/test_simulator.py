#!/usr/bin/env python3
"""Tests of the provider simulator (bench/simulator/scifind-sim).

Starts the simulator once on free loopback ports, then checks each provider's
wire format against /work/shared/reference/provider-formats.md, the request
counters, keep-alive + gzip, and the fault modes.

Run: python3 test/sim/test_simulator.py   (stdlib only; exits non-zero on failure)
"""

import gzip
import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
import unittest
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIM = os.path.join(REPO, "bench", "simulator", "scifind-sim")
NS = {"a": "http://www.w3.org/2005/Atom", "os": "http://a9.com/-/spec/opensearch/1.1/",
      "arxiv": "http://arxiv.org/schemas/atom"}
PROC = None
URLS = {}
ADMIN = None


def start_sim(extra=(), env=None):
    proc = subprocess.Popen([sys.executable, SIM, "--base-port", "0", "--quiet"] + list(extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + 90
    while time.time() < deadline:
        r, _, _ = select.select([proc.stdout], [], [], 1.0)
        if r:
            line = proc.stdout.readline()
            if not line:
                break
            info = json.loads(line)
            if info.get("event") == "listening":
                return proc, info
        if proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError("simulator did not start: %s" % proc.stderr.read())


def setUpModule():
    global PROC, URLS, ADMIN
    PROC, info = start_sim()
    URLS = info["providers"]
    ADMIN = info["admin"]


def tearDownModule():
    if PROC is not None:
        PROC.send_signal(signal.SIGTERM)
        try:
            PROC.wait(timeout=10)
        except subprocess.TimeoutExpired:
            PROC.kill()
            PROC.wait()
        PROC.stdout.close()
        PROC.stderr.close()


def request(base, method, path, body=None, headers=None, timeout=10, conn=None):
    """One request; returns (status, headers dict lower-cased, body bytes decoded from gzip)."""
    u = urlsplit(base)
    own = conn is None
    if own:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    prefix = u.path.rstrip("/")
    data = body
    if isinstance(body, (dict, list)):
        data = json.dumps(body).encode()
    conn.request(method, prefix + path, body=data, headers=headers or {})
    resp = conn.getresponse()
    raw = resp.read()
    hdrs = {k.lower(): v for k, v in resp.getheaders()}
    if hdrs.get("content-encoding") == "gzip":
        raw = gzip.decompress(raw)
    if own:
        conn.close()
    return resp.status, hdrs, raw


def get(provider, path, **kw):
    return request(URLS[provider], "GET", path, **kw)


def admin(method, path, body=None):
    st, _, raw = request(ADMIN, method, path, body=body)
    return st, json.loads(raw)


def set_mode(provider, **cfg):
    st, out = admin("POST", "/_sim/providers/" + provider, cfg)
    assert st == 200, out
    return out


def reset_all():
    admin("POST", "/_sim/reset", {"config": True})


class Base(unittest.TestCase):
    def setUp(self):
        reset_all()

    def tearDown(self):
        reset_all()


class ArxivTest(Base):
    def feed(self, qs, layout=None):
        if layout:
            set_mode("arxiv", layout=layout)
        st, h, raw = get("arxiv", "/api/query?" + qs)
        return st, h, raw, ET.fromstring(raw)

    def check_entries(self, root):
        entries = root.findall("a:entry", NS)
        for e in entries:
            self.assertRegex(e.find("a:id", NS).text, r"^http://arxiv\.org/abs/.+v\d+$")
            for tag in ("a:title", "a:summary", "a:published", "a:updated"):
                self.assertTrue(e.find(tag, NS).text.strip(), tag)
            self.assertTrue(e.findall("a:author/a:name", NS))
            self.assertTrue(e.findall("a:category", NS))
            self.assertIsNotNone(e.find("arxiv:primary_category", NS).get("term"))
            pdf = [l for l in e.findall("a:link", NS) if l.get("title") == "pdf"]
            self.assertEqual(len(pdf), 1)
            alt = [l for l in e.findall("a:link", NS) if l.get("rel") == "alternate"]
            self.assertEqual(len(alt), 1)
            doi = e.find("arxiv:doi", NS)
            if doi is not None:
                self.assertTrue([l for l in e.findall("a:link", NS) if l.get("title") == "doi"])
        return entries

    def test_current_layout(self):
        st, h, raw, root = self.feed("search_query=all:neural+AND+all:network&start=0&max_results=5")
        self.assertEqual(st, 200)
        self.assertIn("atom+xml", h["content-type"])
        self.assertTrue(raw.startswith(b"<?xml version='1.0' encoding='UTF-8'?>"))
        self.assertTrue(root.find("a:title", NS).text.startswith("arXiv Query: "))
        total = int(root.find("os:totalResults", NS).text)
        self.assertGreater(total, 5)
        self.assertEqual(int(root.find("os:itemsPerPage", NS).text), 5)
        self.assertEqual(int(root.find("os:startIndex", NS).text), 0)
        entries = self.check_entries(root)
        self.assertEqual(len(entries), 5)
        for e in entries:
            text = (e.find("a:title", NS).text + e.find("a:summary", NS).text).lower()
            self.assertIn("neural", text)

    def test_recorded_shapes_exa_author_and_s2_closed(self):
        st, _, raw = request(URLS["exa"], "POST", "/search",
                             body={"query": "learning networks", "numResults": 100},
                             headers={"Content-Type": "application/json", "x-api-key": "test-key"})
        self.assertEqual(st, 200, raw[:200])
        authors = [r["author"] for r in json.loads(raw)["results"] if r.get("author")]
        shaped = [a for a in authors if "  " in a]
        self.assertTrue(shaped and len(shaped) < len(authors), authors[:5])
        self.assertEqual(len(shaped[0].split(", ")), 4)  # name, affiliation, city, country
        _, _, raw = get("semantic_scholar", "/graph/v1/paper/search?query=learning&limit=100"
                        "&fields=openAccessPdf,isOpenAccess")
        closed = [p for p in json.loads(raw)["data"]
                  if (p.get("openAccessPdf") or {}).get("status") == "CLOSED"]
        self.assertTrue(closed)
        self.assertTrue(all(p["openAccessPdf"]["url"] and not p["isOpenAccess"] for p in closed))

    def test_stop_word_terms_are_dropped_not_required(self):
        # "all:a AND all:for AND all:graph" is "all:graph", as Lucene-based engines do.
        _, _, _, with_stop = self.feed("search_query=all:a+AND+all:for+AND+all:graph&max_results=1")
        _, _, _, plain = self.feed("search_query=all:graph&max_results=1")
        n = int(plain.find("os:totalResults", NS).text)
        self.assertGreater(n, 0)
        self.assertEqual(int(with_stop.find("os:totalResults", NS).text), n)
        _, _, _, only = self.feed("search_query=all:the+AND+all:of&max_results=1")
        self.assertEqual(int(only.find("os:totalResults", NS).text), 0)
        st, _, raw = get("openalex", "/works?search=a%20theory%20of%20graphs&per-page=1")
        self.assertGreater(json.loads(raw)["meta"]["count"], 0)

    def test_submitted_date_range(self):
        # The live API's date filter (v1 submission date), ANDed with the terms.
        st, _, raw, root = self.feed("search_query=all:learning+AND+submittedDate:%5B200801010000+TO+"
                                     "200912312359%5D&max_results=50")
        self.assertEqual(st, 200)
        entries = root.findall("a:entry", NS)
        self.assertTrue(entries)
        for e in entries:
            self.assertIn(e.find("a:published", NS).text[:4], ("2008", "2009"))
        _, _, _, everything = self.feed("search_query=all:learning&max_results=1")
        self.assertLess(int(root.find("os:totalResults", NS).text),
                        int(everything.find("os:totalResults", NS).text))
        st, _, _, bad = self.feed("search_query=all:x+AND+submittedDate:%5Bsoon%5D")
        self.assertEqual((st, int(bad.find("os:totalResults", NS).text)), (200, 0))

    def test_legacy_layout(self):
        st, _, raw, root = self.feed("search_query=quantum&max_results=3", layout="legacy")
        self.assertEqual(st, 200)
        self.assertTrue(root.find("a:title", NS).text.startswith("ArXiv Query: search_query=all:quantum"))
        self.assertIn(b'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">', raw)
        self.assertIn(b'rel="self"', raw)
        entries = self.check_entries(root)
        self.assertEqual(len(entries), 3)
        self.assertIn(b'<arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom"', raw)

    def test_paging_and_id_list(self):
        _, _, _, r1 = self.feed("search_query=ti:graph&start=0&max_results=4")
        _, _, _, r2 = self.feed("search_query=ti:graph&start=4&max_results=4")
        ids1 = [e.find("a:id", NS).text for e in r1.findall("a:entry", NS)]
        ids2 = [e.find("a:id", NS).text for e in r2.findall("a:entry", NS)]
        self.assertEqual(len(set(ids1) | set(ids2)), 8)
        aid = ids1[0].rsplit("/abs/", 1)[1].rsplit("v", 1)[0]
        _, _, _, r3 = self.feed("id_list=%s,0808.05394" % aid)
        self.assertEqual(int(r3.find("os:totalResults", NS).text), 1)
        _, _, _, r4 = self.feed("id_list=0000.0000")
        self.assertEqual(int(r4.find("os:totalResults", NS).text), 0)

    def test_errors(self):
        for qs, frag in (("search_query=x&start=-1", "start"), ("search_query=x&max_results=abc", "max_results"),
                         ("id_list=abc", "incorrect_id_format_for_abc"), ("search_query=x&max_results=30001", "max_results")):
            st, _, raw, root = self.feed(qs)
            self.assertEqual(st, 400, qs)
            e = root.find("a:entry", NS)
            self.assertEqual(e.find("a:title", NS).text, "Error")
            self.assertIn("/api/errors#", e.find("a:id", NS).text)
            self.assertIn(frag, e.find("a:id", NS).text)


class SemanticScholarTest(Base):
    FIELDS = "paperId,externalIds,url,title,abstract,venue,year,publicationDate,citationCount,isOpenAccess,openAccessPdf,fieldsOfStudy,authors"

    def test_search_fields(self):
        st, h, raw = get("semantic_scholar", "/graph/v1/paper/search?query=neural+network&offset=0&limit=5&fields=" + self.FIELDS)
        self.assertEqual(st, 200)
        self.assertIn("application/json", h["content-type"])
        d = json.loads(raw)
        self.assertIsInstance(d["total"], int)
        self.assertEqual(d["offset"], 0)
        self.assertEqual(d["next"], 5)
        self.assertEqual(len(d["data"]), 5)
        for p in d["data"]:
            for f in self.FIELDS.split(","):
                self.assertIn(f, p)
            self.assertRegex(p["paperId"], r"^[0-9a-f]{40}$")
            self.assertIn("ArXiv", p["externalIds"])
            self.assertIsInstance(p["externalIds"]["CorpusId"], int)
            self.assertIsInstance(p["year"], int)
            for a in p["authors"]:
                self.assertEqual(set(a), {"authorId", "name"})

    def test_default_fields_and_last_page(self):
        _, _, raw = get("semantic_scholar", "/graph/v1/paper/search?query=entanglement+entropy&limit=100")
        d = json.loads(raw)
        self.assertEqual(set(d["data"][0]), {"paperId", "title"})
        total = d["total"]
        off = (total // 10) * 10 if total % 10 else total - 10
        _, _, raw = get("semantic_scholar", "/graph/v1/paper/search?query=entanglement+entropy&limit=10&offset=%d" % off)
        self.assertNotIn("next", json.loads(raw))

    def test_errors(self):
        st, _, raw = get("semantic_scholar", "/graph/v1/paper/search?query=x&fields=unknown")
        self.assertEqual((st, json.loads(raw)), (400, {"error": "Unrecognized or unsupported fields: [unknown]"}))
        st, _, raw = get("semantic_scholar", "/graph/v1/paper/search?query=x&limit=101")
        self.assertEqual(st, 400)
        self.assertIn("error", json.loads(raw))
        st, _, raw = get("semantic_scholar", "/graph/v1/paper/search?query=graph&offset=990&limit=20")
        self.assertEqual(json.loads(raw), {"error": "Requested data for this limit and/or offset is not available"})
        st, _, raw = get("semantic_scholar", "/graph/v1/paper/search?query=zzzqqqxx")
        self.assertEqual((st, json.loads(raw)), (200, {"total": 0, "offset": 0}))  # no "data", as recorded live

    def test_year_filter(self):
        _, _, raw = get("semantic_scholar", "/graph/v1/paper/search?query=learning&year=2012-2013&limit=50&fields=year")
        d = json.loads(raw)
        self.assertTrue(d["data"])
        self.assertTrue(all(2012 <= p["year"] <= 2013 for p in d["data"]))


class ExaTest(Base):
    def post(self, body, key="test-key"):
        h = {"Content-Type": "application/json"}
        if key:
            h["x-api-key"] = key
        st, hd, raw = request(URLS["exa"], "POST", "/search", body=body, headers=h)
        return st, hd, json.loads(raw)

    def test_search(self):
        st, _, d = self.post({"query": "graph neural network", "type": "auto", "category": "research paper", "numResults": 7,
                              "contents": {"text": {"maxCharacters": 200}, "highlights": {"maxCharacters": 300}}})
        self.assertEqual(st, 200)
        self.assertRegex(d["requestId"], r"^[0-9a-f]{32}$")
        self.assertIn("total", d["costDollars"])
        self.assertIsInstance(d["searchTime"], float)
        self.assertEqual(len(d["results"]), 7)
        for r in d["results"]:
            for f in ("id", "url", "title", "score", "publishedDate", "author", "text", "highlights", "highlightScores"):
                self.assertIn(f, r)
            self.assertRegex(r["url"], r"^https://arxiv\.org/(abs|pdf)/")
            self.assertLessEqual(len(r["text"]), 200)
            self.assertTrue(0 <= r["score"] <= 1)
        st2, _, d2 = self.post({"query": "graph neural network", "category": "publication", "numResults": 7})
        self.assertNotEqual(d["requestId"], d2["requestId"])
        self.assertNotIn("text", d2["results"][0])

    def test_errors(self):
        st, _, d = self.post({"query": "x"}, key=None)
        self.assertEqual((st, d["tag"]), (402, "X402_PAYMENT_REQUIRED"))
        st, _, d = self.post({"query": "x", "numResults": 101})
        self.assertEqual((st, d["tag"]), (400, "INVALID_REQUEST_BODY"))
        self.assertEqual(set(d), {"requestId", "error", "tag"})
        st, _, d = self.post({"query": ""})
        self.assertEqual(st, 400)

    def test_date_filter(self):
        _, _, d = self.post({"query": "quantum", "numResults": 20, "startPublishedDate": "2014-01-01T00:00:00.000Z",
                             "endPublishedDate": "2014-12-31T23:59:59.999Z"})
        self.assertTrue(d["results"])
        self.assertTrue(all(r["publishedDate"].startswith("2014") for r in d["results"]))


class OpenAlexTest(Base):
    def test_search(self):
        st, h, raw = get("openalex", "/works?search=neural%20network&filter=publication_year:2010-2016&per-page=5&api_key=k")
        self.assertEqual(st, 200)
        d = json.loads(raw)
        self.assertEqual(set(d), {"meta", "results", "group_by"})
        self.assertEqual(d["meta"]["page"], 1)
        self.assertEqual(d["meta"]["per_page"], 5)
        self.assertIn("x-ratelimit-remaining-usd", h)
        self.assertEqual(len(d["results"]), 5)
        for w in d["results"]:
            self.assertRegex(w["id"], r"^https://openalex\.org/W\d+$")
            self.assertTrue(w["doi"].startswith("https://doi.org/"))
            self.assertTrue(2010 <= w["publication_year"] <= 2016)
            self.assertIn("relevance_score", w)
            for f in ("title", "display_name", "publication_date", "authorships", "cited_by_count", "primary_location",
                      "open_access", "type", "ids"):
                self.assertIn(f, w)
            ii = w["abstract_inverted_index"]
            if ii is not None:
                n = 1 + max(p for ps in ii.values() for p in ps)
                words = [None] * n
                for word, ps in ii.items():
                    for p in ps:
                        words[p] = word
                self.assertNotIn(None, words)

    def test_cursor_paging(self):
        seen = []
        cursor = "*"
        for _ in range(3):
            _, _, raw = get("openalex", "/works?filter=title.search:graph&per-page=10&cursor=" + cursor)
            d = json.loads(raw)
            self.assertIsNone(d["meta"]["page"])
            seen += [w["id"] for w in d["results"]]
            cursor = d["meta"]["next_cursor"]
        self.assertEqual(len(seen), len(set(seen)))
        self.assertEqual(len(seen), 30)

    def test_errors(self):
        st, _, raw = get("openalex", "/works?filter=nonsense_field:1")
        d = json.loads(raw)
        self.assertEqual(st, 400)
        self.assertEqual(d["error"], "Invalid query parameters error.")
        self.assertIn("nonsense_field is not a valid field", d["message"])
        st, _, raw = get("openalex", "/works?search=neur*")
        self.assertEqual(st, 400)
        st, _, raw = get("openalex", "/works?sort=relevance_score:desc")
        self.assertEqual(st, 400)
        st, _, raw = get("openalex", "/works?per-page=201")
        self.assertEqual(st, 400)


class CrossrefTest(Base):
    def test_works(self):
        st, h, raw = get("crossref", "/works?query=neural+network&rows=5&mailto=dev@example.org")
        self.assertEqual(st, 200)
        self.assertEqual(h["x-api-pool"], "polite")
        self.assertIn(b"\\/", raw)  # Crossref escapes '/'
        d = json.loads(raw)
        self.assertEqual((d["status"], d["message-type"]), ("ok", "work-list"))
        m = d["message"]
        self.assertEqual(m["items-per-page"], 5)
        self.assertEqual(m["query"]["start-index"], 0)
        self.assertGreater(m["total-results"], 5)
        for it in m["items"]:
            self.assertIn("/", it["DOI"])
            self.assertIsInstance(it["title"], list)
            self.assertIsInstance(it["container-title"], list)
            self.assertIn("date-parts", it["published"])
            self.assertIsInstance(it["is-referenced-by-count"], int)
            self.assertIn("score", it)
            for a in it["author"]:
                self.assertIn(a["sequence"], ("first", "additional"))
            if "abstract" in it:
                self.assertTrue(it["abstract"].startswith(("<jats:", "<p>")))

    def test_errors_and_single(self):
        st, h, raw = get("crossref", "/works?rows=notanumber")
        self.assertEqual(st, 400)
        d = json.loads(raw)
        self.assertEqual(d["message"][0]["type"], "integer-not-valid")
        st, h, raw = get("crossref", "/works/10.9999/nothing")
        self.assertEqual((st, raw), (404, b"Resource not found."))
        self.assertTrue(h["content-type"].startswith("text/plain"))
        _, _, raw = get("crossref", "/works?query=graph&rows=1")
        doi = json.loads(raw)["message"]["items"][0]["DOI"]
        st, _, raw = get("crossref", "/works/" + doi)
        self.assertEqual((st, json.loads(raw)["message-type"]), (200, "work"))
        st, _, raw = get("crossref", "/works?filter=nosuch:1")
        self.assertEqual(json.loads(raw)["message"][0]["type"], "filter-not-available")


class CrossProviderTest(Base):
    def arxiv_ids(self, q):
        ids = {}
        _, _, raw = get("arxiv", "/api/query?search_query=all:%s&max_results=50" % q)
        ids["arxiv"] = {re.sub(r"v\d+$", "", e.find("a:id", NS).text.split("/abs/")[1])
                        for e in ET.fromstring(raw).findall("a:entry", NS)}
        _, _, raw = get("semantic_scholar", "/graph/v1/paper/search?query=%s&limit=50&fields=externalIds" % q)
        ids["semantic_scholar"] = {p["externalIds"]["ArXiv"] for p in json.loads(raw)["data"]}
        _, _, raw = get("openalex", "/works?search=%s&per-page=50" % q)
        ids["openalex"] = {l["landing_page_url"].split("/abs/")[1] for w in json.loads(raw)["results"]
                           for l in w["locations"] if "arxiv.org/abs/" in (l["landing_page_url"] or "")}
        return ids

    def test_overlap_and_unique(self):
        ids = self.arxiv_ids("entropy")
        for a in ids:
            self.assertTrue(ids[a], a)
        self.assertTrue(ids["arxiv"] & ids["semantic_scholar"])
        self.assertTrue(ids["arxiv"] & ids["openalex"])
        self.assertNotEqual(ids["arxiv"], ids["semantic_scholar"])
        self.assertNotEqual(ids["semantic_scholar"], ids["openalex"])


class ControlTest(Base):
    def test_counters(self):
        admin("POST", "/_sim/reset")
        for _ in range(3):
            get("openalex", "/works?search=graph")
        get("crossref", "/works?query=graph")
        st, d = admin("GET", "/_sim/stats")
        self.assertEqual(st, 200)
        self.assertEqual(d["providers"]["openalex"]["requests"], 3)
        self.assertEqual(d["providers"]["crossref"]["requests"], 1)
        self.assertEqual(d["providers"]["arxiv"]["requests"], 0)
        self.assertEqual(d["total"], 4)
        admin("POST", "/_sim/reset")
        _, d = admin("GET", "/_sim/stats")
        self.assertEqual(d["total"], 0)
        _, d = admin("GET", "/_sim/requests/openalex")
        self.assertEqual(d["requests"], [])

    def test_keepalive_and_gzip(self):
        u = urlsplit(URLS["semantic_scholar"])
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        admin("POST", "/_sim/reset")
        for _ in range(3):
            st, h, raw = request(URLS["semantic_scholar"], "GET", "/graph/v1/paper/search?query=graph&limit=20&fields=title,abstract",
                                 headers={"Accept-Encoding": "gzip"}, conn=conn)
            self.assertEqual(st, 200)
            self.assertEqual(h.get("content-encoding"), "gzip")
            json.loads(raw)
        conn.close()
        _, d = admin("GET", "/_sim/stats")
        self.assertEqual(d["providers"]["semantic_scholar"]["requests"], 3)
        self.assertEqual(d["providers"]["semantic_scholar"]["connections"], 1)

    def test_bad_admin_input(self):
        st, d = admin("POST", "/_sim/providers/exa", {"mode": "sideways"})
        self.assertEqual(st, 400)
        st, d = admin("POST", "/_sim/providers/nobody", {"mode": "ok"})
        self.assertEqual(st, 404)


class FaultTest(Base):
    Q = "/graph/v1/paper/search?query=graph&limit=3"

    def test_error(self):
        set_mode("semantic_scholar", mode="error")
        st, _, raw = get("semantic_scholar", self.Q)
        self.assertEqual(st, 500)
        self.assertIn("message", json.loads(raw))
        set_mode("crossref", mode="error", error_status=503)
        st, _, raw = get("crossref", "/works?query=x")
        self.assertEqual(st, 503)
        self.assertEqual(json.loads(raw)["message-type"], "exception")

    def test_rate_limited(self):
        set_mode("openalex", mode="rate_limited", retry_after=7)
        st, h, raw = get("openalex", "/works?search=x")
        self.assertEqual((st, h.get("retry-after")), (429, "7"))
        self.assertEqual(json.loads(raw)["error"], "Rate limit exceeded")
        set_mode("semantic_scholar", mode="rate_limited")
        st, h, raw = get("semantic_scholar", self.Q)
        self.assertEqual(st, 429)
        self.assertNotIn("retry-after", h)  # S2 sends none, as observed live
        self.assertEqual(json.loads(raw)["code"], "429")
        set_mode("arxiv", mode="rate_limited")
        st, h, raw = get("arxiv", "/api/query?search_query=x")
        self.assertEqual((st, raw), (429, b"Rate exceeded."))

    def test_min_interval(self):
        set_mode("arxiv", min_interval_ms=3000)
        st1, _, _ = get("arxiv", "/api/query?search_query=x")
        st2, _, _ = get("arxiv", "/api/query?search_query=x")
        self.assertEqual((st1, st2), (200, 429))

    def test_slow(self):
        set_mode("semantic_scholar", mode="slow", delay_ms=400)
        t = time.monotonic()
        st, _, _ = get("semantic_scholar", self.Q)
        self.assertEqual(st, 200)
        self.assertGreaterEqual(time.monotonic() - t, 0.38)

    def test_refuse_then_recover(self):
        set_mode("exa", mode="refuse")
        u = urlsplit(URLS["exa"])
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection((u.hostname, u.port), timeout=2).close()
        set_mode("exa", mode="ok")
        st, _, _ = request(URLS["exa"], "POST", "/search", body={"query": "x"}, headers={"x-api-key": "k"})
        self.assertEqual(st, 200)

    def test_hang(self):
        set_mode("semantic_scholar", mode="hang")
        with self.assertRaises(socket.timeout):
            get("semantic_scholar", self.Q, timeout=1)
        _, d = admin("GET", "/_sim/stats")
        self.assertEqual(d["providers"]["semantic_scholar"]["requests"], 1)

    def test_reset(self):
        set_mode("semantic_scholar", mode="reset")
        with self.assertRaises((ConnectionResetError, http.client.IncompleteRead)):
            get("semantic_scholar", self.Q)

    def test_truncated_chunked(self):
        set_mode("openalex", mode="truncated_chunked")
        with self.assertRaises((http.client.IncompleteRead, ValueError, ConnectionResetError)):
            get("openalex", "/works?search=graph")

    def test_bad_headers_and_garbage(self):
        # What a strict client sees: a line without a colon in the header block.
        set_mode("crossref", mode="bad_headers")
        raw = raw_exchange(URLS["crossref"], b"GET /works?query=x HTTP/1.1\r\nHost: x\r\n\r\n")
        head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        self.assertTrue(head[0].startswith(b"HTTP/1.1 200"))
        self.assertTrue(any(b":" not in line for line in head[1:]))
        set_mode("crossref", mode="garbage", garbage_bytes=1000)
        raw = raw_exchange(URLS["crossref"], b"GET /works?query=x HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(len(raw), 1000)
        self.assertFalse(raw.startswith(b"HTTP/"))

    def test_oversized(self):
        set_mode("crossref", mode="oversized", oversized_bytes=3000000)
        st, h, raw = get("crossref", "/works?query=graph&rows=5")
        self.assertEqual(st, 200)
        self.assertGreaterEqual(len(raw), 3000000)
        self.assertGreater(len(json.loads(raw)["message"]["items"]), 5)
        set_mode("arxiv", mode="oversized", oversized_bytes=1000000)
        st, _, raw = get("arxiv", "/api/query?search_query=graph&max_results=5")
        self.assertGreater(len(ET.fromstring(raw).findall("a:entry", NS)), 5)

    def test_flap(self):
        set_mode("openalex", mode="flap", flap_period_s=0.5)
        seen = set()
        t = time.monotonic()
        while time.monotonic() - t < 1.6:
            seen.add(get("openalex", "/works?search=x")[0])
            time.sleep(0.1)
        self.assertEqual(seen, {200, 500})


def raw_exchange(base, data, timeout=5):
    u = urlsplit(base)
    s = socket.create_connection((u.hostname, u.port), timeout=timeout)
    s.sendall(data)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return out


class TitleSearchTest(Base):
    """The providers' own title means: S2 /paper/search/match, OpenAlex
    filter=title.search, arXiv ti:"..." (a phrase in the title)."""

    def a_title(self):
        st, _, raw = get("semantic_scholar", "/graph/v1/paper/search?query=neural+network&limit=1&fields=title")
        return json.loads(raw)["data"][0]["title"]

    def test_s2_match_is_the_closest_title_with_its_score(self):
        title = self.a_title()
        q = title.replace(" ", "+").replace("&", "%26")
        st, _, raw = get("semantic_scholar", "/graph/v1/paper/search/match?query=%s&fields=title,year" % q)
        self.assertEqual(st, 200)
        d = json.loads(raw)
        self.assertEqual(list(d), ["data"])
        self.assertEqual(len(d["data"]), 1)
        p = d["data"][0]
        self.assertEqual(p["title"], title)
        self.assertEqual(list(p)[-1], "matchScore")  # last, as recorded live
        self.assertIsInstance(p["matchScore"], float)
        self.assertIn("year", p)

    def test_s2_match_not_found_is_a_404(self):
        st, _, raw = get("semantic_scholar", "/graph/v1/paper/search/match?query=totalGarbageNonsense")
        self.assertEqual(st, 404)
        self.assertEqual(json.loads(raw), {"error": "Title match not found"})
        st, _, raw = get("semantic_scholar", "/graph/v1/paper/search/match?fields=title")
        self.assertEqual(st, 400)
        st, _, raw = get("semantic_scholar", "/graph/v1/paper/search/match?query=x&bogus=1")
        self.assertEqual(st, 400)

    def test_openalex_title_search_is_a_search(self):
        words = "neural networks"
        st, _, raw = get("openalex", "/works?filter=title.search:%s&sort=relevance_score:desc&per-page=5"
                         % words.replace(" ", "%20"))
        self.assertEqual(st, 200, raw[:300])
        d = json.loads(raw)
        self.assertGreater(d["meta"]["count"], 0)
        for w in d["results"]:  # a search filter: the works carry a relevance_score
            self.assertIsInstance(w["relevance_score"], float)
        stems = ["neural", "network"]
        for w in d["results"]:
            for s in stems:
                self.assertIn(s, w["title"].lower(), (words, w["title"]))

    def test_arxiv_ti_phrase_is_in_a_row_in_the_title(self):
        title = self.a_title()
        ws = re.findall(r"[A-Za-z]+", title)
        pairs = [(a, b) for a, b in zip(ws, ws[1:]) if len(a) > 4 and len(b) > 4]
        if not pairs:
            self.skipTest("no two long words in a row in %r" % title)
        words = list(pairs[0])
        ph = "%20".join(words)
        st, _, raw = get("arxiv", '/api/query?search_query=ti:%22' + ph + '%22&max_results=50')
        self.assertEqual(st, 200)
        titles = [" ".join(e.find("a:title", NS).text.split()) for e in ET.fromstring(raw).findall("a:entry", NS)]
        self.assertTrue(titles)
        for t in titles:
            self.assertIn(" ".join(words).lower()[:-1], " ".join(re.findall(r"[A-Za-z0-9]+", t)).lower())


if __name__ == "__main__":
    unittest.main(verbosity=2)
