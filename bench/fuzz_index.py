"""Index-corruption fuzzer: random byte flips anywhere in an index file, header included.

Each trial flips one byte (XOR with a random non-zero value) of a clean index of the
bundled corpus, opens the corpus through the library as `sofa ask` does, and asks the
questions below, lists the sources and shows a citation. A trial must end in one of:

- caught:   a warning that the index is unusable, then answers equal to the clean index's;
- harmless: no warning and answers equal to the clean index's (a padding byte, or a section
            none of these reads: it is checked when something first reads it).

Anything else is counted against the index: `silent` (answers differ with no warning),
`caught-wrong` (warned, yet answers differ), `crash` (an exception escaped).

    python bench/fuzz_index.py --seconds 300 [--seed 1] [--out bench/results/fuzz_index.md]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sofa_cli  # noqa: E402

QUESTIONS = [
    "what did Hornung suggest?",
    "Ishiba",
    "who wrote the article?",
    "what did Tanaka say about the SOFA?",
    "helicopter crash Okinawa",
]
CITATION = "kyodo-sofa ¶19"


def observe(corpus: Path, index_dir: Path) -> tuple[object, list[str]]:
    """What a user would see: every answer, the sources, one shown citation; and the warnings."""
    heard: list[str] = []
    with sofa_cli.open(corpus, index_dir=index_dir, notice=heard.append) as opened:
        seen = (
            [opened.ask(q, k=5).results for q in QUESTIONS],
            opened.sources(),
            opened.show(CITATION),
        )
        return seen, heard + opened.warnings


def fuzz(seconds: float, seed: int, header_share: float) -> tuple[Counter, dict[str, list[str]], int]:
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="sofa-fuzz-index-"))
    try:
        corpus = work / "corpus"
        shutil.copytree(sofa_cli.bundled_corpus(), corpus)
        index_dir = work / "idx"
        clean, _ = observe(corpus, index_dir)
        path = next(index_dir.glob("*/index.sofa"))
        pristine = path.read_bytes()
        header_end = 16 + int.from_bytes(pristine[8:12], "little")
        counts: Counter = Counter()
        examples: dict[str, list[str]] = {}
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            at = rng.randrange(header_end) if rng.random() < header_share else rng.randrange(len(pristine))
            data = bytearray(pristine)
            data[at] ^= rng.randrange(1, 256)
            path.write_bytes(bytes(data))
            region = "header" if at < header_end else "sections"
            try:
                seen, warnings = observe(corpus, index_dir)
            except Exception as err:  # noqa: BLE001 - a crash is what is being counted
                outcome, note = "crash", f"{type(err).__name__}: {err}"
            else:
                warned = any("unusable" in w or "rebuilding" in w for w in warnings)
                same = seen == clean
                outcome = {(True, True): "caught", (False, True): "harmless", (False, False): "silent"}.get(
                    (warned, same), "caught-wrong"
                )
                note = "; ".join(warnings)[:160] or "no warning"
            counts[outcome] += 1
            counts[f"{outcome} ({region})"] += 1
            examples.setdefault(outcome, [])
            if len(examples[outcome]) < 3:
                examples[outcome].append(f"byte {at}: {note}")
        return counts, examples, len(pristine)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(counts: Counter, examples: dict[str, list[str]], size: int, seconds: float, args) -> str:
    trials = sum(counts[k] for k in ("caught", "harmless", "silent", "caught-wrong", "crash"))
    lines = [
        f"# Index-corruption fuzz: {trials} single-byte flips in {seconds:.0f} s (seed {args.seed})",
        "",
        f"A {size:,}-byte index of the bundled corpus; a share of {args.header_share} of the flips aimed at the",
        "header (prefix and JSON), the others anywhere in the file.",
        "",
        "| outcome | trials | in the header | in the sections |",
        "|---|---|---|---|",
    ]
    for outcome in ("caught", "harmless", "silent", "caught-wrong", "crash"):
        lines.append(f"| {outcome} | {counts[outcome]} | {counts[f'{outcome} (header)']} | {counts[f'{outcome} (sections)']} |")
    for outcome, notes in examples.items():
        lines += ["", f"{outcome}, e.g.:", *(f"- {n}" for n in notes)]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--header-share", type=float, default=0.5, help="share of flips aimed at the header")
    parser.add_argument("--out", type=Path, help="also write the report (markdown) here")
    args = parser.parse_args()
    started = time.monotonic()
    counts, examples, size = fuzz(args.seconds, args.seed, args.header_share)
    text = report(counts, examples, size, time.monotonic() - started, args)
    sys.stdout.write(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 1 if counts["silent"] or counts["caught-wrong"] or counts["crash"] else 0


if __name__ == "__main__":
    sys.exit(main())
