#!/usr/bin/env python3
"""The PostgreSQL store end to end: a throwaway cluster (pgtmp.py), the
provider simulator and the real scifind binary.

Papers written behind searches, the local provider, /v1/papers (ids,
keyset pages), /v1/analytics/popular, the L3 cache table, migrations run
twice, SQL-looking input, the statement timeout, PostgreSQL stopped (503 +
Retry-After, searches go on) and restarted (the store reconnects).

Run: SF_BIN=build/scifind python3 test/store/test_store.py
"""

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "blackbox"))

import harness  # noqa: E402
import pgtmp  # noqa: E402

PROVIDERS = ("arxiv", "semantic_scholar", "exa", "openalex", "crossref")
EXA_KEY = "store-test-key"


class Sim:
    """The provider simulator on a free loopback port (every provider under
    its real path)."""

    def __init__(self):
        beside = os.path.join(os.path.dirname(os.path.abspath(harness.binary())),
                              "scifind-provsim")
        script = os.path.join(harness.REPO, "bench", "simulator", "scifind-sim")
        cmd = [beside] if os.path.exists(beside) else [sys.executable, script]
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd + ["--listen", "127.0.0.1:0", "--quiet",
                                            "--exa-api-key", EXA_KEY],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self.err, start_new_session=True)
        line = b""
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and b"\n" not in line:
            if sel.select(timeout=0.2):
                b = os.read(self.proc.stdout.fileno(), 65536)
                if not b:
                    break
                line += b
            elif self.proc.poll() is not None:
                break
        sel.close()
        try:
            self.base = json.loads(line.decode().splitlines()[0])["listen"]
        except (ValueError, IndexError, KeyError):
            self.stop()
            raise RuntimeError("simulator did not start: %r" % line[:200])

    def env(self, pg_dsn):
        env = dict(os.environ)
        for p in PROVIDERS:
            env["SCIFIND_%s_BASE_URL" % p.upper()] = self.base
            env["SCIFIND_%s_RATE_INTERVAL" % p.upper()] = "0"
        env["SCIFIND_EXA_API_KEY"] = EXA_KEY
        env["SCIFIND_PG_DSN"] = pg_dsn
        return env

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
        self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.err.close()


def get(server, path, timeout=10.0):
    return harness.request(server.port, "GET", path, timeout=timeout)


def search(server, timeout=15.0, **params):
    return get(server, "/v1/search?" + urllib.parse.urlencode(params), timeout=timeout)


def new_cluster(test):
    """A started, migrated cluster, closed when test ends."""
    pg = pgtmp.Cluster()
    test.addCleanup(pg.close)
    pg.init().start().create_db()
    r = harness.run_cli("migrate", "--set", "pg.dsn=" + pg.dsn, timeout=60)
    test.assertEqual(r.returncode, 0, r.stdout + r.stderr)
    return pg


