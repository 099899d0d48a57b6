#!/usr/bin/env python3
"""A pasted title finds its paper: the providers' title calls (Semantic
Scholar /paper/search/match, OpenAlex filter=title.search) beside their
searches, and arXiv's ti:"..." phrase inside its search, against the
simulator.

Run: SF_BIN=build/scifind python3 test/blackbox/test_titles.py
"""

import json
import lzma
import os
import re
import unittest
import urllib.parse

import harness

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench",
                      "simulator", "corpus", "arxiv-sample-4k.jsonl.xz")
MATCH = "/graph/v1/paper/search/match"


def qs(**params):
    return "/v1/search?" + urllib.parse.urlencode(params)


def corpus_titles(n):
    """n (arXiv id, title) of the simulator's default corpus: eight words or
    more, letters only (no formula, no "su(3)")."""
    out = []
    with lzma.open(CORPUS, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            t = re.sub(r"\s+", " ", r.get("title") or "").strip()
            if len(t.split()) >= 8 and re.fullmatch(r"[A-Za-z ,:-]+", t):
                out.append((r["id"], t))
                if len(out) == n:
                    break
    return out


class TitleCase(harness.SimulatorTestCase):
    SETTINGS = {}

    @classmethod
    def server_args(cls):
        return {"workers": 0, "settings": dict({"cache.enabled": "false"}, **cls.SETTINGS)}

    def search(self, **params):
        r = harness.request(self.server.port, "GET", qs(**params), timeout=20)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def targets(self, provider):
        got = self.sim.admin("GET", "/_sim/requests/%s?n=50" % provider)["requests"]
        return [urllib.parse.unquote(e["target"]) for e in got]

    def by_path(self, provider):
        return self.sim.stats()["providers"][provider]["by_path"]


class TitleCallsTest(TitleCase):
    SETTINGS = {"providers.breaker_threshold": "3", "providers.max_retries": "0"}

    def test_a_pasted_title_is_first_with_the_title_calls(self):
        for aid, title in corpus_titles(3):
            self.sim.reset(config=False)
            j = self.search(query=title, providers="arxiv,semantic_scholar,openalex")
            for name in ("arxiv", "semantic_scholar", "openalex"):
                p = j["providers"][name]
                self.assertEqual((p["status"], p["error"]), ("ok", None), (name, p))
            self.assertEqual(j["papers"][0]["arxiv_id"], aid, (title, j["papers"][:2]))
            # S2 and OpenAlex were asked twice: the search and their own
            # title means; arXiv once, its title phrase in the search.
            self.assertEqual(self.sim.requests_of("arxiv"), 1)
            self.assertTrue(any(') OR ti:"' in t for t in self.targets("arxiv")),
                            self.targets("arxiv"))
            self.assertEqual(self.by_path("semantic_scholar").get(MATCH), 1,
                             self.by_path("semantic_scholar"))
            self.assertTrue(any("filter=title.search:" in t for t in self.targets("openalex")),
                            self.targets("openalex"))
            self.assertEqual(self.sim.requests_of("openalex"), 2)

    def test_keywords_make_no_title_call(self):
        j = self.search(query="graph neural networks", providers="arxiv,semantic_scholar,openalex")
        for name in ("arxiv", "semantic_scholar", "openalex"):
            self.assertEqual(j["providers"][name]["status"], "ok", j["providers"][name])
            self.assertEqual(self.sim.requests_of(name), 1, name)
        self.assertNotIn(MATCH, self.by_path("semantic_scholar"))

    def provider(self, name):
        j = harness.request(self.server.port, "GET", "/v1/providers").json()
        return j.get("providers", j)[name]

    def test_s2_title_match_not_found_is_ok_and_leaves_the_breaker_closed(self):
        # Words no title holds: S2's match answers 404 "Title match not found"
        # (its search: zero hits). Five times, past the breaker's threshold.
        errors = self.provider("semantic_scholar")["errors"]
        for i in range(5):
            q = "zqxv blorfting wibbletron snarkle %d" % i
            p = self.search(query=q, providers="semantic_scholar")["providers"]["semantic_scholar"]
            self.assertEqual((p["status"], p["results"], p["error"]), ("ok", 0, None), p)
        st = self.sim.stats()["providers"]["semantic_scholar"]
        self.assertEqual(st["by_path"].get(MATCH), 5, st)
        self.assertEqual(st["by_status"].get("404"), 5, st)
        prov = self.provider("semantic_scholar")
        self.assertEqual(prov["breaker"]["state"], "closed", prov)
        self.assertEqual(prov["breaker"]["consecutive_failures"], 0, prov)
        self.assertEqual(prov["errors"], errors, prov)


class BothCallsFailTest(TitleCase):
    SETTINGS = {"providers.max_retries": "0"}

    def test_both_calls_failing_report_the_search_calls_outcome(self):
        self.sim.configure("semantic_scholar", mode="error", error_status=500)
        title = corpus_titles(1)[0][1]
        r = harness.request(self.server.port, "GET", qs(query=title, providers="semantic_scholar"))
        self.assertEqual(r.status, 502, r)
        p = r.json()["providers"]["semantic_scholar"]
        self.assertEqual(p["status"], "error", p)
        self.assertIn("500", p["error"])
        self.assertNotIn("title call", p["error"])
        self.assertEqual(self.sim.requests_of("semantic_scholar"), 2)


class TitleCallRateLimitTest(TitleCase):
    """The providers' rate limits: Semantic Scholar one call per 10 s here."""

    RATE_INTERVAL = "10s"

    def test_the_title_call_counts_against_the_rate_limit(self):
        aid, title = corpus_titles(1)[0]
        j = self.search(query=title, providers="semantic_scholar", timeout_ms=1500)
        p = j["providers"]["semantic_scholar"]
        # The search call took S2's one slot; the title call found none
        # before the deadline: S2 is ok with the search's answer, and the
        # error says what the title call met.
        self.assertEqual(p["status"], "ok", p)
        self.assertRegex(p["error"], r"^title call: rate_limited: no call slot", p)
        self.assertEqual(self.sim.requests_of("semantic_scholar"), 1)
        self.assertNotIn(MATCH, self.by_path("semantic_scholar"))
        self.assertFalse(j["partial"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
