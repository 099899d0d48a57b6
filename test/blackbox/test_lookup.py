"""Lookups by id against the provider simulator: GET /v1/papers/{id} live,
POST /v1/papers/batch, GET /v1/search/papers/{provider}/{id}. No store: a
DOI is unknown to it, so it is found live. The simulator counts the calls
per provider and path."""
import json
import time
import unittest
import urllib.parse

import harness
from test_search import openapi_validator


class LookupTest(harness.SimulatorTestCase):
    @classmethod
    def server_args(cls):
        return {"workers": 0, "settings": {"papers.lookup_deadline": "4s",
                                           "papers.cache_ttl": "0"}}

    def ids(self, n=600):
        return self.sim.admin("GET", "/_sim/ids?n=%d" % n)["papers"]

    def get(self, path, timeout=15.0):
        return harness.request(self.server.port, "GET", path, timeout=timeout)

    def post(self, path, obj, timeout=30.0):
        return harness.request(self.server.port, "POST", path,
                               headers=[("Content-Type", "application/json")],
                               body=json.dumps(obj), timeout=timeout)

    def calls(self):
        st = self.sim.stats()["providers"]
        return {p: st[p]["requests"] for p in st if st[p]["requests"]}

    def test_a_doi_found_live_and_merged_from_three_providers(self):
        p = next(p for p in self.ids() if p["doi"] and
                 {"crossref", "openalex", "semantic_scholar"} <= set(p["in"]) and
                 p["doi"] == p["openalex_doi"])
        r = self.get("/v1/papers/doi:" + p["doi"].upper())
        self.assertEqual(r.status, 200, r.body[:300])
        d = r.json()
        self.assertEqual(d["id"], "doi:" + p["doi"])
        self.assertEqual(d["from"], "providers")
        paper = d["paper"]
        self.assertEqual(paper["doi"], p["doi"])
        srcs = {s["provider"]: s["id"] for s in paper["sources"]}
        self.assertEqual(srcs.get("semantic_scholar"), p["s2"])
        self.assertEqual(srcs.get("openalex"), p["openalex"])
        self.assertEqual(srcs.get("crossref"), p["doi"])
        self.assertEqual(set(d["providers"]), {"semantic_scholar", "openalex", "crossref"})
        self.assertFalse(d["partial"])
        self.assertEqual(self.calls(), {"semantic_scholar": 1, "openalex": 1, "crossref": 1})
        v = openapi_validator("LookupAnswer")
        if v is not None:  # docs/openapi.yaml says the same
            v.validate(d)
        # The same paper by its other ids, and as a URL (percent-encoded).
        for other in ("s2:" + p["s2"], p["openalex"], "arxiv:" + p["arxiv"],
                      urllib.parse.quote("https://doi.org/" + p["doi"], safe="")):
            r = self.get("/v1/papers/" + other)
            self.assertEqual(r.status, 200, (other, r.body[:300]))
            self.assertEqual(r.json()["paper"]["doi"], p["doi"], other)

    def test_one_provider_and_bad_ids(self):
        p = next(p for p in self.ids() if p["doi"] and "crossref" in p["in"])
        r = self.get("/v1/search/papers/crossref/doi:%s?fields=title,sources,type" % p["doi"])
        self.assertEqual(r.status, 200, r.body[:300])
        d = r.json()
        self.assertEqual(set(d["paper"]), {"title", "sources", "type"})
        # The simulator's Crossref types every work (journal or proceedings article).
        self.assertIn(d["paper"]["type"], ("article", "proceedings"), d["paper"])
        self.assertEqual([s["provider"] for s in d["paper"]["sources"]], ["crossref"])
        self.assertEqual(self.calls(), {"crossref": 1})
        r = self.get("/v1/search/papers/arxiv/doi:%s" % p["doi"])
        self.assertEqual(r.status, 400)
        r = self.get("/v1/search/papers/nobody/doi:%s" % p["doi"])
        self.assertEqual(r.status, 400)
        for q in ("nope=1", "format=nope", "fields=nope"):  # refused before any call (ASan: no use after free)
            r = self.get("/v1/papers/doi:%s?%s" % (p["doi"], q))
            self.assertEqual(r.status, 400, (q, r.body[:200]))
        r = self.get("/v1/papers/not-an-id")
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"]["code"], "invalid_id")
        self.assertIn("not-an-id", r.json()["error"]["message"])
        r = self.get("/v1/papers/doi:10.9999/nobody.knows")
        self.assertEqual(r.status, 404, r.body[:300])
        self.assertEqual(r.json()["error"]["code"], "not_found")

    def test_a_batch_of_500_mixed_ids_in_order_with_a_handful_of_calls(self):
        ids = []
        kinds = ("doi", "arxiv", "openalex", "s2", "corpus")
        for i, p in enumerate(self.ids(700)):
            k = kinds[len(ids) % 5]
            if k == "doi" and not p["doi"]:
                continue
            ids.append({"doi": "doi:%s" % p["doi"], "arxiv": "arxiv:%s" % p["arxiv"],
                        "openalex": p["openalex"], "s2": "s2:%s" % p["s2"],
                        "corpus": "CorpusId:%d" % p["corpus"]}[k])
            if len(ids) == 497:
                break
        ids += ["nonsense", 7, "doi:10.9999/nobody.knows"]
        t = time.monotonic()
        r = self.post("/v1/papers/batch", {"ids": ids})
        took = time.monotonic() - t
        self.assertEqual(r.status, 200, r.body[:300])
        d = r.json()
        self.assertEqual(len(d["papers"]), 500)
        for given, item in zip(ids, d["papers"]):
            self.assertEqual(item["id"], given if isinstance(given, str) else "")
        self.assertEqual(d["papers"][497]["unresolved"]["reason"], "invalid_id")
        self.assertEqual(d["papers"][498]["unresolved"]["reason"], "invalid_id")
        self.assertEqual(d["papers"][499]["unresolved"]["reason"], "not_found")
        self.assertGreater(d["resolved"], 400)
        v = openapi_validator("LookupBatchAnswer")
        if v is not None:
            v.validate(d)
        calls = self.calls()
        # S2 one batch, OpenAlex one OR-filter per kind of at most 100,
        # Crossref its DOI filters, arXiv one id_list.
        self.assertLessEqual(sum(calls.values()), 8, calls)
        self.assertEqual(calls.get("semantic_scholar"), 1, calls)
        st = self.sim.stats()["providers"]["semantic_scholar"]["by_path"]
        self.assertEqual(st, {"/graph/v1/paper/batch": 1})
        self.assertLess(took, 10)

    def test_one_provider_hanging_leaves_the_others(self):
        p = next(p for p in self.ids() if p["doi"] and
                 {"crossref", "semantic_scholar"} <= set(p["in"]))
        self.sim.configure("openalex", mode="hang")
        t = time.monotonic()
        r = self.get("/v1/papers/doi:" + p["doi"])
        took = time.monotonic() - t
        self.assertEqual(r.status, 200, r.body[:300])
        d = r.json()
        self.assertEqual(d["providers"]["openalex"]["status"], "timeout")
        self.assertEqual(d["providers"]["crossref"]["status"], "ok")
        self.assertTrue(d["partial"])
        provs = {s["provider"] for s in d["paper"]["sources"]}
        self.assertEqual(provs, {"crossref", "semantic_scholar"})
        self.assertLess(took, 7)
        # A batch too: the hanging provider's ids are answered by the others.
        r = self.post("/v1/papers/batch", {"ids": ["doi:" + p["doi"], "s2:" + p["s2"]]})
        d = r.json()
        self.assertEqual([("paper" in x) for x in d["papers"]], [True, True])
        self.assertEqual(d["providers"]["openalex"]["status"], "timeout")

    def test_fault_modes_give_the_reasons(self):
        p = next(p for p in self.ids() if p["doi"])
        ids = ["doi:" + p["doi"], "s2:" + p["s2"]]
        self.sim.configure("all", mode="rate_limited", retry_after=0)
        d = self.post("/v1/papers/batch", {"ids": ids}).json()
        self.assertEqual([x["unresolved"]["reason"] for x in d["papers"]],
                         ["rate_limited", "rate_limited"], d)
        self.assertTrue(d["partial"])
        r = self.get("/v1/papers/s2:" + p["s2"])
        self.assertIn(r.status, (503,), r.body[:300])
        self.sim.reset(config=True)
        self.sim.configure("semantic_scholar", mode="error", error_status=500)
        r = self.get("/v1/papers/s2:" + p["s2"])
        self.assertEqual(r.status, 502, r.body[:300])
        self.assertEqual(r.json()["providers"]["semantic_scholar"]["status"], "error")

    def test_a_live_paper_exported(self):
        p = next(p for p in self.ids() if p["doi"] and "crossref" in p["in"])
        r = self.get("/v1/papers/doi:%s?format=bibtex" % p["doi"])
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertTrue(r.header("Content-Type").startswith("application/x-bibtex"), r.header("Content-Type"))
        self.assertIn(b"@", r.body)
        self.assertIn(p["doi"].encode(), r.body.lower())
        r = self.get("/v1/papers/doi:%s?format=nope" % p["doi"])
        self.assertEqual(r.status, 400)

    def test_an_id_given_twice_is_asked_once(self):
        ps = [p for p in self.ids(80) if p["doi"] and "crossref" in p["in"]][:2]
        ids = ["doi:" + ps[0]["doi"], "https://doi.org/" + ps[0]["doi"].upper(),
               "doi:" + ps[1]["doi"], "doi:" + ps[0]["doi"]]
        before = self.sim.stats()["providers"]["crossref"]["requests"]
        d = self.post("/v1/papers/batch", {"ids": ids}).json()
        self.assertEqual([it["id"] for it in d["papers"]], ids)
        got = [it["paper"]["doi"] for it in d["papers"]]
        self.assertEqual(got, [ps[0]["doi"], ps[0]["doi"], ps[1]["doi"], ps[0]["doi"]], d)
        # Two DOIs left: one Crossref filter call of two, not four ids.
        self.assertEqual(d["providers"]["crossref"]["results"], 2, d["providers"])
        self.assertEqual(self.sim.stats()["providers"]["crossref"]["requests"] - before, 1)

    def test_bad_batches(self):
        for body in ({}, {"ids": []}, {"ids": ["doi:10.1/x"] * 501}, {"ids": "doi:10.1/x"},
                     {"ids": ["doi:10.1/x"], "other": 1}, {"ids": ["doi:10.1/x"], "fields": ["nope"]}):
            r = self.post("/v1/papers/batch", body)
            self.assertEqual(r.status, 400, (body if len(str(body)) < 80 else "501 ids", r.body[:200]))
        r = harness.request(self.server.port, "POST", "/v1/papers/batch",
                            headers=[("Content-Type", "application/json")], body="{not json")
        self.assertEqual(r.status, 400)


