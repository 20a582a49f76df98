"""One-shot `sofa ask` on the bundled corpus, this checkout against an earlier commit, alternated.

The machine's speed drifts (load, thermal, other work), so a ratio measured today is compared
with one measured another day only loosely; this runs both versions in turn, in one run, with
the same Python and the same floor (`python -c "import typer, rich.console"`). Each run's CPU
time (user + system, of the process) is reported beside its wall time: on a machine shared
with other work, waiting for a core inflates the wall time far more than the CPU time.

    python bench/oneshot_ab.py REV [REV ...] [--runs 15]      # appends to bench/results/oneshot.md
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from measure import ROOT, THIS_CHECKOUT, revision_trees

QUESTION = "what did Hornung suggest?"


def wall(command: list[str], env: dict, cwd: Path) -> tuple[float, float]:
    """The command's wall time and CPU time (user + system), in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    took = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return took, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("revs", nargs="+", metavar="rev")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with revision_trees(args.revs) as (trees, tmp):
        envs = {}
        for name, tree in trees.items():
            compileall.compile_dir(tree / "sofa_cli", quiet=1)
            envs[name] = dict(os.environ, PYTHONPATH=str(tree), SOFA_INDEX_DIR=str(tmp / name.replace(" ", "-")))
            envs[name].pop("SOFA_CORPUS", None)
            wall([sys.executable, "-m", "sofa_cli", "ask", QUESTION], envs[name], tree)  # the index is built first
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
        floor: list[tuple[float, float]] = []
        for _ in range(args.runs):
            floor.append(wall([sys.executable, "-c", "import typer, rich.console"], envs[THIS_CHECKOUT], ROOT))
            for name, tree in trees.items():
                times[name].append(wall([sys.executable, "-m", "sofa_cli", "ask", QUESTION], envs[name], tree))
    base, base_cpu = (statistics.median(t[i] for t in floor) for i in (0, 1))
    lines = [
        "",
        f"### This checkout against {', '.join(f'`{rev}`' for rev in args.revs)}, alternated",
        "",
        f"Command: `python bench/oneshot_ab.py {' '.join(args.revs)} --runs {args.runs}`; medians of {args.runs} alternated runs,"
        f" byte-compiled; load average at the end {os.getloadavg()[0]:.1f} on 2 cores.",
        "",
        '| version | `sofa ask "what did Hornung suggest?"`: wall | ratio to `import typer, rich.console` | CPU | ratio |',
        "|---|---:|---:|---:|---:|",
    ]
    for name, t in times.items():
        took, cpu = (statistics.median(x[i] for x in t) for i in (0, 1))
        lines.append(f"| {name} | {took * 1000:.0f} ms | {took / base:.2f} | {cpu * 1000:.0f} ms | {cpu / base_cpu:.2f} |")
    lines.append(f"| floor: `import typer, rich.console` | {base * 1000:.0f} ms | 1.00 | {base_cpu * 1000:.0f} ms | 1.00 |")
    results = ROOT / "bench" / "results" / "oneshot.md"
    with results.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
