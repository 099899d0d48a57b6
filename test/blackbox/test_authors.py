"""Authors end to end: GET /v1/authors and /v1/authors/{id} of the real
scifind in front of the provider simulator, whose people are its corpus
papers' authors_parsed names (a quarter with an ORCID, which both S2 and
OpenAlex give). Checks the merge across the two, paging, ids, and one
provider hanging."""

import time
import urllib.parse

import harness
from test_search import openapi_validator

SURNAME = "Meyer"  # eight people of the corpus share it


class AuthorsTestCase(harness.SimulatorTestCase):
    @classmethod
    def server_args(cls):
        return {"workers": 0, "settings": {"cache.enabled": "false",
                                           "citations.deadline": "1500ms",
                                           "providers.breaker_threshold": "1000"}}

    def get(self, path, timeout=20.0):
        return harness.request(self.server.port, "GET", path, timeout=timeout)

    def search(self, **params):
        r = self.get("/v1/authors?" + urllib.parse.urlencode(params))
        self.assertEqual(r.status, 200, r)
        v = openapi_validator("AuthorList")  # docs/openapi.yaml says the same
        if v is not None:
            v.validate(r.json())
        return r.json()


class Search(AuthorsTestCase):
    def test_merged_on_orcid_with_every_id(self):
        j = self.search(query=SURNAME, limit=100)
        self.assertFalse(j["partial"], j["providers"])
        for p in ("semantic_scholar", "openalex"):
            self.assertEqual(j["providers"][p]["status"], "ok", j["providers"])
        people = j["authors"]
        self.assertGreater(len(people), 3)
        self.assertTrue(all(SURNAME in a["name"] for a in people), people)
        with_orcid = [a for a in people if a["orcid"]]
        self.assertTrue(with_orcid, people)
        for a in with_orcid:  # one person, known to both
            self.assertEqual(a["id"], "orcid:" + a["orcid"])
            self.assertEqual(sorted(a["sources"]), ["openalex", "semantic_scholar"], a)
            self.assertTrue(a["ids"]["semantic_scholar"] and a["ids"]["openalex"].startswith("A"), a)
            self.assertGreaterEqual(a["paper_count"], 1)
        orcids = [a["orcid"] for a in with_orcid]
        self.assertEqual(len(orcids), len(set(orcids)))
        # Different people of one surname stay apart: as many as names at least.
        names = {a["name"] for a in people}
        self.assertGreater(len(names), 3)

    def test_paging_by_cursor(self):
        first = self.search(query=SURNAME, limit=2)
        # limit is per provider: 2 to 4 people, as many as they merge into.
        self.assertGreaterEqual(len(first["authors"]), 2)
        self.assertLessEqual(len(first["authors"]), 4)
        self.assertTrue(first["next_cursor"], first)
        second = self.search(query=SURNAME, limit=2, cursor=first["next_cursor"])
        ids1 = {a["id"] for a in first["authors"]}
        ids2 = {a["id"] for a in second["authors"]}
        self.assertFalse(ids1 & ids2, (ids1, ids2))
        r = self.get("/v1/authors?query=Other&limit=2&cursor=" + first["next_cursor"])
        self.assertEqual(r.status, 400, r)
        self.assertIn("cursor", r.json()["error"]["message"])

    def test_bad_parameters(self):
        for qs in ("", "query=", "query=x&limit=0", "query=x&limit=1000", "query=x&nope=1"):
            r = self.get("/v1/authors?" + qs)
            self.assertEqual(r.status, 400, (qs, r))


