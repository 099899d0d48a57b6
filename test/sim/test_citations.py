#!/usr/bin/env python3
"""Tests of the simulator's citation graph: Semantic Scholar's
/graph/v1/paper/{id}/citations and /references, OpenAlex's cites: and
cited_by: filters, the works' referenced_works, the doi: singleton, and the
faults on those paths.

Run: python3 test/sim/test_citations.py   (stdlib only; exits non-zero on failure)
"""

import json
import os
import signal
import subprocess
import sys
import unittest
from urllib.parse import quote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_simulator as ts  # noqa: E402  (start_sim, request)

PROC = None
BASE = None
ADMIN = None


def setUpModule():
    global PROC, BASE, ADMIN
    PROC, info = ts.start_sim(["--listen", "127.0.0.1:0"])
    BASE = info["providers"]["semantic_scholar"]
    ADMIN = info["admin"]


def tearDownModule():
    PROC.send_signal(signal.SIGTERM)
    try:
        PROC.wait(timeout=10)
    except subprocess.TimeoutExpired:
        PROC.kill()
        PROC.wait()
    PROC.stdout.close()
    PROC.stderr.close()


def get(path):
    st, hdrs, raw = ts.request(BASE, "GET", path)
    return st, hdrs, raw


def getj(path):
    st, _, raw = get(path)
    return st, json.loads(raw)


def admin(method, path, body=None):
    st, _, raw = ts.request(ADMIN, method, path, body=body)
    return st, json.loads(raw)


def top_cited():
    """The arXiv id of the corpus paper with the most S2 citers (the bench's)."""
    return "cond-mat/9601060"


def doi_of(aid):
    """The DOI OpenAlex knows a corpus paper by: its journal DOI (as S2
    gives it), else arXiv's DataCite DOI."""
    st, body = getj("/graph/v1/paper/ARXIV:%s?fields=externalIds" % quote(aid, safe=""))
    assert st == 200, body
    return body["externalIds"].get("DOI") or "10.48550/arxiv." + aid


