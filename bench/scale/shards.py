"""Sharded build and query figures (issue 15, docs/scale.md): build time, peak RSS per Dask worker
and throughput for the single-process build and for N shards on a local Dask cluster of W workers,
index size, and query p50/p99 (BM25 top-100 and full answers) over each shard count against the
unsharded index in the same run, with the shards scored by local threads and by the cluster's
workers holding their shards open (`--cluster-query`).

    python bench/scale/shards.py build CORPUS OUT [--shards 2 8] [--workers 1 2]
    python bench/scale/shards.py query CORPUS OUT [--shards 4 8] [--questions 200] [--cluster-query]
    python bench/scale/shards.py report OUT [--write NAME]   # bench/results/NAME.md
    python bench/scale/shards.py all [--passages 1000000]  # `make bench`: the three, into bench/results/shards.md

Build and query are separate phases because a 1M build takes minutes per configuration on this
shared machine: each build's figures are kept in OUT/builds.json (one record per configuration,
re-run one by deleting it), and the query phase reads the indexes built. Each build runs in a fresh
process so its peak RSS is its own; a shard's peak RSS is its Dask worker's (ru_maxrss of the
worker process, Dask's own memory included: what a worker's memory limit must hold).
"""

from __future__ import annotations

import argparse
import json
import os
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
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(time.perf_counter() - t, r.passages, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, children)
"""

SHARDED = """
import json, resource, sys, time
from pathlib import Path
from sofa_cli.cluster import dask_runner
from sofa_cli.index.shards import build_sharded
reduce_s = []
import sofa_cli.index.statistics as st
original = st.write_statistics
def timed(*a, **k):
    t = time.perf_counter()
    try:
        return original(*a, **k)
    finally:
        reduce_s.append(time.perf_counter() - t)
st.write_statistics = timed
t = time.perf_counter()
r = build_sharded(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), run=dask_runner(None, workers=int(sys.argv[4])),
                  rebuild=True)
