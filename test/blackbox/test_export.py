#!/usr/bin/env python3
"""Exports end to end: /v1/search and /v1/papers/{id} as BibTeX, RIS and
CSL-JSON (format= or Accept), against the provider simulator, each read
back by a real consumer rather than compared as strings:

- BibTeX by bibtexparser (python3-bibtexparser, Debian): every entry with
  the same authors, title, year, DOI and arXiv eprint as the JSON answer;
- CSL-JSON rendered to an APA bibliography by citeproc-js (npm `citeproc`,
  the engine Zotero uses);
- RIS read back by citation-js's RIS plugin (npm `@citation-js/plugin-ris`),
  and checked line by line by the strict reader below.

The npm clients are installed by scripts/export-clients.sh into the build
folder (export-clients/); without node/npm those tests are skipped, as
without bibtexparser its tests. /v1/papers/{id} needs PostgreSQL
(test/store/pgtmp.py): skipped without it.

Run: SF_BIN=build/scifind python3 test/blackbox/test_export.py
"""

import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "test", "store"))

import harness  # noqa: E402

def import_bibtexparser():
    """Debian's python3-bibtexparser, also when python3 is not Debian's
    (a pyenv or venv interpreter does not see /usr/lib/python3)."""
    for extra in (None, "/usr/lib/python3/dist-packages"):
        if extra and extra not in sys.path:
            sys.path.append(extra)
        try:
            import bibtexparser as bp
            from bibtexparser.bparser import BibTexParser as P
            from bibtexparser.customization import splitname as sn
            return bp, P, sn
        except ImportError:
            continue
    return None, None, None


# bibtexparser 1.1 calls pyparsing names that pyparsing 3 deprecates.
warnings.filterwarnings("ignore", module="(bibtexparser|pyparsing)")
bibtexparser, BibTexParser, splitname = import_bibtexparser()

QUERIES = ("graph neural networks", "quantum error correction", "attention transformer",
           "homology coxeter groups magnetization cluster")  # the last: TeX in titles
BIB_TYPE = "application/x-bibtex; charset=utf-8"
RIS_TYPE = "application/x-research-info-systems; charset=utf-8"
CSL_TYPE = "application/vnd.citationstyles.csl+json"


# The entry type each format gives a paper of a known "type" (core/export.h);
# an article or conference paper with no venue but arXiv is its preprint.
# A paper with no type (or "other") gets the venue guess: any of GUESSED.
ENTRY_TYPES = {  # type: (BibTeX, RIS TY, CSL type)
    "article": ("article", "JOUR", "article-journal"),
    "review": ("article", "JOUR", "article-journal"),
    "proceedings": ("inproceedings", "CPAPER", "paper-conference"),
    "book": ("book", "BOOK", "book"),
    "book_chapter": ("incollection", "CHAP", "chapter"),
    "thesis": ("phdthesis", "THES", "thesis"),
    "dataset": ("misc", "DATA", "dataset"),
    "preprint": ("misc", "UNPB", "article"),
}
GUESSED = ({"article", "inproceedings", "misc"}, {"JOUR", "CPAPER", "UNPB", "GEN"},
           {"article-journal", "paper-conference", "article", "document"})


def expected_entry_types(p):
    """The set of entry types each format may give paper p (a JSON answer's)."""
    t = p.get("type")
    venue = p.get("venue") or ""
    arxiv_only = p.get("arxiv_id") and (not venue or "arxiv" in venue.lower()
                                        or venue.lower() == "corr")
    if t in ("article", "review", "proceedings") and arxiv_only:
        t = "preprint"
    if t not in ENTRY_TYPES:
        return GUESSED
    return tuple({x} for x in ENTRY_TYPES[t])


def qs(**params):
    return "/v1/search?" + urllib.parse.urlencode(params)


def clients_dir():
    """The npm consumers, installed once under the build folder."""
    d = os.environ.get("SF_EXPORT_CLIENTS") or os.path.join(
        os.path.dirname(os.path.abspath(harness.binary())), "export-clients")
    rc = subprocess.run([os.path.join(REPO, "scripts", "export-clients.sh"), d],
                        stdout=subprocess.DEVNULL, timeout=600).returncode
    if rc == 77:
        raise unittest.SkipTest("node and npm are needed for citeproc and citation-js")
    if rc != 0:
        raise AssertionError("scripts/export-clients.sh failed (%d)" % rc)
    return d