class Citations(unittest.TestCase):
    def setUp(self):
        admin("POST", "/_sim/reset", {"config": True})

    def s2_all(self, pid, what, fields="paperId,externalIds,title,year"):
        out, offset = [], 0
        while True:
            st, body = getj("/graph/v1/paper/%s/%s?fields=%s&offset=%d&limit=1000" % (pid, what, fields, offset))
            self.assertEqual(st, 200, body)
            self.assertEqual(body["offset"], offset)
            out.extend(body["data"])
            if "next" not in body:
                return out
            offset = body["next"]

    def test_s2_citations_shape_and_paging(self):
        pid = "ARXIV:" + top_cited()
        st, body = getj("/graph/v1/paper/%s/citations?fields=contexts,intents,isInfluential,title,externalIds,year"
                        "&offset=0&limit=50" % pid)
        self.assertEqual(st, 200, body)
        self.assertEqual(body["offset"], 0)
        self.assertEqual(body["next"], 50)
        self.assertEqual(len(body["data"]), 50)
        e = body["data"][0]
        self.assertEqual(list(e), ["isInfluential", "contexts", "intents", "citingPaper"])  # as recorded
        self.assertIsInstance(e["isInfluential"], bool)
        self.assertTrue(set(e["intents"]) <= {"background", "methodology", "result"})
        self.assertIn("paperId", e["citingPaper"])
        self.assertIn("ArXiv", e["citingPaper"]["externalIds"])
        # Over a thousand citers, newest first, no duplicates, all later papers.
        allc = self.s2_all(pid, "citations")
        self.assertGreater(len(allc), 1000)
        ids = [c["citingPaper"]["paperId"] for c in allc]
        self.assertEqual(len(ids), len(set(ids)))
        years = [c["citingPaper"]["year"] for c in allc]
        self.assertEqual(years, sorted(years, reverse=True))
        self.assertGreaterEqual(min(years), 1996)

    def test_s2_references_and_default_fields(self):
        st, body = getj("/graph/v1/paper/ARXIV:%s/references" % "cs/0703024")
        self.assertEqual(st, 200, body)
        self.assertNotIn("next", body)
        for e in body["data"]:
            self.assertEqual(list(e), ["citedPaper"])
            self.assertEqual(sorted(e["citedPaper"]), ["paperId", "title"])
        # Every reference is cited back: the two directions are one graph.
        for e in body["data"][:5]:
            back = self.s2_all(e["citedPaper"]["paperId"], "citations", "externalIds")
            self.assertIn("cs/0703024", [c["citingPaper"]["externalIds"]["ArXiv"] for c in back])

    def test_s2_id_forms_and_errors(self):
        st, body = getj("/graph/v1/paper/ARXIV:%s?fields=paperId,corpusId,externalIds" % quote(top_cited(), safe=""))
        self.assertEqual(st, 200, body)
        a = self.s2_all("ARXIV:" + top_cited(), "citations", "paperId")
        for pid in (body["paperId"], "CorpusId:%d" % body["corpusId"], "CorpusID:%d" % body["corpusId"]):
            self.assertEqual(self.s2_all(pid, "citations", "paperId"), a)
        st, body = getj("/graph/v1/paper/ARXIV:9999.99999/citations")
        self.assertEqual(st, 404)
        self.assertEqual(body, {"error": "Paper with id ARXIV:9999.99999 not found"})
        st, body = getj("/graph/v1/paper/ARXIV:%s/citations?limit=1001" % top_cited())
        self.assertEqual(st, 400)
        st, body = getj("/graph/v1/paper/ARXIV:%s/citations?fields=nope" % top_cited())
        self.assertEqual(st, 400)
        self.assertIn("nope", body["error"])
        # The graph is the same in a second simulator process (seeded).
        st, page = getj("/graph/v1/paper/ARXIV:%s/citations?limit=5" % quote(top_cited(), safe=""))
        proc, info = ts.start_sim(["--listen", "127.0.0.1:0"])
        try:
            st2, hdrs, raw = ts.request(info["providers"]["semantic_scholar"], "GET",
                                        "/graph/v1/paper/ARXIV:%s/citations?limit=5" % quote(top_cited(), safe=""))
            self.assertEqual(json.loads(raw), page)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            proc.stdout.close()
            proc.stderr.close()

    def test_openalex_cites_and_referenced_works(self):
        st, work = getj("/works/doi:%s" % quote(doi_of(top_cited()), safe=""))
        self.assertEqual(st, 200, work)
        wid = work["id"].rsplit("/", 1)[-1]
        seen, cursor = [], "*"
        while cursor:
            st, body = getj("/works?filter=cites:%s&per-page=200&cursor=%s&select=id,doi,ids,referenced_works"
                            % (wid, quote(cursor)))
            self.assertEqual(st, 200, body)
            seen.extend(body["results"])
            cursor = body["meta"]["next_cursor"]
        self.assertEqual(body["meta"]["count"], len(seen))
        self.assertGreater(len(seen), 900)
        for r in seen:
            self.assertIn(work["id"], r["referenced_works"])
        # S2 and OpenAlex know mostly the same citers, not all.
        # The same paper in both by its DOI (journal, else arXiv DataCite).
        s2 = {(c["citingPaper"]["externalIds"].get("DOI") or
               "10.48550/arxiv." + c["citingPaper"]["externalIds"]["ArXiv"]).lower()
              for c in self.s2_all("ARXIV:" + top_cited(), "citations", "externalIds")}
        oa = {r["ids"]["doi"].split("doi.org/", 1)[1] for r in seen}
        both = s2 & oa
        self.assertGreater(len(both), 0.7 * len(s2))
        self.assertTrue(s2 - oa and oa - s2)
        # References: referenced_works resolved with an OR filter of <= 100.
        st, work = getj("/works/doi:%s" % quote(doi_of("cs/0703024"), safe=""))
        refs = [u.rsplit("/", 1)[-1] for u in work["referenced_works"]]
        self.assertEqual(work["referenced_works_count"], len(refs))
        st, body = getj("/works?filter=openalex:%s&per-page=100" % "|".join(refs))
        self.assertEqual(sorted(r["id"].rsplit("/", 1)[-1] for r in body["results"]), sorted(refs))
        st, body = getj("/works?filter=cited_by:%s&per-page=100" % work["id"].rsplit("/", 1)[-1])
        self.assertEqual(sorted(r["id"].rsplit("/", 1)[-1] for r in body["results"]), sorted(refs))
        st, body = getj("/works?filter=openalex_id:%s&per-page=100" % "|".join(["W1"] * 101))
        self.assertEqual(st, 400)
        self.assertIn("100", body["message"])
        st, body = getj("/works/doi:10.9999/none")
        self.assertEqual(st, 404)

    def test_faults_apply(self):
        admin("POST", "/_sim/providers/semantic_scholar", {"mode": "error", "error_status": 503})
        st, _, _ = get("/graph/v1/paper/ARXIV:%s/citations" % top_cited())
        self.assertEqual(st, 503)
        admin("POST", "/_sim/providers/openalex", {"mode": "rate_limited"})
        st, _, _ = get("/works?filter=cites:W1&per-page=10")
        self.assertEqual(st, 429)
        st, stats = admin("GET", "/_sim/stats")
        s2 = stats["providers"]["semantic_scholar"] if "providers" in stats else stats["semantic_scholar"]
        self.assertGreaterEqual(s2["requests"], 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
