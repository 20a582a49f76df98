"""One-shot `sofa ask` on the bundled corpus vs `python -c "import typer, rich.console"`.

Measured both as an installed sofa runs (modules byte-compiled, as pip does on install) and
with PYTHONDONTWRITEBYTECODE=1 (every module compiled from source on each run, as in this
sandbox's shell): the second costs ~60 ms of sofa's own modules being compiled, which no
installed copy pays. Alternated runs, medians, one run of this script.

    python bench/oneshot.py [--runs 21]
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from perf import PY, QUESTION, SOFA, wall  # noqa: E402  (bench/ is a folder of scripts)


def measure(env: dict, runs: int) -> tuple[float, float]:
    ask = [*SOFA, "ask", QUESTION]
    wall(ask, env)  # the index is built before timing
    sofa, floor = [], []
    for _ in range(runs):
        floor.append(wall([PY, "-c", "import typer, rich.console"], env))
        sofa.append(wall(ask, env))
    return statistics.median(sofa) * 1000, statistics.median(floor) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    compileall.compile_dir(ROOT / "sofa_cli", quiet=1)
    rows = []
    with tempfile.TemporaryDirectory(prefix="sofa-oneshot-") as tmp:
        base = dict(os.environ, SOFA_INDEX_DIR=tmp, NO_COLOR="1")
        base.pop("SOFA_CORPUS", None)
        installed = {k: v for k, v in base.items() if k != "PYTHONDONTWRITEBYTECODE"}
        source = dict(base, PYTHONDONTWRITEBYTECODE="1")
        for label, env in (("byte-compiled (as installed)", installed), ("PYTHONDONTWRITEBYTECODE=1", source)):
            sofa_ms, floor_ms = measure(env, args.runs)
            rows.append(f"| {label} | {floor_ms:.0f} ms | {sofa_ms:.0f} ms | {sofa_ms / floor_ms:.2f} |")
    load = os.getloadavg()[0]
    text = "\n".join(
        [
            "## One-shot `sofa ask` (issue 5, target 1)",
            "",
            f"Command: `python bench/oneshot.py --runs {args.runs}`; {args.runs} alternated runs each, medians;"
            f" load average at the end {load:.1f} on 2 cores.",
            "",
            '| sofa modules | `import typer, rich.console` | `sofa ask "what did Hornung suggest?"` | ratio (target <= 1.5) |',
            "|---|---:|---:|---:|",
            *rows,
        ]
    )
    (HERE / "results" / "oneshot.md").write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