class Profile(AuthorsTestCase):
    def person_with_orcid(self):
        j = self.search(query=SURNAME, limit=100)
        return next(a for a in j["authors"] if a["orcid"])

    def test_s2_id_merged_with_openalex_by_orcid(self):
        a = self.person_with_orcid()
        r = self.get("/v1/authors/s2:" + a["ids"]["semantic_scholar"])
        self.assertEqual(r.status, 200, r)
        j = r.json()
        v = openapi_validator("AuthorProfile")
        if v is not None:
            v.validate(j)
        self.assertEqual(j["author"]["orcid"], a["orcid"])
        self.assertEqual(j["author"]["ids"], a["ids"])
        self.assertEqual(sorted(j["author"]["sources"]), ["openalex", "semantic_scholar"])

    def test_orcid_and_openalex_ids(self):
        a = self.person_with_orcid()
        for pid in ("orcid:" + a["orcid"], "openalex:" + a["ids"]["openalex"]):
            r = self.get("/v1/authors/" + pid)
            self.assertEqual(r.status, 200, (pid, r))
            self.assertEqual(r.json()["author"]["ids"]["openalex"], a["ids"]["openalex"])

    def test_bad_and_unknown_ids(self):
        r = self.get("/v1/authors/bogus:12")
        self.assertEqual(r.status, 400, r)
        self.assertIn("bogus:12", r.json()["error"]["message"])
        r = self.get("/v1/authors/s2:1")
        self.assertEqual(r.status, 404, r)


class OneDown(AuthorsTestCase):
    def test_one_provider_hanging_leaves_the_other(self):
        self.sim.configure("openalex", mode="hang")
        t0 = time.monotonic()
        j = self.search(query=SURNAME, limit=100)
        self.assertLess(time.monotonic() - t0, 4.0)
        self.assertTrue(j["partial"])
        self.assertEqual(j["providers"]["openalex"]["status"], "timeout", j["providers"])
        self.assertEqual(j["providers"]["semantic_scholar"]["status"], "ok")
        self.assertGreater(len(j["authors"]), 3)
        self.assertTrue(all(a["sources"] == ["semantic_scholar"] for a in j["authors"]))


def provider_requests(sim):
    calls = sim.stats()["providers"]
    return calls["semantic_scholar"]["requests"], calls["openalex"]["requests"]


def without_timing(j):
    return {k: v for k, v in j.items() if k not in ("providers", "took_ms")}


class Cached(AuthorsTestCase):
    """authors.cache_ttl (1h by default): a whole answer is kept per worker."""

    def assert_cached_twice(self, path):
        r = self.get(path)
        self.assertEqual(r.status, 200, r)
        first = r.json()
        self.assertFalse(first["partial"], first["providers"])
        before = provider_requests(self.sim)
        r = self.get(path)
        self.assertEqual(r.status, 200, r)
        again = r.json()
        self.assertEqual(provider_requests(self.sim), before)  # no provider asked
        for p in ("semantic_scholar", "openalex"):
            if p in first["providers"]:
                self.assertEqual(again["providers"][p]["status"], "cached", again["providers"])
                self.assertEqual(again["providers"][p]["results"], first["providers"][p]["results"])
        self.assertFalse(again["partial"])
        self.assertEqual(without_timing(again), without_timing(first))
        return first

    def test_search_twice_asks_the_providers_once(self):
        calls = provider_requests(self.sim)
        first = self.assert_cached_twice("/v1/authors?query=%s&limit=3" % SURNAME)
        self.assertGreater(provider_requests(self.sim), calls)
        v = openapi_validator("AuthorList")
        if v is not None:
            v.validate(first)
        # Another page is another answer: asked live.
        before = provider_requests(self.sim)
        self.search(query=SURNAME, limit=3, cursor=first["next_cursor"])
        self.assertGreater(provider_requests(self.sim), before)

    def test_profile_twice_asks_the_providers_once(self):
        j = self.search(query=SURNAME, limit=100)
        a = next(a for a in j["authors"] if a["orcid"])
        self.assert_cached_twice("/v1/authors/s2:" + a["ids"]["semantic_scholar"])

    def test_partial_answer_not_kept(self):
        self.sim.configure("openalex", mode="hang")
        try:
            j = self.search(query="Smith", limit=2)
        finally:
            self.sim.configure("openalex", mode="ok")
        self.assertTrue(j["partial"])
        j = self.search(query="Smith", limit=2)  # asked again, whole this time
        self.assertFalse(j["partial"], j["providers"])
        self.assertEqual(j["providers"]["openalex"]["status"], "ok")


