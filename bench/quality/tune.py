"""Held-out check of the ranking constants: is there headroom left in `sofa_cli.query.config.Ranking`?

    python bench/quality/tune.py [--data ../shared/data] [--rounds 2]   # or: make bench-tune

XQuAD's questions are split in two halves by a checksum of their text. On each half in turn, a
coordinate search tries every weight of the ranking (`Ranking.constants()`, read at run time) at
0.5, 0.75, 1.5 and 2 times its value, and every limit one lower and one higher, and keeps a
change when it answers more questions of that half (hit@1, then answer@1,
then hit@5); the constants it ends with are then scored on the other half, which the search
never saw. A gain on the tuning half that does not carry to the held-out half is noise fitted
to those questions, not headroom.

Writes bench/results/tuning.md.
"""

from __future__ import annotations

import argparse
import sys
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from convert import DEFAULT_DATA, DEFAULT_OUT, convert  # noqa: E402
from run import describe_code  # noqa: E402

import sofa_cli  # noqa: E402
from sofa_cli.model import QAItem  # noqa: E402
from sofa_cli.query.config import Ranking  # noqa: E402
from sofa_cli.query.evaluate import evaluate, read_qa  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "tuning.md"
COMMAND = "make bench-tune   # = .venv/bin/python bench/quality/tune.py"
FACTORS = (0.5, 0.75, 1.5, 2.0)  # tried for each weight
STEPS = (-1, 1)  # tried for each limit
# Not tuned: min_coverage and unknown_weight_floor decide "no answer" (XQuAD has no such
# question), switches are measured by the ablation table, rerank_depth only sets speed.
FIXED = {"min_coverage", "unknown_weight_floor"}

Counts = tuple[int, int, int]  # hit@1, answer@1, hit@5: the order the search compares them in


def counts(corpus: sofa_cli.Corpus, items: list[QAItem], ranking: Ranking) -> Counts:
    """Scored by `evaluate`, the code behind `sofa eval`, as numbers of questions."""
    s = evaluate(items, lambda q: corpus.ask(q, k=5, ranking=ranking), 5)
    return round(s.hit_at_1 * s.questions), round(s.answer_at_1 * s.questions), round(s.hit_at_k * s.questions)


def values_to_try(part: str, name: str, value: float | bool | int) -> list[float | int]:
    """What the search tries for one constant: a weight scaled by FACTORS, a limit one step either
    way; nothing for switches (the ablation table measures them) and the FIXED constants."""
    if name in FIXED or isinstance(value, bool):
        return []
    if isinstance(value, float):
        return [value * factor for factor in FACTORS] if value != 0.0 else []
    if part == "limits":
        return [value + step for step in STEPS if value + step >= 0]
    return []


def coordinate_search(corpus: sofa_cli.Corpus, items: list[QAItem], rounds: int, log) -> tuple[Ranking, Counts]:
    ranking = Ranking()
    best = counts(corpus, items, ranking)
    for round_ in range(rounds):
        changed = False
        for part, name, _ in Ranking().constants():
            start = getattr(getattr(ranking, part), name)
            for value in values_to_try(part, name, start):
                trial = ranking.with_constant(part, name, value)
                got = counts(corpus, items, trial)
                if got > best:
                    log(f"    {name} {start:g} -> {value:g}: {best} -> {got}")
                    ranking, best, changed = trial, got, True
        log(f"  round {round_ + 1}: {best}")
        if not changed:
            break
    return ranking, best


def changes(ranking: Ranking) -> str:
    default = dict(((p, n), v) for p, n, v in Ranking().constants())
    moved = [f"{n} {default[p, n]:g} → {v:g}" for p, n, v in ranking.constants() if v != default[p, n]]
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
    corpus = sofa_cli.open(out / "xquad" / "corpus", index_dir=out / "index" / "plus", rebuild=True)
    items = read_qa(out / "xquad" / "qa.jsonl")
    halves = {
        "A": [i for i in items if zlib.crc32(i.q.encode("utf-8")) % 2 == 0],
        "B": [i for i in items if zlib.crc32(i.q.encode("utf-8")) % 2 == 1],
    }
    started = time.perf_counter()
    rows = []
    defaults = {name: counts(corpus, half, Ranking()) for name, half in halves.items()}
    for tune_on, held_out in (("A", "B"), ("B", "A")):
        log(f"tune: searching on half {tune_on}")
        ranking, tuned = coordinate_search(corpus, halves[tune_on], args.rounds, log)
        held = counts(corpus, halves[held_out], ranking)
        rows.append((tune_on, held_out, ranking, tuned, held))
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
    for tune_on, held_out, ranking, tuned, held in rows:
        lines.append(
            f"| {tune_on} | {changes(ranking)} | {fmt(defaults[tune_on], n[tune_on])} → {fmt(tuned, n[tune_on])}"
            f" | {fmt(defaults[held_out], n[held_out])} → {fmt(held, n[held_out])} |"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log(f"tune: wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