def run_client(mode, text):
    d = clients_dir()
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix="." + mode) as f:
        f.write(text)
        f.flush()
        p = subprocess.run(["node", os.path.join(d, "clients.js"), mode, f.name],
                           cwd=d, capture_output=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError("node clients.js %s failed: %s" % (mode, p.stderr.decode()[-2000:]))
    return json.loads(p.stdout)


# ---- what the BibTeX writer escapes, undone (core/export.h) ----------------

UNESCAPE = [("\\textbraceleft{}", "{"), ("\\textbraceright{}", "}"),
            ("\\textasciitilde{}", "~"), ("\\textasciicircum{}", "^"),
            ("\\&", "&"), ("\\%", "%"), ("\\#", "#"), ("\\_", "_")]


def tex_to_text(s):
    """A BibTeX value back to the text it was written from: the protecting
    braces dropped outside math, the escapes undone."""
    out, i, math = [], 0, False
    while i < len(s):
        if s.startswith("\\textbackslash{}", i):
            out.append("\\")
            i += len("\\textbackslash{}")
            continue
        hit = next(((e, c) for e, c in UNESCAPE if s.startswith(e, i)), None)
        if hit and not math:
            out.append(hit[1])
            i += len(hit[0])
            continue
        if s.startswith("\\$", i):
            out.append("$")
            i += 2
            continue
        c = s[i]
        if c == "$":
            math = not math
        if c in "{}" and not math:
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def display_name(name):
    """A JSON answer's author as the writers split it, comparable with what
    a reader rebuilds: "Family, Given" becomes "Given Family"."""
    if "," in name:
        fam, _, given = name.partition(",")
        name = given.strip() + " " + fam.strip()
    return " ".join(name.split())


def strict_ris(text):
    """RIS as the specification writes it: each record from TY to ER, every
    line "XX  - value" with a two-character tag, CRLF line ends, no empty
    values but ER's. Returns the records as lists of (tag, value)."""
    assert text.endswith("\r\n"), "RIS ends with CRLF"
    records, cur = [], None
    for line in text[:-2].split("\r\n"):
        assert "\n" not in line and "\r" not in line, "bare line break in %r" % line
        if line == "" and cur is None:
            continue
        m = re.fullmatch(r"([A-Z][A-Z0-9])  - (.*)", line)
        assert m, "not a RIS line: %r" % line
        tag, value = m.groups()
        if tag == "TY":
            assert cur is None, "TY inside a record"
            cur = []
        assert cur is not None, "%s outside a record" % tag
        if tag == "ER":
            assert value == "", "ER with a value"
            records.append(cur)
            cur = None
            continue
        assert value.strip(), "empty %s" % tag
        cur.append((tag, value))
    assert cur is None, "record without ER"
    return records


class ExportSearchTest(harness.SimulatorTestCase):

    def get(self, path, headers=None, timeout=20):
        return harness.request(self.server.port, "GET", path, headers=headers or [],
                               timeout=timeout)

    def both(self, query, fmt, **extra):
        """The JSON answer's papers and the same search in fmt."""
        j = self.get(qs(query=query, limit=20, **extra))
        self.assertEqual(j.status, 200, j)
        e = self.get(qs(query=query, limit=20, format=fmt, **extra))
        self.assertEqual(e.status, 200, e)
        return j.json()["papers"], e

    def assertJsonError(self, r, status, *words):
        self.assertEqual(r.status, status, r)
        self.assertTrue(r.header("Content-Type").startswith("application/json"), r)
        msg = r.json()["error"]["message"]
        for w in words:
            self.assertIn(w, msg)

    # ---- BibTeX ----------------------------------------------------------

    @unittest.skipIf(bibtexparser is None, "python3-bibtexparser is not installed")
    def test_bibtex_read_back_by_bibtexparser(self):
        seen, types_seen = 0, set()
        for q in QUERIES:
            papers, r = self.both(q, "bibtex")
            self.assertEqual(r.header("Content-Type"), BIB_TYPE)
            db = bibtexparser.loads(r.body.decode("utf-8"),
                                    BibTexParser(common_strings=False))
            self.assertEqual(len(db.entries), len(papers), q)
            keys = [e["ID"] for e in db.entries]
            self.assertEqual(len(set(keys)), len(keys), keys)
            for e, p in zip(db.entries, papers):
                seen += 1
                self.assertRegex(e["ID"], r"^[a-z0-9]+$")
                self.assertIn(e["ENTRYTYPE"], expected_entry_types(p)[0], p)
                types_seen.add(e["ENTRYTYPE"])
                self.assertEqual(tex_to_text(e["title"]), p["title"], e)
                if p["year"]:
                    self.assertEqual(e["year"], str(p["year"]))
                    self.assertIn(str(p["year"]), e["ID"])
                self.assertEqual(e.get("doi"), p["doi"], e)
                self.assertEqual(e.get("eprint"), p["arxiv_id"], e)
                if p["arxiv_id"]:
                    self.assertEqual(e["archiveprefix"], "arXiv")
                if e["ENTRYTYPE"] == "article":
                    self.assertEqual(tex_to_text(e["journal"]), p["venue"])
                if e["ENTRYTYPE"] == "inproceedings":
                    self.assertEqual(tex_to_text(e["booktitle"]), p["venue"])
                if e["ENTRYTYPE"] == "misc" and p["arxiv_id"]:
                    self.assertNotIn("journal", e)
                authors = [a for a in e.get("author", "").split(" and ") if a]
                self.assertEqual(len(authors), len(p["authors"]), e)
                for got, want in zip(authors, p["authors"]):
                    n = splitname(got)
                    rebuilt = " ".join(n["first"] + n["von"] + n["last"] + n["jr"])
                    self.assertEqual(tex_to_text(rebuilt), display_name(want), e)
        self.assertGreater(seen, 20)
        # The simulator gives journal and conference types: both show.
        self.assertLessEqual({"article", "inproceedings"}, types_seen)

    def test_bibtex_keys_are_stable(self):
        """Computed again from a new fan-out (the caches flushed), the
        answer and its keys are the same."""
        path = qs(query=QUERIES[0], limit=20, format="bibtex")
        a = self.get(path)
        self.assertEqual(a.status, 200)
        d = harness.request(self.server.port, "DELETE", "/v1/cache")
        self.assertIn(d.status, (200, 204), d)
        b = self.get(path)
        self.assertEqual(b.header("X-Cache"), "search", b)
        self.assertEqual(b.body, a.body)

    # ---- CSL-JSON ---------------------------------------------------------

    def test_csl_json_rendered_by_citeproc(self):
        papers, r = self.both(QUERIES[0], "csl-json")
        self.assertEqual(r.header("Content-Type"), CSL_TYPE)
        items = json.loads(r.body)
        self.assertEqual(len(items), len(papers))
        for it, p in zip(items, papers):
            self.assertEqual(it["title"], p["title"])
            self.assertIn(it["type"], expected_entry_types(p)[2], p)
            self.assertEqual(it.get("DOI"), p["doi"])
            if p["year"]:
                self.assertEqual(it["issued"]["date-parts"][0][0], p["year"])
            self.assertEqual(len(it.get("author", [])), len(p["authors"]))
        out = run_client("csl", r.body.decode("utf-8"))
        self.assertEqual(out["errors"], [])
        self.assertEqual(sorted(out["ids"]), sorted(it["id"] for it in items))
        self.assertEqual(len(out["html"]), len(items))
        text = "".join(out["text"])
        for it in items:
            fam = (it.get("author") or [{}])[0]
            fam = fam.get("family") or fam.get("literal")
            if fam:
                self.assertIn(fam, text)
            # APA keeps the title's words (it may change their case).
            word = next(w for w in re.findall(r"[A-Za-z]{4,}", it["title"]) + [""])
            self.assertIn(word.lower(), text.lower())
            if "issued" in it:
                self.assertIn("(%d" % it["issued"]["date-parts"][0][0], text)

    # ---- RIS -----------------------------------------------------------------

    def test_ris_read_back_by_citation_js_and_strict_reader(self):
        papers, r = self.both(QUERIES[1], "ris")
        self.assertEqual(r.header("Content-Type"), RIS_TYPE)
        text = r.body.decode("utf-8")
        records = strict_ris(text)
        self.assertEqual(len(records), len(papers))
        for rec, p in zip(records, papers):
            tags = dict(rec)
            self.assertIn(tags["TY"], expected_entry_types(p)[1], p)
            self.assertEqual(tags["TI"], p["title"])
            self.assertEqual([v for t, v in rec if t == "AU"].__len__(), len(p["authors"]))
        items = run_client("ris", text)["items"]
        self.assertEqual(len(items), len(papers))
        for it, p in zip(items, papers):
            self.assertEqual(it["title"], p["title"])
            self.assertEqual(it.get("DOI"), p["doi"])
            if p["year"]:
                self.assertEqual(it["issued"]["date-parts"][0][0], p["year"])
            names = [" ".join(filter(None, (a.get("given"), a.get("family"))))
                     for a in it.get("author", [])]
            self.assertEqual(names, [display_name(a) for a in p["authors"]])

    # ---- negotiation, caching, errors -----------------------------------------

    def test_accept_chooses_the_type(self):
        path = qs(query=QUERIES[0], limit=5)
        for accept, ctype in (("application/x-bibtex", BIB_TYPE),
                              ("application/x-research-info-systems", RIS_TYPE),
                              ("application/vnd.citationstyles.csl+json", CSL_TYPE),
                              ("application/json", "application/json"),
                              ("text/html, */*;q=0.1", "application/json")):
            r = self.get(path, [("Accept", accept)])
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.header("Content-Type"), ctype, accept)
            self.assertEqual(r.header("Vary"), "Accept, Accept-Encoding")
        # format= wins over Accept, and then Accept does not vary it.
        r = self.get(path + "&format=ris", [("Accept", "application/x-bibtex")])
        self.assertEqual(r.header("Content-Type"), RIS_TYPE)
        self.assertEqual(r.header("Vary"), "Accept-Encoding")

    def test_unknown_format_and_unacceptable_accept(self):
        self.assertJsonError(self.get(qs(query="x", format="endnote")), 400, "format", "endnote")
        self.assertJsonError(self.get(qs(query="x"), [("Accept", "text/html")]), 406,
                             "application/x-bibtex")
        self.assertJsonError(self.get(qs(query="x"), [("Accept", "application/x-bibtex;q=0")]),
                             406)
        r = harness.request(self.server.port, "POST", "/v1/search/batch",
                            [("Content-Type", "application/json")],
                            json.dumps({"searches": [{"query": "x", "format": "bibtex"}]}))
        self.assertJsonError(r, 400, "searches[0]", "format")

    def test_each_format_cached_on_its_own(self):
        path = qs(query=QUERIES[2], limit=10, format="bibtex")
        first = self.get(path)
        again = self.get(path)
        self.assertEqual(first.status, 200)
        self.assertEqual(again.header("X-Cache"), "memory")
        self.assertEqual(again.body, first.body)
        self.assertEqual(again.header("Content-Type"), BIB_TYPE)
        calls = sum(self.sim.requests_of(p) for p in ("arxiv", "crossref", "openalex"))
        # Another format of the same search is its own answer, from the
        # fan-out (the providers' result cache may answer for them).
        ris = self.get(qs(query=QUERIES[2], limit=10, format="ris"))
        self.assertEqual(ris.header("Content-Type"), RIS_TYPE)
        self.assertNotEqual(ris.header("X-Cache"), "memory")
        self.assertTrue(ris.body.startswith(b"TY  - "))
        self.assertGreaterEqual(sum(self.sim.requests_of(p)
                                    for p in ("arxiv", "crossref", "openalex")), calls)
        # And the JSON answer is still JSON.
        j = self.get(qs(query=QUERIES[2], limit=10))
        self.assertEqual(j.header("Content-Type"), "application/json")
        self.assertIn("papers", j.json())

    def test_gzip_export_is_the_same_bytes(self):
        path = qs(query=QUERIES[0], limit=20, format="csl-json")
        ident = self.get(path)
        for _ in range(2):  # the fan-out's answer, then L1's spliced copy
            gz = self.get(path, [("Accept-Encoding", "gzip")])
            self.assertEqual(gz.header("Content-Encoding"), "gzip")
            self.assertEqual(gzip.decompress(gz.body), ident.body)
            self.assertEqual(gz.header("Content-Type"), CSL_TYPE)

    def test_empty_answer(self):
        for fmt, body in (("bibtex", b"\n"), ("ris", b"\n"), ("csl-json", b"[]\n")):
            r = self.get(qs(query="zzqxv nonexistentword", limit=5, format=fmt))
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.body, body, fmt)