class NotCached(AuthorsTestCase):
    @classmethod
    def server_args(cls):
        args = AuthorsTestCase.server_args()
        args["settings"]["authors.cache_ttl"] = "0"
        return args

    def test_ttl_zero_asks_every_time(self):
        self.search(query=SURNAME, limit=3)
        before = provider_requests(self.sim)
        j = self.search(query=SURNAME, limit=3)
        self.assertGreater(provider_requests(self.sim)[0], before[0])
        self.assertEqual(j["providers"]["semantic_scholar"]["status"], "ok")


class Papers(AuthorsTestCase):
    def papers(self, aid, status=200, **params):
        r = self.get("/v1/authors/%s/papers?%s" % (aid, urllib.parse.urlencode(params)))
        self.assertEqual(r.status, status, r)
        if status == 200:
            v = openapi_validator("AnswerBody")
            if v is not None:
                v.validate(r.json())
        return r.json()

    def person_with_orcid(self):
        j = self.search(query=SURNAME, limit=100)
        return next(a for a in j["authors"] if a["orcid"] and a["paper_count"] >= 1)

    def test_both_providers_merged_once(self):
        a = self.person_with_orcid()
        j = self.papers("s2:" + a["ids"]["semantic_scholar"], limit=100)
        self.assertFalse(j["partial"], j["providers"])
        for p in ("semantic_scholar", "openalex"):
            self.assertEqual(j["providers"][p]["status"], "ok", j["providers"])
        papers = j["papers"]
        self.assertTrue(papers, j)
        both = [p for p in papers if {s["provider"] for s in p["sources"]} == {"openalex", "semantic_scholar"}]
        self.assertTrue(both, papers)  # a paper known to both, once
        self.assertEqual(len({p["id"] for p in papers}), len(papers))
        self.assertEqual(j["total"], len(papers))
        surname = a["name"].split()[-1]
        self.assertTrue(all(any(surname in n for n in p["authors"]) for p in papers), papers)
        by_orcid = self.papers("orcid:" + a["orcid"], limit=100)
        self.assertEqual(by_orcid["providers"]["openalex"]["status"], "ok")

    def test_sort_and_cursor(self):
        a = self.person_with_orcid()
        aid = "s2:" + a["ids"]["semantic_scholar"]
        j = self.papers(aid, sort="citations", limit=100)
        cites = [p["citation_count"] or 0 for p in j["papers"]]
        self.assertEqual(cites, sorted(cites, reverse=True))
        if j["total"] >= 2:
            first = self.papers(aid, sort="citations", limit=1)
            self.assertTrue(first["next_cursor"], first)
            second = self.papers(aid, sort="citations", limit=1, cursor=first["next_cursor"])
            self.assertNotEqual(first["papers"][0]["id"], second["papers"][0]["id"])
            self.papers(aid, 400, sort="date", limit=1, cursor=first["next_cursor"])

    def test_bad_and_unknown_ids(self):
        self.papers("bogus:12", 400)
        self.papers("s2:1", 404)
        self.papers("s2:1", 400, sort="nope")


class PapersOneDown(AuthorsTestCase):
    def test_openalex_down_is_partial(self):
        a = Papers.person_with_orcid(self)
        self.sim.configure("openalex", mode="hang")
        r = self.get("/v1/authors/s2:%s/papers" % a["ids"]["semantic_scholar"])
        self.assertEqual(r.status, 200, r)
        j = r.json()
        self.assertTrue(j["partial"])
        self.assertEqual(j["providers"]["openalex"]["status"], "timeout", j["providers"])
        self.assertEqual(j["providers"]["semantic_scholar"]["status"], "ok")
        self.assertTrue(j["papers"])

    def test_every_provider_down_is_502_in_the_answer_shape(self):
        a = Papers.person_with_orcid(self)
        self.sim.configure("openalex", mode="hang")
        r = self.get("/v1/authors/orcid:%s/papers" % a["orcid"])
        self.assertEqual(r.status, 502, r)
        v = openapi_validator("AnswerBody")
        if v is not None:
            v.validate(r.json())
        self.assertEqual(r.json()["providers"]["openalex"]["status"], "timeout")


if __name__ == "__main__":
    harness.main()
