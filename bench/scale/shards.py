"""Sharded build and query figures (issue 15, docs/scale.md): build time, per-shard-task peak
RSS and throughput for the single-process build and for N shards on a local Dask cluster of W
workers, index size, and query p50/p99 (BM25 top-100 and full answers) over each.

    python bench/scale/shards.py CORPUS OUT_DIR [--shards 2 4] [--workers 2] [--questions 200]

Each build runs in a fresh process so peak RSS is its own (ru_maxrss of the child).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SINGLE = """
import resource, sys, time
from pathlib import Path
from sofa_cli.index.writer import build
from sofa_cli.index.format import write_index
t = time.perf_counter()
h, s, r = build(Path(sys.argv[1]).resolve())
write_index(Path(sys.argv[2]), h, s)
print(time.perf_counter() - t, r.passages, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

SHARDED = """
import json, resource, sys, time
from pathlib import Path
from sofa_cli.cluster import dask_runner
from sofa_cli.index.shards import build_sharded
t = time.perf_counter()
r = build_sharded(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), run=dask_runner(None, workers=int(sys.argv[4])))
print(json.dumps({"seconds": time.perf_counter() - t, "passages": r.passages,
    "tasks": [[x.seconds, x.passages, x.peak_rss_kb] for x in r.results],
    "main_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def questions(n: int) -> list[str]:
    data = ROOT.parent / "shared" / "data"
    if not data.is_dir():
        data = Path("/work/shared/data")
    raw = json.loads((data / "xquad" / "xquad.en.json").read_text())
    qs = [qa["question"] for art in raw["data"] for p in art["paragraphs"] for qa in p["qas"]]
    return qs[:n]


def timings(index, qs: list[str]) -> dict:
    from sofa_cli.query.question import analyse_question
    from sofa_cli.query.rank import ask

    bm, full = [], []
    for q in qs:
        terms = analyse_question(index, q).terms
        t = time.perf_counter()
        index.bm25(terms, top=100)
        bm.append(time.perf_counter() - t)
        t = time.perf_counter()
        ask(index, q, limit=3)
        full.append(time.perf_counter() - t)

    def pct(xs, p):
        xs = sorted(xs)
        return 1000 * xs[min(len(xs) - 1, int(p * len(xs)))]

    return {"bm25_p50": pct(bm, 0.5), "bm25_p99": pct(bm, 0.99), "ask_p50": pct(full, 0.5), "ask_p99": pct(full, 0.99)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--shards", type=int, nargs="*", default=[2, 4])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from sofa_cli.index.reader import Index
    from sofa_cli.index.sharded_reader import ShardedIndex

    qs = questions(args.questions)
    rows = []
    one = args.out / "one.sofa"
    out = subprocess.run([sys.executable, "-c", SINGLE, str(args.corpus), str(one)], capture_output=True, text=True, check=True)
    seconds, passages, rss = out.stdout.split()
    with Index(one) as index:
        index.check_all()
        t = timings(index, qs)
    rows.append(
        {
            "build": "single process",
            "seconds": float(seconds),
            "passages": int(passages),
            "peak_rss_mb": int(rss) / 1024,
            "disk_mb": one.stat().st_size / 2**20,
            **t,
        }
    )
    for n in args.shards:
        folder = args.out / f"shards-{n}"
        out = subprocess.run(
            [sys.executable, "-c", SHARDED, str(args.corpus), str(folder), str(n), str(args.workers)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        with ShardedIndex(folder) as index:
            index.check_all()
            t = timings(index, qs)
        disk = sum(p.stat().st_size for p in folder.glob("*.sofa")) / 2**20
        rows.append(
            {
                "build": f"{n} shards, {args.workers} workers",
                "seconds": r["seconds"],
                "passages": r["passages"],
                "peak_rss_mb": max(x[2] for x in r["tasks"]) / 1024,
                "task_passages_per_s": statistics.mean(x[1] / x[0] for x in r["tasks"]),
                "disk_mb": disk,
                **t,
            }
        )
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
