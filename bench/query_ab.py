"""Full-ranking answers over a built index: per-question CPU p50/p99 of `Corpus.ask(q, k=10)`
for several copies of sofa_cli (a git revision's `git archive`, this checkout), alternated
in fresh processes, each after 5 warm-up questions; the index is opened read-only (no
freshness check, no rebuild) and each copy's answers are compared byte for byte.

    python bench/query_ab.py INDEX_FILE CORPUS QUESTIONS_JSON TREE [TREE ...] [--rounds 3]

TREE is a folder holding a `sofa_cli` package, e.g. `git archive main sofa_cli | tar -x -C /tmp/main`.
CPU time, not wall: the machine is shared (bench/results/profile.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

WARMUP = 5


def one_process(tree: str, index_file: str, corpus: str, questions_file: str) -> None:
    sys.path.insert(0, tree)
    from sofa_cli.api import Corpus
    from sofa_cli.index.reader import Index

    opened = Corpus(Path(corpus), Index(Path(index_file)))
    questions = json.loads(Path(questions_file).read_text(encoding="utf-8"))
    for q in questions[:WARMUP]:
        opened.ask(q, k=10)
    cpu, answers = [], []
    for q in questions:
        started = time.process_time()
        answer = opened.ask(q, k=10)
        cpu.append(time.process_time() - started)
        answers.append(repr(answer))
    cpu.sort()
    at99 = min(len(cpu) - 1, int(0.99 * len(cpu)))
    digest = hashlib.sha1("\n".join(answers).encode()).hexdigest()[:12]
    print(json.dumps({"p50": statistics.median(cpu) * 1000, "p99": cpu[at99] * 1000, "answers": digest}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("index_file")
    parser.add_argument("corpus")
    parser.add_argument("questions")
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one_process(args.trees[0], args.index_file, args.corpus, args.questions)
        return
    found: dict[str, list[dict]] = {tree: [] for tree in args.trees}
    for _ in range(args.rounds):
        for tree in args.trees:
            cmd = [sys.executable, __file__, args.index_file, args.corpus, args.questions, tree, "--one"]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            found[tree].append(json.loads(out.strip().splitlines()[-1]))
    print("| copy | CPU p50 ms (each round) | CPU p99 ms (each round) | answers |")
    print("|---|---|---|---|")
    for tree, rows in found.items():
        p50 = " / ".join(f"{r['p50']:.1f}" for r in rows)
        p99 = " / ".join(f"{r['p99']:.1f}" for r in rows)
        print(f"| {tree} | {p50} | {p99} | {', '.join(sorted({r['answers'] for r in rows}))} |")


if __name__ == "__main__":
    main()
