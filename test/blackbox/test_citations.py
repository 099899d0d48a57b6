"""Citation lists end to end: GET /v1/papers/{id}/citations and /references
of the real scifind in front of the provider simulator, whose citation graph
S2 and OpenAlex each know most of (bench/simulator/README.md). Checks the
merge across the two (deduplicated, each edge's sources), the parameters and
cursor, the cache, and a provider hanging."""

import json
import time
import urllib.parse

import harness
from test_search import openapi_validator

TOP = "cond-mat/9601060"  # the simulator's most cited paper (about 1,300 S2 citers)
SMALL = "cs/0703024"      # a paper with a dozen references
OTHER = "cs/0608060"      # another, for tests that must not share a cached list


class CitationsTestCase(harness.SimulatorTestCase):
    @classmethod
    def server_args(cls):
        return {"workers": 0, "settings": {"cache.enabled": "false",
                                           "citations.deadline": "10s"}}

    def get(self, path, timeout=20.0):
        return harness.request(self.server.port, "GET", path, timeout=timeout)

    def list_of(self, pid, what="citations", **params):
        path = "/v1/papers/%s/%s" % (pid, what)
        if params:
            path += "?" + urllib.parse.urlencode(params)
        r = self.get(path)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def sim_paths(self, provider):
        return self.sim.stats()["providers"][provider]["by_path"]


class Merge(CitationsTestCase):
    def test_references_merged_from_both_with_sources(self):
        j = self.list_of("arxiv:" + SMALL, "references", limit=1000)
        self.assertEqual(j["direction"], "references")
        self.assertEqual(j["id"], "arxiv:" + SMALL)
        self.assertFalse(j["partial"], j["providers"])
        for p in ("semantic_scholar", "openalex"):
            self.assertEqual(j["providers"][p]["status"], "ok", j["providers"])
        v = openapi_validator("CitationList")  # docs/openapi.yaml says the same
        if v is not None:
            v.validate(j)
        edges = j["edges"]
        self.assertGreater(len(edges), 3)
        self.assertEqual(j["total"], len(edges))
        # Deduplicated: each paper once, by its id.
        ids = [e["paper"]["id"] for e in edges]
        self.assertEqual(len(ids), len(set(ids)), ids)
        srcs = [tuple(e["sources"]) for e in edges]
        both = srcs.count(("semantic_scholar", "openalex"))
        self.assertGreater(both, 0, srcs)
        # The sum of each provider's edges is more than the merged list.
        n_s2 = j["providers"]["semantic_scholar"]["results"]
        n_oa = j["providers"]["openalex"]["results"]
        self.assertEqual(n_s2 + n_oa - both, len(edges), (n_s2, n_oa, both))
        for e in edges:
            self.assertIn(e["is_influential"], (True, False, None))
            if "semantic_scholar" in e["sources"]:
                self.assertIsInstance(e["is_influential"], bool)
            else:
                self.assertIsNone(e["is_influential"])
                self.assertEqual(e["intents"], [])
            for s in e["paper"]["sources"]:
                self.assertIn(s["provider"], e["sources"])
        # OpenAlex resolved its references with OR-filters, not one call each.
        oa = self.sim.stats()["providers"]["openalex"]["requests"]
        self.assertLessEqual(oa, 3)

    def test_citations_of_a_highly_cited_paper_page_by_page(self):
        j = self.list_of("arxiv:" + TOP, limit=1000)
        total = j["total"]
        self.assertGreater(total, 1000)
        self.assertEqual(len(j["edges"]), 1000)
        self.assertIsNotNone(j["next_cursor"])
        cites = [e["paper"]["citation_count"] for e in j["edges"]]
        self.assertEqual(cites, sorted(cites, reverse=True))  # sort=citations, the default
        calls = self.sim.stats()["providers"]
        s2_calls, oa_calls = calls["semantic_scholar"]["requests"], calls["openalex"]["requests"]
        # The rest of the list from the cursor: no provider asked again (cached).
        seen = [e["paper"]["id"] for e in j["edges"]]
        cur = j["next_cursor"]
        while cur:
            j = self.list_of("arxiv:" + TOP, limit=1000, cursor=cur)
            seen += [e["paper"]["id"] for e in j["edges"]]
            cur = j["next_cursor"]
            for p in ("semantic_scholar", "openalex"):
                self.assertEqual(j["providers"][p]["status"], "cached", j["providers"])
        self.assertEqual(len(seen), total)
        self.assertEqual(len(set(seen)), total)
        calls = self.sim.stats()["providers"]
        self.assertEqual(calls["semantic_scholar"]["requests"], s2_calls)
        self.assertEqual(calls["openalex"]["requests"], oa_calls)
        # S2 pages of 1,000, OpenAlex cursor pages of 200: a handful of calls.
        self.assertLessEqual(s2_calls, 2)
        self.assertLessEqual(oa_calls, 12)

    def test_filters_sort_and_id_forms(self):
        j = self.list_of("arxiv:" + TOP, limit=200, sort="date", year_from=2005, year_to=2008,
                         min_citations=10)
        years = [e["paper"]["year"] for e in j["edges"]]
        self.assertTrue(years)
        self.assertTrue(all(2005 <= y <= 2008 for y in years), years)
        self.assertTrue(all(e["paper"]["citation_count"] >= 10 for e in j["edges"]))
        dates = [e["paper"]["published_at"] for e in j["edges"]]
        self.assertEqual(dates, sorted(dates, reverse=True))
        # The same paper by its CorpusId: OpenAlex cannot take one, and is
        # asked under the DOI S2 knows the paper by; the same list.
        a = self.list_of("arxiv:" + OTHER, "references", limit=1000)
        sim = harness.request(self.sim.port, "GET", "/graph/v1/paper/ARXIV:%s?fields=corpusId"
                              % urllib.parse.quote(OTHER, safe=""))
        b = self.list_of("corpus:%d" % sim.json()["corpusId"], "references", limit=1000)
        self.assertEqual(b["providers"]["openalex"]["status"], "ok", b["providers"])
        ea = sorted((e["paper"]["id"], tuple(e["sources"])) for e in a["edges"])
        eb = sorted((e["paper"]["id"], tuple(e["sources"])) for e in b["edges"])
        self.assertTrue(ea)
        self.assertEqual(ea, eb)

    def test_bad_requests(self):
        for path, why in (("/v1/papers/nonsense/citations", "invalid_id"),
                          ("/v1/papers/12345/citations", "invalid_id"),
                          ("/v1/papers/arxiv:%s/citations?limit=0" % SMALL, "bad_request"),
                          ("/v1/papers/arxiv:%s/citations?sort=relevance" % SMALL, "bad_request"),
                          ("/v1/papers/arxiv:%s/citations?cursor=abc" % SMALL, "bad_request"),
                          ("/v1/papers/arxiv:%s/citations?frobnicate=1" % SMALL, "bad_request")):
            r = self.get(path)
            self.assertEqual(r.status, 400, (path, r))
            self.assertEqual(r.json()["error"]["code"], why, r)
        # A cursor of another list is refused.
        j = self.list_of("arxiv:" + TOP, limit=5)
        r = self.get("/v1/papers/arxiv:%s/citations?limit=5&sort=date&cursor=%s"
                     % (TOP, j["next_cursor"]))
        self.assertEqual(r.status, 400, r)
        self.assertIn("another list", r.json()["error"]["message"])
        r = self.get("/v1/papers/arxiv:%s/references?cursor=%s" % (TOP, j["next_cursor"]))
        self.assertEqual(r.status, 400, r)

    def test_unknown_paper_is_an_empty_list(self):
        j = self.list_of("doi:10.9999/nobody.knows")
        self.assertEqual(j["total"], 0)
        self.assertEqual(j["edges"], [])
        self.assertEqual(j["providers"]["semantic_scholar"]["status"], "ok")


