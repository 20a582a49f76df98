"""The build's parse stages of this tree against those of a git revision, alternated in one process.

    python bench/parse_ab.py [--reference main] [--files 4:10] [--rounds 5] CORPUS

Reading (`load_file`), segmentation (`passages_of`), attribution (`attribute`) and packing
(`pack_document`, with a term numberer that has already met every word: the steady state of
a large build) are each timed on the same documents for both trees, in turn, and the least
CPU time of the rounds is kept. One process and alternation because the machine is shared:
wall times of separate runs differed by 2x at a load average of 20, the ratios within one
round did not. The revision's `sofa_cli` is exported (git archive) to a temporary folder and
imported as `sofa_reference`.
"""

from __future__ import annotations

import argparse
import gc
import io
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("load", "segment", "attribute", "pack")


def reference_package(rev: str, into: Path) -> None:
    """`sofa_cli` at `rev`, as the package `sofa_reference` under `into`."""
    tar = subprocess.run(["git", "archive", rev, "sofa_cli"], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(into, filter="data")
    (into / "sofa_cli").rename(into / "sofa_reference")
    for path in (into / "sofa_reference").rglob("*.py"):
        path.write_text(path.read_text(encoding="utf-8").replace("sofa_cli", "sofa_reference"), encoding="utf-8")


def stages(package: str, files: list[Path], root: Path) -> dict:
    """The four stages of `package` as functions of no argument, on the documents of `files`."""
    import importlib

    load_file = importlib.import_module(f"{package}.corpus.documents").load_file
    segment = importlib.import_module(f"{package}.corpus.segment")
    attribute = importlib.import_module(f"{package}.corpus.attribution").attribute
    terms = importlib.import_module(f"{package}.index.terms")
    segment._punkt()
    docs = [d for f in files for d in load_file(f, root)]
    segmented = [segment.passages_of(d) for d in docs]
    attributed = [attribute(d, ps) for d, ps in zip(docs, segmented)]
    numberer = terms.TermNumberer()

    def pack() -> None:
        for passages in attributed:
            terms.pack_document(passages, numberer)
        numberer.take_new()

    pack()  # every word met once: the steady state
    return {
        "load": lambda: [d for f in files for d in load_file(f, root)],
        "segment": lambda: [segment.passages_of(d) for d in docs],
        "attribute": lambda: [attribute(d, ps) for d, ps in zip(docs, segmented)],
        "pack": pack,
        "passages": sum(map(len, segmented)),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference", default="main")
    parser.add_argument("--files", default="4:10", help="slice of the corpus's sorted files")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("corpus", type=Path)
    args = parser.parse_args()
    root = args.corpus.resolve()
    a, b = (int(x) for x in args.files.split(":"))
    files = sorted(p for p in root.rglob("*") if p.is_file())[a:b]
    with tempfile.TemporaryDirectory(prefix="sofa-parse-ab-") as tmp:
        reference_package(args.reference, Path(tmp))
        sys.path[:0] = [tmp, str(ROOT)]
        sides = {args.reference: stages("sofa_reference", files, root), "this tree": stages("sofa_cli", files, root)}
        best = {side: dict.fromkeys(STAGES, float("inf")) for side in sides}
        for r in range(args.rounds):
            order = list(sides) if r % 2 == 0 else list(sides)[::-1]
            for stage in STAGES:
                for side in order:
                    gc.collect()  # each timing starts from the same collector state, whatever ran before
                    started = time.process_time()
                    sides[side][stage]()
                    best[side][stage] = min(best[side][stage], time.process_time() - started)
    n = sides["this tree"]["passages"]
    print(f"{n:,} passages, files {args.files} of {root}; least CPU of {args.rounds} rounds, us a passage:")
    print("| tree | " + " | ".join(STAGES) + " | total |")
    print("|---|" + "---:|" * (len(STAGES) + 1))
    for side, times in best.items():
        cells = [f"{times[s] / n * 1e6:.1f}" for s in STAGES]
        print(f"| {side} | " + " | ".join(cells) + f" | {sum(times.values()) / n * 1e6:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