def wait_tier(server, path, tier, timeout=15.0):
    """GETs path until the tier named answers it (the tiers are filled
    behind the answer); returns the last response."""
    deadline = time.monotonic() + timeout
    while True:
        r = harness.request(server.port, "GET", path, timeout=20)
        if r.header("X-Cache") == tier or time.monotonic() > deadline:
            return r
        time.sleep(0.1)


def have_redis():
    import shutil
    return bool(os.environ.get("REDIS_SERVER") or shutil.which("redis-server"))


@unittest.skipUnless(have_redis(), "redis-server is needed for the Redis tier")
class ExportRedisTest(unittest.TestCase):
    """An export computed by one server is the other's Redis hit, the same
    bytes with the same type: the tiers keep it like a JSON answer."""

    def test_export_from_redis(self):
        sys.path.insert(0, os.path.join(REPO, "test", "cache"))
        from redistmp import Redis
        tmp = tempfile.mkdtemp(prefix="sf-export-")
        redis = Redis(tmp).start()
        sim = harness.Simulator().start()
        servers = []
        try:
            settings = {"redis.url": "redis://127.0.0.1:%d" % redis.port}
            for _ in range(2):
                servers.append(harness.Server(workers=0, settings=settings,
                                              env=sim.scifind_env()).start())
            for srv in servers:  # both linked to Redis before the first answer
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    st = harness.request(srv.port, "GET", "/v1/cache/stats").json()
                    if (st["tiers"].get("redis") or {}).get("state") == "ok":
                        break
                    time.sleep(0.05)
            path = qs(query=QUERIES[0], limit=10, format="bibtex")
            first = harness.request(servers[0].port, "GET", path, timeout=20)
            self.assertEqual(first.status, 200, first)
            # The fill goes to Redis behind the answer: wait for it.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                st = harness.request(servers[0].port, "GET", "/v1/cache/stats").json()
                if (st["tiers"]["redis"] or {}).get("fills", 0) >= 1:
                    break
                time.sleep(0.05)
            hit = wait_tier(servers[1], path, "redis")
            self.assertEqual(hit.header("X-Cache"), "redis", hit)
            self.assertEqual(hit.body, first.body)
            self.assertEqual(hit.header("Content-Type"), BIB_TYPE)
        finally:
            for srv in servers:
                srv.stop()
            sim.stop()
            redis.stop()


