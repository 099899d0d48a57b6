#!/usr/bin/env python3
"""bench/k6/gen_queries.py - writes bench/k6/queries.json from the corpus.

    bench/k6/gen_queries.py [--corpus PATH] [--seed N] [--misses N] [--out FILE]

The corpus is the provider simulator's default: ../shared/data/arxiv-sample.jsonl
from the repository root (18,000 real arXiv records, CC0 metadata; see the
README next to it), or $SCIFIND_SIM_CORPUS. Only the titles are read:

- popular: the 20 most frequent two-word phrases of the titles (two
  adjacent words, neither a stop word), e.g. "neural networks". The k6
  scenario asks these again and again: cache hits.
- misses: for N records drawn at random (--seed), the first three content
  words of the title and the year of its first version. The scenario asks
  each with a year window around that year, so a search is seldom asked
  twice, and the record it came from matches it.

The output is deterministic for a given corpus and seed; its "origin" member
names both (with the corpus' SHA-256).
"""

import argparse
import collections
import hashlib
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_CORPUS = os.path.join(os.path.dirname(REPO), "shared", "data", "arxiv-sample.jsonl")

STOP = frozenset("""
a an and are as at be by for from in into is its of on or over the their this to under
via with without within using based new towards toward between through some all any
part case study note notes two one three non how what when where which who why can
does do we our not no than versus vs it upon beyond among about after before you your
must should may might will shall let being been has have more most very than there
""".split())

WORD = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


def words(title):
    """The title's ASCII words, lower case; LaTeX ($...$) and escapes left out."""
    t = re.sub(r"\$[^$]*\$", " ", title)
    t = re.sub(r"\\[a-zA-Z]+|\\.", " ", t)
    out = []
    for tok in t.lower().split():
        tok = tok.strip(".,:;!?()[]{}'\"`")
        if WORD.fullmatch(tok):
            out.append(tok)
        else:
            out.append(None)  # breaks a phrase
    return out


def content(ws):
    return [w for w in ws if w and w not in STOP and len(w) >= 3]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=os.environ.get("SCIFIND_SIM_CORPUS") or DEFAULT_CORPUS)
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--popular", type=int, default=20)
    ap.add_argument("--misses", type=int, default=2000)
    ap.add_argument("--out", default=os.path.join(HERE, "queries.json"))
    args = ap.parse_args()

    h = hashlib.sha256()
    records = []
    with open(args.corpus, "rb") as f:
        for line in f:
            h.update(line)
            d = json.loads(line)
            vers = d.get("versions") or []
            year = int(((vers[0].get("created") if vers else None) or d["update_date"])[:4])
            records.append((d["title"], year))

    # Phrases of two and three adjacent content words. A two-word phrase
    # that is mostly the start or the end of one three-word phrase
    # ("convolutional neural" of "convolutional neural networks") gives way
    # to it.
    grams = {2: collections.Counter(), 3: collections.Counter()}
    for title, _ in records:
        ws = [w if w and w not in STOP and len(w) >= 3 else None for w in words(title)]
        for n in (2, 3):
            for i in range(len(ws) - n + 1):
                if all(ws[i:i + n]):
                    grams[n][" ".join(ws[i:i + n])] += 1
    popular = []
    for p, count in sorted(grams[2].items(), key=lambda x: (-x[1], x[0])):
        longer = [(c, t) for t, c in grams[3].items()
                  if t.startswith(p + " ") or t.endswith(" " + p)]
        if longer and max(longer)[0] >= 0.6 * count:
            p = max(longer)[1]
        if p not in popular:
            popular.append(p)
        if len(popular) == args.popular:
            break

    rng = random.Random(args.seed)
    order = list(range(len(records)))
    rng.shuffle(order)
    misses, seen = [], set(popular)
    for i in order:
        title, year = records[i]
        c = content(words(title))
        if len(c) < 3:
            continue
        q = " ".join(c[:3])
        if q in seen:
            continue
        seen.add(q)
        misses.append([q, year])
        if len(misses) == args.misses:
            break

    out = {
        "origin": "bench/k6/gen_queries.py --seed %d --popular %d --misses %d over %s "
                  "(%d records, sha256 %s): titles of real arXiv records"
                  % (args.seed, args.popular, args.misses, os.path.basename(args.corpus),
                     len(records), h.hexdigest()),
        "popular": popular,
        "misses": misses,
    }
    with open(args.out, "w") as f:
        f.write("{\n")
        f.write(' "origin": %s,\n' % json.dumps(out["origin"]))
        f.write(' "popular": [\n%s\n ],\n' % ",\n".join("  " + json.dumps(p) for p in popular))
        f.write(' "misses": [\n%s\n ]\n' % ",\n".join("  " + json.dumps(m) for m in misses))
        f.write("}\n")
    print("%s: %d popular, %d misses" % (args.out, len(popular), len(misses)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