def have_redis():
    import os
    import shutil
    return bool(os.environ.get("REDIS_SERVER") or shutil.which("redis-server"))


@unittest.skipUnless(have_redis(), "redis-server is needed for the per-id cache's Redis tier")
class LookupRedisTest(unittest.TestCase):
    """The per-id cache shared through Redis (cache/lookup_l2.h): a paper
    looked up by one scifind is the other's answer without a provider
    call; with Redis gone lookups still answer. One server has the cache
    tiers (their Redis link), the other has them off (a link of its own)."""

    def test_a_paper_looked_up_once_answers_another_process(self):
        import os
        import sys
        import tempfile
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))), "cache"))
        from redistmp import Redis
        tmp = tempfile.mkdtemp(prefix="sf-lookup-redis-")
        redis = Redis(tmp).start()
        sim = harness.Simulator().start()
        servers = []
        try:
            base = {"redis.url": redis.url, "papers.lookup_deadline": "4s",
                    "papers.cache_ttl": "10m"}
            for extra in ({}, {"cache.enabled": "false"}):
                servers.append(harness.Server(workers=0, settings=dict(base, **extra),
                                              env=sim.scifind_env()).start())
            ps = [p for p in sim.admin("GET", "/_sim/ids?n=200")["papers"]
                  if p["doi"] and "crossref" in p["in"]][:3]
            self.assertEqual(len(ps), 3)

            def calls():
                st = sim.stats()["providers"]
                return sum(st[p]["requests"] for p in st)

            def lookup(srv, doi):
                r = harness.request(srv.port, "GET", "/v1/papers/doi:" + doi, timeout=15)
                self.assertEqual(r.status, 200, r.body[:300])
                return r.json()

            # Both linked to Redis before the first lookup (a link not ready is a miss).
            deadline = time.monotonic() + 10
            for srv in servers:
                while time.monotonic() < deadline:
                    r = harness.request(srv.port, "GET", "/health/ready")
                    if r.json()["checks"]["redis"]["status"] == "ok":
                        break
                    time.sleep(0.05)
                self.assertEqual(r.json()["checks"]["redis"]["status"], "ok", r.body[:300])
            for i, (a, b) in enumerate(((0, 1), (1, 0))):
                doi = ps[i]["doi"]
                first = lookup(servers[a], doi)
                self.assertEqual(first["from"], "providers")
                # The put goes behind the answer: wait for the key.
                rkey = "scifind:paper:doi:" + doi
                deadline = time.monotonic() + 10
                while redis.command("EXISTS", rkey) != 1 and time.monotonic() < deadline:
                    time.sleep(0.05)
                self.assertEqual(redis.command("EXISTS", rkey), 1, rkey)
                ttl = redis.command("PTTL", rkey)
                self.assertTrue(0 < ttl <= 600000, ttl)
                before = calls()
                other = lookup(servers[b], doi)
                self.assertEqual(other["from"], "cache")
                self.assertEqual(other["paper"], first["paper"])
                self.assertEqual(calls(), before, "the providers were asked again")
            # Redis gone: lookups go on to the providers and answer.
            redis.stop()
            for srv in servers:
                before = calls()
                d = lookup(srv, ps[2]["doi"])
                self.assertEqual(d["paper"]["doi"], ps[2]["doi"])
                self.assertEqual(d["from"], "providers")
                self.assertGreater(calls(), before)
                # What each looked up before is still in its memory.
                self.assertEqual(lookup(srv, ps[0]["doi"])["from"], "cache")
        finally:
            for srv in servers:
                srv.stop()
            sim.stop()
            redis.stop()


if __name__ == "__main__":
    unittest.main()