def wait_for(fn, timeout=10.0, every=0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(every)
    return last


# The larger shared sample where it exists (the figures were measured on
# it), else the 4,000 records bundled with the simulator (a fresh clone).
DATA = os.path.join(os.path.dirname(harness.REPO), "shared", "data", "arxiv-sample.jsonl")
if not os.path.exists(DATA):
    DATA = os.path.join(harness.REPO, "bench", "simulator", "corpus", "arxiv-sample-4k.jsonl.xz")


def open_data():
    if DATA.endswith(".xz"):
        import lzma
        return lzma.open(DATA, "rt", encoding="utf-8")
    return open(DATA)


SAMPLE = []  # the real records loaded by load_sample()


def load_sample(pg, n):
    """Loads the first n records of the real corpus through the batcher's
    SQL function (as if a provider had returned them)."""
    if not os.path.exists(DATA):
        return
    rows = []
    with open_data() as f:
        for line in f:
            r = json.loads(line)
            title = " ".join((r.get("title") or "").split())
            authors = [a.strip() for a in (r.get("authors") or "").replace(" and ", ", ").split(",")
                       if a.strip()]
            aid = r["id"]
            rows.append({"arxiv_id": aid, "title": title, "doi": (r.get("doi") or "").lower() or None,
                         "title_key": " ".join("".join(c if c.isalnum() else " "
                                                       for c in title.lower()).split()),
                         "abstract": " ".join((r.get("abstract") or "").split()) or None,
                         "authors": authors, "first_author": "",
                         "categories": (r.get("categories") or "").split(),
                         "sources": ["arxiv"], "source_ids": {"arxiv": aid}})
            SAMPLE.append(rows[-1])
            if len(rows) >= n:
                break
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        for i in range(0, len(rows), 200):
            f.write("SELECT scifind_upsert_papers('%s'::jsonb);\n"
                    % json.dumps(rows[i:i + 200]).replace("'", "''"))
        path = f.name
    os.chmod(path, 0o644)
    try:
        subprocess.run([os.path.join(pg.bindir, "psql"), "-X", "-q", "-o", "/dev/null", "-h",
                        "127.0.0.1", "-p", str(pg.port), "-U", pg.user, "-d", pg.dbname, "-v",
                        "ON_ERROR_STOP=1", "-f", path], check=True, timeout=120)
    finally:
        os.unlink(path)


SETTINGS = {
    "pg.batch_interval": "50ms",
    "pg.statement_timeout": "1500ms",
    "pg.connect_timeout": "1s",
    "pg.min_connections": "1",
    "pg.max_connections": "3",
}


class StoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = pgtmp.Cluster()
        cls.sim = None
        cls.server = None
        try:
            cls.pg.init().start().create_db()
            r = harness.run_cli("migrate", "--set", "pg.dsn=" + cls.pg.dsn, timeout=60)
            if r.returncode != 0:
                raise RuntimeError("migrate failed: %s %s" % (r.stdout, r.stderr))
            cls.sim = Sim()
            settings = dict(SETTINGS)
            # A dead replica (skipped) and a live one (the same cluster): reads go there.
            settings["pg.replicas"] = "host=127.0.0.1 port=1 dbname=x user=x|" + cls.pg.dsn
            cls.server = harness.Server(workers=0, settings=settings,
                                        env=cls.sim.env(cls.pg.dsn)).start()
            load_sample(cls.pg, 2000)
            # Seed the store through searches, as users would.
            for q in ("graph neural networks", "quantum error correction"):
                r = search(cls.server, query=q, limit=20)
                if r.status != 200:
                    raise RuntimeError("seed search: %r" % r)
            if not wait_for(lambda: int(cls.pg.psql("SELECT count(*) FROM papers")) > 10):
                raise RuntimeError("papers were not written behind the searches; log:\n"
                                   + cls.server.log()[-3000:])
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.server is not None:
                cls.server.stop()
        finally:
            cls.server = None
            if cls.sim is not None:
                cls.sim.stop()
            cls.pg.close()

    # -- migrations ------------------------------------------------------------

    def schema(self):
        return self.pg.psql("SELECT string_agg(table_name || '.' || column_name || ':' || data_type,"
                            " ',' ORDER BY table_name, column_name) FROM information_schema.columns"
                            " WHERE table_schema = 'public'")

    def test_health_ready_reports_the_store(self):
        r = get(self.server, "/health/ready")
        self.assertEqual(r.status, 200)
        store = r.json()["checks"]["store"]
        self.assertEqual(store["status"], "ok")
        self.assertGreaterEqual(store["ready"], 1)
        self.assertIn("write_queue", store)

    def test_migrate_again_changes_nothing(self):
        before = self.schema()
        r = harness.run_cli("migrate", "--set", "pg.dsn=" + self.pg.dsn, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("up to date", r.stdout)
        self.assertEqual(self.schema(), before)
        shipped = len(os.listdir(os.path.join(harness.REPO, "store", "migrations")))
        self.assertEqual(self.pg.psql("SELECT count(*) FROM schema_migrations"), str(shipped))

    def test_migrate_without_dsn_is_refused(self):
        env = dict(os.environ)
        env.pop("SCIFIND_PG_DSN", None)
        r = harness.run_cli("migrate", env=env)
        self.assertEqual(r.returncode, 2)
        self.assertIn("pg.dsn", r.stderr)

    # -- writing -----------------------------------------------------------------

    def test_papers_written_behind_with_merged_fields(self):
        rows = self.pg.psql("SELECT count(*), count(*) FILTER (WHERE cardinality(sources) > 1),"
                            " count(*) FILTER (WHERE tsv IS NOT NULL) FROM papers").split("|")
        total, multi, tsv = map(int, rows)
        self.assertGreater(total, 10)
        self.assertGreater(multi, 0, "no paper merged from two providers")
        self.assertEqual(tsv, total)
        # No duplicate DOIs or arXiv ids (unique keys of the merge's rules).
        self.assertEqual(self.pg.psql("SELECT count(*) FROM (SELECT doi FROM papers WHERE doi IS NOT"
                                      " NULL GROUP BY doi HAVING count(*) > 1) d"), "0")

    def upsert(self, rows):
        return self.pg.psql("SELECT scifind_upsert_papers('%s'::jsonb)"
                            % json.dumps(rows).replace("'", "''"))

    def test_upsert_merges_like_the_search(self):
        a = {"doi": "10.5555/merge-test", "title": "Merging Things", "title_key": "merging things",
             "abstract": "short", "authors": ["A One"], "first_author": "one", "year": 2021,
             "published_at": "2021", "citations": 3, "categories": ["cs.LG"],
             "sources": ["crossref"], "source_ids": {"crossref": "10.5555/merge-test"}}
        b = {"arxiv_id": "2101.99999", "title": "merging things", "title_key": "merging things",
             "abstract": "a much longer abstract", "authors": ["A One", "B Two"],
             "first_author": "one", "year": 2021, "published_at": "2021-01-05", "citations": 9,
             "categories": ["CS.LG", "stat.ML"], "sources": ["arxiv"],
             "source_ids": {"arxiv": "2101.99999v2"}, "pdf_url": "https://arxiv.org/pdf/x",
             "type": "preprint"}
        c = {"doi": "10.5555/merge-test", "citations": 4, "venue": "J. Merging",
             "sources": ["openalex"], "source_ids": {"openalex": "W1"}, "title": "",
             "title_key": "", "type": "article"}
        self.assertEqual(self.upsert([a]), "1")
        self.assertEqual(self.upsert([b, c]), "2")  # b by title + author, c by DOI
        rows = self.pg.psql("SELECT count(*) FROM papers WHERE title_key = 'merging things'")
        self.assertEqual(rows, "1")
        r = get(self.server, "/v1/papers/doi:10.5555/merge-test")
        self.assertEqual(r.status, 200, r.body)
        p = r.json()["paper"]
        self.assertEqual(p["title"], "Merging Things")            # first known
        self.assertEqual(p["abstract"], "a much longer abstract")  # longest
        self.assertEqual(p["authors"], ["A One", "B Two"])         # most names
        self.assertEqual(p["citation_count"], 9)                   # highest
        self.assertEqual(p["published_at"], "2021-01-05")          # most precise
        self.assertEqual(p["categories"], ["cs.LG", "stat.ML"])    # union, case folded
        self.assertEqual(sorted(p["sources"]), ["arxiv", "crossref", "openalex"])
        self.assertEqual(p["source_ids"]["openalex"], "W1")
        self.assertEqual(p["arxiv_id"], "2101.99999")
        self.assertEqual(p["venue"], "J. Merging")
        self.assertEqual(p["type"], "article")  # none, then preprint, then published: published
        self.assertTrue(p["is_open_access"])

    def test_search_again_does_not_duplicate(self):
        # Once in full first: on a loaded machine an earlier test's search
        # may have had a provider time out, and its papers would be new here.
        params = dict(query="graph neural networks", limit=20, offset=0,
                      providers="arxiv,crossref,openalex,semantic_scholar,exa")
        for _ in range(3):
            r = search(self.server, **params)
            self.assertEqual(r.status, 200)
            if not r.json()["partial"]:
                break
            params["limit"] += 1  # another cache key: the providers asked again
        time.sleep(0.5)
        before = int(self.pg.psql("SELECT count(*) FROM papers"))
        r = search(self.server, **params)
        self.assertEqual(r.status, 200)
        time.sleep(0.5)
        self.assertEqual(int(self.pg.psql("SELECT count(*) FROM papers")), before)

    # -- the local provider ----------------------------------------------------------

    def test_local_provider_answers_from_the_store(self):
        r = search(self.server, query="graph neural networks", providers="local", limit=5)
        self.assertEqual(r.status, 200, r.body[:500])
        body = r.json()
        self.assertEqual(body["providers"]["local"]["status"], "ok", body["providers"])
        self.assertGreater(len(body["papers"]), 0)
        for p in body["papers"]:
            self.assertEqual(p["sources"][0]["provider"], "local")
        text = " ".join((p["title"] + " " + (p["abstract"] or "")).lower() for p in body["papers"])
        self.assertTrue("graph" in text or "neural" in text)

    def test_local_relevance_on_the_real_corpus(self):
        if not SAMPLE:
            self.skipTest("no corpus at %s" % DATA)
        hits = 0
        picks = [r for r in SAMPLE if len(r["title"].split()) >= 6][:20]
        for r in picks:
            resp = search(self.server, query=r["title"], providers="local", limit=5)
            self.assertEqual(resp.status, 200)
            ids = [p["arxiv_id"] for p in resp.json()["papers"]]
            hits += bool(ids) and ids[0] == r["arxiv_id"]
        # Its own title finds a paper first (a few titles are near-duplicates).
        self.assertGreaterEqual(hits, len(picks) * 0.9, hits)

    def test_reads_go_to_the_live_replica(self):
        self.assertEqual(get(self.server, "/v1/papers?limit=3").status, 200)
        n = self.pg.psql("SELECT count(*) FROM pg_stat_activity"
                         " WHERE application_name = 'scifind-replica'")
        self.assertGreaterEqual(int(n), 1)

    def test_local_provider_takes_part_in_the_fanout(self):
        r = search(self.server, query="quantum error correction", limit=5)
        self.assertEqual(r.status, 200)
        self.assertIn("local", r.json()["providers"])

    def test_sql_looking_input_stays_data(self):
        for q in ("'; DROP TABLE papers; --", "a' OR '1'='1", "x\\\" ) ; select pg_sleep(5)"):
            r = search(self.server, query=q, providers="local", author="o'brien; --")
            self.assertEqual(r.status, 200, r.body[:300])
            self.assertIn(r.json()["providers"]["local"]["status"], ("ok",))
        r = get(self.server, "/v1/papers/doi:10.1%27%3B%20DROP%20TABLE%20papers%3B--%2Fx")
        self.assertIn(r.status, (400, 404), r.body)
        r = get(self.server, "/v1/papers/doi:10.1/x%27%29%3Bdelete%2Ffrom%2Fpapers%3B--")
        self.assertEqual(r.status, 404, r.body)
        r = get(self.server, "/v1/papers?category=%27%3B%20DROP%20TABLE%20papers")
        self.assertEqual(r.status, 200)
        self.assertGreater(int(self.pg.psql("SELECT count(*) FROM papers")), 0)

    # -- /v1/papers ----------------------------------------------------------------------

    def test_get_paper_by_internal_id_doi_and_arxiv(self):
        row = wait_for(lambda: self.pg.psql("SELECT id, doi FROM papers WHERE doi IS NOT NULL"
                                            " ORDER BY id LIMIT 1"))
        pid, doi = row.split("|")
        r = get(self.server, "/v1/papers/" + pid)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["paper"]["id"], pid)
        r = get(self.server, "/v1/papers/doi:" + doi)  # slashes left as they are
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["paper"]["doi"], doi)
        r = get(self.server, "/v1/papers/" + urllib.parse.quote("doi:" + doi.upper(), safe=""))
        self.assertEqual(r.status, 200, r.body)
        ax = self.pg.psql("SELECT arxiv_id FROM papers WHERE arxiv_id IS NOT NULL LIMIT 1")
        if ax:
            r = get(self.server, "/v1/papers/arxiv:" + ax + "v3")
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.json()["paper"]["arxiv_id"], ax)

    def test_get_paper_by_semantic_scholar_and_openalex_id_from_the_store(self):
        # By source_ids (its GIN index): the store answers, no provider is asked.
        for src, prefix in (("semantic_scholar", "s2:"), ("openalex", "openalex:")):
            row = wait_for(lambda: self.pg.psql(
                "SELECT id, source_ids->>'%s' FROM papers WHERE source_ids ? '%s'"
                " ORDER BY id LIMIT 1" % (src, src)))
            pid, sid = row.split("|")
            r = get(self.server, "/v1/papers/" + prefix + sid)
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.json()["paper"]["id"], pid, r.body)
            self.assertEqual(r.json().get("from"), "store", r.body)
        plan = self.pg.psql("SET enable_seqscan = off; EXPLAIN SELECT 1 FROM papers WHERE"
                            " source_ids @> jsonb_build_object('openalex', 'W1')")
        self.assertIn("papers_source_ids_idx", plan)

    def test_absent_paper_is_404_json(self):
        for path in ("/v1/papers/999999999", "/v1/papers/doi:10.9999/nothing",
                     "/v1/papers/arxiv:0000.00000"):
            r = get(self.server, path)
            self.assertEqual(r.status, 404, path)
            self.assertEqual(r.json()["error"]["code"], "not_found")

    def test_bad_paper_id_is_400(self):
        for path in ("/v1/papers/abc", "/v1/papers/doi:nope", "/v1/papers/%zz",
                     "/v1/papers/1%00"):
            r = get(self.server, path)
            self.assertEqual(r.status, 400, path)

    def test_list_keyset_pages_newest_first(self):
        count = "SELECT count(*) FROM papers WHERE deleted_at IS NULL"
        # Writes behind earlier searches may still be landing: wait for calm.
        wait_for(lambda: self.pg.psql(count) == (time.sleep(0.3) or self.pg.psql(count)))
        total = int(self.pg.psql(count))
        seen, cursor, pages = [], None, 0
        while True:
            path = "/v1/papers?limit=7" + ("&cursor=" + cursor if cursor else "")
            r = get(self.server, path)
            self.assertEqual(r.status, 200, r.body)
            body = r.json()
            seen += [int(p["id"]) for p in body["papers"]]
            cursor = body["next_cursor"]
            pages += 1
            if not cursor:
                break
            self.assertLess(pages, 1000)
        self.assertEqual(len(seen), len(set(seen)))
        self.assertEqual(seen, sorted(seen, reverse=True))
        self.assertEqual(len(seen), total)

    def test_list_filters(self):
        r = get(self.server, "/v1/papers?provider=arxiv&limit=100")
        self.assertEqual(r.status, 200)
        for p in r.json()["papers"]:
            self.assertIn("arxiv", p["sources"])
        year = self.pg.psql("SELECT year FROM papers WHERE year IS NOT NULL LIMIT 1")
        r = get(self.server, "/v1/papers?year=%s&limit=100" % year)
        self.assertTrue(r.json()["papers"])
        for p in r.json()["papers"]:
            self.assertEqual(p["year"], int(year))
        for bad in ("limit=0", "limit=101", "year=abc", "provider=nope", "cursor=zzz", "foo=1",
                    "limit=1&limit=2"):
            self.assertEqual(get(self.server, "/v1/papers?" + bad).status, 400, bad)

    # -- analytics and L3 -------------------------------------------------------------------

    def test_popular_queries(self):
        for _ in range(3):
            self.assertEqual(search(self.server, query="Popular  Topic Here").status, 200)
        ok = wait_for(lambda: int(self.pg.psql(
            "SELECT count(*) FROM search_queries WHERE query_text = 'popular topic here'")) >= 3)
        self.assertTrue(ok)
        r = get(self.server, "/v1/analytics/popular?window=24h&limit=100")
        self.assertEqual(r.status, 200, r.body)
        body = r.json()
        self.assertEqual(body["window_seconds"], 86400)
        counts = {q["query"]: q["count"] for q in body["queries"]}
        self.assertGreaterEqual(counts.get("popular topic here", 0), 3)
        self.assertEqual(get(self.server, "/v1/analytics/popular?window=forever").status, 400)
        self.assertEqual(get(self.server, "/v1/analytics/popular?limit=0").status, 400)

    def test_l3_answers_a_repeated_search(self):
        q = "l3 cache check %d" % os.getpid()
        r1 = search(self.server, query=q)
        self.assertEqual(r1.status, 200)
        self.assertTrue(wait_for(lambda: self.pg.psql(
            "SELECT count(*) FROM search_cache WHERE key LIKE '%%l3 cache check%%'") != "0"))
        r2 = search(self.server, query=q)
        self.assertEqual(r2.status, 200)
        self.assertIn(r2.header("X-Cache"), ("postgres", "memory", "redis"))
        self.assertEqual(r1.json()["papers"], r2.json()["papers"])

    def test_delete_cache_empties_l3(self):
        n = lambda like: int(self.pg.psql(
            "SELECT count(*) FROM search_cache WHERE key LIKE '%%%s%%'" % like))
        for q in ("l3 delete one", "l3 delete all"):
            self.assertEqual(search(self.server, query=q).status, 200)
        self.assertTrue(wait_for(lambda: n("l3 delete") == 2))
        r = self.server.request("DELETE", "/v1/cache?query=l3+delete+one")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["deleted"]["postgres"], True)
        self.assertEqual(n("l3 delete one"), 0)
        self.assertEqual(n("l3 delete all"), 1)
        r = self.server.request("DELETE", "/v1/cache")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["postgres"], True)
        self.assertEqual(self.pg.psql("SELECT count(*) FROM search_cache"), "0")
        # Asked again, the search is computed, not read from a tier.
        self.assertEqual(search(self.server, query="l3 delete all").header("X-Cache"), "search")

    # -- failures -----------------------------------------------------------------------

    def test_statement_timeout_answers_503(self):
        locker = self.pg.psql_popen(None)
        try:
            locker.stdin.write("BEGIN; LOCK TABLE papers IN ACCESS EXCLUSIVE MODE;"
                               " SELECT pg_sleep(30);\n")
            locker.stdin.flush()
            time.sleep(0.5)
            t = time.monotonic()
            r = get(self.server, "/v1/papers/1", timeout=10)
            took = time.monotonic() - t
            self.assertEqual(r.status, 503, r.body)
            self.assertEqual(r.json()["error"]["code"], "store_timeout")
            self.assertIsNotNone(r.header("Retry-After"))
            self.assertLess(took, 5)
        finally:
            locker.kill()
            locker.wait()
            locker.stdin.close()
            self.pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                         " WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()")
        self.assertTrue(wait_for(lambda: get(self.server, "/v1/papers?limit=1").status == 200))


