#!/usr/bin/env python3
"""Tests of the simulator's bundled corpus (bench/simulator/corpus/): the
file is what its README says, it is the simulator's default, the draw from
the larger shared sample is the documented one, and other corpus files
(plain, gzip, the larger sample) still load with --corpus.

Run: python3 test/sim/test_corpus.py   (stdlib only; exits non-zero on failure)
"""

import gzip
import hashlib
import json
import lzma
import os
import re
import subprocess
import sys
import tempfile
import unittest
import warnings
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_simulator as ts  # noqa: E402  (start_sim, request)

REPO = ts.REPO
CORPUS_DIR = os.path.join(REPO, "bench", "simulator", "corpus")
SAMPLE = os.path.join(CORPUS_DIR, "arxiv-sample-4k.jsonl.xz")
SHARED = os.path.join(os.path.dirname(REPO), "shared", "data", "arxiv-sample.jsonl")


def readme_sha256():
    with open(os.path.join(CORPUS_DIR, "README.md")) as f:
        m = re.search(r"Uncompressed SHA-256: `([0-9a-f]{64})`", f.read())
    return m.group(1)


def draw_key(aid):
    return hashlib.sha256(("scifind-sample:" + aid).encode()).hexdigest()


def start(extra, env=None):
    env = dict(os.environ if env is None else env)
    env.pop("SCIFIND_SIM_CORPUS", None)
    return ts.start_sim(["--listen", "127.0.0.1:0"] + list(extra), env=env)


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.stdout.close()
    proc.stderr.close()


class SampleFileTest(unittest.TestCase):
    def test_sample_is_what_its_readme_says(self):
        self.assertLess(os.path.getsize(SAMPLE), 3 * 1024 * 1024)
        with open(SAMPLE, "rb") as f:
            raw = lzma.decompress(f.read())
        self.assertEqual(hashlib.sha256(raw).hexdigest(), readme_sha256())
        recs = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
        self.assertEqual(len(recs), 4000)
        ids = [r["id"] for r in recs]
        self.assertEqual(len(set(ids)), 4000)
        self.assertEqual(ids, sorted(ids))
        for r in recs:
            self.assertTrue(r["title"].strip() and r["abstract"].strip() and r["authors_parsed"])
            self.assertTrue(r["categories"].split())

    @unittest.skipUnless(os.path.exists(SHARED), "no larger sample at %s" % SHARED)
    def test_sample_is_the_documented_draw_from_the_larger_one(self):
        with open(SAMPLE, "rb") as f:
            bundled = lzma.decompress(f.read()).splitlines(keepends=True)
        by_id = {}
        with open(SHARED, "rb") as f:
            for line in f:
                by_id[json.loads(line)["id"]] = line
        want = sorted(sorted(by_id, key=draw_key)[:4000])
        self.assertEqual([json.loads(line)["id"] for line in bundled], want)
        # Lines kept byte for byte.
        for line in bundled[:200]:
            self.assertEqual(line, by_id[json.loads(line)["id"]])


class DefaultCorpusTest(unittest.TestCase):
    def test_default_is_the_bundled_sample(self):
        warnings.simplefilter("ignore", ResourceWarning)
        proc, info = start(["--corpus-cache", "off", "--quiet"])
        try:
            c = info["corpus"]
            self.assertEqual((c["source"], c["papers"], info["papers"]), ("file", 4000, 4000))
            self.assertEqual(c["path"], os.path.realpath(SAMPLE))
            base = info["listen"]
            # A real record of the sample, through two providers' formats.
            st, _, raw = ts.request(base, "GET", "/api/query?id_list=0704.1675")
            self.assertEqual(st, 200)
            title = ET.fromstring(raw).find("a:entry/a:title", ts.NS).text
            self.assertEqual(" ".join(title.split()),
                             "Exploiting Social Annotation for Automatic Resource Discovery")
            st, _, raw = ts.request(base, "GET", "/works?search=social+annotation+resource+discovery&per-page=5")
            self.assertEqual(st, 200)
            titles = [w["title"] for w in json.loads(raw)["results"]]
            self.assertIn("Exploiting Social Annotation for Automatic Resource Discovery", titles)
        finally:
            stop(proc)

    def test_gzip_and_plain_files_load_with_corpus(self):
        with open(SAMPLE, "rb") as f:
            lines = lzma.decompress(f.read()).splitlines(keepends=True)[:3]
        with tempfile.TemporaryDirectory() as d:
            for name, opener in (("c.jsonl.gz", gzip.open), ("c.jsonl", open)):
                path = os.path.join(d, name)
                with opener(path, "wb") as f:
                    f.writelines(lines)
                proc, info = start(["--corpus", path, "--corpus-cache", "off", "--quiet"])
                try:
                    self.assertEqual(info["papers"], 3, name)
                    self.assertEqual(info["corpus"]["path"], os.path.realpath(path))
                finally:
                    stop(proc)

    @unittest.skipUnless(os.path.exists(SHARED), "no larger sample at %s" % SHARED)
    def test_larger_sample_stays_an_option(self):
        proc, info = start(["--corpus", SHARED, "--quiet"])
        try:
            self.assertEqual(info["papers"], 18000)
        finally:
            stop(proc)


if __name__ == "__main__":
    unittest.main(verbosity=2)