class Faults(CitationsTestCase):
    @classmethod
    def server_args(cls):
        return {"workers": 0, "settings": {"cache.enabled": "false",
                                           "citations.deadline": "1500ms",
                                           "citations.cache_lists": "0",
                                           # the failing test must not open S2's breaker for the next
                                           "providers.breaker_threshold": "1000"}}

    def test_one_provider_hanging_leaves_the_others(self):
        self.sim.configure("openalex", mode="hang")
        t0 = time.monotonic()
        r = self.get("/v1/papers/arxiv:%s/references?limit=1000" % SMALL)
        took = time.monotonic() - t0
        self.assertEqual(r.status, 200, r)
        j = r.json()
        self.assertTrue(j["partial"])
        self.assertEqual(j["providers"]["openalex"]["status"], "timeout", j["providers"])
        self.assertEqual(j["providers"]["semantic_scholar"]["status"], "ok")
        self.assertGreater(len(j["edges"]), 3)
        self.assertTrue(all(e["sources"] == ["semantic_scholar"] for e in j["edges"]))
        self.assertLess(took, 4.0)

    def test_both_failing_is_502_and_not_kept(self):
        self.sim.configure("all", mode="error", error_status=503)
        r = self.get("/v1/papers/arxiv:%s/references" % SMALL)
        self.assertEqual(r.status, 502, r)
        self.sim.reset(config=True)
        j = self.list_of("arxiv:" + SMALL, "references")
        self.assertFalse(j["partial"], j["providers"])


if __name__ == "__main__":
    harness.main()
