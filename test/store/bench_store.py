#!/usr/bin/env python3
"""Benchmark of the store (issue 5), on a throwaway cluster (pgtmp.py):

1. upsert: N papers (the real records of ../shared/data/arxiv-sample.jsonl
   plus generated variants) through scifind_upsert_papers() in batches of
   pg.batch_rows, the batcher's statement, against plain COPY of the same
   rows into a table with the same columns and indexes (psql \\copy);
2. local full-text queries per second through scifind (only the local
   provider, caches off, GET /v1/search?providers=local, wrk) against
   pgbench running the same query, prepared, on the same cluster.

Usage: python3 test/store/bench_store.py [--papers 100000] [--seconds 10]
       [--bin build/scifind]   (needs wrk and pgbench)
"""

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "test", "blackbox"))
import pgtmp  # noqa: E402

# The larger shared sample where it exists (the figures were measured on
# it), else the 4,000 records bundled with the simulator (a fresh clone).
DATA = os.path.join(os.path.dirname(REPO), "shared", "data", "arxiv-sample.jsonl")
if not os.path.exists(DATA):
    DATA = os.path.join(REPO, "bench", "simulator", "corpus", "arxiv-sample-4k.jsonl.xz")


def open_data():
    if DATA.endswith(".xz"):
        import lzma
        return lzma.open(DATA, "rt", encoding="utf-8")
    return open(DATA)


# A broad query (thousands of matches to rank) and a narrow one.
QUERIES = ("neural network", "acoustic emission")
COLS = ["doi", "arxiv_id", "title", "title_key", "abstract", "authors", "first_author", "year",
        "categories", "sources", "source_ids"]


def title_key(t):
    return " ".join(re.sub(r"[^0-9a-z ]+", " ", t.lower()).split())


def rows(n):
    base = []
    with open_data() as f:
        for line in f:
            r = json.loads(line)
            base.append(r)
    out = []
    k = 0
    while len(out) < n:
        for r in base:
            if len(out) >= n:
                break
            title = " ".join((r.get("title") or "").split())
            authors = [a.strip() for a in (r.get("authors") or "").replace(" and ", ", ").split(",")
                       if a.strip()]
            year = None
            m = re.match(r"(\d{4})", r.get("update_date") or "")
            if m:
                year = int(m.group(1))
            aid = r["id"] if k == 0 else "v%d-%s" % (k, r["id"])
            if k:
                title = "%s (variant %d)" % (title, k)
            out.append({
                "doi": (r.get("doi") or "").lower() or None if k == 0 else None,
                "arxiv_id": aid,
                "title": title,
                "title_key": title_key(title),
                "abstract": " ".join((r.get("abstract") or "").split()) or None,
                "authors": authors,
                "first_author": (authors[0].split()[-1].lower() if authors else ""),
                "year": year,
                "categories": (r.get("categories") or "").split(),
                "sources": ["arxiv"],
                "source_ids": {"arxiv": aid},
            })
        k += 1
    return out


def pg_array(v):
    return "{" + ",".join('"%s"' % x.replace("\\", "\\\\").replace('"', '\\"') for x in v) + "}"


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def bench_upsert(pg, data, batch, tmp):
    path = os.path.join(tmp, "upsert.sql")
    with open(path, "w") as f:
        for i in range(0, len(data), batch):
            f.write("SELECT scifind_upsert_papers(%s::jsonb);\n"
                    % sql_str(json.dumps(data[i:i + batch])))
    t = time.monotonic()
    subprocess.run([os.path.join(pg.bindir, "psql"), "-X", "-q", "-o", "/dev/null", "-h",
                    "127.0.0.1", "-p", str(pg.port), "-U", pg.user, "-d", pg.dbname, "-v",
                    "ON_ERROR_STOP=1", "-f", path], check=True)
    upsert_s = time.monotonic() - t
    pg.psql("CREATE TABLE copy_target (LIKE papers INCLUDING DEFAULTS INCLUDING GENERATED"
            " INCLUDING INDEXES)")
    cpath = os.path.join(tmp, "rows.csv")
    with open(cpath, "w", newline="") as f:
        w = csv.writer(f)
        dois = set()
        for r in data:
            doi = r["doi"] if r["doi"] not in dois else None  # COPY cannot merge duplicates
            dois.add(doi)
            w.writerow([doi or "", r["arxiv_id"], r["title"], r["title_key"],
                        r["abstract"] or "", pg_array(r["authors"]), r["first_author"],
                        r["year"] if r["year"] else "", pg_array(r["categories"]),
                        pg_array(r["sources"]), json.dumps(r["source_ids"])])
    os.chmod(cpath, 0o644)
    t = time.monotonic()
    subprocess.run([os.path.join(pg.bindir, "psql"), "-X", "-q", "-h", "127.0.0.1", "-p",
                    str(pg.port), "-U", pg.user, "-d", pg.dbname, "-v", "ON_ERROR_STOP=1", "-c",
                    "\\copy copy_target (%s) FROM '%s' WITH (FORMAT csv, NULL '')"
                    % (", ".join(COLS), cpath)], check=True)
    copy_s = time.monotonic() - t
    return upsert_s, copy_s