class StoreDownTest(unittest.TestCase):
    """PostgreSQL stopped under a running scifind, then started again."""

    def test_down_then_back(self):
        pg = pgtmp.Cluster()
        sim = None
        server = None
        try:
            pg.init().start().create_db()
            settings = dict(SETTINGS)
            settings["pg.migrate_on_start"] = "true"
            sim = Sim()
            server = harness.Server(workers=0, settings=settings, env=sim.env(pg.dsn)).start()
            self.assertEqual(search(server, query="graph neural networks").status, 200)
            self.assertTrue(wait_for(lambda: int(pg.psql("SELECT count(*) FROM papers")) > 0))
            self.assertEqual(get(server, "/v1/papers?limit=1").status, 200)

            # Searches keep coming while PostgreSQL goes away and comes back.
            import threading
            stop_load = threading.Event()
            statuses = []

            def load():
                i = 0
                while not stop_load.is_set():
                    i += 1
                    try:
                        statuses.append(search(server, query="load %d" % (i % 7)).status)
                    except OSError as e:
                        statuses.append(repr(e))
            loader = threading.Thread(target=load, daemon=True)
            loader.start()
            self.addCleanup(stop_load.set)
            time.sleep(0.3)
            pg.stop(mode="immediate")
            # Store-only endpoints: 503 + Retry-After, quickly.
            def down():
                r = get(server, "/v1/papers?limit=1")
                return r if r.status == 503 else None
            r = wait_for(down, timeout=10)
            self.assertIsNotNone(r, "no 503 while PostgreSQL is down")
            # store_timeout when the request went out on a connection whose
            # end the pool had not seen yet and no answer came within the
            # statement timeout (a loaded machine); store_unavailable after.
            self.assertIn(r.json()["error"]["code"], ("store_unavailable", "store_timeout"))
            self.assertGreaterEqual(int(r.header("Retry-After")), 1)
            r = get(server, "/v1/analytics/popular")
            self.assertEqual(r.status, 503)
            r = get(server, "/health/ready")
            self.assertEqual(r.status, 200)  # the instance still serves searches
            self.assertEqual(r.json()["status"], "degraded")
            self.assertEqual(r.json()["checks"]["store"]["status"], "down")
            # Searches go on without the store.
            t = time.monotonic()
            r = search(server, query="quantum error correction", limit=5)
            self.assertEqual(r.status, 200, r.body[:300])
            self.assertNotEqual(r.json()["providers"]["local"]["status"], "ok")
            self.assertGreater(len(r.json()["papers"]), 0)
            self.assertLess(time.monotonic() - t, 6)
            self.assertEqual(get(server, "/health").status, 200)

            pg.start()
            ok = wait_for(lambda: get(server, "/v1/papers?limit=1").status == 200, timeout=15)
            self.assertTrue(ok, "the store did not reconnect; log:\n" + server.log()[-2000:])
            r = search(server, query="graph neural networks", providers="local")
            self.assertEqual(r.json()["providers"]["local"]["status"], "ok")
            stop_load.set()
            loader.join(timeout=20)
            self.assertGreaterEqual(len(statuses), 3)
            self.assertEqual(set(statuses), {200}, statuses)
        finally:
            if server is not None:
                server.stop()
            if sim is not None:
                sim.stop()
            pg.close()


