"""Usage: python bench/scale/sentence_terms_ab.py SHARDED_FOLDER QUESTIONS ROUNDS.
A/B in one process: full answers on a sharded index with sentence terms read from the shards
(mapped) vs tokenised (sentence_terms -> None), alternated per round."""

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from sofa_cli.index.sharded_reader import ShardedIndex
from sofa_cli.query.rank import ask

raw = json.loads(Path("/work/shared/data/xquad/xquad.en.json").read_text())
qs = [qa["question"] for a in raw["data"] for p in a["paragraphs"] for qa in p["qas"]][: int(sys.argv[2])]
index = ShardedIndex(Path(sys.argv[1]))
mapped = ShardedIndex.sentence_terms.__get__(index)
res = {"mapped": [], "tokenised": []}
same = True
for q in qs[:10]:
    ask(index, q, limit=3)
for r in range(int(sys.argv[3])):
    for mode in ("mapped", "tokenised") if r % 2 == 0 else ("tokenised", "mapped"):
        index.sentence_terms = mapped if mode == "mapped" else (lambda pid: None)
        ts = []
        for q in qs:
            t = time.perf_counter()
            a = ask(index, q, limit=3)
            ts.append(time.perf_counter() - t)
        res[mode].append(statistics.median(ts) * 1000)
for mode, xs in res.items():
    print(mode, "p50 per round ms:", ", ".join(f"{x:.1f}" for x in xs))
# same answers
for q in qs[:50]:
    index.sentence_terms = mapped
    a = [(r.citation, r.answer, r.score) for r in ask(index, q, limit=5).results]
    index.sentence_terms = lambda pid: None
    b = [(r.citation, r.answer, r.score) for r in ask(index, q, limit=5).results]
    same &= a == b
print("same answers:", same)