print(json.dumps({"seconds": time.perf_counter() - t, "passages": r.passages, "reduce_s": sum(reduce_s),
    "tasks": [[x.seconds, x.passages, x.peak_rss_kb, x.worker] for x in r.results],
    "main_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def load_average() -> float:
    return os.getloadavg()[0]


def questions(n: int) -> list[str]:
    data = ROOT.parent / "shared" / "data"
    if not data.is_dir():
        data = Path("/work/shared/data")
    raw = json.loads((data / "xquad" / "xquad.en.json").read_text())
    qs = [qa["question"] for art in raw["data"] for p in art["paragraphs"] for qa in p["qas"]]
    return qs[:n]


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return 1000 * xs[min(len(xs) - 1, int(p * len(xs)))]


def _builds(out: Path) -> dict:
    path = out / "builds.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _save_build(out: Path, name: str, record: dict) -> None:
    builds = _builds(out)
    builds[name] = record
    (out / "builds.json").write_text(json.dumps(builds, indent=1))


def build_phase(args) -> None:
    args.out.mkdir(parents=True, exist_ok=True)
    done = _builds(args.out)
    if "single" not in done and not args.skip_single:
        one = args.out / "one.sofa"
        load = load_average()
        res = subprocess.run(
            [sys.executable, "-c", SINGLE, str(args.corpus), str(one)], capture_output=True, text=True, check=True
        )
        seconds, passages, rss, children = res.stdout.split()
        record = {
            "build": "single process",
            "workers": "2 parse processes",
            "seconds": float(seconds),
            "passages": int(passages),
            "peak_rss_mb": int(rss) / 1024,
            "worker_rss_mb": int(children) / 1024,
            "disk_mb": one.stat().st_size / 2**20,
            "load": [load, load_average()],
        }
        _save_build(args.out, "single", record)
        print(json.dumps(record), flush=True)
    for n in args.shards:
        for w in args.workers:
            name = f"{n}x{w}"
            if name in _builds(args.out):
                continue
            folder = args.out / f"shards-{n}"  # one folder per shard count: the index is the same whatever the workers
            load = load_average()
            res = subprocess.run(
                [sys.executable, "-c", SHARDED, str(args.corpus), str(folder), str(n), str(w)],
                capture_output=True,
                text=True,
            )
            if res.returncode:
                print(res.stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"build {name} failed")
            r = json.loads(res.stdout.strip().splitlines()[-1])
            per_worker: dict[str, int] = {}
            for _, _, rss, worker in r["tasks"]:
                per_worker[worker] = max(per_worker.get(worker, 0), rss)
            record = {
                "build": f"{n} shards, {w} worker{'s' if w > 1 else ''}",
                "shards": n,
                "workers": w,
                "seconds": r["seconds"],
                "reduce_s": r["reduce_s"],
                "passages": r["passages"],
                "peak_rss_mb": max(per_worker.values()) / 1024,
                "main_rss_mb": r["main_rss_kb"] / 1024,
                "task_passages_per_s": statistics.mean(x[1] / x[0] for x in r["tasks"]),
                "disk_mb": sum(p.stat().st_size for p in folder.glob("*.sofa")) / 2**20,
                "load": [load, load_average()],
            }
            _save_build(args.out, name, record)
            print(json.dumps(record), flush=True)


def timings(index, qs: list[str], rounds: int) -> dict:
    """BM25 top-100 and full answers, per question, over `rounds` passes (the first warms caches)."""
    from sofa_cli.query.question import analyse_question
    from sofa_cli.query.rank import ask

    bm, full = [], []
    for _ in range(rounds):
        for q in qs:
            terms = analyse_question(index, q).terms
            t = time.perf_counter()
            index.bm25(terms, top=100)
            bm.append(time.perf_counter() - t)
            t = time.perf_counter()
            ask(index, q, limit=3)
            full.append(time.perf_counter() - t)
    return {"bm25_p50": _pct(bm, 0.5), "bm25_p99": _pct(bm, 0.99), "ask_p50": _pct(full, 0.5), "ask_p99": _pct(full, 0.99)}


def query_phase(args) -> None:
    """The indexes asked in turn, round by round in one process, so load drifts hit all alike."""
    from contextlib import ExitStack

    from sofa_cli.index.reader import Index
    from sofa_cli.index.sharded_reader import ShardedIndex

    qs = questions(args.questions)
    with ExitStack() as stack:
        indexes = {"unsharded": stack.enter_context(Index(args.out / "one.sofa"))}
        for n in args.shards:
            indexes[f"{n} shards"] = stack.enter_context(ShardedIndex(args.out / f"shards-{n}"))
        if args.cluster_query:
            from sofa_cli.cluster import local_query_cluster

            address = stack.enter_context(local_query_cluster(args.cluster_workers))
            for n in args.shards:
                indexes[f"{n} shards, {args.cluster_workers} Dask workers"] = stack.enter_context(
                    ShardedIndex(args.out / f"shards-{n}", cluster=address)
                )
        for index in indexes.values():
            timings(index, qs[:10], 1)  # warm: files mapped, sections checked, workers' shards opened
        rows: dict[str, dict[str, list]] = {name: {} for name in indexes}
        load = [load_average()]
        for _ in range(args.rounds):
            for name, index in indexes.items():
                for key, value in timings(index, qs, 1).items():
                    rows[name].setdefault(key, []).append(value)
        load.append(load_average())
    record = {"questions": len(qs), "rounds": args.rounds, "load": load, "rows": rows}
    (args.out / "queries.json").write_text(json.dumps(record, indent=1))
    print(json.dumps(record, indent=1))


def report(args) -> None:
    builds = _builds(args.out)
    lines = []
    lines.append(
        "| build | shards x workers | build s | passages/s | reduce s | peak RSS per worker | disk | load (start, end) |"
    )
    lines.append("|---|---|---|---|---|---|---|---|")
    for name, b in builds.items():
        rate = b["passages"] / b["seconds"]
        if name == "single":
            rss = f"{b['peak_rss_mb']:.0f} MB main + {b['worker_rss_mb']:.0f} MB largest parse process"
            lines.append(
                f"| one index | (2 parse processes) | {b['seconds']:.1f} | {rate:,.0f} | | {rss} | {b['disk_mb']:.0f} MB"
                f" | {b['load'][0]:.1f}, {b['load'][1]:.1f} |"
            )
        else:
            lines.append(
                f"| sharded | {b['shards']} x {b['workers']} | {b['seconds']:.1f} | {rate:,.0f} | {b['reduce_s']:.1f}"
                f" | {b['peak_rss_mb']:.0f} MB | {b['disk_mb']:.0f} MB | {b['load'][0]:.1f}, {b['load'][1]:.1f} |"
            )
    q = args.out / "queries.json"
    if q.exists():
        record = json.loads(q.read_text())
        lines.append("")
        lines.append(
            f"Queries: {record['questions']} XQuAD questions, {record['rounds']} rounds (each index asked in turn per round),"
            f" load {record['load'][0]:.1f} -> {record['load'][1]:.1f}; per round p50 / p99 ms:"
        )
        lines.append("")
        lines.append("| index | BM25 top-100 p50 | BM25 p99 | full answer p50 | full answer p99 | answer p50 / unsharded |")
        lines.append("|---|---|---|---|---|---|")
        base = record["rows"]["unsharded"]["ask_p50"]
        for name, row in record["rows"].items():
            ratio = ", ".join(f"{a / b:.2f}x" for a, b in zip(row["ask_p50"], base))

            def fmt(xs):
                return ", ".join(f"{x:.1f}" for x in xs)

            cells = [fmt(row[k]) for k in ("bm25_p50", "bm25_p99", "ask_p50", "ask_p99")]
            lines.append(f"| {name} | {' | '.join(cells)} | {ratio} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        (ROOT / "bench" / "results" / f"{args.write}.md").write_text(
            args.header.read_text() + "\n" + text if args.header else text
        )


def run_all(args) -> None:
    """`make bench`: bench/scale/generate.py's corpus of `--passages` (made if missing), the
    builds (single process; 2, 4, 8 shards on 1 and 2 workers), the queries (unsharded, 1, 4, 8
    shards, by threads and on 2 workers) and bench/results/shards.md."""
    corpus = ROOT / "bench" / "data" / f"scale-{args.passages}"
    if not corpus.is_dir():
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "scale" / "generate.py"), str(args.passages), str(corpus)], check=True
        )
    out = args.out or ROOT / "bench" / "data" / f"shards-{args.passages}"
    shards = sorted({1, 2, 4, 8})
    build_phase(argparse.Namespace(corpus=corpus, out=out, shards=shards, workers=[2, 1], skip_single=False))
    query_phase(
        argparse.Namespace(
            corpus=corpus, out=out, shards=[1, 4, 8], questions=200, rounds=2, cluster_query=True, cluster_workers=2
        )
    )
    report(argparse.Namespace(out=out, write="shards", header=None))


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="phase", required=True)
    b = sub.add_parser("build")
    b.add_argument("corpus", type=Path)
    b.add_argument("out", type=Path)
    b.add_argument("--shards", type=int, nargs="*", default=[2, 4, 8])
    b.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    b.add_argument("--skip-single", action="store_true")
    q = sub.add_parser("query")
    q.add_argument("corpus", type=Path)
    q.add_argument("out", type=Path)
    q.add_argument("--shards", type=int, nargs="*", default=[1, 4, 8])
    q.add_argument("--questions", type=int, default=200)
    q.add_argument("--rounds", type=int, default=2)
    q.add_argument("--cluster-query", action="store_true")
    q.add_argument("--cluster-workers", type=int, default=2)
    r = sub.add_parser("report")
    r.add_argument("out", type=Path)
    r.add_argument("--write", help="bench/results/NAME.md")
    r.add_argument("--header", type=Path, help="a file whose text goes above the tables (how the figures were made)")
    a = sub.add_parser("all")
    a.add_argument("--passages", type=int, default=1_000_000)
    a.add_argument("--out", type=Path)
    args = parser.parse_args()
    {"build": build_phase, "query": query_phase, "report": report, "all": run_all}[args.phase](args)


if __name__ == "__main__":
    main()