class LocalPageSizeTest(unittest.TestCase):
    """The local provider reads providers.local.max_results rows (or the
    query's offset + limit when that is more), as each HTTP provider asks
    for its own providers.<name>.max_results: arXiv's setting is not its."""

    def test_local_reads_its_own_max_results(self):
        pg = new_cluster(self)
        rows = [{"arxiv_id": "2301.%05d" % i, "title": "Zymurgy study number %d" % i,
                 "title_key": "zymurgystudynumber%d" % i, "authors": ["Ann Brewer"],
                 "first_author": "brewer", "sources": ["arxiv"],
                 "source_ids": {"arxiv": "2301.%05d" % i}} for i in range(12)]
        pg.psql("SELECT scifind_upsert_papers('%s'::jsonb)" % json.dumps(rows).replace("'", "''"))
        env = dict(os.environ, SCIFIND_PG_DSN=pg.dsn)
        cases = (({}, 1, 0, 12),                                    # default 25: every row
                 ({"providers.local.max_results": "5"}, 1, 0, 5),   # its own setting
                 ({"providers.local.max_results": "5"}, 4, 4, 8))   # offset + limit when more
        for extra, limit, offset, total in cases:
            # No cache: each case's answer is read from the papers again.
            settings = dict(SETTINGS, **{"providers.arxiv.max_results": "2",
                                         "cache.enabled": "false"}, **extra)
            server = harness.Server(workers=0, settings=settings, env=env).start()
            try:
                r = search(server, query="zymurgy", providers="local", limit=limit,
                           offset=offset)
                self.assertEqual(r.status, 200, r.body[:300])
                body = r.json()
                self.assertEqual(body["providers"]["local"]["status"], "ok", body["providers"])
                self.assertEqual(body["total"], total, (extra, limit, offset))
            finally:
                server.stop()