def have_postgres():
    try:
        import pgtmp
        pgtmp.pg_bindir()
        return True
    except Exception:
        return False


@unittest.skipUnless(have_postgres(), "PostgreSQL is needed for /v1/papers/{id}")
class ExportPaperTest(unittest.TestCase):
    """GET /v1/papers/{id} from the store, in each format."""

    @classmethod
    def setUpClass(cls):
        import pgtmp
        cls.pg = pgtmp.Cluster()
        cls.sim = cls.server = None
        try:
            cls.pg.init().start().create_db()
            r = harness.run_cli("migrate", "--set", "pg.dsn=" + cls.pg.dsn, timeout=60)
            if r.returncode != 0:
                raise RuntimeError("migrate failed: %s %s" % (r.stdout, r.stderr))
            cls.sim = harness.Simulator().start()
            env = cls.sim.scifind_env()
            env["SCIFIND_PG_DSN"] = cls.pg.dsn
            cls.server = harness.Server(workers=0, env=env).start()
            r = harness.request(cls.server.port, "GET", qs(query=QUERIES[0], limit=20),
                                timeout=20)
            assert r.status == 200, r
            deadline = time.monotonic() + 20
            cls.paper = None
            while time.monotonic() < deadline and cls.paper is None:
                r = harness.request(cls.server.port, "GET", "/v1/papers?limit=50")
                if r.status == 200:
                    cls.paper = next((p for p in r.json()["papers"]
                                      if p["doi"] and p["authors"]), None)
                time.sleep(0.2)
            assert cls.paper, "no paper was stored behind the search"
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.server is not None:
                cls.server.stop()
        finally:
            if cls.sim is not None:
                cls.sim.stop()
            cls.pg.close()

    def get(self, path, headers=None):
        return harness.request(self.server.port, "GET", path, headers=headers or [])

    @unittest.skipIf(bibtexparser is None, "python3-bibtexparser is not installed")
    def test_paper_as_bibtex(self):
        p = self.paper
        r = self.get("/v1/papers/doi:%s?format=bibtex" % p["doi"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), BIB_TYPE)
        db = bibtexparser.loads(r.body.decode("utf-8"), BibTexParser(common_strings=False))
        self.assertEqual(len(db.entries), 1)
        e = db.entries[0]
        self.assertEqual(tex_to_text(e["title"]), p["title"])
        self.assertEqual(e["doi"], p["doi"])
        self.assertEqual(len(e["author"].split(" and ")), len(p["authors"]))

    def test_exported_search_from_postgres_tier(self):
        path = qs(query=QUERIES[1], limit=10, format="ris")
        first = harness.request(self.server.port, "GET", path, timeout=20)
        self.assertEqual(first.status, 200, first)
        env = self.sim.scifind_env()
        env["SCIFIND_PG_DSN"] = self.pg.dsn
        other = harness.Server(workers=0, env=env).start()
        try:
            hit = wait_tier(other, path, "postgres")
            self.assertEqual(hit.header("X-Cache"), "postgres", hit)
            self.assertEqual(hit.body, first.body)
            self.assertEqual(hit.header("Content-Type"), RIS_TYPE)
        finally:
            other.stop()

    def test_paper_by_accept_and_errors(self):
        p = self.paper
        path = "/v1/papers/%s" % p["id"]
        r = self.get(path, [("Accept", "application/vnd.citationstyles.csl+json")])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), CSL_TYPE)
        self.assertEqual(r.header("Vary"), "Accept")
        [item] = json.loads(r.body)
        self.assertEqual(item["title"], p["title"])
        self.assertEqual(item["DOI"], p["doi"])
        r = self.get(path + "?format=ris")
        self.assertEqual(r.header("Content-Type"), RIS_TYPE)
        self.assertEqual(len(strict_ris(r.body.decode("utf-8"))), 1)
        j = self.get(path)
        self.assertEqual(j.json()["paper"]["title"], p["title"])
        for bad, status in ((path + "?format=xml", 400), (path + "?fields=x", 400)):
            self.assertEqual(self.get(bad).status, status, bad)
        r = self.get(path, [("Accept", "image/png")])
        self.assertEqual(r.status, 406)
        self.assertTrue(r.header("Content-Type").startswith("application/json"))


