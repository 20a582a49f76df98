"""Instructions a full-ranking question costs, counted by valgrind (callgrind): an A/B of the
query path that the load of a shared machine cannot move (bench/stage_instructions.py's pattern).

    python bench/query_instructions.py INDEX_FILE CORPUS QUESTIONS_JSON TREE [TREE ...] [--first 5] [--count 40]

Each TREE (a folder holding a `sofa_cli` package) opens the index read-only, asks the first
`--first` questions (warm-up: sections mapped, numpy imported), then, in a second process, those
and the next `--count`; the difference of the two callgrind totals over `--count` is the
instructions per question, without the imports, the open and the warm-up. Minutes per tree at
1M passages: valgrind runs Python some 50x slower.
"""

from __future__ import annotations

import argparse
import sys

from measure import callgrind

_RUN = r"""
import json, sys
from pathlib import Path
tree, index_file, corpus, questions, n = sys.argv[1:6]
sys.path.insert(0, tree)
from sofa_cli.api import Corpus
from sofa_cli.index.reader import Index
opened = Corpus(Path(corpus), Index(Path(index_file)))
for q in json.loads(Path(questions).read_text(encoding="utf-8"))[: int(n)]:
    opened.ask(q, k=10)
"""


def instructions(tree: str, index_file: str, corpus: str, questions: str, n: int) -> int:
    return callgrind([sys.executable, "-c", _RUN, tree, index_file, corpus, questions, str(n)], check=True)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("index_file")
    parser.add_argument("corpus")
    parser.add_argument("questions")
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--first", type=int, default=5)
    parser.add_argument("--count", type=int, default=40)
    args = parser.parse_args()
    print("| copy | instructions per question (millions) |")
    print("|---|---|")
    for tree in args.trees:
        base = instructions(tree, args.index_file, args.corpus, args.questions, args.first)
        full = instructions(tree, args.index_file, args.corpus, args.questions, args.first + args.count)
        print(f"| {tree} | {(full - base) / args.count / 1e6:.1f} |", flush=True)


if __name__ == "__main__":
    main()
