"""`make bench`: run every benchmark, then assemble BENCHMARKS.md from their sections.

Each benchmark writes its own section to bench/results/<name>.md (figures plus the command
that reproduced them); this script runs them in order and concatenates the sections, so
one benchmark can be re-run alone (`python bench/<script>.py`) without losing the others.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"

# (name, script, args): each writes bench/results/<name>.md; `run_all.py NAME ...` runs those only.
BENCHMARKS: list[tuple[str, str, list[str]]] = [
    ("fuzz_loader", "fuzz_loader.py", ["--seconds", "180"]),
    ("big_file", "big_file.py", ["--mb", "200"]),
    ("index_folder", "index_folder.py", ["--runs", "3"]),
    ("oneshot", "oneshot.py", ["--runs", "21"]),
    ("quality", "quality/run.py", []),  # answer quality on bundled/XQuAD/TIME/mixed
    ("tuning", "quality/tune.py", []),  # held-out check of the ranking constants (about 20 min)
    # One-shot latency, and 10k/100k/1M passages against tantivy, bm25s and rank-bm25 (about an hour).
    ("perf", "perf.py", []),
    # Sharded builds and queries at 1M passages (issue 15): several hours on 2 cores.
    ("shards", "scale/shards.py", ["all", "--passages", "1000000"]),
    # Issue 16: a build's peak RSS and time before and after its streaming (runs and merge), beside tantivy's.
    ("build_memory", "build_memory.py", ["--before", "02f8f78", "--corpus", "100000", "--corpus", "1000000"]),
]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0))
    return f"{platform.system()} {platform.machine()}, {cpu}, {cores} cores, Python {platform.python_version()}"


def assemble() -> None:
    parts = [
        "# BENCHMARKS\n",
        "Made by `make bench` (bench/run_all.py); each section names the command that reproduces it.\n",
        f"Machine: {machine()}\n",
    ]
    for section in sorted(RESULTS.glob("*.md")):
        parts.append(section.read_text(encoding="utf-8").rstrip() + "\n")
    (ROOT / "BENCHMARKS.md").write_text("\n".join(parts), encoding="utf-8")


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    only = set(sys.argv[1:])
    for name, script, args in BENCHMARKS:
        if only and name not in only:
            continue
        print(f"bench: {script} {' '.join(args)}", file=sys.stderr)
        subprocess.run([sys.executable, str(HERE / script), *args], check=True, cwd=ROOT)
    assemble()


if __name__ == "__main__":
    main()
