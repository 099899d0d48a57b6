"""Deep paging on /v1/search: next_cursor walks the merged list like offset
paging does, no paper twice, and a bad cursor is a 400 naming it."""
import unittest

import harness

from test_search import SimServerTestCase, openapi_validator, qs

PAGES = 5
LIMIT = 4


class PagingTest(SimServerTestCase):

    def ids(self, j):
        return [p["id"] for p in j["papers"]]

    def test_next_cursor_walks_like_offset(self):
        base = {"query": "graph neural networks", "limit": LIMIT}
        by_offset = []
        for page in range(PAGES):
            by_offset += self.ids(self.search(offset=page * LIMIT, **base))
        self.assertGreater(len(by_offset), LIMIT, "the simulator gave too few papers to page")
        by_cursor = []
        j = self.search(**base)
        for page in range(PAGES):
            by_cursor += self.ids(j)
            cursor = j["next_cursor"]
            if cursor is None:
                self.assertLess(j["offset"] + len(j["papers"]) + 1, j["total"] + 2)
                break
            self.assertIsInstance(cursor, str)
            if page + 1 < PAGES:
                j = self.search(cursor=cursor, **base)
                self.assertEqual(j["offset"], (page + 1) * LIMIT)
                v = openapi_validator("SearchAnswer")
                if v is not None:
                    v.validate(j)
        self.assertEqual(len(by_cursor), len(set(by_cursor)), "a paper came twice")
        self.assertEqual(by_cursor, by_offset)

    def test_cursor_outlives_the_server(self):
        # cursors are written into cached answers that outlive a restart and
        # are shared by instances (Redis, PostgreSQL): another server process
        # must take them
        base = {"query": "graph neural networks", "limit": LIMIT}
        j = self.search(**base)
        cursor = j["next_cursor"]
        self.assertIsNotNone(cursor)
        args = dict(self.server_args())
        args["env"] = self.sim.scifind_env(rate_interval=self.RATE_INTERVAL)
        other = harness.Server(**args).start()
        try:
            r = harness.request(other.port, "GET", qs(cursor=cursor, **base))
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json()["offset"], LIMIT)
        finally:
            other.stop()

    def test_last_page_has_no_cursor(self):
        j = self.search(query="graph neural networks", limit=100)
        if j["total"] <= 100:
            self.assertIsNone(j["next_cursor"])

    def test_bad_cursor_is_400_naming_it(self):
        j = self.search(query="graph neural networks", limit=2)
        cursor = j["next_cursor"]
        self.assertIsNotNone(cursor)
        for bad in ("garbage!", cursor[:-3], cursor[:10] + ("A" if cursor[10] != "A" else "B")
                    + cursor[11:]):
            self.assertError(self.get(qs(query="graph neural networks", limit=2, cursor=bad)),
                             400, "'cursor'", code="invalid_cursor")
        # another query, or with offset
        self.assertError(self.get(qs(query="quantum", limit=2, cursor=cursor)), 400,
                         "another query", code="invalid_cursor")
        self.assertError(self.get(qs(query="graph neural networks", limit=2, offset=2,
                                     cursor=cursor)), 400, "'cursor'", code="invalid_cursor")

    def test_post_takes_the_cursor(self):
        j = self.search(query="graph neural networks", limit=2)
        r = self.post("/v1/search", {"query": "graph neural networks", "limit": 2,
                                     "cursor": j["next_cursor"]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["offset"], 2)


if __name__ == "__main__":
    unittest.main()