class ApiKeysTest(unittest.TestCase):
    """Keys from the api_keys table (migration 0002 adds their scopes):
    loaded by every worker each auth.store_refresh, kept while PostgreSQL
    is down."""

    def test_keys_from_the_table(self):
        pg = new_cluster(self)
        sim = Sim()
        self.addCleanup(sim.stop)
        settings = dict(SETTINGS, **{"auth.required": "true", "auth.store_refresh": "100ms"})
        server = harness.Server(workers=0, settings=settings, env=sim.env(pg.dsn)).start()
        self.addCleanup(server.stop)

        def status(key, method="GET", path="/v1/providers", body=None):
            return server.request(method, path, {"X-API-Key": key} if key else None, body).status

        # Until the table is read a key cannot be judged: 503, then 401.
        first = wait_for(lambda: (lambda s: s if s != 503 else None)(status("reader-key")))
        self.assertEqual(first, 401)
        for name, scopes in (("reader", "{read}"), ("admin", "{read,admin}")):
            pg.psql("INSERT INTO api_keys (key_hash, name, scopes) VALUES"
                    " (encode(sha256(convert_to('%s-key', 'UTF8')), 'hex'), '%s', '%s')"
                    % (name, name, scopes))
        self.assertTrue(wait_for(lambda: status("reader-key") == 200 and status("admin-key") == 200))
        self.assertEqual(status(None), 401)
        put = ("PUT", "/v1/providers/crossref", b'{"timeout_ms": 3000}')
        self.assertEqual(status("reader-key", *put), 403)
        self.assertEqual(status("admin-key", *put), 200)
        with self.assertRaises(RuntimeError):  # the CHECK of migration 0002
            pg.psql("INSERT INTO api_keys (key_hash, name, scopes) VALUES ('x', 'y', '{root}')")

        # A key's own rate limit (per minute; bursts of at most as many),
        # while keys without one are not limited (ratelimit.rate is 0 here).
        pg.psql("INSERT INTO api_keys (key_hash, name, scopes, rate_limit) VALUES"
                " (encode(sha256(convert_to('slow-key', 'UTF8')), 'hex'), 'slow', '{read}', 3)")
        self.assertTrue(wait_for(lambda: status("slow-key") != 401))
        limited = [server.request("GET", "/v1/providers", {"X-API-Key": "slow-key"})
                   for _ in range(3)]
        r = limited[-1]
        self.assertEqual(r.status, 429, [x.status for x in limited])
        self.assertEqual(r.header("RateLimit-Limit"), "3")
        self.assertGreaterEqual(int(r.header("Retry-After")), 1)
        self.assertEqual([status("admin-key") for _ in range(10)], [200] * 10)

        pg.psql("UPDATE api_keys SET revoked_at = now() WHERE name = 'reader'")
        self.assertTrue(wait_for(lambda: status("reader-key") == 401))
        # PostgreSQL gone: the keys loaded stay in force.
        pg.stop()
        time.sleep(0.5)
        self.assertEqual(status("admin-key"), 200)
        self.assertEqual(status("reader-key"), 401)


if __name__ == "__main__":
    unittest.main(verbosity=2)
