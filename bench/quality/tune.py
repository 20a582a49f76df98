"""Held-out check of the ranking constants: is there headroom left in `search.Weights`?

    python bench/quality/tune.py [--data ../shared/data] [--rounds 2]   # or: make bench-tune

XQuAD's questions are split in two halves by a checksum of their text. On each half in turn, a
coordinate search tries every float constant of `Weights` at 0.5, 0.75, 1.5 and 2 times its
value and keeps a change when it answers more questions of that half (hit@1, then answer@1,
then hit@5); the constants it ends with are then scored on the other half, which the search
never saw. A gain on the tuning half that does not carry to the held-out half is noise fitted
to those questions, not headroom.

Writes bench/results/tuning.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from convert import DEFAULT_DATA, DEFAULT_OUT, convert  # noqa: E402
from run import describe_code, memoised  # noqa: E402

from sofa_cli import search  # noqa: E402
from sofa_cli.index import Index, open_index  # noqa: E402
from sofa_cli.query.evaluate import QAItem, evaluate, read_qa  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "tuning.md"
COMMAND = "make bench-tune   # = .venv/bin/python bench/quality/tune.py"
FACTORS = (0.5, 0.75, 1.5, 2.0)
# Switches and depths are not tuned: min_coverage decides "no answer", rerank_depth only speed.
FIXED = {"min_coverage", "rerank_depth"}

Counts = tuple[int, int, int]  # hit@1, answer@1, hit@5: the order the search compares them in


def counts(index: Index, items: list[QAItem], weights: search.Weights) -> Counts:
    """Scored by `evaluate`, the code behind `sofa eval`, as numbers of questions."""
    s = evaluate(items, lambda q: search.ask(index, q, limit=5, weights=weights), 5)
    return round(s.hit_at_1 * s.questions), round(s.answer_at_1 * s.questions), round(s.hit_at_k * s.questions)


def tunable(weights: search.Weights) -> list[str]:
    return [
        f.name
        for f in dataclasses.fields(weights)
        if f.name not in FIXED and isinstance(getattr(weights, f.name), float) and getattr(weights, f.name) != 0.0
    ]


def coordinate_search(index: Index, items: list[QAItem], rounds: int, log) -> tuple[search.Weights, Counts]:
    weights = search.Weights()
    best = counts(index, items, weights)
    for round_ in range(rounds):
        changed = False
        for name in tunable(weights):
            start = getattr(weights, name)
            for factor in FACTORS:
                trial = dataclasses.replace(weights, **{name: start * factor})
                got = counts(index, items, trial)
                if got > best:
                    log(f"    {name} {start:g} -> {start * factor:g}: {best} -> {got}")
                    weights, best, changed = trial, got, True
        log(f"  round {round_ + 1}: {best}")
        if not changed:
            break
    return weights, best


def changes(weights: search.Weights) -> str:
    default = search.Weights()
    moved = [
        f"{f.name} {getattr(default, f.name):g} → {getattr(weights, f.name):g}"
        for f in dataclasses.fields(weights)
        if getattr(weights, f.name) != getattr(default, f.name)
    ]
    return ", ".join(moved) or "none (the defaults)"


def fmt(c: Counts, n: int) -> str:
    return f"{c[0]} / {c[2]} / {c[1]} ({c[0] / n:.3f} / {c[2] / n:.3f} / {c[1] / n:.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with xquad/, time/, cranfield/")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="corpora, QA files and indexes go here")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the constants per half")
    args = parser.parse_args()

    def log(s: str) -> None:
        print(s, file=sys.stderr, flush=True)

    out = args.out.resolve()
    convert(args.data.resolve(), out, log=log)
    index = open_index(out / "xquad" / "corpus", str(out / "index" / "plus"), rebuild=True).index
    items = read_qa(out / "xquad" / "qa.jsonl")
    halves = {
        "A": [i for i in items if zlib.crc32(i.q.encode("utf-8")) % 2 == 0],
        "B": [i for i in items if zlib.crc32(i.q.encode("utf-8")) % 2 == 1],
    }
    started = time.perf_counter()
    rows = []
    with memoised():
        defaults = {name: counts(index, half, search.Weights()) for name, half in halves.items()}
        for tune_on, held_out in (("A", "B"), ("B", "A")):
            log(f"tune: searching on half {tune_on}")
            weights, tuned = coordinate_search(index, halves[tune_on], args.rounds, log)
            held = counts(index, halves[held_out], weights)
            rows.append((tune_on, held_out, weights, tuned, held))
    minutes = (time.perf_counter() - started) / 60
    n = {name: len(half) for name, half in halves.items()}
    lines = [
        "## Held-out check of the ranking constants (issue 3)\n",
        f"Command: `{COMMAND}`; sofa_cli at `{describe_code()}`; {minutes:.0f} min.",
        " ".join(__doc__.split("\n\n")[2].split()) + "\n",
        f"Halves of XQuAD: A {n['A']} questions, B {n['B']}. Counts are hit@1 / hit@5 / answer@1 (rates).\n",
        "| tuned on | constants found | tuning half: defaults → found | held-out half: defaults → found |",
        "|---|---|---|---|",
    ]
    for tune_on, held_out, weights, tuned, held in rows:
        lines.append(
            f"| {tune_on} | {changes(weights)} | {fmt(defaults[tune_on], n[tune_on])} → {fmt(tuned, n[tune_on])}"
            f" | {fmt(defaults[held_out], n[held_out])} → {fmt(held, n[held_out])} |"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log(f"tune: wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
