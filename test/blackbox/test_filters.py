"""The filters min_citations, type, has_pdf and venue end to end: the
answer holds only matching papers whatever the providers did, OpenAlex's
and S2's requests carry the filters they can apply (the simulator records
each request), arXiv's answer lists them in ignored_filters, bad values are
refused naming the parameter (docs/api.md "Filters")."""

import urllib.parse

import harness
from test_search import Q, SimServerTestCase, openapi_validator

FILTERS = ("min_citations", "type", "has_pdf", "venue")


class FilterTest(SimServerTestCase):

    def last_target(self, provider):
        """The query of the provider's last recorded search request."""
        r = self.sim.admin("GET", "/_sim/requests/%s?n=5" % provider)
        targets = [e["target"] for e in r["requests"] if "search" in e["target"]]
        self.assertTrue(targets, (provider, r))
        return urllib.parse.unquote(targets[-1])

    def assertValid(self, j):
        self.assertAnswerShape(j)
        v = openapi_validator("SearchAnswer")
        if v is not None:
            v.validate(j)

    def test_min_citations_and_type_give_only_matching_papers(self):
        every = self.search(query=Q, limit=100,
                            providers="openalex,semantic_scholar,arxiv,crossref")
        cites = sorted(p["citation_count"] for p in every["papers"]
                       if p["citation_count"] is not None)
        self.assertGreater(len(cites), 4, "the corpus gives too few counts to test with")
        n = cites[len(cites) // 2]  # about half the papers pass
        j = self.search(query=Q, limit=100, min_citations=n, type="article,preprint",
                        providers="openalex,semantic_scholar,arxiv,crossref")
        self.assertValid(j)
        self.assertGreater(j["total"], 0)
        self.assertLess(j["total"], every["total"])
        for p in j["papers"]:
            self.assertIsNotNone(p["citation_count"], p)
            self.assertGreaterEqual(p["citation_count"], n, p)
            self.assertIn(p["type"], ("article", "preprint"), p)
        self.assertEqual(j["query"]["min_citations"], n)
        self.assertEqual(j["query"]["type"], ["article", "preprint"])
        # Pushed down where the provider can, in its own syntax.
        self.assertIn("cited_by_count:>%d" % (n - 1), self.last_target("openalex"))
        self.assertIn("type:article|preprint", self.last_target("openalex"))
        self.assertIn("minCitationCount=%d" % n, self.last_target("semantic_scholar"))
        prov = j["providers"]
        self.assertEqual(prov["openalex"]["ignored_filters"], [])
        # S2 has no preprint type: the merge applies it.
        self.assertEqual(prov["semantic_scholar"]["ignored_filters"], ["type"])
        self.assertEqual(prov["arxiv"]["ignored_filters"], ["min_citations", "type"])
        self.assertEqual(prov["crossref"]["ignored_filters"], ["min_citations", "type"])

    def test_has_pdf_and_venue_are_applied_after_the_merge(self):
        every = self.search(query=Q, limit=100)
        venues = [p["venue"] for p in every["papers"] if p["venue"]]
        self.assertTrue(venues)
        word = venues[0].split()[0].upper()
        j = self.search(query=Q, limit=100, journal=word, has_pdf="true")
        self.assertValid(j)
        for p in j["papers"]:
            self.assertIn(word.lower(), (p["venue"] or "").lower(), p)
            self.assertIsNotNone(p["pdf_url"], p)
        self.assertEqual(j["query"]["venue"], word.lower())
        self.assertIs(j["query"]["has_pdf"], True)
        for name, p in j["providers"].items():
            self.assertEqual(p["ignored_filters"], ["has_pdf", "venue"], name)
        without = self.search(query=Q, limit=100, has_pdf="false")
        self.assertTrue(all(p["pdf_url"] is None for p in without["papers"]))
        self.assertLessEqual(j["total"], every["total"])

    def test_no_filter_no_member(self):
        j = self.search(query=Q, limit=5)
        for k in FILTERS:
            self.assertNotIn(k, j["query"])
        for name, p in j["providers"].items():
            self.assertNotIn("ignored_filters", p, name)

    def test_post_body_takes_the_same_filters(self):
        r = self.post("/v1/search", {"query": Q, "limit": 50, "min_citations": 1,
                                     "type": ["article"], "providers": ["openalex"]})
        self.assertEqual(r.status, 200, r)
        j = r.json()
        self.assertValid(j)
        for p in j["papers"]:
            self.assertGreaterEqual(p["citation_count"], 1)
            self.assertEqual(p["type"], "article")

    def test_bad_values_name_the_parameter(self):
        for params, field in ((dict(min_citations="-3"), "min_citations"),
                              (dict(min_citations="many"), "min_citations"),
                              (dict(type="article,poem"), "type"),
                              (dict(type="journal-article"), "type"),
                              (dict(has_pdf="maybe"), "has_pdf"),
                              (dict(venue=" "), "venue"),
                              (dict(journal=""), "journal")):
            r = self.get("/v1/search?" + urllib.parse.urlencode(dict(query=Q, **params)))
            self.assertError(r, 400, field=field)
        r = self.post("/v1/search", {"query": Q, "type": "poem"})
        self.assertError(r, 400, field="type")
        r = self.post("/v1/search", {"query": Q, "min_citations": "x"})
        self.assertError(r, 400, field="min_citations")


if __name__ == "__main__":
    harness.main()