def wrk_rps(url, seconds, conns):
    r = subprocess.run(["wrk", "-t2", "-c%d" % conns, "-d%ds" % seconds, "--latency", url],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=True)
    m = re.search(r"Requests/sec:\s+([\d.]+)", r.stdout)
    lat = re.search(r"99%\s+([\d.]+\w+)", r.stdout)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", r.stdout)
    return float(m.group(1)), lat.group(1) if lat else "?", int(non2xx.group(1)) if non2xx else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--papers", type=int, default=100000)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--bin", default=os.path.join(REPO, "build", "scifind"))
    args = ap.parse_args()
    os.environ["SF_BIN"] = os.path.abspath(args.bin)
    import harness

    data = rows(args.papers)
    with pgtmp.Cluster(settings={"shared_buffers": "256MB", "max_wal_size": "2GB"}) as pg:
        r = harness.run_cli("migrate", "--set", "pg.dsn=" + pg.dsn, timeout=120)
        assert r.returncode == 0, r.stderr
        with tempfile.TemporaryDirectory() as tmp:
            os.chmod(tmp, 0o755)
            upsert_s, copy_s = bench_upsert(pg, data, 200, tmp)
            n = int(pg.psql("SELECT count(*) FROM papers"))
            pg.psql("VACUUM ANALYZE papers")
            print("papers loaded: %d (of %d rows)" % (n, len(data)))
            print("upsert (scifind_upsert_papers, 200 rows a batch): %8.0f rows/s  (%.1f s)"
                  % (len(data) / upsert_s, upsert_s))
            print("COPY into the same columns and indexes:           %8.0f rows/s  (%.1f s)"
                  % (len(data) / copy_s, copy_s))

            pg_matches = {q: int(pg.psql("SELECT count(*) FROM papers"
                                         " WHERE tsv @@ websearch_to_tsquery('english', '%s')" % q))
                          for q in QUERIES}
            pgb_tps = {}
            for query in QUERIES:
                script = os.path.join(tmp, "q.sql")
                with open(script, "w") as f:
                    f.write("SELECT scifind_paper_json(p)::text FROM papers p,"
                            " websearch_to_tsquery('english', '%s') AS q"
                            " WHERE p.deleted_at IS NULL AND p.tsv @@ q"
                            " ORDER BY ts_rank_cd(p.tsv, q) DESC, p.id DESC LIMIT 25;\n" % query)
                os.chmod(script, 0o644)
                pgb = subprocess.run([os.path.join(pg.bindir, "pgbench"), "-n", "-M", "prepared",
                                      "-c", "4", "-j", "2", "-T", str(args.seconds), "-f",
                                      script, "-h", "127.0.0.1", "-p", str(pg.port), "-U",
                                      pg.user, pg.dbname], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
                m = re.search(r"tps = ([\d.]+)", pgb.stdout)
                pgb_tps[query] = float(m.group(1)) if m else float("nan")

        env = dict(os.environ, SCIFIND_PG_DSN=pg.dsn, SCIFIND_CACHE_ENABLED="false")
        for p in ("ARXIV", "SEMANTIC_SCHOLAR", "EXA", "OPENALEX", "CROSSREF"):
            env["SCIFIND_%s_ENABLED" % p] = "false"
        srv = harness.Server(workers=2, env=env,
                             settings={"log.access": "false", "pg.max_connections": "4"}).start()
        results = {}
        try:
            for query in QUERIES:
                path = "/v1/search?query=%s&providers=local&limit=25" % query.replace(" ", "+")
                url = "http://127.0.0.1:%d%s" % (srv.port, path)
                check = harness.request(srv.port, "GET", path).json()
                assert check["providers"]["local"]["status"] == "ok", check["providers"]
                assert check["papers"], check
                wrk_rps(url, 2, args.connections)  # warm-up
                results[query] = wrk_rps(url, args.seconds, args.connections)
        finally:
            srv.stop(check=False)
        for query in QUERIES:
            rps, p99, bad = results[query]
            n = pg_matches[query]
            print("query %r (%d matching papers):" % (query, n))
            print("  through scifind (2 workers, local only, caches off, wrk -c%d): %7.0f req/s"
                  "  p99 %s  non-2xx %d" % (args.connections, rps, p99, bad))
            print("  the same SQL, pgbench -M prepared -c4 -j2:                   %7.0f tps"
                  % pgb_tps[query])
            print("  ratio scifind / pgbench: %.2f" % (rps / pgb_tps[query]))


if __name__ == "__main__":
    main()