class ExportListsTest(harness.SimulatorTestCase):
    """POST /v1/papers/batch and the citation lists in each format, live
    from the simulator (no store), read back by the same consumers."""

    @classmethod
    def server_args(cls):
        return {"workers": 0, "settings": {"papers.lookup_deadline": "4s",
                                           "citations.deadline": "10s"}}

    def batch(self, ids, fmt=None, headers=()):
        body = {"ids": ids}
        if fmt:
            body["format"] = fmt
        return harness.request(self.server.port, "POST", "/v1/papers/batch",
                               headers=[("Content-Type", "application/json")] + list(headers),
                               body=json.dumps(body), timeout=30)

    def get(self, path, headers=None):
        return harness.request(self.server.port, "GET", path, headers=headers or [], timeout=30)

    def batch_ids(self):
        ps = [p for p in self.sim.admin("GET", "/_sim/ids?n=40")["papers"] if p["doi"]][:8]
        return ["doi:" + p["doi"] for p in ps] + ["nonsense", "doi:10.9999/nobody.knows"]

    def resolved(self, ids):
        d = self.batch(ids).json()
        return [it["paper"] for it in d["papers"] if "paper" in it]

    @unittest.skipIf(bibtexparser is None, "python3-bibtexparser is not installed")
    def test_batch_as_bibtex_names_the_unresolved(self):
        ids = self.batch_ids()
        papers = self.resolved(ids)
        self.assertGreater(len(papers), 3)
        r = self.batch(ids, "bibtex")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), BIB_TYPE)
        self.assertEqual(r.header("X-Resolved"), str(len(papers)))
        self.assertEqual(r.header("X-Unresolved"), str(len(ids) - len(papers)))
        text = r.body.decode("utf-8")
        self.assertIn("% unresolved: nonsense (invalid_id)\n", text)
        self.assertIn("% unresolved: doi:10.9999/nobody.knows (not_found)\n", text)
        db = bibtexparser.loads(text, BibTexParser(common_strings=False))
        self.assertEqual([e.get("doi") for e in db.entries], [p["doi"] for p in papers])
        for e, p in zip(db.entries, papers):
            self.assertEqual(tex_to_text(e["title"]), p["title"])

    def test_batch_as_ris_and_csl_by_accept(self):
        ids = self.batch_ids()
        papers = self.resolved(ids)
        r = self.batch(ids, headers=[("Accept", "application/x-research-info-systems")])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), RIS_TYPE)
        self.assertEqual(r.header("Vary"), "Accept")
        records = strict_ris(r.body.decode("utf-8"))
        self.assertEqual([dict(rec)["TI"] for rec in records], [p["title"] for p in papers])
        items = run_client("ris", r.body.decode("utf-8"))["items"]
        self.assertEqual([it["title"] for it in items], [p["title"] for p in papers])
        r = self.batch(ids, "csl-json")
        self.assertEqual(r.header("Content-Type"), CSL_TYPE)
        items = json.loads(r.body)
        self.assertEqual([it.get("DOI") for it in items], [p["doi"] for p in papers])
        out = run_client("csl", r.body.decode("utf-8"))
        self.assertEqual(out["errors"], [])
        self.assertEqual(len(out["html"]), len(items))

    def test_batch_format_errors(self):
        self.assertEqual(self.batch(["nonsense"], "endnote").status, 400)
        r = self.batch(["nonsense"], 7)
        self.assertEqual(r.status, 400, r)
        r = self.batch(["nonsense"], headers=[("Accept", "image/png")])
        self.assertEqual(r.status, 406, r)
        r = self.batch(["nonsense"], "bibtex")  # nothing resolved: only the comment
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body.decode(), "% unresolved: nonsense (invalid_id)\n\n\n")

    @unittest.skipIf(bibtexparser is None, "python3-bibtexparser is not installed")
    def test_citations_as_bibtex_with_paging_headers(self):
        path = "/v1/papers/arxiv:cond-mat/9601060/citations?limit=30"
        j = self.get(path).json()
        self.assertEqual(len(j["edges"]), 30)
        r = self.get(path + "&format=bibtex")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), BIB_TYPE)
        self.assertEqual(r.header("X-Total-Count"), str(j["total"]))
        self.assertEqual(r.header("X-Next-Cursor"), j["next_cursor"])
        db = bibtexparser.loads(r.body.decode("utf-8"), BibTexParser(common_strings=False))
        self.assertEqual([tex_to_text(e["title"]) for e in db.entries],
                         [e["paper"]["title"] for e in j["edges"]])
        # The cursor serves every format: the next page as JSON.
        nxt = self.get(path + "&cursor=" + j["next_cursor"]).json()
        self.assertEqual(nxt["offset"], 30)

    def test_references_as_csl_and_ris(self):
        path = "/v1/papers/arxiv:cs/0703024/references?limit=1000"
        j = self.get(path).json()
        self.assertGreater(len(j["edges"]), 3)
        r = self.get(path, [("Accept", "application/vnd.citationstyles.csl+json")])
        self.assertEqual(r.header("Content-Type"), CSL_TYPE)
        self.assertEqual(r.header("Vary"), "Accept")
        self.assertIsNone(r.header("X-Next-Cursor"))
        items = json.loads(r.body)
        self.assertEqual([it["title"] for it in items], [e["paper"]["title"] for e in j["edges"]])
        out = run_client("csl", r.body.decode("utf-8"))
        self.assertEqual(out["errors"], [])
        r = self.get(path + "&format=ris")
        self.assertEqual(len(strict_ris(r.body.decode("utf-8"))), len(j["edges"]))
        self.assertEqual(self.get(path + "&format=xml").status, 400)


if __name__ == "__main__":
    unittest.main(verbosity=2)
