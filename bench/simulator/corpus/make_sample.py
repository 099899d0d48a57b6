#!/usr/bin/env python3
"""Draws the simulator's bundled corpus from the shared arXiv sample.

    python3 bench/simulator/corpus/make_sample.py [--source PATH] [--n 4000] [--out PATH]

The source is ../shared/data/arxiv-sample.jsonl from the repo root (18,000
CC0 arXiv metadata records; see README.md beside this script). The draw is
deterministic and does not depend on the source's line order: the N records
whose SHA-256 of "scifind-sample:<id>" is smallest, written verbatim (each
line byte for byte as in the source), sorted by id, xz-compressed. Running
it again on the same source gives the same decompressed bytes; the script
prints their SHA-256, which README.md records.
"""

import argparse
import hashlib
import json
import lzma
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
SOURCE = os.path.join(os.path.dirname(REPO), "shared", "data", "arxiv-sample.jsonl")
SOURCE_SHA256 = "4525e1000a2cb9369375e89416242cd919755c1ebcfe561d013df02ba5e54117"
OUT = os.path.join(HERE, "arxiv-sample-4k.jsonl.xz")


def draw_key(aid):
    return hashlib.sha256(("scifind-sample:" + aid).encode("utf-8")).hexdigest()


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", default=SOURCE)
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--any-source", action="store_true",
                    help="do not insist on the shared file's SHA-256")
    args = ap.parse_args(argv)

    with open(args.source, "rb") as f:
        data = f.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SOURCE_SHA256 and not args.any_source:
        sys.exit("make_sample: %s has SHA-256 %s, not the documented %s (--any-source to go on)"
                 % (args.source, digest, SOURCE_SHA256))
    recs = []
    for line in data.splitlines(keepends=True):
        if line.strip():
            aid = json.loads(line)["id"]
            recs.append((draw_key(aid), aid, line if line.endswith(b"\n") else line + b"\n"))
    if args.n > len(recs):
        sys.exit("make_sample: the source has only %d records" % len(recs))
    picked = sorted(sorted(recs)[:args.n], key=lambda r: r[1])
    raw = b"".join(r[2] for r in picked)
    # Preset 9 without the "extreme" flag: the bytes depend only on liblzma's
    # encoder, and the check below is on the decompressed text anyway.
    packed = lzma.compress(raw, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=9)
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(packed)
    os.replace(tmp, args.out)
    print("%s: %d records, %d bytes (%d uncompressed), uncompressed SHA-256 %s"
          % (os.path.relpath(args.out), len(picked), len(packed), len(raw),
             hashlib.sha256(raw).hexdigest()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
