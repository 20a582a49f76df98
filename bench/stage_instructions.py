"""Instructions a parse stage costs per passage, counted by valgrind (callgrind): an A/B that
the load of a shared machine cannot move.

    python bench/stage_instructions.py [--tree DIR] [--docs 150] STAGE CORPUS

STAGE is segment, attribute or pack (as bench/parse_ab.py times them). The stage runs on the
first `--docs` documents of the corpus's fifth file, once in one process and three times in
another, each under callgrind; the difference of the two totals over two runs is the stage's
instruction count, without the imports and the set-up. `--tree` is a folder holding the
`sofa_cli` to measure (`git archive REV sofa_cli | tar -x -C DIR` for a revision; default:
this checkout). CPU-time A/Bs at a load average of 13 on 2 cores moved by +-15% from run to
run (bench/results/profile.md, 2026-11-30); instruction counts repeat to a fraction of a
percent. Each count takes minutes: valgrind runs Python some 50x slower.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from measure import callgrind

ROOT = Path(__file__).resolve().parents[1]

_RUN = r"""
import sys
from pathlib import Path
tree, corpus, stage, docs, repeat = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
sys.path.insert(0, tree)
from sofa_cli.corpus.attribution import attribute
from sofa_cli.corpus.documents import Skipped, load_file
from sofa_cli.corpus.segment import _punkt, passages_of
from sofa_cli.index import terms
_punkt()
path = sorted(p for p in corpus.rglob("*") if p.is_file())[4]
found = [d for d in load_file(path, corpus) if not isinstance(d, Skipped)][:docs]
segmented = [passages_of(d) for d in found]
attributed = [attribute(d, ps) for d, ps in zip(found, segmented)]
numberer = terms.TermNumberer()
for ps in attributed:
    terms.pack_document(ps, numberer)  # every word met once: the steady state
run = {
    "segment": lambda: [passages_of(d) for d in found],
    "attribute": lambda: [attribute(d, ps) for d, ps in zip(found, segmented)],
    "pack": lambda: [terms.pack_document(ps, numberer) for ps in attributed],
}[stage]
for _ in range(repeat):
    run()
print(sum(map(len, segmented)))
"""


def instructions(tree: Path, corpus: Path, stage: str, docs: int, repeat: int) -> tuple[int, int]:
    """Instructions of the whole process (callgrind's total) and the passages it held."""
    total, done = callgrind([sys.executable, "-c", _RUN, str(tree), str(corpus), stage, str(docs), str(repeat)], check=True)
    return total, int(done.stdout.split()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", type=Path, default=ROOT)
    parser.add_argument("--docs", type=int, default=150)
    parser.add_argument("stage", choices=("segment", "attribute", "pack"))
    parser.add_argument("corpus", type=Path)
    args = parser.parse_args()
    once, passages = instructions(args.tree, args.corpus.resolve(), args.stage, args.docs, 1)
    thrice, _ = instructions(args.tree, args.corpus.resolve(), args.stage, args.docs, 3)
    per_passage = (thrice - once) / 2 / passages
    print(f"{args.stage} ({args.tree}): {per_passage:,.0f} instructions a passage ({passages:,} passages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
